import { HAZARD_LABELS } from '../../domain/vocabulary.js';
import type { FiledReport } from '../../domain/report.js';
import type { ExistingAllocation } from '../../domain/allocation.js';
import { goodsView } from '../../projections/ledger.js';
import { statutoryClocks, type ClockRules } from '../../domain/clocks.js';
import type { OpenedIncident } from '../../domain/incident.js';
import type { UnitsDirectory } from '../units-directory.js';
import { arrivalPoint, frameLocation, passedOverPoint } from '../../projections/alert-frames.js';

/**
 * GET /reports/{id}: SPEC §4 names plus what an officer needs on one screen. `nameOf` gives the
 * name on a user's access grant, so the page can say 王主班 rather than officer-wangba-1.
 */
/** FiledReport.passedOver as the view says it (passedOverPoint), with when the 续报 came; null when none. */
function passedOverView(report: FiledReport, units: UnitsDirectory) {
  const passed = report.passedOver;
  const point = passed ? passedOverPoint(passed.point, passed.suspicion, report.location, report.village, units.lookup()) : null;
  return point && passed ? { ...point, at: passed.at } : null;
}

/**
 * A report as GET /reports/{id} answers it (SPEC §4). `relatedLater`: reports filed after it whose
 * alert named it (the reports projection; its own stream cannot know them), listed in `related`
 * after the ones its own alert named.
 */
export function reportView(report: FiledReport, revision: number, units: UnitsDirectory, nameOf: (sub: string) => string | undefined = () => undefined, relatedLater: readonly string[] = []) {
  const village = units.get(report.village);
  const place = frameLocation(report.location, report.village, units.lookup());
  return {
    reportId: report.reportId,
    status: report.status,
    village: report.village,
    unit: { code: report.village, name: village?.name ?? null, path: units.path(report.village) },
    group: report.group ?? null,
    hazard: report.hazard,
    hazardLabel: HAZARD_LABELS[report.hazard],
    observedAt: report.observedAt,
    clockSuspect: report.clockSuspect === true,
    reportedAt: report.reportedAt,
    location: report.location ?? null,
    // The reported point could not be where the hazard is (0,0, abroad, far from the village):
    // why, and that an alert sends officers to the village's centre instead (domain/location.ts).
    locationSuspect: place.locationSuspect,
    // Where an officer is sent, as the alert says it: the point if it can be trusted, else the
    // nearest centre the register knows (source 'unit'); null where neither (found by a newcomer:
    // the view gave the suspect point and nothing to go to instead).
    goTo: place.location,
    // The latest 续报's point that was not taken, and why, as the live frame says it (found by a
    // newcomer: the card said "the location cannot be trusted" of a good point kept).
    pointPassedOver: passedOverView(report, units),
    directions: report.directions ?? null,
    reporter: report.reporter,
    estimate: report.estimate,
    notes: report.notes ?? null,
    // Each notes text in order, the filing's first: a 续报's news is not lost behind the next one.
    noteTrail: report.noteTrail ?? [],
    verified: report.verified ?? null,
    acknowledgedBy: report.acknowledgedBy[0] ?? null,
    acknowledgements: report.acknowledgedBy,
    // The first answer came through this related report, not from a person who looked at this one
    // (SPEC §5 via); and each such answer that lapsed, why and when (found by a newcomer: the view
    // showed the officer as having answered it himself, and after the lapse said nothing of why).
    answeredVia: report.answeredVia ?? null,
    reopened: report.lapsedAnswers ?? [],
    escalationStep: report.alert?.step ?? null,
    // The policy's step it reached: after a reopening the escalation starts again (AlertRaised tier).
    escalationTier: report.alert?.tier ?? null,
    alerted: report.alert?.alerted ?? [],
    related: [...new Set([...(report.alert?.related ?? []), ...relatedLater])],
    dispatched: report.dispatched,
    // Each arrival's point judged as a report's is, for whoever reads the record (arrivalPoint).
    arrived: report.arrived.map((a) => (a.location ? { ...a, point: arrivalPoint(a.location, report.village, units.lookup()) } : a)),
    // The list's shape (reason, duplicateOf), with the notes and when (found by a newcomer: the
    // single view said neither when nor, beside the list, in the same shape).
    // Who dismissed it, beside when: found by a newcomer, it was only in the stream's history.
    dismissal: report.dismissal
      ? {
          reason: report.dismissal.reason,
          duplicateOf: report.dismissal.duplicateOf ?? null,
          notes: report.dismissal.notes ?? null,
          at: report.dismissal.at,
          by: report.dismissal.by ?? null,
          byName: report.dismissal.by === undefined ? null : (nameOf(report.dismissal.by) ?? null),
        }
      : null,
    closure: report.closure ?? null,
    amendments: report.amendments,
    // Whether the phones were reached (SPEC §5): each SMS and call of each step, and what became of it.
    notifications: Object.values(report.notify.notifications)
      .sort((a, b) => a.step - b.step || a.id.localeCompare(b.id))
      .map((n) => ({ id: n.id, step: n.step, to: n.to, channel: n.channel, status: n.status, attempts: n.attempts, lastError: n.lastError ?? null, delivery: n.delivery ?? null })),
    receivedBy: report.notify.received,
    // The people named above (who answered, set off, arrived, sent a 续报's words, verified), by
    // user id: what their grants call them.
    people: Object.fromEntries(
      [
        ...new Set([
          ...report.acknowledgedBy,
          ...report.dispatched.map((d) => d.officer),
          ...report.arrived.map((a) => a.officer),
          ...(report.noteTrail ?? []).flatMap((n) => (n.by === undefined ? [] : [n.by])),
          ...(report.verified ? [report.verified.verifier] : []),
        ]),
      ].flatMap((sub) => {
        const name = nameOf(sub);
        return name ? [[sub, name]] : [];
      }),
    ),
    revision,
  };
}

/** One allocation as it stands: goods in their units; `delivered` once cash and every goods line are handed over. */
/**
 * An allocation as it stands. `reportDismissed`: its report was dismissed, so nothing more is
 * handed over (deliveries refused from then on) and nothing is outstanding (`remainderVoided`).
 */
export function allocationView(a: ExistingAllocation, revision: number, reportDismissed = false) {
  const voided = (reportDismissed || a.remainderCancelled === true) && a.status === 'approved';
  return {
    allocationId: a.allocationId,
    reportId: a.reportId,
    village: a.village,
    household: a.household,
    category: a.category,
    fund: a.fund,
    status: a.status,
    cashFen: a.cashFen,
    goods: a.goods,
    allocatedBy: a.allocatedBy,
    allocatedAt: a.allocatedAt,
    // A repeat says why where the head approves it (found by a newcomer: only the ledger's list said it).
    repeatReason: a.repeatReason ?? null,
    approvedBy: a.approvedBy ?? null,
    delivered: { cashFen: a.deliveredCashFen, goods: goodsView(a.deliveredGoods), deliveries: a.deliveries },
    outstandingCashFen: (a.status === 'approved' || a.status === 'delivered') && !voided ? a.cashFen - a.deliveredCashFen : 0,
    remainderVoided: voided,
    remainderCancelled: a.remainderCancelled === true,
    revision,
  };
}

export function incidentView(i: OpenedIncident, revision: number, now: string, rules?: ClockRules) {
  return {
    incidentId: i.incidentId,
    county: i.county,
    hazard: i.hazard,
    hazardLabel: HAZARD_LABELS[i.hazard],
    title: i.title,
    startedAt: i.startedAt,
    status: i.closed ? 'closed' : i.stabilizedAt ? 'stabilized' : 'open',
    reports: i.reports,
    submissions: i.submissions,
    stabilizedAt: i.stabilizedAt ?? null,
    closure: i.closed ?? null,
    clocks: statutoryClocks({ ...i, closed: i.closed !== undefined }, now, rules),
    revision,
  };
}
