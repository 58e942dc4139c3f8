import { ALERTING_ACTOR } from '../../domain/alerting.js';
import { DomainError } from '../../domain/errors.js';
import { streams } from '../../domain/events.js';
import {
  SMS_AFTER_MS,
  alertSmsParams,
  callsAtStep,
  notificationId,
  providerReference,
  NOTIFICATION_LEASE_MS,
  type Channel,
} from '../../domain/notification.js';
import { reportDecider, type FiledReport, type ReportCommand } from '../../domain/report.js';
import { ConcurrencyError, type EventStore } from '../../infra/eventstore/types.js';
import type { Logger } from '../../infra/logging.js';
import { ProviderError, type NotifyProvider } from '../../infra/notify/types.js';
import { phoneOf, usersAddressed } from '../../projections/access.js';
import type { ProjectedEvent } from '../../projections/projection.js';
import { unitPathNames } from '../../projections/units.js';
import type { BackgroundTasks } from '../background.js';
import { ALERTING, commandHandler, type CommandContext, type CommandHandler } from '../commands/execute.js';

import type { ProjectionRunner } from '../projection-runner.js';
import type { NodeMetrics } from '../metrics.js';
import type { NotifyJob, Scheduler } from './scheduler.js';

export interface NotifierOptions {
  provider: NotifyProvider;
  /** Where the console answers (PUBLIC_URL): the SMS carries `{publicUrl}/r/{first 8 of the report id}`. */
  publicUrl: string;
  /** The provider's sign (签名): it takes room in the one SMS the alert must fit. */
  signName: string;
  /** How long a device has to confirm receipt of a frame before that person gets an SMS (ms; SPEC §5: 30 s). */
  smsAfterMs?: number;
  now?: () => Date;
  /** Where messages handed to the provider are counted. */
  metrics?: NodeMetrics;
}

/** The short link of a report on the console (services/http/routes/inbound.ts resolves it). */
export const shortLink = (publicUrl: string, reportId: string): string => `${publicUrl}/r/${reportId.slice(0, 8)}`;

/** A message a job is owed: one alert step to one person on one channel, due at `dueAt` (ms). */
interface Owed {
  job: NotifyJob;
  dueAt: number;
}

/**
 * SMS and voice for alert steps (SPEC §5). Like the escalator, it remembers nothing the log does
 * not hold: what is owed is derived from the report's latest step, its recipients' grants (where
 * a phone lives) and the notification events in the report's stream, and a scheduler runs each
 * message at its due time. A message is claimed in the report's stream before it is sent
 * (NotificationAttempted, with a lease), so two nodes or a job run twice never send it twice; an
 * attempt whose process died is settled by asking the provider whether it took the message.
 */
export class Notifier {
  #scheduler: Scheduler | undefined;
  readonly #now: () => Date;
  readonly #commands: CommandHandler;
  readonly #smsAfterMs: number;
  #touched = new Set<string>();

  constructor(
    store: EventStore,
    private readonly runner: ProjectionRunner,
    private readonly logger: Logger,
    private readonly tasks: BackgroundTasks,
    private readonly options: NotifierOptions,
  ) {
    this.#now = options.now ?? (() => new Date());
    this.#commands = commandHandler(store);
    this.#smsAfterMs = options.smsAfterMs ?? SMS_AFTER_MS;
    tasks.declare('schedule-notifications');
    tasks.declare('notification');
  }

  get provider(): NotifyProvider {
    return this.options.provider;
  }

  useScheduler(scheduler: Scheduler): void {
    this.#scheduler = scheduler;
  }

  /** Runner handler: a report whose alert changed is looked at again once the batch is applied. */
  readonly handler = {
    event: (event: ProjectedEvent): void => {
      // While catching up after a start nothing is noted: once current, rescheduleAll (server.ts).
      if (this.runner.current && event.type === 'AlertRaised') this.#touched.add(event.id);
    },
    batchEnd: (): void => {
      if (this.#touched.size === 0) return;
      const touched = this.#touched;
      this.#touched = new Set();
      this.tasks.spawn('schedule-notifications', async () => {
        for (const id of touched) await this.#scheduleReport(id);
      });
    },
  };

  /** Derives every message still owed from the read models (at start, or when Redis came back empty). */
  async rescheduleAll(): Promise<void> {
    for (const [id, row] of this.runner.state('reports').rows) {
      if (row.alert && row.acknowledgedBy.length === 0 && row.status !== 'closed' && row.status !== 'dismissed') await this.#scheduleReport(id);
    }
  }

  /**
   * What the report's latest step still owes: an SMS to each person it names who has a phone, due
   * `smsAfterMs` after the step unless their device confirmed receipt; a voice call too when the
   * step repeats the policy's last one, due at once. Messages sent or finally failed are owed nothing.
   */
  owed(reportId: string): Owed[] {
    const row = this.runner.state('reports').rows.get(reportId);
    if (!row?.alert || row.acknowledgedBy.length > 0 || row.status === 'closed' || row.status === 'dismissed') return [];
    const { step, tier, recipients, lastAt, policySteps } = row.alert;
    const nowMs = this.#now().getTime();
    const access = this.runner.state('access');
    const done = this.runner.state('notifications').reports.get(reportId);
    const users = new Set(recipients.flatMap((r) => usersAddressed(access, r, nowMs)));
    const channels: Channel[] = callsAtStep(tier, policySteps) && this.options.provider.voice ? ['sms', 'voice'] : ['sms'];
    const owed: Owed[] = [];
    for (const to of users) {
      if (!phoneOf(access, to, nowMs)) continue;
      for (const channel of channels) {
        const message = done?.messages.get(notificationId(step, channel, to));
        if (message && message.status !== 'pending') continue;
        if (channel === 'sms' && done?.received.has(`${step}/${to}`)) continue;
        const dueAt = Date.parse(lastAt) + (channel === 'sms' ? this.#smsAfterMs : 0);
        owed.push({ job: { kind: 'notify', reportId, step, channel, to }, dueAt });
      }
    }
    return owed;
  }

  async #scheduleReport(reportId: string): Promise<void> {
    if (!this.#scheduler) return;
    for (const { job, dueAt } of this.owed(reportId)) await this.#scheduler.schedule(job, dueAt);
  }

  #context(job: NotifyJob): CommandContext {
    return { actor: ALERTING_ACTOR, correlationId: `notify-${job.reportId}-${this.#now().getTime()}`, now: this.#now().toISOString() };
  }

  /**
   * Runs a due message. Safe to run twice, on any node: claimed in the report's stream first.
   * Throws (so the scheduler retries with backoff) while another attempt holds the message, or
   * after a retryable failure short of the last attempt.
   */
  readonly run = async (job: NotifyJob): Promise<void> => {
    const stream = streams.report(job.reportId);
    const loaded = await this.#commands.load(stream, reportDecider);
    const report = loaded.state;
    if (!report.exists || !report.alert || report.alert.step !== job.step) return;
    if (report.acknowledgedBy.length > 0 || report.status === 'closed' || report.status === 'dismissed') return;
    const id = notificationId(job.step, job.channel, job.to);
    if (job.channel === 'sms' && report.notify.received.includes(`${job.step}/${job.to}`)) return;
    const context = this.#context(job);
    const nowMs = Date.parse(context.now);
    const phone = phoneOf(this.runner.state('access'), job.to, nowMs);
    if (!phone) return;
    const provider = this.options.provider;
    const reference = providerReference(job.reportId, id);
    const before = report.notify.notifications[id];
    if (before && before.status !== 'pending') return;

    // An attempt claimed but never answered: its process died between the claim and the record.
    // The provider is asked whether it took the SMS, so it is neither lost nor sent twice. (Voice
    // has no such lookup: a call is placed again, a second ring being better than none.)
    if (before?.leaseUntil && Date.parse(before.leaseUntil) <= nowMs && job.channel === 'sms') {
      const since = new Date(Date.parse(before.leaseUntil) - NOTIFICATION_LEASE_MS);
      const found = await provider.findSms(before.phone, reference, since);
      if (found) {
        await this.#record(stream, { type: 'RecordNotificationSent', data: { id, attempt: before.attempts, messageId: found, recovered: true }, now: context.now }, context);
        this.logger.info({ reportId: job.reportId, notification: id }, 'an SMS whose answer was lost was found at the provider');
        return;
      }
    }

    let attempt: number;
    try {
      const claimed = await this.#commands.execute(
        stream,
        reportDecider,
        { type: 'AttemptNotification', data: { step: job.step, to: job.to, channel: job.channel, phone, provider: provider.name }, now: context.now },
        context,
        ALERTING,
      );
      const event = claimed.events[0];
      if (event?.type !== 'NotificationAttempted') return;
      attempt = event.data.attempt;
    } catch (error) {
      if (error instanceof DomainError && error.code === 'in_progress') throw new Error(`${id} is being sent by another attempt`);
      if (error instanceof DomainError || error instanceof ConcurrencyError) return;
      throw error;
    }

    const filed = report as FiledReport;
    const params = alertSmsParams({
      hazard: filed.hazard,
      path: unitPathNames(this.runner.state('units'), filed.village),
      reporterPhone: filed.reporter.phone,
      link: shortLink(this.options.publicUrl, job.reportId),
      signName: this.options.signName,
    });
    let messageId: string;
    try {
      messageId = job.channel === 'sms' ? await provider.sendAlert(phone, params, reference) : await provider.call(phone, params, reference);
    } catch (error) {
      const failure = error instanceof ProviderError ? error : new ProviderError('network', error instanceof Error ? error.message : String(error), true);
      this.options.metrics?.notifications.inc({ channel: job.channel, outcome: 'failed' });
      const failed = await this.#record(
        stream,
        { type: 'RecordNotificationFailed', data: { id, attempt, code: failure.code, message: failure.message, retryable: failure.retryable }, now: this.#now().toISOString() },
        context,
      );
      this.logger.warn({ reportId: job.reportId, notification: id, attempt, code: failure.code }, `${job.channel} to ${provider.name} failed`);
      if (failed && !failed.final) throw new Error(`${id}: attempt ${attempt} failed (${failure.code}); retried`);
      return;
    }
    this.options.metrics?.notifications.inc({ channel: job.channel, outcome: 'sent' });
    await this.#record(stream, { type: 'RecordNotificationSent', data: { id, attempt, messageId }, now: this.#now().toISOString() }, context);
  };

  /** Appends what became of an attempt; retried by the caller's job on a store failure. */
  async #record(
    stream: string,
    command: ReportCommand,
    context: CommandContext,
  ): Promise<{ final: boolean } | undefined> {
    const executed = await this.#commands.execute(stream, reportDecider, command, context, ALERTING);
    const event = executed.events[0];
    return event?.type === 'NotificationFailed' ? { final: event.data.final } : undefined;
  }
}
