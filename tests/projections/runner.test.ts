import { join } from 'node:path';
import Database from 'better-sqlite3';
import t from 'tap';
import { beijingTime } from '../../domain/time.js';
import { createLogger } from '../../infra/logging.js';
import { logPages } from '../../infra/eventstore/pages.js';
import { SqliteSnapshotStore } from '../../infra/snapshots.js';
import { SqliteEventStore } from '../../infra/eventstore/sqlite.js';
import type { RecordedEvent } from '../../infra/eventstore/types.js';
import { PROJECTIONS } from '../../projections/index.js';
import { ProjectionRunner, SNAPSHOT_LONGEST_WAIT_INTERVALS, SNAPSHOT_QUIET_MS } from '../../services/projection-runner.js';
import { HEJIAGOU, KANG, LIJIA, WANGBA, ZHUJIAGOU, allocationBody, reportBody, startTestApp, verificationBody, type TestApp } from '../support/app.js';
import { testDir } from '../support/dirs.js';

/** Some of everything, through the API: what the read side is built from. */
async function activity(app: TestApp, rounds = 3) {
  const officer = app.token('officer', '621299', 'officer-county');
  const head = app.token('head', '621299', 'head-county');
  const positions: string[] = [];
  for (let i = 0; i < rounds; i++) {
    for (const village of [LIJIA, HEJIAGOU, ZHUJIAGOU]) {
      const filed = await app.call('POST', '/reports', { token: app.token('contact', village), body: reportBody({ village, estimate: { affectedPeople: 3 + i, roomsCollapsed: i } }) });
      const { reportId } = filed.json();
      positions.push(filed.json().position);
      positions.push((await app.call('POST', `/reports/${reportId}/amendments`, { token: officer, body: { estimate: { affectedPeople: 10 + i } } })).json().position);
      if (village !== HEJIAGOU) {
        positions.push((await app.call('POST', `/reports/${reportId}/verifications`, { token: officer, body: verificationBody() })).json().position);
        const allocation = await app.call('POST', '/allocations', { token: officer, body: allocationBody(reportId, { cashFen: 10_000 * (i + 1) }) });
        positions.push(allocation.json().position);
        positions.push((await app.call('POST', `/allocations/${allocation.json().allocationId}/approval`, { token: head, body: {} })).json().position);
      } else if (i === 1) {
        positions.push((await app.call('POST', `/reports/${reportId}/dismissal`, { token: officer, body: { reason: 'false_alarm' } })).json().position);
      }
    }
  }
  return positions;
}

t.test('determinism: every projection rebuilt from the log into a fresh runner equals the live one, field by field', async (t) => {
  const app = await startTestApp(t, { alerting: true });
  await activity(app);
  await app.runner.caughtUp();
  const fresh = new ProjectionRunner(app.store, createLogger('silent'));
  for await (const page of logPages(app.store)) fresh.apply(page);
  for (const p of PROJECTIONS) t.same(fresh.state(p.name), app.runner.state(p.name), `${p.name}: the same`);
  t.equal(fresh.checkpoint, app.runner.checkpoint);
});

t.test('a restart reads the snapshot and applies only what came after; a snapshot of another log is not used', async (t) => {
  const root = testDir(t);
  const dataDir = join(root, 'one');
  const first = await startTestApp(t, { dataDir });
  await activity(first, 1);
  await first.runner.caughtUp();
  // Closing seals the log (one more event, in the seals projection) and then writes the snapshot.
  const before = Object.fromEntries(PROJECTIONS.filter((p) => p.name !== 'seals').map((p) => [p.name, structuredClone(first.runner.state(p.name))]));
  await first.close();
  const peek = new SqliteEventStore({ file: join(dataDir, 'events.sqlite') });
  const head = await peek.headPosition();
  await peek.close();

  const second = await startTestApp(t, { dataDir });
  t.equal(second.runner.status().startedFrom, head, 'started from the snapshot\u2019s checkpoint (the log\u2019s head, the shutdown seal included), not from the start of the log');
  for (const p of PROJECTIONS) if (p.name !== 'seals') t.same(second.runner.state(p.name), before[p.name], `${p.name}: as it was`);
  t.equal(second.runner.state('seals').count, 1, 'the shutdown seal is in the snapshot');
  // What comes after is applied on top.
  const { reportId, position } = (await second.call('POST', '/reports', { token: second.token('contact', LIJIA), body: reportBody() })).json();
  const listed = (await second.call('GET', `/reports?position=${position}`, { token: second.token('head', KANG) })).json();
  t.equal(listed.items[0].reportId, reportId);
  await second.close();

  // The log replaced by another one (a restore gone wrong, a copied directory): the snapshot is
  // refused and the projections are rebuilt from the log there is.
  const other = join(root, 'other');
  const third = await startTestApp(t, { dataDir: other });
  await third.close();
  const snapshots = new SqliteSnapshotStore(join(other, 'projections.sqlite'));
  const foreignStore = new SqliteSnapshotStore(join(dataDir, 'projections.sqlite'));
  const foreign = foreignStore.load()!;
  await foreignStore.close();
  await snapshots.save(foreign);
  await snapshots.close();
  const fourth = await startTestApp(t, { dataDir: other });
  t.equal(fourth.runner.status().startedFrom, null, 'rebuilt from the log');
  t.equal(fourth.runner.state('reports').rows.size, 0, 'nothing of the other log');
});

/**
 * A node that took a snapshot after some activity and had `roundsAfter` more rounds after it, and
 * `restart`, which starts a second node on the same data directory (as a node restarted after a
 * crash would) and waits until it caught up.
 */
async function snapshotted(t: Parameters<typeof startTestApp>[0], roundsAfter: number) {
  const dataDir = testDir(t);
  const app = await startTestApp(t, { dataDir });
  await activity(app, 1);
  await app.runner.caughtUp();
  t.ok(app.runner.snapshot(), 'taken');
  // The write goes on off the event loop; a node that died before it was durable would replay more.
  t.equal(await app.runner.snapshotWrite, true, 'and written');
  if (roundsAfter > 0) {
    await activity(app, roundsAfter);
    await app.runner.caughtUp();
  }
  const restart = async () => {
    const restarted = await startTestApp(t, { dataDir });
    await restarted.runner.caughtUp();
    return restarted;
  };
  return { app, restart };
}

t.test('a restart on a log the snapshot does not know the end of: the extra events are applied, nothing replayed twice', async (t) => {
  const { app, restart } = await snapshotted(t, 1);
  const live = Object.fromEntries(PROJECTIONS.map((p) => [p.name, structuredClone(app.runner.state(p.name))]));
  const restarted = await restart();
  t.not(restarted.runner.status().startedFrom, null, 'from the snapshot');
  for (const p of PROJECTIONS) t.same(restarted.runner.state(p.name), live[p.name], `${p.name}: snapshot plus the rest equals live`);
  t.equal(restarted.runner.checkpointAt, app.runner.checkpointAt, 'and knows when its checkpoint\u2019s event was recorded');
  t.type(restarted.runner.checkpointAt, 'string');
});

t.test('a node started from a snapshot with nothing after it says when its checkpoint\u2019s event was recorded', async (t) => {
  const { app, restart } = await snapshotted(t, 0);
  const restarted = await restart();
  t.equal(restarted.runner.status().startedFrom, app.runner.checkpoint, 'from the snapshot, at the head');
  t.equal(restarted.runner.checkpoint, app.runner.checkpoint, 'nothing after it');
  t.type(restarted.runner.checkpointAt, 'string');
  t.equal(restarted.runner.checkpointAt, app.runner.checkpointAt, 'the time its checkpoint\u2019s event was recorded, read from the log');
  const head = restarted.token('head', KANG);
  t.equal((await restarted.call('GET', `/tallies?unit=${KANG}`, { token: head })).json().asOf.at, app.runner.checkpointAt, 'and the live tally says so');
});

t.test('asOf: exactly what the live tally said at each of several moments, by position and by time', async (t) => {
  const app = await startTestApp(t);
  const head = app.token('head', KANG);
  const moments: Array<{ position: string; at: string; answer: unknown }> = [];
  for (let i = 0; i < 4; i++) {
    await activity(app, 1);
    await app.runner.caughtUp();
    const live = (await app.call('GET', `/tallies?unit=${KANG}`, { token: head })).json();
    const at = new Date().toISOString();
    moments.push({ position: live.asOf.position, at, answer: live });
    // Times are kept to the millisecond: the next write must fall in a later one than `at`.
    while (Date.now() <= Date.parse(at));
  }
  await activity(app, 1); // later writes, which no asOf below may see
  for (const [i, m] of moments.entries()) {
    const byPosition = (await app.call('GET', `/tallies?unit=${KANG}&asOf=${m.position}`, { token: head })).json();
    const { asOf: _a, ...rest } = byPosition;
    const { asOf: _b, ...expected } = m.answer as Record<string, unknown>;
    t.same(rest, expected, `moment ${i}: by position`);
    t.equal(byPosition.asOf.position, m.position);
    t.equal(byPosition.asOf.requested, m.position, 'the answer says what was asked');
    t.equal((m.answer as { asOf: { at: string | null } }).asOf.at, byPosition.asOf.at, 'the live tally said when its last event was recorded, as the replay to its position does');
    t.type(byPosition.asOf.at, 'string');
    const byTime = (await app.call('GET', `/tallies?unit=${KANG}&asOf=${encodeURIComponent(m.at)}`, { token: head })).json();
    const { asOf: at, ...restByTime } = byTime;
    t.same(restByTime, expected, `moment ${i}: by time`);
    t.equal(at.position, m.position, 'the last event at or before that time');
    t.equal(at.requested, m.at, 'the time asked for, as a UTC instant');
    t.equal(at.requestedLocal, beijingTime(m.at), 'and in Beijing time');
    t.equal(at.atLocal, beijingTime(at.at), 'the last event\u2019s time in Beijing time');
    t.equal(byPosition.asOf.requestedLocal, null, 'a position has no Beijing time');
  }
  t.equal((await app.call('GET', `/tallies?asOf=yesterday`, { token: head })).statusCode, 400);
  const before = (await app.call('GET', `/tallies?unit=${KANG}&asOf=2020-01-01T00:00:00Z`, { token: head })).json();
  t.same(before.reports.total, 0, 'before anything happened');
  t.same(before.asOf, { requested: '2020-01-01T00:00:00.000Z', requestedLocal: '2020-01-01T08:00:00+08:00', position: null, at: null, atLocal: null }, 'no event is in it');
  const live = (await app.call('GET', `/tallies?unit=${KANG}`, { token: head })).json();
  t.equal(live.asOf.requested, null, 'the live tally asked for no point');
  t.equal(before.unit.name, '康县（示例）', 'a unit registered later is still named, not shown as its code');
});

t.test('?position= after a write on the other node sees that write, on every list and tally; past the head it is 400, not a 503 to retry for ever', async (t) => {
  const dataDir = testDir(t);
  const a = await startTestApp(t, { dataDir });
  const b = await startTestApp(t, { dataDir });
  const officer = a.token('officer', WANGBA, 'officer-wangba-1');
  const head = a.token('head', KANG, 'head-kang');
  const filed = await a.call('POST', '/reports', { token: a.token('contact', LIJIA), body: reportBody({ estimate: { affectedPeople: 77 } }) });
  const { reportId, position } = filed.json();
  const verified = await a.call('POST', `/reports/${reportId}/verifications`, { token: officer, body: verificationBody() });
  const allocated = await a.call('POST', '/allocations', { token: officer, body: allocationBody(reportId) });
  const opened = await a.call('POST', '/incidents', { token: head, body: { county: KANG, hazard: 'landslide', startedAt: new Date().toISOString(), title: '过程' } });
  const last = opened.json().position;
  const reads: Array<[string, (body: Record<string, unknown>) => boolean]> = [
    [`/reports?position=${position}`, (body) => (body.items as Array<{ reportId: string }>).some((r) => r.reportId === reportId)],
    [`/tallies?unit=${LIJIA}&position=${position}`, (body) => (body.reported as { affectedPeople?: number }).affectedPeople === 77],
    [`/allocations?position=${allocated.json().position}`, (body) => (body.items as unknown[]).length === 1],
    [`/households/${LIJIA}/hh-1?position=${verified.json().position}`, (body) => body.householdId === 'hh-1'],
    [`/relief/missed?position=${allocated.json().position}`, (body) => (body.items as Array<{ householdId: string }>).some((h) => h.householdId === 'hh-2')],
    [`/incidents?position=${last}`, (body) => (body.items as unknown[]).length === 1],
    [`/notices/${LIJIA}?position=${last}`, (body) => Array.isArray(body.items)],
  ];
  for (const [url, sees] of reads) {
    const res = await b.call('GET', url, { token: head });
    t.equal(res.statusCode, 200, url);
    t.ok(sees(res.json()), `${url.split('?')[0]} on the other node sees the write`);
  }
  const ahead = await b.call('GET', `/reports?position=${Number(last) + 1000}`, { token: head });
  t.equal(ahead.statusCode, 400);
  t.match(ahead.json(), { error: 'validation', details: [{ path: 'querystring.position', message: /超出日志末尾/ }] });
  t.equal((await b.call('GET', '/reports?position=abc', { token: head })).statusCode, 400);
  t.equal((await b.call('GET', `/reports/${reportId}?position=${position}`, { token: head })).statusCode, 200, 'a single report takes it too');
});

t.test('a damaged snapshot file is not fatal: the node rebuilds from the log', async (t) => {
  const dataDir = testDir(t);
  const app = await startTestApp(t, { dataDir });
  await activity(app, 1);
  await app.close();
  const db = new Database(join(dataDir, 'projections.sqlite'));
  db.prepare('UPDATE snapshot SET states = ? WHERE id = 1').run(Buffer.from('not v8'));
  db.close();
  const again = await startTestApp(t, { dataDir });
  t.equal(again.runner.status().startedFrom, null);
  await again.runner.caughtUp();
  t.equal(again.runner.state('reports').rows.size, 3);
});

t.test('a periodic snapshot waits for a quiet moment, and a node that is never quiet still writes one', async (t) => {
  const app = await startTestApp(t, {});
  await activity(app, 1);
  const events: RecordedEvent[] = [];
  for await (const page of logPages(app.store)) events.push(...page);
  t.ok(events.length >= 2 + SNAPSHOT_LONGEST_WAIT_INTERVALS, 'enough events to apply one at a time');
  const snapshots = new SqliteSnapshotStore(join(testDir(t), 'projections.sqlite'));
  t.teardown(() => snapshots.close());
  let clock = 0;
  const every = 60_000;
  const runner = new ProjectionRunner(app.store, createLogger('silent'), { snapshots, snapshotEveryMs: every, clock: () => clock });
  const applyAt = (ms: number) => {
    clock = ms;
    runner.apply([events.shift()!]);
  };
  const dueAt = (ms: number) => {
    clock = ms;
    return runner.snapshotIfDue();
  };

  applyAt(10);
  t.equal(dueAt(100), false, 'not yet an interval since the start');
  applyAt(every - 500);
  t.equal(dueAt(every), false, 'due, but an event was applied 500 ms ago: it waits');
  t.equal(dueAt(every - 500 + SNAPSHOT_QUIET_MS - 1), false, 'still not quiet for a whole second');
  t.equal(snapshots.load(), undefined, 'nothing written while busy');
  const written = every - 500 + SNAPSHOT_QUIET_MS;
  t.equal(dueAt(written), true, 'a quiet second: written');
  t.equal(await runner.snapshotWrite, true);
  t.equal(snapshots.load()?.checkpoint, runner.checkpoint, 'with the checkpoint of the last event applied');
  t.equal(dueAt(written + every * 2), false, 'nothing applied since: nothing to write');

  // A burst that never pauses for a second: at every check, an event was applied 500 ms before.
  for (let k = 1; k < SNAPSHOT_LONGEST_WAIT_INTERVALS; k++) {
    applyAt(written + k * every - 500);
    t.equal(dueAt(written + k * every), false, `busy, ${k} interval(s) since the last: waits`);
  }
  applyAt(written + SNAPSHOT_LONGEST_WAIT_INTERVALS * every - 500);
  t.equal(dueAt(written + SNAPSHOT_LONGEST_WAIT_INTERVALS * every), true, `busy, but ${SNAPSHOT_LONGEST_WAIT_INTERVALS} intervals since the last: written anyway`);
  t.equal(await runner.snapshotWrite, true);
  t.equal(snapshots.load()?.checkpoint, runner.checkpoint);
});
