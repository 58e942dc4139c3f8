import { randomUUID } from 'node:crypto';
import {
  BACKWARDS,
  END,
  EventStoreDBClient,
  FORWARDS,
  NO_STREAM,
  START,
  StreamNotFoundError,
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
  IdempotencyError,
  type AppendOptions,
  type AppendResult,
  type EventMetadata,
  type EventStore,
  type ExpectedRevision,
  type NewEvent,
  type ReadAllOptions,
  type ReadStreamOptions,
  type RecordedEvent,
  type SubscribeOptions,
  type Subscription,
} from './types.js';

/**
 * Positions are `commit/prepare`, each zero-padded to 20 digits (a u64), so that string order is
 * log order. Events written in one transaction share a commit position; prepare tells them apart.
 */
const pad = (n: bigint) => n.toString().padStart(20, '0');
export const esdbPosition = (p: Position): string => `${pad(p.commit)}/${pad(p.prepare)}`;
export function parseEsdbPosition(text: string): Position {
  const m = /^(\d{1,20})\/(\d{1,20})$/.exec(text);
  if (!m) throw new RangeError(`not a position: ${text}`);
  const position = { commit: BigInt(m[1]!), prepare: BigInt(m[2]!) };
  if (position.commit >= 2n ** 64n || position.prepare >= 2n ** 64n) throw new RangeError(`not a position: ${text}`);
  return position;
}

/** How many times an append with expected `any` re-reads the head after losing a race. */
const ANY_RETRIES = 20;

/**
 * EventStoreDB through @eventstore/db-client 6.2. The hash chain needs the previous event's hash,
 * so every append reads the stream's head and appends at exactly that revision: a racing writer
 * turns into WrongExpectedVersionError, which becomes our ConcurrencyError (or, when the caller
 * said `any`, a re-read and another try).
 */
export class EsdbEventStore implements EventStore {
  readonly kind = 'eventstoredb' as const;
  readonly #client: EventStoreDBClient;
  #subscriptions = new Set<EsdbSubscription>();

  constructor(connectionString: string) {
    this.#client = EventStoreDBClient.connectionString(connectionString);
  }

  async append(stream: string, events: NewEvent[], expected: ExpectedRevision = 'any', options: AppendOptions = {}): Promise<AppendResult> {
    if (events.length === 0) throw new RangeError('append needs at least one event');
    const withIds = events.map((e) => ({ ...e, id: e.id ?? randomUUID() }));
    for (let attempt = 0; ; attempt++) {
      const tail = await this.readStream(stream, { direction: 'backwards', max: withIds.length });
      const replay = idempotentReplay(stream, withIds, [...tail].reverse());
      if (replay) return replay;
      const head = tail[0];
      const actual = head ? head.revision : -1;
      if (
        (expected === 'no_stream' && head) ||
        (expected === 'stream_exists' && !head) ||
        (typeof expected === 'number' && expected !== actual)
      ) {
        throw new ConcurrencyError(stream, expected, actual);
      }
      const sealed = sealEvents(stream, head && { revision: head.revision, hash: head.metadata.hash }, withIds);
      // No transaction spans the check and the server's write here: checked as late as we can.
      if (options.notAfter !== undefined && Date.now() > options.notAfter) throw new DeadlineError(stream);
      try {
        const result = await this.#client.appendToStream(
          stream,
          sealed.map((e) =>
            jsonEvent({ id: e.id, type: e.type, data: e.data as JSONType, metadata: e.metadata as unknown as JSONType }),
          ),
          { expectedRevision: head ? BigInt(head.revision) : NO_STREAM },
        );
        /* c8 ignore next */
        if (!result.position) throw new Error('EventStoreDB returned no position');
        return { revision: Number(result.nextExpectedRevision), position: esdbPosition(result.position), written: true };
      } catch (error) {
        if (!(error instanceof WrongExpectedVersionError)) throw error;
        const current = typeof error.actualVersion === 'bigint' ? Number(error.actualVersion) : -1;
        if (expected !== 'any' || attempt >= ANY_RETRIES) throw new ConcurrencyError(stream, expected, current);
      }
    }
  }

  async readStream(stream: string, options: ReadStreamOptions = {}): Promise<RecordedEvent[]> {
    const backwards = options.direction === 'backwards';
    const out: RecordedEvent[] = [];
    try {
      const read = this.#client.readStream(stream, {
        direction: backwards ? BACKWARDS : FORWARDS,
        fromRevision: options.from === undefined ? (backwards ? END : START) : BigInt(options.from),
        ...(options.max === undefined ? {} : { maxCount: BigInt(options.max) }),
      });
      for await (const resolved of read) {
        const recorded = toRecorded(resolved);
        if (recorded) out.push(recorded);
      }
    } catch (error) {
      if (error instanceof StreamNotFoundError) return [];
      throw error;
    }
    return out;
  }

  async readAll(options: ReadAllOptions = {}): Promise<RecordedEvent[]> {
    const max = options.max ?? 1000;
    const out: RecordedEvent[] = [];
    // $all reads are inclusive of fromPosition; ours are exclusive, hence one extra and a skip.
    const read = this.#client.readAll({
      direction: FORWARDS,
      fromPosition: options.after === undefined ? START : parseEsdbPosition(options.after),
      maxCount: BigInt(max + 1),
    });
    for await (const resolved of read) {
      const recorded = toRecorded(resolved);
      if (!recorded || recorded.stream.startsWith('$')) continue;
      if (options.after !== undefined && recorded.position <= options.after) continue;
      out.push(recorded);
      if (out.length === max) break;
    }
    return out;
  }

  subscribe(options: SubscribeOptions): Subscription {
    const subscription: EsdbSubscription = new EsdbSubscription(this.#client, options, () =>
      this.#subscriptions.delete(subscription),
    );
    this.#subscriptions.add(subscription);
    return subscription;
  }

  async headPosition(): Promise<string | undefined> {
    const read = this.#client.readAll({ direction: BACKWARDS, fromPosition: END, maxCount: 50n });
    for await (const resolved of read) {
      const recorded = toRecorded(resolved);
      if (recorded && !recorded.stream.startsWith('$')) return recorded.position;
    }
    return undefined;
  }

  parsePosition(text: string): string | undefined {
    try {
      return esdbPosition(parseEsdbPosition(text));
    } catch {
      return undefined;
    }
  }

  async ping(): Promise<void> {
    await this.headPosition();
  }

  async close(): Promise<void> {
    await Promise.all([...this.#subscriptions].map((s) => s.close()));
    await this.#client.dispose();
  }
}

function idempotentReplay(
  stream: string,
  events: ReadonlyArray<{ id: string; type: string }>,
  tail: readonly RecordedEvent[],
): AppendResult | undefined {
  const stored = new Map(tail.map((e) => [e.id, e]));
  const hits = events.filter((e) => stored.has(e.id));
  if (hits.length === 0) return undefined;
  const all = tail.length === events.length && events.every((e, i) => tail[i]!.id === e.id && tail[i]!.type === e.type);
  if (!all) throw new IdempotencyError(stream, hits[0]!.id);
  const last = tail[tail.length - 1]!;
  return { revision: last.revision, position: last.position, written: false };
}

function toRecorded(resolved: ResolvedEvent | AllStreamResolvedEvent): RecordedEvent | undefined {
  const e = resolved.event;
  if (!e || !e.isJson) return undefined;
  const position =
    'position' in e && e.position
      ? esdbPosition(e.position as Position)
      : resolved.commitPosition !== undefined
        ? esdbPosition({ commit: resolved.commitPosition, prepare: resolved.commitPosition })
        : '';
  return {
    id: e.id,
    stream: e.streamId,
    revision: Number(e.revision),
    position,
    type: e.type,
    data: e.data,
    metadata: e.metadata as unknown as EventMetadata,
  };
}

/**
 * A catch-up subscription to $all that resubscribes from its last checkpoint after any error
 * (the client does not), with a capped backoff.
 */
class EsdbSubscription implements Subscription {
  #checkpoint: string | undefined;
  #closed = false;
  #current: AllStreamSubscription | undefined;
  #waiters: Array<{ position: string; resolve: (ok: boolean) => void }> = [];
  readonly #done: Promise<void>;

  constructor(
    private readonly client: EventStoreDBClient,
    private readonly options: SubscribeOptions,
    private readonly unregister: () => void,
  ) {
    this.#checkpoint = options.after;
    this.#done = this.#run();
  }

  get checkpoint(): string | undefined {
    return this.#checkpoint;
  }

  async #run(): Promise<void> {
    let backoffMs = 100;
    let failures = 0;
    // The 6.x client does not say when a catch-up subscription reaches the live end of $all.
    this.options.onCaughtUp?.();
    while (!this.#closed) {
      try {
        this.#current = this.client.subscribeToAll({
          fromPosition: this.#checkpoint === undefined ? START : parseEsdbPosition(this.#checkpoint),
          filter: excludeSystemEvents(),
        });
        for await (const resolved of this.#current) {
          if (this.#closed) break;
          const recorded = toRecorded(resolved);
          if (!recorded) continue;
          if (this.#checkpoint !== undefined && recorded.position <= this.#checkpoint) continue;
          try {
            await this.options.onEvents([recorded]);
          } catch (handlerError) {
            this.#closed = true;
            this.options.onError?.(handlerError);
            return;
          }
          this.#checkpoint = recorded.position;
          this.#release();
          backoffMs = 100;
          if (failures > 0) this.options.onReadOk?.();
          failures = 0;
        }
      } catch (error) {
        if (this.#closed) break;
        failures += 1;
        this.options.onReadError?.(error, failures);
        await new Promise((r) => setTimeout(r, backoffMs));
        backoffMs = Math.min(backoffMs * 2, 5000);
      }
    }
  }

  #release(): void {
    const reached = this.#checkpoint!;
    this.#waiters = this.#waiters.filter((w) => (w.position <= reached ? (w.resolve(true), false) : true));
  }

  waitFor(position: string, timeoutMs = 2000): Promise<boolean> {
    if (this.#checkpoint !== undefined && this.#checkpoint >= position) return Promise.resolve(true);
    return new Promise<boolean>((resolve) => {
      const timer = setTimeout(() => resolve(false), timeoutMs);
      timer.unref();
      this.#waiters.push({
        position,
        resolve: (ok) => {
          clearTimeout(timer);
          resolve(ok);
        },
      });
    });
  }

  async close(): Promise<void> {
    this.#closed = true;
    await this.#current?.unsubscribe();
    await this.#done;
    this.unregister();
    for (const w of this.#waiters) w.resolve(false);
  }
}
