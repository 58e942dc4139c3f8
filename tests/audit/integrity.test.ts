import t from 'tap';
import { createLogger } from '../../infra/logging.js';
import { firstCheckAfterMs } from '../../services/server.js';
import { IntegrityCheck } from '../../services/audit/integrity.js';
import { startTestApp } from '../support/app.js';
import { world } from '../support/audit-world.js';

/**
 * The node verifies the log it serves (services/audit/integrity.ts): an edit made to the file behind
 * its back is said in its log, on /ready and in /metrics — found by a newcomer: a node started on a
 * tampered log said nothing. Reports are still taken.
 */

t.test('an intact log: verified, said so on /ready and in /metrics', async (t) => {
  const w = await world(t);
  t.match(await w.app.integrity.run(), { state: 'ok', problems: 0 });
  const ready = (await w.app.call('GET', '/ready')).json();
  t.match(ready.integrity, { state: 'ok', problems: 0, events: Number, checkedAt: String });
  t.equal(ready.status, 'ready');
  t.notOk('problems' in ready, 'nothing to say');
  t.match((await w.app.call('GET', '/metrics')).body, /^zhitong_log_verified 1$/m);
});

t.test('an event edited in the file: the node says so, names nothing personal, and goes on taking reports', async (t) => {
  const w = await world(t);
  w.db.prepare(`UPDATE events SET record = replace(record, '"affectedPeople":9', '"affectedPeople":90') WHERE stream = ? AND revision = 2`).run(`report-${w.reportId}`);
  const status = await w.app.integrity.run();
  t.match(status, { state: 'broken', firstProblem: { kind: 'edited', stream: `report-${w.reportId}`, revision: 2 } });
  const ready = await w.app.call('GET', '/ready');
  t.equal(ready.statusCode, 200, 'still ready: a report must not be lost because history was changed');
  t.match(ready.json().integrity, { state: 'broken', problems: Number });
  t.match(ready.json(), { status: 'degraded', problems: [/^日志校验发现 \d+ 处问题.*GET \/audit\/verify$/] }, 'not "ready" as if all were well (found by a newcomer)');
  const english = (await w.app.call('GET', '/ready', { headers: { 'accept-language': 'en' } })).json();
  t.match(english.problems, [/^the log failed verification with \d+ problem\(s\): .*GET \/audit\/verify$/], 'in English on request, and only English (found by a newcomer: both in one string)');
  t.notMatch(ready.body, w.reportId, 'an unauthenticated probe is not told which stream');
  t.match((await w.app.call('GET', '/metrics')).body, /^zhitong_log_verified 0$/m, 'for an alert rule');
  // No seal over what was left (found by a newcomer: the shutdown sealed the tampered log, and the
  // village notice printed that seal as the anchor to check against).
  const sealsBefore = w.db.prepare(`SELECT count(*) AS n FROM events WHERE stream = 'audit'`).get() as { n: number };
  t.match(await w.app.sealer.seal(), { written: false, reason: 'log_broken' }, 'the node does not seal a log it knows is broken');
  t.same(w.db.prepare(`SELECT count(*) AS n FROM events WHERE stream = 'audit'`).get(), sealsBefore, 'nothing written to the audit stream');

  // A node started on that file checks it by itself as soon as its read side is current: a small
  // log is checked at once, not ten minutes later (found by a newcomer), with VERIFY_EVERY a day.
  const lines: string[] = [];
  const logger = createLogger('info', { destination: { write: (line: string) => void lines.push(line) } });
  const second = await startTestApp(t, { dataDir: w.env.DATA_DIR!, env: { AUDIT_SIGNING_KEY_FILE: w.keyFile, VERIFY_EVERY: '1d' }, logger });
  while (second.integrity.status().state === 'pending') await new Promise((resolve) => setTimeout(resolve, 20)); // polled: a timer's tick
  t.match(second.integrity.status(), { state: 'broken', firstProblem: { kind: 'edited' } });
  const said = lines.map((l) => JSON.parse(l) as { level: number; msg: string; integrity?: Record<string, unknown> }).find((l) => l.integrity && l.level >= 50);
  t.match(said, { msg: /^日志校验未通过，历史记录可能被改动：.*\/ the log failed verification/, integrity: { kind: 'edited', stream: `report-${w.reportId}`, revision: 2 } }, 'an error line an operator reads, in Chinese first');
  t.notMatch(JSON.stringify(said), /王建国|13800000000/, 'with no name or phone from the event');
});

t.test('VERIFY_EVERY is validated at start, and 0 turns the check off', async (t) => {
  const app = await startTestApp(t, { env: { VERIFY_EVERY: '0' } });
  t.notOk(app.tasks.names().includes('integrity-check'), 'off: no task registered');
  await t.rejects(startTestApp(t, { env: { VERIFY_EVERY: 'sometimes' } }), /VERIFY_EVERY/);
});

t.test('the first check: at once for a small log, out of the start\u2019s rush for a large one; pending says when', async (t) => {
  t.equal(firstCheckAfterMs(0), 0, 'an empty log');
  t.equal(firstCheckAfterMs(100_000), 0, 'a county\u2019s years: about a second of the two cores');
  t.equal(firstCheckAfterMs(100_001), 600_000, 'a province\u2019s: ten minutes after the read side is current');
  t.equal(firstCheckAfterMs(undefined), 600_000, 'a store that cannot count its events: the larger case');
  const app = await startTestApp(t, { env: { VERIFY_EVERY: '0' } });
  const check = new IntegrityCheck(app.store, createLogger('silent'), { now: () => new Date() });
  check.firstCheckAt(new Date('2026-12-06T01:10:00Z'));
  t.same(check.status(), { state: 'pending', firstCheckAt: '2026-12-06T01:10:00.000Z' });
  t.match(await check.run(), { state: 'ok' });
  check.firstCheckAt(new Date('2026-12-07T00:00:00Z'));
  t.match(check.status(), { state: 'ok' }, 'once checked, the result stands');
});
