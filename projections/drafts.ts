import { CASUALTIES, type Casualty } from '../domain/report.js';
import { jumpedIndicators } from '../domain/clocks.js';
import type { ClockName } from '../domain/clocks.js';
import type { OpenedIncident } from '../domain/incident.js';
import { ancestorAt, withinScope } from '../domain/units.js';
import { INDICATORS, type Indicator, type IndicatorSet } from '../domain/vocabulary.js';
import { goodsView, isLiveRow, type LedgerState } from './ledger.js';
import { householdKey, type HouseholdsState } from './households.js';
import type { ReportsState } from './reports.js';
import { fromSums, toSums, type Sums } from './tallies.js';

/** Where a unit's figure came from: how many reports gave it verified, how many as an estimate. */
export type Sources = Partial<Record<Indicator, { verified: number; estimated: number }>>;

export interface DraftUnit {
  unit: string;
  figures: IndicatorSet;
  sources: Sources;
  reports: { verified: number; estimated: number };
}

export interface DraftRosterEntry {
  village: string;
  householdId: string;
  /** As recorded by the verifier: the roster goes upward, not on a public board. */
  name: string;
  damage: 'collapsed' | 'severe' | 'moderate';
  people: number;
  reportId: string;
  verifiedAt: string;
}

export interface ReliefWork {
  /** Live allocations (not rejected or cancelled) made from the incident's reports. */
  allocations: number;
  /** Distinct households with a live allocation. */
  households: number;
  /** Distinct households with anything delivered. */
  householdsReached: number;
  /** Integer fen. */
  cashAllocatedFen: number;
  cashApprovedFen: number;
  cashDeliveredFen: number;
  goodsDelivered: Array<{ item: string; quantity: number; unit: string }>;
}

export interface Draft {
  incidentId: string;
  county: string;
  stage: ClockName;
  total: DraftUnit;
  /** One per township with a linked report, in code order. */
  townships: DraftUnit[];
  relief: ReliefWork;
  /** At `final` only: every household verified as collapsed / severe / moderate, once. */
  roster?: DraftRosterEntry[];
  previous: { stage: ClockName; at: string; figures: IndicatorSet } | null;
  /** Indicators of the total that moved > 50 % against the previous submission (from 0: any rise). */
  moved: Array<{ indicator: Indicator; previous: number; now: number }>;
  /**
   * Households verified in more than one of the counted reports (present only when there are any),
   * with the people the latest verification of each found, the largest. Each report's figures
   * count them, so the totals may count a person more than once, where the statistics count a
   * person once per disaster process (自然灾害情况统计调查制度). Said to the people who sign, never
   * subtracted for them: a report's figures are more than its household list.
   */
  sharedHouseholds?: SharedHousehold[];
  /**
   * Reports of the county filed since the incident began that are in no incident and not dismissed
   * (present only when there are any): a death reported there reaches no figure sent upward unless
   * the report is linked (found by a newcomer: absent from the 核报 draft without a hint).
   */
  unlinked?: Array<{ reportId: string; village: string; hazard: string; reportedAt: string; casualties?: Partial<Record<Casualty, number>> }>;
  /**
   * Counted reports whose 续报 after their latest verification give more people dead, missing or
   * injured than it found (present only when there are any): the draft counts the verified figures
   * (SPEC §6), so these people are not in it until the report is verified again — named before
   * anything is sent (found by a newcomer: a third death told by 续报 never reached the 核报).
   */
  casualtiesNotVerified?: Array<{ reportId: string; village: string; reported: Partial<Record<Casualty, number>>; verified: Partial<Record<Casualty, number>> }>;
}

export interface SharedHousehold {
  village: string;
  householdId: string;
  reports: string[];
  people: number;
}

const DAMAGED = new Set(['collapsed', 'severe', 'moderate']);

/** How far (ms) two nodes' clocks may disagree about when reports were filed, for walks by filing order. */
const CLOCK_SKEW_MS = 60 * 60 * 1000;

/**
 * The figures a county would send upward now for `incident` (issue 16; 自然灾害情况统计调查制度):
 * each linked report not dismissed counts once — its latest verification where it was verified
 * (核报 figures, SPEC §3), its latest estimate otherwise — summed per township and in total, each
 * figure with how many verified and how many estimated reports it rests on. The relief-work
 * figures come from the ledger (fen, goods in their units); at `final` the roster of damaged
 * households comes from the latest verification of each, across the incident's reports, once per
 * household (village + household number, SPEC §3). Pure: the caller passes the read models.
 */
export function draftFor(
  incident: OpenedIncident,
  stage: ClockName,
  reports: ReportsState,
  households: HouseholdsState,
  ledger: LedgerState,
): Draft {
  const byTownship = new Map<string, { sums: Sums; sources: Sources; reports: { verified: number; estimated: number } }>();
  const total = { sums: toSums(undefined), sources: {} as Sources, reports: { verified: 0, estimated: 0 } };
  const counted: string[] = [];
  for (const reportId of incident.reports) {
    const row = reports.rows.get(reportId);
    if (!row || row.status === 'dismissed') continue;
    counted.push(reportId);
    const verified = row.verified !== undefined && (row.status === 'verified' || row.status === 'closed');
    const set = verified ? row.verified!.figures : row.estimate;
    const township = ancestorAt(row.village, 'township') ?? row.village;
    let t = byTownship.get(township);
    if (!t) byTownship.set(township, (t = { sums: toSums(undefined), sources: {}, reports: { verified: 0, estimated: 0 } }));
    const sums = toSums(set);
    for (const target of [t, total]) {
      sums.forEach((v, i) => (target.sums[i]! += v));
      target.reports[verified ? 'verified' : 'estimated']++;
      for (const k of INDICATORS) {
        if (set[k] === undefined) continue;
        const s = (target.sources[k] ??= { verified: 0, estimated: 0 });
        s[verified ? 'verified' : 'estimated']++;
      }
    }
  }
  const unitOf = (unit: string, x: { sums: Sums; sources: Sources; reports: { verified: number; estimated: number } }): DraftUnit => ({
    unit,
    figures: fromSums(x.sums),
    sources: x.sources,
    reports: x.reports,
  });

  // Relief on a report dismissed after some was handed over still went to the household: what was
  // delivered counts (a dismissal takes nothing back), and the rest, never to be handed over,
  // counts as nothing allocated (found by a newcomer: 5,000 yuan paid, gone from the form).
  const linked = new Set(incident.reports);
  const countedSet = new Set(counted);
  const live = [...ledger.rows.values()].filter((r) => linked.has(r.reportId) && isLiveRow(r) && (countedSet.has(r.reportId) || r.deliveries > 0));
  const owed = (r: (typeof live)[number]) => (countedSet.has(r.reportId) ? r.cashFen : r.deliveredCashFen);
  const goods: Record<string, number> = {};
  for (const r of live) for (const [key, thousandths] of Object.entries(r.deliveredGoods)) goods[key] = (goods[key] ?? 0) + thousandths;
  const relief: ReliefWork = {
    allocations: live.length,
    households: new Set(live.map((r) => householdKey(r.village, r.household.id))).size,
    householdsReached: new Set(live.filter((r) => r.deliveredCashFen > 0 || Object.keys(r.deliveredGoods).length > 0).map((r) => householdKey(r.village, r.household.id))).size,
    cashAllocatedFen: live.reduce((n, r) => n + owed(r), 0),
    cashApprovedFen: live.filter((r) => r.status === 'approved' || r.status === 'delivered').reduce((n, r) => n + owed(r), 0),
    cashDeliveredFen: live.reduce((n, r) => n + r.deliveredCashFen, 0),
    goodsDelivered: goodsView(goods).map((g) => ({ item: g.item, quantity: g.quantity, unit: g.unit as string })),
  };

  const previousSubmission = incident.submissions.at(-1);
  const previous = previousSubmission ? { stage: previousSubmission.stage, at: previousSubmission.at, figures: previousSubmission.figures } : null;
  const totalFigures = fromSums(total.sums);
  const moved = previous ? jumpedIndicators(previous.figures, totalFigures).map((indicator) => ({ indicator, previous: previous.figures[indicator] ?? 0, now: totalFigures[indicator] ?? 0 })) : [];

  const draft: Draft = {
    incidentId: incident.incidentId,
    county: incident.county,
    stage,
    total: unitOf(incident.county, total),
    townships: [...byTownship.entries()].sort(([a], [b]) => a.localeCompare(b)).map(([unit, x]) => unitOf(unit, x)),
    relief,
    previous,
    moved,
  };
  if (stage === 'final') draft.roster = rosterFor(counted, households);
  const shared = sharedHouseholds(counted.filter((id) => { const r = reports.rows.get(id); return r?.verified !== undefined && (r.status === 'verified' || r.status === 'closed'); }), households);
  if (shared.length > 0) draft.sharedHouseholds = shared;
  const news = counted.flatMap((id) => {
    const r = reports.rows.get(id);
    if (!r?.newsAfterVerification || !r.verified || (r.status !== 'verified' && r.status !== 'closed')) return [];
    const reported = r.newsAfterVerification;
    const verified = Object.fromEntries(Object.keys(reported).map((k) => [k, r.verified!.figures[k as Casualty] ?? 0]));
    return [{ reportId: id, village: r.village, reported, verified }];
  });
  if (news.length > 0) draft.casualtiesNotVerified = news;
  // Reports filed since the disaster began, newest first, in log order: the walk stops once the
  // filings are older than the start by more than two nodes' clocks can disagree, instead of
  // walking a province's every report for each draft.
  const unlinked: NonNullable<Draft['unlinked']> = [];
  const started = Date.parse(incident.startedAt);
  for (let i = reports.order.length - 1; i >= 0; i--) {
    const row = reports.rows.get(reports.order[i]!);
    if (!row) continue;
    const reportedAt = Date.parse(row.reportedAt);
    if (reportedAt < started - CLOCK_SKEW_MS) break;
    if (row.incident !== undefined || row.status === 'dismissed' || !withinScope(row.village, incident.county) || reportedAt < started) continue;
    // The people dead, missing or injured it tells of, by its verification where it has one: a death
    // there is said by name, not counted into "N reports" (found by a newcomer).
    const said = row.verified ? row.verified.figures : row.estimate;
    const casualties = Object.fromEntries(CASUALTIES.filter((k) => (said[k] ?? 0) > 0).map((k) => [k, said[k]!])) as Partial<Record<Casualty, number>>;
    unlinked.push({ reportId: row.reportId, village: row.village, hazard: row.hazard, reportedAt: row.reportedAt, ...(Object.keys(casualties).length > 0 ? { casualties } : {}) });
  }
  if (unlinked.length > 0) draft.unlinked = unlinked.reverse();
  return draft;
}

/** Households verified in two or more of `reportIds` (their latest verifications), in village and household order. */
function sharedHouseholds(reportIds: readonly string[], households: HouseholdsState): SharedHousehold[] {
  const seen = new Map<string, SharedHousehold>();
  for (const { key, reportId, h, v } of verifiedHouseholds(reportIds, households)) {
    const entry = seen.get(key);
    if (entry) {
      if (!entry.reports.includes(reportId)) entry.reports.push(reportId);
      entry.people = Math.max(entry.people, v.people);
    } else seen.set(key, { village: h.village, householdId: h.householdId, reports: [reportId], people: v.people });
  }
  return [...seen.values()].filter((e) => e.reports.length > 1).sort((a, b) => a.village.localeCompare(b.village) || a.householdId.localeCompare(b.householdId, 'en', { numeric: true }));
}

/**
 * What a person reads about households in several reports, in Chinese and English: how many, which,
 * and at most how many people the totals may count twice (each household's people once per
 * report beyond the first).
 */
export function sharedHouseholdWords(shared: readonly SharedHousehold[]): { zh: string; en: string; extraPeople: number } {
  const extraPeople = shared.reduce((n, h) => n + h.people * (h.reports.length - 1), 0);
  const ids = shared.slice(0, 10).map((h) => h.householdId);
  const more = shared.length > 10 ? ` 等` : '';
  return {
    zh: `${shared.length} 户（户号 ${ids.join('、')}${more}）在本灾害过程的几份报告中都被核查过，各报告的数字都计入了这些户：合计的人口（至多 ${extraPeople} 人）和倒损房屋等数字可能重复计算了`,
    en: `${shared.length} household(s) (${ids.join(', ')}${shared.length > 10 ? ', …' : ''}) were verified in more than one report of this incident, and each report's figures count them: the totals may count their people (up to ${extraPeople}), rooms and other figures twice`,
    extraPeople,
  };
}

/** Each household each of `reportIds` verified last, with that verification (households projection), in report order. */
function* verifiedHouseholds(reportIds: readonly string[], households: HouseholdsState) {
  for (const reportId of reportIds) {
    const report = households.reports.get(reportId);
    for (const householdId of report?.households ?? []) {
      const key = householdKey(report!.village, householdId);
      const h = households.households.get(key);
      const v = h?.verifications.find((x) => x.reportId === reportId);
      if (h && v) yield { key, reportId, h, v };
    }
  }
}

/** Worse damage ranks higher: a house collapsed in one report is not "moderate" for a later one. */
const SEVERITY: Record<string, number> = { none: 0, moderate: 1, severe: 2, collapsed: 3 };

/**
 * Households verified as damaged across `reportIds`, once each, at the worst damage any report's
 * latest verification found (within one report the later verification supersedes, SPEC §3; across
 * two reports of one incident — a landslide, then a flood — they are two harms to one house, and a
 * house the landslide brought down stays 倒塌 whatever the flood report says; found by a newcomer:
 * the roster showed it 一般损坏 beside room counts that included its collapse). Ties go to the later.
 */
function rosterFor(reportIds: readonly string[], households: HouseholdsState): DraftRosterEntry[] {
  const chosen = new Map<string, DraftRosterEntry>();
  for (const { key, reportId, h, v } of verifiedHouseholds(reportIds, households)) {
    const current = chosen.get(key);
    if (current) {
      const worse = (SEVERITY[v.damage] ?? 0) - (SEVERITY[current.damage] ?? 0);
      if (worse < 0 || (worse === 0 && current.verifiedAt >= v.at)) continue;
    }
    chosen.set(key, { village: h.village, householdId: h.householdId, name: v.name, damage: v.damage as DraftRosterEntry['damage'], people: v.people, reportId, verifiedAt: v.at });
  }
  return [...chosen.values()].filter((e) => DAMAGED.has(e.damage)).sort((a, b) => a.village.localeCompare(b.village) || a.householdId.localeCompare(b.householdId, 'en', { numeric: true }));
}
