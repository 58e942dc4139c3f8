/**
 * SPEC §10 "replay": every projection of the registry rebuilt from 1,000,000 events of a
 * realistic mix in ≤ 8 s and ≤ 1 GB RSS, beside a bare read of the same log (bench/read-log.ts)
 * in a process of its own: the ratio is what the projections cost on top of reading.
 *
 * The mix, per report: filed; alerted (one in ten alerted again); acknowledged; half amended, half
 * dispatched; three in five verified household by household (1–5 households), and for those an
 * allocation claimed, allocated, approved and delivered in one or two parts; one in twenty
 * dismissed. Every event is valid against the catalog and written through the store, hashed and
 * chained. Then a node is started on the log twice — from the snapshot `cli replay` leaves, and
 * with no snapshot — and the time to `/ready` of each is measured (issue 10: a restart must not
 * replay the log).
 */
import { execFileSync, spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { parseEvent, SCHEMA_VERSION, type EventType } from '../domain/events.js';
import { SqliteEventStore } from '../infra/eventstore/sqlite.js';
import type { NewEvent } from '../infra/eventstore/types.js';
import { DEMO_UNITS } from '../services/demo.js';
import { unitRegisterDecider } from '../domain/unit-register.js';
import { cliArgs, NODE_FLAGS, SERVER_NODE_FLAGS, figure, fmt, freePort, ratioOf, report, scratchDir } from './support.js';

const EVENTS = Number(process.env.REPLAY_EVENTS ?? 1_000_000);
const VILLAGES = Array.from({ length: 40 }, (_, i) => `6212241${String(3 + (i % 8)).padStart(2, '0')}2${String(i).padStart(2, '0')}`);
const root = join(import.meta.dirname, '..');

let clock = Date.UTC(2026, 6, 1);
const meta = (type: EventType, role: string) => ({
  actor: { id: `u-${role}-1`, role },
  at: new Date((clock += 250)).toISOString(),
  correlationId: randomUUID(),
  schemaVersion: SCHEMA_VERSION[type],
});
const event = (type: EventType, data: unknown, role: string): NewEvent => {
  parseEvent(type, data); // the log holds only what the catalog admits
  return { type, data, metadata: meta(type, role) };
};

/** One report's streams: the report's, and its allocations' (written after it). */
function reportWrites(n: number): Array<{ stream: string; events: NewEvent[] }> {
  const reportId = randomUUID();
  const village = VILLAGES[n % VILLAGES.length]!;
  const recipients = ['u-officer-1', 'u-officer-2'];
  const policy = { delayMs: 600_000, steps: [recipients, [...recipients, 'head@621224103']] };
  const report: NewEvent[] = [
    event('ReportFiled', { reportId, village, hazard: n % 3 ? 'landslide' : 'hail', observedAt: new Date(clock).toISOString(), directions: '沿县道X412往北，过桥后左转上山约2公里', reporter: { id: 'u-contact-1', name: '王建国', phone: '13800000000' }, estimate: { affectedPeople: n % 50, roomsCollapsed: n % 3 } }, 'contact'),
    event('AlertRaised', { step: 0, recipients, reason: 'filed', policy }, 'system'),
  ];
  if (n % 10 === 0) report.push(event('AlertRaised', { step: 1, recipients: policy.steps[1], reason: 'unacknowledged', policy }, 'system'));
  report.push(event('AlertAcknowledged', { by: 'u-officer-1' }, 'officer'));
  report.push(n % 2 ? event('ReportAmended', { estimate: { affectedPeople: (n % 50) + 3 } }, 'contact') : event('OfficerDispatched', { officer: 'u-officer-1' }, 'officer'));
  const writes = [{ stream: `report-${reportId}`, events: report }];
  if (n % 20 === 7) {
    report.push(event('ReportDismissed', { reason: 'false_alarm' }, 'officer'));
  } else if (n % 5 < 3) {
    const households = Array.from({ length: 1 + (n % 5) }, (_, i) => ({ householdId: `${village}-${String(n % 400).padStart(3, '0')}-${i}`, name: `张${i}明`, damage: (['collapsed', 'severe', 'moderate', 'none'] as const)[i % 4], people: 3 + i }));
    // Figures no lower than the household list makes them (the report decider refuses less).
    const damaged = households.filter((h) => h.damage !== 'none');
    const figures = { affectedPeople: damaged.reduce((p, h) => p + h.people, 0) + (n % 40), roomsCollapsed: households.filter((h) => h.damage === 'collapsed').length + (n % 2) };
    report.push(event('DamageVerified', { verifier: 'u-officer-1', figures, households, method: '入户核查' }, 'officer'));
    const allocationId = randomUUID();
    report.push(event('ReliefClaimed', { allocationId, householdId: households[0]!.householdId, category: 'emergency_living' }, 'officer'));
    const allocation = [
      event('ReliefAllocated', { allocationId, reportId, village, household: { id: households[0]!.householdId, name: households[0]!.name }, category: 'emergency_living', cashFen: 200_000, goods: [{ item: '大米', quantity: 25, unit: '公斤' }], fund: 'SP-2026-01', allocatedBy: 'u-officer-1' }, 'officer'),
      event('AllocationApproved', { approvedBy: 'u-head-1' }, 'head'),
      event('GoodsDelivered', { deliveryId: randomUUID(), deliveredBy: 'u-officer-1', cashFen: 100_000, goods: [{ item: '大米', quantity: 25, unit: '公斤' }], confirmation: { method: 'thumbprint', reference: 'P-1' } }, 'officer'),
    ];
    if (n % 2) allocation.push(event('GoodsDelivered', { deliveryId: randomUUID(), deliveredBy: 'u-officer-1', cashFen: 100_000, goods: [], confirmation: { method: 'signature', reference: 'P-2' } }, 'officer'));
    writes.push({ stream: `allocation-${allocationId}`, events: allocation });
  }
  return writes;
}

const child = (args: string[], env: Record<string, string> = {}) =>
  JSON.parse(execFileSync(process.execPath, [...NODE_FLAGS, ...cliArgs(args)], { encoding: 'utf8', env: { ...process.env, ...env }, maxBuffer: 1 << 24 }).trim().split('\n').pop()!) as Record<string, unknown>;

/** Starts the node on `dataDir` and measures the time from spawn until GET /ready answers 200. */
async function timeToReady(dataDir: string): Promise<{ seconds: number; rssMb: number; startedFrom: string | null }> {
  const port = await freePort();
  const started = performance.now();
  const node = spawn(process.execPath, [...SERVER_NODE_FLAGS, join(root, 'bin/server.mjs')], {
    env: { ...process.env, DATA_DIR: dataDir, PORT: String(port), LOG_LEVEL: 'warn' },
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  try {
    for (;;) {
      try {
        const res = await fetch(`http://127.0.0.1:${port}/ready`);
        if (res.status === 200) {
          const seconds = (performance.now() - started) / 1000;
          const body = (await res.json()) as { projections: { startedFrom: string | null } };
          const rss = Number(execFileSync('ps', ['-o', 'rss=', '-p', String(node.pid)], { encoding: 'utf8' }).trim()) / 1000;
          return { seconds, rssMb: Math.round(rss), startedFrom: body.projections.startedFrom };
        }
      } catch {
        // not listening yet
      }
      await new Promise((resolve) => setTimeout(resolve, 25));
    }
  } finally {
    node.kill('SIGKILL');
  }
}

/**
 * Writes the realistic mix to a new SQLite store at `file` until it holds `events` events: forty
 * writers, each appending one report's streams at a time (group commit batches them). Also the
 * log of bench/verify.bench.ts, and (with Gansu's register) the one bench/intake.bench.ts files into.
 */
export async function writeLog(file: string, events: number, units: ReadonlyArray<{ code: string; name: string }> = DEMO_UNITS): Promise<number> {
  const store = new SqliteEventStore({ file });
  const started = performance.now();
  const register = unitRegisterDecider.decide({ type: 'ImportUnits', data: { units: [...units] }, now: new Date(clock).toISOString() }, unitRegisterDecider.initialState());
  await store.append('units', register.map((e) => event(e.type, e.data, 'admin')), 'no_stream');
  let written = 0;
  let next = 0;
  await Promise.all(
    Array.from({ length: 40 }, async () => {
      while (written < events) {
        for (const { stream, events: batch } of reportWrites(next++)) {
          await store.append(stream, batch, 'no_stream');
          written += batch.length;
        }
      }
    }),
  );
  await store.close();
  console.log(`log written: ${fmt(written)} events (${fmt(next)} reports, a realistic mix) in ${((performance.now() - started) / 1000).toFixed(1)} s`);
  return written;
}

export async function run(): Promise<void> {
  // REPLAY_KEEP=1 keeps the log for profiling (the path is printed).
  const scratch = scratchDir('replay');
  if (process.env.REPLAY_KEEP) scratch.remove = () => console.log(`log kept in ${scratch.dir}`);
  try {
    const file = join(scratch.dir, 'events.sqlite');
    await writeLog(file, EVENTS);

    // The store's global read of this log (the replay's baseline: the log read, nothing projected),
    // and, as its own baseline, the plainest single-threaded loop over the same records.
    const read = child([join(root, 'bench/read-log.ts'), 'zhitong', file]) as { events: number; seconds: number };
    console.log(`bare read, fresh process: ${fmt(read.events)} events in ${read.seconds.toFixed(2)} s (${fmt(read.events / read.seconds)} events/s)`);
    const loop = child([join(root, 'bench/read-log.ts'), 'bare', file]) as { events: number; seconds: number };
    console.log(`bare better-sqlite3 loop with JSON.parse, fresh process: ${fmt(loop.events)} events in ${loop.seconds.toFixed(2)} s (${fmt(loop.events / loop.seconds)} events/s)`);
    if (loop.events !== read.events) throw new Error(`the loop read ${loop.events} events, the store ${read.events}`);
    const replay = child([join(root, 'services/cli.ts'), 'replay'], { DATA_DIR: scratch.dir }) as {
      events: number;
      seconds: number;
      rssMb: number;
      quarantined: number;
      projections: unknown;
    };
    console.log(
      `cli replay, fresh process: ${fmt(replay.events)} events in ${replay.seconds.toFixed(2)} s (${fmt(replay.events / replay.seconds)} events/s), RSS ${replay.rssMb} MB, ${replay.quarantined} quarantined; ${JSON.stringify(replay.projections)}`,
    );
    const fromSnapshot = await timeToReady(scratch.dir);
    console.log(`node restart, from the snapshot: ready in ${fromSnapshot.seconds.toFixed(2)} s, RSS ${fromSnapshot.rssMb} MB (started from ${fromSnapshot.startedFrom})`);
    rmSync(join(scratch.dir, 'projections.sqlite'), { force: true });
    rmSync(join(scratch.dir, 'projections.sqlite-wal'), { force: true });
    rmSync(join(scratch.dir, 'projections.sqlite-shm'), { force: true });
    const fromScratch = await timeToReady(scratch.dir);
    console.log(`node restart, no snapshot (replays the log): ready in ${fromScratch.seconds.toFixed(2)} s, RSS ${fromScratch.rssMb} MB`);
    figure({ figure: `every projection rebuilt from ${fmt(replay.events)} events`, ours: `${replay.seconds.toFixed(2)} s, ${replay.rssMb} MB RSS`, baseline: `bare read ${read.seconds.toFixed(2)} s`, ratio: ratioOf(read.seconds, replay.seconds), target: '≤ 8 s, ≤ 1 GB', met: replay.seconds <= 8 && replay.rssMb <= 1000 });
    // SPEC §10 puts the global read in this row: the log of 1,000,000 events of a realistic mix.
    const readRate = read.events / read.seconds;
    figure({
      figure: `global read of that log (${fmt(read.events)} events, a realistic mix), fresh process`,
      ours: `${fmt(readRate)} events/s`,
      baseline: `better-sqlite3 loop + JSON.parse ${fmt(loop.events / loop.seconds)}/s`,
      ratio: ratioOf(readRate, loop.events / loop.seconds),
      target: '≥ 400,000 events/s',
      met: readRate >= 400_000,
    });
    figure({ figure: 'node restart on that log', ours: `ready in ${fromSnapshot.seconds.toFixed(2)} s (snapshot)`, baseline: `${fromScratch.seconds.toFixed(2)} s replaying`, ratio: ratioOf(fromScratch.seconds, fromSnapshot.seconds), target: 'no replay of the log', met: fromSnapshot.startedFrom !== null });
    report({
      bench: 'replay',
      value: Math.round(replay.events / replay.seconds),
      unit: `events/s, every projection rebuilt in a fresh process (${fmt(replay.events)} events in ${replay.seconds.toFixed(2)} s, RSS ${replay.rssMb} MB; target ≤ 8 s, ≤ 1 GB)`,
      baseline: Math.round(read.events / read.seconds),
      globalReadEventsPerSec: Math.round(readRate),
      loopReadEventsPerSec: Math.round(loop.events / loop.seconds),
      replaySeconds: replay.seconds,
      events: replay.events,
      rssMb: replay.rssMb,
      readySecondsFromSnapshot: Math.round(fromSnapshot.seconds * 100) / 100,
      readySecondsWithoutSnapshot: Math.round(fromScratch.seconds * 100) / 100,
    });
  } finally {
    scratch.remove();
  }
}
