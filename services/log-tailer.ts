import type { EventStore, RecordedEvent, Subscription } from '../infra/eventstore/types.js';
import type { Logger } from '../infra/logging.js';

export type LogHandler = (events: RecordedEvent[]) => void | Promise<void>;

/**
 * The one subscriber every node runs: it tails the global log from a checkpoint and hands each
 * batch, in order, to the read side (projections) and to the processes that react to events
 * (alert feed, escalation). `waitFor(position)` is read-your-writes for anything built on it.
 */
export class LogTailer {
  #handlers: LogHandler[] = [];
  #subscription: Subscription | undefined;

  constructor(
    private readonly store: EventStore,
    private readonly logger: Logger,
  ) {}

  /** Handlers see every event from the start of the log; register them before `start`. */
  on(handler: LogHandler): void {
    this.#handlers.push(handler);
  }

  start(after?: string): void {
    this.#subscription = this.store.subscribe({
      ...(after ? { after } : {}),
      onEvents: async (events) => {
        for (const handler of this.#handlers) await handler(events);
      },
      onError: (error) => this.logger.fatal({ err: error }, 'log tailer stopped: a handler failed'),
    });
  }

  async waitFor(position: string, timeoutMs = 2000): Promise<boolean> {
    return this.#subscription ? this.#subscription.waitFor(position, timeoutMs) : false;
  }

  /** Waits until everything in the log now has been handled. */
  async caughtUp(timeoutMs = 5000): Promise<boolean> {
    const head = await this.store.headPosition();
    return head === undefined || this.waitFor(head, timeoutMs);
  }

  async stop(): Promise<void> {
    await this.#subscription?.close();
  }
}
