import { EventEmitter } from 'node:events';
import type { Logger } from '../infra/logging.js';

export interface TaskHealth {
  runs: number;
  failures: number;
  /** Failures since the last success: a task failing now, not one that failed once last week. */
  failingFor: number;
  lastError?: string;
  lastFailureAt?: string;
}

export interface RetryOptions {
  /** Give up after this many runs (default: never, until the registry closes). */
  attempts?: number;
  onGiveUp?: () => void;
  minDelayMs?: number;
  maxDelayMs?: number;
}

export class InjectedFault extends Error {
  constructor(readonly task: string) {
    super(`fault injected into ${task}`);
    this.name = 'InjectedFault';
  }
}

/**
 * Every piece of work a node does outside a request — timers, intervals, fire-and-forget
 * promises, retried jobs — runs through this one registry. A failure is caught, logged and
 * counted here: it never becomes an unhandled rejection that ends the process, and a job that
 * must happen (an escalation step) is retried with backoff until it does. `/ready` and
 * `/metrics` read the counts; tests walk `names()` and make each task fail once.
 */
export class BackgroundTasks extends EventEmitter<{ failure: [task: string, error: unknown]; recovered: [task: string] }> {
  readonly #health = new Map<string, TaskHealth>();
  readonly #timers = new Set<NodeJS.Timeout>();
  readonly #faults = new Set<string>();
  #closed = false;
  #running = 0;
  #idleWaiters: Array<() => void> = [];

  constructor(private readonly logger: Logger) {
    super();
  }

  /** Every task name registered so far, in order of first use. */
  names(): string[] {
    return [...this.#health.keys()];
  }

  health(): ReadonlyMap<string, TaskHealth> {
    return this.#health;
  }

  /** The next run of `name` fails before it does anything (fault-injection for the sweep tests). */
  injectFault(name: string): void {
    this.#faults.add(name);
  }

  /** Registers `name` without running it: a task whose runs come later still shows up in `names()`. */
  declare(name: string): void {
    if (!this.#health.has(name)) this.#health.set(name, { runs: 0, failures: 0, failingFor: 0 });
  }

  /**
   * Resolves once no run is in progress (a retry waiting on its timer is not one): what a test's
   * hand-driven clock waits for before it looks at what the alerting process wrote.
   */
  idle(): Promise<void> {
    if (this.#running === 0) return Promise.resolve();
    return new Promise((resolve) => this.#idleWaiters.push(resolve));
  }

  /** Runs `fn` and reports whether it succeeded; never throws. */
  async run(name: string, fn: () => unknown): Promise<boolean> {
    this.#running += 1;
    try {
      return await this.#run(name, fn);
    } finally {
      this.#running -= 1;
      if (this.#running === 0) for (const resolve of this.#idleWaiters.splice(0)) resolve();
    }
  }

  async #run(name: string, fn: () => unknown): Promise<boolean> {
    this.declare(name);
    const health = this.#health.get(name)!;
    health.runs += 1;
    try {
      if (this.#faults.delete(name)) throw new InjectedFault(name);
      await fn();
      const recovered = health.failingFor > 0;
      health.failingFor = 0;
      if (recovered) this.emit('recovered', name);
      return true;
    } catch (error) {
      health.failures += 1;
      health.failingFor += 1;
      health.lastError = error instanceof Error ? error.message : String(error);
      health.lastFailureAt = new Date().toISOString();
      this.logger.error({ err: error, task: name, failingFor: health.failingFor }, `background task ${name} failed`);
      this.emit('failure', name, error);
      return false;
    }
  }

  /**
   * `fn` now, in the background; while it fails, again after 0.5 s, 1 s, 2 s … up to
   * `maxDelayMs`, until it succeeds, `attempts` runs were made (then `onGiveUp`), or the registry
   * is closed. Work a node has taken on — scheduling an alert, an escalation step, a client's
   * message — must happen, and a transient failure (a busy store) must not lose it.
   */
  spawn(name: string, fn: () => unknown, options: RetryOptions = {}): void {
    this.declare(name);
    const min = options.minDelayMs ?? 500;
    const max = options.maxDelayMs ?? 60_000;
    const attempt = (n: number) => {
      void this.run(name, fn).then((ok) => {
        if (ok || this.#closed) return;
        if (options.attempts !== undefined && n + 1 >= options.attempts) {
          options.onGiveUp?.();
          return;
        }
        const timer = setTimeout(() => {
          this.#timers.delete(timer);
          if (!this.#closed) attempt(n + 1);
        }, Math.min(max, min * 2 ** n));
        this.#timers.add(timer);
      });
    };
    attempt(0);
  }

  /** `spawn(name, fn, options)` after `ms`; the timer is kept off the event loop's reference count. */
  later(name: string, ms: number, fn: () => unknown, options: RetryOptions = {}): NodeJS.Timeout {
    this.declare(name);
    const timer = setTimeout(() => {
      this.#timers.delete(timer);
      if (!this.#closed) this.spawn(name, fn, options);
    }, ms);
    timer.unref();
    this.#timers.add(timer);
    return timer;
  }

  /** `fn` every `ms`; a failing run is counted and the next tick is its retry. */
  every(name: string, ms: number, fn: () => unknown): NodeJS.Timeout {
    this.declare(name);
    const timer = setInterval(() => {
      if (!this.#closed) void this.run(name, fn);
    }, ms);
    timer.unref();
    this.#timers.add(timer);
    return timer;
  }

  cancel(timer: NodeJS.Timeout | undefined): void {
    if (timer === undefined) return;
    clearTimeout(timer);
    this.#timers.delete(timer);
  }

  close(): void {
    this.#closed = true;
    for (const timer of this.#timers) clearTimeout(timer);
    this.#timers.clear();
  }
}
