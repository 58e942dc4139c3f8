import t from 'tap';
import { KANG, WANGBA, startTestApp } from '../support/app.js';
import { AlertClient } from '../support/ws-client.js';

t.test('an overdue statutory clock alerts the county heads, once per clock and due time', async (t) => {
  const app = await startTestApp(t, { alerting: true, escalationDelayMs: 60_000 });
  const url = await app.app.listen({ port: 0, host: '127.0.0.1' });
  const countyHead = await AlertClient.connect(url, app.token('head', KANG, 'head-kang'));
  const townshipHead = await AlertClient.connect(url, app.token('head', WANGBA, 'head-wangba'));
  t.teardown(() => (countyHead.close(), townshipHead.close()));
  for (const c of [countyHead, townshipHead]) c.send({ type: 'resume', after: (await c.next((f) => f.type === 'hello')).position });

  const startedAt = new Date(Date.now() - 3 * 3600_000).toISOString(); // the 2-hour initial clock ran out an hour ago
  const opened = await app.call('POST', '/incidents', { token: app.token('head', KANG), body: { county: KANG, hazard: 'flash_flood', startedAt, title: '山洪过程' } });
  t.equal(opened.statusCode, 201);
  const { incidentId } = opened.json();
  const frame = await countyHead.next((f) => f.type === 'clock_overdue' && f.incidentId === incidentId);
  t.match(frame, { clock: 'initial', title: '山洪过程', county: { code: KANG, name: '康县（示例）' }, dueAt: new Date(Date.parse(startedAt) + 2 * 3600_000).toISOString() });

  const submitted = await app.call('POST', `/incidents/${incidentId}/submissions`, {
    token: app.token('head', KANG),
    body: { stage: 'initial', figures: { affectedPeople: 10 }, asOf: new Date().toISOString() },
  });
  t.equal(submitted.statusCode, 200);
  await app.runner.caughtUp();
  const alerts = (await app.store.readStream(`incident-${incidentId}`)).filter((e) => e.type === 'StatutoryClockAlerted');
  t.equal(alerts.length, 1, 'alerted once');
  await townshipHead.roundTrip();
  t.same(townshipHead.frames.filter((f) => f.type === 'clock_overdue'), [], 'the county\u2019s heads, not the township\u2019s');
  const view = (await app.call('GET', `/incidents/${incidentId}`, { token: app.token('head', KANG) })).json();
  t.match(view.clocks[0], { clock: 'initial', late: true, overdue: false });
});
