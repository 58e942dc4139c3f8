import t from 'tap';
import type { Test } from 'tap';
import { HEJIAGOU, KANG, LIJIA, NIANBA, WANGBA, ZHUJIAGOU, reportBody, startTestApp } from '../support/app.js';
import { AlertClient } from '../support/ws-client.js';

/**
 * Issue 12: the office keeps its own units. Official division data has no centres, access notes
 * or phones; heads keep them current over HTTP, and every alert is built from what they keep.
 */

t.test('PATCH /units/{code}: a head sets centre, access notes and phones (as people write them); null clears; GET reads them', async (t) => {
  const app = await startTestApp(t);
  const head = app.token('head', WANGBA, 'head-wangba');
  const set = await app.call('PATCH', `/units/${HEJIAGOU}`, {
    token: head,
    body: { centre: { lat: 33.41, lon: 105.72 }, accessNotes: '县道过河后右转，雨天走北坡', phones: ['139 3900 0002', '+86 13939000003'] },
  });
  t.equal(set.statusCode, 200, set.body);
  t.type(set.json().revision, 'number');
  const read = await app.call('GET', `/units/${HEJIAGOU}`, { token: app.token('officer', WANGBA) });
  t.match(read.json(), {
    code: HEJIAGOU,
    level: 'village',
    parent: WANGBA,
    path: [/康县/, /王坝/, /何家沟/],
    centre: { lat: 33.41, lon: 105.72 },
    accessNotes: '县道过河后右转，雨天走北坡',
    phones: ['13939000002', '13939000003'],
  });
  const cleared = await app.call('PATCH', `/units/${HEJIAGOU}`, { token: head, body: { accessNotes: null, phones: null } });
  t.equal(cleared.statusCode, 200);
  t.match((await app.call('GET', `/units/${HEJIAGOU}`, { token: head })).json(), { centre: { lat: 33.41 }, accessNotes: null, phones: [] }, 'null clears; what was not named stays');
  const complaint = await app.call('PATCH', '/units/621299103', { token: head, body: { complaintPhone: '(0939)5123400' } });
  t.equal(complaint.statusCode, 200, 'the township\u2019s complaint line, by its short code');
  t.equal((await app.call('GET', '/units/621299103', { token: head })).json().complaintPhone, '09395123400');
});

t.test('PATCH /units is for heads in scope, with a body that names a field; bad input names the field', async (t) => {
  const app = await startTestApp(t);
  const before = await app.logSize();
  const head = app.token('head', WANGBA, 'head-wangba');
  t.equal((await app.call('PATCH', `/units/${LIJIA}`, { token: app.token('officer', WANGBA), body: { accessNotes: 'x' } })).statusCode, 403, 'an officer');
  t.equal((await app.call('PATCH', `/units/${LIJIA}`, { token: app.token('contact', LIJIA), body: { accessNotes: 'x' } })).statusCode, 403, 'a contact');
  t.equal((await app.call('PATCH', `/units/${ZHUJIAGOU}`, { token: head, body: { accessNotes: 'x' } })).statusCode, 403, 'another township');
  t.equal((await app.call('PATCH', '/units/621299103299', { token: head, body: { accessNotes: 'x' } })).statusCode, 404, 'no such village');
  for (const [body, field] of [
    [{}, /body/],
    [{ centre: { lat: 95, lon: 105 } }, /centre\.lat/],
    [{ phones: ['call me'] }, /phones\.0/],
    [{ name: '改名村' }, /name/],
    [{ accessNotes: 'x'.repeat(5000) }, /accessNotes/],
  ] as const) {
    const res = await app.call('PATCH', `/units/${LIJIA}`, { token: head, body });
    t.equal(res.statusCode, 400, JSON.stringify(body).slice(0, 60));
    t.match(res.json(), { error: 'validation', message: field });
  }
  t.equal((await app.call('PATCH', '/units/6212991032', { token: head, body: { accessNotes: 'x' } })).statusCode, 400, 'not a code');
  // Every alert without a trustworthy point sends officers to the centre: a slip of a digit must
  // not become the place they go (found by a newcomer: a village's centre set 900 km away).
  for (const [centre, words] of [
    [{ lat: 33.35, lon: 115.63 }, /^中心点离所在乡镇中心 \d+(\.\d)? 公里，不在本单位范围内：请核对经纬度/],
    [{ lat: 0, lon: 0 }, /^中心点是 0,0/],
    [{ lat: 105.63, lon: 33.35 }, /^(中心点不在国内|请求内容有误)/],
  ] as const) {
    const res = await app.call('PATCH', `/units/${LIJIA}`, { token: head, body: { centre } });
    t.ok(res.statusCode === 422 || res.statusCode === 400, `${JSON.stringify(centre)}: refused (${res.statusCode})`);
    t.match(res.json().message, words);
  }
  t.equal(await app.logSize(), before, 'nothing was written');
  t.equal((await app.call('PATCH', `/units/${LIJIA}`, { token: head, body: { centre: { lat: 33.36, lon: 105.64 } } })).statusCode, 200, 'a point in the township: kept');
});

t.test('GET /units?parent=: children, paged, in scope; the short form works', async (t) => {
  const app = await startTestApp(t);
  const county = app.token('auditor', KANG);
  const towns = await app.call('GET', '/units?parent=621299', { token: county });
  t.same(towns.json().items.map((u: { code: string }) => u.code), [WANGBA, NIANBA]);
  const first = await app.call('GET', '/units?parent=621299103&limit=1', { token: county });
  t.same(first.json().items.map((u: { code: string }) => u.code), [LIJIA]);
  t.equal(first.json().next, LIJIA);
  const second = await app.call('GET', `/units?parent=621299103&limit=1&after=${first.json().next}`, { token: county });
  t.same(second.json().items.map((u: { code: string }) => u.code), [HEJIAGOU]);
  t.equal(second.json().next, null);
  const mine = await app.call('GET', '/units', { token: app.token('officer', WANGBA) });
  t.same(mine.json().items.map((u: { code: string }) => u.code), [LIJIA, HEJIAGOU], 'no parent: the children of my own scope');
  t.equal((await app.call('GET', `/units?parent=${NIANBA}`, { token: app.token('officer', WANGBA) })).statusCode, 403);
  t.equal((await app.call('GET', `/units/${ZHUJIAGOU}`, { token: app.token('officer', WANGBA) })).statusCode, 404, 'a unit outside scope is not confirmed');
});

async function alertFor(t: Test, patch: unknown) {
  const app = await startTestApp(t, { alerting: true });
  const url = await app.app.listen({ port: 0, host: '127.0.0.1' });
  if (patch) await app.call('PATCH', `/units/${HEJIAGOU}`, { token: app.token('head', WANGBA, 'head-wangba'), body: patch });
  const officer = await AlertClient.connect(url, app.token('officer', WANGBA, 'officer-wangba-1'));
  t.teardown(() => officer.close());
  officer.send({ type: 'resume', after: (await officer.next((f) => f.type === 'hello')).position });
  const filed = await app.call('POST', '/reports', { token: app.token('contact', HEJIAGOU, 'contact-he'), body: reportBody({ village: HEJIAGOU, location: undefined, directions: undefined }) });
  t.equal(filed.statusCode, 201, filed.body);
  return officer.next((f) => f.type === 'alert' && f.reportId === filed.json().reportId);
}

t.test('the alert carries what the head keeps: a report without a location sends the officer to the kept centre, with the access notes', async (t) => {
  const kept = await alertFor(t, { centre: { lat: 33.41, lon: 105.72 }, accessNotes: '县道过河后右转' });
  t.match(kept, { unit: { code: HEJIAGOU }, accessNotes: '县道过河后右转', location: { lat: 33.41, lon: 105.72, source: 'unit' } }, 'the kept centre is where to go');
});
