import { Worker } from 'node:worker_threads';
import type { RecordedEvent } from './types.js';
import { plainWorkerExecArgv, terminateWorker } from '../workers.js';

interface Reply {
  id: number;
  count: number;
  /** The chunk's events as JSON arrays in UTF-8, in order, each under 64 KiB (the worker's PART_CHARS). */
  parts?: Uint8Array[];
  /** Rows whose record does not agree with the row (the worker's check). */
  disagree?: number;
  error?: string;
}

interface Pending {
  resolve: (reply: Reply) => void;
  reject: (error: unknown) => void;
}

/**
 * Positions per request to the worker. The worker splits a chunk's JSON into parts under V8's
 * threshold for parsing into the old generation (sqlite-page-reader.worker.cjs, PART_CHARS), so a
 * chunk need not be small for that; 256 halves the messages of 128 (a full read of 300,000
 * events: 1.05–1.11 s against 1.19–1.25 s, session 40).
 */
const CHUNK = 256;
/** Chunks read ahead of the caller's page, keeping the worker busy while the caller parses. */
const AHEAD = 4;

/**
 * Bulk reads of the global log (replays, catch-up, audits) on a worker thread with its own
 * read-only connection, reading ahead while the caller works through what it has.
 *
 * The log is read in aligned chunks of positions, chunk k holding (k·CHUNK, (k+1)·CHUNK], and
 * only chunks at or below the head the caller saw are kept or read ahead: one writer assigns
 * positions in commit order, so such a chunk is complete and can never change. Positions have no
 * gaps either, so a complete chunk holds exactly CHUNK events; if one ever holds fewer, `read`
 * answers undefined and the caller reads in place instead.
 */
export class SqlitePageReader {
  #worker: Worker | undefined;
  readonly #pending = new Map<number, Pending>();
  #nextId = 0;
  /** Complete chunks requested, by chunk number, including those read ahead of the caller. */
  readonly #chunks = new Map<number, Promise<Reply>>();
  /** The chunk a page last ended inside, parsed: the next page starts with the rest of it. */
  #straddling: { chunk: number; events: RecordedEvent[] } | undefined;
  #closed = false;
  /** Reads answered here rather than in place: for tests and metrics. */
  served = 0;

  constructor(private readonly file: string) {}

  /** The `max` events after position `after`, which must be no further than `head - max`. */
  async read(after: number, max: number, head: number): Promise<RecordedEvent[] | undefined> {
    if (this.#closed) throw new Error('event store is closed');
    const end = after + max;
    const first = Math.floor(after / CHUNK);
    const last = Math.ceil(end / CHUNK) - 1;
    const wanted: Array<{ chunk: number; reply: Promise<Reply | RecordedEvent[]> }> = [];
    for (let k = first; k <= last; k++) wanted.push({ chunk: k, reply: this.#chunk(k, head) });
    // If one chunk fails, read() rejects with it; the others must not surface as unhandled.
    for (const w of wanted) w.reply.catch(() => undefined);
    // Whatever was read ahead for another path through the log is of no use now.
    for (const [k, reply] of this.#chunks) {
      if (k <= last) {
        this.#chunks.delete(k);
        reply.catch(() => undefined);
      }
    }
    for (let k = last + 1; k <= last + AHEAD && (k + 1) * CHUNK <= head; k++) {
      if (!this.#chunks.has(k)) this.#readAhead(k);
    }

    const events: RecordedEvent[] = [];
    for (const { chunk, reply } of wanted) {
      const answer = await reply;
      const chunkEvents = Array.isArray(answer) ? answer : decode(answer);
      // A record that is not JSON, or is not where its row is, spoils its chunk: the caller reads
      // that page in place, row by row, and gets it as an unreadable event rather than an exception.
      if (chunkEvents === undefined) return undefined;
      const lo = chunk * CHUNK;
      const upTo = Math.min(lo + CHUNK, head);
      if (chunkEvents.length !== upTo - lo) return undefined; // a hole in the positions
      const from = Math.max(0, after - lo);
      const to = Math.min(chunkEvents.length, end - lo);
      for (let i = from; i < to; i++) events.push(chunkEvents[i]!);
      if (to < chunkEvents.length && chunkEvents.length === CHUNK) this.#straddling = { chunk, events: chunkEvents };
    }
    this.served += 1;
    return events;
  }

  async close(): Promise<void> {
    this.#closed = true;
    this.#chunks.clear();
    this.#straddling = undefined;
    const worker = this.#worker;
    this.#worker = undefined;
    this.#failAll(new Error('event store is closed'));
    if (worker) await terminateWorker(worker);
  }

  /**
   * Chunk k: parsed already if a page ended inside it, else read ahead earlier, else requested
   * now. A chunk the head cuts short is requested up to the head and never kept.
   */
  #chunk(k: number, head: number): Promise<Reply | RecordedEvent[]> {
    if (this.#straddling?.chunk === k) return Promise.resolve(this.#straddling.events);
    const lo = k * CHUNK;
    if ((k + 1) * CHUNK > head) return this.#request(lo, head);
    const ahead = this.#chunks.get(k);
    this.#chunks.delete(k);
    // A read-ahead that failed is asked for once more, directly.
    return ahead === undefined ? this.#request(lo, lo + CHUNK) : ahead.catch(() => this.#request(lo, lo + CHUNK));
  }

  #readAhead(k: number): void {
    const reply = this.#request(k * CHUNK, (k + 1) * CHUNK);
    reply.catch(() => undefined); // a chunk nobody comes for must not become an unhandled rejection
    this.#chunks.set(k, reply);
  }

  #request(after: number, upTo: number): Promise<Reply> {
    const worker = this.#started();
    const id = this.#nextId++;
    return new Promise<Reply>((resolve, reject) => {
      this.#pending.set(id, { resolve, reject });
      worker.ref(); // a process waiting only on this range must stay alive for it
      worker.postMessage({ id, after, upTo });
    });
  }

  #started(): Worker {
    if (this.#worker) return this.#worker;
    const worker = new Worker(new URL('./sqlite-page-reader.worker.cjs', import.meta.url), {
      workerData: { file: this.file },
      execArgv: plainWorkerExecArgv(),
      resourceLimits: { maxYoungGenerationSizeMb: 4 },
    });
    worker.on('message', (reply: Reply) => {
      const pending = this.#pending.get(reply.id);
      this.#pending.delete(reply.id);
      if (this.#pending.size === 0) worker.unref();
      if (!pending) return;
      if (reply.error === undefined) pending.resolve(reply);
      else pending.reject(new Error(`reading the log: ${reply.error}`));
    });
    worker.on('error', (error) => this.#failAll(error));
    worker.on('exit', () => {
      if (this.#worker === worker) this.#worker = undefined;
      this.#chunks.clear();
      this.#failAll(new Error('the log page reader stopped'));
    });
    this.#worker = worker;
    return worker;
  }

  #failAll(error: unknown): void {
    const pending = [...this.#pending.values()];
    this.#pending.clear();
    for (const p of pending) p.reject(error);
  }
}

const utf8 = new TextDecoder('utf-8', { fatal: true });

/**
 * A chunk's events, or undefined when the caller must read it in place, row by row (`rowEvent` in
 * sqlite.ts): a record that is not JSON, or one that does not agree with its row (the worker
 * counts those), or records out of position order.
 */
function decode(reply: Reply): RecordedEvent[] | undefined {
  if (reply.count === 0 || reply.parts === undefined) return [];
  if (reply.disagree !== 0) return undefined;
  let events: RecordedEvent[] = [];
  try {
    // Decoded only now, each part's string dying with its parse in the young generation.
    for (const part of reply.parts) {
      const parsed = JSON.parse(utf8.decode(part)) as RecordedEvent[];
      events = events.length === 0 ? parsed : events.concat(parsed);
    }
  } catch {
    return undefined;
  }
  for (let i = 1; i < events.length; i++) if (events[i - 1]!.position >= events[i]!.position) return undefined;
  return events;
}
