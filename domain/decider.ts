import type { DomainEvent } from './events.js';

/**
 * An event as evolve sees it: the domain event, the server time it was recorded at, and who
 * recorded it (the actor's id from its metadata; absent where a test or a tool folds bare events).
 */
export type Timed<E extends DomainEvent = DomainEvent> = E & { at: string; by?: string | undefined };

/**
 * One aggregate's rules (Emmett's Decider): `decide` turns a command and the current state into
 * new events or a DomainError; `evolve` folds recorded events into state. Both are pure.
 */
export interface Decider<State, Command, Event extends DomainEvent> {
  initialState: () => State;
  evolve: (state: State, event: Timed<Event>) => State;
  decide: (command: Command, state: State) => Event[];
  /**
   * False when `evolve` changes the state it is given rather than returning a new one (the unit
   * register, folded from thousands of events at every start): such a state is not cached.
   */
  cacheable?: false;
}

export const fold = <S, E extends DomainEvent>(decider: Pick<Decider<S, unknown, E>, 'initialState' | 'evolve'>, events: ReadonlyArray<Timed<E>>): S =>
  events.reduce(decider.evolve, decider.initialState());
