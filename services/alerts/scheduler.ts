import { createHash } from 'node:crypto';
import type { BackgroundTasks } from '../background.js';

/** A timed job of the alerting process. Jobs are derived from the log, so losing one loses nothing. */
export type AlertJob =
  /** `reopenedAt`: the step raised at once after an acknowledgement lapsed (its own job: the step's timed one may be pending). */
  | { kind: 'escalate'; reportId: string; step: number; reopenedAt?: string | undefined }
  | { kind: 'clock'; incidentId: string; dueAt: string }
  | NotifyJob;

/** One SMS or call of one alert step to one person (services/alerts/notifier.ts). */
export type NotifyJob = { kind: 'notify'; reportId: string; step: number; channel: 'sms' | 'voice'; to: string };

/** The job's id: one per (report, step), (incident, due time) or (report, step, channel, person). */
export function jobKey(job: AlertJob): string {
  // BullMQ job ids may not contain ':'; a user id may contain anything, so it is hashed.
  switch (job.kind) {
    case 'escalate':
      return `escalate-${job.reportId}-${job.step}${job.reopenedAt ? `-r${Date.parse(job.reopenedAt)}` : ''}`;
    case 'clock':
      return `clock-${job.incidentId}-${job.dueAt.replaceAll(':', '')}`;
    case 'notify':
      return `notify-${job.reportId}-${job.step}-${job.channel}-${createHash('sha256').update(job.to).digest('hex').slice(0, 24)}`;
    default: {
      const never: never = job;
      return never;
    }
  }
}

/** The background-task name a job runs under (services/background.ts). */
export const jobTask = (job: AlertJob): string => (job.kind === 'escalate' ? 'escalation-step' : job.kind === 'clock' ? 'statutory-clock' : 'notification');

/**
 * How long a failing job waits before its next attempt: 0.5 s doubling to at most a minute; an SMS
 * or a call from 2 s (a provider's outage is seldom shorter, and each attempt counts towards
 * MAX_NOTIFICATION_ATTEMPTS).
 */
export const retryDelayMs = (attemptsMade: number, kind: AlertJob['kind'] = 'escalate'): number =>
  Math.min(60_000, (kind === 'notify' ? 2000 : 500) * 2 ** Math.max(0, attemptsMade - 1));

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
        this.tasks.spawn(jobTask(job), () => this.run(job), job.kind === 'notify' ? { minDelayMs: retryDelayMs(1, 'notify') } : {});
      }, delay),
    );
  }

  async close(): Promise<void> {
    for (const timer of this.#timers.values()) clearTimeout(timer);
    this.#timers.clear();
  }
}
