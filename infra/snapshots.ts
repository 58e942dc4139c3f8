import { chmodSync, closeSync, mkdirSync, openSync } from 'node:fs';
import { dirname } from 'node:path';
import { deserialize, serialize } from 'node:v8';
import Database from 'better-sqlite3';

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
  load(): Snapshot | undefined;
  save(snapshot: Snapshot): void;
  /** Forgets every snapshot: the next start rebuilds from the log. */
  clear(): void;
  close(): void;
}

/**
 * Snapshots in their own SQLite file beside the log (`DATA_DIR/projections.sqlite`): the log
 * stays an append-only record an auditor can take away, and this file can be deleted at any
 * time. States are written with V8's serializer, which keeps Maps and Sets as they are.
 */
export class SqliteSnapshotStore implements SnapshotStore {
  readonly #db: Database.Database;

  constructor(file: string) {
    mkdirSync(dirname(file), { recursive: true, mode: 0o700 });
    closeSync(openSync(file, 'a', 0o600));
    try {
      chmodSync(file, 0o600);
    } catch {
      // Not ours to change.
    }
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

  save(snapshot: Snapshot): void {
    this.#db
      .prepare('INSERT OR REPLACE INTO snapshot (id, checkpoint, checkpoint_hash, taken_at, events, states) VALUES (1, ?, ?, ?, ?, ?)')
      .run(snapshot.checkpoint, snapshot.checkpointHash, snapshot.takenAt, snapshot.events, serialize(snapshot.states));
  }

  clear(): void {
    this.#db.exec('DELETE FROM snapshot');
  }

  close(): void {
    this.#db.close();
  }
}
