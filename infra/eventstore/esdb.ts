import { randomUUID } from 'node:crypto';
import {
  ANY,
  AccessDeniedError,
  BACKWARDS,
  CancelledError,
  DeadlineExceededError,
  END,
  EventStoreDBClient,
  FORWARDS,
  MaxAppendSizeExceededError,
  NO_STREAM,
  NotLeaderError,
  START,
  StreamDeletedError as EsdbStreamDeletedError,
  StreamNotFoundError,
  TimeoutError,
  UnavailableError,
  UnknownError,
  WrongExpectedVersionError,
  excludeSystemEvents,
  jsonEvent,
  type AllStreamResolvedEvent,
  type AllStreamSubscription,
  type JSONType,
  type Position,
  type ResolvedEvent,
} from '@eventstore/db-client';
import { sealEvents } from './chain.js';
import {
  ConcurrencyError,
  DeadlineError,
  EventTooLargeError,
  IdempotencyError,
  StoreUnavailableError,
  StreamDeletedError,
  type AppendOptions,
  type AppendResult,
  type EventMetadata,
  type EventStore,
  type ExpectedRevision,
  type NewEvent,
  type ReadAllOptions,
  type ReadStreamOptions,
  type RecordedEvent,
  type StoreEpoch,
  type StoreGuarantees,
  type SubscribeOptions,
  type Subscription,
} from './types.js';

/**
 * Positions are `commit/prepare`, each zero-padded to 20 digits (a u64), so that string order is
 * log order. A position a client wrote (`parsePosition`) is padded the same way before it is
 * compared with anything; values past 2^64−1, or a commit before its prepare, are not positions.
 */
/** The stream whose metadata holds the store's epoch (SPEC §5). */
const EPOCH_STREAM = 'zhitong-store';

const pad = (n: bigint) => n.toString().padStart(20, '0');
export const esdbPosition = (p: Position): string => `${pad(p.commit)}/${pad(p.prepare)}`;
const U64 = 2n ** 64n;
export function parseEsdbPosition(text: string): Position {
  const m = /^(\d{1,20})\/(\d{1,20})$/.exec(text);
  if (!m) throw new RangeError(`not a position: ${text}`);
  const position = { commit: BigInt(m[1]!), prepare: BigInt(m[2]!) };
  if (position.commit >= U64 || position.prepare >= U64 || position.commit < position.prepare) throw new RangeError(`not a position: ${text}`);
  return position;
}

/** Events zhitong never wrote and never reads: the server's own ($-streams, $-types, links). One rule for every read. */
const isSystem = (stream: string, type: string) => stream.startsWith('$') || type.startsWith('$');

export interface EsdbStoreOptions {
  /**
   * The server's MaxAppendSize (bytes of event data per append; EventStore's default is 1 MiB).
   * An append over it fails here, typed, before it is sent.
   */
  maxAppendBytes?: number;
  /** A read that has not finished after this long is cancelled and fails (ms). The client sets no deadline on reads. */
  readTimeoutMs?: number;
  /** How many times a transient failure (no leader, not ready, busy, commit timeout, unavailable) is retried. */
  transientRetries?: number;
  /** Backoff before the first retry (ms); doubled each time, with jitter. */
  retryBaseMs?: number;
  /** How many times an append that lost a race re-reads the head and tries again. */
  raceRetries?: number;
}

const DEFAULTS: Required<EsdbStoreOptions> = { maxAppendBytes: 1024 * 1024, readTimeoutMs: 30_000, transientRetries: 6, retryBaseMs: 50, raceRetries: 40 };

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
const NIL_UUID = '00000000-0000-0000-0000-000000000000';

/** How far back in a stream an append with caller-chosen ids looks for them (zhitong's streams are far shorter). */
const ID_SCAN = 1000;

/** A page of $all read at once when looking for our events among the server's own. */
const SCAN_PAGE = 500;

/**
 * Failures a retry of the identical request can cure (docs/decisions.md, "What each store
 * guarantees"): a follower asked for the leader (the client has reconnected to it by the time we
 * retry), a node not ready or too busy during an election (Streams.BatchAppend.cs answers these
 * with an untyped status, so the message is all there is), a commit timeout (the write may have
 * committed: the identical request at the same expected revision is then idempotent), the server
 * unreachable or cancelling a call.
 */
export function isTransient(error: unknown): boolean {
  return (
    error instanceof NotLeaderError ||
    error instanceof UnavailableError ||
    error instanceof TimeoutError ||
    error instanceof DeadlineExceededError ||
    error instanceof CancelledError ||
    (error instanceof UnknownError && /not ready|busy/i.test(error.message))
  );
}

/** Failures no retry cures: the node's credentials or settings are wrong, and a person must act. */
function isFatal(error: unknown): boolean {
  if (error instanceof AccessDeniedError) return true;
  if (error instanceof StoreUnavailableError || isTransient(error)) return false;
  const text = error instanceof Error ? `${error.name} ${error.message}` : String(error);
  return /certificate|self[- ]signed|SSL|TLS|ssl3|wrong version number|InvalidArgument|invalid argument/i.test(text);
}

const TURN = Symbol('turn');
const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));
const jittered = (base: number, attempt: number) => Math.round(base * 2 ** Math.min(attempt, 8) * (0.5 + Math.random()));

/** The client's ReadStream and its subscription share this: iterable, and cancellable on the wire. */
interface CancellableRead<T> extends AsyncIterable<T> {
  cancel(): Promise<void>;
  destroy(error?: Error): unknown;
}

/**
 * EventStoreDB through @eventstore/db-client 6.2. The hash chain needs the previous event's hash,
 * so every append knows the stream's head and appends at exactly that revision: a racing writer
 * turns into WrongExpectedVersionError, which becomes our ConcurrencyError (or, when the caller
 * said `any`, a re-read and another try, after the appends to the same stream from this process).
 *
 * Every read is cancelled on every way out (a read left early otherwise holds an HTTP/2 stream
 * until the connection's limit is reached and everything hangs), has a deadline of our own, and
 * reads what needs the latest state from the leader.
 */
export class EsdbEventStore implements EventStore {
  readonly kind = 'eventstoredb' as const;
  readonly guarantees: StoreGuarantees;
  readonly #client: EventStoreDBClient;
  readonly #options: Required<EsdbStoreOptions>;
  readonly #subscriptions = new Set<EsdbSubscription>();
  /** Appends per stream from this process, one after another. */
  readonly #queues = new Map<string, Promise<unknown>>();

  constructor(connectionString: string, options: EsdbStoreOptions = {}) {
    this.#client = EventStoreDBClient.connectionString(connectionString);
    this.#options = { ...DEFAULTS, ...options };
    this.guarantees = { gapFreePositions: false, globalEventIds: false, maxAppendBytes: this.#options.maxAppendBytes };
  }

  /** Calls the client holds open now (its `disposableStreams`): bounded when every read is cancelled. */
  get openCalls(): number {
    return (this.#client as unknown as { disposableStreams: Set<unknown> }).disposableStreams.size;
  }

  append(stream: string, events: NewEvent[], expected: ExpectedRevision = 'any', options: AppendOptions = {}): Promise<AppendResult> {
    if (events.length === 0) return Promise.reject(new RangeError('append needs at least one event'));
    const previous = this.#queues.get(stream) ?? Promise.resolve();
    const run = previous.then(
      () => this.#append(stream, events, expected, options),
      () => this.#append(stream, events, expected, options),
    );
    const tail = run.catch(() => undefined);
    this.#queues.set(stream, tail);
    void tail.then(() => {
      if (this.#queues.get(stream) === tail) this.#queues.delete(stream);
    });
    return run;
  }

  async #append(stream: string, events: NewEvent[], expected: ExpectedRevision, options: AppendOptions): Promise<AppendResult> {
    // The server keeps ids as Guids and prints them lower-case: compare and send them that way.
    const withIds = events.map((e) => ({ ...e, id: (e.id ?? randomUUID()).toLowerCase() }));
    // The server stores a Guid and refuses the empty one with an unhandled exception (Event.cs).
    const bad = withIds.find((e) => !UUID.test(e.id) || e.id === NIL_UUID);
    if (bad) throw new RangeError(`event id ${bad.id} is not one EventStoreDB can store (a non-nil UUID)`);
    const chosenIds = events.some((e) => e.id !== undefined);
    for (let attempt = 0; ; attempt++) {
      let head: { revision: number; hash: string } | undefined;
      const given = options.head;
      if (attempt === 0 && given && !chosenIds && typeof expected === 'number' && given.revision === expected) {
        head = given;
      } else {
        // The server checks ids only in some cases (IndexWriter.CheckCommit): ids the caller chose
        // are looked for in the stream's recent events here, so a retry is never written twice.
        const tail = await this.readStream(stream, { direction: 'backwards', max: chosenIds ? ID_SCAN : withIds.length, leader: true });
        const replay = idempotentReplay(stream, withIds, [...tail].reverse());
        if (replay) return replay;
        head = tail[0] && { revision: tail[0].revision, hash: tail[0].metadata.hash };
      }
      const actual = head ? head.revision : -1;
      if ((expected === 'no_stream' && head) || (expected === 'stream_exists' && !head) || (typeof expected === 'number' && expected !== actual)) {
        throw new ConcurrencyError(stream, expected, actual);
      }
      const sealed = sealEvents(stream, head, withIds);
      const wire = sealed.map((e) => jsonEvent({ id: e.id, type: e.type, data: e.data as JSONType, metadata: e.metadata as unknown as JSONType }));
      // MaxAppendSize counts the data bytes of the whole append (Event.SizeOnDisk, Streams.Append.cs).
      const bytes = sealed.reduce((n, e) => n + Buffer.byteLength(JSON.stringify(e.data), 'utf8'), 0);
      if (bytes > this.#options.maxAppendBytes) throw new EventTooLargeError(stream, bytes, this.#options.maxAppendBytes);
      try {
        return await this.#send(stream, wire, bytes, head ? BigInt(head.revision) : NO_STREAM, options);
      } catch (error) {
        if (!(error instanceof ConcurrencyError)) throw error;
        if (expected !== 'any' || attempt >= this.#options.raceRetries) throw error;
        // Another node appended first: back off with jitter so racing nodes do not retry in lockstep.
        await sleep(jittered(5, Math.min(attempt, 5)));
      }
    }
  }

  /**
   * One append on the wire, retried as the identical request while the failure is transient: the
   * same ids at the same expected revision are written once (IndexWriter.CheckCommit answers a
   * repeat behind the stream's head as idempotent), so a commit that timed out but happened is not
   * written twice.
   */
  async #send(stream: string, wire: ReturnType<typeof jsonEvent>[], bytes: number, expectedRevision: bigint | typeof NO_STREAM, options: AppendOptions): Promise<AppendResult> {
    for (let attempt = 0; ; attempt++) {
      if (options.notAfter !== undefined && Date.now() > options.notAfter) throw new DeadlineError(stream);
      try {
        const result = await this.#client.appendToStream(stream, wire, { expectedRevision, requiresLeader: true });
        // `throwOnAppendFailure=false` in a connection string makes a lost race a result, not an error.
        if (!result.success) throw new ConcurrencyError(stream, expectedRevision === NO_STREAM ? 'no_stream' : Number(expectedRevision), Number(result.nextExpectedRevision));
        if (!result.position) throw new StoreUnavailableError(`append to ${stream} answered without a position`);
        return { revision: Number(result.nextExpectedRevision), position: esdbPosition(result.position), written: true };
      } catch (error) {
        if (error instanceof ConcurrencyError || error instanceof StoreUnavailableError) throw error;
        if (error instanceof WrongExpectedVersionError) {
          const actual = typeof error.actualVersion === 'bigint' ? Number(error.actualVersion) : -1;
          throw new ConcurrencyError(stream, expectedRevision === NO_STREAM ? 'no_stream' : Number(expectedRevision), actual);
        }
        if (error instanceof MaxAppendSizeExceededError) {
          throw new EventTooLargeError(stream, bytes, error.maxAppendSize);
        }
        if (error instanceof EsdbStreamDeletedError) throw new StreamDeletedError(stream);
        if (!isTransient(error)) throw error;
        if (attempt >= this.#options.transientRetries) throw new StoreUnavailableError(`append to ${stream}: ${(error as Error).message}`, { cause: error });
        await sleep(jittered(this.#options.retryBaseMs, attempt));
      }
    }
  }

  /** Retries `work` while it fails transiently; then StoreUnavailableError. */
  async #retrying<T>(what: string, work: () => Promise<T>): Promise<T> {
    for (let attempt = 0; ; attempt++) {
      try {
        return await work();
      } catch (error) {
        if (!isTransient(error)) throw error;
        if (attempt >= this.#options.transientRetries) throw new StoreUnavailableError(`${what}: ${(error as Error).message}`, { cause: error });
        await sleep(jittered(this.#options.retryBaseMs, attempt));
      }
    }
  }

  /**
   * Drains one read, cancelling it on every way out and failing it after the read deadline.
   * `take` returns false to stop early.
   */
  async #drain<T>(read: CancellableRead<T>, take: (item: T) => boolean | void): Promise<void> {
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      read.destroy(new StoreUnavailableError(`a read took longer than ${this.#options.readTimeoutMs} ms`));
    }, this.#options.readTimeoutMs);
    try {
      for await (const item of read) if (take(item) === false) break;
    } catch (error) {
      if (timedOut && !(error instanceof StoreUnavailableError)) throw new StoreUnavailableError(`a read took longer than ${this.#options.readTimeoutMs} ms`);
      throw error;
    } finally {
      clearTimeout(timer);
      await read.cancel();
    }
  }

  async readStream(stream: string, options: ReadStreamOptions & { leader?: boolean } = {}): Promise<RecordedEvent[]> {
    const backwards = options.direction === 'backwards';
    return this.#retrying(`reading ${stream}`, async () => {
      const out: RecordedEvent[] = [];
      try {
        const read = this.#client.readStream(stream, {
          direction: backwards ? BACKWARDS : FORWARDS,
          fromRevision: options.from === undefined ? (backwards ? END : START) : BigInt(options.from),
          ...(options.max === undefined ? {} : { maxCount: BigInt(options.max) }),
          // A command decides on the stream's latest state: a follower may be behind (SPEC §3).
          requiresLeader: options.leader ?? true,
        });
        await this.#drain(read as unknown as CancellableRead<ResolvedEvent>, (resolved) => {
          const recorded = toRecorded(resolved);
          if (recorded) out.push(recorded);
        });
      } catch (error) {
        if (error instanceof StreamNotFoundError) return [];
        if (error instanceof EsdbStreamDeletedError) throw new StreamDeletedError(stream);
        throw error;
      }
      return out;
    });
  }

  /**
   * Up to `max` of our events after `after`. $all holds the server's own events too, and a read's
   * count counts them, so the page is filled across as many windows as it takes; an empty answer
   * means the end of the log, never a window of system events.
   */
  async readAll(options: ReadAllOptions = {}): Promise<RecordedEvent[]> {
    const max = options.max ?? 1000;
    const out: RecordedEvent[] = [];
    let from: string | undefined = options.after;
    for (;;) {
      const window = Math.max(max - out.length, 1) + 1;
      let seen = 0;
      let last: string | undefined;
      await this.#retrying('reading $all', async () => {
        seen = 0;
        last = undefined;
        const got: RecordedEvent[] = [];
        // $all reads are inclusive of fromPosition; ours are exclusive, hence one more and a skip.
        const read = this.#client.readAll({ direction: FORWARDS, fromPosition: from === undefined ? START : parseEsdbPosition(from), maxCount: BigInt(window) });
        await this.#drain(read as unknown as CancellableRead<AllStreamResolvedEvent>, (resolved) => {
          seen += 1;
          const position = positionOf(resolved);
          if (position) last = position;
          if (from !== undefined && position !== undefined && position <= from) return;
          const recorded = toRecorded(resolved);
          if (recorded && !isSystem(recorded.stream, recorded.type)) got.push(recorded);
        });
        out.push(...got.slice(0, max - out.length));
      });
      if (out.length >= max || seen < window || last === undefined || last === from) return out;
      from = last;
    }
  }

  subscribe(options: SubscribeOptions): Subscription {
    const subscription: EsdbSubscription = new EsdbSubscription(this.#client, options, this, () => this.#subscriptions.delete(subscription));
    this.#subscriptions.add(subscription);
    return subscription;
  }

  /** Our newest event's position, from the leader, looking back past any number of the server's own events. */
  async headPosition(): Promise<string | undefined> {
    let from: Position | typeof END = END;
    for (;;) {
      let found: string | undefined;
      let seen = 0;
      let oldest: Position | undefined;
      await this.#retrying('reading the head of $all', async () => {
        found = undefined;
        seen = 0;
        oldest = undefined;
        const read = this.#client.readAll({ direction: BACKWARDS, fromPosition: from, maxCount: BigInt(SCAN_PAGE), requiresLeader: true });
        await this.#drain(read as unknown as CancellableRead<AllStreamResolvedEvent>, (resolved) => {
          seen += 1;
          const e = resolved.event;
          if (e && 'position' in e && e.position) oldest = e.position as Position;
          const recorded = toRecorded(resolved);
          if (recorded && !isSystem(recorded.stream, recorded.type)) {
            found = recorded.position;
            return false;
          }
          return undefined;
        });
      });
      if (found !== undefined) return found;
      // Backwards reads are exclusive of fromPosition: the next page starts before the oldest seen.
      if (seen < SCAN_PAGE || !oldest) return undefined;
      from = oldest;
    }
  }

  parsePosition(text: string): string | undefined {
    try {
      return esdbPosition(parseEsdbPosition(text));
    } catch {
      return undefined;
    }
  }

  #epoch: StoreEpoch | undefined;

  /**
   * The epoch lives in the custom metadata of stream `zhitong-store` (its `$$` metadata stream is
   * outside our log, so it is neither hashed nor exported). The first node to ask writes it at
   * `no_stream`; a node that lost that race reads the winner's. After restoring a cluster from a
   * backup an operator writes a new one (`zhitong epoch --new`, docs/operations.md).
   */
  async epoch(): Promise<StoreEpoch> {
    if (this.#epoch) return this.#epoch;
    const read = async (): Promise<StoreEpoch | undefined> => {
      const { metadata } = await this.#retrying('reading the store epoch', () => this.#client.getStreamMetadata<{ zhitongEpoch?: StoreEpoch }>(EPOCH_STREAM, { requiresLeader: true }));
      const found = metadata?.zhitongEpoch;
      return found && typeof found.id === 'string' && typeof found.startsAfter === 'string' ? { id: found.id, startsAfter: found.startsAfter } : undefined;
    };
    const found = await read();
    if (found) return (this.#epoch = found);
    try {
      return (this.#epoch = await this.beginEpoch('', NO_STREAM));
    } catch (error) {
      if (!(error instanceof WrongExpectedVersionError)) throw error;
      const winner = await read();
      if (!winner) throw error;
      return (this.#epoch = winner);
    }
  }

  /** Writes a new epoch that starts after `startsAfter` (the restored cluster's head). */
  async beginEpoch(startsAfter: string, expectedRevision: typeof NO_STREAM | typeof ANY = ANY): Promise<StoreEpoch> {
    const epoch: StoreEpoch = { id: randomUUID(), startsAfter };
    await this.#client.setStreamMetadata(EPOCH_STREAM, { zhitongEpoch: epoch }, { expectedRevision, requiresLeader: true });
    this.#epoch = epoch;
    return epoch;
  }

  async ping(): Promise<void> {
    await this.headPosition();
  }

  async close(): Promise<void> {
    try {
      await Promise.allSettled([...this.#subscriptions].map((s) => s.close()));
    } finally {
      await this.#client.dispose();
    }
  }
}

/**
 * An exact retry — the same ids, in order, of the same types, somewhere in `recent` (oldest first)
 * — answers as the original did and writes nothing; any other reuse of a stored id is refused.
 */
function idempotentReplay(stream: string, events: ReadonlyArray<{ id: string; type: string }>, recent: readonly RecordedEvent[]): AppendResult | undefined {
  const index = new Map(recent.map((e, i) => [e.id.toLowerCase(), i]));
  const hits = events.filter((e) => index.has(e.id));
  if (hits.length === 0) return undefined;
  const start = index.get(events[0]!.id);
  const exact = start !== undefined && events.every((e, i) => recent[start + i]?.id.toLowerCase() === e.id && recent[start + i]!.type === e.type);
  if (!exact) throw new IdempotencyError(stream, hits[0]!.id);
  const last = recent[start + events.length - 1]!;
  return { revision: last.revision, position: last.position, written: false };
}

function positionOf(resolved: ResolvedEvent | AllStreamResolvedEvent): string | undefined {
  const e = resolved.event;
  if (e && 'position' in e && e.position) return esdbPosition(e.position as Position);
  if (resolved.commitPosition !== undefined) return esdbPosition({ commit: resolved.commitPosition, prepare: resolved.commitPosition });
  return undefined;
}

function toRecorded(resolved: ResolvedEvent | AllStreamResolvedEvent): RecordedEvent | undefined {
  const e = resolved.event;
  if (!e || !e.isJson) return undefined;
  return {
    id: e.id,
    stream: e.streamId,
    revision: Number(e.revision),
    position: positionOf(resolved) ?? '',
    type: e.type,
    data: e.data,
    metadata: e.metadata as unknown as EventMetadata,
  };
}

/**
 * A catch-up subscription to $all (the server filters out its own event types), delivered in
 * batches of up to `batchSize` while events are waiting, resubscribed from its checkpoint after a
 * transient failure with a capped, jittered backoff. Every failure reaches `onReadError`; a failure
 * no retry cures (access denied, TLS, a bad request) reaches `onError` and stops it, so the node is
 * not left silently behind. `onCaughtUp` is called once the subscription has delivered everything
 * up to the head it read when it (re)subscribed.
 */
class EsdbSubscription implements Subscription {
  #checkpoint: string | undefined;
  #closed = false;
  #current: AllStreamSubscription | undefined;
  #waiters = new Set<{ position: string; resolve: (ok: boolean) => void }>();
  readonly #done: Promise<void>;

  constructor(
    private readonly client: EventStoreDBClient,
    private readonly options: SubscribeOptions,
    private readonly store: EsdbEventStore,
    private readonly unregister: () => void,
  ) {
    this.#checkpoint = options.after;
    this.#done = this.#run();
  }

  get checkpoint(): string | undefined {
    return this.#checkpoint;
  }

  async #run(): Promise<void> {
    let failures = 0;
    const batchSize = this.options.batchSize ?? 500;
    while (!this.#closed) {
      try {
        const head = await this.store.headPosition();
        let caughtUp = head === undefined || (this.#checkpoint !== undefined && this.#checkpoint >= head);
        if (caughtUp) this.options.onCaughtUp?.();
        const subscription = this.client.subscribeToAll({
          fromPosition: this.#checkpoint === undefined ? START : parseEsdbPosition(this.#checkpoint),
          filter: excludeSystemEvents(),
        });
        this.#current = subscription;
        if (failures > 0) this.options.onReadOk?.();
        failures = 0;
        let batch: RecordedEvent[] = [];
        const flush = async () => {
          if (batch.length === 0) return;
          const events = batch;
          batch = [];
          try {
            await this.options.onEvents(events);
          } catch (handlerError) {
            this.#closed = true;
            await subscription.unsubscribe().catch(() => undefined);
            this.options.onError?.(handlerError);
            return;
          }
          this.#checkpoint = events[events.length - 1]!.position;
          this.#release();
          if (!caughtUp && head !== undefined && this.#checkpoint >= head) {
            caughtUp = true;
            this.options.onCaughtUp?.();
          }
        };
        const take = (resolved: AllStreamResolvedEvent) => {
          const recorded = toRecorded(resolved);
          if (!recorded || isSystem(recorded.stream, recorded.type)) return;
          if (this.#checkpoint !== undefined && recorded.position <= this.#checkpoint) return;
          if (batch.length > 0 && recorded.position <= batch[batch.length - 1]!.position) return;
          batch.push(recorded);
        };
        // A batch is what has arrived by the time the event loop turns (up to batchSize): a
        // catch-up hands over hundreds at once, a live event goes out alone and at once.
        const iterator = subscription[Symbol.asyncIterator]();
        let next = iterator.next();
        try {
          let ended = false;
          while (!ended && !this.#closed) {
            const first = await next;
            if (first.done) break;
            take(first.value);
            next = iterator.next();
            while (batch.length < batchSize) {
              const ready = await Promise.race([next, new Promise<typeof TURN>((resolve) => setImmediate(() => resolve(TURN)))]);
              if (ready === TURN) break;
              if (ready.done) {
                ended = true;
                break;
              }
              take(ready.value);
              next = iterator.next();
            }
            await flush();
          }
          await flush();
        } finally {
          next.catch(() => undefined);
          await iterator.return?.();
        }
        if (this.#closed) break;
        // The server ended the subscription: resubscribe from the checkpoint, not in a hot loop.
        await sleep(jittered(100, 0));
      } catch (error) {
        if (this.#closed) break;
        failures += 1;
        this.options.onReadError?.(error, failures);
        if (isFatal(error)) {
          this.#closed = true;
          this.options.onError?.(error);
          break;
        }
        await sleep(Math.min(jittered(100, failures - 1), 5000));
      }
    }
  }

  #release(): void {
    const reached = this.#checkpoint!;
    for (const w of this.#waiters) if (w.position <= reached) w.resolve(true);
  }

  waitFor(position: string, timeoutMs = 2000): Promise<boolean> {
    if (this.#checkpoint !== undefined && this.#checkpoint >= position) return Promise.resolve(true);
    return new Promise<boolean>((resolve) => {
      const waiter = {
        position,
        resolve: (ok: boolean) => {
          clearTimeout(timer);
          this.#waiters.delete(waiter);
          resolve(ok);
        },
      };
      const timer = setTimeout(() => waiter.resolve(false), timeoutMs);
      timer.unref();
      this.#waiters.add(waiter);
    });
  }

  async close(): Promise<void> {
    this.#closed = true;
    try {
      await this.#current?.unsubscribe();
      await this.#done;
    } finally {
      this.unregister();
      for (const w of [...this.#waiters]) w.resolve(false);
    }
  }
}
