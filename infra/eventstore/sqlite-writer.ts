import { Worker } from 'node:worker_threads';
import type { AppendRequest, GroupOutcome } from './sqlite-appender.mjs';
import { plainWorkerExecArgv, terminateWorker } from '../workers.js';

/** The code of a group refused because the writer thread stopped under it. */
export const WRITER_STOPPED = 'ZHITONG_WRITER_STOPPED';

/** What a checkpoint found: frames in the WAL, and how many of them are now in the database file. */
export interface WalCheckpoint {
  /** -1 when the checkpoint failed (and `code` says why). */
  log: number;
  checkpointed: number;
  code?: string;
}

/** How long after a commit made elsewhere the thread checkpoints the WAL (PASSIVE: it never waits for or blocks a writer). */
const CHECKPOINT_AFTER_MS = 1000;

/**
 * The embedded store's group commits on a thread of their own (issue 18). The thread has its own
 * connection to the file (WAL, synchronous=FULL) and runs the same SqliteAppender the inline path
 * runs: it seals each event onto its chain, inserts, and COMMITs; its answer is posted only after
 * the COMMIT returned, i.e. after the WAL was fsynced, so an append still resolves only when it
 * would survive a power cut (SPEC §7). Meanwhile the event loop goes on serving requests, sockets
 * and the read side, and the next group gathers.
 *
 * Started on the first large group, or for the first checkpoint. Referenced only while a group is
 * in flight (or a checkpoint is waited for), so an idle store never holds a process open, and a
 * process never exits under a group being written.
 */
export class ThreadWriter {
  #worker: Worker | undefined;
  #inFlight: ((outcome: GroupOutcome) => void) | undefined;
  #checkpoint: NodeJS.Timeout | undefined;
  #checkpointWaiters: Array<(result: WalCheckpoint) => void> = [];

  constructor(private readonly file: string) {}

  /**
   * Writes one group commit on the thread: every request's outcome, in order, once the COMMIT
   * returned; or the group's failure as a whole (SQLite's code; WRITER_STOPPED if the thread died
   * under it). Never rejects for a write that failed. One group at a time: the store waits for
   * the outcome before sending the next.
   */
  write(batch: readonly AppendRequest[]): Promise<GroupOutcome> {
    if (this.#inFlight) return Promise.reject(new Error('ThreadWriter: one group at a time'));
    const worker = (this.#worker ??= this.#start());
    worker.ref();
    return new Promise((resolve) => {
      this.#inFlight = resolve;
      worker.postMessage({ batch });
    });
  }

  /**
   * The WAL is checkpointed on this thread a moment after a commit made on the event loop's
   * connection (which does not checkpoint: wal_autocheckpoint = 0 there), so it stays bounded
   * without a checkpoint ever running inside a COMMIT on the event loop.
   */
  checkpointSoon(): void {
    if (this.#checkpoint) return;
    this.#checkpoint = setTimeout(() => {
      this.#checkpoint = undefined;
      const worker = (this.#worker ??= this.#start());
      // Someone waits for it (nextCheckpoint): the process stays up until it is done.
      if (this.#checkpointWaiters.length > 0) worker.ref();
      worker.postMessage({ checkpoint: true });
    }, CHECKPOINT_AFTER_MS);
    if (this.#checkpointWaiters.length === 0) this.#checkpoint.unref();
  }

  #start(): Worker {
    const worker = new Worker(new URL('./sqlite-writer.worker.mjs', import.meta.url), {
      workerData: { file: this.file },
      execArgv: plainWorkerExecArgv(),
    });
    worker.unref();
    worker.on('message', (message: GroupOutcome | { checkpoint: WalCheckpoint }) => {
      if ('checkpoint' in message) {
        if (!this.#inFlight) worker.unref();
        for (const waiter of this.#checkpointWaiters.splice(0)) waiter(message.checkpoint);
      } else this.#answer(message);
    });
    // A thread that dies (it could not open the file; it ran out of memory) refuses the group in
    // flight as unavailable: whether it was committed is not known, so the caller retries, which
    // event ids make safe. The next write starts a new thread.
    worker.on('error', (error) => {
      if (this.#worker === worker) this.#worker = undefined;
      this.#answer({ failed: { message: `the event store's writer thread failed: ${String((error as { message?: unknown } | undefined)?.message ?? error)}`, code: WRITER_STOPPED } });
    });
    worker.on('exit', (code) => {
      if (this.#worker === worker) this.#worker = undefined;
      this.#answer({ failed: { message: `the event store's writer thread stopped (exit code ${code})`, code: WRITER_STOPPED } });
    });
    return worker;
  }

  /** The next checkpoint's result (for tests and tooling). */
  nextCheckpoint(): Promise<WalCheckpoint> {
    this.#checkpoint?.ref();
    return new Promise((resolve) => this.#checkpointWaiters.push(resolve));
  }

  #answer(outcome: GroupOutcome): void {
    const resolve = this.#inFlight;
    this.#inFlight = undefined;
    this.#worker?.unref();
    resolve?.(outcome);
  }

  /** After the last group's outcome (the store waits for it): ends the thread and its connection. */
  async close(): Promise<void> {
    clearTimeout(this.#checkpoint);
    this.#checkpoint = undefined;
    const worker = this.#worker;
    this.#worker = undefined;
    if (!worker) return;
    await terminateWorker(worker);
  }
}
