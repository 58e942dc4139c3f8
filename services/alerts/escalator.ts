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
import { streams } from '../../domain/events.js';
import { incidentDecider, overdueClocksToAlert, type IncidentEvent, type IncidentState } from '../../domain/incident.js';
import { alertTrack, reportDecider, type ReportEvent, type ReportState } from '../../domain/report.js';
import { rosterDecider, type RosterEvent, type RosterState } from '../../domain/roster.js';
import { ancestorAt } from '../../domain/units.js';
import { ConcurrencyError, type EventStore, type RecordedEvent } from '../../infra/eventstore/types.js';
import type { Logger } from '../../infra/logging.js';
import { execute, load, toTimed, type CommandContext } from '../commands/execute.js';
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

  constructor(
    private readonly store: EventStore,
    private readonly logger: Logger,
    private readonly options: EscalatorOptions,
  ) {
    this.#now = options.now ?? (() => new Date());
  }

  useScheduler(scheduler: Scheduler): void {
    this.#scheduler = scheduler;
  }

  /** LogTailer handler. */
  readonly onEvents = async (events: RecordedEvent[]): Promise<void> => {
    const touchedReports = new Set<string>();
    const touchedIncidents = new Set<string>();
    for (const event of events) {
      if (event.stream.startsWith('report-')) {
        const id = event.stream.slice('report-'.length);
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
      } else if (event.stream.startsWith('roster-')) {
        const township = event.stream.slice('roster-'.length);
        this.#rosters.set(township, rosterDecider.evolve(this.#rosters.get(township) ?? rosterDecider.initialState(), toTimed<RosterEvent>(event)));
      } else if (event.stream.startsWith('incident-')) {
        const id = event.stream.slice('incident-'.length);
        this.#incidents.set(id, incidentDecider.evolve(this.#incidents.get(id) ?? incidentDecider.initialState(), toTimed<IncidentEvent>(event)));
        touchedIncidents.add(id);
      }
    }
    // Not awaited: a scheduler waiting on an unreachable Redis must not hold up the tailer (and
    // with it every live alert). What fails to schedule is derived again on reconnect.
    for (const id of touchedReports) void this.#scheduleReport(id);
    for (const id of touchedIncidents) void this.#scheduleIncident(id);
  };

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
    const loaded = await load(this.store, stream, reportDecider);
    if (!loaded.state.exists) return;
    const report = loaded.state;
    const next = nextEscalation(alertTrack(report));
    if (!next || next.step !== step) return;
    const context = this.#context();
    if (Date.parse(next.dueAt) > Date.parse(context.now)) {
      await this.#scheduler?.schedule({ kind: 'escalate', reportId, step }, Date.parse(next.dueAt));
      return;
    }
    const township = ancestorAt(report.village, 'township');
    const roster = township ? (this.#rosters.get(township)?.entries ?? (await load(this.store, streams.roster(township), rosterDecider)).state.entries) : [];
    const policy = escalationPolicy(report.village, roster, context.now, this.options.escalationDelayMs);
    const related =
      step === 0
        ? relatedReports(
            { reportId, village: report.village, hazard: report.hazard, at: report.reportedAt },
            // The most recent filings are the candidates; the rule names at most a handful.
            (this.#sightings.get(`${report.village}|${report.hazard}`) ?? []).slice(-4 * MAX_RELATED_REPORTS),
          )
        : [];
    await execute(
      this.store,
      stream,
      reportDecider,
      {
        type: 'RaiseAlert',
        data: { step, recipients: recipientsAt(policy, step), reason: next.reason, policy, ...(related.length ? { related } : {}) },
        now: context.now,
      },
      context,
      { loaded },
    );
  }

  async #alertClocks(incidentId: string): Promise<void> {
    const stream = streams.incident(incidentId);
    const loaded = await load(this.store, stream, incidentDecider);
    if (!loaded.state.exists || loaded.state.closed) return;
    const context = this.#context();
    const due = overdueClocksToAlert(loaded.state, context.now);
    if (due.length === 0) return;
    const recipients = [roleAudience('head', loaded.state.county)];
    // One command per clock, each at the revision the previous one left.
    let current = loaded;
    for (const clock of due) {
      await execute(this.store, stream, incidentDecider, { type: 'AlertOverdueClock', data: { ...clock, recipients }, now: context.now }, context, { loaded: current });
      current = await load(this.store, stream, incidentDecider);
    }
  }
}
