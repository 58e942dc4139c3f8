import type Database from 'better-sqlite3';
import type { AppendResult, ExpectedRevision, NewEvent } from './types.js';

/** A global position as text: the SQLite rowid zero-padded to 16 digits, so string order is log order. */
export declare const sqlitePosition: (n: number | bigint) => string;

/**
 * JSON with every non-ASCII code unit written as a \u escape. It parses to the same value and the
 * hash chain is over canonical JSON of values, so nothing an auditor verifies changes; what
 * changes is that the log is one-byte text, which V8 parses fastest (docs/decisions.md, "SQLite
 * stores each event as the JSON its readers receive").
 */
export declare function asciiJson(value: unknown): string;

/**
 * A sealed event's stored record: exactly `asciiJson({id, stream, revision, position, type, data,
 * metadata})`, with `dataJson` (JSON.stringify(data), made while sealing) put in place; without it,
 * the data is stringified here.
 */
export declare function recordText(id: string, stream: string, revision: number, position: string, type: string, data: unknown, dataJson: string | undefined, metadata: unknown): string;

/** SQLite's codes for "another connection holds the lock". */
export declare const isBusyCode: (code: unknown) => boolean;
/** SQLite's codes for a disk that refused a write (full: SQLITE_FULL; failing: SQLITE_IOERR_*). */
export declare const isStorageFailureCode: (code: unknown) => boolean;

/** WAL, synchronous=FULL, busy_timeout=0 on a connection that appends. */
export declare function configureWriter(db: Database.Database): void;

/** One append of a group commit, as it crosses to the writer thread (structured clone). */
export interface AppendRequest {
  stream: string;
  events: Array<NewEvent & { id: string }>;
  expected: ExpectedRevision;
  /** Epoch ms after which this append must not be written (AppendOptions.notAfter). */
  notAfter: number | undefined;
}

/** A thrown error as plain data: its message and SQLite's code, if any. */
export interface ErrorDescription {
  message: string;
  code: string | undefined;
}

/** What became of one append: written (or an idempotent retry), or refused and rolled back alone. */
export type AppendOutcome =
  | { ok: AppendResult }
  | { refused: 'concurrency'; expected: ExpectedRevision; actual: number }
  | { refused: 'idempotency'; eventId: string }
  | { refused: 'deadline' }
  | ({ refused: 'error' } & ErrorDescription);

/**
 * A group commit: every outcome in the order of the requests, after one COMMIT with its fsync; or
 * the failure of the group as a whole (nothing of it written): the lock held elsewhere
 * (isBusyCode), the disk (isStorageFailureCode), or another driver error.
 */
export type GroupOutcome = { outcomes: AppendOutcome[] } | { failed: ErrorDescription };

/**
 * Appends groups of requests in one IMMEDIATE transaction each, a savepoint per append (SPEC §7:
 * durable on power loss once `write` returns; SPEC §8: each event sealed onto its stream's chain).
 */
export declare class SqliteAppender {
  constructor(db: Database.Database);
  write(batch: readonly AppendRequest[]): GroupOutcome;
}
