import { randomUUID } from 'node:crypto';
import { createSigner } from 'fast-jwt';
import t from 'tap';
import { KANG, LIJIA, NIANBA, WANGBA, ZHUJIAGOU, reportBody, startTestApp } from '../support/app.js';

/** Issue 9 E (identity comes from the token) and K (existence is not confirmed outside scope). */

t.test('an officer cannot record a colleague as dispatched or arrived: acts are the token holder\u2019s', async (t) => {
  const app = await startTestApp(t);
  const { reportId } = (await app.call('POST', '/reports', { token: app.token('contact', LIJIA), body: reportBody() })).json();
  const officer = app.token('officer', WANGBA, 'officer-wangba-2');
  const naming = await app.call('POST', `/reports/${reportId}/dispatches`, { token: officer, body: { officer: 'officer-wangba-1' } });
  t.equal(naming.statusCode, 400, 'a body naming someone else is refused');
  t.same(naming.json().details.map((d: { path: string }) => d.path), ['body']);
  t.equal((await app.call('POST', `/reports/${reportId}/arrivals`, { token: officer, body: { officer: 'officer-wangba-1' } })).statusCode, 400);
  t.equal((await app.call('POST', `/reports/${reportId}/dispatches`, { token: officer, body: {} })).statusCode, 200);
  const view = (await app.call('GET', `/reports/${reportId}`, { token: officer })).json();
  t.same(view.dispatched.map((d: { officer: string }) => d.officer), ['officer-wangba-2']);
  t.equal(view.acknowledgedBy, 'officer-wangba-2', 'escalation stopped by the person who acted, nobody else');
  const events = await app.store.readStream(`report-${reportId}`);
  t.equal(events.at(-1)!.metadata.actor.id, 'officer-wangba-2');
});

t.test('user ids and audience names cannot collide: no @ in a token\u2019s sub or a roster id', async (t) => {
  const app = await startTestApp(t, { alerting: true });
  t.throws(() => app.tokens.issue({ sub: 'head@621299103', role: 'officer', scope: WANGBA }, 600), 'the token service will not issue one');
  const forged = app.tokens.issue({ sub: 'officer-x', role: 'officer', scope: WANGBA }, 600);
  const [header, payload, signature] = forged.split('.');
  const claims = JSON.parse(Buffer.from(payload!, 'base64url').toString());
  const tampered = `${header}.${Buffer.from(JSON.stringify({ ...claims, sub: 'head@621299103' })).toString('base64url')}.${signature}`;
  t.equal((await app.call('GET', '/alerts/open', { token: tampered })).statusCode, 401, 'a changed sub breaks the signature anyway');

  const roster = await app.call('PUT', `/roster/${WANGBA}`, { token: app.token('head', WANGBA), body: { entries: [{ officer: 'head@621299103', tier: 'primary' }] } });
  t.equal(roster.statusCode, 400);
  t.same(roster.json().details.map((d: { path: string }) => d.path), ['body.entries.0.officer']);

});

t.test('a token whose claims fail the rules is refused even when its signature is good', async (t) => {
  const app = await startTestApp(t);
  const { loadConfig } = await import('../../infra/config.js');
  const secret = loadConfig({ DATA_DIR: app.dataDir }).authSecret;
  const sign = createSigner({ key: secret, algorithm: 'HS256' });
  const exp = Math.floor(Date.now() / 1000) + 600;
  for (const claims of [
    { sub: 'head@621299103', role: 'head', scope: WANGBA, exp },
    { sub: 'a b', role: 'officer', scope: WANGBA, exp },
    { sub: 'x', role: 'root', scope: WANGBA, exp },
    { sub: 'x', role: 'officer', scope: '62122', exp },
  ]) {
    const res = await app.call('GET', '/alerts/open', { token: sign(claims) });
    t.equal(res.statusCode, 401, JSON.stringify(claims));
  }
});

t.test('existence is not confirmed outside scope: an id taken elsewhere is id_unavailable, like any id you may not use (K)', async (t) => {
  const app = await startTestApp(t);
  const reportId = randomUUID();
  t.equal((await app.call('POST', '/reports', { token: app.token('contact', ZHUJIAGOU), body: reportBody({ reportId, village: ZHUJIAGOU }) })).statusCode, 201);
  const reused = await app.call('POST', '/reports', { token: app.token('contact', LIJIA), body: reportBody({ reportId }) });
  t.equal(reused.statusCode, 409);
  t.same(reused.json(), { error: 'id_unavailable', message: reused.json().message }, 'nothing about that report, not even which township');
  t.notMatch(reused.body, /ZHUJIAGOU|621299104|idempotency/);

  const incidentId = randomUUID();
  const body = { incidentId, county: KANG, hazard: 'hail', startedAt: '2026-01-01T00:00:00Z', title: '冰雹' };
  t.equal((await app.call('POST', '/incidents', { token: app.token('head', KANG), body })).statusCode, 201);
  const otherCounty = await app.call('POST', '/incidents', { token: app.token('head', '621225'), body: { ...body, county: '621225000000' } });
  t.equal(otherCounty.statusCode, 409);
  t.same(Object.keys(otherCounty.json()).sort(), ['error', 'message'], 'no details');
  t.equal(otherCounty.json().error, 'id_unavailable');
  t.notMatch(otherCounty.body, new RegExp(incidentId));

  // In scope, the same body again is the first answer; another body is a mismatch.
  const again = await app.call('POST', '/incidents', { token: app.token('head', KANG), body });
  t.equal(again.statusCode, 200);
  t.equal(again.json().incidentId, incidentId);
  const changed = await app.call('POST', '/incidents', { token: app.token('head', KANG), body: { ...body, title: '另一个' } });
  t.equal(changed.json().error, 'idempotency_mismatch');
  t.equal((await app.call('POST', '/reports', { token: app.token('officer', NIANBA), body: reportBody({ reportId, village: ZHUJIAGOU, hazard: 'hail' }) })).json().error, 'idempotency_mismatch', 'in scope, another body');
});
