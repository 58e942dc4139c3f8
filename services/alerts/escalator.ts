import { ALERTING_ACTOR, escalationPolicy, nextEscalation, recipientsAt, relatedReports, roleAudience, MAX_RELATED_REPORTS, type AlertTrack } from '../../domain/alerting.js';
import { DomainError } from '../../domain/errors.js';
import { parseStream, streams } from '../../domain/events.js';
import type { ClockRules } from '../../domain/clocks.js';
import { incidentDecider, overdueClocksToAlert } from '../../domain/incident.js';
import { alertTrack, reportDecider, type FiledReport, type ReportCommand, type ReportState } from '../../domain/report.js';
import { unreachedBecause } from '../../domain/roster.js';
import { ancestorAt } from '../../domain/units.js';
import type { IndicatorSet } from '../../domain/vocabulary.js';
import { ConcurrencyError, type EventStore } from '../../infra/eventstore/types.js';
import type { Logger } from '../../infra/logging.js';
import { incidentClocks } from '../../projections/incidents.js';
import type { ProjectedEvent } from '../../projections/projection.js';
import { lapsedAnswer, recentSightings, relatedReportsOf, saysMoreThan, type ReportRow, type ReportsState } from '../../projections/reports.js';
import { grantsOf, usersAddressed } from '../../projections/access.js';
import { rosterOf } from '../../projections/roster.js';
import type { BackgroundTasks } from '../background.js';
import { ALERTING, commandHandler, type CommandContext, type CommandHandler } from '../commands/execute.js';

import type { ProjectionRunner } from '../projection-runner.js';
import type { AlertJob, NotifyJob, Scheduler } from './scheduler.js';

export interface EscalatorOptions {
  escalationDelayMs: number;
  /** The statutory clocks' rules, with the office's working calendar (issue 16). */
  clockRules?: ClockRules | undefined;
  now?: () => Date;
  /**
   * Step 0 is decided with the filing, in its append (SPEC §5; docs/decisions.md, "Intake"). Off
   * where this node raises no alerts at all (the API tests' nodes, with no scheduler).
   */
  firstAlertInFiling?: boolean;
}

/** What the alerting policy needs to know about a report, from its read-model row. */
export function alertTrackOf(row: ReportRow): AlertTrack {
  return {
    step: row.alert?.step,
    tier: row.alert?.tier,
    lastRaisedAt: row.alert?.lastAt,
    reopenedAt: row.alert?.reopenedAt,
    delayMs: row.alert?.delayMs,
    acknowledged: row.acknowledgedBy.length > 0,
    finished: row.status === 'closed' || row.status === 'dismissed',
    reportedAt: row.reportedAt,
  };
}

/**
 * The alerting process (SPEC §5). For every open report it derives the next alert it is owed,
 * and for every incident the next statutory clock, from the read models (the reports, incidents
 * and roster projections); a scheduler runs each at its due time. Nothing here is remembered that
 * the log does not hold: after a restart, or with Redis wiped, the projections schedule exactly
 * what is still owed. Each alert is appended at the report's current revision and the decider
 * refuses a step that is not the next one, so two nodes (or a job that runs twice) can never
 * raise the same step twice.
 */
export class Escalator {
  #scheduler: Scheduler | undefined;
  readonly #now: () => Date;
  readonly #commands: CommandHandler;
  #touchedReports = new Set<string>();
  #touchedIncidents = new Set<string>();

  constructor(
    store: EventStore,
    private readonly runner: ProjectionRunner,
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

  /**
   * Runner handler: notes what each event touched, then schedules what the batch changed. While
   * the runner is catching up after a start nothing is noted: once it is current, everything
   * still owed is scheduled from the projections at once (server.ts).
   */
  readonly handler = {
    event: (event: ProjectedEvent): void => {
      if (!this.runner.current) return;
      const stream = parseStream(event.stream);
      if (stream?.kind === 'report') {
        this.#touchedReports.add(stream.id);
        // An answer to one report may answer its related ones; its dismissal, or a 续报 of either,
        // may end such an answer (#scheduleReport looks).
        if (event.type === 'AlertAcknowledged' || event.type === 'ReportDismissed' || event.type === 'ReportAmended') {
          const row = this.runner.state('reports').rows.get(stream.id);
          if (row) for (const id of relatedReportsOf(row)) this.#touchedReports.add(id);
        }
      } else if (stream?.kind === 'access' && event.type === 'AccessRevoked') {
        // An answer through a related report in the name of the person revoked ends (lapsedAnswer):
        // the reports so answered are few, and a revocation rare.
        const sub = (event.data as { sub?: string }).sub;
        for (const [id, row] of this.runner.state('reports').rows) if (row.answeredVia !== undefined && (sub === undefined || row.acknowledgedBy[0] === sub)) this.#touchedReports.add(id);
      } else if (stream?.kind === 'incident') this.#touchedIncidents.add(stream.id);
    },
    batchEnd: (): void => this.#scheduleTouched(),
  };

  #scheduleTouched(): void {
    const touchedReports = this.#touchedReports;
    const touchedIncidents = this.#touchedIncidents;
    if (touchedReports.size + touchedIncidents.size === 0) return;
    this.#touchedReports = new Set();
    this.#touchedIncidents = new Set();
    // Not awaited: a scheduler waiting on an unreachable Redis must not hold up the runner (and
    // with it every live alert). A failure is retried by the background registry.
    this.tasks.spawn('schedule-alert-jobs', async () => {
      for (const id of touchedReports) await this.#scheduleReport(id);
      for (const id of touchedIncidents) await this.#scheduleIncident(id);
    });
  }

  /** Derives every pending job again from the read models (at start, or when Redis came back empty). */
  async rescheduleAll(): Promise<void> {
    const reports = this.runner.state('reports');
    const now = this.#now().getTime();
    for (const [id, row] of reports.rows) if (nextEscalation(alertTrackOf(row)) || lapsedAnswer(reports, row, this.#stillThere(row.village, now))) await this.#scheduleReport(id);
    for (const [id, row] of this.runner.state('incidents').rows) if (!row.closed) await this.#scheduleIncident(id);
  }

  /** The count of reports still owed an alert (for /metrics and tests). */
  pendingEscalations(): number {
    let n = 0;
    for (const row of this.runner.state('reports').rows.values()) if (nextEscalation(alertTrackOf(row))) n++;
    return n;
  }

  async #scheduleReport(id: string): Promise<void> {
    const reports = this.runner.state('reports');
    const row = reports.rows.get(id);
    if (!row || !this.#scheduler) return;
    // SPEC §5: an answer through a related report stands while that report is being answered and
    // this one says nothing graver. When it no longer does, nobody is on the way for this one: the
    // lapse is written, and the alert that follows (below, once the runner has it) starts again.
    const lapse = lapsedAnswer(reports, row, this.#stillThere(row.village, this.#now().getTime()));
    if (lapse && row.answeredVia !== undefined) {
      const context = this.#context();
      try {
        await this.#commands.execute(streams.report(id), reportDecider, { type: 'ReopenAlert', data: { via: row.answeredVia, because: lapse }, now: context.now }, context, ALERTING);
        return;
      } catch (error) {
        if (!(error instanceof DomainError || error instanceof ConcurrencyError)) throw error;
      }
    }
    const next = nextEscalation(alertTrackOf(row));
    if (!next) return;
    // SPEC §5: related reports are one alert that names both, and escalation stops at the first
    // acknowledgement — of either. A report whose related one was answered (before or after it was
    // filed) counts as answered by the same person, unless it says something graver (people dead,
    // missing, injured, or more affected): then it goes on being alerted as new. Derived from the
    // read side, so a restart between the answer and this write still makes it.
    const answered = row.alert ? answeredVia(this.runner.state('reports'), row, this.#stillThere(row.village, this.#now().getTime())) : undefined;
    if (answered) {
      const context = this.#context();
      try {
        await this.#commands.execute(streams.report(id), reportDecider, { type: 'AcknowledgeAlert', data: answered, now: context.now }, context, ALERTING);
        return;
      } catch (error) {
        // Dismissed or closed meanwhile, or another writer first: the escalation below decides again.
        if (!(error instanceof DomainError || error instanceof ConcurrencyError)) throw error;
      }
    }
    await this.#scheduler.schedule({ kind: 'escalate', reportId: id, step: next.step, ...(next.reason === 'reopened' ? { reopenedAt: next.dueAt } : {}) }, Date.parse(next.dueAt));
  }

  async #scheduleIncident(id: string): Promise<void> {
    const row = this.runner.state('incidents').rows.get(id);
    if (!row || row.closed || !this.#scheduler) return;
    const alerted = new Set(row.clockAlerts.map((a) => `${a.clock}@${a.dueAt}`));
    for (const clock of incidentClocks(row, this.#now().toISOString(), this.options.clockRules)) {
      if (clock.satisfiedAt || alerted.has(`${clock.clock}@${clock.dueAt}`)) continue;
      await this.#scheduler.schedule({ kind: 'clock', incidentId: id, dueAt: clock.dueAt }, Date.parse(clock.dueAt) + 1);
    }
  }

  /** Runs a due job. Safe to run twice, on any node. */
  readonly run = async (job: Exclude<AlertJob, NotifyJob>): Promise<void> => {
    try {
      if (job.kind === 'escalate') await this.#escalate(job.reportId, job.step);
      else await this.#alertClocks(job.incidentId);
    } catch (error) {
      if (error instanceof ConcurrencyError || error instanceof DomainError) {
        this.logger.debug({ job, reason: error.message }, 'alert job already done elsewhere');
        return;
      }
      throw error;
    }
  };

  #context(): CommandContext {
    return { actor: ALERTING_ACTOR, correlationId: `alerting-${this.#now().getTime()}`, now: this.#now().toISOString() };
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
    // Decided on the report as it is when appended: an acknowledgement that lands first makes
    // the decider refuse the step, which is the outcome wanted.
    await this.#commands.execute(stream, reportDecider, (report): ReportCommand => this.#raise(reportId, next, report, filedIn, context.now), context, ALERTING);
  }

  /**
   * The first alert of a report being filed, decided with the filing for its one append (POST
   * /reports through `filingDecider`): the same step 0 this escalator would raise a moment later.
   * Undefined when this node does not alert (`firstAlertInFiling: false`): the escalator raises it
   * from the log as before. Either way it is raised once: the decider refuses a step already raised.
   */
  firstAlert(reportId: string, report: FiledReport, now: string): ReportCommand | undefined {
    if (!this.options.firstAlertInFiling) return undefined;
    return this.#raise(reportId, { step: 0, tier: 0, reason: 'filed' }, report, report.village, now);
  }

  #raise(reportId: string, next: { step: number; tier: number; reason: 'filed' | 'unacknowledged' | 'reopened' }, report: ReportState, filedIn: string, now: string): ReportCommand {
    const { step, tier, reason } = next;
    const village = report.exists ? report.village : filedIn;
    const township = ancestorAt(filedIn, 'township');
    const roster = township ? rosterOf(this.runner.state('roster'), township) : [];
    // Asked of the primaries on call only, until one is reached (one or two, not the whole roster,
    // on each filing: checking every entry was 4 % of the main thread at 200 reports/s). Asked at
    // later steps too, though only step 0's recipients depend on it: each AlertRaised records the
    // whole policy as it stood then, and an auditor reading step 1's must see the same step 0.
    const access = this.runner.state('access');
    const t = Date.parse(now);
    const reachable = (officer: string) => township !== undefined && unreachedBecause(township, grantsOf(access, officer), t) === undefined;
    // Asked only where no primary is reached. An office that records no grant at all (tokens issued
    // before grants were kept) tells nothing about who holds what: its heads are taken as reached.
    const audienceReached = (audience: string) => access.grants.size === 0 || usersAddressed(access, audience, t).length > 0;
    const policy = escalationPolicy(village, roster, now, this.options.escalationDelayMs, reachable, audienceReached);
    const related =
      step === 0 && report.exists
        ? relatedReports(
            { reportId, village, hazard: report.hazard, t: Date.parse(report.reportedAt) },
            // The most recent filings are the candidates; the rule names at most a handful.
            recentSightings(this.runner.state('reports'), village, report.hazard, 4 * MAX_RELATED_REPORTS).map((s) => ({ reportId: s.reportId, village, hazard: report.hazard, t: s.t })),
          )
        : [];
    // SPEC §5: a related report after the earlier one was acknowledged goes to whoever
    // acknowledged that one and counts as acknowledged by them — nobody else is woken —
    // unless it says something the earlier one did not (people dead, missing, injured, or
    // more affected): then it is alerted as new. An earlier report already dismissed or closed
    // has nobody on the way, so the later one is alerted as new too; so is one whose words tell of
    // people in danger (`answeringReport`).
    const answeredBy = step === 0 && report.exists ? answeringReport(this.runner.state('reports'), related, report, this.#stillThere(filedIn, t)) : undefined;
    // Alerted as new after a lapse: the policy's first step, and whoever's answer lapsed, who is
    // likely nearest and was told of this report before — unless they can no longer be reached.
    const reopened = reason === 'reopened' && report.exists ? report.alert?.reopened : undefined;
    const lapsed = reopened && reopened.because !== 'answerer_gone' ? reopened.answeredBy : undefined;
    const atTier = recipientsAt(policy, tier);
    const recipients = answeredBy ? [answeredBy.by] : lapsed !== undefined && !atTier.includes(lapsed) ? [...atTier, lapsed] : atTier;
    return {
      type: 'RaiseAlert',
      data: { step, ...(tier !== step ? { tier } : {}), recipients, reason, policy, ...(related.length ? { related } : {}) },
      ...(answeredBy ? { answeredBy } : {}),
      now,
    };
  }

  /**
   * Whether a person who answered a report in `village` is still there at `t` (ms) to be told of a
   * related one: not when every grant they held for its township was revoked or has expired (domain/
   * roster.ts unreachedBecause). A person with no grant recorded answered with a token the office
   * issued by other means, and is taken to be there.
   */
  #stillThere(village: string, t: number): (person: string) => boolean {
    const township = ancestorAt(village, 'township');
    const access = this.runner.state('access');
    return (person) => {
      if (township === undefined) return true;
      const why = unreachedBecause(township, grantsOf(access, person), t);
      return why !== 'revoked' && why !== 'expired';
    };
  }

  async #alertClocks(incidentId: string): Promise<void> {
    const stream = streams.incident(incidentId);
    const loaded = await this.#commands.load(stream, incidentDecider);
    if (!loaded.state.exists || loaded.state.closed) return;
    const context = this.#context();
    const due = overdueClocksToAlert(loaded.state, context.now, this.options.clockRules);
    const recipients = [roleAudience('head', loaded.state.county)];
    // One command per clock; each decided again should a head's submission land first.
    for (const clock of due) {
      try {
        await this.#commands.execute(stream, incidentDecider, { type: 'AlertOverdueClock', data: { ...clock, recipients }, now: context.now }, context, ALERTING);
      } catch (error) {
        if (!(error instanceof DomainError)) throw error;
      }
    }
  }
}

/**
 * What a person's first acknowledgement of `reportId` does to its related reports (SPEC §5), as the
 * escalator will decide it (`answeredVia`): `answers`, those nobody has answered that say nothing
 * graver, which count as acknowledged by the same person and stop calling; `graver`, those nobody
 * has answered that say more (people dead, missing, injured, more affected, or words of people in
 * danger), which go on being alerted as new. Both empty when the report was answered already, or
 * its work is done. Said to the officer who acknowledges (found by a newcomer: one press answered
 * two reports in their name, and nothing said so).
 */
export function answeredAlongWith(reports: ReportsState, reportId: string): { answers: ReportRow[]; graver: ReportRow[] } {
  const row = reports.rows.get(reportId);
  const none = { answers: [], graver: [] };
  if (!row || row.acknowledgedBy.length > 0 || row.status === 'verified' || row.status === 'dismissed' || row.status === 'closed') return none;
  const answers: ReportRow[] = [];
  const graver: ReportRow[] = [];
  for (const id of relatedReportsOf(row)) {
    const other = reports.rows.get(id);
    if (!other || other.acknowledgedBy.length > 0 || other.status === 'dismissed' || other.status === 'closed') continue;
    (saysMoreThan(other, row) ? graver : answers).push(other);
  }
  return { answers, graver };
}

/**
 * The acknowledgement `row` gets through a related report (SPEC §5), if any: the first related
 * report, earlier or later, that a person has answered and that is still open, when `row` says
 * nothing graver than it (domain/report.ts reportsWorse).
 */
function answeredVia(reports: ReportsState, row: ReportRow, stillThere: (person: string) => boolean): { by: string; via: string } | undefined {
  if (row.acknowledgedBy.length > 0 || row.status === 'dismissed' || row.status === 'closed') return undefined;
  return answeringReport(reports, relatedReportsOf(row), row, stillThere);
}

/**
 * The first of `related` that a person has answered and that is still being answered, when a report
 * that said `estimate` and `notes` says nothing graver than it: whoever answered it is on the way to this one too
 * (SPEC §5). Not one answered only through another report (found by a newcomer: each report
 * answered that way answered the next, a chain that ran on for hours past the two-hour window and
 * after the first was closed), nor one verified, dismissed or closed: the work there is done, and
 * a report after it is news.
 */
function answeringReport(
  reports: ReportsState,
  related: readonly string[],
  said: { estimate: IndicatorSet; notes?: string | undefined },
  stillThere: (person: string) => boolean,
): { by: string; via: string } | undefined {
  for (const id of related) {
    const other = reports.rows.get(id);
    if (!other || other.acknowledgedBy.length === 0 || other.answeredVia !== undefined) continue;
    // Whoever answered must still be there: an answer in the name of a person whose access was
    // revoked (a phone lost) reached nobody and never escalated (found by a newcomer).
    if (!stillThere(other.acknowledgedBy[0]!)) continue;
    if (other.status === 'verified' || other.status === 'dismissed' || other.status === 'closed') continue;
    if (saysMoreThan(said, other)) continue;
    return { by: other.acknowledgedBy[0]!, via: other.reportId };
  }
  return undefined;
}
