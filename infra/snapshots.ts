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
  /** The snapshot last written, or undefined. A save still being written is not seen: await it first. */
  load(): Snapshot | undefined;
  /**
   * Takes the states as they are now, before returning (they may change the moment it returns),
   * and writes them; the promise settles once the write is durable or has failed (then rejects
   * with the reason). Throws at once when the states cannot be serialized.
   */
  save(snapshot: Snapshot): Promise<void>;
  /** Forgets every snapshot: the next start rebuilds from the log. */
  clear(): Promise<void>;
  /** Waits for the writes under way (each settles as `save` said), then closes. */
  close(): Promise<void>;
}

/**
 * Snapshots in their own SQLite file beside the log (`DATA_DIR/projections.sqlite`): the log
 * stays an append-only record an auditor can take away, and this file can be deleted at any
 * time. States are written with V8's serializer, which keeps Maps and Sets as they are.
 */
export class SqliteSnapshotStore implements SnapshotStore {
  readonly #db: Database.Database;
  readonly #file: string;
  #writer: Worker | undefined;
  #sent = 0;
  readonly #pending = new Map<number, { resolve: () => void; reject: (error: Error) => void }>();
  /** Every write sent, settled either way: what `clear` and `close` wait for. */
  #writes: Promise<unknown> = Promise.resolve();
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
   * held the event loop as long as the serialize did (the states of a 300,000-event log: serialize
   * 683–768 ms, INSERT 688–1,012 ms; docs/decisions.md "Projection state is snapshotted").
   * Nothing here blocks on the thread: a blocking wait deadlocked with a thread started under
   * `--cpu-prof`, whose start needs the main thread (found by profiling the intake bench).
   */
  save(snapshot: Snapshot): Promise<void> {
    if (this.#closed) return Promise.reject(new Error('the snapshot store is closed'));
    const bytes = serialize(snapshot.states);
    const whole = bytes.byteOffset === 0 && bytes.byteLength === bytes.buffer.byteLength;
    const states = whole ? bytes.buffer : bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength);
    const id = this.#sent++;
    const written = new Promise<void>((resolve, reject) => {
      this.#pending.set(id, { resolve, reject });
      const writer = this.#started();
      writer.ref(); // a process whose last work is this write stays for it
      writer.postMessage({ id, checkpoint: snapshot.checkpoint, checkpointHash: snapshot.checkpointHash, takenAt: snapshot.takenAt, events: snapshot.events, states }, [states as ArrayBuffer]);
    });
    this.#writes = Promise.allSettled([this.#writes, written]);
    return written;
  }

  async clear(): Promise<void> {
    await this.#writes;
    this.#db.exec('DELETE FROM snapshot');
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    await this.#writes;
    const writer = this.#writer;
    if (writer) {
      // Its connection closes before ours, so the last one out checkpoints the WAL into the file.
      const gone = new Promise((resolve) => writer.once('exit', resolve));
      writer.ref();
      writer.postMessage({ close: true });
      await gone;
    }
    this.#db.close();
  }

  #started(): Worker {
    if (this.#writer) return this.#writer;
    const writer = new Worker(new URL('./snapshot-writer.worker.cjs', import.meta.url), {
      workerData: { file: this.#file },
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
    };
    writer.on('error', failAll);
    writer.on('exit', () => {
      if (this.#writer === writer) this.#writer = undefined;
      failAll(new Error('the snapshot writer stopped'));
    });
    this.#writer = writer;
    return writer;
  }
}
