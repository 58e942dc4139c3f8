import { onCall, type RosterEntry } from './alerting.js';
import type { Decider, Timed } from './decider.js';
import { assertNever, refuse } from './errors.js';
import type { EventOf } from './events.js';
import { scopeUnit, unitLevel, withinScope } from './units.js';

export type RosterEvent = EventOf<'OnCallAssigned' | 'OnCallReleased'>;

export interface RosterState {
  township: string | undefined;
  entries: RosterEntry[];
}

export type RosterCommand = {
  type: 'SetRoster';
  data: { township: string; entries: RosterEntry[] };
  now: string;
};

const initialState = (): RosterState => ({ township: undefined, entries: [] });

const same = (a: RosterEntry, b: RosterEntry) => a.officer === b.officer && a.tier === b.tier && a.from === b.from && a.until === b.until;

function decide(command: RosterCommand, state: RosterState): RosterEvent[] {
  switch (command.type) {
    case 'SetRoster': {
      const { township, entries } = command.data;
      if (unitLevel(township) !== 'township') refuse('invalid_unit', 'a roster belongs to a township', { field: 'township' });
      const officers = new Set<string>();
      entries.forEach((e, i) => {
        if (officers.has(e.officer)) refuse('duplicate_roster_entry', `officer ${e.officer} is listed twice`, { field: `entries.${i}.officer` });
        officers.add(e.officer);
        if (e.from && e.until && Date.parse(e.from) >= Date.parse(e.until)) {
          refuse('invalid_period', 'from must be before until', { field: `entries.${i}.until` });
        }
      });
      // The roster is replaced: release whoever left or changed, assign whoever is new or changed.
      const released: RosterEvent[] = state.entries
        .filter((old) => !entries.some((e) => same(e, old)))
        .map((old) => ({ type: 'OnCallReleased', data: { township, officer: old.officer } }));
      const assigned: RosterEvent[] = entries
        .filter((e) => !state.entries.some((old) => same(e, old)))
        .map((e) => ({
          type: 'OnCallAssigned',
          data: { township, officer: e.officer, tier: e.tier, ...(e.from ? { from: e.from } : {}), ...(e.until ? { until: e.until } : {}) },
        }));
      return [...released, ...assigned];
    }
    default:
      return assertNever(command.type);
  }
}

function evolve(state: RosterState, event: Timed<RosterEvent>): RosterState {
  switch (event.type) {
    case 'OnCallAssigned': {
      const { township, officer, tier, from, until } = event.data;
      return { township, entries: [...state.entries.filter((e) => e.officer !== officer), { officer, tier, from, until }] };
    }
    case 'OnCallReleased':
      return { township: event.data.township, entries: state.entries.filter((e) => e.officer !== event.data.officer) };
    default:
      return assertNever(event);
  }
}

export const rosterDecider: Decider<RosterState, RosterCommand, RosterEvent> = { initialState, evolve, decide };

/** A recorded grant as the roster check needs it (SPEC §2: tokens are the only user registry). */
export interface StaffGrant {
  sub: string;
  role: string;
  scope: string;
  /** ISO-8601 expiry. */
  exp: string;
  revoked: boolean;
}

/**
 * Why an entry of a roster may alert nobody. `no_access`: no token was ever issued to that user id
 * (a typo in the id, or a token still to issue); `revoked` / `expired`: every token that would
 * reach them here is; `not_staff_here`: their tokens are not an officer's or a head's for this
 * township; `scoped_to_a_village`: their staff tokens are for a village of this township, not the
 * township (domain/access.ts grantWarnings says so when such a token is issued);
 * `no_primary_now`: nobody is primary now, so step 0 goes to the township's heads;
 * `no_reachable_primary_now`: everyone primary now is one of the above, so step 0 goes to the
 * township's heads as well (domain/alerting.ts escalationPolicy).
 */
export type RosterWarning = 'no_access' | 'revoked' | 'expired' | 'not_staff_here' | 'scoped_to_a_village' | 'no_primary_now' | 'no_reachable_primary_now';

export const ROSTER_WARNING_MESSAGES: Record<RosterWarning, { zh: string; en: string }> = {
  no_access: { zh: '没有给这个用户编号发过令牌：告警到不了他（编号写错了，还是令牌还没发？）', en: 'no token was ever issued to this user id: alerts will reach nobody (a typo, or a token still to issue?)' },
  revoked: { zh: '这个人在本乡镇的令牌都已撤销：告警到不了他', en: 'every token this person holds for this township is revoked: alerts will not reach them' },
  expired: { zh: '这个人在本乡镇的令牌都已过期：告警到不了他，请重新发令牌', en: 'every token this person holds for this township has expired: alerts will not reach them; issue a new one' },
  not_staff_here: { zh: '这个人没有本乡镇值班干部或负责人的令牌：告警到不了他', en: 'this person holds no officer or head token for this township: alerts will not reach them' },
  scoped_to_a_village: {
    zh: '这个人的值班干部或负责人令牌只是本乡镇一个村的，不是乡镇的：告警到不了他，请给他发乡镇范围的令牌',
    en: 'this person\u2019s officer or head token is for a village of this township, not the township: alerts will not reach them; issue one for the township',
  },
  no_primary_now: { zh: '现在没有人当主班：新告警先发给乡镇负责人', en: 'nobody is primary now: a new alert goes to the township\u2019s heads first' },
  no_reachable_primary_now: {
    zh: '现在当主班的人都收不到告警（见上面各条）：新告警会同时发给乡镇负责人，请尽快给主班发令牌或换人',
    en: 'nobody primary now can be reached (see the entries above): a new alert goes to the township\u2019s heads as well; issue the primary a token or put someone else on',
  },
};

/**
 * Why alerts would not reach one person in `township` (SPEC §5), or undefined when they would:
 * `held` are every grant recorded for them, `t` the time (ms since the epoch). One rule for the
 * roster's warnings and for whom step 0 can reach (domain/alerting.ts escalationPolicy).
 */
export function unreachedBecause(township: string, held: readonly StaffGrant[], t: number): Exclude<RosterWarning, 'no_primary_now' | 'no_reachable_primary_now'> | undefined {
  if (held.length === 0) return 'no_access';
  const staff = held.filter((g) => g.role === 'officer' || g.role === 'head');
  const here = staff.filter((g) => withinScope(township, g.scope));
  if (here.some((g) => !g.revoked && Date.parse(g.exp) > t)) return undefined;
  if (here.length > 0) return here.some((g) => !g.revoked) ? 'expired' : 'revoked';
  const scope = (g: StaffGrant) => scopeUnit(g.scope);
  return staff.some((g) => scope(g) !== undefined && withinScope(scope(g)!, township)) ? 'scoped_to_a_village' : 'not_staff_here';
}

/**
 * What a roster would leave unreached (SPEC §5: an alert that reaches nobody is the failure this
 * system exists to prevent), as warnings, not refusals: a roster may be set before its officers'
 * tokens are issued, and a set roster is a fact. `grants` are every recorded grant; `now` ISO-8601.
 * Returns `[{field, officer?, warning}]`, `field` as in a refusal (`entries.2.officer`).
 */
export function rosterWarnings(
  township: string,
  entries: readonly RosterEntry[],
  grants: (sub: string) => readonly StaffGrant[],
  now: string,
): Array<{ field: string; officer?: string; warning: RosterWarning }> {
  const t = Date.parse(now);
  const out: Array<{ field: string; officer?: string; warning: RosterWarning }> = [];
  const unreached = new Set<string>();
  entries.forEach((e, i) => {
    const warning = unreachedBecause(township, grants(e.officer), t);
    if (warning === undefined) return;
    unreached.add(e.officer);
    out.push({ field: `entries.${i}.officer`, officer: e.officer, warning });
  });
  const primaries = onCall(entries, 'primary', now);
  if (primaries.length === 0) out.push({ field: 'entries', warning: 'no_primary_now' });
  else if (primaries.every((officer) => unreached.has(officer))) out.push({ field: 'entries', warning: 'no_reachable_primary_now' });
  return out;
}
