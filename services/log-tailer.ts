import { isEventType } from '../domain/events.js';
import { UNREADABLE, type EventStore, type RecordedEvent, type Subscription } from '../infra/eventstore/types.js';
import type { Logger } from '../infra/logging.js';

/** The read side has not reached a position within the wait: 503, never a stale answer (SPEC §6). */
export class NotCaughtUpError extends Error {
  constructor() {
    super('the read side has not caught up with the log yet; try again');
    this.name = 'NotCaughtUpError';
  }
}

/** What a node does with each event of the log, in log order. */
export interface LogHandler {
  /** Called once per event. A throw sets that event aside for this handler only (quarantine). */
  event(event: RecordedEvent): void;
  /** Called after each batch of events, once every handler has seen them. */
  batchEnd?(): void;
}

export interface QuarantinedEvent {
  position: string;
  stream: string;
  type: string;
  /** The handler that could not apply it, or `catalog` for an event no handler may see. */
  handler: string;
  reason: string;
}

export interface TailerStatus {
  running: boolean;
  checkpoint: string | undefined;
  /** Consecutive failed reads of the log; 0 while reading works. */
  failingReads: number;
  lastReadError?: string;
  quarantined: number;
}

/** A node is not ready while reads of the log have failed this many times in a row. */
const UNREADY_AFTER_FAILED_READS = 3;
/** At most this many quarantined events are kept for /ready and the logs; the count goes on. */
const QUARANTINE_KEPT = 100;

/**
 * The one subscriber every node runs: it tails the global log from a checkpoint and hands each
 * event, in order, to the read side (projections) and to the processes that react to events
 * (alert feed, escalation). `waitFor(position)` is read-your-writes for anything built on it.
 *
 * Nothing stops it for good. A read that fails (a busy or unreachable store) is tried again with
 * backoff, and `/ready` says so meanwhile. An event that cannot be read, whose type is not in the
 * catalog, or that a handler throws on is set aside — logged, counted and listed — and the next
 * event is handled: one damaged record must not silence every alert after it.
 */
export class LogTailer {
  #handlers: Array<{ name: string; handler: LogHandler }> = [];
  #subscription: Subscription | undefined;
  #failingReads = 0;
  #lastReadError: string | undefined;
  #quarantine: QuarantinedEvent[] = [];
  #quarantined = 0;

  constructor(
    private readonly store: EventStore,
    private readonly logger: Logger,
  ) {}

  /** Handlers see every event from the start of the log; register them before `start`. */
  on(name: string, handler: LogHandler): void {
    this.#handlers.push({ name, handler });
  }

  start(after?: string): void {
    this.#subscription = this.store.subscribe({
      ...(after ? { after } : {}),
      onEvents: (events) => this.#apply(events),
      onReadError: (error, attempt) => {
        this.#failingReads = attempt;
        this.#lastReadError = error instanceof Error ? error.message : String(error);
        this.logger.error({ err: error, attempt }, 'reading the log failed; trying again');
      },
      onReadOk: () => {
        this.#failingReads = 0;
        this.#lastReadError = undefined;
      },
    });
  }

  #apply(events: RecordedEvent[]): void {
    for (const event of events) {
      if (event.type === UNREADABLE) {
        this.#setAside(event, 'catalog', 'the record cannot be read');
        continue;
      }
      if (!isEventType(event.type)) {
        this.#setAside(event, 'catalog', `event type ${event.type} is not in the catalog`);
        continue;
      }
      for (const { name, handler } of this.#handlers) {
        try {
          handler.event(event);
        } catch (error) {
          this.#setAside(event, name, error instanceof Error ? error.message : String(error));
        }
      }
    }
    for (const { name, handler } of this.#handlers) {
      try {
        handler.batchEnd?.();
      } catch (error) {
        this.logger.error({ err: error, handler: name }, 'a log handler failed at the end of a batch');
      }
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

  status(): TailerStatus {
    return {
      running: this.#subscription !== undefined,
      checkpoint: this.#subscription?.checkpoint,
      failingReads: this.#failingReads,
      ...(this.#lastReadError ? { lastReadError: this.#lastReadError } : {}),
      quarantined: this.#quarantined,
    };
  }

  /** Throws when the tailer cannot keep the node's read side and alerts current (readiness). */
  check(): void {
    if (!this.#subscription) throw new Error('the log tailer is not running');
    if (this.#failingReads >= UNREADY_AFTER_FAILED_READS) throw new Error(`the log tailer cannot read the log: ${this.#lastReadError}`);
  }

  async waitFor(position: string, timeoutMs = 2000): Promise<boolean> {
    return this.#subscription ? this.#subscription.waitFor(position, timeoutMs) : false;
  }

  /** Waits until everything in the log now has been handled; false when that took too long. */
  async caughtUp(timeoutMs = 5000): Promise<boolean> {
    const head = await this.store.headPosition();
    return head === undefined || this.waitFor(head, timeoutMs);
  }

  async stop(): Promise<void> {
    const subscription = this.#subscription;
    this.#subscription = undefined;
    await subscription?.close();
  }
}
