/**
 * SPEC §10 (issue 18): a CLI command answers in ≤ 0.5 s. `zhitong --help` in a fresh process, as
 * the installed bin starts it (`#!/usr/bin/env node`: the compiled bundle, no V8 flags), beside a
 * bare `node -e 0`: the difference is what loading zhitong costs.
 */
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { figure, ratioOf, report } from './support.js';

const RUNS = 7;
const root = join(import.meta.dirname, '..');
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

function timed(args: string[]): number {
  const started = performance.now();
  execFileSync(process.execPath, args, { encoding: 'utf8', env: { ...process.env, DATA_DIR: join(root, '.bench-cli-unused') } });
  return performance.now() - started;
}

export async function run(): Promise<void> {
  timed([join(root, 'bin/zhitong.mjs'), '--help']); // the file cache warm, as after the first use
  const ours = median(Array.from({ length: RUNS }, () => timed([join(root, 'bin/zhitong.mjs'), '--help'])));
  const bare = median(Array.from({ length: RUNS }, () => timed(['-e', '0'])));
  console.log(`zhitong --help, fresh process, median of ${RUNS}: ${ours.toFixed(0)} ms; node -e 0: ${bare.toFixed(0)} ms`);
  figure({ figure: 'a CLI command (--help), fresh process', ours: `${ours.toFixed(0)} ms`, baseline: `node -e 0 ${bare.toFixed(0)} ms`, ratio: ratioOf(ours, bare), target: '≤ 500 ms', met: ours <= 500 });
  report({ bench: 'cli', value: Math.round(ours), unit: 'ms, zhitong --help in a fresh process (target ≤ 500 ms)', baseline: Math.round(bare) });
}
