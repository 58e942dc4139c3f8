import { rosterDecider, type RosterEvent } from '../domain/roster.js';
import type { RosterEntry } from '../domain/alerting.js';
import { projection } from './projection.js';

/** Each township's on-call roster (SPEC §6), folded by the roster decider's own rules. */
export interface RosterState {
  townships: Map<string, RosterEntry[]>;
}

export const rosterProjection = projection({
  name: 'roster',
  version: 1,
  eventTypes: ['OnCallAssigned', 'OnCallReleased'],
  initialState: (): RosterState => ({ townships: new Map() }),
  evolve(state, event) {
    const township = event.id;
    const current = { township, entries: state.townships.get(township) ?? [] };
    state.townships.set(township, rosterDecider.evolve(current, { type: event.type, data: event.data, at: event.at } as RosterEvent & { at: string }).entries);
    return state;
  },
});

export const rosterOf = (state: RosterState, township: string): RosterEntry[] => state.townships.get(township) ?? [];
