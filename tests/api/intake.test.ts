import { randomUUID } from 'node:crypto';
import t from 'tap';
import fc from 'fast-check';
import { normalizePhone } from '../../domain/vocabulary.js';
import { HAZARD_LABELS } from '../../domain/vocabulary.js';
import { KANG, LIJIA, NIANBA, WANGBA, ZHUJIAGOU, reportBody, startTestApp } from '../support/app.js';

/** Issue 12: a village phone is never turned away. Each input is what a real phone sends. */

const NOW = new Date('2026-07-01T04:00:00.000Z');

t.test('observedAt 30 minutes ahead of the server (a fast phone clock): 201, stored as sent, flagged clockSuspect', async (t) => {
  const app = await startTestApp(t, { now: () => NOW });
  const contact = app.token('contact', LIJIA);
  const ahead = new Date(NOW.getTime() + 30 * 60_000).toISOString();
  const res = await app.call('POST', '/reports', { token: contact, body: reportBody({ observedAt: ahead }) });
  t.equal(res.statusCode, 201);
  const [filed] = await app.store.readStream(`report-${res.json().reportId}`);
  t.match(filed!.data, { observedAt: ahead, clockSuspect: true });
  t.equal(filed!.metadata.at, NOW.toISOString(), 'alerts and clocks run on the server\u2019s time of filing');
  const view = (await app.call('GET', `/reports/${res.json().reportId}`, { token: contact })).json();
  t.equal(view.reportedAt, NOW.toISOString());
});

t.test('observedAt without an offset is Beijing time', async (t) => {
  const app = await startTestApp(t, { now: () => NOW });
  const contact = app.token('contact', LIJIA);
  const res = await app.call('POST', '/reports', { token: contact, body: reportBody({ observedAt: '2026-07-01T11:40:00' }) });
  t.equal(res.statusCode, 201);
  const [filed] = await app.store.readStream(`report-${res.json().reportId}`);
  t.equal((filed!.data as { observedAt: string }).observedAt, '2026-07-01T03:40:00.000Z', '11:40 in Beijing is 03:40 UTC');
  const bad = await app.call('POST', '/reports', { token: contact, body: reportBody({ observedAt: '昨天下午' }) });
  t.equal(bad.statusCode, 400, 'a time that is not a time is still 400');
});

t.test('phones as people write them are accepted and stored as digits', async (t) => {
  const app = await startTestApp(t, { now: () => NOW });
  const contact = app.token('contact', LIJIA);
  for (const [written, stored] of [
    ['(0939)5123488', '09395123488'],
    ['139 3900 0001', '13939000001'],
    ['+86 13939000001', '13939000001'],
    ['１３９３９０００００１', '13939000001'],
    ['0086-139-3900-0001', '13939000001'],
    ['（0939）512-3488', '09395123488'],
  ]) {
    const res = await app.call('POST', '/reports', { token: contact, body: reportBody({ reporter: { name: '王建国', phone: written } }) });
    t.equal(res.statusCode, 201, `${written}`);
    const [filed] = await app.store.readStream(`report-${res.json().reportId}`);
    t.equal((filed!.data as { reporter: { phone: string } }).reporter.phone, stored, `${written} → ${stored}`);
  }
  const notAPhone = await app.call('POST', '/reports', { token: contact, body: reportBody({ reporter: { name: '王建国', phone: '打电话给我' } }) });
  t.equal(notAPhone.statusCode, 400);
  t.same(notAPhone.json().details.map((d: { path: string }) => d.path), ['body.reporter.phone']);
});

t.test('property: any Chinese phone number written the ways people write them is accepted and normalized', async (t) => {
  const digit = fc.constantFrom(...'0123456789');
  const mobile = fc.tuple(fc.constantFrom('13', '14', '15', '16', '17', '18', '19'), fc.array(digit, { minLength: 9, maxLength: 9 })).map(([p, r]) => p + r.join(''));
  const landline = fc.tuple(fc.constantFrom('0939', '0931', '010', '021'), fc.array(digit, { minLength: 7, maxLength: 8 })).map(([a, r]) => [a, r.join('')] as const);
  const fullWidth = (s: string) => s.replace(/[0-9]/g, (d) => String.fromCharCode(d.charCodeAt(0) + 0xfee0));
  const written = fc.oneof(
    mobile.map((m) => [m, m] as const),
    mobile.map((m) => [`${m.slice(0, 3)} ${m.slice(3, 7)} ${m.slice(7)}`, m] as const),
    mobile.map((m) => [`${m.slice(0, 3)}-${m.slice(3, 7)}-${m.slice(7)}`, m] as const),
    mobile.map((m) => [`+86 ${m}`, m] as const),
    mobile.map((m) => [`+86-${m}`, m] as const),
    mobile.map((m) => [`0086${m}`, m] as const),
    mobile.map((m) => [fullWidth(m), m] as const),
    landline.map(([a, r]) => [`(${a})${r}`, a + r] as const),
    landline.map(([a, r]) => [`（${a}）${r}`, a + r] as const),
    landline.map(([a, r]) => [`${a}-${r}`, a + r] as const),
    landline.map(([a, r]) => [fullWidth(`${a}-${r}`), a + r] as const),
  );
  fc.assert(fc.property(written, ([text, digits]) => normalizePhone(text) === digits), { numRuns: 2000 });
  t.pass('2000 written forms normalized');
});

t.test('every hazard\u2019s Chinese label is accepted', async (t) => {
  const app = await startTestApp(t, { now: () => NOW });
  const contact = app.token('contact', LIJIA);
  for (const [hazard, label] of [...Object.entries(HAZARD_LABELS), ['windstorm', '大风']]) {
    const res = await app.call('POST', '/reports', { token: contact, body: reportBody({ hazard: label }) });
    t.equal(res.statusCode, 201, `${label}`);
    const [filed] = await app.store.readStream(`report-${res.json().reportId}`);
    t.equal((filed!.data as { hazard: string }).hazard, hazard, `${label} is ${hazard}`);
  }
  t.equal((await app.call('POST', '/reports', { token: contact, body: reportBody({ hazard: '海啸' }) })).statusCode, 400);
});

t.test('a contact who sends a code above their village gets 422 not_a_village, never 403 (sweep over roles and levels)', async (t) => {
  const app = await startTestApp(t, { now: () => NOW });
  const positionBefore = (await app.store.readAll({ max: 100_000 })).length;
  // Every filing role, each with a scope that does not hold the code sent; each level above a village,
  // registered or not (the city and province are not), as its 12 digits and as its significant prefix.
  const filers = [app.token('contact', LIJIA), app.token('officer', NIANBA), app.token('head', NIANBA)];
  const codes = [WANGBA, WANGBA.slice(0, 9), KANG, KANG.slice(0, 6), KANG.slice(0, 4).padEnd(12, '0'), KANG.slice(0, 2)];
  for (const token of filers) {
    for (const village of codes) {
      const res = await app.call('POST', '/reports', { token, body: reportBody({ village }) });
      t.equal(res.statusCode, 422, `${village}: ${res.body}`);
      t.equal(res.json().error, 'not_a_village', village);
      t.match(res.json().message, /不是村/, 'the message says it is not a village');
    }
  }
  t.equal((await app.store.readAll({ max: 100_000 })).length, positionBefore, 'nothing written');
  // A village outside the caller's scope is still 403.
  t.equal((await app.call('POST', '/reports', { token: filers[0], body: reportBody({ village: ZHUJIAGOU }) })).statusCode, 403);
});

t.test('a township code given as the village: 422 not_a_village, saying it is a township', async (t) => {
  const app = await startTestApp(t, { now: () => NOW });
  const officer = app.token('officer', WANGBA);
  const res = await app.call('POST', '/reports', { token: officer, body: reportBody({ village: WANGBA }) });
  t.equal(res.statusCode, 422);
  t.equal(res.json().error, 'not_a_village');
  t.match(res.json().details, { level: 'township', name: '王坝镇（示例）' });
  t.match(res.json().message, /乡镇|township/);
  const unknown = await app.call('POST', '/reports', { token: officer, body: reportBody({ village: '621299103299' }) });
  t.equal(unknown.json().error, 'unit_not_found', 'a code nobody registered is not registered');
  const prefix = await app.call('POST', '/reports', { token: officer, body: reportBody({ village: '621299103201' }) });
  t.equal(prefix.statusCode, 201);
});

t.test('property: any report a contact can send that is well formed is filed', async (t) => {
  const app = await startTestApp(t, { now: () => NOW });
  const contact = app.token('contact', LIJIA);
  const name = fc.array(fc.integer({ min: 0x4e00, max: 0x9fa5 }).map((c) => String.fromCharCode(c)), { minLength: 1, maxLength: 6 }).map((c) => c.join(''));
  const phone = fc.tuple(fc.constantFrom('138', '+86 139', '０９３９-', '(0931)'), fc.stringMatching(/^[0-9]{8}$/)).map(([p, r]) => p + r);
  const hazard = fc.constantFrom(...Object.keys(HAZARD_LABELS), ...Object.values(HAZARD_LABELS));
  const observedAt = fc.integer({ min: -7 * 86_400_000, max: 2 * 3_600_000 }).map((d) => new Date(NOW.getTime() + d)).chain((d) =>
    fc.constantFrom(d.toISOString(), new Date(d.getTime() + 8 * 3_600_000).toISOString().slice(0, 19), new Date(d.getTime() + 8 * 3_600_000).toISOString().slice(0, 19) + '+08:00'),
  );
  const estimate = fc.record({ affectedPeople: fc.nat(1000), dead: fc.nat(5), roomsCollapsed: fc.nat(50), cropAffectedHa: fc.nat(100_000).map((n) => n / 100) }, { requiredKeys: [] });
  const text = fc.string({ maxLength: 200 }).filter((s) => !/[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f-\u009f\ud800-\udfff]/.test(s));
  await fc.assert(
    fc.asyncProperty(fc.record({ name, phone, hazard, observedAt, estimate, directions: text, notes: text, group: fc.constantFrom(undefined, '三组', '一社') }), async (r) => {
      const body = { reportId: randomUUID(), village: LIJIA, hazard: r.hazard, observedAt: r.observedAt, reporter: { name: r.name, phone: r.phone }, estimate: r.estimate, directions: r.directions, notes: r.notes, ...(r.group ? { group: r.group } : {}) };
      const res = await app.call('POST', '/reports', { token: contact, body });
      return res.statusCode === 201;
    }),
    { numRuns: 150 },
  );
  t.pass('150 well-formed reports, each filed');
});

t.test('a reporter’s phone must be one to call back: a mobile or a landline, as written in China (sweep)', async (t) => {
  const app = await startTestApp(t);
  const contact = app.token('contact', LIJIA);
  const file = (phone: unknown) => app.call('POST', '/reports', { token: contact, body: reportBody({ reporter: { name: '王建国', phone } }) });
  for (const good of ['13800000000', '+86 138 0000 0000', '(0939) 123 4567', '0939-12345678', '010 8888 6666', '8888666', '１３８００００００００']) {
    t.equal((await file(good)).statusCode, 201, `${good} is a number to call back`);
  }
  for (const bad of ['138', '110', '12345', '1380000000', '138000000001', '00000', '0939', '1234567']) {
    const res = await file(bad);
    t.equal(res.statusCode, 400, `${bad} is refused`);
    t.match(res.json(), { error: 'validation', details: [{ path: 'body.reporter.phone', message: /能回拨的号码/ }] });
  }
});


t.test('a report sent again without reportId or Idempotency-Key (its answer lost) is the same report, answered as the first time: one report, one alert (found by a newcomer)', async (t) => {
  const app = await startTestApp(t, { now: () => NOW, alerting: true });
  const contact = app.token('contact', LIJIA);
  const body = reportBody({ observedAt: '2026-07-01T03:40:00.000Z', notes: '后山塌方，两户被埋' });
  const first = await app.call('POST', '/reports', { token: contact, body });
  t.equal(first.statusCode, 201, first.body);
  const size = await app.logSize();
  const again = await app.call('POST', '/reports', { token: contact, body: { ...body } });
  t.equal(again.statusCode, 200, 'answered as a resend');
  t.equal(again.json().reportId, first.json().reportId, 'the same report');
  t.equal(await app.logSize(), size, 'nothing written: no second report, no second alert');
  // Written the other way round and with the time in Beijing's offset, it is still the same report.
  const reordered = Object.fromEntries(Object.entries({ ...body, observedAt: '2026-07-01T11:40:00+08:00' }).reverse());
  t.equal((await app.call('POST', '/reports', { token: contact, body: reordered })).json().reportId, first.json().reportId, 'keys in another order, the same moment written another way');
  for (const key of ['resend-1', 'resend-2']) {
    const keyed = await app.call('POST', '/reports', { token: contact, body, headers: { 'idempotency-key': key } });
    t.same([keyed.statusCode, keyed.json().reportId], [200, first.json().reportId], `with an Idempotency-Key of its own (${key}): still the same report (found by a newcomer)`);
  }
  t.equal(await app.logSize() - size, 4, 'only the keys were recorded: no report, no alert');

  // Anything said differently, or another person saying it, is another report (SPEC §5 then links them).
  const another = app.token('contact', LIJIA, 'contact-lijia-2');
  const differing: Array<[string, string, Record<string, unknown>]> = [
    ['another person', another, body],
    ['another moment', contact, { ...body, observedAt: '2026-07-01T03:40:01.000Z' }],
    ['another hazard', contact, { ...body, hazard: 'flash_flood' }],
    ['another estimate', contact, { ...body, estimate: { affectedPeople: 13, roomsCollapsed: 2 } }],
    ['other words', contact, { ...body, notes: '后山塌方，三户被埋' }],
    ['other directions', contact, { ...body, directions: '走老路' }],
    ['a point', contact, { ...body, location: { lat: 33.35, lon: 105.63 } }],
    ['a group', contact, { ...body, group: '三组' }],
    ['another phone to call back', contact, { ...body, reporter: { name: '王建国', phone: '13900000000' } }],
  ];
  const ids = new Set([first.json().reportId]);
  for (const [label, token, sent] of differing) {
    const filed = await app.call('POST', '/reports', { token, body: sent });
    t.equal(filed.statusCode, 201, `${label}: filed`);
    ids.add(filed.json().reportId);
  }
  t.equal(ids.size, differing.length + 1, 'each its own report');
  // With a reportId, or an Idempotency-Key, those say which report it is, as before.
  const chosen = randomUUID();
  t.equal((await app.call('POST', '/reports', { token: contact, body: { ...body, reportId: chosen } })).json().reportId, chosen, 'a reportId the phone chose is the report\u2019s');
});
