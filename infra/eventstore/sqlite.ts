import { randomUUID } from 'node:crypto';
import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import Database from 'better-sqlite3';
import { sealEvents, type StreamHead } from './chain.js';
import { PullSubscription } from './subscription.js';
import {
  ConcurrencyError,
  IdempotencyError,
  type AppendResult,
  type EventMetadata,
  type EventStore,
  type ExpectedRevision,
  type NewEvent,
  type ReadAllOptions,
  type ReadStreamOptions,
  type RecordedEvent,
  type SubscribeOptions,
  type Subscription,
} from './types.js';

/** Positions are the gap-free SQLite rowid, zero-padded so that string order is log order. */
const POSITION_WIDTH = 16;
export const sqlitePosition = (n: number | bigint): string => String(n).padStart(POSITION_WIDTH, '0');
const positionNumber = (p: string | undefined): number => {
  if (p === undefined || p === '') return 0;
  if (!/^\d{1,16}$/.test(p)) throw new RangeError(`not a position: ${p}`);
  return Number(p);
};

/** Column order of COLUMNS; rows are read raw (arrays), which is markedly faster than objects. */
type Row = [position: number, id: string, stream: string, revision: number, type: string, data: string, metadata: string, prevHash: string, hash: string];
const COLUMNS = 'position, id, stream, revision, type, data, metadata, prev_hash, hash';

interface PendingAppend {
  stream: string;
  events: Array<NewEvent & { id: string }>;
  expected: ExpectedRevision;
  resolve: (result: AppendResult) => void;
  reject: (error: unknown) => void;
}

export interface SqliteEventStoreOptions {
  /** Path of the database file; the directory is created when missing. */
  file: string;
  /** How often an idle subscription looks for appends made by another process. */
  pollIntervalMs?: number;
}

const SCHEMA = `
CREATE TABLE IF NOT EXISTS events (
  position  INTEGER PRIMARY KEY,
  id        TEXT    NOT NULL UNIQUE,
  stream    TEXT    NOT NULL,
  revision  INTEGER NOT NULL,
  type      TEXT    NOT NULL,
  data      TEXT    NOT NULL,
  metadata  TEXT    NOT NULL,
  prev_hash TEXT    NOT NULL,
  hash      TEXT    NOT NULL,
  UNIQUE (stream, revision)
);
-- The log is append-only: an UPDATE or DELETE through SQLite itself is refused. (Someone with the
-- file can still edit it with other tools; that is what the hash chains and seals are for.)
CREATE TRIGGER IF NOT EXISTS events_no_update BEFORE UPDATE ON events
  BEGIN SELECT RAISE(ABORT, 'events are immutable'); END;
CREATE TRIGGER IF NOT EXISTS events_no_delete BEFORE DELETE ON events
  BEGIN SELECT RAISE(ABORT, 'events are immutable'); END;
`;

/**
 * Embedded event store. One connection writes; appends that arrive in the same turn of the event
 * loop are group-committed in one IMMEDIATE transaction, and every promise resolves only after
 * that COMMIT returned with synchronous=FULL, i.e. after the WAL was fsynced.
 */
export class SqliteEventStore implements EventStore {
  readonly kind = 'sqlite' as const;
  readonly #db: Database.Database;
  readonly #pollIntervalMs: number;
  #queue: PendingAppend[] = [];
  #flushScheduled = false;
  #subscriptions = new Set<PullSubscription>();
  #closed = false;
  readonly #stmt;

  constructor(options: SqliteEventStoreOptions) {
    mkdirSync(dirname(options.file), { recursive: true });
    this.#db = new Database(options.file);
    this.#db.pragma('journal_mode = WAL');
    this.#db.pragma('synchronous = FULL');
    this.#db.pragma('busy_timeout = 10000');
    this.#db.exec(SCHEMA);
    this.#pollIntervalMs = options.pollIntervalMs ?? 100;
    const db = this.#db;
    this.#stmt = {
      head: db.prepare<[string], { revision: number; hash: string }>(
        'SELECT revision, hash FROM events WHERE stream = ? ORDER BY revision DESC LIMIT 1',
      ),
      byId: db.prepare<[string], { stream: string; revision: number; position: number; type: string }>(
        'SELECT stream, revision, position, type FROM events WHERE id = ?',
      ),
      insert: db.prepare(
        `INSERT INTO events (id, stream, revision, type, data, metadata, prev_hash, hash)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
      ),
      readForwards: db
        .prepare<[string, number, number], Row>(
          `SELECT ${COLUMNS} FROM events WHERE stream = ? AND revision >= ? ORDER BY revision ASC LIMIT ?`,
        )
        .raw(),
      readBackwards: db
        .prepare<[string, number, number], Row>(
          `SELECT ${COLUMNS} FROM events WHERE stream = ? AND revision <= ? ORDER BY revision DESC LIMIT ?`,
        )
        .raw(),
      readAll: db
        .prepare<[number, number], Row>(`SELECT ${COLUMNS} FROM events WHERE position > ? ORDER BY position LIMIT ?`)
        .raw(),
      headPosition: db.prepare<[], { p: number | null }>('SELECT max(position) AS p FROM events'),
    };
  }

  append(stream: string, events: NewEvent[], expected: ExpectedRevision = 'any'): Promise<AppendResult> {
    if (this.#closed) return Promise.reject(new Error('event store is closed'));
    if (events.length === 0) return Promise.reject(new RangeError('append needs at least one event'));
    const withIds = events.map((e) => ({ ...e, id: e.id ?? randomUUID() }));
    return new Promise((resolve, reject) => {
      this.#queue.push({ stream, events: withIds, expected, resolve, reject });
      if (!this.#flushScheduled) {
        this.#flushScheduled = true;
        setImmediate(() => this.#flush());
      }
    });
  }

  #flush(): void {
    this.#flushScheduled = false;
    const batch = this.#queue;
    this.#queue = [];
    if (batch.length === 0) return;
    const outcomes: Array<{ ok: AppendResult } | { error: unknown }> = [];
    const appendOne = this.#db.transaction((p: PendingAppend) => this.#appendInTransaction(p));
    const group = this.#db.transaction(() => {
      for (const pending of batch) {
        try {
          outcomes.push({ ok: appendOne(pending) });
        } catch (error) {
          outcomes.push({ error });
        }
      }
    });
    try {
      group.immediate();
    } catch (error) {
      for (const pending of batch) pending.reject(error);
      return;
    }
    batch.forEach((pending, i) => {
      const outcome = outcomes[i]!;
      if ('ok' in outcome) pending.resolve(outcome.ok);
      else pending.reject(outcome.error);
    });
    for (const s of this.#subscriptions) s.notify();
  }

  /** Runs inside a savepoint: a thrown error leaves nothing of this append behind. */
  #appendInTransaction({ stream, events, expected }: PendingAppend): AppendResult {
    const replay = this.#idempotentReplay(stream, events);
    if (replay) return replay;
    const head: StreamHead | undefined = this.#stmt.head.get(stream);
    const actual = head ? head.revision : -1;
    if (
      (expected === 'no_stream' && head) ||
      (expected === 'stream_exists' && !head) ||
      (typeof expected === 'number' && expected !== actual)
    ) {
      throw new ConcurrencyError(stream, expected, actual);
    }
    let position = 0;
    for (const sealed of sealEvents(stream, head, events)) {
      const { prevHash, hash, ...metadata } = sealed.metadata;
      const info = this.#stmt.insert.run(
        sealed.id,
        stream,
        sealed.revision,
        sealed.type,
        JSON.stringify(sealed.data),
        JSON.stringify(metadata),
        prevHash,
        hash,
      );
      position = Number(info.lastInsertRowid);
    }
    return { revision: actual + events.length, position: sqlitePosition(position), written: true };
  }

  /**
   * A retry of an append that already succeeded (same ids, same stream, same order) answers as the
   * original did; any other reuse of an id is refused rather than silently dropped.
   */
  #idempotentReplay(stream: string, events: PendingAppend['events']): AppendResult | undefined {
    const found = events.map((e) => this.#stmt.byId.get(e.id));
    if (found.every((f) => f === undefined)) return undefined;
    const first = found[0];
    const consistent =
      first !== undefined &&
      found.every(
        (f, i) => f !== undefined && f.stream === stream && f.revision === first.revision + i && f.type === events[i]!.type,
      );
    if (!consistent) {
      const clash = events[found.findIndex((f) => f !== undefined)]!;
      throw new IdempotencyError(stream, clash.id);
    }
    const last = found[found.length - 1]!;
    return { revision: last.revision, position: sqlitePosition(last.position), written: false };
  }

  async readStream(stream: string, options: ReadStreamOptions = {}): Promise<RecordedEvent[]> {
    const max = options.max ?? Number.MAX_SAFE_INTEGER;
    const rows =
      options.direction === 'backwards'
        ? this.#stmt.readBackwards.all(stream, options.from ?? Number.MAX_SAFE_INTEGER, max)
        : this.#stmt.readForwards.all(stream, options.from ?? 0, max);
    return rows.map(toRecorded);
  }

  async readAll(options: ReadAllOptions = {}): Promise<RecordedEvent[]> {
    return this.readAllSync(options);
  }

  /** Synchronous form for hot loops (replay, projections) that would pay for a promise per batch. */
  readAllSync(options: ReadAllOptions = {}): RecordedEvent[] {
    return this.#stmt.readAll.all(positionNumber(options.after), options.max ?? 1000).map(toRecorded);
  }

  subscribe(options: SubscribeOptions): Subscription {
    const subscription: PullSubscription = new PullSubscription(
      async (after, max) => this.readAllSync({ after, max }),
      options,
      this.#pollIntervalMs,
      () => this.#subscriptions.delete(subscription),
    );
    this.#subscriptions.add(subscription);
    return subscription;
  }

  async headPosition(): Promise<string | undefined> {
    const { p } = this.#stmt.headPosition.get()!;
    return p === null ? undefined : sqlitePosition(p);
  }

  async ping(): Promise<void> {
    if (this.#closed) throw new Error('event store is closed');
    this.#db.prepare('SELECT 1').get();
  }

  /** Direct access for tests and tooling that must tamper with or inspect the file. */
  get database(): Database.Database {
    return this.#db;
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    if (this.#queue.length > 0) this.#flush();
    await Promise.all([...this.#subscriptions].map((s) => s.close()));
    this.#db.close();
  }
}

function toRecorded([position, id, stream, revision, type, data, metadataText, prevHash, hash]: Row): RecordedEvent {
  const metadata = JSON.parse(metadataText) as EventMetadata;
  metadata.prevHash = prevHash;
  metadata.hash = hash;
  return { id, stream, revision, position: sqlitePosition(position), type, data: JSON.parse(data), metadata };
}
