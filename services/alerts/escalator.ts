import {
  escalationPolicy,
  nextEscalation,
  recipientsAt,
  relatedReports,
  roleAudience,
  RELATED_REPORT_WINDOW_MS,
  MAX_RELATED_REPORTS,
  type ReportSighting,
} from '../../domain/alerting.js';
import { statutoryClocks } from '../../domain/clocks.js';
import { DomainError } from '../../domain/errors.js';
import { parseStream, streams } from '../../domain/events.js';
import { incidentDecider, overdueClocksToAlert, type IncidentEvent, type IncidentState } from '../../domain/incident.js';
import { alertTrack, reportDecider, type ReportCommand, type ReportEvent, type ReportState } from '../../domain/report.js';
import { rosterDecider, type RosterEvent, type RosterState } from '../../domain/roster.js';
import { ancestorAt } from '../../domain/units.js';
import { ConcurrencyError, type EventStore, type RecordedEvent } from '../../infra/eventstore/types.js';
import type { Logger } from '../../infra/logging.js';
import type { BackgroundTasks } from '../background.js';
import { commandHandler, toTimed, type CommandContext, type CommandHandler } from '../commands/execute.js';
import type { AlertJob, Scheduler } from './scheduler.js';

export interface EscalatorOptions {
  escalationDelayMs: number;
  now?: () => Date;
}

/**
 * The alerting process (SPEC §5). It tails the log and derives, for every open report, the next
 * alert it is owed, and for every incident the next statutory clock; a scheduler runs each at its
 * due time. Nothing here is remembered that the log does not hold: after a restart, or with
 * Redis wiped, replaying the log schedules exactly what is still owed. Each alert is appended at
 * the report's current revision and the decider refuses a step that is not the next one, so two
 * nodes (or a job that runs twice) can never raise the same step twice.
 */
export class Escalator {
  #reports = new Map<string, ReportState>();
  #rosters = new Map<string, RosterState>();
  #incidents = new Map<string, IncidentState>();
  /**
   * Recent filings by `village|hazard`, in log order, for the same-hazard rule; pruned from the
   * front past the window, so a village that files hundreds of reports costs no more per report.
   */
  #sightings = new Map<string, Array<ReportSighting & { t: number }>>();
  #scheduler: Scheduler | undefined;
  readonly #now: () => Date;
  readonly #commands: CommandHandler;

  constructor(
    store: EventStore,
    private readonly logger: Logger,
    private readonly tasks: BackgroundTasks,
    private readonly options: EscalatorOptions,
  ) {
    this.#now = options.now ?? (() => new Date());
    this.#commands = commandHandler(store);
    tasks.declare('schedule-alert-jobs');
  }

  useScheduler(scheduler: Scheduler): void {
    this.#scheduler = scheduler;
  }

  #touchedReports = new Set<string>();
  #touchedIncidents = new Set<string>();

  /** LogTailer handler: folds each event, then schedules what the batch changed. */
  readonly handler = {
    event: (event: RecordedEvent): void => this.#fold(event),
    batchEnd: (): void => this.#scheduleTouched(),
  };

  #fold(event: RecordedEvent): void {
    const touchedReports = this.#touchedReports;
    const touchedIncidents = this.#touchedIncidents;
    {
      const stream = parseStream(event.stream);
      if (stream?.kind === 'report') {
        const id = stream.id;
        this.#reports.set(id, reportDecider.evolve(this.#reports.get(id) ?? reportDecider.initialState(), toTimed<ReportEvent>(event)));
        touchedReports.add(id);
        if (event.type === 'ReportFiled') {
          const d = event.data as { village: string; hazard: string };
          const key = `${d.village}|${d.hazard}`;
          const t = Date.parse(event.metadata.at);
          let recent = this.#sightings.get(key);
          if (!recent) this.#sightings.set(key, (recent = []));
          let stale = 0;
          while (stale < recent.length && recent[stale]!.t < t - RELATED_REPORT_WINDOW_MS) stale++;
          if (stale > 0) recent.splice(0, stale);
          recent.push({ reportId: id, village: d.village, hazard: d.hazard, at: event.metadata.at, t });
        }
      } else if (stream?.kind === 'roster') {
        const township = stream.id;
        this.#rosters.set(township, rosterDecider.evolve(this.#rosters.get(township) ?? rosterDecider.initialState(), toTimed<RosterEvent>(event)));
      } else if (stream?.kind === 'incident') {
        const id = stream.id;
        this.#incidents.set(id, incidentDecider.evolve(this.#incidents.get(id) ?? incidentDecider.initialState(), toTimed<IncidentEvent>(event)));
        touchedIncidents.add(id);
      }
    }
  }

  #scheduleTouched(): void {
    const touchedReports = this.#touchedReports;
    const touchedIncidents = this.#touchedIncidents;
    if (touchedReports.size + touchedIncidents.size === 0) return;
    this.#touchedReports = new Set();
    this.#touchedIncidents = new Set();
    // Not awaited: a scheduler waiting on an unreachable Redis must not hold up the tailer (and
    // with it every live alert). What fails to schedule is derived again on reconnect.
    this.tasks.spawn('schedule-alert-jobs', async () => {
      for (const id of touchedReports) await this.#scheduleReport(id);
      for (const id of touchedIncidents) await this.#scheduleIncident(id);
    });
  }

  /** Re-derives every pending job (after Redis came back empty, say). */
  async rescheduleAll(): Promise<void> {
    for (const id of this.#reports.keys()) await this.#scheduleReport(id);
    for (const id of this.#incidents.keys()) await this.#scheduleIncident(id);
  }

  /** The count of reports still owed an alert (for /metrics and tests). */
  pendingEscalations(): number {
    let n = 0;
    for (const state of this.#reports.values()) if (state.exists && nextEscalation(alertTrack(state))) n++;
    return n;
  }

  async #scheduleReport(id: string): Promise<void> {
    const state = this.#reports.get(id);
    if (!state?.exists || !this.#scheduler) return;
    const next = nextEscalation(alertTrack(state));
    if (!next) {
      this.#reports.delete(id);
      return;
    }
    await this.#safely(() => this.#scheduler!.schedule({ kind: 'escalate', reportId: id, step: next.step }, Date.parse(next.dueAt)));
  }

  async #scheduleIncident(id: string): Promise<void> {
    const state = this.#incidents.get(id);
    if (!state?.exists || !this.#scheduler) return;
    if (state.closed) {
      this.#incidents.delete(id);
      return;
    }
    const now = this.#now().toISOString();
    const alerted = new Set(state.clockAlerts.map((a) => `${a.clock}@${a.dueAt}`));
    for (const clock of statutoryClocks({ ...state, closed: false }, now)) {
      if (clock.satisfiedAt || alerted.has(`${clock.clock}@${clock.dueAt}`)) continue;
      await this.#safely(() => this.#scheduler!.schedule({ kind: 'clock', incidentId: id, dueAt: clock.dueAt }, Date.parse(clock.dueAt) + 1));
    }
  }

  /** Scheduling must never stop the tailer: a Redis outage is survived by rescheduleAll later. */
  async #safely(fn: () => Promise<void>): Promise<void> {
    try {
      await fn();
    } catch (error) {
      this.logger.warn({ err: error }, 'could not schedule an alert job; it will be derived again from the log');
    }
  }

  /** Runs a due job. Safe to run twice, on any node. */
  readonly run = async (job: AlertJob): Promise<void> => {
    try {
      if (job.kind === 'escalate') await this.#escalate(job.reportId, job.step);
      else await this.#alertClocks(job.incidentId);
    } catch (error) {
      if (error instanceof ConcurrencyError || error instanceof DomainError) {
        this.logger.debug({ job, reason: error.message }, 'alert job already done elsewhere');
        return;
      }
      this.logger.error({ err: error, job }, 'alert job failed');
      throw error;
    }
  };

  #context(): CommandContext {
    return { actor: { id: 'zhitong-alerting', role: 'system' }, correlationId: `alerting-${this.#now().getTime()}`, now: this.#now().toISOString() };
  }

  async #escalate(reportId: string, step: number): Promise<void> {
    const stream = streams.report(reportId);
    const loaded = await this.#commands.load(stream, reportDecider);
    if (!loaded.state.exists) return;
    const next = nextEscalation(alertTrack(loaded.state));
    if (!next || next.step !== step) return;
    const context = this.#context();
    if (Date.parse(next.dueAt) > Date.parse(context.now)) {
      await this.#scheduler?.schedule({ kind: 'escalate', reportId, step }, Date.parse(next.dueAt));
      return;
    }
    const filedIn = loaded.state.village;
    const township = ancestorAt(filedIn, 'township');
    const roster = township
      ? (this.#rosters.get(township)?.entries ?? (await this.#commands.load(streams.roster(township), rosterDecider)).state.entries)
      : [];
    // Decided on the report as it is when appended: an acknowledgement that lands first makes
    // the decider refuse the step, which is the outcome wanted.
    await this.#commands.execute(
      stream,
      reportDecider,
      (report): ReportCommand => {
        const village = report.exists ? report.village : filedIn;
        const policy = escalationPolicy(village, roster, context.now, this.options.escalationDelayMs);
        const reason = report.exists ? (nextEscalation(alertTrack(report))?.reason ?? next.reason) : next.reason;
        const related =
          step === 0 && report.exists
            ? relatedReports(
                { reportId, village, hazard: report.hazard, at: report.reportedAt },
                // The most recent filings are the candidates; the rule names at most a handful.
                (this.#sightings.get(`${village}|${report.hazard}`) ?? []).slice(-4 * MAX_RELATED_REPORTS),
              )
            : [];
        return {
          type: 'RaiseAlert',
          data: { step, recipients: recipientsAt(policy, step), reason, policy, ...(related.length ? { related } : {}) },
          now: context.now,
        };
      },
      context,
    );
  }

  async #alertClocks(incidentId: string): Promise<void> {
    const stream = streams.incident(incidentId);
    const loaded = await this.#commands.load(stream, incidentDecider);
    if (!loaded.state.exists || loaded.state.closed) return;
    const context = this.#context();
    const due = overdueClocksToAlert(loaded.state, context.now);
    const recipients = [roleAudience('head', loaded.state.county)];
    // One command per clock; each decided again should a head's submission land first.
    for (const clock of due) {
      try {
        await this.#commands.execute(stream, incidentDecider, { type: 'AlertOverdueClock', data: { ...clock, recipients }, now: context.now }, context);
      } catch (error) {
        if (!(error instanceof DomainError)) throw error;
      }
    }
  }
}
