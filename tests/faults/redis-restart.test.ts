import t from 'tap';
import { join } from 'node:path';
import { SqliteEventStore } from '../../infra/eventstore/sqlite.js';
import { HEJIAGOU, KANG, LIJIA, ZHUJIAGOU, reportBody } from '../support/app.js';
import { startServerProcess } from '../support/process.js';
import { TestRedis } from '../support/redis.js';
import { call, kill9, seedDataDir, tokensFor, waitUntil } from './support.js';
import { testDir } from '../support/dirs.js';

const DELAY_MS = 1500;
/** Every report must have escalated at least this far (steps 0…STEPS-1) before the log is judged. */
const STEPS = 3;

interface Raised {
  step: number;
  at: number;
  position: string;
}

t.test('Redis dies mid-intake with escalations pending and comes back empty: intake goes on, every due step fires once', async (t) => {
  const dataDir = testDir(t);
  await seedDataDir(dataDir);
  const redis = await TestRedis.start(t);
  const server = await startServerProcess({ DATA_DIR: dataDir, REDIS_URL: redis.url, ESCALATION_DELAY_MS: String(DELAY_MS), RATE_LIMIT_PER_MINUTE: '1000000' });
  t.teardown(() => void server.child.kill('SIGKILL'));
  const token = tokensFor(dataDir);
  const head = token('head', KANG, 'head-kang');
  // The test reads the log itself, through its own connection to the file the server writes.
  const store = new SqliteEventStore({ file: join(dataDir, 'events.sqlite') });
  t.teardown(() => store.close());

  type Phase = 'up' | 'down' | 'back' | 'done';
  let phase: Phase = 'up';
  const filed: Array<{ reportId: string; phase: Phase }> = [];
  const refused: Array<{ phase: Phase; status: number | string; body: unknown }> = [];
  const filedIn = (p: Phase) => filed.filter((f) => f.phase === p).length;

  // Three village contacts file for the whole test. They are paced so the log (and the escalations
  // every open report keeps raising) stays small; nothing waits on the pace.
  const contact = async (village: string, sub: string) => {
    const tokenOf = token('contact', village, sub);
    for (let n = 0; phase !== 'done'; n++) {
      const during = phase;
      try {
        const res = await call(server.url, 'POST', '/reports', { token: tokenOf, body: reportBody({ village, notes: `${sub} ${n}` }) });
        if (res.status === 201) filed.push({ reportId: res.body.reportId, phase: during });
        else refused.push({ phase: during, status: res.status, body: res.body });
      } catch (error) {
        refused.push({ phase: during, status: String(error), body: null });
      }
      await new Promise((resolve) => setTimeout(resolve, 60));
    }
  };
  const intake = Promise.all([contact(LIJIA, 'contact-lijia'), contact(HEJIAGOU, 'contact-hejiagou'), contact(ZHUJIAGOU, 'contact-zhujiagou')]);

  const raised = async (reportId: string): Promise<Raised[]> =>
    (await store.readStream(`report-${reportId}`))
      .filter((e) => e.type === 'AlertRaised')
      .map((e) => ({ step: (e.data as { step: number }).step, at: Date.parse(e.metadata.at), position: e.position }));

  // Up: BullMQ runs the escalations. Redis goes once reports are waiting on delayed jobs in it.
  await waitUntil('escalations running through Redis', async () => {
    if (filed.length < 15) return undefined;
    for (const f of filed.slice(0, 5)) if ((await raised(f.reportId)).some((r) => r.step >= 1)) return true;
    return undefined;
  });
  phase = 'down';
  const pendingAtStop = filed.map((f) => f.reportId);
  await redis.stop();
  const stoppedAt = Date.now();
  await waitUntil('readiness to report Redis gone', async () => ((await call(server.url, 'GET', '/ready')).status === 503 ? true : undefined));

  // Down: intake goes on. Redis stays away until every job it held is overdue and a good number
  // of reports were filed with nowhere to schedule their next step.
  await waitUntil('intake and overdue escalations while Redis is down', () => (filedIn('down') >= 20 && Date.now() - stoppedAt > 2 * DELAY_MS ? true : undefined), 120_000);
  t.equal((await call(server.url, 'GET', '/health')).status, 200, 'the node is healthy without Redis');
  phase = 'back';
  await redis.start(); // empty, as after a crash
  await waitUntil('readiness with Redis back', async () => ((await call(server.url, 'GET', '/ready')).status === 200 ? true : undefined));
  await server.waitForLog(/redis is back/);
  await waitUntil('intake after Redis came back', () => (filedIn('back') >= 10 ? true : undefined), 120_000);
  phase = 'done';
  await intake;

  t.same(refused, [], 'no filing was refused, before, during or after the outage');
  t.ok(filedIn('down') >= 20, `${filedIn('down')} reports filed while Redis was down`);

  // Back: every report, whichever phase it was filed in, escalates; steps that fell due during
  // the outage fire once Redis is back, from the log, since the jobs Redis held are gone.
  const all = filed.map((f) => f.reportId);
  await waitUntil(
    `every report to reach step ${STEPS - 1}`,
    async () => {
      for (const id of all) if (!(await raised(id)).some((r) => r.step >= STEPS - 1)) return undefined;
      return true;
    },
    180_000,
    200,
  );
  // The head answers every one of them: escalation stops at the first acknowledgement.
  const notAcked: string[] = [];
  for (const id of all) {
    const res = await call(server.url, 'POST', `/reports/${id}/acknowledgements`, { token: head, body: {} });
    if (res.status !== 200) notAcked.push(`${id}: ${res.status} ${JSON.stringify(res.body)}`);
  }
  t.same(notAcked, [], 'every report acknowledged');
  // Each report's next step was due a delay after its last one: past the latest of those due
  // times (and one more delay, for a retried job) a step that ignored the acknowledgement would
  // be in the log.
  let lastRaise = 0;
  for (const id of all) lastRaise = Math.max(lastRaise, ...(await raised(id)).map((r) => r.at));
  await waitUntil('every step that would follow to fall due', () => (Date.now() > lastRaise + 2 * DELAY_MS + 500 ? true : undefined), 60_000, 100);
  await kill9(server);

  const lost: string[] = [];
  const twice: string[] = [];
  const early: string[] = [];
  const afterAck: string[] = [];
  let overdueFired = 0;
  for (const id of all) {
    const events = await store.readStream(`report-${id}`);
    if (events[0]?.type !== 'ReportFiled') {
      lost.push(id);
      continue;
    }
    const steps = await raised(id);
    if (JSON.stringify(steps.map((r) => r.step)) !== JSON.stringify(steps.map((_, i) => i))) twice.push(`${id}: steps ${steps.map((r) => r.step).join(',')}`);
    for (let i = 1; i < steps.length; i++) {
      // The policy raises step i a delay after step i-1 (the 1 ms is the ISO time's rounding).
      if (steps[i]!.at - steps[i - 1]!.at < DELAY_MS - 1) early.push(`${id}: step ${steps[i]!.step} ${steps[i]!.at - steps[i - 1]!.at} ms after the one before`);
      if (pendingAtStop.includes(id) && steps[i - 1]!.at < stoppedAt && steps[i]!.at > stoppedAt) overdueFired += 1;
    }
    const ack = events.findIndex((e) => e.type === 'AlertAcknowledged');
    if (ack < 0 || events.slice(ack).some((e) => e.type === 'AlertRaised')) afterAck.push(id);
  }
  t.same(lost, [], `every one of the ${all.length} filed reports is in the log`);
  t.same(twice, [], 'each report raised steps 0, 1, 2, … each exactly once');
  t.same(early, [], 'no step fired before its delay had run');
  t.same(afterAck, [], 'nothing raised after the acknowledgement');
  t.ok(overdueFired > 0, `${overdueFired} steps that were delayed jobs when Redis died fired after all`);
});
