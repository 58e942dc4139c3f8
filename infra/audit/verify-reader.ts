import Database from 'better-sqlite3';
import { createRequire } from 'node:module';
import { Worker } from 'node:worker_threads';
import type { EventMetadata, RecordedEvent } from '../eventstore/types.js';
import { plainWorkerExecArgv, terminateWorker } from '../workers.js';

/** An event as the verifier's pass needs it, with its hash already checked (`hashOk`). */
export interface CheckedEvent {
  event: RecordedEvent;
  /** The stored hash is the event's, by the fast check; false: to be canonicalised in full. */
  hashOk: boolean;
}

type Row = [position: string, stream: string | null, revision?: number, type?: string, hash?: string, prevHash?: string, ok?: boolean, id?: string, data?: unknown, metadata?: EventMetadata | null];

// Small enough that a small log is shared by both workers, large enough that a page's round trip is noise.
const PAGE = 2_500;
/**
 * A page read on the calling thread: small enough that what it holds dies in the young
 * generation. With pages of 2,500 the parsed events of a page outlived scavenges and were copied
 * into memory touched for the first time; `verify` of a province's register took 641 ms against
 * 504 ms with pages of 250 (docs/decisions.md "Session 38").
 */
const INLINE_PAGE = 250;

/**
 * Up to this many positions a log is read on the calling thread: starting two threads, loading
 * better-sqlite3 in each, cloning their answers back and stopping them costs more than they save
 * (measured on the province bench, a register of 19,224 events: see docs/decisions.md "Session 28").
 */
export const INLINE_UP_TO = 50_000;

const { checkRecords, RANGE_SQL, CACHE_PRAGMA } = createRequire(import.meta.url)('./verify-check.cjs') as {
  checkRecords(rows: Iterable<[number, string]>): Row[];
  RANGE_SQL: string;
  CACHE_PRAGMA: string;
};

/**
 * The embedded store's log for verification (`cli verify`), read and hash-checked (verify-check.cjs)
 * by two worker threads on ranges of positions in turn, and handed over in position order: parsing
 * and hashing a million events is most of verification's cost, and a machine has two cores
 * (docs/decisions.md, "Verification speed"). The main thread does only the pass's bookkeeping. A
 * log of at most INLINE_UP_TO positions is read on the calling thread instead.
 */
export async function* readForVerification(file: string, { workers = 2, inlineUpTo = INLINE_UP_TO }: { workers?: number; inlineUpTo?: number } = {}): AsyncGenerator<CheckedEvent[]> {
  const db = new Database(file, { readonly: true, fileMustExist: true });
  let head: number;
  try {
    head = (db.prepare('SELECT max(position) AS p FROM events').get() as { p: number | null }).p ?? 0;
    if (head <= inlineUpTo) {
      db.pragma('busy_timeout = 10000');
      db.pragma(CACHE_PRAGMA);
      const rows = db.prepare(RANGE_SQL).raw();
      for (let after = 0; after < head; after += INLINE_PAGE) yield checkRecords(rows.all(after, Math.min(head, after + INLINE_PAGE)) as Array<[number, string]>).map(toChecked);
      return;
    }
  } finally {
    db.close();
  }
  const pool = Array.from({ length: workers }, () => new Worker(new URL('./verify-reader.worker.cjs', import.meta.url), { workerData: { file }, execArgv: plainWorkerExecArgv() }));
  const pending = new Map<number, { resolve: (rows: Row[]) => void; reject: (error: Error) => void }>();
  for (const worker of pool) {
    worker.on('message', (m: { id: number; out?: Row[]; error?: string }) => {
      const p = pending.get(m.id)!;
      pending.delete(m.id);
      if (m.error !== undefined) p.reject(new Error(m.error));
      else p.resolve(m.out!);
    });
    worker.on('error', (error) => {
      for (const p of pending.values()) p.reject(error);
      pending.clear();
    });
  }
  const request = (n: number): Promise<Row[]> =>
    new Promise((resolve, reject) => {
      pending.set(n, { resolve, reject });
      pool[n % workers]!.postMessage({ id: n, after: n * PAGE, upTo: Math.min(head, (n + 1) * PAGE) });
    });
  const pages = Math.ceil(head / PAGE);
  // Two pages in flight per worker: each has the next one ready when the main thread asks.
  const inFlight: Array<Promise<Row[]>> = [];
  let next = 0;
  try {
    while (next < pages && inFlight.length < workers * 2) inFlight.push(request(next++));
    while (inFlight.length > 0) {
      const rows = await inFlight.shift()!;
      if (next < pages) inFlight.push(request(next++));
      yield rows.map(toChecked);
    }
  } finally {
    await Promise.all(pool.map((w) => terminateWorker(w)));
  }
}

function toChecked(row: Row): CheckedEvent {
  const [position, stream, revision, type, hash, prevHash, ok, id, data, metadata] = row;
  if (stream === null) {
    // A record that does not parse: an event whose content is gone, at its position.
    return { event: { id: '', stream: `(unreadable at ${position})`, revision: 0, position, type: 'Unreadable', data: null, metadata: { prevHash: '', hash: '' } as unknown as EventMetadata }, hashOk: false };
  }
  return {
    event: { id: id!, stream, revision: revision!, position, type: type!, data: data ?? null, metadata: metadata ?? ({ hash, prevHash } as EventMetadata) },
    hashOk: ok!,
  };
}
