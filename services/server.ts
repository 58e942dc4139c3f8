import type { FastifyInstance } from 'fastify';
import type { Config } from '../infra/config.js';
import { openEventStore } from '../infra/eventstore/index.js';
import type { EventStore } from '../infra/eventstore/types.js';
import type { Logger } from '../infra/logging.js';
import { redisOptions } from '../infra/redis.js';
import { SqliteSnapshotStore, type SnapshotStore } from '../infra/snapshots.js';
import { tokenService, type TokenService } from '../infra/tokens.js';
import { join } from 'node:path';
import { Escalator } from './alerts/escalator.js';
import { AlertGateway, type GatewayOptions } from './alerts/gateway.js';
import { Notifier } from './alerts/notifier.js';
import { IntegrityCheck } from './audit/integrity.js';
import { Sealer } from './audit/sealer.js';
import { BackupSchedule } from './backups.js';
import { loadSigner, type SealSigner } from '../infra/audit/signing.js';
import { SmsDesk } from './alerts/sms-desk.js';
import { InProcessScheduler, type AlertJob, type Scheduler } from './alerts/scheduler.js';
import type { NotifyProvider } from '../infra/notify/index.js';
import { BackgroundTasks } from './background.js';
import { commandHandler, type CommandHandler } from './commands/execute.js';
import { buildApp } from './http/app.js';
import { NodeMetrics, meterAppends } from './metrics.js';
import { ProjectionRunner } from './projection-runner.js';
import { UnitsDirectory } from './units-directory.js';

export interface Zhitong {
  app: FastifyInstance;
  store: EventStore;
  commands: CommandHandler;
  tokens: TokenService;
  units: UnitsDirectory;
  runner: ProjectionRunner;
  escalator: Escalator;
  /** SMS and voice for alert steps; undefined when no provider is configured (WebSocket only). */
  notifier: Notifier | undefined;
  gateway: AlertGateway;
  scheduler: Scheduler;
  tasks: BackgroundTasks;
  /** Seals the log (SPEC §8): hourly while anything changed, at shutdown, on demand. */
  sealer: Sealer;
  /** Scheduled backups, where BACKUP_DIR is set on the embedded store. */
  backups: BackupSchedule | undefined;
  /** What `/metrics` serves: the node's own registry, for whatever else wants to be counted. */
  metrics: NodeMetrics;
  /** The node's own verification of the log (SPEC §8): its last result. */
  integrity: IntegrityCheck;
  /** Stops taking requests, finishes those in flight, seals the log, then closes the store. */
  close(): Promise<void>;
}

export interface ZhitongOptions {
  now?: () => Date;
  store?: EventStore;
  gateway?: GatewayOptions;
  /** Where projection snapshots are kept; `DATA_DIR/projections.sqlite` unless given (null: none). */
  snapshots?: SnapshotStore | null;
  /** How often the projection snapshot is written while anything changed (default 5 min). */
  snapshotEveryMs?: number;
  /** Builds the scheduler that runs alert jobs; in-process timers unless Redis is configured. */
  scheduler?: (run: (job: AlertJob) => Promise<void>, tasks: BackgroundTasks) => Scheduler | Promise<Scheduler>;
  /** How long a device has to confirm a frame before its holder gets an SMS (ms; SPEC §5: 30 s). */
  smsAfterMs?: number;
  /** Decide step 0 with the filing, in its append (default); off for nodes that raise no alerts. */
  firstAlertInFiling?: boolean;
}

/**
 * When a node first verifies its log after its read side is current (services/audit/integrity.ts),
 * in ms, unless VERIFY_EVERY is shorter: at once for a log of up to SMALL_LOG events (about a
 * second of the two cores), so a node started on a file edited while it was stopped says so at
 * once; ten minutes for a larger one, out of the start's own rush (docs/decisions.md, "The node
 * verifies its own log"). `events` is undefined where the store cannot say (EventStoreDB's
 * positions are byte offsets): the larger case.
 */
export function firstCheckAfterMs(events: number | undefined): number {
  return events !== undefined && events <= SMALL_LOG ? 0 : 10 * 60_000;
}
const SMALL_LOG = 100_000;

/** The composition root: wires the configured infrastructure into the services. */
export async function createZhitong(config: Config, logger: Logger, options: ZhitongOptions = {}): Promise<Zhitong> {
  const metrics = new NodeMetrics();
  const store = meterAppends(options.store ?? (await openEventStore(config)), metrics);
  const now = options.now ?? (() => new Date());
  const tasks = new BackgroundTasks(logger);
  const commands = commandHandler(store);
  const tokens = tokenService(config.authSecret);
  let signer: SealSigner | undefined;
  try {
    signer = config.auditSigningKeyFile ? loadSigner(config.auditSigningKeyFile) : undefined;
  } catch (error) {
    // A key that cannot be read is the configuration's fault (loadSigner throws ConfigError): the node does not start.
    await store.close();
    throw error;
  }
  // The node verifies the whole log it serves, off the event loop (services/audit/integrity.ts).
  const integrity = new IntegrityCheck(store, logger, {
    ...(options.store === undefined && store.kind === 'sqlite' ? { file: join(config.dataDir, 'events.sqlite') } : {}),
    ...(signer ? { publicKeyPem: signer.publicKeyPem } : {}),
    now,
  });
  const sealer = new Sealer(store, logger, { signer, everyMs: config.sealIntervalMs, now, holdWhileBroken: () => integrity.status().state === 'broken' });
  tasks.every('audit-seal', config.sealIntervalMs, () => sealer.seal({ periodic: true }));
  let backups: BackupSchedule | undefined;
  if (config.backup && store.kind === 'sqlite') {
    backups = new BackupSchedule(store, { dataDir: config.dataDir, ...config.backup, secretFromEnvironment: config.authSecretFromEnvironment, now }, logger, metrics);
    backups.start(tasks);
  } else if (config.backup) {
    logger.warn('BACKUP_DIR is set, but the store is EventStoreDB: back the cluster up with its own tools (deploy/README.md)');
  }

  // One runner per node applies every projection and then feeds the alerting process.
  const snapshots = options.snapshots === undefined ? new SqliteSnapshotStore(join(config.dataDir, 'projections.sqlite')) : (options.snapshots ?? undefined);
  const runner = new ProjectionRunner(store, logger, { ...(snapshots ? { snapshots } : {}), ...(options.snapshotEveryMs !== undefined ? { snapshotEveryMs: options.snapshotEveryMs } : {}) });
  const units = new UnitsDirectory(runner);
  const gateway = new AlertGateway(store, runner, logger, tasks, { ...options.gateway, now, metrics });
  const escalator = new Escalator(store, runner, logger, tasks, { escalationDelayMs: config.escalationDelayMs, clockRules: config.clockRules, now, firstAlertInFiling: options.firstAlertInFiling ?? true });
  // The SMS providers' SDKs load only where one is configured.
  const provider: NotifyProvider | undefined = config.notify ? (await import('../infra/notify/index.js')).notifyProvider(config.notify) : undefined;
  const notifier = provider
    ? new Notifier(store, runner, logger, tasks, { provider, publicUrl: config.publicUrl!, signName: config.notify!.signName, now, metrics, ...(options.smsAfterMs !== undefined ? { smsAfterMs: options.smsAfterMs } : {}) })
    : undefined;
  // One scheduler for every timed job of the alerting process; SMS and calls are jobs like steps.
  const runJob = async (job: AlertJob): Promise<void> => {
    if (job.kind !== 'notify') return escalator.run(job);
    if (notifier) return notifier.run(job);
  };
  const rescheduleAll = async () => {
    await escalator.rescheduleAll();
    await notifier?.rescheduleAll();
  };
  const scheduler: Scheduler = options.scheduler
    ? await options.scheduler(runJob, tasks)
    : config.redisUrl
      ? await (await import('./alerts/bullmq-scheduler.js')).BullMqScheduler.connect(config.redisUrl, runJob, logger, rescheduleAll, tasks)
      : new InProcessScheduler(runJob, tasks, () => now().getTime());
  escalator.useScheduler(scheduler);
  notifier?.useScheduler(scheduler);
  runner.on('alert-gateway', gateway.handler);
  runner.on('escalator', escalator.handler);
  if (notifier) runner.on('notifier', notifier.handler);
  await runner.start();
  gateway.started(await store.epoch());
  // Once the read side is current, everything still owed is scheduled from it (jobs are idempotent).
  runner.whenCurrent(() => tasks.spawn('schedule-alert-jobs', rescheduleAll));
  if (config.verifyEveryMs > 0) {
    // First soon after start (a large log: not in the start's own rush), then periodically.
    const events = store.guarantees.gapFreePositions ? Number((await store.headPosition()) ?? 0) : undefined;
    const firstAfter = Math.min(firstCheckAfterMs(events), config.verifyEveryMs);
    integrity.firstCheckAt(new Date(now().getTime() + firstAfter));
    runner.whenCurrent(() => tasks.later('integrity-check', firstAfter, () => integrity.run(), { attempts: 3 }));
    tasks.every('integrity-check', config.verifyEveryMs, () => integrity.run());
  }

  // Limiter counts shared between nodes; commands fail fast while Redis is away, and the
  // limiter then lets requests through (skipOnError) rather than refuse relief work.
  // ioredis loads only where Redis is configured (45 files at every start otherwise).
  const redis = config.redisUrl ? new (await import('ioredis')).Redis({ ...redisOptions(config.redisUrl), maxRetriesPerRequest: 1, enableOfflineQueue: false }) : undefined;
  redis?.on('error', (error) => logger.debug({ err: error }, 'rate-limit redis: connection error'));

  let sealing: ReturnType<Sealer['seal']> | undefined;
  const app = await buildApp({
    store,
    metrics,
    commands,
    logger,
    tokens,
    units,
    runner,
    tasks,
    gateway,
    // One seal at a time from the notices: two printed at once share it rather than race for it.
    audit: { ...(signer ? { signer } : {}), sealNow: () => (sealing ??= sealer.seal().finally(() => (sealing = undefined))) },
    ...(provider && config.notify ? { sms: { provider, callbackSecret: config.notify.callbackSecret, desk: new SmsDesk(commands, runner, units, provider, logger, now) } } : {}),
    bodyLimitBytes: config.bodyLimitBytes,
    rateLimitPerMinute: config.rateLimitPerMinute,
    authFailuresPerMinute: config.authFailuresPerMinute,
    trustProxy: config.trustProxy,
    requestTimeoutMs: config.requestTimeoutMs,
    reliefWindowDays: config.reliefWindowDays,
    firstAlert: (reportId, report, at) => escalator.firstAlert(reportId, report, at),
    clockRules: config.clockRules,
    ...(redis ? { redis } : {}),
    ...(options.now ? { now: options.now } : {}),
    ...(scheduler.ping ? { readinessChecks: [{ name: 'redis', check: () => scheduler.ping!() }] } : {}),
    integrity: () => integrity.status(),
  });
  let closed = false;
  return {
    app,
    store,
    commands,
    tokens,
    units,
    runner,
    escalator,
    notifier,
    gateway,
    scheduler,
    tasks,
    sealer,
    backups,
    metrics,
    integrity,
    async close() {
      if (closed) return;
      closed = true;
      gateway.close();
      await app.close();
      await scheduler.close();
      tasks.close();
      await integrity.close();
      // The shutdown seal: what this node wrote is sealed before it goes (SPEC §8), and the
      // snapshot written on stopping includes it.
      const sealed = await sealer.seal().catch((error: unknown) => void logger.error({ err: error }, 'the shutdown seal failed'));
      if (sealed?.written) await runner.caughtUp(2000);
      await runner.stop();
      await snapshots?.close();
      redis?.disconnect();
      await store.close();
    },
  };
}
