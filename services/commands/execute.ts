import type { Decider, Timed } from '../../domain/decider.js';
import { EVENT_SCHEMAS, SCHEMA_VERSION, upcast, type DomainEvent } from '../../domain/events.js';
import { findIllFormedText } from '../../domain/text.js';
import type { Actor } from '../../domain/vocabulary.js';
import { ConcurrencyError, UNREADABLE, type EventStore, type RecordedEvent } from '../../infra/eventstore/types.js';
import { linkBreak, type LinkBreak } from '../../infra/eventstore/chain.js';
import { ZodError } from 'zod';

/** Who asked, when (server time) and under which request: goes into every event's metadata. */
export interface CommandContext {
  actor: Actor;
  correlationId: string;
  now: string;
  /**
   * The request's Idempotency-Key, as the name of its key stream. Stamped into the metadata of
   * every event the command writes, so a retry whose first attempt died after writing can see
   * that it did (SPEC §3).
   */
  idempotencyKey?: string | undefined;
  /**
   * The stream the request named, where the command is recorded on another: a fact from the field
   * sent to a report merged as a duplicate is recorded on its original (services/commands/
   * merged-reports.ts). Stamped into the metadata, so the original's history says which report the
   * sender meant (docs/audit.md §1).
   */
  redirectedFrom?: string | undefined;
  /**
   * The actor of each event written, where one command writes events of more than one author (a
   * filing with the alert the policy decides with it, ALERTING_ACTOR); `actor` when absent.
   */
  actorOf?: (event: DomainEvent) => Actor;
}

/** The client's If-Match named a revision the stream has moved past. */
export class PreconditionFailedError extends Error {
  constructor(readonly stream: string, readonly expected: number | 'exists', readonly actual: number) {
    super(expected === 'exists' ? 'If-Match: * needs an existing resource' : `If-Match ${expected} is stale: the current revision is ${actual}`);
    this.name = 'PreconditionFailedError';
  }
}

/**
 * A stream holds a record the store cannot read, or its chain breaks (`damage`: an event deleted,
 * moved or re-chained): nothing is decided on it until it is restored (409 stream_damaged).
 */
export class DamagedStreamError extends Error {
  constructor(
    readonly stream: string,
    readonly position: string,
    /** Where the chain breaks, when the records are readable but do not follow on (`Loaded.damage`). */
    readonly damage?: StreamDamage,
  ) {
    super(damage ? `stream ${stream} breaks at revision ${damage.revision} (${damage.link.kind}): not decided on` : `stream ${stream} holds an unreadable record at position ${position}`);
    this.name = 'DamagedStreamError';
  }
}

/**
 * The first place a stream's events do not follow on (`linkBreak`): revisions missing before the
 * event of `revision`, out of order, or not chained to the one before (`prevRevision`, undefined
 * for the first). A history with a hole is not decided on (SPEC §8): the state folded from it may
 * lack a delivery, and relief would be paid twice.
 */
export interface StreamDamage {
  revision: number;
  position: string;
  prevRevision: number | undefined;
  link: LinkBreak;
}

/** A recorded event as deciders see it: its data at the current schema version, and its server time. */
export const toTimed = <E extends DomainEvent>(event: RecordedEvent): Timed<E> =>
  ({ type: event.type, data: upcast(event.type, event.metadata.schemaVersion, event.data, event.id), at: event.metadata.at, by: event.metadata.actor?.id }) as unknown as Timed<E>;

export interface Loaded<S> {
  state: S;
  /** -1 when the stream does not exist. */
  revision: number;
  /** Global position of the stream's last event; undefined when the stream does not exist. */
  position: string | undefined;
  /** Hash of the stream's last event (SPEC §8): the store chains the next append to it without reading it again. */
  hash: string | undefined;
  /** Events written under each Idempotency-Key, by key: where the last one landed. */
  keys: ReadonlyMap<string, { revision: number; position: string }>;
  /** Where the stream's chain first breaks, if it does: `execute` refuses to decide on it. */
  damage?: StreamDamage | undefined;
}

/**
 * A stream that does not exist yet, as `load` would find it: for a command that creates its
 * stream (`ExecuteOptions.loaded`), decided without a read and appended with 'no_stream', so the
 * store refusing it (ConcurrencyError, or IdempotencyError for the same event ids) is how an
 * existing stream is found out (SPEC §3).
 */
export const emptyStream = <S>(decider: { initialState: () => S }): Loaded<S> => ({
  state: decider.initialState(),
  revision: -1,
  position: undefined,
  hash: undefined,
  keys: new Map(),
});

/** If-Match as the client sent it: one or more revisions, or `*` (the resource exists). */
export type IfMatch = { revisions: number[] } | { any: true };

export interface ExecuteOptions {
  ifMatch?: IfMatch | number | undefined;
  /** Ids for the decided events, in order (a client-chosen report id makes filing idempotent). */
  eventIds?: string[] | undefined;
  /**
   * Decide even on a stream whose chain breaks (`Loaded.damage`). Only alerting asks this: a step
   * raised twice costs a phone's buzz, a step not raised can cost a life.
   */
  despiteDamage?: boolean | undefined;
  /**
   * The stream as this request already loaded it (`load`, with a decider whose state and evolve
   * are this decider's): the first decision is made on it without reading the stream again. It is
   * appended at that revision, so a write made since is caught by the store and decided again on
   * a fresh read, as any lost race is (SPEC §3).
   */
  loaded?: Loaded<unknown> | undefined;
}

/**
 * How alerting executes (escalator, notifier): decided on a report whose history has a hole too
 * (`despiteDamage`) — a step raised or a text sent twice costs a phone's buzz, one not raised can
 * cost a life.
 */
export const ALERTING: ExecuteOptions = { despiteDamage: true };

export interface Executed<S, E> {
  /** State before the command, as the decision that stood saw it. */
  before: S;
  events: E[];
  /** Revision of the stream after the command (unchanged when nothing was decided). */
  revision: number;
  /** Global position of the last event written, or of the stream's last event when nothing was. */
  position: string | undefined;
  /** False when nothing was decided, or the events were already stored (a retry). */
  written: boolean;
}

/** One write of a multi-stream command: decided against every stream's state, appended in order. */
export interface Step<S = unknown, C = unknown, E extends DomainEvent = DomainEvent> {
  stream: string;
  decider: Decider<S, C, E>;
  /** The command, from the states of every step's stream (by stream name); undefined decides nothing. */
  command: (states: ReadonlyMap<string, unknown>) => C | undefined;
  /** Epoch ms after which this step's events must not be written (AppendOptions.notAfter). */
  notAfter?: (states: ReadonlyMap<string, unknown>) => number | undefined;
}

/** A step for `executeSteps`, typed by its own decider. */
export const step = <S, C, E extends DomainEvent>(
  stream: string,
  decider: Decider<S, C, E>,
  command: (states: ReadonlyMap<string, unknown>) => C | undefined,
  notAfter?: (states: ReadonlyMap<string, unknown>) => number | undefined,
): Step => ({ stream, decider: decider as unknown as Decider<unknown, unknown, DomainEvent>, command, ...(notAfter ? { notAfter } : {}) });

const DEFAULT_RETRIES = 8;
const DEFAULT_CACHE_SIZE = 20_000;

interface CacheEntry {
  decider: object;
  loaded: Loaded<unknown>;
}

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/**
 * The one path commands take (SPEC §3): read the stream, decide, validate each event against the
 * catalog, append at exactly the revision read. Another writer appending first is not an error:
 * without If-Match the command is decided again on the new state, a bounded number of times, and
 * fails only when the rules now refuse it (Emmett's command handler does the same). With If-Match
 * the write is conditional: a stale revision is 412.
 *
 * Commands on one stream from this process run one after another, so colleagues acknowledging the
 * same report at the same instant do not collide at all; between processes the retries settle it.
 * States are cached per stream with their revision, and every load still reads what was appended
 * after that revision (by anyone), so a cached state is never stale and a long stream is not folded
 * from its start on every command.
 */
export class CommandHandler {
  readonly #queues = new Map<string, Promise<unknown>>();
  readonly #cache = new Map<string, CacheEntry>();

  constructor(
    readonly store: EventStore,
    private readonly options: { retries?: number; cacheSize?: number } = {},
  ) {}

  /** The stream's current state, revision and the position of its last event. */
  async load<S, C, E extends DomainEvent>(stream: string, decider: Decider<S, C, E>): Promise<Loaded<S>> {
    const cached = this.#cache.get(stream);
    const base: Loaded<S> =
      cached && cached.decider === decider
        ? (cached.loaded as Loaded<S>)
        : { state: decider.initialState(), revision: -1, position: undefined, hash: undefined, keys: new Map() };
    let { state, revision, position, hash, damage } = base;
    let keys = base.keys as Map<string, { revision: number; position: string }>;
    // Read a page at a time and fold it before reading the next: a long stream (a province's unit
    // register, ~19,000 events) held whole was copied by every scavenge until the fold dropped it.
    for (;;) {
      const events = await this.store.readStream(stream, { from: revision + 1, max: LOAD_PAGE });
      if (events.length === 0 && revision === base.revision && cached) return base;
      for (const event of events) {
        if (event.type === UNREADABLE) throw new DamagedStreamError(stream, event.position);
        if (damage === undefined) {
          const link = linkBreak(event, revision === -1 ? undefined : { revision, hash });
          if (link) damage = { revision: event.revision, position: event.position, prevRevision: revision === -1 ? undefined : revision, link };
        }
        state = decider.evolve(state, toTimed<E>(event));
        revision = event.revision;
        position = event.position;
        hash = event.metadata.hash;
        const key = event.metadata.idempotencyKey;
        if (typeof key === 'string') {
          if (keys === base.keys) keys = new Map(keys);
          keys.set(key, { revision, position });
        }
      }
      if (events.length < LOAD_PAGE) break;
    }
    const loaded: Loaded<S> = { state, revision, position, hash, keys, ...(damage ? { damage } : {}) };
    // A decider whose evolve changes the state it is given (the unit register's map) is not cached.
    if (decider.cacheable !== false) {
      this.#cache.delete(stream);
      this.#cache.set(stream, { decider, loaded });
      if (this.#cache.size > (this.options.cacheSize ?? DEFAULT_CACHE_SIZE)) this.#cache.delete(this.#cache.keys().next().value!);
    }
    return loaded;
  }

  /** Runs `work` after every earlier command on `stream` in this process has finished. */
  #serial<T>(stream: string, work: () => Promise<T>): Promise<T> {
    const previous = this.#queues.get(stream) ?? Promise.resolve();
    const run = previous.then(work, work);
    const tail = run.catch(() => undefined);
    this.#queues.set(stream, tail);
    void tail.then(() => {
      if (this.#queues.get(stream) === tail) this.#queues.delete(stream);
    });
    return run;
  }

  /**
   * Decides `command` on the stream's state and appends what it decided. A command given as a
   * function of the state is built again on every retry.
   * Throws DomainError (the rules refuse), PreconditionFailedError (stale If-Match),
   * ConcurrencyError (other writers won every retry), ZodError (an event the catalog refuses).
   */
  execute<S, C, E extends DomainEvent>(
    stream: string,
    decider: Decider<S, C, E>,
    command: C | ((state: S) => C),
    context: CommandContext,
    options: ExecuteOptions = {},
  ): Promise<Executed<S, E>> {
    return this.#serial(stream, async () => {
      const ifMatch = normalizeIfMatch(options.ifMatch);
      for (let attempt = 0; ; attempt++) {
        const loaded = attempt === 0 && options.loaded ? (options.loaded as Loaded<S>) : await this.load(stream, decider);
        if (loaded.damage && !options.despiteDamage) throw new DamagedStreamError(stream, loaded.damage.position, loaded.damage);
        if (ifMatch) checkIfMatch(stream, ifMatch, loaded.revision);
        // A retry whose first attempt was written: answer as that attempt did, write nothing.
        const done = context.idempotencyKey ? loaded.keys.get(context.idempotencyKey) : undefined;
        if (done) return { before: loaded.state, events: [], revision: loaded.revision, position: done.position, written: false };
        const cmd = typeof command === 'function' ? (command as (state: S) => C)(loaded.state) : command;
        const events = decider.decide(cmd, loaded.state);
        if (events.length === 0) return { before: loaded.state, events, revision: loaded.revision, position: loaded.position, written: false };
        try {
          const result = await this.#append(stream, events, loaded, context, options.eventIds);
          return { before: loaded.state, events, revision: result.revision, position: result.position, written: result.written };
        } catch (error) {
          if (!(error instanceof ConcurrencyError) || error.stream !== stream) throw error;
          // `If-Match: *` asks only that the resource exists, which another writer does not change.
          if (ifMatch && ifMatch !== 'exists') throw new PreconditionFailedError(stream, ifMatch[0]!, error.actual);
          if (attempt >= (this.options.retries ?? DEFAULT_RETRIES)) throw error;
          await sleep(Math.random() * 5 * (attempt + 1));
        }
      }
    });
  }

  /**
   * A command whose rule spans streams (SPEC §3 "without a lock in memory"; docs/decisions.md,
   * "Rules across two streams"). Every step is decided on the states read, before anything is
   * written; then each step's events are appended in order, each at the revision that was read.
   * The first step is the guard: the stream that owns the rule, so a concurrent writer of the
   * same rule collides there. When an append loses a race, every step is read and decided again —
   * a step already written decides nothing the second time, as its own rule sees its event.
   * `compensate` runs when a later step is refused after an earlier one was written.
   */
  async executeSteps(
    steps: Step[],
    context: CommandContext,
    options: { compensate?: (written: string[], error: unknown) => Promise<void> } = {},
  ): Promise<Array<{ stream: string; revision: number; position: string | undefined; written: boolean }>> {
    const written = new Set<string>();
    for (let attempt = 0; ; attempt++) {
      const loaded = await Promise.all(steps.map((s) => this.load(s.stream, s.decider)));
      for (const [i, l] of loaded.entries()) if (l.damage) throw new DamagedStreamError(steps[i]!.stream, l.damage.position, l.damage);
      const states = new Map(steps.map((s, i) => [s.stream, loaded[i]!.state]));
      let decided: DomainEvent[][];
      let deadlines: Array<number | undefined>;
      try {
        decided = steps.map((s, i) => {
          const cmd = s.command(states);
          return cmd === undefined ? [] : s.decider.decide(cmd, loaded[i]!.state);
        });
        deadlines = steps.map((s) => s.notAfter?.(states));
      } catch (error) {
        if (written.size > 0 && options.compensate) await options.compensate([...written], error);
        throw error;
      }
      const results: Array<{ stream: string; revision: number; position: string | undefined; written: boolean }> = [];
      try {
        for (const [i, step] of steps.entries()) {
          const events = decided[i]!;
          if (events.length === 0) {
            results.push({ stream: step.stream, revision: loaded[i]!.revision, position: loaded[i]!.position, written: false });
            continue;
          }
          const result = await this.#serial(step.stream, () => this.#append(step.stream, events, loaded[i]!, context, undefined, deadlines[i]));
          written.add(step.stream);
          results.push({ stream: step.stream, revision: result.revision, position: result.position, written: result.written });
        }
        return results;
      } catch (error) {
        if (!(error instanceof ConcurrencyError) || attempt >= (this.options.retries ?? DEFAULT_RETRIES)) throw error;
        await sleep(Math.random() * 5 * (attempt + 1));
      }
    }
  }

  async #append(stream: string, events: DomainEvent[], at: { revision: number; hash: string | undefined }, context: CommandContext, eventIds?: string[], notAfter?: number) {
    const { revision } = at;
    return this.store.append(
      stream,
      events.map((event, i) => ({
        ...(eventIds?.[i] ? { id: eventIds[i] } : {}),
        type: event.type,
        data: checkedData(event),
        metadata: {
          actor: context.actorOf?.(event) ?? context.actor,
          at: context.now,
          correlationId: context.correlationId,
          schemaVersion: SCHEMA_VERSION[event.type],
          ...(context.idempotencyKey ? { idempotencyKey: context.idempotencyKey } : {}),
          ...(context.redirectedFrom ? { redirectedFrom: context.redirectedFrom } : {}),
        },
      })),
      revision === -1 ? 'no_stream' : revision,
      { ...(notAfter === undefined ? {} : { notAfter }), ...(revision >= 0 && at.hash !== undefined ? { head: { revision, hash: at.hash } } : {}) },
    );
  }
}

/** The catalog is the last word: an event the decider got wrong, or text that is not well-formed, is never stored. */
function checkedData(event: DomainEvent): unknown {
  const data = EVENT_SCHEMAS[event.type].parse(event.data);
  const bad = findIllFormedText(data);
  if (bad) throw new ZodError([{ code: 'custom', path: bad.path.split('.').filter(Boolean), message: bad.problem, input: undefined }]);
  return data;
}

function normalizeIfMatch(ifMatch: ExecuteOptions['ifMatch']): number[] | 'exists' | undefined {
  if (ifMatch === undefined) return undefined;
  if (typeof ifMatch === 'number') return [ifMatch];
  return 'any' in ifMatch ? 'exists' : ifMatch.revisions;
}

function checkIfMatch(stream: string, ifMatch: number[] | 'exists', revision: number): void {
  if (ifMatch === 'exists') {
    if (revision < 0) throw new PreconditionFailedError(stream, 'exists', revision);
  } else if (!ifMatch.includes(revision)) {
    throw new PreconditionFailedError(stream, ifMatch[0]!, revision);
  }
}

/** Events a load reads and folds at a time: few enough that a page dies in the young generation. */
const LOAD_PAGE = 250;

const handlers = new WeakMap<EventStore, CommandHandler>();

/** The process's command handler for `store`: one per store, so its queues and cache are shared. */
export function commandHandler(store: EventStore): CommandHandler {
  let handler = handlers.get(store);
  if (!handler) handlers.set(store, (handler = new CommandHandler(store)));
  return handler;
}

/** `commandHandler(store).load(…)`. */
export const load = <S, C, E extends DomainEvent>(store: EventStore, stream: string, decider: Decider<S, C, E>): Promise<Loaded<S>> =>
  commandHandler(store).load(stream, decider);

/** `commandHandler(store).execute(…)`. */
export const execute = <S, C, E extends DomainEvent>(
  store: EventStore,
  stream: string,
  decider: Decider<S, C, E>,
  command: C | ((state: S) => C),
  context: CommandContext,
  options: ExecuteOptions = {},
): Promise<Executed<S, E>> => commandHandler(store).execute(stream, decider, command, context, options);
