import type { EventStore, RecordedEvent } from './types.js';

/**
 * The global log after `after` (from the start when absent), a page at a time in log order, in
 * pages of the store's default size: the one loop for replays, verification, exports and audits.
 */
export async function* logPages(store: EventStore, after?: string): AsyncGenerator<RecordedEvent[]> {
  for (;;) {
    const page = await store.readAll(after === undefined ? {} : { after });
    if (page.length === 0) return;
    yield page;
    after = page[page.length - 1]!.position;
  }
}
