/**
 * Issue 14: `cli verify` on the 1,000,000-event log of the replay benchmark, sealed (so the seal
 * checks and the root over every stream's head are in the figure), in a fresh process, beside a
 * bare read of the same log in a fresh process: the ratio is what verification costs on top of
 * reading. Target ≤ 10 s.
 */
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { writeLog } from './replay.bench.js';
import { cliArgs, NODE_FLAGS, figure, fmt, ratioOf, report, scratchDir } from './support.js';

const EVENTS = Number(process.env.VERIFY_EVENTS ?? 1_000_000);
const root = join(import.meta.dirname, '..');

const timed = (args: string[], env: Record<string, string>) => {
  const started = performance.now();
  const out = execFileSync(process.execPath, [...NODE_FLAGS, ...cliArgs(args)], { encoding: 'utf8', env: { ...process.env, ...env }, maxBuffer: 1 << 26 });
  return { seconds: (performance.now() - started) / 1000, last: JSON.parse(out.trim().split('\n').pop()!) as Record<string, unknown> };
};

export async function run(): Promise<void> {
  const scratch = scratchDir('verify');
  try {
    const file = join(scratch.dir, 'events.sqlite');
    await writeLog(file, EVENTS);
    const env = { DATA_DIR: scratch.dir, EVENTSTORE_URL: '', AUTH_SECRET: '' };
    const sealed = timed([join(root, 'services/cli.ts'), 'seal'], env);
    console.log(`cli seal, fresh process: ${sealed.seconds.toFixed(2)} s; ${JSON.stringify(sealed.last)}`);
    const read = timed([join(root, 'bench/read-log.ts'), 'zhitong', file], {});
    const readEvents = read.last.events as number;
    console.log(`bare read, fresh process: ${fmt(readEvents)} events in ${read.seconds.toFixed(2)} s`);
    const verify = timed([join(root, 'services/cli.ts'), 'verify'], env);
    const events = verify.last.events as number;
    console.log(`cli verify, fresh process: ${fmt(events)} events in ${verify.seconds.toFixed(2)} s; ok ${String(verify.last.ok)}, ${JSON.stringify(verify.last.seals)}`);
    figure({ figure: `cli verify of a sealed ${fmt(events)}-event log`, ours: `${verify.seconds.toFixed(2)} s`, baseline: `bare read ${read.seconds.toFixed(2)} s`, ratio: ratioOf(read.seconds, verify.seconds), target: '≤ 10 s', met: verify.seconds <= 10 && verify.last.ok === true });
    report({
      bench: 'verify',
      value: Math.round(events / verify.seconds),
      unit: `events/s, cli verify of a sealed log in a fresh process (${fmt(events)} events in ${verify.seconds.toFixed(2)} s; target ≤ 10 s)`,
      baseline: Math.round(readEvents / read.seconds),
      verifySeconds: Math.round(verify.seconds * 100) / 100,
      readSeconds: Math.round(read.seconds * 100) / 100,
      ok: verify.last.ok,
    });
  } finally {
    scratch.remove();
  }
}
