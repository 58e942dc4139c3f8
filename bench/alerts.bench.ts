/**
 * Alert latency: 5,000 officers connected across 100 townships (50 on call in each), 200 reports
 * a second for BENCH_SECONDS (30 by default). For each report, the time from sending its POST to
 * the alert frame having arrived at every on-call client of its township. Baseline in the same
 * run: a bare ws server broadcasting a frame of the same size and shape (related sightings
 * included) to the same clients on the same POST (bench/bare-ws-server.ts). Then the RSS of each
 * server holding 10,000 idle sockets.
 *
 * Each server first takes BENCH_WARMUP_SECONDS (3) of the same load, measured and printed apart
 * as its cold start: the first second of reports to a fresh node (JIT warm-up, first sends)
 * was half of the p99 of a 30 s run (docs/decisions.md, session 27). The target is the node's
 * steady state; the cold figure stays in the output, and in the JSON line, so it is not hidden.
 */
import { randomUUID } from 'node:crypto';
import type { ChildProcess } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { WebSocket } from 'ws';
import { MAX_RELATED_REPORTS } from '../domain/alerting.js';
import { streams } from '../domain/events.js';
import { beijingTime } from '../domain/time.js';
import { recordGrants } from '../services/grants.js';
import { rosterDecider } from '../domain/roster.js';
import { unitRegisterDecider, type UnitInput } from '../domain/unit-register.js';
import { loadConfig } from '../infra/config.js';
import { SqliteEventStore } from '../infra/eventstore/sqlite.js';
import { tokenService } from '../infra/tokens.js';
import { execute } from '../services/commands/execute.js';
import { figure, fmt, freePort, ratioOf, report, scratchDir, startProcess, stopProcess } from './support.js';

const SECONDS = Number(process.env.BENCH_SECONDS ?? 30);
const WARMUP_SECONDS = Number(process.env.BENCH_WARMUP_SECONDS ?? 3);
const TOWNSHIPS = 100;
const PER_TOWNSHIP = 50;
const RATE = 200;
const IDLE = Number(process.env.BENCH_IDLE_SOCKETS ?? 10_000);


const township = (i: number) => `621224${String(101 + i).padStart(3, '0')}000`;
const village = (i: number) => `${township(i).slice(0, 9)}201`;

const rssMb = (pid: number) => Number(/VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))![1]) / 1024;

interface Tracker {
  sentAt: Map<string, number>;
  received: Map<string, number>;
  doneAt: Map<string, number>;
}

async function connectAll(urls: string[], onFrame: (frame: { type: string; reportId?: string; position?: string }) => void, resume: boolean): Promise<WebSocket[]> {
  const sockets: WebSocket[] = [];
  for (let i = 0; i < urls.length; i += 200) {
    const batch = urls.slice(i, i + 200).map(
      (url) =>
        new Promise<WebSocket>((resolve, reject) => {
          const socket = new WebSocket(url, { perMessageDeflate: false });
          socket.once('error', reject);
          socket.on('message', (data) => {
            const frame = JSON.parse(data.toString()) as { type: string; reportId?: string; position?: string };
            if (frame.type === 'hello') {
              if (resume) socket.send(JSON.stringify({ type: 'resume', after: frame.position }));
              resolve(socket);
            } else onFrame(frame);
          });
        }),
    );
    sockets.push(...(await Promise.all(batch)));
  }
  return sockets;
}

async function drive(post: (i: number, reportId: string) => Promise<Response>, tracker: Tracker, seconds: number): Promise<{ sent: number; failed: number }> {
  let sent = 0;
  let failed = 0;
  const inFlight: Promise<void>[] = [];
  const start = performance.now();
  for (let n = 0; n < seconds * RATE; n++) {
    const due = start + (n * 1000) / RATE;
    const wait = due - performance.now();
    if (wait > 1) await new Promise((r) => setTimeout(r, wait));
    const reportId = randomUUID();
    const t = n % TOWNSHIPS;
    tracker.sentAt.set(reportId, performance.now());
    sent++;
    inFlight.push(
      post(t, reportId).then(
        async (res) => {
          if (res.status !== 201) failed++;
          await res.arrayBuffer();
        },
        () => void failed++,
      ),
    );
  }
  await Promise.all(inFlight);
  return { sent, failed };
}

async function settle(tracker: Tracker, expected: number): Promise<void> {
  const deadline = performance.now() + 15_000;
  while (tracker.doneAt.size < expected && performance.now() < deadline) await new Promise((r) => setTimeout(r, 50));
}

function latencies(tracker: Tracker, label: string) {
  // BENCH_LATENCIES=DIR: each report's send time and latency (ms), to tell stalls from queueing.
  if (process.env.BENCH_LATENCIES) {
    const first = Math.min(...tracker.sentAt.values());
    const rows = [...tracker.doneAt.entries()].map(([id, at]) => `${(tracker.sentAt.get(id)! - first).toFixed(1)} ${(at - tracker.sentAt.get(id)!).toFixed(1)}`);
    writeFileSync(join(process.env.BENCH_LATENCIES, `${label}.txt`), `${rows.join('\n')}\n`);
  }
  const all = [...tracker.doneAt.entries()].map(([id, at]) => at - tracker.sentAt.get(id)!).sort((a, b) => a - b);
  const q = (p: number) => all[Math.min(all.length - 1, Math.floor(p * all.length))] ?? NaN;
  return { n: all.length, p50: q(0.5), p99: q(0.99), max: all[all.length - 1] ?? NaN };
}

const newTracker = (): Tracker => ({ sentAt: new Map(), received: new Map(), doneAt: new Map() });

/** One phase of load at RATE for `seconds`: driven, settled, its latencies (BENCH_LATENCIES: `label`.txt). */
async function phase(post: (i: number, reportId: string) => Promise<Response>, tracker: Tracker, seconds: number, label: string) {
  const driven = await drive(post, tracker, seconds);
  await settle(tracker, driven.sent);
  return { ...driven, ...latencies(tracker, label) };
}

/** Counts a frame for whichever tracker sent its report (the cold phase's or the measured one's). */
const onFrameFor = (...trackers: Tracker[]) => (frame: { type: string; reportId?: string }) => {
  if (frame.type !== 'alert' || !frame.reportId) return;
  const tracker = trackers.find((t) => t.sentAt.has(frame.reportId!));
  if (!tracker) return;
  const count = (tracker.received.get(frame.reportId) ?? 0) + 1;
  tracker.received.set(frame.reportId, count);
  if (count === PER_TOWNSHIP) tracker.doneAt.set(frame.reportId, performance.now());
};

export async function run(): Promise<void> {
  const scratch = scratchDir('alerts');
  const children: ChildProcess[] = [];
  const sockets: WebSocket[] = [];
  try {
    const config = loadConfig({ DATA_DIR: scratch.dir });
    const tokens = tokenService(config.authSecret);
    const store = new SqliteEventStore({ file: join(scratch.dir, 'events.sqlite') });
    const ctx = { actor: { id: 'bench', role: 'admin' as const }, correlationId: 'bench', now: new Date().toISOString() };
    const units: UnitInput[] = [
      { code: '620000000000', name: '甘肃省' },
      { code: '621200000000', name: '陇南市' },
      { code: '621224000000', name: '康县（基准）' },
    ];
    for (let i = 0; i < TOWNSHIPS; i++) {
      units.push({ code: township(i), name: `镇${i}` });
      units.push({ code: village(i), name: `村${i}`, centre: { lat: 33 + i / 1000, lon: 105 + i / 1000 }, accessNotes: '县道北行过桥左转，上山 6 公里，雨后易塌方' });
    }
    await execute(store, streams.units, unitRegisterDecider, { type: 'ImportUnits', data: { units }, now: ctx.now }, ctx);
    for (let i = 0; i < TOWNSHIPS; i++) {
      const entries = Array.from({ length: PER_TOWNSHIP }, (_, k) => ({ officer: `officer-${i}-${k}`, tier: 'primary' as const }));
      await execute(store, streams.roster(township(i)), rosterDecider, { type: 'SetRoster', data: { township: township(i), entries }, now: ctx.now }, ctx);
    }
    // Their tokens recorded, as `zhitong token` records them: an officer the log holds no token
    // for cannot be reached, and step 0 would wake the township's heads as well (domain/alerting.ts).
    const grants = Array.from({ length: TOWNSHIPS * PER_TOWNSHIP }, (_, n) => ({ sub: `officer-${Math.floor(n / PER_TOWNSHIP)}-${n % PER_TOWNSHIP}`, role: 'officer' as const, scope: township(Math.floor(n / PER_TOWNSHIP)), ttlSeconds: 7200 }));
    await recordGrants(store, grants, ctx);
    await store.close();
    const contact = tokens.issue({ sub: 'contact-bench', role: 'contact', scope: '621224' }, 7200);
    const body = (i: number, reportId: string) =>
      JSON.stringify({
        reportId,
        village: village(i),
        hazard: 'landslide',
        observedAt: new Date(Date.now() - 60_000).toISOString(),
        reporter: { name: '王建国', phone: '13800000000' },
        estimate: { affectedPeople: 12 },
        directions: '村委会后山，沿水泥路上行1公里',
      });

    // zhitong on the prepared log, as `npm start` runs it; started twice (latency, then idle memory).
    const startZhitong = async () => {
      const port = await freePort();
      const started = await startProcess(
        'services/main.ts',
        { DATA_DIR: scratch.dir, PORT: String(port), HOST: '127.0.0.1', LOG_LEVEL: 'warn', RATE_LIMIT_PER_MINUTE: '100000000', ESCALATION_DELAY_MS: '3600000' },
        null,
        `http://127.0.0.1:${port}`,
      );
      children.push(started.child);
      return started;
    };

    // --- zhitong
    const server = await startZhitong();
    const ours = newTracker();
    const oursCold = newTracker();
    const wsBase = server.url.replace('http', 'ws');
    const urls: string[] = [];
    for (let i = 0; i < TOWNSHIPS; i++) {
      for (let k = 0; k < PER_TOWNSHIP; k++) {
        urls.push(`${wsBase}/alerts/ws?token=${tokens.issue({ sub: `officer-${i}-${k}`, role: 'officer', scope: township(i) }, 7200)}`);
      }
    }
    const connectStart = performance.now();
    sockets.push(...(await connectAll(urls, onFrameFor(oursCold, ours), true)));
    console.log(`zhitong: ${fmt(sockets.length)} officers connected in ${fmt(performance.now() - connectStart)} ms; RSS ${rssMb(server.child.pid!).toFixed(0)} MB`);
    const postOurs = (i: number, reportId: string) =>
      fetch(`${server.url}/reports`, { method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${contact}` }, body: body(i, reportId) });
    const oc = await phase(postOurs, oursCold, WARMUP_SECONDS, 'zhitong-cold');
    console.log(`zhitong, cold (the first ${WARMUP_SECONDS} s of reports after start, not counted below): ${fmt(oc.sent)} reports; p50 ${oc.p50.toFixed(1)} ms, p99 ${oc.p99.toFixed(1)} ms, max ${oc.max.toFixed(1)} ms`);
    const o = await phase(postOurs, ours, SECONDS, 'zhitong');
    console.log(
      `zhitong: ${fmt(o.sent)} reports at ${RATE}/s (${o.failed} failed); alert at all ${PER_TOWNSHIP} on-call clients for ${fmt(o.n)}: p50 ${o.p50.toFixed(1)} ms, p99 ${o.p99.toFixed(1)} ms, max ${o.max.toFixed(1)} ms`,
    );
    for (const s of sockets.splice(0)) s.terminate();
    server.child.kill();

    // --- bare ws broadcast of a frame of the same size
    const bare = await startProcess('bench/bare-ws-server.ts', {}, /listening (http:\/\/\S+)/);
    children.push(bare.child);
    const theirs = newTracker();
    const theirsCold = newTracker();
    const bareUrls: string[] = [];
    for (let i = 0; i < TOWNSHIPS; i++) for (let k = 0; k < PER_TOWNSHIP; k++) bareUrls.push(`${bare.url.replace('http', 'ws')}/alerts/ws?township=${township(i)}`);
    sockets.push(...(await connectAll(bareUrls, onFrameFor(theirsCold, theirs), false)));
    // The frame ours would send for this report, field for field: the same text, the same times
    // with their local twins, and the same related sightings — one village gets two reports a
    // second here, so from its sixth report on every alert names the five newest (SPEC §5,
    // MAX_RELATED_REPORTS). Ours averaged 1,671 bytes a frame; the bare one had 680, without them.
    const reporter = { name: '王建国', phone: '13800000000' };
    const relatedBy = new Map<number, Array<{ reportId: string; observedAt: string; observedAtLocal: string; reporter: typeof reporter }>>();
    const sampleFrame = (reportId: string, i: number) => {
      const observedAt = new Date(Date.now() - 60_000).toISOString();
      const reportedAt = new Date().toISOString();
      const related = relatedBy.get(i) ?? [];
      const sighting = { reportId, observedAt, observedAtLocal: beijingTime(observedAt), reporter };
      relatedBy.set(i, [sighting, ...related].slice(0, MAX_RELATED_REPORTS));
      return JSON.stringify({
        type: 'alert', position: '0000000000000001', reportId, step: 0, reason: 'filed', hazard: 'landslide', hazardLabel: '滑坡',
        unit: { code: village(i), name: `村${i}`, path: ['康县（基准）', `镇${i}`, `村${i}`] },
        location: { lat: 33, lon: 105, geoUri: 'geo:33,105?q=33,105(%E6%9D%91)', source: 'unit' }, locationSuspect: null, directions: '村委会后山，沿水泥路上行1公里',
        accessNotes: '县道北行过桥左转，上山 6 公里，雨后易塌方', unitPhones: [], reporter, group: null, notes: null,
        estimate: { affectedPeople: 12 }, observedAt, observedAtLocal: sighting.observedAtLocal, reportedAt, reportedAtLocal: beijingTime(reportedAt), related,
      });
    };
    const postTheirs = (i: number, reportId: string) =>
      fetch(`${bare.url}/reports`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ township: township(i), frame: sampleFrame(reportId, i) }) });
    const bc = await phase(postTheirs, theirsCold, WARMUP_SECONDS, 'bare-cold');
    console.log(`bare ws, cold (the first ${WARMUP_SECONDS} s of reports after start, not counted below): p50 ${bc.p50.toFixed(1)} ms, p99 ${bc.p99.toFixed(1)} ms, max ${bc.max.toFixed(1)} ms`);
    const b = await phase(postTheirs, theirs, SECONDS, 'bare');
    console.log(`bare ws: ${fmt(b.sent)} broadcasts at ${RATE}/s; at all ${PER_TOWNSHIP} clients for ${fmt(b.n)}: p50 ${b.p50.toFixed(1)} ms, p99 ${b.p99.toFixed(1)} ms, max ${b.max.toFixed(1)} ms`);
    for (const s of sockets.splice(0)) s.terminate();

    // --- idle sockets: RSS of each server
    const idleUrls = (base: string, auth: boolean) =>
      Array.from({ length: IDLE }, (_, n) => {
        const i = n % TOWNSHIPS;
        return auth
          ? `${base}/alerts/ws?token=${tokens.issue({ sub: `idle-${n}`, role: 'officer', scope: township(i) }, 7200)}`
          : `${base}/alerts/ws?township=${township(i)}`;
      });
    const bareBefore = rssMb(bare.child.pid!);
    sockets.push(...(await connectAll(idleUrls(bare.url.replace('http', 'ws'), false), () => undefined, false)));
    const bareIdle = rssMb(bare.child.pid!);
    for (const s of sockets.splice(0)) s.terminate();
    bare.child.kill();

    const again = await startZhitong();
    const oursBefore = rssMb(again.child.pid!);
    sockets.push(...(await connectAll(idleUrls(again.url.replace('http', 'ws'), true), () => undefined, true)));
    const oursIdle = rssMb(again.child.pid!);
    console.log(
      `idle: ${fmt(IDLE)} sockets — zhitong RSS ${oursIdle.toFixed(0)} MB (${oursBefore.toFixed(0)} MB before, with ${fmt(oc.sent + o.sent)} reports in the log); bare ws RSS ${bareIdle.toFixed(0)} MB (${bareBefore.toFixed(0)} MB before)`,
    );
    for (const s of sockets.splice(0)) s.terminate();

    // "Never saturated" (SPEC §10): every report's frame reached all its clients within 1 s.
    const saturated = o.failed > 0 || o.n < o.sent || o.max > 1000;
    figure({
      figure: `report → alert on all on-call sockets, ${fmt(TOWNSHIPS * PER_TOWNSHIP)} connected, ${RATE}/s (after ${WARMUP_SECONDS} s warm-up)`,
      ours: `p99 ${o.p99.toFixed(1)} ms, max ${o.max.toFixed(0)} ms (cold p99 ${oc.p99.toFixed(1)})`,
      baseline: `bare ws broadcast p99 ${b.p99.toFixed(1)} ms (cold ${bc.p99.toFixed(1)})`,
      ratio: ratioOf(o.p99, b.p99),
      target: '≤ 2× bare, every frame within 1 s',
      met: o.p99 <= 2 * b.p99 && !saturated,
    });
    figure({ figure: `${fmt(IDLE)} idle sockets`, ours: `${oursIdle.toFixed(0)} MB RSS`, baseline: `bare ws ${bareIdle.toFixed(0)} MB`, ratio: ratioOf(oursIdle, bareIdle), target: '≤ 300 MB', met: oursIdle <= 300 });
    report({
      bench: 'alerts',
      value: Math.round(o.p99 * 10) / 10,
      unit: `ms p99, POST sent → alert at all ${PER_TOWNSHIP} on-call clients (${TOWNSHIPS * PER_TOWNSHIP} connected, ${RATE} reports/s, ${SECONDS} s)`,
      baseline: Math.round(b.p99 * 10) / 10,
      p50Ms: Math.round(o.p50 * 10) / 10,
      maxMs: Math.round(o.max * 10) / 10,
      baselineP50Ms: Math.round(b.p50 * 10) / 10,
      saturated,
      warmupSeconds: WARMUP_SECONDS,
      coldP99Ms: Math.round(oc.p99 * 10) / 10,
      coldMaxMs: Math.round(oc.max * 10) / 10,
      baselineColdP99Ms: Math.round(bc.p99 * 10) / 10,
      idleSockets: IDLE,
      idleRssMb: Math.round(oursIdle),
      baselineIdleRssMb: Math.round(bareIdle),
      failedPosts: o.failed,
    });
  } finally {
    for (const s of sockets) s.terminate();
    await Promise.all(children.map(stopProcess));
    scratch.remove();
  }
}
