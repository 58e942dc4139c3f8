/**
 * The one way the rest of zhitong touches events. Two implementations (SQLite, EventStoreDB)
 * sit behind it and are held to the same contract suite in tests/eventstore.contract.ts.
 */

/** What the caller believes about the stream before this append. */
export type ExpectedRevision = 'any' | 'no_stream' | 'stream_exists' | number;

/** Metadata the caller supplies; `prevHash` and `hash` are added by the chain, never by callers. */
export interface EventMetadataInput {
  actor: { id: string; role: string };
  at: string;
  correlationId: string;
  schemaVersion: number;
  [extra: string]: unknown;
}

export interface EventMetadata extends EventMetadataInput {
  prevHash: string;
  hash: string;
}

export interface NewEvent {
  /** Client-chosen ids make retries idempotent: an id already stored is not stored again. */
  id?: string;
  type: string;
  data: unknown;
  metadata: EventMetadataInput;
}

export interface RecordedEvent {
  id: string;
  stream: string;
  /** 0-based revision of the event inside its stream. */
  revision: number;
  /** Opaque, compares in log order as a plain string. */
  position: string;
  type: string;
  data: unknown;
  metadata: EventMetadata;
}

export interface AppendOptions {
  /**
   * The stream's head as the caller just read it (revision and hash): a store that would
   * otherwise read it again before appending may use it instead (EventStoreDB: one round trip
   * fewer per command). Ignored unless its revision is the expected revision.
   */
  head?: { revision: number; hash: string } | undefined;
  /**
   * Epoch ms after which the append must not be written (DeadlineError instead): checked inside
   * the write transaction by SQLite, just before sending by EventStoreDB. For a write that is the
   * second half of a rule spanning two streams (docs/decisions.md, "Rules across two streams").
   */
  notAfter?: number;
}

export interface AppendResult {
  /** Revision of the last event now in the stream. */
  revision: number;
  /** Global position of the last appended event. */
  position: string;
  /** False when every event id was already stored (an idempotent retry). */
  written: boolean;
}

export interface ReadStreamOptions {
  from?: number;
  max?: number;
  direction?: 'forwards' | 'backwards';
}

export interface ReadAllOptions {
  /** Exclusive: events strictly after this position. Absent means from the beginning. */
  after?: string;
  max?: number;
}

export interface SubscribeOptions {
  after?: string;
  /** Called with batches in log order; the next batch waits until the promise settles. */
  onEvents: (events: RecordedEvent[]) => void | Promise<void>;
  /** Called when `onEvents` throws; the subscription stops (the handler is what failed). */
  onError?: (error: unknown) => void;
  /**
   * Called when reading the log fails (`attempt` counts consecutive failures); the subscription
   * tries again with backoff rather than stopping.
   */
  onReadError?: (error: unknown, attempt: number) => void;
  /** Called after a read succeeds. */
  onReadOk?: () => void;
  /** Called each time the subscription has delivered everything in the log (a read came back short). */
  onCaughtUp?: () => void;
  batchSize?: number;
}

export interface Subscription {
  /** Position of the last event handed to onEvents. */
  readonly checkpoint: string | undefined;
  /** Resolves once the subscription has delivered everything up to `position`. */
  waitFor(position: string, timeoutMs?: number): Promise<boolean>;
  close(): Promise<void>;
}

/**
 * What a store guarantees beyond the contract every store keeps (docs/decisions.md, "What each
 * store guarantees"); the contract suite checks these clauses only where a store claims them.
 */
export interface StoreGuarantees {
  /** Positions are consecutive integers: a missing one is a deleted event (the audit's gap check). */
  gapFreePositions: boolean;
  /** An event id is stored once in the whole log: reusing one in another stream is refused. */
  globalEventIds: boolean;
  /** The most event data one append may carry (bytes); larger is EventTooLargeError. */
  maxAppendBytes: number;
}

/**
 * Which life of the store this is (SPEC §5). A store restored from a backup begins a new epoch:
 * its positions after `startsAfter` are not the positions a client saw before the restore, so a
 * client holding an old epoch's position resumes from `startsAfter` at the latest.
 */
export interface StoreEpoch {
  /** Random, lower-case UUID; never reused. */
  id: string;
  /** The last position the restored log shares with the store it was copied from; '' from the start. */
  startsAfter: string;
}

export interface EventStore {
  readonly kind: 'sqlite' | 'eventstoredb';
  readonly guarantees: StoreGuarantees;
  append(stream: string, events: NewEvent[], expected?: ExpectedRevision, options?: AppendOptions): Promise<AppendResult>;
  /** Events of one stream; an absent stream reads as []. */
  readStream(stream: string, options?: ReadStreamOptions): Promise<RecordedEvent[]>;
  readAll(options?: ReadAllOptions): Promise<RecordedEvent[]>;
  subscribe(options: SubscribeOptions): Subscription;
  /** Position of the newest event in the log, or undefined when empty. */
  headPosition(): Promise<string | undefined>;
  /**
   * A position as a client wrote it, in this store's form: `189` → `0000000000000189` (SQLite),
   * `1/1` → padded commit/prepare (EventStoreDB). Undefined when it is not a position of this store.
   */
  parsePosition(text: string): string | undefined;
  /** This store's epoch (created with the store; new after a restore). */
  epoch(): Promise<StoreEpoch>;
  /** Throws when the store cannot be reached (readiness). */
  ping(): Promise<void>;
  close(): Promise<void>;
}

export class ConcurrencyError extends Error {
  readonly code = 'conflict';
  constructor(
    readonly stream: string,
    readonly expected: ExpectedRevision,
    /** -1 when the stream does not exist. */
    readonly actual: number,
  ) {
    super(`stream ${stream}: expected revision ${String(expected)}, actual ${actual}`);
    this.name = 'ConcurrencyError';
  }
}

/** Another process holds the store's write lock longer than an append may wait (HTTP 503). */
export class StoreBusyError extends Error {
  readonly code = 'busy';
  constructor() {
    super('the event store is busy (another process is writing); try again shortly');
    this.name = 'StoreBusyError';
  }
}

/** An append reached the store after its `notAfter`: nothing was written. */
export class DeadlineError extends Error {
  readonly code = 'deadline';
  constructor(readonly stream: string) {
    super(`the append to ${stream} came after its deadline and was not written`);
    this.name = 'DeadlineError';
  }
}

/** An event id reused for a different event: a retry that is not a retry. */
export class IdempotencyError extends Error {
  readonly code = 'idempotency_mismatch';
  constructor(readonly stream: string, readonly eventId: string) {
    super(`event ${eventId} is already stored with different content or in another place`);
    this.name = 'IdempotencyError';
  }
}

/**
 * The store could not be reached or could not serve the request in time, after retrying what
 * can be retried (a cluster electing a leader, a node not ready, a read past its deadline). HTTP
 * 503: nothing was written unless a retry of the same request says otherwise later.
 */
export class StoreUnavailableError extends Error {
  readonly code: 'store_unavailable' | 'disk_full' = 'store_unavailable';
  constructor(readonly reason: string, options?: { cause?: unknown }) {
    super(`the event store is unavailable: ${reason}`, options);
    this.name = 'StoreUnavailableError';
  }
}

/**
 * The disk under the embedded store is full: the append was rolled back whole, and reads go on.
 * HTTP 503 `disk_full`: retrying helps once an operator has made room, without a restart.
 */
export class DiskFullError extends StoreUnavailableError {
  override readonly code = 'disk_full' as const;
  constructor(options?: { cause?: unknown }) {
    super('the disk is full', options);
    this.name = 'DiskFullError';
  }
}

/** An append larger than the store takes in one write (EventStoreDB's MaxAppendSize). HTTP 413; nothing written. */
export class EventTooLargeError extends Error {
  readonly code = 'event_too_large';
  constructor(readonly stream: string, readonly bytes: number, readonly limit: number) {
    super(`an append of ${bytes} bytes to ${stream} is larger than the store takes in one write (${limit})`);
    this.name = 'EventTooLargeError';
  }
}

/** The stream was deleted in the store itself (never by zhitong): what it held is gone. */
export class StreamDeletedError extends Error {
  readonly code = 'stream_deleted';
  constructor(readonly stream: string) {
    super(`stream ${stream} was deleted in the event store`);
    this.name = 'StreamDeletedError';
  }
}

/**
 * The type given to a record the store holds but cannot read (damaged text). Readers of the log
 * receive it at its position, so one bad record stops nothing; the log tailer quarantines it and
 * verification reports the stream it belongs to.
 */
export const UNREADABLE = '$unreadable';

export function unreadableEvent(stream: string, position: string): RecordedEvent {
  return {
    id: `${UNREADABLE}-${position}`,
    stream,
    revision: -1,
    position,
    type: UNREADABLE,
    data: null,
    metadata: { actor: { id: 'zhitong', role: 'system' }, at: new Date(0).toISOString(), correlationId: '', schemaVersion: 0, prevHash: '', hash: '' },
  };
}
