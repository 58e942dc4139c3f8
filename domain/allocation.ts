import type { Decider, Timed } from './decider.js';
import { assertNever, refuse } from './errors.js';
import type { EventData, EventOf } from './events.js';
import { yuan } from './notice.js';
import { canonicalHouseholdId, REVIEW_FLAG_LABELS, type DAMAGE_LEVELS, type GoodsLine, type ReliefCategory } from './vocabulary.js';
import { ConverterFactory } from 'opencc-js/core';
import TS_CHARACTERS from 'opencc-js/dict/TSCharacters';

export type AllocationEvent = EventOf<
  'ReliefAllocated' | 'AllocationApproved' | 'AllocationRejected' | 'GoodsDelivered' | 'AllocationCancelled' | 'AllocationReviewed'
>;

/** A review flag as a head saw it: the flag, and the allocations or household numbers it named. */
export type ReviewedFlag = EventData<'AllocationReviewed'>['flags'][number];

export type AllocationStatus = 'allocated' | 'approved' | 'delivered' | 'rejected' | 'cancelled';

export interface ExistingAllocation {
  exists: true;
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
  /** Why a repeat was given despite the no-double-relief rules (SPEC §3), when it was. */
  repeatReason?: string | undefined;
  status: AllocationStatus;
  approvedBy?: string | undefined;
  /** Who rejected or cancelled it: the same person sending it again gets the same answer. */
  closedBy?: string | undefined;
  deliveredCashFen: number;
  /** Delivered goods in thousandths, keyed by `item|unit`. */
  deliveredGoods: Record<string, number>;
  deliveries: number;
  /** Each delivery's id and what it handed over, so the same delivery sent again is recognised. */
  deliveryIds: Record<string, string>;
  /** Every flag a head has reviewed (SPEC §3 review), each with what it named then. */
  reviews: ReviewedFlag[];
  /**
   * The rest of an approved allocation, part delivered, was cancelled: what was handed over stays
   * given, nothing more is (AllocationCancelled after a delivery; docs/decisions.md).
   */
  remainderCancelled?: true | undefined;
}

export type AllocationState = { exists: false } | ExistingAllocation;

/** What the allocation rules need to know about the report, read by the command handler. */
export interface ReportForRelief {
  exists: boolean;
  village: string;
  status: 'filed' | 'acknowledged' | 'on_site' | 'verified' | 'dismissed' | 'closed';
  verified: boolean;
  /** The latest verification's households (核报 supersedes): who may receive relief from this report, under which name, and what it found of the house. */
  verifiedHouseholds: ReadonlyArray<{ householdId: string; name: string; damage: (typeof DAMAGE_LEVELS)[number] }>;
}

/**
 * Whether the allocation's report still stands, read by the command handler: a report dismissed
 * after relief was allocated (a false alarm found out) stops its approval and delivery (SPEC §3,
 * "no allocation may follow"); rejection and cancellation stay open, as the way to undo it.
 */
export interface ReportStanding {
  dismissed: boolean;
}

/**
 * What holds an allocation for a head (the ledger's review flags, read by the command handler with
 * the read side caught up): approval and delivery wait until a head has reviewed each of them.
 */
export interface Standing {
  report: ReportStanding;
  flags: readonly ReviewedFlag[];
}

type Cmd<T extends string, D> = { type: T; data: D; now: string };
export type AllocationCommand =
  | (Cmd<'AllocateRelief', EventData<'ReliefAllocated'>> & { report: ReportForRelief })
  | (Cmd<'ApproveAllocation', EventData<'AllocationApproved'>> & Standing)
  | Cmd<'RejectAllocation', EventData<'AllocationRejected'>>
  | (Cmd<'RecordDelivery', EventData<'GoodsDelivered'>> & Standing)
  | Cmd<'CancelAllocation', EventData<'AllocationCancelled'>>
  | Cmd<'ReviewAllocation', EventData<'AllocationReviewed'>>;

export const goodsKey = (g: Pick<GoodsLine, 'item' | 'unit'>) => `${g.item}|${g.unit}`;
const thousandths = (q: number) => Math.round(q * 1000);

/** Totals of goods lines by item and unit, in thousandths so sums stay exact. */
export function goodsTotals(lines: readonly GoodsLine[]): Record<string, number> {
  const totals: Record<string, number> = {};
  for (const line of lines) totals[goodsKey(line)] = (totals[goodsKey(line)] ?? 0) + thousandths(line.quantity);
  return totals;
}

/**
 * A name as two people would type it for one person: width and case folded (NFKC; Zhang San and
 * zhang san), traditional characters as simplified (陳國華 is 陈国华: a phone set to traditional
 * input, or a register copied from an old book, found by a newcomer to escape the same-name check;
 * OpenCC's character table, no phrases: a name is not a phrase), and spaces, the middle dot and
 * invisible format characters (zero-width spaces and joiners, BOM, direction marks) gone.
 * One rule for every comparison of names (SPEC §3 no double relief): a 张\u200b三明 that looks like
 * 张三明 on every screen escaped the same-name check (found by a newcomer).
 */
export const nameKey = (name: string): string => toSimplified(name.normalize('NFKC').toLowerCase().replace(/[\s\p{Cf}\u00b7\u30fb\u2022.]/gu, ''));
const toSimplified = ConverterFactory([[TS_CHARACTERS]]);

/** Whether two names are one person's name as typed twice (`nameKey`). */
export const sameName = (a: string, b: string): boolean => nameKey(a) === nameKey(b);

/** An allocation that holds its slot: allocated, approved or delivered (SPEC §3: a delivered one stays live). */
export const isLive = (state: AllocationState): boolean =>
  state.exists && (state.status === 'allocated' || state.status === 'approved' || state.status === 'delivered');

/**
 * Whether a live allocation still holds relief — for the no-double-relief rules, the missed-relief
 * list and the public notice (SPEC §3): not when its report was dismissed before anything was
 * handed over, since its approval and deliveries are refused from then on. Without this, relief
 * that could never be given stayed on the village board and barred the household's real relief
 * (found by a newcomer). What was handed over stays relief given.
 */
export const holdsRelief = (live: boolean, reportDismissed: boolean, deliveries: number): boolean => live && !(reportDismissed && deliveries === 0);

/** Cash and every goods line delivered in full (goods compared in their canonical units). */
export function fullyDelivered(a: Pick<ExistingAllocation, 'cashFen' | 'goods' | 'deliveredCashFen' | 'deliveredGoods'>): boolean {
  if (a.deliveredCashFen < a.cashFen) return false;
  for (const [key, quantity] of Object.entries(goodsTotals(a.goods))) if ((a.deliveredGoods[key] ?? 0) < quantity) return false;
  return true;
}

/**
 * The flags of `current` that no review in `reviews` covers: a review covers a flag when it is the
 * same flag and named everything this one names (household numbers by their key, so 3-12 and 3组12
 * are one). An allocation whose other party changed since the review is held again.
 */
export function unreviewed(current: readonly ReviewedFlag[], reviews: readonly ReviewedFlag[]): ReviewedFlag[] {
  const key = (flag: ReviewedFlag['flag'], value: string) => (flag === 'same_name_other_household' ? canonicalHouseholdId(value) : value);
  return current.filter((f) => !reviews.some((r) => r.flag === f.flag && f.with.every((w) => r.with.some((x) => key(f.flag, x) === key(f.flag, w)))));
}

/**
 * Refuses approval or delivery while a review flag is unreviewed (SPEC §3: "the ledger flags the
 * pair for review"; a flag said only beside a 200 came after the money: found by a newcomer, one
 * household paid twice under two numbers). Throws `review_required` naming the flags.
 */
function heldForReview(a: ExistingAllocation, flags: readonly ReviewedFlag[], doing: { zh: string; en: string }): void {
  const open = unreviewed(flags, a.reviews);
  if (open.length === 0) return;
  refuse(
    'review_required',
    {
      en: `held for review: ${open.map((f) => REVIEW_FLAG_LABELS[f.flag].en).join('; ')}. A head (not its allocator) reviews it first (POST /allocations/${a.allocationId}/review with the reason), then it can be ${doing.en}`,
      zh: `这笔救助待复核：${open.map((f) => REVIEW_FLAG_LABELS[f.flag].zh + (f.with.length > 0 && f.flag === 'same_name_other_household' ? `（户号 ${f.with.join('、')}）` : '')).join('；')}。须由负责人（不是录入人）核实后复核并写明理由，才能${doing.zh}`,
    },
    { flags: open },
  );
}

const initialState = (): AllocationState => ({ exists: false });

function existing(state: AllocationState): ExistingAllocation {
  if (!state.exists) return refuse('not_found', { en: 'no such allocation', zh: '未找到这笔救助，或它不在您的管辖范围内' });
  return state;
}

function pending(state: AllocationState): ExistingAllocation {
  const a = existing(state);
  if (a.status !== 'allocated') refuse('not_pending', `the allocation is ${a.status}, not awaiting approval`, { status: a.status });
  return a;
}

function decide(command: AllocationCommand, state: AllocationState): AllocationEvent[] {
  switch (command.type) {
    case 'AllocateRelief': {
      const { report, data } = command;
      if (state.exists) refuse('already_exists', { en: 'this allocation exists', zh: '这笔救助已经分配过（编号相同）' }, { allocationId: state.allocationId });
      if (!report.exists) refuse('not_found', { en: 'no such report', zh: '未找到这份报告，或它不在您的管辖范围内' }, { field: 'reportId' });
      if (report.status === 'dismissed') refuse('report_dismissed', { en: 'relief cannot follow a dismissed report', zh: '该报告已被撤销，不能据此分配救助' });
      if (!report.verified) refuse('not_verified', { en: 'relief follows household-by-household verification', zh: '须先入户核查，才能分配救助' });
      // By the canonical key on both sides: a verification written under an earlier spelling of the
      // key still names the household (SPEC §3, one household however its number is typed).
      const key = canonicalHouseholdId(data.household.id);
      const verified = report.verifiedHouseholds.find((h) => canonicalHouseholdId(h.householdId) === key);
      if (!verified) refuse('household_not_verified', `household ${data.household.id} is not in the verification`, { field: 'household.id', householdId: data.household.id });
      // The household is who the verification found there, by name too: relief under another name
      // is relief to someone nobody verified.
      if (!sameName(verified!.name, data.household.name)) {
        refuse('household_mismatch', `household ${data.household.id} was verified as ${verified!.name}`, { field: 'household.name', verifiedName: verified!.name });
      }
      // 倒损住房恢复重建救助 is for a house the verification found collapsed or damaged (民政部
      // 《自然灾害救助资金管理暂行办法》); a house found undamaged in this report gets none from it.
      if (data.category === 'housing' && verified!.damage === 'none') {
        refuse('no_housing_damage', `household ${data.household.id} was verified with no damage to the house`, { field: 'category', householdId: data.household.id });
      }
      if (data.cashFen === 0 && data.goods.length === 0) refuse('empty_allocation', 'an allocation gives cash, goods or both');
      if (data.village !== report.village) refuse('invalid_unit', 'the village must be the report\u2019s village', { field: 'village' });
      return [{ type: 'ReliefAllocated', data }];
    }
    case 'ApproveAllocation': {
      // The head's phone sending the approval again (an answer lost on the road) is answered as
      // the first time, as a repeated acknowledgement is (SPEC §3); another head is told it is done.
      if (state.exists && state.approvedBy === command.data.approvedBy && state.status !== 'cancelled') return [];
      const a = pending(state);
      if (samePerson(a.allocatedBy, command.data.approvedBy)) refuse('self_approval', { en: 'a second person approves relief, never its allocator', zh: '审批须由另一人进行，不能审批自己录入的救助' });
      if (command.report.dismissed) refuse('report_dismissed', { en: 'the report was dismissed after this relief was allocated: reject it, do not approve it', zh: '这笔救助分配后，报告被撤销了：请驳回，不要审批' });
      heldForReview(a, command.flags, { zh: '审批', en: 'approved' });
      return [{ type: 'AllocationApproved', data: command.data }];
    }
    case 'RejectAllocation': {
      if (state.exists && state.status === 'rejected' && state.closedBy === command.data.by) return [];
      const a = pending(state);
      if (samePerson(a.allocatedBy, command.data.by)) refuse('self_approval', { en: 'a second person decides on relief, never its allocator', zh: '驳回须由另一人进行，不能驳回自己录入的救助' });
      return [{ type: 'AllocationRejected', data: command.data }];
    }
    case 'RecordDelivery': {
      const a = existing(state);
      // SPEC §3: the same deliveryId is one delivery however often a phone at the door sends it.
      const seen = a.deliveryIds[command.data.deliveryId];
      if (seen !== undefined) {
        if (seen === deliveryFingerprint(command.data)) return [];
        refuse('idempotency_mismatch', `delivery ${command.data.deliveryId} was recorded with other contents`, { field: 'deliveryId' });
      }
      if (a.status === 'cancelled' || a.status === 'rejected') refuse('allocation_closed', `the allocation was ${a.status}`);
      if (a.remainderCancelled) refuse('allocation_closed', { en: 'the rest of this allocation was cancelled: nothing more is handed over', zh: '这笔救助余下的部分已取消，不再发放' });
      if (a.status === 'delivered') refuse('over_delivery', 'everything allocated was delivered', { field: 'cashFen' });
      if (a.status !== 'approved') refuse('not_approved', 'relief is delivered only after approval');
      if (command.report.dismissed) refuse('report_dismissed', { en: 'the report was dismissed: relief from it is not delivered', zh: '该报告已被撤销：据此分配的救助不再发放' });
      heldForReview(a, command.flags, { zh: '发放', en: 'delivered' });
      const { cashFen, goods } = command.data;
      if (cashFen === 0 && goods.length === 0) refuse('empty_delivery', 'a delivery hands over cash, goods or both');
      if (a.deliveredCashFen + cashFen > a.cashFen) {
        // With the figures in English too, as the Chinese has them (found by a newcomer).
        refuse('over_delivery', `cash delivered would exceed the allocation: ${yuan(a.cashFen)} yuan allocated, ${yuan(a.deliveredCashFen)} yuan delivered, ${yuan(cashFen)} more asked`, {
          field: 'cashFen',
          allocatedFen: a.cashFen,
          deliveredFen: a.deliveredCashFen,
          askedFen: cashFen,
        });
      }
      const allocated = goodsTotals(a.goods);
      for (const [key, quantity] of Object.entries(goodsTotals(goods))) {
        if ((a.deliveredGoods[key] ?? 0) + quantity > (allocated[key] ?? 0)) {
          const [item, unit] = key.split('|') as [string, string];
          refuse('over_delivery', allocated[key] === undefined ? `${item} (${unit}) was not allocated` : `goods delivered would exceed the allocation: ${item}, ${(allocated[key] ?? 0) / 1000} ${unit} allocated, ${(a.deliveredGoods[key] ?? 0) / 1000} ${unit} delivered, ${quantity / 1000} ${unit} more asked`, {
            field: 'goods',
            item,
            unit,
            allocated: (allocated[key] ?? 0) / 1000,
            delivered: (a.deliveredGoods[key] ?? 0) / 1000,
            asked: quantity / 1000,
          });
        }
      }
      return [{ type: 'GoodsDelivered', data: command.data }];
    }
    case 'CancelAllocation': {
      if (state.exists && (state.status === 'cancelled' || state.remainderCancelled) && state.closedBy === command.data.by) return [];
      const a = existing(state);
      if (a.status === 'cancelled' || a.status === 'rejected') refuse('allocation_closed', `the allocation was ${a.status}`);
      if (a.remainderCancelled) refuse('allocation_closed', { en: 'the rest of this allocation was cancelled already', zh: '这笔救助余下的部分已经取消过了' });
      // Part delivered: what was handed over stays given (nothing takes it back), and the rest is
      // cancelled — found by a newcomer: a household dropped by the verification was owed the rest
      // for ever, on the ledger and the public notice, with no way to stop it. All delivered:
      // nothing is left to cancel.
      if (a.status === 'delivered') refuse('already_delivered', 'everything allocated was delivered; there is nothing left to cancel');
      return [{ type: 'AllocationCancelled', data: command.data }];
    }
    case 'ReviewAllocation': {
      const a = existing(state);
      if (a.status === 'cancelled' || a.status === 'rejected') refuse('allocation_closed', `the allocation was ${a.status}`);
      // The review is the second pair of eyes, as the approval is (SPEC §3).
      if (samePerson(a.allocatedBy, command.data.by)) refuse('self_approval', { en: 'a second person reviews relief, never its allocator', zh: '复核须由另一人进行，不能复核自己录入的救助' });
      if (command.data.flags.length === 0) refuse('nothing_to_review', 'the allocation has no review flag');
      // Already reviewed as it stands (a resend, or a second head): nothing more to record.
      if (unreviewed(command.data.flags, a.reviews).length === 0) return [];
      return [{ type: 'AllocationReviewed', data: command.data }];
    }
    default:
      return assertNever(command);
  }
}

function evolve(state: AllocationState, event: Timed<AllocationEvent>): AllocationState {
  if (event.type === 'ReliefAllocated') {
    const d = event.data;
    return {
      exists: true,
      allocationId: d.allocationId,
      reportId: d.reportId,
      village: d.village,
      household: d.household,
      category: d.category,
      fund: d.fund,
      cashFen: d.cashFen,
      goods: d.goods,
      allocatedBy: d.allocatedBy,
      allocatedAt: event.at,
      ...(d.repeatReason ? { repeatReason: d.repeatReason } : {}),
      status: 'allocated',
      deliveredCashFen: 0,
      deliveredGoods: {},
      deliveries: 0,
      deliveryIds: {},
      reviews: [],
    };
  }
  if (!state.exists) return state;
  switch (event.type) {
    case 'AllocationApproved':
      return { ...state, status: fullyDelivered(state) ? 'delivered' : 'approved', approvedBy: event.data.approvedBy };
    case 'AllocationRejected':
      return { ...state, status: 'rejected', closedBy: event.data.by };
    case 'AllocationCancelled':
      // After a delivery only the rest is cancelled (decide's rule): the allocation stays, as given.
      return state.deliveries > 0 ? { ...state, remainderCancelled: true, closedBy: event.data.by } : { ...state, status: 'cancelled', closedBy: event.data.by };
    case 'AllocationReviewed':
      return { ...state, reviews: [...state.reviews, ...event.data.flags] };
    case 'GoodsDelivered': {
      const deliveredGoods = { ...state.deliveredGoods };
      for (const [key, q] of Object.entries(goodsTotals(event.data.goods))) deliveredGoods[key] = (deliveredGoods[key] ?? 0) + q;
      const next = {
        ...state,
        deliveredCashFen: state.deliveredCashFen + event.data.cashFen,
        deliveredGoods,
        deliveries: state.deliveries + 1,
        deliveryIds: { ...state.deliveryIds, [event.data.deliveryId]: deliveryFingerprint(event.data) },
      };
      return state.status === 'approved' && fullyDelivered(next) ? { ...next, status: 'delivered' } : next;
    }
    default:
      return assertNever(event);
  }
}

/** What a delivery handed over, as comparable text; who recorded it does not make it another delivery. */
const deliveryFingerprint = (d: EventData<'GoodsDelivered'>) =>
  JSON.stringify([d.cashFen, [...goodsEntries(d.goods)], d.confirmation.method, d.confirmation.reference]);
const goodsEntries = (goods: readonly GoodsLine[]) => Object.entries(goodsTotals(goods)).sort(([a], [b]) => a.localeCompare(b));

/**
 * Whether two user ids name one person for the second-person rule (SPEC §3): compared without case
 * or width, since a token issued as `HEAD-WANGBA` is the same head as `head-wangba` (found by a
 * newcomer: a head approved their own allocation under a second token in capitals).
 */
export const samePerson = (a: string, b: string): boolean => a === b || personKey(a) === personKey(b);

/**
 * Letters of other scripts that look like Latin ones in a user id (Unicode TR #39's confusables,
 * the ones a keyboard or a paste brings): `оfficer` with a Cyrillic о is `officer` on every screen.
 */
const LOOK_ALIKES: Readonly<Record<string, string>> = {
  а: 'a', е: 'e', о: 'o', р: 'p', с: 'c', у: 'y', х: 'x', і: 'i', ј: 'j', ѕ: 's', ԁ: 'd', һ: 'h', ԛ: 'q', ԝ: 'w', ӏ: 'l', ё: 'e', ї: 'i',
  α: 'a', ο: 'o', ρ: 'p', ν: 'v', ι: 'i', κ: 'k', υ: 'u', χ: 'x', τ: 't', ı: 'i',
};
const LOOK_ALIKE = new RegExp(`[${Object.keys(LOOK_ALIKES).join('')}]`, 'gu');

/**
 * The form two user ids are compared in for the second-person rule (SPEC §3): NFKC, lower case,
 * every dash (U+2010 hyphen, en dash, minus…) as `-`, and letters of other scripts that look like
 * Latin ones as those (found by a newcomer: an allocator approved their own relief as
 * `officer‐wangba‐2` with U+2010 hyphens, and as `оfficer-wangba-2` with a Cyrillic о).
 */
export function personKey(id: string): string {
  return id
    .normalize('NFKC')
    .toLowerCase()
    .replace(/[\p{Pd}\u2212\u2043\u30fc]/gu, '-')
    .replace(LOOK_ALIKE, (c) => LOOK_ALIKES[c]!);
}

export const allocationDecider: Decider<AllocationState, AllocationCommand, AllocationEvent> = { initialState, evolve, decide };
