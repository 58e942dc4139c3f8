/**
 * Event store appends and global reads: zhitong's embedded store against
 * @event-driven-io/emmett-sqlite 0.38.5 on the same disk, in the same run, both durable
 * (WAL, synchronous=FULL: SQLite's default, which emmett keeps).
 */
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { getSQLiteEventStore } from '@event-driven-io/emmett-sqlite';
import Database from 'better-sqlite3';
import { randomUUID } from 'node:crypto';
import { SqliteEventStore } from '../infra/eventstore/sqlite.js';
import type { NewEvent } from '../infra/eventstore/types.js';
import { NODE_FLAGS, figure, fmt, forDuration, ratioOf, report, scratchDir } from './support.js';

const SECONDS = Number(process.env.BENCH_SECONDS ?? 5);
const WRITERS = 100;

const data = {
  village: '621224103201',
  hazard: 'landslide',
  observedAt: '2026-07-01T03:00:00.000Z',
  directions: '沿县道X412往北，过桥后左转上山约2公里',
  reporter: { id: 'u-contact-1', name: '王建国', phone: '13800000000' },
  estimate: { affectedPeople: 12, roomsCollapsed: 2 },
};
const metadata = { actor: { id: 'u-contact-1', role: 'contact' }, at: '2026-07-01T03:01:00.000Z', correlationId: 'bench', schemaVersion: 1 };
const ours = (): NewEvent => ({ type: 'ReportFiled', data, metadata });

/**
 * The disk's limit (SPEC §10): a bare better-sqlite3 loop writing the same rows — the same table,
 * indexes and record text as our store writes, ids and hashes made up in advance — in
 * transactions of `rowsPerCommit`, with the same durability (WAL, synchronous=FULL). Nothing else
 * runs: no hashing, no promises, no concurrency control.
 */
function bareLoop(file: string, template: string, rowsPerCommit: number, seconds: number): number {
  const db = new Database(file);
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = FULL');
  db.exec(`CREATE TABLE events (position INTEGER PRIMARY KEY, id TEXT NOT NULL UNIQUE, stream TEXT NOT NULL, revision INTEGER NOT NULL,
    type TEXT NOT NULL, hash TEXT NOT NULL, record TEXT NOT NULL, UNIQUE (stream, revision));`);
  const insert = db.prepare('INSERT INTO events (position, id, stream, revision, type, hash, record) VALUES (?, ?, ?, ?, ?, ?, ?)');
  const hash = 'a'.repeat(64);
  let position = 0;
  const commit = db.transaction((n: number) => {
    for (let i = 0; i < n; i++) {
      position += 1;
      const id = randomUUID();
      insert.run(position, id, `report-${id}`, 0, 'ReportFiled', hash, template);
    }
  });
  const started = performance.now();
  const deadline = started + seconds * 1000;
  while (performance.now() < deadline) commit(rowsPerCommit);
  const rate = position / ((performance.now() - started) / 1000);
  db.close();
  return rate;
}

/** A full read of the log in a process of its own, started as `npm run cli` starts one. */
function fullRead(kind: 'zhitong' | 'emmett', file: string): { events: number; rate: number } {
  const out = execFileSync(
    process.execPath,
    [...NODE_FLAGS, '--import=tsx', join(import.meta.dirname, 'read-log.ts'), kind, file],
    { encoding: 'utf8' },
  );
  const { events, seconds } = JSON.parse(out.trim().split('\n').pop()!) as { events: number; seconds: number };
  return { events, rate: events / seconds };
}

export async function run(): Promise<void> {
  const scratch = scratchDir('eventstore');
  try {
    // zhitong: single-event appends, 100 concurrent writers, each on its own streams.
    const store = new SqliteEventStore({ file: join(scratch.dir, 'zhitong.sqlite') });
    const single = await forDuration(WRITERS, SECONDS * 1000, (w, i) => store.append(`report-${w}-${i}`, [ours()], 'no_stream'));
    const singleRate = single.ok / single.seconds;
    console.log(`zhitong  single-event appends, ${WRITERS} writers: ${fmt(singleRate)} events/s (${fmt(single.ok)} ok, ${single.failed} failed)`);

    const batchOf = 100;
    const batch = await forDuration(10, SECONDS * 1000, (w, i) =>
      store.append(`batch-${w}-${i}`, Array.from({ length: batchOf }, ours), 'no_stream'),
    );
    const batchRate = (batch.ok * batchOf) / batch.seconds;
    console.log(`zhitong  batch appends (${batchOf} events), 10 writers: ${fmt(batchRate)} events/s (${batch.failed} failed)`);

    await store.close();
    // One of our records as the bare loop's row text, so both write the same bytes.
    const template = (new Database(join(scratch.dir, 'zhitong.sqlite'), { readonly: true }).prepare('SELECT record FROM events LIMIT 1').pluck().get() as string);
    // Our single-event appends from 100 writers are group-committed up to 100 a COMMIT; the batch
    // workload's 10 writers × 100 events, up to 1,000. The bare loop commits as many at a time.
    const bareSingle = bareLoop(join(scratch.dir, 'bare-single.sqlite'), template, WRITERS, SECONDS);
    const bareBatch = bareLoop(join(scratch.dir, 'bare-batch.sqlite'), template, 10 * batchOf, SECONDS);
    console.log(`bare better-sqlite3 loop, same rows and durability: ${fmt(bareSingle)} rows/s in commits of ${WRITERS}; ${fmt(bareBatch)} rows/s in commits of ${10 * batchOf}`);
    const read = fullRead('zhitong', join(scratch.dir, 'zhitong.sqlite'));
    console.log(`zhitong  global read, fresh process: ${fmt(read.events)} events at ${fmt(read.rate)} events/s`);

    // emmett-sqlite 0.38.5: the same workloads.
    // emmett-sqlite logs every SQLITE_BUSY it meets; the failures are counted below instead.
    const loud = { error: console.error, log: console.log, warn: console.warn };
    const lines: string[] = [];
    console.error = console.log = console.warn = () => undefined;
    const say = (line: string) => lines.push(line);
    const emmett = getSQLiteEventStore({ fileName: join(scratch.dir, 'emmett.sqlite'), schema: { autoMigration: 'CreateOrUpdate' } });
    const event = { type: 'ReportFiled', data, metadata: {} };
    await emmett.appendToStream('warmup', [event]);
    const eSingle = await forDuration(WRITERS, SECONDS * 1000, (w, i) => emmett.appendToStream(`report-${w}-${i}`, [event]));
    const eSingleRate = eSingle.ok / eSingle.seconds;
    say(
      `emmett   single-event appends, ${WRITERS} writers: ${fmt(eSingleRate)} events/s (${fmt(eSingle.ok)} ok, ${fmt(eSingle.failed)} failed${eSingle.firstError ? `: "${eSingle.firstError}"` : ''})`,
    );
    const eSerial = await forDuration(1, SECONDS * 1000, (_w, i) => emmett.appendToStream(`serial-${i}`, [event]));
    const eSerialRate = eSerial.ok / eSerial.seconds;
    say(`emmett   single-event appends, 1 writer: ${fmt(eSerialRate)} events/s (${eSerial.failed} failed)`);
    const eBatch = await forDuration(10, SECONDS * 1000, (w, i) =>
      emmett.appendToStream(`batch-${w}-${i}`, Array.from({ length: batchOf }, () => event)),
    );
    const eBatchRate = (eBatch.ok * batchOf) / eBatch.seconds;
    Object.assign(console, loud);
    for (const line of lines) console.log(line);
    console.log(`emmett   batch appends (${batchOf} events), 10 writers: ${fmt(eBatchRate)} events/s (${eBatch.failed} failed)`);
    const eRead = fullRead('emmett', join(scratch.dir, 'emmett.sqlite'));
    console.log(`emmett   global read, fresh process: ${fmt(eRead.events)} events at ${fmt(eRead.rate)} events/s (its log is what its appends managed)`);

    // Baseline: emmett's better figure for single-event appends, so that its failures under
    // concurrency do not flatter us.
    const baseline = Math.max(eSingleRate, eSerialRate);
    console.log(`ratio (single-event appends, ours ÷ emmett's best): ${(singleRate / baseline).toFixed(1)}×; batch: ${(batchRate / eBatchRate).toFixed(1)}×`);
    figure({ figure: 'durable single-event appends, 100 writers', ours: `${fmt(singleRate)} events/s`, baseline: `emmett-sqlite ${fmt(baseline)}/s`, ratio: ratioOf(singleRate, baseline), target: '≥ 40× emmett-sqlite', met: singleRate >= 40 * baseline });
    figure({ figure: 'appends against the disk\'s limit (single / batch)', ours: `${fmt(singleRate)} / ${fmt(batchRate)} events/s`, baseline: `bare better-sqlite3 ${fmt(bareSingle)} / ${fmt(bareBatch)} rows/s`, ratio: ratioOf(Math.min(singleRate / bareSingle, batchRate / bareBatch), 1), target: '≥ 0.25 of the bare loop', met: singleRate >= 0.25 * bareSingle && batchRate >= 0.25 * bareBatch });
    figure({ figure: `global read of this benchmark's log (${fmt(read.events)} ReportFiled of ~800 bytes), fresh process`, ours: `${fmt(read.rate)} events/s`, baseline: `emmett-sqlite ${fmt(eRead.rate)}/s`, ratio: ratioOf(read.rate, eRead.rate), target: '≥ 400,000 events/s', met: read.rate >= 400_000 });
    report({
      bench: 'eventstore',
      value: Math.round(singleRate),
      unit: 'events/s (durable single-event appends, 100 concurrent writers)',
      baseline: Math.round(baseline),
      batchEventsPerSec: Math.round(batchRate),
      emmettBatchEventsPerSec: Math.round(eBatchRate),
      globalReadEventsPerSec: Math.round(read.rate),
      globalReadEvents: read.events,
      emmettGlobalReadEventsPerSec: Math.round(eRead.rate),
      emmettConcurrentFailures: eSingle.failed,
      bareLoopRowsPerSec: Math.round(bareSingle),
      bareLoopBatchRowsPerSec: Math.round(bareBatch),
    });
  } finally {
    scratch.remove();
  }
}
