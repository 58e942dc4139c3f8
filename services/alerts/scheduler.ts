import type { BackgroundTasks } from '../background.js';

/** A timed job of the alerting process. Jobs are derived from the log, so losing one loses nothing. */
export type AlertJob =
  | { kind: 'escalate'; reportId: string; step: number }
  | { kind: 'clock'; incidentId: string; dueAt: string };

export const jobKey = (job: AlertJob): string =>
  // BullMQ job ids may not contain ':'.
  job.kind === 'escalate' ? `escalate-${job.reportId}-${job.step}` : `clock-${job.incidentId}-${job.dueAt.replaceAll(':', '')}`;

/** The background-task name a job runs under (services/background.ts). */
export const jobTask = (job: AlertJob): string => (job.kind === 'escalate' ? 'escalation-step' : 'statutory-clock');

/** How long a failing job waits before its next attempt: 0.5 s doubling to at most a minute. */
export const retryDelayMs = (attemptsMade: number): number => Math.min(60_000, 500 * 2 ** Math.max(0, attemptsMade - 1));

export interface Scheduler {
  readonly kind: 'in-process' | 'bullmq';
  /** Runs `job` at `dueAt` (or at once when that has passed); scheduling the same job twice runs it once. */
  schedule(job: AlertJob, dueAt: number): Promise<void>;
  /** Readiness of whatever the scheduler depends on (Redis), where it depends on anything. */
  ping?(): Promise<void>;
  close(): Promise<void>;
}

/**
 * Timers in this process: the default when no REDIS_URL is configured. A job that fails (the
 * store busy, say) is retried with backoff until it succeeds, through the background registry.
 */
export class InProcessScheduler implements Scheduler {
  readonly kind = 'in-process' as const;
  #timers = new Map<string, NodeJS.Timeout>();

  constructor(
    private readonly run: (job: AlertJob) => Promise<void>,
    private readonly tasks: BackgroundTasks,
    private readonly now: () => number = Date.now,
  ) {
    tasks.declare('escalation-step');
    tasks.declare('statutory-clock');
  }

  async schedule(job: AlertJob, dueAt: number): Promise<void> {
    const key = jobKey(job);
    if (this.#timers.has(key)) return;
    // setTimeout overflows past ~24.8 days; a job further out is looked at again then.
    const delay = Math.min(Math.max(0, dueAt - this.now()), 2 ** 31 - 1);
    this.#timers.set(
      key,
      setTimeout(() => {
        this.#timers.delete(key);
        this.tasks.spawn(jobTask(job), () => this.run(job));
      }, delay),
    );
  }

  async close(): Promise<void> {
    for (const timer of this.#timers.values()) clearTimeout(timer);
    this.#timers.clear();
  }
}
