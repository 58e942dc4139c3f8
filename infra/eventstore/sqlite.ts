import { randomUUID } from 'node:crypto';
import { chmodSync, closeSync, mkdirSync, openSync, statfsSync, statSync } from 'node:fs';
import { dirname } from 'node:path';
import Database from 'better-sqlite3';
import { v7 as uuidv7 } from 'uuid';
import { asciiJson, configureWriter, isBusyCode, isStorageFailureCode, sqlitePosition, SqliteAppender, type AppendOutcome, type AppendRequest, type ErrorDescription, type GroupOutcome } from './sqlite-appender.mjs';
import { SqlitePageReader } from './sqlite-page-reader.js';
import { ThreadWriter, WRITER_STOPPED, type WalCheckpoint } from './sqlite-writer.js';
import { sqliteOnlineBackup } from './sqlite-backup.js';
import { PullSubscription } from './subscription.js';
import {
  ConcurrencyError,
  IdempotencyError,
  DeadlineError,
  type AppendOptions,
  type AppendResult,
  type EventStore,
  type ExpectedRevision,
  type NewEvent,
  type ReadAllOptions,
  type ReadStreamOptions,
  type RecordedEvent,
  type SubscribeOptions,
  type StoreEpoch,
  type Subscription,
  unreadableEvent,
  DiskFullError,
  StoreBusyError,
  StoreUnavailableError,
} from './types.js';

export { asciiJson, sqlitePosition };

const positionNumber = (p: string | undefined): number => {
  if (p === undefined || p === '') return 0;
  if (!/^\d{1,16}$/.test(p)) throw new RangeError(`not a position: ${p}`);
  return Number(p);
};

/**
 * Free space on the store's file system at which a node whose appends were refused for a full
 * disk reports ready again: room for many appends, far less than any real disk.
 */
const FREE_BYTES_FOR_READY = 1 << 20;

/**
 * Groups of at most this many events are committed on the event loop even where there is a writer
 * thread, while such commits stay within INLINE_COMMIT_BUDGET_MS: at 200 reports a second (one or
 * two events per group) the thread's hop and a third busy thread on two cores cost more latency
 * than the COMMIT they would take off the loop (docs/decisions.md, "Session 24 … the writer thread").
 */
const INLINE_GROUP_EVENTS = 8;
/**
 * A disk whose fsync is slow (a network volume, a spinning disk) makes even a one-event COMMIT
 * hold the event loop for milliseconds: past this smoothed duration every group goes to the thread.
 */
const INLINE_COMMIT_BUDGET_MS = 1;
/** While small groups go to the thread, one in this many is still committed here, to notice a disk that got faster. */
const INLINE_PROBE_EVERY = 256;

/** Reads of at least this many events, with that many already in the log, go to the page reader. */
const PAGE_READER_MIN = 256;

interface PendingAppend {
  stream: string;
  events: Array<NewEvent & { id: string }>;
  expected: ExpectedRevision;
  /** Date.now() after which a busy store answers StoreBusyError rather than keep it waiting. */
  deadline: number;
  /** Date.now() after which this append must not be written at all (AppendOptions). */
  notAfter: number | undefined;
  resolve: (result: AppendResult) => void;
  reject: (error: unknown) => void;
}

/** A group commit refused as a whole, as the error every append of it is rejected with. */
function groupRefusal(failed: ErrorDescription): Error {
  const cause = driverError(failed);
  if (isBusyCode(failed.code)) return new StoreBusyError();
  if (failed.code === 'SQLITE_FULL') return new DiskFullError({ cause });
  // SQLite may already have rolled the whole transaction back (https://www.sqlite.org/lang_transaction.html).
  if (isStorageFailureCode(failed.code)) return new StoreUnavailableError(`the disk failed a write (${failed.code})`, { cause });
  if (failed.code === WRITER_STOPPED) return new StoreUnavailableError(failed.message, { cause });
  return cause;
}

/** The driver's error as it was thrown, message and code, wherever the write ran. */
const driverError = ({ message, code }: ErrorDescription): Error => Object.assign(new Error(message), code === undefined ? {} : { code });

/** One append's refusal (its savepoint rolled back, the rest of the group written) as the contract's error. */
function appendRefusal(stream: string, outcome: Exclude<AppendOutcome, { ok: unknown }>): Error {
  switch (outcome.refused) {
    case 'concurrency':
      return new ConcurrencyError(stream, outcome.expected, outcome.actual);
    case 'idempotency':
      return new IdempotencyError(stream, outcome.eventId);
    case 'deadline':
      return new DeadlineError(stream);
    case 'error':
      return driverError(outcome);
    default: {
      const unknown: never = outcome;
      throw new Error(`unknown append outcome ${JSON.stringify(unknown)}`);
    }
  }
}

export interface SqliteEventStoreOptions {
  /** Path of the database file; the directory is created when missing. */
  file: string;
  /** How often an idle subscription looks for appends made by another process. */
  pollIntervalMs?: number;
  /** How long an append waits for another process's write lock before StoreBusyError. */
  busyDeadlineMs?: number;
  /**
   * Where group commits run. 'thread' (the default, what a node runs): a burst goes to a writer
   * thread with its own connection, which seals, inserts and waits for the COMMIT's fsync while the
   * event loop serves, and checkpoints the WAL; a small group is committed on the event loop while
   * that stays cheap (INLINE_GROUP_EVENTS, INLINE_COMMIT_BUDGET_MS). 'inline': every group on the
   * calling thread, for a short-lived process with a few appends (the CLI), where starting a thread
   * (~65 ms) costs more than it saves.
   */
  writer?: 'thread' | 'inline';
  /**
   * SQLite's page cache for this connection, in KiB (default SQLite's build: 16,000). A process
   * that reads the log once (a CLI command) is faster with a small one: every page of a cache
   * that grows is memory touched for the first time, and a page fault cost ~6 µs on the 2-core
   * machine (a cold read of a province's register: 112 ms with 16 MB, 52 ms with 2 MB).
   */
  pageCacheKb?: number;
  /**
   * A monotonic clock in ms (default `performance.now`), read around each small COMMIT made on the
   * event loop to tell a fast disk from a slow one. A test drives it to make a disk slow and fast
   * again without depending on how busy its machine is.
   */
  commitClock?: () => number;
}

/**
 * `record` is the event exactly as readers receive it (a RecordedEvent as JSON), so reading is one
 * parse and the page reader only has to join records. The other columns are there for the
 * indexes and the appender's checks; they are written from the same values in the same INSERT.
 */
const eventsTable = (name: string) => `
CREATE TABLE IF NOT EXISTS ${name} (
  position  INTEGER PRIMARY KEY,
  id        TEXT    NOT NULL UNIQUE,
  stream    TEXT    NOT NULL,
  revision  INTEGER NOT NULL,
  type      TEXT    NOT NULL,
  hash      TEXT    NOT NULL,
  record    TEXT    NOT NULL,
  UNIQUE (stream, revision)
);`;

const SCHEMA = `${eventsTable('events')}
-- The log is append-only: an UPDATE or DELETE through SQLite itself is refused. (Someone with the
-- file can still edit it with other tools; that is what the hash chains and seals are for.)
CREATE TRIGGER IF NOT EXISTS events_no_update BEFORE UPDATE ON events
  BEGIN SELECT RAISE(ABORT, 'events are immutable'); END;
CREATE TRIGGER IF NOT EXISTS events_no_delete BEFORE DELETE ON events
  BEGIN SELECT RAISE(ABORT, 'events are immutable'); END;
`;

/**
 * What the store says about itself, outside the log (so not hashed, not sealed, not exported): its
 * epoch (SPEC §5), which a restore replaces.
 */
const META_SCHEMA = `CREATE TABLE IF NOT EXISTS store_meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);`;

/**
 * Gives the store file open in `db` a new epoch: a restore does this to the copy it made, before any
 * node opens it. `startsAfter` is the copy's head position ('' for an empty log).
 */
export function beginEpoch(db: Database.Database, startsAfter: string, restoredFrom?: Record<string, unknown>): StoreEpoch {
  const epoch: StoreEpoch = { id: randomUUID(), startsAfter };
  db.exec(META_SCHEMA);
  db.prepare("INSERT OR REPLACE INTO store_meta (key, value) VALUES ('epoch', ?)").run(JSON.stringify({ ...epoch, ...(restoredFrom ? { restoredFrom } : {}) }));
  return epoch;
}

/**
 * Files written before `record` existed kept data, metadata and prev_hash in columns of their
 * own. They are carried over in one transaction, value for value: the records parse to exactly
 * the events the old columns held, so every hash chain verifies as before.
 */
const MIGRATE_FROM_COLUMNS = `${eventsTable('events_with_records')}
INSERT INTO events_with_records (position, id, stream, revision, type, hash, record)
  SELECT position, id, stream, revision, type, hash, printf(
    '{"id":%s,"stream":%s,"revision":%d,"position":"%016d","type":%s,"data":%s,"metadata":%s,"prevHash":%s,"hash":%s}}',
    json_quote(id), json_quote(stream), revision, position, json_quote(type), data,
    substr(metadata, 1, length(metadata) - 1), json_quote(prev_hash), json_quote(hash))
  FROM events ORDER BY position;
DROP TRIGGER IF EXISTS events_no_update;
DROP TRIGGER IF EXISTS events_no_delete;
DROP TABLE events;
ALTER TABLE events_with_records RENAME TO events;
`;

/**
 * Embedded event store. One connection writes (on the writer thread, or inline); appends that
 * arrive while the previous group is being written, or in the same turn of the event loop, are
 * group-committed in one IMMEDIATE transaction, and every promise resolves only after that COMMIT
 * returned with synchronous=FULL, i.e. after the WAL was fsynced. Reads run on this thread's own
 * connection (and the page reader's).
 */
export class SqliteEventStore implements EventStore {
  readonly kind = 'sqlite' as const;
  /** One writer assigns positions in commit order, and the id column is UNIQUE over the whole log. */
  readonly guarantees = { gapFreePositions: true, globalEventIds: true, maxAppendBytes: Number.POSITIVE_INFINITY };
  readonly #db: Database.Database;
  readonly #pollIntervalMs: number;
  #queue: PendingAppend[] = [];
  #flushScheduled = false;
  /** Group commits on this thread's connection: small groups, and every group when there is no thread. */
  readonly #appender: SqliteAppender;
  /** Large groups (SqliteEventStoreOptions.writer 'thread'). */
  readonly #thread: ThreadWriter | undefined;
  /** How long a small group's COMMIT held the event loop, smoothed (ms). */
  #inlineCommitMs = 0;
  readonly #commitClock: () => number;
  #smallOnThread = 0;
  readonly #groupCommits = { inline: 0, thread: 0 };
  /** The group commit on the writer thread, until its outcome is settled: one at a time. */
  #writing: Promise<void> | undefined;
  /** Set while the write lock is held elsewhere: the next attempt is on a timer, not setImmediate. */
  #busyRetry: NodeJS.Timeout | undefined;
  #busyAttempts = 0;
  /** An append was answered StoreBusyError and none has been written since: not ready. */
  #refusedBusy = false;
  /** An append was refused for a full disk and none has been written since. */
  #refusedFull = false;
  readonly #busyDeadlineMs: number;
  #subscriptions = new Set<PullSubscription>();
  #closed = false;
  readonly #pages: SqlitePageReader;
  readonly #file: string;
  readonly #stmt;

  constructor(options: SqliteEventStoreOptions) {
    mkdirSync(dirname(options.file), { recursive: true, mode: 0o700 });
    // Created 0600 before SQLite opens it: its -wal and -shm files take the database's mode.
    closeSync(openSync(options.file, 'a', 0o600));
    const mode = statSync(options.file).mode;
    if ((mode & 0o077) !== 0) {
      try {
        chmodSync(options.file, mode & 0o700);
      } catch {
        // Not ours to change (another user's file): leave it; the operator chose that.
      }
    }
    this.#db = new Database(options.file);
    // Never wait in SQLite's busy handler: it would block the event loop (and /health, and every
    // socket) for as long as another process holds the write lock. A busy store is retried on a
    // timer instead, and an append that waited too long is answered StoreBusyError (503).
    configureWriter(this.#db);
    if (options.pageCacheKb !== undefined) this.#db.pragma(`cache_size = -${Math.max(64, Math.round(options.pageCacheKb))}`);
    this.#migrate();
    this.#db.exec(SCHEMA);
    this.#ensureEpoch();
    this.#pollIntervalMs = options.pollIntervalMs ?? 100;
    this.#busyDeadlineMs = options.busyDeadlineMs ?? 5000;
    this.#commitClock = options.commitClock ?? (() => performance.now());
    this.#pages = new SqlitePageReader(options.file);
    this.#file = options.file;
    this.#appender = new SqliteAppender(this.#db);
    if (options.writer !== 'inline') {
      this.#thread = new ThreadWriter(options.file);
      // Checkpoints run on the writer thread (its own commits, and ThreadWriter.checkpointSoon after
      // ours), never inside a COMMIT on the event loop: copying a thousand pages back into the
      // database file with its fsync was one of the pauses every socket shared (issue 18).
      this.#db.pragma('wal_autocheckpoint = 0');
    }
    const db = this.#db;
    this.#stmt = {
      // Each row's columns are read beside its record: they, not the record's own fields, say
      // where it is (see `rowEvent`).
      readForwards: db
        .prepare<[string, number, number], [number, number, string]>(
          'SELECT position, revision, record FROM events WHERE stream = ? AND revision >= ? ORDER BY revision ASC LIMIT ?',
        )
        .raw(),
      readBackwards: db
        .prepare<[string, number, number], [number, number, string]>(
          'SELECT position, revision, record FROM events WHERE stream = ? AND revision <= ? ORDER BY revision DESC LIMIT ?',
        )
        .raw(),
      readAll: db
        .prepare<[number, number], [number, string, number, string]>('SELECT position, stream, revision, record FROM events WHERE position > ? ORDER BY position LIMIT ?')
        .raw(),
      headPosition: db.prepare<[], { p: number | null }>('SELECT max(position) AS p FROM events'),
    };
  }

  append(stream: string, events: NewEvent[], expected: ExpectedRevision = 'any', options: AppendOptions = {}): Promise<AppendResult> {
    if (this.#closed) return Promise.reject(new Error('event store is closed'));
    if (events.length === 0) return Promise.reject(new RangeError('append needs at least one event'));
    // Ids we choose are time-ordered (UUIDv7, RFC 9562): each lands at the right edge of the id
    // index instead of on a random page, so a group commit writes that many fewer pages to the WAL.
    const withIds = events.map((e) => ({ ...e, id: e.id ?? uuidv7() }));
    return new Promise((resolve, reject) => {
      this.#queue.push({ stream, events: withIds, expected, deadline: Date.now() + this.#busyDeadlineMs, notAfter: options.notAfter, resolve, reject });
      if (!this.#flushScheduled && this.#busyRetry === undefined) {
        this.#flushScheduled = true;
        setImmediate(() => this.#flush());
      }
    });
  }

  /**
   * Group commits so far, by where they ran: `inline` on the event loop, `thread` on the writer
   * thread. A disk whose fsync turned slow shows as small groups moving to the thread.
   */
  groupCommits(): { inline: number; thread: number } {
    return { ...this.#groupCommits };
  }

  /**
   * Sends what is queued as one group commit. A small group is written here, at once: its COMMIT
   * costs less than handing it to another thread and back (measured: docs/decisions.md, "Session
   * 24 … the writer thread"). A large one — a burst — goes to the writer thread, so the event loop
   * goes on serving while it is sealed, inserted and fsynced. One group is written at a time; what
   * queues meanwhile is the next group, taken the moment the outcome is in (the group grows with
   * the load, the fsyncs do not).
   */
  #flush(): void {
    this.#flushScheduled = false;
    this.#busyRetry = undefined;
    if (this.#writing) return;
    const batch = this.#queue;
    this.#queue = [];
    if (batch.length === 0) return;
    const requests: AppendRequest[] = batch.map(({ stream, events, expected, notAfter }) => ({ stream, events, expected, notAfter }));
    let events = 0;
    for (const r of requests) events += r.events.length;
    if (!this.#thread) {
      this.#groupCommits.inline++;
      return this.#settle(batch, this.#appender.write(requests));
    }
    if (events <= INLINE_GROUP_EVENTS && (this.#inlineCommitMs <= INLINE_COMMIT_BUDGET_MS || ++this.#smallOnThread % INLINE_PROBE_EVERY === 0)) {
      this.#groupCommits.inline++;
      const started = this.#commitClock();
      const outcome = this.#appender.write(requests);
      this.#inlineCommitMs = 0.8 * this.#inlineCommitMs + 0.2 * (this.#commitClock() - started);
      this.#settle(batch, outcome);
      this.#thread.checkpointSoon();
      return;
    }
    this.#groupCommits.thread++;
    this.#writing = this.#thread.write(requests).then((o) => {
      this.#writing = undefined;
      this.#settle(batch, o);
      if (this.#busyRetry === undefined && this.#queue.length > 0) this.#flush();
    });
  }

  /** Answers every append of a group once its COMMIT returned (or the group was refused as a whole). */
  #settle(batch: PendingAppend[], outcome: GroupOutcome): void {
    if ('failed' in outcome) {
      if (isBusyCode(outcome.failed.code) && !this.#closed) return this.#retryBusy(batch);
      // Nothing of the group was written: every append in it is refused alike, as unavailable
      // (503, retry), never as the driver's error (500).
      const refusal = groupRefusal(outcome.failed);
      if (refusal instanceof DiskFullError) this.#refusedFull = true;
      for (const pending of batch) pending.reject(refusal);
      return;
    }
    this.#busyAttempts = 0;
    this.#refusedBusy = false;
    this.#refusedFull = false;
    batch.forEach((pending, i) => {
      const o = outcome.outcomes[i]!;
      if ('ok' in o) pending.resolve(o.ok);
      else pending.reject(appendRefusal(pending.stream, o));
    });
    for (const s of this.#subscriptions) s.notify();
  }

  /** Another process holds the write lock: wait on a timer (5 ms doubling to 200 ms), not in SQLite. */
  #retryBusy(batch: PendingAppend[]): void {
    const now = Date.now();
    const waiting: PendingAppend[] = [];
    for (const pending of batch) {
      if (now >= pending.deadline) {
        this.#refusedBusy = true;
        pending.reject(new StoreBusyError());
      } else waiting.push(pending);
    }
    this.#queue = [...waiting, ...this.#queue];
    if (this.#queue.length === 0) return;
    const delay = Math.min(200, 5 * 2 ** this.#busyAttempts++);
    this.#busyRetry = setTimeout(() => this.#flush(), delay);
  }

  async readStream(stream: string, options: ReadStreamOptions = {}): Promise<RecordedEvent[]> {
    this.#assertOpen();
    const max = options.max ?? Number.MAX_SAFE_INTEGER;
    const rows =
      options.direction === 'backwards'
        ? this.#stmt.readBackwards.all(stream, options.from ?? Number.MAX_SAFE_INTEGER, max)
        : this.#stmt.readForwards.all(stream, options.from ?? 0, max);
    return rows.map(([position, revision, record]) => rowEvent(position, stream, revision, record));
  }

  /**
   * Whole pages well behind the head come from the page reader's worker thread, read ahead while
   * the caller works; the tail of the log, where live subscribers read, is read in place without
   * a thread hop.
   */
  async readAll(options: ReadAllOptions = {}): Promise<RecordedEvent[]> {
    this.#assertOpen();
    const max = options.max ?? 1000;
    if (max >= PAGE_READER_MIN) {
      const after = positionNumber(options.after);
      const head = this.#stmt.headPosition.get()!.p ?? 0;
      if (head - after >= max) {
        const page = await this.#pages.read(after, max, head);
        if (page) return page;
      }
    }
    return this.readAllSync(options);
  }

  /** In place, on the calling thread: for small reads at the tail. */
  readAllSync(options: ReadAllOptions = {}): RecordedEvent[] {
    this.#assertOpen();
    const after = positionNumber(options.after);
    const max = options.max ?? 1000;
    return this.#stmt.readAll.all(after, max).map(([position, stream, revision, record]) => rowEvent(position, stream, revision, record));
  }

  subscribe(options: SubscribeOptions): Subscription {
    const subscription: PullSubscription = new PullSubscription(
      (after, max) => this.readAll({ ...(after === undefined ? {} : { after }), max }),
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

  parsePosition(text: string): string | undefined {
    return /^\d{1,16}$/.test(text) && Number.isSafeInteger(Number(text)) ? sqlitePosition(Number(text)) : undefined;
  }

  /**
   * A new store's first epoch; a second node (or the CLI) opening the same file keeps the one it
   * finds. Writing it takes the write lock, which a serving node may hold: only then, and only at
   * open, is SQLite's busy handler allowed to wait (a few seconds, before the node serves).
   */
  #ensureEpoch(): void {
    const has = this.#db.prepare("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'store_meta'").get() !== undefined && this.#db.prepare("SELECT 1 FROM store_meta WHERE key = 'epoch'").get() !== undefined;
    if (has) return;
    this.#db.pragma('busy_timeout = 10000');
    try {
      this.#db.exec(META_SCHEMA);
      this.#db.prepare("INSERT OR IGNORE INTO store_meta (key, value) VALUES ('epoch', ?)").run(JSON.stringify({ id: randomUUID(), startsAfter: '' }));
    } finally {
      this.#db.pragma('busy_timeout = 0');
    }
  }

  async epoch(): Promise<StoreEpoch> {
    if (this.#closed) throw new Error('event store is closed');
    const row = this.#db.prepare<[], { value: string }>("SELECT value FROM store_meta WHERE key = 'epoch'").get()!;
    const { id, startsAfter } = JSON.parse(row.value) as StoreEpoch;
    return { id, startsAfter };
  }

  /**
   * A consistent copy of the live log into `file` with SQLite's online backup API, while appends
   * go on (issue "Ready for a real office"; never a file copy, which can tear a page or miss the
   * WAL). Runs on a worker thread with its own connection, so the node's event loop keeps
   * serving; the copy is left in rollback-journal mode, one self-contained file.
   */
  backupTo(file: string): Promise<void> {
    if (this.#closed) return Promise.reject(new Error('event store is closed'));
    return sqliteOnlineBackup(this.#file, file);
  }

  async ping(): Promise<void> {
    this.#assertOpen();
    this.#db.prepare('SELECT 1').get();
    // Writes are being refused (another process holds the lock past the wait): not ready to take
    // reports. Ready again with the first append written.
    if (this.#refusedBusy) {
      // Is the lock free again? Taking and giving it back costs nothing, and never waits.
      try {
        this.#db.exec('BEGIN IMMEDIATE; ROLLBACK');
        this.#refusedBusy = false;
      } catch (error) {
        if (isBusyCode((error as { code?: unknown }).code)) throw new StoreBusyError();
        throw error;
      }
    }
    // Reads go on, writes do not: not ready (deploy/README.md: "200, the store takes writes")
    // until there is room again, which the file system says without anything being written.
    if (this.#refusedFull) {
      const { bavail, bsize } = statfsSync(dirname(this.#file));
      if (bavail * bsize < FREE_BYTES_FOR_READY) throw new DiskFullError();
      this.#refusedFull = false;
    }
  }

  #assertOpen(): void {
    if (this.#closed) throw new Error('event store is closed');
  }

  #migrate(): void {
    const columns = this.#db.prepare<[], { name: string }>("SELECT name FROM pragma_table_info('events')").all();
    if (!columns.some((c) => c.name === 'prev_hash')) return;
    this.#db.transaction(() => this.#db.exec(MIGRATE_FROM_COLUMNS)).immediate();
  }

  /** Reads of the global log that the page reader answered. */
  get bulkReads(): number {
    return this.#pages.served;
  }

  /** The writer thread's next WAL checkpoint (undefined without a thread): for tests and tooling. */
  nextCheckpoint(): Promise<WalCheckpoint> | undefined {
    return this.#thread?.nextCheckpoint();
  }

  /** Direct access for tests and tooling that must tamper with or inspect the file. */
  get database(): Database.Database {
    return this.#db;
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    clearTimeout(this.#busyRetry);
    this.#busyRetry = undefined;
    // Everything already accepted is written (or refused) before the store closes.
    await this.#writing;
    while (this.#queue.length > 0) {
      this.#flush();
      await this.#writing;
    }
    await Promise.all([...this.#subscriptions].map((s) => s.close()));
    await this.#pages.close();
    await this.#thread?.close();
    this.#db.close();
  }
}

/**
 * The event a row holds. Its columns are the truth about where it is: a record that does not
 * parse, or whose own position, stream or revision disagree with its row's (a damaged file, a
 * row written by hand), is handed on as an unreadable event at the row's position, for the reader
 * to set aside. Trusting the record instead once gave a subscription the checkpoint "ignored":
 * every later read failed and the node raised no alert again (tests/eventstore-sqlite.test.ts).
 */
function rowEvent(position: number, stream: string, revision: number, record: string): RecordedEvent {
  const at = sqlitePosition(position);
  let event: RecordedEvent | null | undefined;
  try {
    event = JSON.parse(record) as RecordedEvent | null;
  } catch {
    // not JSON: unreadable, below
  }
  if (event?.position === at && event.stream === stream && event.revision === revision) return event;
  return { ...unreadableEvent(stream, at), revision };
}
