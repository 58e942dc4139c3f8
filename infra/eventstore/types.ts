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
  /** Called when the handler throws; the subscription stops. */
  onError?: (error: unknown) => void;
  batchSize?: number;
}

export interface Subscription {
  /** Position of the last event handed to onEvents. */
  readonly checkpoint: string | undefined;
  /** Resolves once the subscription has delivered everything up to `position`. */
  waitFor(position: string, timeoutMs?: number): Promise<boolean>;
  close(): Promise<void>;
}

export interface EventStore {
  readonly kind: 'sqlite' | 'eventstoredb';
  append(stream: string, events: NewEvent[], expected?: ExpectedRevision): Promise<AppendResult>;
  /** Events of one stream; an absent stream reads as []. */
  readStream(stream: string, options?: ReadStreamOptions): Promise<RecordedEvent[]>;
  readAll(options?: ReadAllOptions): Promise<RecordedEvent[]>;
  subscribe(options: SubscribeOptions): Subscription;
  /** Position of the newest event in the log, or undefined when empty. */
  headPosition(): Promise<string | undefined>;
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

/** An event id reused for a different event: a retry that is not a retry. */
export class IdempotencyError extends Error {
  readonly code = 'idempotency_mismatch';
  constructor(readonly stream: string, readonly eventId: string) {
    super(`event ${eventId} is already stored with different content or in another place`);
    this.name = 'IdempotencyError';
  }
}
