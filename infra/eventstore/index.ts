import { join } from 'node:path';
import { ensureDataDir } from '../config.js';
import { SqliteEventStore, type SqliteEventStoreOptions } from './sqlite.js';
import type { EventStore } from './types.js';

export * from './types.js';
export { verifyStreamChain, GENESIS_HASH, type ChainBreak } from './chain.js';
export { logPages } from './pages.js';

/**
 * EventStoreDB when a URL is configured, else the embedded SQLite file in `dataDir`. The
 * EventStoreDB client (gRPC, protobuf) is loaded only when it is used: a tenth of a second of
 * every CLI command and every start on the embedded store otherwise.
 */
export async function openEventStore(
  config: { dataDir: string; eventStoreUrl?: string | undefined; eventStoreMaxAppendSize?: number },
  options: Pick<SqliteEventStoreOptions, 'writer' | 'pageCacheKb'> = {},
): Promise<EventStore> {
  if (config.eventStoreUrl) {
    const { EsdbEventStore } = await import('./esdb.js');
    return new EsdbEventStore(config.eventStoreUrl, config.eventStoreMaxAppendSize ? { maxAppendBytes: config.eventStoreMaxAppendSize } : {});
  }
  ensureDataDir(config.dataDir);
  return new SqliteEventStore({ file: join(config.dataDir, 'events.sqlite'), ...options });
}
