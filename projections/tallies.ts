import { assertNever } from '../domain/errors.js';
import { statusAfter, type ReportStatus } from '../domain/report.js';
import { ancestry } from '../domain/units.js';
import { INDICATORS, type Hazard, type IndicatorSet } from '../domain/vocabulary.js';
import { intern } from './intern.js';
import { projection } from './projection.js';

/**
 * Damage tallies for every unit at every level (SPEC §6): reported = the latest estimate of every
 * report not dismissed; verified = the latest verification of every verified or closed report; a
 * dismissed report counts in neither. Report counts by status. Kept for all hazards and per hazard.
 *
 * Each report adds its contribution to its village and every unit above it, and an event that
 * changes it takes the old one off first, so a parent is always exactly the sum of its children.
 * Sums are integers: counts, yuan, and hectares in hundredths (the schema's precision), so no
 * float ever drifts in a county's figures.
 */
const HA = new Set<string>(['cropAffectedHa', 'cropDamagedHa', 'cropFailedHa']);
const SCALE = INDICATORS.map((k) => (HA.has(k) ? 100 : 1));

/** An indicator set as integers in INDICATORS order (hectares in hundredths). */
export type Sums = number[];
const zero = (): Sums => INDICATORS.map(() => 0);

export function toSums(set: IndicatorSet | undefined): Sums {
  return INDICATORS.map((k, i) => Math.round((set?.[k] ?? 0) * SCALE[i]!));
}

/** Sums back to an indicator set, omitting zeros. */
export function fromSums(sums: Sums): IndicatorSet {
  const out: Record<string, number> = {};
  INDICATORS.forEach((k, i) => {
    if (sums[i]! !== 0) out[k] = SCALE[i] === 1 ? sums[i]! : sums[i]! / SCALE[i]!;
  });
  return out as IndicatorSet;
}

const STATUSES: ReportStatus[] = ['filed', 'acknowledged', 'on_site', 'verified', 'dismissed', 'closed'];

export interface Tally {
  reported: Sums;
  verified: Sums;
  byStatus: Record<ReportStatus, number>;
}

/**
 * A report's sums, sparse: `[index, value, index, value, …]` for its non-zero indicators only. A
 * province keeps one or two per report, and a report names a few of the indicators.
 */
type Sparse = number[];

function sparse(sums: Sums): Sparse {
  const out: Sparse = [];
  for (let i = 0; i < sums.length; i++) if (sums[i] !== 0) out.push(i, sums[i]!);
  return out;
}

/** `sparse(toSums(set))` without the dense array between: once per filing and verification. */
function sparseOf(set: IndicatorSet): Sparse {
  const out: Sparse = [];
  for (let i = 0; i < INDICATORS.length; i++) {
    const v = set[INDICATORS[i]!];
    if (v !== undefined && v !== 0) {
      const scaled = Math.round(v * SCALE[i]!);
      if (scaled !== 0) out.push(i, scaled);
    }
  }
  return out;
}

function dense(s: Sparse): Sums {
  const out = zero();
  for (let j = 0; j < s.length; j += 2) out[s[j]!] = s[j + 1]!;
  return out;
}

interface Contribution {
  village: string;
  hazard: Hazard;
  status: ReportStatus;
  estimate: Sparse;
  verified: Sparse | undefined;
  /** The tallies it adds to (`targets`), shared with every report of its village and hazard. */
  targets: Tally[];
}

export interface TalliesState {
  /** By `${unitCode}|${hazard or *}`. */
  tallies: Map<string, Tally>;
  reports: Map<string, Contribution>;
  /**
   * The tallies a report of `${village}|${hazard}` adds to (its village and every unit above it,
   * for all hazards and for its own): found once per village and hazard, not per event.
   */
  targets: Map<string, Tally[]>;
}

const emptyTally = (): Tally => ({ reported: zero(), verified: zero(), byStatus: Object.fromEntries(STATUSES.map((s) => [s, 0])) as Record<ReportStatus, number> });

function targets(state: TalliesState, village: string, hazard: Hazard): Tally[] {
  const key = `${village}|${hazard}`;
  let list = state.targets.get(key);
  if (!list) {
    list = [];
    for (const unit of ancestry(village)) {
      for (const k of [`${unit}|*`, `${unit}|${hazard}`]) {
        let tally = state.tallies.get(k);
        if (!tally) state.tallies.set(k, (tally = emptyTally()));
        list.push(tally);
      }
    }
    state.targets.set(key, list);
  }
  return list;
}

const reportedOf = (c: Contribution) => (c.status === 'dismissed' ? undefined : c.estimate);
const verifiedOf = (c: Contribution) => (c.status === 'verified' || c.status === 'closed' ? c.verified : undefined);

function add(into: Sums, s: Sparse | undefined, sign: number): void {
  if (s) for (let j = 0; j < s.length; j += 2) into[s[j]!]! += sign * s[j + 1]!;
}

/**
 * Moves a report's contribution from what it was (its status and sums before the event) to what
 * it is: a status change alone touches only the counts; the sums move only when they changed.
 * The before-values come as arguments, not an object: this runs for every report event of a replay.
 */
function move(c: Contribution, status: ReportStatus, reportedBefore: Sparse | undefined, verifiedBefore: Sparse | undefined): void {
  const reported = reportedOf(c);
  const verified = verifiedOf(c);
  const sumsMoved = reportedBefore !== reported || verifiedBefore !== verified;
  if (!sumsMoved && status === c.status) return;
  for (const tally of c.targets) {
    if (reportedBefore !== reported) {
      add(tally.reported, reportedBefore, -1);
      add(tally.reported, reported, 1);
    }
    if (verifiedBefore !== verified) {
      add(tally.verified, verifiedBefore, -1);
      add(tally.verified, verified, 1);
    }
    if (status !== c.status) {
      tally.byStatus[status] -= 1;
      tally.byStatus[c.status] += 1;
    }
  }
}

export const talliesProjection = projection({
  name: 'tallies',
  // 5: AlertReopened (an acknowledgement lapsed moves the report back to filed).
  version: 5,
  eventTypes: ['ReportFiled', 'ReportAmended', 'AlertAcknowledged', 'AlertReopened', 'OfficerDispatched', 'OfficerArrived', 'DamageVerified', 'ReportDismissed', 'ReportClosed'],
  initialState: (): TalliesState => ({ tallies: new Map(), reports: new Map(), targets: new Map() }),
  evolve(state, event) {
    const reportId = event.id;
    if (event.type === 'ReportFiled') {
      const village = intern(event.data.village);
      const hazard = intern(event.data.hazard);
      const c: Contribution = { village, hazard, status: 'filed', estimate: sparseOf(event.data.estimate), verified: undefined, targets: targets(state, village, hazard) };
      state.reports.set(reportId, c);
      for (const tally of c.targets) {
        add(tally.reported, c.estimate, 1);
        tally.byStatus.filed += 1;
      }
      return state;
    }
    const c = state.reports.get(reportId);
    if (!c) return state;
    const status = c.status;
    const reported = reportedOf(c);
    const verified = verifiedOf(c);
    c.status = statusAfter(status, event.type);
    switch (event.type) {
      case 'ReportAmended':
        // A follow-up (续报) changes only the indicators it names; the sums are a new array, so
        // the move sees them changed.
        if (event.data.estimate) {
          const amended = toSums(event.data.estimate);
          c.estimate = sparse(dense(c.estimate).map((v, i) => (event.data.estimate![INDICATORS[i]!] !== undefined ? amended[i]! : v)));
        }
        break;
      case 'DamageVerified':
        // A later verification supersedes an earlier one (核报).
        c.verified = sparseOf(event.data.figures);
        break;
      case 'AlertAcknowledged':
      case 'AlertReopened':
      case 'OfficerDispatched':
      case 'OfficerArrived':
      case 'ReportDismissed':
      case 'ReportClosed':
        break;
      default:
        assertNever(event);
    }
    move(c, status, reported, verified);
    return state;
  },
});

/** The tally of one unit (all hazards, or one), zeros where nothing was reported. */
export function tallyOf(state: TalliesState, unit: string, hazard?: Hazard): Tally {
  return state.tallies.get(`${unit}|${hazard ?? '*'}`) ?? emptyTally();
}

/** A tally as a response shows it: indicator sets and counts by status. */
export function tallyView(tally: Tally): { reported: IndicatorSet; verified: IndicatorSet; reports: { total: number; byStatus: Record<ReportStatus, number> } } {
  const total = STATUSES.reduce((n, s) => n + tally.byStatus[s], 0);
  return { reported: fromSums(tally.reported), verified: fromSums(tally.verified), reports: { total, byStatus: { ...tally.byStatus } } };
}
