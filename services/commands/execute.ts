import type { Decider, Timed } from '../../domain/decider.js';
import { EVENT_SCHEMAS, SCHEMA_VERSION, type DomainEvent } from '../../domain/events.js';
import type { Actor } from '../../domain/vocabulary.js';
import type { EventStore, RecordedEvent } from '../../infra/eventstore/types.js';

/** Who asked, when (server time) and under which request: goes into every event's metadata. */
export interface CommandContext {
  actor: Actor;
  correlationId: string;
  now: string;
}

/** The client's If-Match named a revision the stream has moved past. */
export class PreconditionFailedError extends Error {
  constructor(readonly stream: string, readonly expected: number, readonly actual: number) {
    super(`If-Match ${expected} is stale: the current revision is ${actual}`);
    this.name = 'PreconditionFailedError';
  }
}

export const toTimed = <E extends DomainEvent>(event: RecordedEvent): Timed<E> =>
  ({ type: event.type, data: event.data, at: event.metadata.at }) as unknown as Timed<E>;

export interface Loaded<S> {
  state: S;
  /** -1 when the stream does not exist. */
  revision: number;
  events: RecordedEvent[];
}

export async function load<S, C, E extends DomainEvent>(store: EventStore, stream: string, decider: Decider<S, C, E>): Promise<Loaded<S>> {
  const events = await store.readStream(stream);
  const state = events.reduce((s, e) => decider.evolve(s, toTimed<E>(e)), decider.initialState());
  return { state, revision: events.length === 0 ? -1 : events[events.length - 1]!.revision, events };
}

export interface Executed<S, E> {
  /** State before the command. */
  before: S;
  events: E[];
  /** Revision of the stream after the command (unchanged when nothing was decided). */
  revision: number;
  /** Global position of the last event written; undefined when nothing was written. */
  position: string | undefined;
  /** False when nothing was decided, or the events were already stored (a retry with the same ids). */
  written: boolean;
}

/**
 * The one place commands run: read the stream, decide, validate every event against the
 * catalog, append at exactly the revision that was read. A concurrent writer turns into a
 * ConcurrencyError (409) rather than a lost update; a stale If-Match into 412.
 */
export async function execute<S, C, E extends DomainEvent>(
  store: EventStore,
  stream: string,
  decider: Decider<S, C, E>,
  command: C | ((state: S) => C),
  context: CommandContext,
  options: { ifMatch?: number | undefined; eventIds?: string[] | undefined; loaded?: Loaded<S> } = {},
): Promise<Executed<S, E>> {
  const { state, revision } = options.loaded ?? (await load(store, stream, decider));
  if (options.ifMatch !== undefined && options.ifMatch !== revision) {
    throw new PreconditionFailedError(stream, options.ifMatch, revision);
  }
  const cmd = typeof command === 'function' ? (command as (state: S) => C)(state) : command;
  const events = decider.decide(cmd, state);
  if (events.length === 0) return { before: state, events, revision, position: undefined, written: false };
  const result = await store.append(
    stream,
    events.map((event, i) => ({
      ...(options.eventIds?.[i] ? { id: options.eventIds[i] } : {}),
      type: event.type,
      // The catalog is the last word: an event the decider got wrong is never stored.
      data: EVENT_SCHEMAS[event.type].parse(event.data),
      metadata: {
        actor: context.actor,
        at: context.now,
        correlationId: context.correlationId,
        schemaVersion: SCHEMA_VERSION[event.type],
      },
    })),
    revision === -1 ? 'no_stream' : revision,
  );
  return { before: state, events, revision: result.revision, position: result.position, written: result.written };
}
