import { Queue, Worker, type ConnectionOptions } from 'bullmq';
import { Redis } from 'ioredis';
import { redisOptions } from '../../infra/redis.js';
import type { Logger } from '../../infra/logging.js';
import type { BackgroundTasks } from '../background.js';
import { jobKey, jobTask, retryDelayMs, type AlertJob, type Scheduler } from './scheduler.js';

const QUEUE = 'zhitong-alerts';

/**
 * Alert timers as BullMQ delayed jobs, shared by every API node on one Redis: a job id per
 * (report, step) or (incident, due time) makes scheduling idempotent across nodes, and any node's
 * worker may run it. Redis holds no truth: when it comes back (empty or not) every pending job is
 * derived again from the log (`onReconnect`).
 */
export class BullMqScheduler implements Scheduler {
  readonly kind = 'bullmq' as const;

  private constructor(
    private readonly queue: Queue,
    private readonly worker: Worker,
    private readonly connection: Redis,
    private readonly workerConnection: Redis,
  ) {}

  static async connect(
    url: string,
    run: (job: AlertJob) => Promise<void>,
    logger: Logger,
    onReconnect: () => Promise<void>,
    tasks: BackgroundTasks,
  ): Promise<BullMqScheduler> {
    const options = redisOptions(url);
    const connection = new Redis(options);
    const queue = new Queue(QUEUE, { connection: connection as unknown as ConnectionOptions });
    const workerConnection = new Redis(options);
    tasks.declare('escalation-step');
    tasks.declare('statutory-clock');
    tasks.declare('redis-reconnect');
    const worker = new Worker(
      QUEUE,
      async (job) => {
        const alertJob = job.data as AlertJob;
        // Counted in the background registry like any task; a failure is rethrown so that
        // BullMQ retries the job with its backoff.
        let failure: unknown;
        const ok = await tasks.run(jobTask(alertJob), () =>
          run(alertJob).catch((error: unknown) => {
            failure = error;
            throw error;
          }),
        );
        if (!ok) throw failure ?? new Error(`${jobTask(alertJob)} failed`);
      },
      {
        connection: workerConnection as unknown as ConnectionOptions,
        concurrency: 16,
        settings: { backoffStrategy: (attemptsMade: number, _type?: string, _error?: Error, job?: { data?: AlertJob }) => retryDelayMs(attemptsMade, job?.data?.kind) },
      },
    );
    worker.on('error', (error) => logger.warn({ err: error }, 'alert worker: redis error'));
    queue.on('error', (error) => logger.warn({ err: error }, 'alert queue: redis error'));
    let wasDown = false;
    connection.on('end', () => (wasDown = true));
    connection.on('close', () => (wasDown = true));
    connection.on('ready', () => {
      if (!wasDown) return;
      wasDown = false;
      logger.info('redis is back: deriving every pending alert job again from the log');
      tasks.spawn('redis-reconnect', onReconnect);
    });
    return new BullMqScheduler(queue, worker, connection, workerConnection);
  }

  async schedule(job: AlertJob, dueAt: number): Promise<void> {
    await this.queue.add(job.kind, job, {
      jobId: jobKey(job),
      delay: Math.max(0, dueAt - Date.now()),
      removeOnComplete: { age: 24 * 3600 },
      removeOnFail: { age: 24 * 3600 },
      // An alert step must go out: retried (0.5 s doubling to a minute) for about a week.
      attempts: 10_000,
      backoff: { type: 'custom' },
    });
  }

  /** Readiness: answers within a second or fails (commands queue forever while Redis is down). */
  async ping(): Promise<void> {
    if (this.connection.status !== 'ready') throw new Error(`redis is ${this.connection.status}`);
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error('redis did not answer within 1 s')), 1000);
    });
    try {
      await Promise.race([this.connection.ping(), timeout]);
    } finally {
      clearTimeout(timer);
    }
  }

  /** Closes within two seconds even when Redis is unreachable (a graceful close would wait for it). */
  async close(): Promise<void> {
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([
      Promise.all([this.worker.close(), this.queue.close()]).catch(() => undefined),
      new Promise<void>((resolve) => {
        timer = setTimeout(resolve, 2000);
      }),
    ]);
    clearTimeout(timer);
    this.connection.disconnect();
    this.workerConnection.disconnect();
  }
}
