/**
 * SPEC §10 "replay": every projection rebuilt from 1,000,000 events in ≤ 10 s. The log is a
 * county's worth of reports, each filed, alerted and acknowledged (three events, valid against
 * the event catalog), written through the store so that every event is hashed and chained. Then
 * `npm run cli -- replay` rebuilds the projections in a process of its own, and the baseline is a
 * bare read of the same log in a process of its own (bench/read-log.ts): the ratio is what the
 * projections cost on top of reading.
 */
import { execFileSync } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { join } from 'node:path';
import { parseEvent } from '../domain/events.js';
import { SqliteEventStore } from '../infra/eventstore/sqlite.js';
import type { NewEvent } from '../infra/eventstore/types.js';
import { NODE_FLAGS, fmt, report, scratchDir } from './support.js';

const EVENTS = Number(process.env.REPLAY_EVENTS ?? 1_000_000);
const VILLAGES = Array.from({ length: 40 }, (_, i) => `6212241${String(3 + (i % 8)).padStart(2, '0')}2${String(i).padStart(2, '0')}`);
const root = join(import.meta.dirname, '..');

const meta = (role: string, at: string) => ({ actor: { id: `u-${role}-1`, role }, at, correlationId: randomUUID(), schemaVersion: 1 });

function reportEvents(n: number): NewEvent[] {
  const reportId = randomUUID();
  const at = new Date(Date.UTC(2026, 6, 1) + n * 1000).toISOString();
  const recipients = ['u-officer-1', 'u-officer-2'];
  const events = [
    { type: 'ReportFiled', data: { reportId, village: VILLAGES[n % VILLAGES.length]!, hazard: 'landslide', observedAt: at, directions: '沿县道X412往北，过桥后左转上山约2公里', reporter: { id: 'u-contact-1', name: '王建国', phone: '13800000000' }, estimate: { affectedPeople: n % 50, roomsCollapsed: n % 3 } }, metadata: meta('contact', at) },
    { type: 'AlertRaised', data: { step: 0, recipients, reason: 'filed', policy: { delayMs: 600_000, steps: [recipients, ['u-head-1']] } }, metadata: meta('system', at) },
    { type: 'AlertAcknowledged', data: { by: 'u-officer-1' }, metadata: meta('officer', at) },
  ];
  for (const e of events) parseEvent(e.type, e.data); // the log holds only what the catalog admits
  return events;
}

const child = (args: string[], env: Record<string, string> = {}) =>
  JSON.parse(execFileSync(process.execPath, [...NODE_FLAGS, '--import=tsx', ...args], { encoding: 'utf8', env: { ...process.env, ...env } }).trim().split('\n').pop()!) as Record<string, unknown>;

export async function run(): Promise<void> {
  const scratch = scratchDir('replay');
  try {
    const file = join(scratch.dir, 'events.sqlite');
    const store = new SqliteEventStore({ file });
    const started = performance.now();
    const reports = Math.ceil(EVENTS / 3);
    // Forty writers, each appending one report's three events at a time: group commit batches them.
    let next = 0;
    await Promise.all(
      Array.from({ length: 40 }, async () => {
        for (let n = next++; n < reports; n = next++) {
          const [filed, ...rest] = reportEvents(n);
          const id = (filed!.data as { reportId: string }).reportId;
          await store.append(`report-${id}`, [filed!, ...rest], 'no_stream');
        }
      }),
    );
    await store.close();
    const written = reports * 3;
    console.log(`log written: ${fmt(written)} events in ${((performance.now() - started) / 1000).toFixed(1)} s`);

    const read = child([join(root, 'bench/read-log.ts'), 'zhitong', file]) as { events: number; seconds: number };
    console.log(`bare read, fresh process: ${fmt(read.events)} events in ${read.seconds.toFixed(2)} s (${fmt(read.events / read.seconds)} events/s)`);
    const replay = child([join(root, 'services/cli.ts'), 'replay'], { DATA_DIR: scratch.dir }) as {
      events: number;
      seconds: number;
      rssMb: number;
      projections: unknown;
    };
    console.log(`cli replay, fresh process: ${fmt(replay.events)} events in ${replay.seconds.toFixed(2)} s (${fmt(replay.events / replay.seconds)} events/s), RSS ${replay.rssMb} MB; ${JSON.stringify(replay.projections)}`);
    report({
      bench: 'replay',
      value: Math.round(replay.events / replay.seconds),
      unit: `events/s, every projection rebuilt in a fresh process (${fmt(replay.events)} events in ${replay.seconds.toFixed(2)} s; target 1,000,000 in ≤ 10 s)`,
      baseline: Math.round(read.events / read.seconds),
      replaySeconds: replay.seconds,
      events: replay.events,
      rssMb: replay.rssMb,
    });
  } finally {
    scratch.remove();
  }
}
