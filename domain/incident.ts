import { DEFAULT_CLOCK_RULES, jumpedIndicators, statutoryClocks, type ClockName, type ClockRules } from './clocks.js';
import type { Decider, Timed } from './decider.js';
import { assertNever, refuse } from './errors.js';
import type { EventData, EventOf } from './events.js';
import { unitLevel, withinScope } from './units.js';
import { figuresInconsistent, type Hazard, type IndicatorSet } from './vocabulary.js';
import { beijingPair } from './time.js';

/** How long after a submission from the draft the same one again is its resend (ms). */
const RESEND_WITHIN_MS = 15 * 60 * 1000;

/**
 * Whether `sent` says what the last submission said: stage, figures, the moment they stood at (or
 * the draft position they were taken from, within `RESEND_WITHIN_MS`), notes and explanation.
 * Sent again when its answer was lost, it would go upward twice (found by a newcomer); a
 * submission that differs in any of them is another.
 */
function sameSubmission(last: Submission | undefined, sent: EventData<'FiguresSubmitted'>): boolean {
  if (!last || last.stage !== sent.stage) return false;
  // Sent from the draft, its moment is when it was sent: a resend of the draft at the same
  // position is the same submission a second later (found by a newcomer: two 续报 upward).
  // Within minutes, as a lost answer is sent again: a day's 续报 from a log that did not move is
  // the next day's, not a resend.
  const sameDraft =
    last.source?.kind === 'draft' && sent.source?.kind === 'draft' && last.source.position === sent.source.position && Math.abs(Date.parse(sent.asOf) - Date.parse(last.asOf)) <= RESEND_WITHIN_MS;
  if (!sameDraft && Date.parse(last.asOf) !== Date.parse(sent.asOf)) return false;
  if ((last.notes ?? '') !== (sent.notes ?? '') || (last.explanation ?? '') !== (sent.explanation ?? '')) return false;
  const keys = new Set([...Object.keys(last.figures), ...Object.keys(sent.figures)]) as Set<keyof IndicatorSet>;
  return [...keys].every((k) => (last.figures[k] ?? 0) === (sent.figures[k] ?? 0));
}

export type IncidentEvent = EventOf<
  | 'IncidentOpened'
  | 'ReportLinked'
  | 'ReportUnlinked'
  | 'FiguresSubmitted'
  | 'IncidentStabilized'
  | 'IncidentClosed'
  | 'StatutoryClockAlerted'
>;

export interface Submission {
  stage: ClockName;
  figures: IndicatorSet;
  asOf: string;
  at: string;
  notes?: string | undefined;
  explanation?: string | undefined;
  /** Where its figures came from: the draft at a position, or typed by hand. */
  source?: EventData<'FiguresSubmitted'>['source'];
}

export interface OpenedIncident {
  exists: true;
  incidentId: string;
  county: string;
  hazard: Hazard;
  startedAt: string;
  title: string;
  openedAt: string;
  reports: string[];
  submissions: Submission[];
  stabilizedAt: string | undefined;
  closed: { summary: string; at: string } | undefined;
  clockAlerts: Array<{ clock: ClockName; dueAt: string }>;
}

export type IncidentState = { exists: false } | OpenedIncident;

/** What linking needs to know about the report, read by the command handler from the report's stream. */
export interface ReportForLink {
  exists: boolean;
  village: string;
  /** The incident the report's own stream says it is linked to, if any. */
  linkedIncident?: string | undefined;
}

type Cmd<T extends string, D> = { type: T; data: D; now: string };
export type IncidentCommand =
  | (Cmd<'OpenIncident', EventData<'IncidentOpened'>> & { countyKnown: boolean })
  | (Cmd<'LinkReport', EventData<'ReportLinked'>> & { report: ReportForLink })
  | (Cmd<'UnlinkReport', EventData<'ReportUnlinked'>> & { report: Pick<ReportForLink, 'linkedIncident'> })
  | Cmd<'SubmitFigures', EventData<'FiguresSubmitted'>>
  | Cmd<'StabilizeIncident', EventData<'IncidentStabilized'>>
  | Cmd<'CloseIncident', EventData<'IncidentClosed'>>
  | Cmd<'AlertOverdueClock', EventData<'StatutoryClockAlerted'>>;

const initialState = (): IncidentState => ({ exists: false });

function open(state: IncidentState): OpenedIncident {
  if (!state.exists) return refuse('not_found', { en: 'no such incident', zh: '未找到这个灾害过程，或它不在您的管辖范围内' });
  if (state.closed) refuse('incident_closed', 'the incident is closed');
  return state;
}

/**
 * After the 核报 the incident's reports are what was sent upward, and nothing can follow it
 * (自然灾害情况统计调查制度: the 核报 is the last): a report moved out would count again in another
 * incident's figures, one moved in would count nowhere (found by a newcomer: counted twice upward).
 */
function beforeFinal(incident: OpenedIncident, action: 'link' | 'unlink'): void {
  if (!incident.submissions.some((x) => x.stage === 'final')) return;
  if (action === 'link') {
    refuse(
      'final_already_submitted',
      { en: 'the final report (核报) was sent: no report is linked after it; link it to another incident, or explain it in writing to the level above', zh: '本灾害过程的核报已报送，之后不能再归入报告：如不属本过程，请归入另一个灾害过程；如属本过程，请按规定向上级书面说明' },
      { action },
    );
  }
  refuse(
    'final_already_submitted',
    { en: 'the final report (核报) was sent with this report in it: it is not moved out after that, or it would be counted twice upward', zh: '本灾害过程的核报已报送，其中计入了这份报告，之后不能再移出，否则会被重复上报：如归错了，请按规定向上级书面说明' },
    { action },
  );
}

function decide(command: IncidentCommand, state: IncidentState): IncidentEvent[] {
  switch (command.type) {
    case 'OpenIncident': {
      if (state.exists) refuse('already_exists', { en: 'this incident exists', zh: '这个灾害过程已经存在（编号相同）' }, { incidentId: state.incidentId });
      if (unitLevel(command.data.county) !== 'county') refuse('invalid_unit', 'an incident belongs to a county', { field: 'county' });
      if (!command.countyKnown) refuse('unit_not_found', `county ${command.data.county} is not registered`, { field: 'county', code: command.data.county });
      if (Date.parse(command.data.startedAt) > Date.parse(command.now)) {
        refuse('invalid_period', 'startedAt is in the future', { field: 'startedAt' });
      }
      return [{ type: 'IncidentOpened', data: command.data }];
    }
    case 'LinkReport': {
      const incident = open(state);
      const { report } = command;
      if (!report.exists) refuse('not_found', { en: 'no such report', zh: '未找到这份报告，或它不在您的管辖范围内' }, { field: 'reportId' });
      if (!withinScope(report.village, incident.county)) {
        refuse('invalid_unit', 'the report is from another county', { field: 'reportId' });
      }
      if (report.linkedIncident !== undefined && report.linkedIncident !== incident.incidentId) {
        refuse('report_already_linked', 'a report belongs to at most one incident', { incidentId: report.linkedIncident });
      }
      // Linking again what is linked records nothing new.
      if (incident.reports.includes(command.data.reportId)) return [];
      beforeFinal(incident, 'link');
      return [{ type: 'ReportLinked', data: command.data }];
    }
    case 'UnlinkReport': {
      const incident = open(state);
      if (incident.reports.includes(command.data.reportId)) {
        beforeFinal(incident, 'unlink');
        return [{ type: 'ReportUnlinked', data: command.data }];
      }
      // The report still claims this incident (its link was interrupted before the incident
      // recorded it): nothing to unlink here; the report's claim is released by the same command.
      if (command.report.linkedIncident === incident.incidentId) return [];
      return refuse('report_not_linked', 'the report is not linked to this incident');
    }
    case 'SubmitFigures': {
      const incident = open(state);
      // The same submission sent again (its answer lost) is not a second one sent upward.
      if (sameSubmission(incident.submissions.at(-1), command.data)) return [];
      const stages = incident.submissions.map((s) => s.stage);
      const { stage } = command.data;
      if (stage === 'initial' && stages.includes('initial')) refuse('initial_already_submitted', 'the initial report (初报) was sent');
      if (stage !== 'initial' && !stages.includes('initial')) refuse('initial_not_submitted', 'the initial report (初报) comes first');
      if (stages.includes('final')) refuse('final_already_submitted', 'the final report (核报) was sent');
      if (stage === 'daily' && incident.stabilizedAt) refuse('already_stabilized', { en: 'daily reports stop at stabilization', zh: '灾情已稳定，不再报送日报（续报）' });
      if (stage === 'final' && !incident.stabilizedAt) refuse('not_stabilized', 'the final report (核报) follows stabilization');
      // Figures typed by hand are checked as a verification's are. A draft's are not refused: they
      // are sums that may hold a contact's estimate, and a statutory deadline must not wait on it.
      const odd = command.data.source?.kind === 'hand' ? figuresInconsistent(command.data.figures) : undefined;
      if (odd) refuse('figures_inconsistent', `${odd.indicator} (${odd.given}) is more than ${odd.whole} (${odd.wholeGiven}), of which it is part`, { field: `figures.${odd.indicator}`, ...odd });
      const previous = incident.submissions.at(-1);
      // The figures "as they stood" at asOf: a time still to come, before the disaster began, or
      // before what was already sent upward would let a made-up date stop a statutory clock.
      // Compared to the millisecond, so the log never holds a 续报 as of before the one it follows;
      // the refusal gives both times to the second where they share a minute (services/http
      // messages.ts, beijingPair): "10:00 is before 10:00" read as a mistake (found by a newcomer).
      const asOf = Date.parse(command.data.asOf);
      if (asOf > Date.parse(command.now)) refuse('invalid_period', 'asOf is in the future', { field: 'asOf', why: 'future' });
      if (asOf < Date.parse(incident.startedAt)) {
        const [given, start] = beijingPair(command.data.asOf, incident.startedAt);
        refuse('invalid_period', `asOf: ${given} is before the incident started (${start} Beijing time), so no figures can stand as of it`, { field: 'asOf', why: 'before_start', asOf: command.data.asOf, startedAt: incident.startedAt });
      }
      if (previous && asOf < Date.parse(previous.asOf)) {
        const [given, before] = beijingPair(command.data.asOf, previous.asOf);
        refuse('invalid_period', `asOf: ${given} is before the previous submission's (${before} Beijing time); submissions only go forward`, { field: 'asOf', why: 'before_previous', asOf: command.data.asOf, previousAsOf: previous.asOf });
      }
      // The 核报's figures are those after stabilization (自然灾害情况统计调查制度): as of before it,
      // they would be a 续报's, sent as final.
      if (stage === 'final' && incident.stabilizedAt && asOf < Date.parse(incident.stabilizedAt)) {
        const [given, stable] = beijingPair(command.data.asOf, incident.stabilizedAt);
        refuse('invalid_period', `asOf: ${given} is before the disaster stabilized (${stable} Beijing time); the final report (核报) gives the figures as they stood after it`, { field: 'asOf', why: 'before_stabilized', asOf: command.data.asOf, stabilizedAt: incident.stabilizedAt });
      }
      if (previous && !command.data.explanation?.trim()) {
        const jumped = jumpedIndicators(previous.figures, command.data.figures);
        if (jumped.length > 0) {
          // Each move with its two values: a figure left out of a hand-typed submission counts as 0,
          // and the officer must be able to see that is why it "moved".
          const moves = jumped.map((indicator) => ({ indicator, from: previous.figures[indicator] ?? 0, to: command.data.figures[indicator] ?? null }));
          refuse('explanation_required', `figures moved by more than 50 %: ${jumped.join(', ')}`, { field: 'explanation', indicators: jumped, moves });
        }
      }
      return [{ type: 'FiguresSubmitted', data: command.data }];
    }
    case 'StabilizeIncident': {
      const incident = open(state);
      // The same stabilization again (a resend) is answered as the first was; another moment is refused.
      if (incident.stabilizedAt !== undefined && Date.parse(incident.stabilizedAt) === Date.parse(command.data.at)) return [];
      if (incident.stabilizedAt) refuse('already_stabilized', { en: 'the incident is already stabilized', zh: '灾情已经标记为稳定，不能再次标记' });
      const at = Date.parse(command.data.at);
      if (at < Date.parse(incident.startedAt) || at > Date.parse(command.now)) {
        refuse('invalid_period', 'stabilization lies between the start and now', { field: 'at' });
      }
      // Daily 续报 are owed until stabilization and stop at it (自然灾害情况统计调查制度), so one
      // already sent as of a later moment says the disaster was still developing then: dated
      // before it, stabilization would make the log contradict itself and un-owe the 续报 missed
      // in between (found by a newcomer).
      const lastDaily = incident.submissions.findLast((s) => s.stage === 'daily');
      if (lastDaily && at < Date.parse(lastDaily.asOf)) {
        const [given, daily] = beijingPair(command.data.at, lastDaily.asOf);
        refuse('invalid_period', `at: ${given} is before the daily report (续报) already sent as of ${daily} Beijing time; daily reports stop at stabilization, so it cannot come before one`, {
          field: 'at',
          why: 'before_daily',
          at: command.data.at,
          dailyAsOf: lastDaily.asOf,
        });
      }
      return [{ type: 'IncidentStabilized', data: command.data }];
    }
    case 'CloseIncident': {
      const incident = open(state);
      if (!incident.submissions.some((s) => s.stage === 'final')) refuse('final_not_submitted', 'an incident closes after its final report (核报)');
      return [{ type: 'IncidentClosed', data: command.data }];
    }
    case 'AlertOverdueClock': {
      const incident = open(state);
      if (incident.clockAlerts.some((a) => a.clock === command.data.clock && a.dueAt === command.data.dueAt)) {
        refuse('already_exists', { en: 'this clock was already alerted for this due time', zh: '这次报送期限的提醒已经发过' });
      }
      return [{ type: 'StatutoryClockAlerted', data: command.data }];
    }
    default:
      return assertNever(command);
  }
}

function evolve(state: IncidentState, event: Timed<IncidentEvent>): IncidentState {
  if (event.type === 'IncidentOpened') {
    return {
      exists: true,
      ...event.data,
      openedAt: event.at,
      reports: [],
      submissions: [],
      stabilizedAt: undefined,
      closed: undefined,
      clockAlerts: [],
    };
  }
  if (!state.exists) return state;
  switch (event.type) {
    case 'ReportLinked':
      return { ...state, reports: [...state.reports, event.data.reportId] };
    case 'ReportUnlinked':
      return { ...state, reports: state.reports.filter((r) => r !== event.data.reportId) };
    case 'FiguresSubmitted':
      return { ...state, submissions: [...state.submissions, { ...event.data, at: event.at }] };
    case 'IncidentStabilized':
      return { ...state, stabilizedAt: event.data.at };
    case 'IncidentClosed':
      return { ...state, closed: { summary: event.data.summary, at: event.at } };
    case 'StatutoryClockAlerted':
      return { ...state, clockAlerts: [...state.clockAlerts, { clock: event.data.clock, dueAt: event.data.dueAt }] };
    default:
      return assertNever(event);
  }
}

export const incidentDecider: Decider<IncidentState, IncidentCommand, IncidentEvent> = { initialState, evolve, decide };

/** Clocks that ran out and whose county heads were not yet alerted for that due time. */
export function overdueClocksToAlert(
  incident: OpenedIncident,
  now: string,
  rules: ClockRules = DEFAULT_CLOCK_RULES,
): Array<{ clock: ClockName; dueAt: string }> {
  return statutoryClocks({ ...incident, closed: incident.closed !== undefined }, now, rules)
    .filter((c) => c.overdue && !incident.clockAlerts.some((a) => a.clock === c.clock && a.dueAt === c.dueAt))
    .map((c) => ({ clock: c.clock, dueAt: c.dueAt }));
}
