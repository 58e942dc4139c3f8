import type { EventData } from '../domain/events.js';
import { ancestorAt } from '../domain/units.js';
import { projection } from './projection.js';

/** An SMS a phone sent to the office's number, and what came of it. */
export interface InboxRow extends EventData<'SmsReceived'> {
  id: string;
  position: string;
  /** The township it concerns (the sender's village's), or undefined for a number nobody registered. */
  township: string | undefined;
  answered: { ok: boolean; code: string | undefined } | undefined;
}

export interface InboxState {
  rows: Map<string, InboxRow>;
  /** Ids in arrival (log) order. */
  order: string[];
}

/** Inbound SMS (SPEC §5): every one kept, the unreadable ones shown to the township's officers. */
export const inboxProjection = projection({
  name: 'inbox',
  version: 1,
  eventTypes: ['SmsReceived', 'SmsAnswered'],
  initialState: (): InboxState => ({ rows: new Map(), order: [] }),
  evolve(state, event) {
    switch (event.type) {
      case 'SmsReceived':
        state.rows.set(event.id, { ...event.data, id: event.id, position: event.position, township: event.data.village ? ancestorAt(event.data.village, 'township') : undefined, answered: undefined });
        state.order.push(event.id);
        return state;
      case 'SmsAnswered': {
        const row = state.rows.get(event.id);
        if (row) row.answered = { ok: event.data.ok, code: event.data.code };
        return state;
      }
      default: {
        const never: never = event;
        return never;
      }
    }
  },
});
