import { RELATED_REPORT_WINDOW_MS } from '../domain/alerting.js';
import { assertNever } from '../domain/errors.js';
import type { EventData } from '../domain/events.js';
import { amendedPoint, casualtiesRaised, casualtyNews, mentionsPeopleInDanger, reportsWorse, statusAfter, type Casualty, type ReportStatus } from '../domain/report.js';
import type { Hazard, IndicatorSet, Location } from '../domain/vocabulary.js';
import { intern, internAll } from './intern.js';
import { projection } from './projection.js';

/** One report as the read side keeps it: what a list, a board, an alert frame and a tally need. */
export interface ReportRow {
  reportId: string;
  village: string;
  group: string | undefined;
  hazard: Hazard;
  observedAt: string;
  /** The phone's clock looked wrong at filing (SPEC §3): every view of observedAt says so. */
  clockSuspect: boolean;
  reportedAt: string;
  /** Position of its ReportFiled: the list's order and cursor. */
  filedPosition: string;
  reporter: { id: string; name: string; phone: string };
  location: Location | undefined;
  directions: string | undefined;
  notes: string | undefined;
  estimate: IndicatorSet;
  amendments: number;
  status: ReportStatus;
  /** Everyone who answered, first first (acknowledging, or dispatching or arriving themselves). */
  acknowledgedBy: string[];
  /**
   * The related report through which it was first answered (the alerting policy's `via`), until a
   * person answers it themselves: no person has looked at this one, so it answers nothing else.
   */
  answeredVia: string | undefined;
  /** The revision of the event that first answered it (an acknowledgement, a dispatch, an arrival): its frame says so, later ones do not. */
  answeredRevision?: number;
  alert:
    | {
        step: number;
        /** The policy's step the latest alert went to (AlertRaised `tier`, else its step). */
        tier: number;
        firstAt: string;
        lastAt: string;
        /** When the acknowledgement through a related report lapsed (AlertReopened), until the next alert is raised. */
        reopenedAt?: string;
        /** Who the latest step went to. */
        recipients: string[];
        /** Everyone alerted at any step: they hear of every update. */
        alerted: string[];
        delayMs: number;
        /** How many steps the policy has: a step at or past it is a repeat of the last (SPEC §5). */
        policySteps: number;
        related: string[];
      }
    | undefined;
  /** The latest verification; its households are in the households projection. */
  verified: { figures: IndicatorSet; households: number; verifier: string; method: string; at: string } | undefined;
  verifications: number;
  dismissal: EventData<'ReportDismissed'> | undefined;
  closedAt: string | undefined;
  incident: string | undefined;
  /** Position of its latest event. */
  position: string;
  /** Reports filed later whose alert named this one (SPEC §5): the other half of `alert.related`. */
  relatedLater?: string[];
  /**
   * Positions of the filing that told of people dead, missing or injured, and of the 续报 that told
   * of more than the report had said: each is alerted to the township's and the county's heads
   * (projections/alert-frames.ts), kept per event so a frame worked out again on resume is the same.
   */
  casualtiesRaised?: string[];
  /**
   * People dead, missing or injured a 续报 after the latest verification gives above it (domain/
   * report.ts casualtyNews): not in the figures sent upward until verified again, so a draft names
   * them (projections/drafts.ts).
   */
  newsAfterVerification?: Partial<Record<Casualty, number>> | undefined;
  /**
   * The latest acknowledgement through a related report that lapsed (SPEC §5): which report, why,
   * whose answer it was, when. The alert that follows says so.
   */
  reopened?: EventData<'AlertReopened'> & { at: string };
  /** Reports dismissed as duplicates of this one (they count only through it, SPEC §6), so a dismissal of it says so without a scan of every row. */
  duplicates?: string[];
}

export interface ReportsState {
  rows: Map<string, ReportRow>;
  /** Report ids in filing order (log order), with their filing positions, for newest-first pages. */
  order: string[];
  orderPositions: string[];
  /** Recent filings by `village|hazard`, for "the same hazard from the same village within 2 h". */
  recent: Map<string, Array<{ reportId: string; t: number }>>;
}

const REPORT_EVENTS = [
  'ReportFiled',
  'ReportAmended',
  'AlertRaised',
  'AlertAcknowledged',
  'AlertReopened',
  'OfficerDispatched',
  'OfficerArrived',
  'DamageVerified',
  'ReportDismissed',
  'ReportClosed',
  'IncidentLinkClaimed',
  'IncidentLinkReleased',
] as const;

/** Reports as read models list them (SPEC §4 GET /reports), and what alerting reads of them. */
export const reportsProjection = projection({
  name: 'reports',
  // 7: answeredVia (an answer through a related report answers nothing further). 11: casualtiesRaised, newsAfterVerification.
  // 12: AlertReopened (alert.tier, alert.reopenedAt, reopened). 13: casualtiesRaised at the filing.
  version: 13,
  eventTypes: REPORT_EVENTS,
  initialState: (): ReportsState => ({ rows: new Map(), order: [], orderPositions: [], recent: new Map() }),
  evolve(state, event) {
    const reportId = event.id;
    if (event.type === 'ReportFiled') {
      const d = event.data;
      state.rows.set(reportId, {
        reportId,
        village: intern(d.village),
        group: intern(d.group),
        hazard: intern(d.hazard),
        observedAt: d.observedAt,
        clockSuspect: d.clockSuspect === true,
        reportedAt: event.at,
        filedPosition: event.position,
        reporter: { id: intern(d.reporter.id), name: intern(d.reporter.name), phone: intern(d.reporter.phone) },
        location: d.location,
        directions: d.directions,
        notes: d.notes,
        estimate: d.estimate,
        amendments: 0,
        status: 'filed',
        acknowledgedBy: [],
        answeredVia: undefined,
        alert: undefined,
        verified: undefined,
        verifications: 0,
        dismissal: undefined,
        closedAt: undefined,
        incident: undefined,
        position: event.position,
      });
      if (casualtiesRaised(d.estimate, {})) state.rows.get(reportId)!.casualtiesRaised = [event.position];
      state.order.push(reportId);
      state.orderPositions.push(event.position);
      rememberSighting(state, `${d.village}|${d.hazard}`, reportId, Date.parse(event.at));
      return state;
    }
    const row = state.rows.get(reportId);
    if (!row) return state;
    row.position = event.position;
    row.status = statusAfter(row.status, event.type);
    switch (event.type) {
      case 'ReportAmended': {
        const { estimate, directions, notes } = event.data;
        row.amendments += 1;
        if (estimate && casualtiesRaised(estimate, row.estimate)) row.casualtiesRaised = joined(row.casualtiesRaised, [event.position]);
        if (estimate && row.verified) row.newsAfterVerification = casualtyNews(row.newsAfterVerification, estimate, row.verified.figures);
        if (estimate) row.estimate = { ...row.estimate, ...estimate };
        if (directions !== undefined) row.directions = directions;
        // A suspect point does not replace a good one (domain/report.ts amendedPoint).
        row.location = amendedPoint(event.data, row.location);
        if (notes !== undefined) row.notes = notes;
        return state;
      }
      case 'AlertRaised': {
        const { step, tier, recipients, policy, related } = event.data;
        // Lists grow by concat, not push: a pushed-to empty array reserves 17 slots, and a
        // province keeps several per report (docs/decisions.md, "Replay memory").
        const sent = internAll(recipients);
        const alerted = joined(row.alert?.alerted, sent);
        const named = joined(row.alert?.related, related ?? []);
        row.alert = { step, tier: tier ?? step, firstAt: row.alert?.firstAt ?? event.at, lastAt: event.at, recipients: sent, alerted, delayMs: policy.delayMs, policySteps: policy.steps.length, related: named };
        // The earlier report learns of the later one too: an officer opening either sees both.
        for (const id of related ?? []) {
          const earlier = state.rows.get(id);
          if (earlier) earlier.relatedLater = joined(earlier.relatedLater, [row.reportId]);
        }
        return state;
      }
      case 'AlertAcknowledged':
        if (row.acknowledgedBy.length === 0) {
          row.answeredVia = event.data.via;
          row.answeredRevision = event.revision;
        }
        else if (event.data.via === undefined) row.answeredVia = undefined;
        row.acknowledgedBy = joined(row.acknowledgedBy, [intern(event.data.by)]);
        return state;
      case 'AlertReopened':
        row.acknowledgedBy = [];
        row.answeredVia = undefined;
        delete row.answeredRevision;
        row.reopened = { ...event.data, at: event.at };
        if (row.alert) row.alert.reopenedAt = event.at;
        return state;
      case 'OfficerDispatched':
      case 'OfficerArrived':
        // Dispatching or arriving oneself answers the alert (docs/decisions.md).
        if (row.acknowledgedBy.length === 0) {
          row.acknowledgedBy = [intern(event.data.officer)];
          row.answeredRevision = event.revision;
        }
        row.answeredVia = undefined;
        return state;
      case 'DamageVerified':
        row.verifications += 1;
        row.verified = { figures: event.data.figures, households: event.data.households.length, verifier: intern(event.data.verifier), method: intern(event.data.method), at: event.at };
        row.newsAfterVerification = undefined;
        return state;
      case 'ReportDismissed': {
        row.dismissal = event.data;
        const original = event.data.reason === 'duplicate' && event.data.duplicateOf !== undefined ? state.rows.get(event.data.duplicateOf) : undefined;
        if (original) original.duplicates = joined(original.duplicates, [reportId]);
        return state;
      }
      case 'ReportClosed':
        row.closedAt = event.at;
        return state;
      case 'IncidentLinkClaimed':
        row.incident = event.data.incidentId;
        return state;
      case 'IncidentLinkReleased':
        if (row.incident === event.data.incidentId) row.incident = undefined;
        return state;
      default:
        return assertNever(event);
    }
  },
});

/** `list` with the values of `more` it lacks appended, in order, as a new array of exactly that length. */
function joined(list: readonly string[] | undefined, more: readonly string[]): string[] {
  const base = list ?? [];
  const fresh = more.filter((v, i) => !base.includes(v) && more.indexOf(v) === i);
  return fresh.length === 0 && list ? (list as string[]) : base.concat(fresh);
}

/** Keeps the filings of the last two hours per key, pruned from the front as time moves on. */
function rememberSighting(state: ReportsState, key: string, reportId: string, t: number): void {
  let recent = state.recent.get(key);
  if (!recent) state.recent.set(key, (recent = []));
  let stale = 0;
  while (stale < recent.length && recent[stale]!.t < t - RELATED_REPORT_WINDOW_MS) stale++;
  if (stale > 0) recent.splice(0, stale);
  recent.push({ reportId, t });
}

/** Earlier filings of the same hazard in the same village within the window, most recent first. */
/** Every report related to `row` (SPEC §5, same village and hazard within 2 h): those its alert named, then those filed later that named it. */
export function relatedReportsOf(row: ReportRow): string[] {
  return joined(row.alert?.related, row.relatedLater ?? []);
}

export function recentSightings(state: ReportsState, village: string, hazard: string, limit = Number.POSITIVE_INFINITY): Array<{ reportId: string; t: number }> {
  // The newest `limit` only: in a burst from one village the window holds thousands, and copying
  // them all for every new report made filing quadratic (docs/decisions.md, "Intake").
  const recent = state.recent.get(`${village}|${hazard}`) ?? [];
  const out: Array<{ reportId: string; t: number }> = [];
  for (let i = recent.length - 1; i >= 0 && out.length < limit; i--) out.push(recent[i]!);
  return out;
}

export interface ReportFilter {
  /** Significant prefix of the unit (the caller's scope, or narrower). */
  prefix: string;
  status?: ReportStatus | undefined;
  hazard?: Hazard | undefined;
  /** Filed at or after this instant. */
  since?: string | undefined;
  /** A previous page's `next`: rows filed before this position. */
  after?: string | undefined;
  limit: number;
}

/** Reports filed in units under `prefix`, newest first by filing, paged by filing position. */
export function listReports(state: ReportsState, filter: ReportFilter): { items: ReportRow[]; next: string | null } {
  const items: ReportRow[] = [];
  // Start below the cursor: positions are in log order, so a binary search finds it.
  let i = state.order.length - 1;
  if (filter.after !== undefined) {
    let lo = 0;
    let hi = state.order.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (state.orderPositions[mid]! < filter.after) lo = mid + 1;
      else hi = mid;
    }
    i = lo - 1;
  }
  const since = filter.since === undefined ? undefined : Date.parse(filter.since);
  for (; i >= 0; i--) {
    const row = state.rows.get(state.order[i]!)!;
    if (since !== undefined && Date.parse(row.reportedAt) < since) {
      // Filing time follows log order closely but not exactly across nodes: look a little further.
      if (Date.parse(row.reportedAt) < since - 60_000) break;
      continue;
    }
    if (!row.village.startsWith(filter.prefix)) continue;
    if (filter.status !== undefined && row.status !== filter.status) continue;
    if (filter.hazard !== undefined && row.hazard !== filter.hazard) continue;
    items.push(row);
    if (items.length === filter.limit) return { items, next: i > 0 ? row.filedPosition : null };
  }
  return { items, next: null };
}

/**
 * Why `row`'s acknowledgement through a related report no longer stands (SPEC §5), if it does not:
 * `via_dismissed`, that report was dismissed (nobody is on the way for either); `graver`, this one
 * now says something that one does not (people dead, missing, injured, more affected, or words of
 * people in danger), by its own 续报 or that one's; `answerer_gone`, where `stillThere` is given
 * and says the person it named cannot be reached now. Undefined for a report answered in person, or
 * whose work is done (verified, dismissed, closed), and while the report it came through was
 * verified or closed: someone was there. A report merged (dismissed as a duplicate) into this one,
 * or into one a person answers that says no less, takes nothing away: whoever answered it is on the
 * same event (found by a newcomer: merging the answered report into its follow-up rang it again as
 * "nobody on it", up to the county).
 */
export function lapsedAnswer(reports: ReportsState, row: ReportRow, stillThere?: (person: string) => boolean): 'via_dismissed' | 'graver' | 'answerer_gone' | undefined {
  if (row.answeredVia === undefined || row.acknowledgedBy.length === 0) return undefined;
  if (row.status === 'verified' || row.status === 'dismissed' || row.status === 'closed') return undefined;
  // The person it named can no longer be reached (their access revoked: a phone lost): told of this
  // report on a device nobody holds, and on the way, if at all, to the other one only.
  if (stillThere && !stillThere(row.acknowledgedBy[0]!)) return 'answerer_gone';
  const via = reports.rows.get(row.answeredVia);
  if (!via) return undefined;
  if (via.status === 'dismissed') {
    const into = via.dismissal?.reason === 'duplicate' ? via.dismissal.duplicateOf : undefined;
    if (into === row.reportId) return undefined;
    const merged = into === undefined ? undefined : reports.rows.get(into);
    const answered = merged !== undefined && merged.acknowledgedBy.length > 0 && merged.answeredVia === undefined && merged.status !== 'dismissed' && merged.status !== 'closed';
    return answered && !saysMoreThan(row, merged) ? undefined : 'via_dismissed';
  }
  if (via.status === 'verified' || via.status === 'closed') return undefined;
  return saysMoreThan(row, via) ? 'graver' : undefined;
}

/**
 * Whether a report that said `said` tells of something `than` did not (SPEC §5): people dead,
 * missing, injured or more affected — or words of people in danger in a text with no figures
 * ("后山滑坡，3组有人被埋", by SMS), graver than any estimate compares (found by a newcomer:
 * answered in an officer's name, nobody told). Such a report is alerted as new.
 */
export function saysMoreThan(said: { estimate: IndicatorSet; notes?: string | undefined }, than: { estimate: IndicatorSet }): boolean {
  return mentionsPeopleInDanger(said.notes) || reportsWorse(said.estimate, than.estimate);
}
