import { assertNever } from '../domain/errors.js';
import type { EventData } from '../domain/events.js';
import { canonicalHouseholdId } from '../domain/vocabulary.js';
import { intern } from './intern.js';
import { appended } from './lists.js';
import { projection } from './projection.js';
import { holdsRelief } from '../domain/allocation.js';
import { isLiveRow, type LedgerState } from './ledger.js';

type Damage = EventData<'DamageVerified'>['households'][number]['damage'];

/** One household across every report (SPEC §6 household ledger): its village and household number. */
export interface HouseholdRow {
  village: string;
  /** Its number as first typed (cleaned: `cleanHouseholdId`), as the village register writes it; its key is `canonicalHouseholdId` of it. */
  householdId: string;
  /**
   * What each report's latest verification found, one entry per report, in the order they were
   * last verified. A list, not a Map: a household is named by one or two reports, and a Map per
   * household is most of a province's household memory.
   */
  verifications: HouseholdVerification[];
  /** Allocations made to it, by id, in order. */
  allocations: string[];
  /**
   * The numbers its allocations were typed under that are not its key (`007` for `7`). Before
   * household streams were named by the key, each such number named a household stream of its own,
   * whose reservations still count (domain/household.ts `earlier`). Absent where every allocation
   * was typed as its key.
   */
  spellings?: string[];
  /**
   * Verifications of this household a later verification of the same report replaced or left out,
   * oldest first, with when that happened (`supersededAt`): an auditor reading relief paid on one
   * of them still sees the verification it rested on (found by a newcomer: 3,000 yuan of housing
   * relief beside no verification at all). Absent where none was.
   */
  superseded?: Array<HouseholdVerification & { supersededAt: string }>;
}

export interface HouseholdVerification {
  reportId: string;
  name: string;
  damage: Damage;
  people: number;
  at: string;
}

export interface HouseholdsState {
  /** By `${village}|${householdId}`. */
  households: Map<string, HouseholdRow>;
  /** Each report's village, whether it was dismissed, and the households its latest verification named. */
  reports: Map<string, { village: string; dismissed: boolean; households: string[] }>;
}

/** A household's key, `${village}|${canonicalHouseholdId(number)}`: one household is one row however its number was typed. */
export const householdKey = (village: string, householdId: string) => `${village}|${canonicalHouseholdId(householdId)}`;

function household(state: HouseholdsState, village: string, householdId: string): HouseholdRow {
  const key = householdKey(village, householdId);
  let h = state.households.get(key);
  if (!h) state.households.set(key, (h = { village: intern(village), householdId, verifications: [], allocations: [] }));
  return h;
}

export const householdsProjection = projection({
  name: 'households',
  // 4: a dash between a letter and a digit folded in the key (`hh-1` is `hh1`). 5: superseded.
  // 6: `.`, `·`, `/` and the like between a number's parts folded in the key (`hh.1` is `hh1`).
  version: 6,
  eventTypes: ['ReportFiled', 'DamageVerified', 'ReportDismissed', 'ReliefAllocated'],
  initialState: (): HouseholdsState => ({ households: new Map(), reports: new Map() }),
  evolve(state, event) {
    switch (event.type) {
      case 'ReportFiled':
        state.reports.set(event.id, { village: intern(event.data.village), dismissed: false, households: [] });
        return state;
      case 'DamageVerified': {
        const reportId = event.id;
        const report = state.reports.get(reportId);
        if (!report) return state;
        // The latest verification supersedes the earlier one: a household it no longer names
        // was not found damaged by this report.
        for (const id of report.households) {
          const h = state.households.get(householdKey(report.village, id));
          if (!h) continue;
          const replaced = h.verifications.filter((v) => v.reportId === reportId);
          if (replaced.length === 0) continue;
          h.verifications = h.verifications.filter((v) => v.reportId !== reportId);
          for (const v of replaced) h.superseded = appended(h.superseded ?? [], { ...v, supersededAt: event.at });
        }
        report.households = event.data.households.map((h) => h.householdId);
        for (const h of event.data.households) {
          const row = household(state, report.village, h.householdId);
          row.verifications = appended(row.verifications, { reportId, name: intern(h.name), damage: intern(h.damage), people: h.people, at: event.at });
        }
        return state;
      }
      case 'ReportDismissed': {
        const reportId = event.id;
        const report = state.reports.get(reportId);
        if (report) report.dismissed = true;
        return state;
      }
      case 'ReliefAllocated': {
        const typed = event.data.household.id;
        const h = household(state, event.data.village, typed);
        h.allocations = appended(h.allocations, event.data.allocationId);
        if (typed !== canonicalHouseholdId(typed) && !h.spellings?.includes(typed)) h.spellings = appended(h.spellings ?? [], typed);
        return state;
      }
      default:
        return assertNever(event);
    }
  },
});

const DAMAGED = new Set<Damage>(['collapsed', 'severe', 'moderate']);

/**
 * Verified households with damage and no live relief yet (遗漏救助, SPEC §3, §4): a household
 * that a report not dismissed found collapsed, severely or moderately damaged, and that holds no
 * live allocation of any category.
 */
export function missedRelief(
  state: HouseholdsState,
  ledger: LedgerState,
  prefix: string,
): Array<{ village: string; householdId: string; name: string; damage: Damage; people: number; reports: string[] }> {
  const out = [];
  for (const h of state.households.values()) {
    if (!h.village.startsWith(prefix)) continue;
    const damaged = h.verifications.filter((v) => DAMAGED.has(v.damage) && !state.reports.get(v.reportId)?.dismissed);
    if (damaged.length === 0) continue;
    if (h.allocations.some((id) => {
      const row = ledger.rows.get(id);
      return row !== undefined && holdsRelief(isLiveRow(row), state.reports.get(row.reportId)?.dismissed === true, row.deliveries);
    })) continue;
    const latest = damaged.reduce((a, b) => (a.at >= b.at ? a : b));
    out.push({ village: h.village, householdId: h.householdId, name: latest.name, damage: latest.damage, people: latest.people, reports: damaged.map((v) => v.reportId) });
  }
  return out.sort((a, b) => (a.village === b.village ? a.householdId.localeCompare(b.householdId) : a.village.localeCompare(b.village)));
}
