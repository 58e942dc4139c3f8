import type { RosterEntry } from './alerting.js';
import type { Decider, Timed } from './decider.js';
import { assertNever, refuse } from './errors.js';
import type { EventOf } from './events.js';
import { unitLevel } from './units.js';

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
