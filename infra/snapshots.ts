import { chmodSync, closeSync, mkdirSync, openSync } from 'node:fs';
import { dirname } from 'node:path';
import { deserialize, serialize } from 'node:v8';
import { Worker } from 'node:worker_threads';
import Database from 'better-sqlite3';
import { plainWorkerExecArgv } from './workers.js';

/**
 * Projection states stored with the checkpoint they reflect (SPEC §6), so a node that restarts
 * reads them and applies only what came after instead of replaying the whole log. A snapshot is
 * a cache: any doubt about it (another version of a projection, a log it does not match, a file
 * it cannot read) and the projections are rebuilt from the log.
 */
export interface Snapshot {
  /** Position of the last event the states include. */
  checkpoint: string;
  /** The hash of that event, so a snapshot taken of another log is never used. */
  checkpointHash: string;
  /** Each projection's version and state. */
  states: Record<string, { version: number; state: unknown }>;
  takenAt: string;
  /** Events the states had applied, for the record. */
  events: number;
}

export interface SnapshotStore {
  /** The snapshot last saved (any save still being written is waited for), or undefined. */
  load(): Snapshot | undefined;
  /**
   * Takes the states as they are now, before returning (they may change the moment it returns),
   * and writes them; the promise settles once the write is durable or has failed (then rejects
   * with the reason). Throws at once when the states cannot be serialized.
   */
  save(snapshot: Snapshot): Promise<void>;
  /** Forgets every snapshot: the next start rebuilds from the log. */
  clear(): void;
  /** Waits for any write under way (bounded, `SNAPSHOT_CLOSE_WAIT_MS`), then closes. */
  close(): void;
}

/** How long `close` (and a `load` after a save) waits for a write under way, ms: a million events' states are ~250 MB. */
export const SNAPSHOT_CLOSE_WAIT_MS = 60_000;

/**
 * Snapshots in their own SQLite file beside the log (`DATA_DIR/projections.sqlite`): the log
 * stays an append-only record an auditor can take away, and this file can be deleted at any
 * time. States are written with V8's serializer, which keeps Maps and Sets as they are.
 */
export class SqliteSnapshotStore implements SnapshotStore {
  readonly #db: Database.Database;
  readonly #file: string;
  #writer: Worker | undefined;
  /** [0] writes settled by the writer thread, [1] 1 once it closed its connection (the worker's file). */
  readonly #signal = new Int32Array(new SharedArrayBuffer(8));
  #sent = 0;
  readonly #pending = new Map<number, { resolve: () => void; reject: (error: Error) => void }>();
  #closed = false;

  constructor(file: string) {
    mkdirSync(dirname(file), { recursive: true, mode: 0o700 });
    closeSync(openSync(file, 'a', 0o600));
    try {
      chmodSync(file, 0o600);
    } catch {
      // Not ours to change.
    }
    this.#file = file;
    this.#db = new Database(file);
    this.#db.pragma('journal_mode = WAL');
    this.#db.pragma('busy_timeout = 0');
    this.#db.exec(`
      CREATE TABLE IF NOT EXISTS snapshot (
        id INTEGER PRIMARY KEY CHECK (id = 1),
        checkpoint TEXT NOT NULL,
        checkpoint_hash TEXT NOT NULL,
        taken_at TEXT NOT NULL,
        events INTEGER NOT NULL,
        states BLOB NOT NULL
      );`);
  }

  load(): Snapshot | undefined {
    this.#settle();
    const row = this.#db.prepare<[], { checkpoint: string; checkpoint_hash: string; taken_at: string; events: number; states: Buffer }>('SELECT * FROM snapshot WHERE id = 1').get();
    if (!row) return undefined;
    try {
      return { checkpoint: row.checkpoint, checkpointHash: row.checkpoint_hash, takenAt: row.taken_at, events: row.events, states: deserialize(row.states) as Snapshot['states'] };
    } catch {
      return undefined;
    }
  }

  /**
   * Serializes here — it must happen where the states live, and before they change — and hands the
   * bytes (moved, not copied) to a writer thread of its own: the INSERT of the blob and its fsync
   * held the event loop as long as the serialize did (profile of a 300,000-event replay: `save`
   * 679 ms self beside `serialize` 658 ms; docs/decisions.md "Projection state is snapshotted").
   */
  save(snapshot: Snapshot): Promise<void> {
    if (this.#closed) return Promise.reject(new Error('the snapshot store is closed'));
    const bytes = serialize(snapshot.states);
    const whole = bytes.byteOffset === 0 && bytes.byteLength === bytes.buffer.byteLength;
    const states = whole ? bytes.buffer : bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength);
    const id = this.#sent++;
    return new Promise<void>((resolve, reject) => {
      this.#pending.set(id, { resolve, reject });
      const writer = this.#started();
      writer.ref();
      writer.postMessage({ id, checkpoint: snapshot.checkpoint, checkpointHash: snapshot.checkpointHash, takenAt: snapshot.takenAt, events: snapshot.events, states }, [states as ArrayBuffer]);
    });
  }

  clear(): void {
    this.#settle();
    this.#db.exec('DELETE FROM snapshot');
  }

  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#settle();
    const writer = this.#writer;
    if (writer) {
      writer.postMessage({ close: true });
      // Its connection closed before ours, so the last one out checkpoints the WAL into the file.
      Atomics.wait(this.#signal, 1, 0, SNAPSHOT_CLOSE_WAIT_MS);
      // Held until the replies to saves still pending come in; the thread ends by itself.
      if (this.#pending.size === 0) writer.unref();
    }
    // Saves still pending are answered by the writer's replies, which are on their way.
    this.#db.close();
  }

  /** Blocks until the writer has settled every save sent, or the wait runs out (a cache: then it is not waited for). */
  #settle(): void {
    const deadline = performance.now() + SNAPSHOT_CLOSE_WAIT_MS;
    for (;;) {
      const settled = Atomics.load(this.#signal, 0);
      const left = deadline - performance.now();
      if (settled >= this.#sent || left <= 0) return;
      Atomics.wait(this.#signal, 0, settled, left);
    }
  }

  #started(): Worker {
    if (this.#writer) return this.#writer;
    Atomics.store(this.#signal, 1, 0);
    const writer = new Worker(new URL('./snapshot-writer.worker.cjs', import.meta.url), {
      workerData: { file: this.#file, signal: this.#signal.buffer },
      execArgv: plainWorkerExecArgv(),
    });
    writer.on('message', (reply: { id: number; error?: string }) => {
      const pending = this.#pending.get(reply.id);
      this.#pending.delete(reply.id);
      if (this.#pending.size === 0) writer.unref();
      if (!pending) return;
      if (reply.error === undefined) pending.resolve();
      else pending.reject(new Error(`writing the projection snapshot: ${reply.error}`));
    });
    const failAll = (error: Error) => {
      for (const { reject } of this.#pending.values()) reject(error);
      this.#pending.clear();
      // Nothing more will settle: waits must not run to their end.
      Atomics.store(this.#signal, 0, this.#sent);
      Atomics.store(this.#signal, 1, 1);
    };
    writer.on('error', failAll);
    writer.on('exit', () => {
      if (this.#writer === writer) this.#writer = undefined;
      if (this.#pending.size > 0) failAll(new Error('the snapshot writer stopped'));
    });
    this.#writer = writer;
    return writer;
  }
}
