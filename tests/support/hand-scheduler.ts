import type { Test } from 'tap';
import type { AlertJob, Scheduler } from '../../services/alerts/scheduler.js';
import { jobKey } from '../../services/alerts/scheduler.js';
import { startTestApp, type TestApp } from './app.js';

/** Alert jobs held until the test runs them, on a clock the test moves: what is due runs, in due order. */
export class HandScheduler implements Scheduler {
  readonly kind = 'in-process' as const;
  readonly jobs = new Map<string, { job: AlertJob; dueAt: number }>();
  run: (job: AlertJob) => Promise<void> = async () => undefined;

  async schedule(job: AlertJob, dueAt: number): Promise<void> {
    const key = jobKey(job);
    if (!this.jobs.has(key)) this.jobs.set(key, { job, dueAt });
  }

  /** Runs every job due at `nowMs`; a job that throws stays, to run again (the retry). Returns the errors. */
  async runDue(nowMs: number): Promise<string[]> {
    const due = [...this.jobs.entries()].filter(([, j]) => j.dueAt <= nowMs).sort((a, b) => a[1].dueAt - b[1].dueAt);
    const errors: string[] = [];
    for (const [key, { job }] of due) {
      this.jobs.delete(key);
      try {
        await this.run(job);
      } catch (error) {
        errors.push((error as Error).message);
        this.jobs.set(key, { job, dueAt: nowMs });
      }
    }
    return errors;
  }

  pending(kind: AlertJob['kind']): AlertJob[] {
    return [...this.jobs.values()].filter((j) => j.job.kind === kind).map((j) => j.job);
  }

  async close(): Promise<void> {}
}

export interface HandRig {
  app: TestApp;
  scheduler: HandScheduler;
  clock: { ms: number };
  /** Lets the read side apply everything and the alerting process schedule what it owes. */
  settle(): Promise<void>;
  /** Moves the clock by `ms` and runs what fell due, until nothing more does (a step raises SMS jobs). */
  advance(ms: number): Promise<string[]>;
}

/** A node whose alert jobs run when the test moves its clock (`advance`), not on timers. */
export async function handRig(t: Test, options: { dataDir?: string; env?: Record<string, string>; clock?: { ms: number }; escalationDelayMs?: number } = {}): Promise<HandRig> {
  const clock = options.clock ?? { ms: Math.floor(Date.now() / 1000) * 1000 };
  const scheduler = new HandScheduler();
  const app = await startTestApp(t, {
    ...(options.dataDir ? { dataDir: options.dataDir } : {}),
    ...(options.env ? { env: options.env } : {}),
    ...(options.escalationDelayMs !== undefined ? { escalationDelayMs: options.escalationDelayMs } : {}),
    now: () => new Date(clock.ms),
    scheduler: (run) => {
      scheduler.run = run;
      return scheduler;
    },
  });
  // Scheduling follows the runner's batch in the background registry, and what it writes (an
  // acknowledgement through a related report, a lapse) comes back through the runner: settled when
  // a round finds the log's head where it was and nothing running.
  const settle = async () => {
    for (let round = 0; round < 50; round++) {
      const head = await app.store.headPosition();
      await app.runner.caughtUp();
      await app.tasks.idle();
      if ((await app.store.headPosition()) === head) {
        await app.runner.caughtUp();
        await app.tasks.idle();
        if ((await app.store.headPosition()) === head) return;
      }
    }
    throw new Error('the node did not settle in 50 rounds');
  };
  return {
    app,
    scheduler,
    clock,
    settle,
    async advance(ms) {
      clock.ms += ms;
      const errors: string[] = [];
      for (let round = 0; round < 10; round++) {
        await settle();
        const before = scheduler.jobs.size;
        const failed = await scheduler.runDue(clock.ms);
        errors.push(...failed);
        await settle();
        if (failed.length > 0 || (scheduler.jobs.size === before && [...scheduler.jobs.values()].every((j) => j.dueAt > clock.ms))) break;
      }
      return errors;
    },
  };
}
