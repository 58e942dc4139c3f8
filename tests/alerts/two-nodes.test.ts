import t from 'tap';
import { join } from 'node:path';
import { streams } from '../../domain/events.js';
import { SqliteEventStore } from '../../infra/eventstore/sqlite.js';
import { reportBody, WANGBA } from '../support/app.js';
import { seedDataDir, tokensFor } from '../support/operator.js';
import { startServerProcess } from '../support/process.js';
import { TestRedis } from '../support/redis.js';
import { AlertClient } from '../support/ws-client.js';
import { testDir } from '../support/dirs.js';

t.test('two API processes on one SQLite file and one Redis: each officer gets each alert once; escalation fires once', async (t) => {
  const dataDir = testDir(t);
  const redis = await TestRedis.start(t);
  await seedDataDir(dataDir);
  const env = { DATA_DIR: dataDir, REDIS_URL: redis.url, ESCALATION_DELAY_MS: '1000', LOG_LEVEL: 'info' };
  const nodeA = await startServerProcess(env);
  const nodeB = await startServerProcess(env);
  t.teardown(() => {
    nodeA.child.kill('SIGKILL');
    nodeB.child.kill('SIGKILL');
  });
  const token = tokensFor(dataDir);

  const clients = {
    primaryOnA: await AlertClient.connect(nodeA.url, token('officer', WANGBA, 'officer-wangba-1')),
    primaryOnB: await AlertClient.connect(nodeB.url, token('officer', WANGBA, 'officer-wangba-1')),
    backupOnA: await AlertClient.connect(nodeA.url, token('officer', WANGBA, 'officer-wangba-2')),
    backupOnB: await AlertClient.connect(nodeB.url, token('officer', WANGBA, 'officer-wangba-2')),
  };
  t.teardown(() => Object.values(clients).forEach((c) => c.close()));
  for (const c of Object.values(clients)) c.send({ type: 'resume', after: (await c.next((f) => f.type === 'hello')).position });

  const filed = await fetch(`${nodeA.url}/reports`, {
    method: 'POST',
    headers: { authorization: `Bearer ${token('contact', '621299103201', 'contact-lijia')}`, 'content-type': 'application/json' },
    body: JSON.stringify(reportBody()),
  });
  t.equal(filed.status, 201);
  const { reportId } = (await filed.json()) as { reportId: string };

  for (const c of [clients.primaryOnA, clients.primaryOnB]) await c.next((f) => f.type === 'alert' && f.reportId === reportId && f.step === 0);
  for (const c of [clients.backupOnA, clients.backupOnB]) await c.next((f) => f.type === 'alert' && f.reportId === reportId && f.step === 1);
  clients.backupOnB.send({ type: 'ack', reportId });
  for (const c of Object.values(clients)) await c.next((f) => f.type === 'acknowledged' && f.reportId === reportId);

  const log = new SqliteEventStore({ file: join(dataDir, 'events.sqlite'), writer: 'inline' });
  t.teardown(() => log.close());
  const raised = (await log.readStream(streams.report(reportId))).filter((e) => e.type === 'AlertRaised').map((e) => (e.data as { step: number }).step);
  t.same(raised, raised.map((_, i) => i), `each step raised once by the two nodes together (${raised.join(',')})`);
  for (const [name, c] of Object.entries(clients)) {
    const steps = c.alerts().filter((f) => f.reportId === reportId).map((f) => f.step);
    t.same(steps, [...new Set(steps)], `${name}: each alert once`);
  }
  t.same(clients.primaryOnA.alerts().map((f) => f.step), clients.primaryOnB.alerts().map((f) => f.step), 'both of the primary\u2019s devices got the same alerts');
});
