import { assertNever } from '../domain/errors.js';
import { streamId } from '../domain/events.js';
import { statusAfter, type ReportStatus } from '../domain/report.js';
import { ancestry } from '../domain/units.js';
import { INDICATORS, type Hazard, type IndicatorSet } from '../domain/vocabulary.js';
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

interface Contribution {
  village: string;
  hazard: Hazard;
  status: ReportStatus;
  estimate: Sums;
  verified: Sums | undefined;
}

export interface TalliesState {
  /** By `${unitCode}|${hazard or *}`. */
  tallies: Map<string, Tally>;
  reports: Map<string, Contribution>;
}

const emptyTally = (): Tally => ({ reported: zero(), verified: zero(), byStatus: Object.fromEntries(STATUSES.map((s) => [s, 0])) as Record<ReportStatus, number> });

function apply(state: TalliesState, c: Contribution, sign: 1 | -1): void {
  const reported = c.status === 'dismissed' ? undefined : c.estimate;
  const verified = c.status === 'verified' || c.status === 'closed' ? c.verified : undefined;
  for (const unit of ancestry(c.village)) {
    for (const key of [`${unit}|*`, `${unit}|${c.hazard}`]) {
      let tally = state.tallies.get(key);
      if (!tally) state.tallies.set(key, (tally = emptyTally()));
      if (reported) for (let i = 0; i < reported.length; i++) tally.reported[i]! += sign * reported[i]!;
      if (verified) for (let i = 0; i < verified.length; i++) tally.verified[i]! += sign * verified[i]!;
      tally.byStatus[c.status] += sign;
    }
  }
}

export const talliesProjection = projection({
  name: 'tallies',
  version: 1,
  eventTypes: ['ReportFiled', 'ReportAmended', 'AlertAcknowledged', 'OfficerDispatched', 'OfficerArrived', 'DamageVerified', 'ReportDismissed', 'ReportClosed'],
  initialState: (): TalliesState => ({ tallies: new Map(), reports: new Map() }),
  evolve(state, event) {
    const reportId = streamId(event.stream, 'report');
    if (reportId === undefined) return state;
    if (event.type === 'ReportFiled') {
      const c: Contribution = { village: event.data.village, hazard: event.data.hazard, status: 'filed', estimate: toSums(event.data.estimate), verified: undefined };
      state.reports.set(reportId, c);
      apply(state, c, 1);
      return state;
    }
    const c = state.reports.get(reportId);
    if (!c) return state;
    apply(state, c, -1);
    c.status = statusAfter(c.status, event.type);
    switch (event.type) {
      case 'ReportAmended':
        // A follow-up (续报) changes only the indicators it names.
        if (event.data.estimate) {
          const amended = toSums(event.data.estimate);
          INDICATORS.forEach((k, i) => {
            if (event.data.estimate![k] !== undefined) c.estimate[i] = amended[i]!;
          });
        }
        break;
      case 'DamageVerified':
        // A later verification supersedes an earlier one (核报).
        c.verified = toSums(event.data.figures);
        break;
      case 'AlertAcknowledged':
      case 'OfficerDispatched':
      case 'OfficerArrived':
      case 'ReportDismissed':
      case 'ReportClosed':
        break;
      default:
        assertNever(event);
    }
    apply(state, c, 1);
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
