import AjvModule from 'ajv/dist/2020.js';
import { z } from 'zod';
import { EVENT_SCHEMAS, EVENT_STREAM, isEventType, streamId, upcast, type EventType, type StreamKind } from '../domain/events.js';
import { UNREADABLE, type EventStore, type RecordedEvent, type Subscription } from '../infra/eventstore/types.js';
import type { Logger } from '../infra/logging.js';
import type { Snapshot, SnapshotStore } from '../infra/snapshots.js';
import { PROJECTIONS, type ProjectionName, type ProjectionStates } from '../projections/index.js';
import type { ProjectedEvent, Projection } from '../projections/projection.js';

/** The read side has not reached a position within the wait: 503, never a stale answer (SPEC §6). */
export class NotCaughtUpError extends Error {
  constructor() {
    super('the read side has not caught up with the log yet; try again');
    this.name = 'NotCaughtUpError';
  }
}

/** What a node does with each event after the projections have applied it (alerting, push). */
export interface LogHandler {
  /** Called once per event, with the projections already updated by it. A throw quarantines the event for this handler. */
  event(event: ProjectedEvent): void;
  /** Called after each batch, once every handler has seen its events. */
  batchEnd?(): void;
}

export interface QuarantinedEvent {
  position: string;
  stream: string;
  type: string;
  /** The projection or handler that could not apply it, or `catalog` for an event none may see. */
  handler: string;
  reason: string;
}

export interface RunnerStatus {
  running: boolean;
  caughtUp: boolean;
  checkpoint: string | undefined;
  failingReads: number;
  lastReadError?: string;
  quarantined: number;
  /** Where the states came from at start: a snapshot (its checkpoint), or the log from its start. */
  startedFrom: string | null;
}

const UNREADY_AFTER_FAILED_READS = 3;
/** A periodic snapshot waits for this long without an event applied (ms)... */
export const SNAPSHOT_QUIET_MS = 1000;
/** ...but a node that is never quiet still writes one once this many intervals have passed. */
export const SNAPSHOT_LONGEST_WAIT_INTERVALS = 6;
const QUARANTINE_KEPT = 100;
const LAG_COUNTED = 1000;
type AnyProjection = Projection<unknown, EventType>;

/**
 * The catalog's schemas compiled for reading: the JSON Schema of each event type (from the zod
 * catalog itself, so there is one source), checked by Ajv. Reading a million events back is
 * validation only — the data was parsed and normalized by zod when it was written — and Ajv
 * checks it without copying it, four to six times faster than a zod parse (docs/decisions.md).
 */
type AjvClass = new (options: Record<string, unknown>) => { compile(schema: unknown): ((data: unknown) => boolean) & { errors?: Array<{ instancePath: string; message?: string }> | null } };
const Ajv = ((AjvModule as unknown as { default?: AjvClass }).default ?? AjvModule) as unknown as AjvClass;
// multipleOfPrecision: 0.07 ha is a multiple of 0.01, though 0.07 / 0.01 is not an integer in floating point.
// validateSchema: false — the schemas are zod's own output; checking each against the JSON Schema
// meta-schema compiled the meta-schema first, ~50 ms of every replay and start (measured, 42 types).
const ajv = new Ajv({ allErrors: false, validateFormats: false, strict: false, multipleOfPrecision: 9, validateSchema: false });
/** What reading an event of one catalog type back needs: its stream's kind and its compiled schema. */
interface CatalogEntry {
  kind: StreamKind;
  validate: ReturnType<typeof ajv.compile>;
}
// Compiled on first use of each type: compiling all of them costs a CLI command or a start
// ~0.2–0.4 s (the province bench's profile: Ajv 39 % of `zhitong token`), and most commands never
// read an event back. One map lookup per event finds both the type's stream kind and its
// validator: a replay asks a million times (docs/decisions.md, "Performance: where we stand").
const catalog = new Map<string, CatalogEntry>();
const catalogEntry = (type: string): CatalogEntry | undefined => {
  let entry = catalog.get(type);
  if (entry === undefined && isEventType(type)) {
    entry = { kind: EVENT_STREAM[type], validate: ajv.compile(z.toJSONSchema(EVENT_SCHEMAS[type], { io: 'input', unrepresentable: 'any' })) };
    catalog.set(type, entry);
  }
  return entry;
};

/** Checks a recorded event against the catalog, at the current schema version; a reason when it fails. */
export function projectedEvent(event: RecordedEvent): ProjectedEvent | string {
  if (event.type === UNREADABLE) return 'the record cannot be read';
  const entry = catalogEntry(event.type);
  if (entry === undefined) return `event type ${event.type} is not in the catalog`;
  const id = streamId(event.stream, entry.kind);
  if (id === undefined) return `a ${event.type} does not belong in stream ${event.stream}`;
  const data = upcast(event.type, event.metadata.schemaVersion, event.data, event.id);
  const validate = entry.validate;
  if (!validate(data)) return `its data fails the catalog: ${(validate.errors ?? []).map((e) => `${e.instancePath || '(data)'} ${e.message ?? ''}`).join('; ')}`;
  return {
    type: event.type,
    data,
    stream: event.stream,
    id,
    revision: event.revision,
    position: event.position,
    at: event.metadata.at,
    actor: event.metadata.actor,
  } as ProjectedEvent;
}

/**
 * Applies every projection of the registry to the log, in order, from a checkpoint — the one
 * runner a node, `cli replay` and the tests share. Each event is parsed against the catalog once,
 * here, and handed to the projections that handle its type, then to the node's handlers.
 *
 * It never stops for good: a failed read is tried again with backoff (and `check()` says so for
 * /ready); an event that cannot be read, is not in the catalog, fails its schema, or that a
 * projection or handler throws on is quarantined — logged, counted, listed — and the next event is
 * applied. States are snapshotted with their checkpoint (infra/snapshots.ts) and a restart starts
 * from the snapshot rather than the start of the log.
 */
export class ProjectionRunner {
  readonly #projections: readonly AnyProjection[];
  /** For each event type, the indexes of the projections that handle it. */
  readonly #byType = new Map<string, number[]>();
  /** States, in registry order. */
  #states: unknown[];
  #handlers: Array<{ name: string; handler: LogHandler }> = [];
  #subscription: Subscription | undefined;
  #checkpoint: string | undefined;
  #checkpointHash = '';
  /** When the checkpoint's event was recorded (its `metadata.at`), when known. */
  #checkpointAt: string | undefined;
  #events = 0;
  #sinceSnapshot = 0;
  /** The clock's reading (ms) at the last snapshot (or start) and at the last batch applied. */
  #lastSnapshotAt = 0;
  #snapshotWrite: Promise<boolean> = Promise.resolve(false);
  #lastAppliedAt = -Infinity;
  readonly #clock: () => number;
  #failingReads = 0;
  #lastReadError: string | undefined;
  #quarantine: QuarantinedEvent[] = [];
  #quarantined = 0;
  #startedFrom: string | null = null;
  #snapshotTimer: NodeJS.Timeout | undefined;
  /** The log has been applied to its end at least once since start: the read side is current. */
  #caughtUpOnce = false;
  #onCaughtUp: Array<() => void> = [];

  constructor(
    private readonly store: EventStore,
    private readonly logger: Logger,
    private readonly options: {
      snapshots?: SnapshotStore;
      snapshotEveryMs?: number;
      registry?: readonly AnyProjection[];
      /** Monotonic ms for the snapshot policy (tests drive it); performance.now by default. */
      clock?: () => number;
    } = {},
  ) {
    this.#clock = options.clock ?? (() => performance.now());
    this.#lastSnapshotAt = this.#clock();
    this.#projections = options.registry ?? (PROJECTIONS as unknown as AnyProjection[]);
    this.#projections.forEach((p, i) => {
      for (const type of p.eventTypes) {
        const list = this.#byType.get(type);
        if (list) list.push(i);
        else this.#byType.set(type, [i]);
      }
    });
    this.#states = this.#projections.map((p) => p.initialState());
  }

  /** The projection's current state. Read it, never change it: it belongs to the runner. */
  state<N extends ProjectionName>(name: N): ProjectionStates[N] {
    return this.#states[this.#projections.findIndex((p) => p.name === name)] as ProjectionStates[N];
  }

  get checkpoint(): string | undefined {
    return this.#checkpoint;
  }

  /**
   * When the event at the checkpoint was recorded (UTC ISO-8601): what a live answer reflects, for
   * a person reading "as of". Undefined before the first event, or after a start from a snapshot
   * on a store that did not give the checkpoint's event back, until the next event.
   */
  get checkpointAt(): string | undefined {
    return this.#checkpointAt;
  }

  /** True once the log has been applied to its end since start. */
  get current(): boolean {
    return this.#caughtUpOnce;
  }

  /** Runs `fn` once the log has been applied to its end (at once if it has been). */
  whenCurrent(fn: () => void): void {
    if (this.#caughtUpOnce) fn();
    else this.#onCaughtUp.push(fn);
  }

  /** Handlers see every event after the projections; register them before `start`. */
  on(name: string, handler: LogHandler): void {
    this.#handlers.push({ name, handler });
  }

  /**
   * Loads the latest snapshot if it matches this code's projections and this log, then follows
   * the log from its checkpoint. Resolves once the snapshot is loaded (not once caught up).
   */
  async start(): Promise<void> {
    const usable = await this.#usableSnapshot(await this.#loadSnapshot());
    if (usable) {
      const { snapshot } = usable;
      this.#states = this.#projections.map((p) => snapshot.states[p.name]!.state);
      this.#checkpoint = snapshot.checkpoint;
      this.#checkpointHash = snapshot.checkpointHash;
      this.#checkpointAt = usable.checkpointAt;
      this.#events = snapshot.events;
      this.#startedFrom = snapshot.checkpoint;
      this.logger.info({ checkpoint: snapshot.checkpoint, events: snapshot.events, takenAt: snapshot.takenAt }, 'projections loaded from their snapshot');
    }
    this.#subscription = this.store.subscribe({
      ...(this.#checkpoint ? { after: this.#checkpoint } : {}),
      onEvents: (events) => this.apply(events),
      onReadError: (error, attempt) => {
        this.#failingReads = attempt;
        this.#lastReadError = error instanceof Error ? error.message : String(error);
        this.logger.error({ err: error, attempt }, 'reading the log failed; trying again');
      },
      onReadOk: () => {
        this.#failingReads = 0;
        this.#lastReadError = undefined;
      },
      onCaughtUp: () => {
        if (this.#caughtUpOnce) return;
        this.logger.info({ checkpoint: this.#checkpoint, events: this.#events }, 'projections caught up with the log');
        this.#caughtUpOnce = true;
        for (const fn of this.#onCaughtUp.splice(0)) fn();
      },
    });
    if (this.options.snapshots && this.options.snapshotEveryMs !== 0) {
      const every = this.options.snapshotEveryMs ?? 5 * 60_000;
      this.#snapshotTimer = setInterval(() => this.snapshotIfDue(), Math.min(every, SNAPSHOT_QUIET_MS));
      this.#snapshotTimer.unref();
    }
  }

  async #loadSnapshot(): Promise<Snapshot | undefined> {
    try {
      return this.options.snapshots?.load();
    } catch (error) {
      this.logger.warn({ err: error }, 'could not read the projection snapshot; rebuilding from the log');
      return undefined;
    }
  }

  /**
   * A snapshot is used only when every projection's version matches and its checkpoint is an
   * event of this log with the same hash (a store restored from an older backup, or another
   * store, is not the log the snapshot was taken of). Returns it with its checkpoint event's
   * recorded time (read from the log, where EventStoreDB's positions leave it unread: undefined).
   */
  async #usableSnapshot(snapshot: Snapshot | undefined): Promise<{ snapshot: Snapshot; checkpointAt: string | undefined } | undefined> {
    if (!snapshot) return undefined;
    for (const p of this.#projections) {
      if (snapshot.states[p.name]?.version !== p.version) {
        this.logger.info({ projection: p.name }, 'the snapshot holds another version of a projection; rebuilding from the log');
        return undefined;
      }
    }
    const previous = this.#previousOf(snapshot.checkpoint);
    const [event] = previous === null ? [] : await this.store.readAll({ ...(previous === undefined ? {} : { after: previous }), max: 1 });
    if (previous === null ? ((await this.store.headPosition()) ?? '') < snapshot.checkpoint : event?.position !== snapshot.checkpoint || event.metadata.hash !== snapshot.checkpointHash) {
      this.logger.warn({ checkpoint: snapshot.checkpoint }, 'the snapshot was not taken of this log; rebuilding from the log');
      return undefined;
    }
    return { snapshot, checkpointAt: event?.metadata.at };
  }

  /**
   * The position just before `position` where the store's positions are consecutive (SQLite's
   * rowid): undefined before the first; null where they are not (EventStoreDB), and then only
   * "the log reaches the checkpoint" can be checked.
   */
  #previousOf(position: string): string | undefined | null {
    const n = this.store.kind === 'sqlite' ? Number(position) : NaN;
    if (!Number.isSafeInteger(n)) return null;
    return n > 1 ? this.store.parsePosition(String(n - 1)) : undefined;
  }

  /** Applies a batch of the log, in order (the subscription calls this; replays and tests may too). */
  apply(events: readonly RecordedEvent[]): void {
    for (const recorded of events) {
      const event = projectedEvent(recorded);
      if (typeof event === 'string') {
        this.#setAside(recorded, 'catalog', event);
      } else {
        const handling = this.#byType.get(event.type);
        if (handling) {
          for (let k = 0; k < handling.length; k++) {
            const i = handling[k]!;
            try {
              this.#states[i] = this.#projections[i]!.evolve(this.#states[i], event);
            } catch (error) {
              this.#setAside(recorded, this.#projections[i]!.name, error instanceof Error ? error.message : String(error));
            }
          }
        }
        for (const { name, handler } of this.#handlers) {
          try {
            handler.event(event);
          } catch (error) {
            this.#setAside(recorded, name, error instanceof Error ? error.message : String(error));
          }
        }
      }
      this.#checkpoint = recorded.position;
      this.#checkpointHash = recorded.metadata.hash;
      this.#checkpointAt = recorded.metadata.at;
      this.#events += 1;
      this.#sinceSnapshot += 1;
    }
    if (events.length > 0) this.#lastAppliedAt = this.#clock();
    for (const { name, handler } of this.#handlers) {
      try {
        handler.batchEnd?.();
      } catch (error) {
        this.logger.error({ err: error, handler: name }, 'a log handler failed at the end of a batch');
      }
    }
  }

  /**
   * The periodic snapshot (every `snapshotEveryMs`, 5 min by default), taken at a quiet moment:
   * serializing the states holds the event loop (0.15 s for a county's 50,000 events, ~3 s for a
   * million; docs/decisions.md "Session 30"), and during a burst every alert due then would wait.
   * So a snapshot that is due waits until no event has been applied for SNAPSHOT_QUIET_MS, and is
   * written anyway after SNAPSHOT_LONGEST_WAIT_INTERVALS intervals. True when it wrote one.
   */
  snapshotIfDue(): boolean {
    if (this.#sinceSnapshot === 0) return false;
    const every = this.options.snapshotEveryMs ?? 5 * 60_000;
    const now = this.#clock();
    const since = now - this.#lastSnapshotAt;
    if (since < every) return false;
    if (now - this.#lastAppliedAt < SNAPSHOT_QUIET_MS && since < every * SNAPSHOT_LONGEST_WAIT_INTERVALS) return false;
    return this.snapshot();
  }

  /** The last snapshot's write: true once durable, false if it failed (or none was taken). */
  get snapshotWrite(): Promise<boolean> {
    return this.#snapshotWrite;
  }

  /**
   * Takes every state with the checkpoint now (also at stop) and has it written; true when taken.
   * The event loop is held for the serialize only; the write is logged when it is durable.
   */
  snapshot(): boolean {
    const snapshots = this.options.snapshots;
    if (!snapshots || this.#checkpoint === undefined) return false;
    try {
      const started = performance.now();
      const checkpoint = this.#checkpoint;
      // The states are taken (serialized) before save returns; the write goes on off the event loop.
      const written = snapshots.save({
        checkpoint,
        checkpointHash: this.#checkpointHash,
        takenAt: new Date().toISOString(),
        events: this.#events,
        states: Object.fromEntries(this.#projections.map((p, i) => [p.name, { version: p.version, state: this.#states[i] }])),
      });
      const heldMs = Math.round(performance.now() - started);
      this.#sinceSnapshot = 0;
      this.#lastSnapshotAt = this.#clock();
      this.#snapshotWrite = written.then(
        () => {
          this.logger.info({ checkpoint, heldMs, ms: Math.round(performance.now() - started) }, 'projection snapshot written');
          return true;
        },
        (error: unknown) => {
          this.logger.error({ err: error, checkpoint }, 'could not write the projection snapshot; the next start replays more of the log');
          return false;
        },
      );
      return true;
    } catch (error) {
      this.logger.error({ err: error }, 'could not write the projection snapshot; the next start replays more of the log');
      // Tried again an interval later, not at every tick.
      this.#lastSnapshotAt = this.#clock();
      return false;
    }
  }

  #setAside(event: RecordedEvent, handler: string, reason: string): void {
    this.#quarantined += 1;
    const entry = { position: event.position, stream: event.stream, type: event.type, handler, reason };
    this.#quarantine.push(entry);
    if (this.#quarantine.length > QUARANTINE_KEPT) this.#quarantine.shift();
    this.logger.error(entry, 'event quarantined: set aside and not applied');
  }

  /** Events set aside, the most recent last (at most 100 kept). */
  get quarantine(): readonly QuarantinedEvent[] {
    return this.#quarantine;
  }

  status(): RunnerStatus {
    return {
      running: this.#subscription !== undefined,
      caughtUp: this.#caughtUpOnce,
      checkpoint: this.#checkpoint,
      failingReads: this.#failingReads,
      ...(this.#lastReadError ? { lastReadError: this.#lastReadError } : {}),
      quarantined: this.#quarantined,
      startedFrom: this.#startedFrom,
    };
  }

  /** Throws when the runner cannot keep the node's read side and alerts current (readiness). */
  check(): void {
    if (!this.#subscription) throw new Error('the projection runner is not running');
    if (!this.#caughtUpOnce) throw new Error(`the read side is catching up with the log (at ${this.#checkpoint ?? 'its start'})`);
    if (this.#failingReads >= UNREADY_AFTER_FAILED_READS) throw new Error(`the projection runner cannot read the log: ${this.#lastReadError}`);
  }

  /**
   * How far the read side (and with it every live alert) is behind the log: the events written and
   * not yet applied, and how long ago the oldest of them was written (both 0 when current). Where
   * positions are not consecutive (EventStoreDB) the events are counted, at most LAG_COUNTED: a
   * scrape must stay cheap on a node that is already behind.
   */
  async lag(nowMs = Date.now()): Promise<{ events: number; seconds: number }> {
    const head = await this.store.headPosition();
    const at = this.#checkpoint;
    if (head === undefined || (at !== undefined && at >= head)) return { events: 0, seconds: 0 };
    const countable = this.store.guarantees.gapFreePositions;
    const unapplied = await this.store.readAll({ ...(at === undefined ? {} : { after: at }), max: countable ? 1 : LAG_COUNTED });
    const oldest = unapplied[0] ? Date.parse(unapplied[0].metadata.at) : nowMs;
    return {
      events: countable ? Number(head) - Number(at ?? 0) : unapplied.length,
      seconds: Math.max(0, nowMs - oldest) / 1000,
    };
  }

  async waitFor(position: string, timeoutMs = 2000): Promise<boolean> {
    if (this.#checkpoint !== undefined && this.#checkpoint >= position) return true;
    return this.#subscription ? this.#subscription.waitFor(position, timeoutMs) : false;
  }

  /** Waits until everything in the log now has been applied; false when that took too long. */
  async caughtUp(timeoutMs = 5000): Promise<boolean> {
    const head = await this.store.headPosition();
    return head === undefined || this.waitFor(head, timeoutMs);
  }

  /** Throws NotCaughtUpError unless the read side reaches `position` within the wait. */
  async require(position: string, timeoutMs = 2000): Promise<void> {
    if (!(await this.waitFor(position, timeoutMs))) throw new NotCaughtUpError();
  }

  async stop(): Promise<void> {
    clearInterval(this.#snapshotTimer);
    const subscription = this.#subscription;
    this.#subscription = undefined;
    await subscription?.close();
    this.snapshot();
  }
}

/**
 * The states of `registry` rebuilt from the start of the log up to a point: a position (that
 * event included), or a time (up to the last event whose `at` is not later; SPEC §6 `asOf`).
 * Positions are in commit order and `at` is each writer's clock, so events a little later than
 * the time are looked past, up to a minute, for one written just before it.
 * Returns the states and the last event applied.
 */
export async function rebuildUpTo(
  store: EventStore,
  registry: readonly AnyProjection[],
  until: { position: string } | { time: string },
): Promise<{ states: Map<string, unknown>; last: { position: string; at: string } | undefined }> {
  const states = new Map<string, unknown>(registry.map((p) => [p.name, p.initialState()]));
  const byType = new Map<string, AnyProjection[]>();
  for (const p of registry) for (const type of p.eventTypes) byType.set(type, [...(byType.get(type) ?? []), p]);
  const apply = (recorded: RecordedEvent) => {
    const event = projectedEvent(recorded);
    if (typeof event === 'string') return;
    for (const p of byType.get(event.type) ?? []) states.set(p.name, p.evolve(states.get(p.name), event));
  };
  const SKEW_MS = 60_000;
  const time = 'time' in until ? Date.parse(until.time) : undefined;
  let last: { position: string; at: string } | undefined;
  let held: RecordedEvent[] = [];
  let after: string | undefined;
  for (;;) {
    const page = await store.readAll({ ...(after === undefined ? {} : { after }), max: 1000 });
    if (page.length === 0) break;
    for (const event of page) {
      if ('position' in until) {
        if (event.position > until.position) return { states, last };
        apply(event);
        last = { position: event.position, at: event.metadata.at };
        continue;
      }
      const at = Date.parse(event.metadata.at);
      if (at <= time!) {
        for (const h of held) apply(h);
        held = [];
        apply(event);
        last = { position: event.position, at: event.metadata.at };
      } else if (at > time! + SKEW_MS) {
        return { states, last };
      } else {
        held.push(event);
      }
    }
    after = page[page.length - 1]!.position;
  }
  return { states, last };
}
