import { createRequire } from 'node:module';
import { Worker } from 'node:worker_threads';

const require = createRequire(import.meta.url);

/*
 * The worker opens its own connection (read-only) and copies the whole database in as few steps
 * as it can: SQLite restarts a backup when another connection writes between two steps, so under
 * sustained intake small steps could restart for ever. After the first step everything left goes
 * in one, inside one read transaction, which a WAL writer does not block.
 */
const WORKER = `
const { workerData, parentPort } = require('node:worker_threads');
const Database = require(workerData.driver);
(async () => {
  const source = new Database(workerData.source, { readonly: true, fileMustExist: true });
  try {
    await source.backup(workerData.destination, { progress: ({ remainingPages }) => Math.max(remainingPages, 100) });
  } finally {
    source.close();
  }
  // One self-contained file: no -wal beside it to be forgotten when it is carried away.
  const copy = new Database(workerData.destination);
  copy.pragma('journal_mode = DELETE');
  copy.close();
})().then(() => parentPort.postMessage({ ok: true }), (error) => parentPort.postMessage({ error: String(error && error.message || error) }));
`;

/**
 * Copies the SQLite database `source` (live, in WAL mode, being written) to `destination`, which
 * must not exist, with the online backup API on a worker thread. Resolves when the copy is
 * complete and closed; rejects with the driver's error (disk full, unreadable source).
 */
export function sqliteOnlineBackup(source: string, destination: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const worker = new Worker(WORKER, { eval: true, workerData: { driver: require.resolve('better-sqlite3'), source, destination } });
    let settled = false;
    worker.once('message', (m: { ok?: true; error?: string }) => {
      settled = true;
      if (m.error !== undefined) reject(new Error(`backup of ${source} failed: ${m.error}`));
      else resolve();
      void worker.terminate();
    });
    worker.once('error', (error) => {
      settled = true;
      reject(error);
    });
    worker.once('exit', (code) => {
      if (!settled) reject(new Error(`backup worker exited (${code}) before finishing`));
    });
  });
}
