import type { EventData, EventType } from '../domain/events.js';

/**
 * An event as a projection receives it: its data parsed against the catalog at the current
 * schema version (by the runner, once, for every projection), with where and when it was
 * recorded. `type` discriminates `data`, so `evolve` switches on it with an exhaustive check.
 */
export type ProjectedEvent<T extends EventType = EventType> = {
  [K in T]: {
    type: K;
    data: EventData<K>;
    stream: string;
    /** The id in the stream's name: the report's, allocation's or incident's id, a roster's township. */
    id: string;
    revision: number;
    /** Global position: opaque, compares in log order. */
    position: string;
    /** Server time it was recorded (ISO-8601 UTC). */
    at: string;
    actor: { id: string; role: string };
  };
}[T];

/**
 * A read model (SPEC §6), after Emmett's projections: a name, the catalog event types it handles,
 * an initial state and a pure `evolve`. The same events in the same order always give the same
 * state; nothing in `evolve` reads a clock, a file or the network.
 *
 * States are large (a province's reports) and owned by exactly one runner, so `evolve` may update
 * the state it is given in place and return it; nothing else holds a reference to it. A state is
 * made of JSON values, Maps and Sets, so it can be snapshotted beside the log
 * (services/projection-runner.ts).
 */
export interface Projection<S, T extends EventType = EventType, N extends string = string> {
  readonly name: N;
  /**
   * Bumped when `evolve` or the state's shape changes: a stored snapshot of another version is
   * not used, and the projection is rebuilt from the log.
   */
  readonly version: number;
  readonly eventTypes: readonly T[];
  initialState(): S;
  evolve(state: S, event: ProjectedEvent<T>): S;
}

/** Declares a projection; `eventTypes` is kept as a literal union so `evolve` sees exactly those events. */
export const projection = <S, const T extends EventType, const N extends string>(p: Projection<S, T, N>): Projection<S, T, N> => p;
