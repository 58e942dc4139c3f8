import type { FastifyInstance } from 'fastify';
import type { Config } from '../infra/config.js';
import { openEventStore } from '../infra/eventstore/index.js';
import type { EventStore } from '../infra/eventstore/types.js';
import type { Logger } from '../infra/logging.js';
import { tokenService, type TokenService } from '../infra/tokens.js';
import { Escalator } from './alerts/escalator.js';
import { AlertGateway, type GatewayOptions } from './alerts/gateway.js';
import { InProcessScheduler, type Scheduler } from './alerts/scheduler.js';
import { buildApp } from './http/app.js';
import { LogTailer } from './log-tailer.js';
import { ReportLinks } from './report-links.js';
import { OpenAlerts } from './open-alerts.js';
import { UnitsDirectory } from './units-directory.js';

export interface Zhitong {
  app: FastifyInstance;
  store: EventStore;
  tokens: TokenService;
  units: UnitsDirectory;
  tailer: LogTailer;
  escalator: Escalator;
  gateway: AlertGateway;
  scheduler: Scheduler;
  /** Stops taking requests, finishes those in flight, then closes the store. */
  close(): Promise<void>;
}

export interface ZhitongOptions {
  now?: () => Date;
  store?: EventStore;
  gateway?: GatewayOptions;
  /** Builds the scheduler that runs alert jobs; in-process timers unless Redis is configured. */
  scheduler?: (run: Escalator['run']) => Scheduler | Promise<Scheduler>;
}

/** The composition root: wires the configured infrastructure into the services. */
export async function createZhitong(config: Config, logger: Logger, options: ZhitongOptions = {}): Promise<Zhitong> {
  const store = options.store ?? openEventStore(config);
  const now = options.now ?? (() => new Date());
  const tokens = tokenService(config.authSecret);
  const units = new UnitsDirectory(store);
  await units.refresh();

  // One tailer per node feeds the read side and the alerting process alike.
  const tailer = new LogTailer(store, logger);
  const links = new ReportLinks(tailer);
  const openAlerts = new OpenAlerts(tailer);
  const gateway = new AlertGateway(store, logger, { ...options.gateway, now });
  const escalator = new Escalator(store, logger, { escalationDelayMs: config.escalationDelayMs, now });
  const scheduler: Scheduler = options.scheduler
    ? await options.scheduler(escalator.run)
    : config.redisUrl
      ? await (await import('./alerts/bullmq-scheduler.js')).BullMqScheduler.connect(config.redisUrl, escalator.run, logger, () => escalator.rescheduleAll())
      : new InProcessScheduler(escalator.run, () => now().getTime());
  escalator.useScheduler(scheduler);
  tailer.on(links.onEvents);
  tailer.on(openAlerts.onEvents);
  tailer.on(gateway.onEvents);
  tailer.on(escalator.onEvents);
  tailer.start();

  const app = await buildApp({
    store,
    logger,
    tokens,
    units,
    links,
    openAlerts,
    gateway,
    bodyLimitBytes: config.bodyLimitBytes,
    rateLimitPerMinute: config.rateLimitPerMinute,
    ...(options.now ? { now: options.now } : {}),
    ...(scheduler.ping ? { readinessChecks: [{ name: 'redis', check: () => scheduler.ping!() }] } : {}),
  });
  let closed = false;
  return {
    app,
    store,
    tokens,
    units,
    tailer,
    escalator,
    gateway,
    scheduler,
    async close() {
      if (closed) return;
      closed = true;
      gateway.close();
      await app.close();
      await scheduler.close();
      await tailer.stop();
      await store.close();
    },
  };
}
