import { existsSync, statSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import t from 'tap';
import { SqliteSnapshotStore, type Snapshot } from '../../infra/snapshots.js';
import { testDir } from '../support/dirs.js';

/** A snapshot whose state is `rows` report-like rows: big enough that its write takes a while. */
function snapshotOf(rows: number, checkpoint = '0000000000000042'): Snapshot & { states: { reports: { version: number; state: { rows: Map<string, { village: string; n: number }> } } } } {
  const state = { rows: new Map(Array.from({ length: rows }, (_, i) => [`r-${i}`, { village: '621299103201', n: i }])) };
  return { checkpoint, checkpointHash: 'h'.repeat(64), takenAt: '2026-12-04T00:00:00.000Z', events: rows, states: { reports: { version: 1, state } } };
}

t.test('a save is taken when it is called, written off the event loop, and read back whole', async (t) => {
  const file = join(testDir(t), 'projections.sqlite');
  const store = new SqliteSnapshotStore(file);
  t.teardown(() => store.close());
  const snapshot = snapshotOf(50_000);
  let ticks = 0;
  const ticking = setInterval(() => ticks++, 0);
  const written = store.save(snapshot);
  // The states change the moment save returns (the node goes on applying events): what is written
  // is what they were.
  snapshot.states.reports.state.rows.set('r-after', { village: 'x', n: -1 });
  snapshot.states.reports.state.rows.get('r-0')!.n = 999;
  await written;
  clearInterval(ticking);
  t.ok(ticks > 0, `the event loop ran while it was written (${ticks} timer turns)`);
  const back = store.load()!.states as typeof snapshot.states;
  t.equal(back.reports.state.rows.size, 50_000, 'every row, none added after');
  t.same(back.reports.state.rows.get('r-0'), { village: '621299103201', n: 0 }, 'as it was when saved');
});

t.test('close waits for a write under way: the next start finds it', async (t) => {
  // A process stopping right after its last snapshot (a node's stop, `cli replay`) must leave it on disk.
  const file = join(testDir(t), 'projections.sqlite');
  const store = new SqliteSnapshotStore(file);
  const written = store.save(snapshotOf(100_000, '0000000000000007'));
  await store.close();
  await t.resolves(written, 'the write was waited for, and said so');
  const again = new SqliteSnapshotStore(file);
  t.teardown(() => again.close());
  t.notOk(existsSync(`${file}-wal`) && statSync(`${file}-wal`).size > 0, 'both connections closed: the WAL is in the file');
  t.equal(again.load()?.checkpoint, '0000000000000007');
  t.equal((again.load()!.states as ReturnType<typeof snapshotOf>['states']).reports.state.rows.size, 100_000);
  await t.rejects(store.save(snapshotOf(1)), /closed/, 'a closed store takes no more');
});

t.test('a write that fails rejects with its reason, and the store goes on', async (t) => {
  const file = join(testDir(t), 'projections.sqlite');
  const store = new SqliteSnapshotStore(file);
  t.teardown(() => store.close());
  // The table taken away under it (a file someone replaced): the INSERT on the writer thread fails.
  const other = new Database(file);
  other.exec('ALTER TABLE snapshot RENAME TO gone');
  await t.rejects(store.save(snapshotOf(10)), /writing the projection snapshot: no such table: snapshot/);
  other.exec('ALTER TABLE gone RENAME TO snapshot');
  other.close();
  await store.save(snapshotOf(10, '0000000000000009'));
  t.equal(store.load()?.checkpoint, '0000000000000009', 'the next one is written');
  await store.clear();
  t.equal(store.load(), undefined, 'cleared');
  t.throws(() => store.save({ ...snapshotOf(1), states: { bad: { version: 1, state: () => 1 } } }), 'states that cannot be serialized throw at once, on the caller');
});
