import { fullyDelivered, goodsTotals, nameKey, sameName, unreviewed, type ReviewedFlag } from '../domain/allocation.js';
import { DEFAULT_REPEAT_WINDOW_DAYS } from '../domain/household.js';
import { assertNever } from '../domain/errors.js';
import { canonicalHouseholdId, type GoodsLine, type GoodsUnit, type ReliefCategory } from '../domain/vocabulary.js';
import { intern } from './intern.js';
import { projection } from './projection.js';

export type LedgerStatus = 'allocated' | 'approved' | 'delivered' | 'rejected' | 'cancelled';

/** One allocation in the relief ledger (SPEC §4, §6). Cash in fen; goods in thousandths of their canonical unit. */
export interface LedgerRow {
  allocationId: string;
  reportId: string;
  village: string;
  household: { id: string; name: string };
  category: ReliefCategory;
  fund: string;
  cashFen: number;
  goods: GoodsLine[];
  allocatedBy: string;
  allocatedAt: string;
  repeatReason: string | undefined;
  approvedBy: string | undefined;
  approvedAt: string | undefined;
  status: LedgerStatus;
  deliveredCashFen: number;
  /** By `item|unit`, in thousandths. */
  deliveredGoods: Record<string, number>;
  deliveries: number;
  /** The rest was cancelled after a delivery: nothing more is handed over, nothing is outstanding. */
  remainderCancelled?: true;
  lastDeliveredAt: string | undefined;
  allocatedPosition: string;
  position: string;
  /** The flags heads have reviewed, each with what it named then, who, when and why (SPEC §3 review). */
  reviews: LedgerReview[];
  /**
   * The incident the household's reservation counted it in when it was allocated (`report:{id}`
   * for a report linked to none); undefined for relief allocated before reservations were kept.
   */
  reservedIncident: string | undefined;
}

/** A flag as a head reviewed it: what it named, who, when, and the reason they gave. */
export type LedgerReview = ReviewedFlag & { by: string; at: string; reason: string };

export interface LedgerState {
  rows: Map<string, LedgerRow>;
  order: string[];
  /**
   * Reservations whose allocation is not in the log yet (the household's stream is written first),
   * each with its incident and when it was made (ISO). One whose request died before writing its
   * allocation is dropped once it is `ORPHAN_RESERVATION_MS` older than a later reservation, so the
   * map holds the requests in flight, not every one that ever failed.
   */
  reserved: Map<string, { incident: string; at: string }>;
}

/**
 * How long (ms) after its reservation an allocation is still expected: a day, far past the
 * request's own claim (`RELIEF_CLAIM_TTL_MS`, 10 s) after which the reservation holds nothing. An
 * allocation written later still than this reads as one from before reservations were kept
 * (`reservedIncident` undefined).
 */
export const ORPHAN_RESERVATION_MS = 24 * 60 * 60 * 1000;


export const ledgerProjection = projection({
  name: 'ledger',
  version: 5,
  eventTypes: ['ReliefReserved', 'ReliefAllocated', 'AllocationApproved', 'AllocationRejected', 'GoodsDelivered', 'AllocationCancelled', 'AllocationReviewed'],
  initialState: (): LedgerState => ({ rows: new Map(), order: [], reserved: new Map() }),
  evolve(state, event) {
    if (event.type === 'ReliefReserved') {
      // Written on the household's stream just before its allocation (services/http/routes/allocations.ts).
      const t = Date.parse(event.at);
      for (const [id, r] of state.reserved) if (t - Date.parse(r.at) > ORPHAN_RESERVATION_MS) state.reserved.delete(id);
      state.reserved.set(event.data.allocationId, { incident: intern(event.data.incident), at: event.at });
      return state;
    }
    const id = event.id;
    if (event.type === 'ReliefAllocated') {
      const d = event.data;
      state.rows.set(id, {
        allocationId: d.allocationId,
        reportId: d.reportId,
        village: intern(d.village),
        household: { id: intern(d.household.id), name: intern(d.household.name) },
        category: intern(d.category),
        fund: intern(d.fund),
        cashFen: d.cashFen,
        goods: d.goods.map((g) => ({ ...g, item: intern(g.item), unit: intern(g.unit) })),
        allocatedBy: intern(d.allocatedBy),
        allocatedAt: event.at,
        repeatReason: d.repeatReason,
        approvedBy: undefined,
        approvedAt: undefined,
        status: 'allocated',
        deliveredCashFen: 0,
        deliveredGoods: {},
        deliveries: 0,
        lastDeliveredAt: undefined,
        allocatedPosition: event.position,
        position: event.position,
        reviews: [],
        reservedIncident: state.reserved.get(id)?.incident,
      });
      state.reserved.delete(id);
      state.order.push(id);
      return state;
    }
    const row = state.rows.get(id);
    if (!row) return state;
    row.position = event.position;
    switch (event.type) {
      case 'AllocationApproved':
        row.status = 'approved';
        row.approvedBy = intern(event.data.approvedBy);
        row.approvedAt = event.at;
        // An allocation of nothing to deliver is delivered when approved.
        if (fullyDelivered(row)) row.status = 'delivered';
        return state;
      case 'AllocationRejected':
        row.status = 'rejected';
        return state;
      case 'AllocationCancelled':
        // After a delivery only the rest is cancelled (domain/allocation.ts): the row stays live.
        if (row.deliveries > 0) row.remainderCancelled = true;
        else row.status = 'cancelled';
        return state;
      case 'AllocationReviewed':
        row.reviews = row.reviews.concat(event.data.flags.map((f) => ({ ...f, by: intern(event.data.by), at: event.at, reason: event.data.reason })));
        return state;
      case 'GoodsDelivered':
        row.deliveredCashFen += event.data.cashFen;
        for (const [key, q] of Object.entries(goodsTotals(event.data.goods))) row.deliveredGoods[key] = (row.deliveredGoods[key] ?? 0) + q;
        row.deliveries += 1;
        row.lastDeliveredAt = event.at;
        if (row.status === 'approved' && fullyDelivered(row)) row.status = 'delivered';
        return state;
      default:
        return assertNever(event);
    }
  },
});

/** Live relief holds its slot: allocated, approved or delivered (SPEC §3: a delivered one stays live). */
export const isLiveRow = (row: LedgerRow): boolean => row.status === 'allocated' || row.status === 'approved' || row.status === 'delivered';

/** Goods as people read them: `{item, quantity, unit}` with the quantity in the unit, not in thousandths. */
export function goodsView(thousandths: Record<string, number>): Array<{ item: string; quantity: number; unit: GoodsUnit }> {
  return Object.entries(thousandths)
    .filter(([, q]) => q !== 0)
    .map(([key, q]) => {
      const cut = key.lastIndexOf('|');
      return { item: key.slice(0, cut), quantity: q / 1000, unit: key.slice(cut + 1) as GoodsUnit };
    })
    .sort((a, b) => (a.item === b.item ? a.unit.localeCompare(b.unit) : a.item.localeCompare(b.item)));
}

/** Allocated, approved, delivered and outstanding amounts of a set of rows (cash in fen, goods in thousandths). */
export interface LedgerTotals {
  allocations: number;
  allocatedFen: number;
  approvedFen: number;
  deliveredFen: number;
  outstandingFen: number;
  /** Approved and never to be handed over: the rest of an allocation whose report was dismissed (approved = delivered + outstanding + voided). */
  voidedFen: number;
  goods: { allocated: Record<string, number>; approved: Record<string, number>; delivered: Record<string, number>; outstanding: Record<string, number>; voided: Record<string, number> };
}

const add = (into: Record<string, number>, from: Record<string, number>, sign = 1) => {
  for (const [k, v] of Object.entries(from)) into[k] = (into[k] ?? 0) + sign * v;
};

/**
 * Totals over live rows: allocated counts every live allocation; approved those a head approved
 * (delivered ones included); outstanding is approved and not yet delivered. Rejected and
 * cancelled ones count nowhere. `remainderVoid(row)` names rows whose undelivered rest will never
 * be handed over (their report was dismissed after a delivery: deliveries are refused from then on,
 * and so are cancellation and rejection of what was part paid): they owe nothing outstanding.
 */
export function ledgerTotals(rows: Iterable<LedgerRow>, remainderVoid: (row: LedgerRow) => boolean = () => false): LedgerTotals {
  const t: LedgerTotals = {
    allocations: 0,
    allocatedFen: 0,
    approvedFen: 0,
    deliveredFen: 0,
    outstandingFen: 0,
    voidedFen: 0,
    goods: { allocated: {}, approved: {}, delivered: {}, outstanding: {}, voided: {} },
  };
  for (const row of rows) {
    if (!isLiveRow(row)) continue;
    const goods = goodsTotals(row.goods);
    t.allocations += 1;
    t.allocatedFen += row.cashFen;
    add(t.goods.allocated, goods);
    t.deliveredFen += row.deliveredCashFen;
    add(t.goods.delivered, row.deliveredGoods);
    if (row.status !== 'allocated') {
      t.approvedFen += row.cashFen;
      add(t.goods.approved, goods);
      const voided = remainderVoid(row);
      const rest = voided ? t.goods.voided : t.goods.outstanding;
      if (voided) t.voidedFen += row.cashFen - row.deliveredCashFen;
      else t.outstandingFen += row.cashFen - row.deliveredCashFen;
      add(rest, goods);
      add(rest, row.deliveredGoods, -1);
    }
  }
  return t;
}

export interface LedgerFilter {
  prefix: string;
  report?: string | undefined;
  /** `{villageCode}/{householdId}` or a household id within the prefix. */
  household?: string | undefined;
  fund?: string | undefined;
  status?: LedgerStatus | undefined;
}

/** Ledger rows under the filter, in the order they were allocated. */
export function ledgerRows(state: LedgerState, filter: LedgerFilter): LedgerRow[] {
  const out: LedgerRow[] = [];
  for (const id of state.order) {
    const row = state.rows.get(id)!;
    if (!row.village.startsWith(filter.prefix)) continue;
    if (filter.report !== undefined && row.reportId !== filter.report) continue;
    if (filter.household !== undefined) {
      // Both sides folded: a number kept under an earlier form of the rule (`07`) is today's `7`.
      const household = canonicalHouseholdId(row.household.id);
      if (household !== filter.household && `${row.village}/${household}` !== filter.household) continue;
    }
    if (filter.fund !== undefined && row.fund !== filter.fund) continue;
    if (filter.status !== undefined && row.status !== filter.status) continue;
    out.push(row);
  }
  return out;
}

/** Why a ledger row wants a person to look at it (SPEC §3: flagged, not refused). */
export type ReviewFlag =
  | { flag: 'duplicate_in_incident'; with: string[] }
  | { flag: 'household_not_in_latest_verification'; verification: number }
  | { flag: 'household_name_changed'; verifiedName: string; verification: number }
  | { flag: 'report_dismissed'; reason: string }
  | { flag: 'no_housing_damage'; verification: number }
  | { flag: 'same_name_other_household'; households: string[]; windowDays: number };

/**
 * A ledger flag as a head reviews it (domain/allocation.ts `ReviewedFlag`): with the allocations or
 * household numbers it names. Undefined for a dismissed report, which is refused outright, never
 * reviewed away.
 */
export function heldFlag(flag: ReviewFlag): ReviewedFlag | undefined {
  switch (flag.flag) {
    case 'duplicate_in_incident':
      return { flag: flag.flag, with: flag.with };
    case 'same_name_other_household':
      return { flag: flag.flag, with: flag.households };
    // Named by the verification it is about: a later 核报 that drops the household again, or
    // names another head, is another question (found by a newcomer: one review let every later
    // drop through).
    case 'household_not_in_latest_verification':
    case 'household_name_changed':
    case 'no_housing_damage':
      return { flag: flag.flag, with: [`verification-${flag.verification}`] };
    case 'report_dismissed':
      return undefined;
    default:
      return assertNever(flag);
  }
}

/** The latest review that covers `flag` on `row` as the flag stands now, if a head has reviewed it. */
export function reviewOf(flag: ReviewFlag, row: Pick<LedgerRow, 'reviews'> | undefined): LedgerReview | undefined {
  const held = heldFlag(flag);
  if (held === undefined || row === undefined) return undefined;
  for (let i = row.reviews.length - 1; i >= 0; i--) if (unreviewed([held], [row.reviews[i]!]).length === 0) return row.reviews[i];
  return undefined;
}

/** Whether a head has reviewed `flag` on `row` as the flag stands now. */
export const isReviewed = (flag: ReviewFlag, row: Pick<LedgerRow, 'reviews'> | undefined): boolean => reviewOf(flag, row) !== undefined;


/**
 * Rows to review: two live allocations of one category to one household in one incident (a later
 * link of their reports into one incident puts them there; it is recorded, not refused), relief to
 * a household that its report's latest verification no longer names, and live relief whose report
 * was dismissed after it was allocated (SPEC §3 "no allocation may follow": it can no longer be
 * approved or delivered, and what was paid before is for a person to look at), and housing relief
 * (倒损住房恢复重建救助) to a household whose house its report's latest verification found undamaged
 * (allocated before that verification, or before the rule refused it), and relief of one category in
 * one village to one name under two household numbers where one household's would be refused (SPEC
 * §3: in one incident, or within `windowDays` of each other across incidents; a household typed once
 * as 3-12 and once as 3组12 escapes the duplicate check, and two reports of one flood not yet linked
 * into an incident are two incidents — found by a newcomer: paid twice, flagged only after the link;
 * two people of one name in a village are common, so this is for a person to look at, never a
 * refusal). Household numbers are compared as `canonicalHouseholdId` keeps them, so rows recorded
 * before that rule group as today's would.
 */
export function reviewFlags(
  rows: readonly LedgerRow[],
  incidentOf: (reportId: string) => string,
  verifiedHouseholds: (reportId: string) => { verification: number; households: readonly string[] } | undefined,
  dismissedFor: (reportId: string) => string | undefined = () => undefined,
  houseUndamaged: (row: LedgerRow) => boolean = () => false,
  windowDays = DEFAULT_REPEAT_WINDOW_DAYS,
  verifiedName: (row: LedgerRow) => string | undefined = () => undefined,
): Map<string, ReviewFlag[]> {
  const flags = new Map<string, ReviewFlag[]>();
  const add = (id: string, flag: ReviewFlag) => flags.set(id, [...(flags.get(id) ?? []), flag]);
  const groups = new Map<string, LedgerRow[]>();
  const byName = new Map<string, Map<string, LedgerRow[]>>();
  for (const row of rows) {
    if (!isLiveRow(row)) continue;
    const household = canonicalHouseholdId(row.household.id);
    const incident = incidentOf(row.reportId);
    const key = `${row.village}|${household}|${row.category}|${incident}`;
    groups.set(key, [...(groups.get(key) ?? []), row]);
    const nameGroup = `${row.village}|${nameKey(row.household.name)}|${row.category}`;
    const named = byName.get(nameGroup) ?? new Map<string, LedgerRow[]>();
    named.set(household, [...(named.get(household) ?? []), row]);
    byName.set(nameGroup, named);
    const latest = verifiedHouseholds(row.reportId);
    const verification = latest?.verification ?? 0;
    if (latest && !latest.households.some((id) => canonicalHouseholdId(id) === household)) add(row.allocationId, { flag: 'household_not_in_latest_verification', verification });
    // A 核报 that lists the household under another head: the relief's name is no longer the one
    // found there (a new allocation under it is refused, household_mismatch; found by a newcomer).
    const name = verifiedName(row);
    if (name !== undefined && !sameName(name, row.household.name)) add(row.allocationId, { flag: 'household_name_changed', verifiedName: name, verification });
    const dismissed = dismissedFor(row.reportId);
    if (dismissed !== undefined) add(row.allocationId, { flag: 'report_dismissed', reason: dismissed });
    if (row.category === 'housing' && houseUndamaged(row)) add(row.allocationId, { flag: 'no_housing_damage', verification });
  }
  for (const group of groups.values()) {
    // A repeat given with its reason is not a duplicate to review — unless it was given against
    // another incident than the one it is in now: a later link made the "other disaster" this one,
    // and the reason no longer explains it (found by a newcomer: paid twice in one incident).
    const unexplained = group.filter((row, i) => i === 0 || row.repeatReason === undefined || (row.reservedIncident !== undefined && row.reservedIncident !== incidentOf(row.reportId)));
    if (unexplained.length < 2) continue;
    for (const row of unexplained) add(row.allocationId, { flag: 'duplicate_in_incident', with: unexplained.filter((o) => o !== row).map((o) => o.allocationId) });
  }
  const windowMs = windowDays * 86_400_000;
  const near = (a: LedgerRow, b: LedgerRow) => incidentOf(a.reportId) === incidentOf(b.reportId) || Math.abs(Date.parse(a.allocatedAt) - Date.parse(b.allocatedAt)) < windowMs;
  for (const named of byName.values()) {
    if (named.size < 2) continue;
    for (const [household, own] of named) {
      for (const row of own) {
        // Each other household as its rows write it (`07`), not as its key (`7`): the words a head reads match the ledger's lines.
        const households = [...named.entries()].filter(([other, rows]) => other !== household && rows.some((o) => near(row, o))).map(([, rows]) => rows[0]!.household.id);
        if (households.length > 0) add(row.allocationId, { flag: 'same_name_other_household', households, windowDays });
      }
    }
  }
  return flags;
}
