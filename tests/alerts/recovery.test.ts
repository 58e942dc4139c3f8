import t from 'tap';
import { LIJIA, HEJIAGOU, KANG, WANGBA, reportBody, startTestApp, type TestApp } from '../support/app.js';
import { AlertClient } from '../support/ws-client.js';
import { TestRedis } from '../support/redis.js';
import { testDir } from '../support/dirs.js';

const fileReport = async (app: TestApp, village = LIJIA) => {
  const res = await app.call('POST', '/reports', { token: app.token('contact', village), body: reportBody({ village }) });
  if (res.statusCode !== 201) throw new Error(res.body);
  return (res.json() as { reportId: string }).reportId;
};
const raisedSteps = async (app: TestApp, reportId: string) =>
  (await app.store.readStream(`report-${reportId}`)).filter((e) => e.type === 'AlertRaised').map((e) => (e.data as { step: number }).step);

async function live(url: string, token: string): Promise<AlertClient> {
  const client = await AlertClient.connect(url, token);
  client.send({ type: 'resume', after: (await client.next((f) => f.type === 'hello')).position });
  return client;
}

t.test('Redis dies mid-escalation and comes back empty: intake goes on, every due alert fires once', async (t) => {
  const redis = await TestRedis.start(t);
  const app = await startTestApp(t, { alerting: true, escalationDelayMs: 400, redisUrl: redis.url });
  t.equal(app.scheduler.kind, 'bullmq');
  const url = await app.app.listen({ port: 0, host: '127.0.0.1' });
  const primary = await live(url, app.token('officer', WANGBA, 'officer-wangba-1'));
  const countyHead = await live(url, app.token('head', KANG, 'head-kang'));
  t.teardown(() => (primary.close(), countyHead.close()));

  const a = await fileReport(app);
  await primary.next((f) => f.type === 'alert' && f.reportId === a && f.step === 0);
  await redis.stop(); // step 1 of report a was a delayed job in Redis: gone
  t.equal((await app.call('GET', '/ready')).statusCode, 503, 'readiness says Redis is gone');
  const b = await fileReport(app, HEJIAGOU); // intake goes on without Redis
  t.ok(b, 'a report filed while Redis is down is accepted');

  await redis.start(); // empty
  await primary.next((f) => f.type === 'alert' && f.reportId === a && f.step === 1);
  await primary.next((f) => f.type === 'alert' && f.reportId === b && f.step === 0);
  await countyHead.next((f) => f.type === 'alert' && f.reportId === a && f.step === 2);
  primary.send({ type: 'ack', reportId: a });
  primary.send({ type: 'ack', reportId: b });
  await primary.next((f) => f.type === 'acknowledged' && f.reportId === a);
  await primary.next((f) => f.type === 'acknowledged' && f.reportId === b);
  await app.runner.caughtUp();
  const stepsA = await raisedSteps(app, a);
  const stepsB = await raisedSteps(app, b);
  t.same(stepsA, stepsA.map((_, i) => i), `report a: each step once (${stepsA.join(',')})`);
  t.same(stepsB, stepsB.map((_, i) => i), `report b: each step once (${stepsB.join(',')})`);
  t.ok(stepsA.length >= 3 && stepsB.length >= 1);
  const frames = primary.alerts().filter((f) => f.reportId === a).map((f) => f.step);
  t.same(frames, stepsA, 'the officer got each of them once');
});

t.test('the server restarts mid-escalation: the next step fires once, from the log', async (t) => {
  const dataDir = testDir(t);
  const first = await startTestApp(t, { alerting: true, escalationDelayMs: 300, dataDir });
  const firstUrl = await first.app.listen({ port: 0, host: '127.0.0.1' });
  const client = await live(firstUrl, first.token('officer', WANGBA, 'officer-wangba-1'));
  const reportId = await fileReport(first);
  await client.next((f) => f.type === 'alert' && f.reportId === reportId && f.step === 0);
  client.close();
  await first.close(); // its timers die with it

  const second = await startTestApp(t, { alerting: true, escalationDelayMs: 300, dataDir });
  const url = await second.app.listen({ port: 0, host: '127.0.0.1' });
  const again = await AlertClient.connect(url, second.token('officer', WANGBA, 'officer-wangba-1'));
  t.teardown(() => again.close());
  await again.next((f) => f.type === 'hello');
  again.send({ type: 'resume', after: '' });
  await again.next((f) => f.type === 'alert' && f.reportId === reportId && f.step === 1);
  again.send({ type: 'ack', reportId });
  await again.next((f) => f.type === 'acknowledged' && f.reportId === reportId);
  await second.runner.caughtUp();
  const steps = await raisedSteps(second, reportId);
  t.same(steps, steps.map((_, i) => i), `each step once (${steps.join(',')})`);
  t.same(again.alerts().filter((f) => f.reportId === reportId).map((f) => f.step), steps, 'resumed from the start: every alert once, in order');
});
