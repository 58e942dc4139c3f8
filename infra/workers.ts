import type { Worker } from 'node:worker_threads';

/**
 * Stops a worker thread and resolves once it has gone, keeping the process alive meanwhile.
 *
 * A thread that was unref'd while idle does not hold the event loop, and on Node 20 `ref()` alone
 * does not either until the thread's exit arrives: a process whose last work is awaiting
 * `terminate()` can end with that await unsettled — a shutdown that never finished closing its
 * store (seen in tests: the SQLite writer thread, 1 run in 3). A timer holds the loop open until then.
 */
export async function terminateWorker(worker: Worker): Promise<void> {
  const holdOpen = setInterval(() => undefined, 1000);
  try {
    worker.ref();
    await worker.terminate();
  } finally {
    clearInterval(holdOpen);
  }
}

/**
 * The Node flags a plain-JavaScript worker thread starts with: only the CPU profiler's, so that a
 * node run with `--cpu-prof` (BENCH_CPU_PROF) profiles every thread. Not the parent's TypeScript
 * loader: these workers need none, and with tsx's loader they took three times as long to start.
 * V8's own flags (the young generation's size) apply to the whole process and need no passing on.
 */
export function plainWorkerExecArgv(): string[] {
  return process.execArgv.filter((flag) => flag.startsWith('--cpu-prof'));
}
