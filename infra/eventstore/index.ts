import { join } from 'node:path';
import { ensureDataDir } from '../config.js';
import { EsdbEventStore } from './esdb.js';
import { SqliteEventStore } from './sqlite.js';
import type { EventStore } from './types.js';

export * from './types.js';
export { verifyStreamChain, GENESIS_HASH, type ChainBreak } from './chain.js';
export { logPages } from './pages.js';

/** EventStoreDB when a URL is configured, else the embedded SQLite file in `dataDir`. */
export function openEventStore(config: { dataDir: string; eventStoreUrl?: string | undefined; eventStoreMaxAppendSize?: number }): EventStore {
  if (config.eventStoreUrl) return new EsdbEventStore(config.eventStoreUrl, config.eventStoreMaxAppendSize ? { maxAppendBytes: config.eventStoreMaxAppendSize } : {});
  ensureDataDir(config.dataDir);
  return new SqliteEventStore({ file: join(config.dataDir, 'events.sqlite') });
}
