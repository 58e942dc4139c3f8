import type { RecordedEvent, SubscribeOptions, Subscription } from './types.js';

interface Waiter {
  position: string;
  resolve: (ok: boolean) => void;
}

/**
 * Catch-up-then-live subscription over any `readAll`: reads batches after the checkpoint until
 * it is caught up, then sleeps until woken (a local append) or the poll interval passes (another
 * process's append, or a store that cannot notify). One loop, so batches are strictly in order.
 */
export class PullSubscription implements Subscription {
  #checkpoint: string | undefined;
  #closed = false;
  #wake: (() => void) | undefined;
  /** A notify that came while the loop was reading rather than sleeping. */
  #notified = false;
  #waiters: Waiter[] = [];
  readonly #done: Promise<void>;

  constructor(
    private readonly read: (after: string | undefined, max: number) => Promise<RecordedEvent[]>,
    private readonly options: SubscribeOptions,
    private readonly pollIntervalMs: number,
    private readonly unregister: () => void,
  ) {
    this.#checkpoint = options.after;
    this.#done = this.#run();
  }

  get checkpoint(): string | undefined {
    return this.#checkpoint;
  }

  /** Tells the loop that new events may be there. */
  notify(): void {
    const wake = this.#wake;
    this.#wake = undefined;
    if (wake) wake();
    else this.#notified = true;
  }

  waitFor(position: string, timeoutMs = 2000): Promise<boolean> {
    if (this.#checkpoint !== undefined && this.#checkpoint >= position) return Promise.resolve(true);
    if (this.#closed) return Promise.resolve(false);
    return new Promise<boolean>((resolve) => {
      const timer = setTimeout(() => {
        this.#waiters = this.#waiters.filter((w) => w !== waiter);
        resolve(false);
      }, timeoutMs);
      timer.unref();
      const waiter: Waiter = {
        position,
        resolve: (ok) => {
          clearTimeout(timer);
          resolve(ok);
        },
      };
      this.#waiters.push(waiter);
      this.notify();
    });
  }

  async close(): Promise<void> {
    this.#closed = true;
    this.notify();
    await this.#done;
    this.unregister();
    for (const w of this.#waiters) w.resolve(false);
    this.#waiters = [];
  }

  async #run(): Promise<void> {
    const batchSize = this.options.batchSize ?? 1000;
    let failedReads = 0;
    while (!this.#closed) {
      let batch: RecordedEvent[];
      this.#notified = false;
      try {
        batch = await this.read(this.#checkpoint, batchSize);
      } catch (error) {
        // A busy or unreachable store: the checkpoint has not moved, so reading again loses and
        // repeats nothing. Backoff from the poll interval up to 5 s.
        failedReads += 1;
        this.options.onReadError?.(error, failedReads);
        await this.#sleep(Math.min(5000, this.pollIntervalMs * 2 ** Math.min(failedReads, 10)));
        continue;
      }
      if (failedReads > 0 || batch.length > 0) this.options.onReadOk?.();
      failedReads = 0;
      try {
        if (batch.length > 0) {
          await this.options.onEvents(batch);
          this.#checkpoint = batch[batch.length - 1]!.position;
          this.#releaseWaiters();
        }
      } catch (error) {
        this.#closed = true;
        this.options.onError?.(error);
        break;
      }
      if (batch.length < batchSize && !this.#closed) {
        this.options.onCaughtUp?.();
        await this.#sleep();
      }
    }
  }

  #releaseWaiters(): void {
    const reached = this.#checkpoint!;
    const still: Waiter[] = [];
    for (const w of this.#waiters) (w.position <= reached ? w.resolve(true) : still.push(w));
    this.#waiters = still;
  }

  #sleep(ms = this.pollIntervalMs): Promise<void> {
    if (this.#notified) {
      this.#notified = false;
      return Promise.resolve();
    }
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.#wake = undefined;
        resolve();
      }, ms);
      this.#wake = () => {
        clearTimeout(timer);
        resolve();
      };
    });
  }
}
