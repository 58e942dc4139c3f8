import type { AppendOptions, AppendResult, EventStore, ExpectedRevision, NewEvent } from '../../infra/eventstore/types.js';

/**
 * The real event store, with one thing added: `raceBefore(stream, event)` makes the next append
 * to that stream find `event` already appended by "someone else" (written through the same real
 * store just before), so the command handler loses the race for real — deterministically, where
 * two live writers would lose it only sometimes.
 */
export class RacingStore implements EventStore {
  #armed = new Map<string, NewEvent[] | (() => Promise<unknown>)>();
  races = 0;

  constructor(readonly inner: EventStore) {}

  get kind() {
    return this.inner.kind;
  }

  get guarantees() {
    return this.inner.guarantees;
  }

  raceBefore(stream: string, ...events: NewEvent[]): void {
    this.#armed.set(stream, events);
  }

  /** The next append to `stream` first waits for `meanwhile` (another request, say) to finish. */
  pauseBefore(stream: string, meanwhile: () => Promise<unknown>): void {
    this.#armed.set(stream, meanwhile);
  }

  async append(stream: string, events: NewEvent[], expected?: ExpectedRevision, options?: AppendOptions): Promise<AppendResult> {
    const foreign = this.#armed.get(stream);
    if (foreign) {
      this.#armed.delete(stream);
      this.races += 1;
      if (typeof foreign === 'function') await foreign();
      else await this.inner.append(stream, foreign, 'any');
    }
    return this.inner.append(stream, events, expected, options);
  }

  readStream: EventStore['readStream'] = (...args) => this.inner.readStream(...args);
  readAll: EventStore['readAll'] = (...args) => this.inner.readAll(...args);
  subscribe: EventStore['subscribe'] = (...args) => this.inner.subscribe(...args);
  headPosition: EventStore['headPosition'] = () => this.inner.headPosition();
  parsePosition: EventStore['parsePosition'] = (text) => this.inner.parsePosition(text);
  ping: EventStore['ping'] = () => this.inner.ping();
  epoch: EventStore['epoch'] = () => this.inner.epoch();
  close: EventStore['close'] = () => this.inner.close();
}

/** A foreign event's metadata: written by someone else, a moment ago. */
export const foreignMeta = (id = 'someone-else', role = 'officer') => ({
  actor: { id, role },
  at: new Date().toISOString(),
  correlationId: 'foreign',
  schemaVersion: 1,
});
