import type { FastifyInstance } from 'fastify';
import { Redis } from 'ioredis';
import type { Config } from '../infra/config.js';
import { openEventStore } from '../infra/eventstore/index.js';
import type { EventStore } from '../infra/eventstore/types.js';
import type { Logger } from '../infra/logging.js';
import { redisOptions } from '../infra/redis.js';
import { tokenService, type TokenService } from '../infra/tokens.js';
import { Escalator } from './alerts/escalator.js';
import { AlertGateway, type GatewayOptions } from './alerts/gateway.js';
import { InProcessScheduler, type Scheduler } from './alerts/scheduler.js';
import { BackgroundTasks } from './background.js';
import { commandHandler, type CommandHandler } from './commands/execute.js';
import { buildApp } from './http/app.js';
import { LogTailer } from './log-tailer.js';
import { OpenAlerts } from './open-alerts.js';
import { UnitsDirectory } from './units-directory.js';

export interface Zhitong {
  app: FastifyInstance;
  store: EventStore;
  commands: CommandHandler;
  tokens: TokenService;
  units: UnitsDirectory;
  tailer: LogTailer;
  escalator: Escalator;
  gateway: AlertGateway;
  scheduler: Scheduler;
  tasks: BackgroundTasks;
  /** Stops taking requests, finishes those in flight, then closes the store. */
  close(): Promise<void>;
}

export interface ZhitongOptions {
  now?: () => Date;
  store?: EventStore;
  gateway?: GatewayOptions;
  /** Builds the scheduler that runs alert jobs; in-process timers unless Redis is configured. */
  scheduler?: (run: Escalator['run'], tasks: BackgroundTasks) => Scheduler | Promise<Scheduler>;
}

/** The composition root: wires the configured infrastructure into the services. */
export async function createZhitong(config: Config, logger: Logger, options: ZhitongOptions = {}): Promise<Zhitong> {
  const store = options.store ?? openEventStore(config);
  const now = options.now ?? (() => new Date());
  const tasks = new BackgroundTasks(logger);
  const commands = commandHandler(store);
  const tokens = tokenService(config.authSecret);
  const units = new UnitsDirectory(store);
  await units.refresh();

  // One tailer per node feeds the read side and the alerting process alike.
  const tailer = new LogTailer(store, logger);
  const openAlerts = new OpenAlerts(tailer);
  const gateway = new AlertGateway(store, logger, tasks, { ...options.gateway, now });
  const escalator = new Escalator(store, logger, tasks, { escalationDelayMs: config.escalationDelayMs, now });
  const scheduler: Scheduler = options.scheduler
    ? await options.scheduler(escalator.run, tasks)
    : config.redisUrl
      ? await (await import('./alerts/bullmq-scheduler.js')).BullMqScheduler.connect(config.redisUrl, escalator.run, logger, () => escalator.rescheduleAll(), tasks)
      : new InProcessScheduler(escalator.run, tasks, () => now().getTime());
  escalator.useScheduler(scheduler);
  tailer.on('open-alerts', openAlerts.handler);
  tailer.on('alert-gateway', gateway.handler);
  tailer.on('escalator', escalator.handler);
  tailer.start();

  // Limiter counts shared between nodes; commands fail fast while Redis is away, and the
  // limiter then lets requests through (skipOnError) rather than refuse relief work.
  const redis = config.redisUrl ? new Redis({ ...redisOptions(config.redisUrl), maxRetriesPerRequest: 1, enableOfflineQueue: false }) : undefined;
  redis?.on('error', (error) => logger.debug({ err: error }, 'rate-limit redis: connection error'));

  const app = await buildApp({
    store,
    commands,
    logger,
    tokens,
    units,
    openAlerts,
    tailer,
    tasks,
    gateway,
    bodyLimitBytes: config.bodyLimitBytes,
    rateLimitPerMinute: config.rateLimitPerMinute,
    authFailuresPerMinute: config.authFailuresPerMinute,
    trustProxy: config.trustProxy,
    requestTimeoutMs: config.requestTimeoutMs,
    ...(redis ? { redis } : {}),
    ...(options.now ? { now: options.now } : {}),
    ...(scheduler.ping ? { readinessChecks: [{ name: 'redis', check: () => scheduler.ping!() }] } : {}),
  });
  let closed = false;
  return {
    app,
    store,
    commands,
    tokens,
    units,
    tailer,
    escalator,
    gateway,
    scheduler,
    tasks,
    async close() {
      if (closed) return;
      closed = true;
      gateway.close();
      await app.close();
      await scheduler.close();
      tasks.close();
      await tailer.stop();
      redis?.disconnect();
      await store.close();
    },
  };
}
