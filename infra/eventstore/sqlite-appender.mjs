// The embedded store's write transaction (SPEC §7, §8) in plain JavaScript, so that the same code
// runs inline (the CLI) and on the writer thread (sqlite-writer.worker.mjs) without a TypeScript
// loader. Types and the store around it: sqlite-appender.d.mts, sqlite.ts.
import { sealEvents } from './chain-core.mjs';

/** Positions are the gap-free SQLite rowid, zero-padded so that string order is log order. */
const POSITION_WIDTH = 16;
export const sqlitePosition = (n) => String(n).padStart(POSITION_WIDTH, '0');

const NON_ASCII = /[^\x00-\x7f]/;
const NON_ASCII_ALL = /[^\x00-\x7f]/g;
const escapeCodeUnit = (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`;

export function asciiJson(value) {
  return asciiText(JSON.stringify(value));
}

const asciiText = (json) => (NON_ASCII.test(json) ? json.replace(NON_ASCII_ALL, escapeCodeUnit) : json);

/**
 * The stored record of a sealed event: exactly `asciiJson({id, stream, revision, position, type,
 * data, metadata})`, with the data's JSON text (`dataJson`, made once while sealing) put in place
 * rather than stringified a second time — the data is most of a record.
 */
export function recordText(id, stream, revision, position, type, data, dataJson, metadata) {
  if (dataJson === undefined) return asciiJson({ id, stream, revision, position, type, data, metadata });
  return asciiText(`{"id":${JSON.stringify(id)},"stream":${JSON.stringify(stream)},"revision":${revision},"position":${JSON.stringify(position)},"type":${JSON.stringify(type)},"data":${dataJson},"metadata":${JSON.stringify(metadata)}}`);
}

export const isBusyCode = (code) => code === 'SQLITE_BUSY' || code === 'SQLITE_LOCKED' || (typeof code === 'string' && code.startsWith('SQLITE_BUSY_'));

/**
 * The disk refused a write: full, or failing. SQLite may already have rolled the whole
 * transaction back (https://www.sqlite.org/lang_transaction.html), so such an error ends the group
 * commit rather than being one append's refusal.
 */
export const isStorageFailureCode = (code) => code === 'SQLITE_FULL' || code === 'SQLITE_IOERR' || (typeof code === 'string' && code.startsWith('SQLITE_IOERR_'));

/** Settings of a connection that writes: every COMMIT fsynced before it returns (SPEC §7). */
export function configureWriter(db) {
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = FULL');
  // Never wait in SQLite's busy handler: the caller retries a busy store on a timer and answers
  // an append that waited too long with StoreBusyError (503).
  db.pragma('busy_timeout = 0');
}

class Refusal {
  constructor(outcome) {
    this.outcome = outcome;
  }
}

const describe = (error) => ({ message: error instanceof Error ? error.message : String(error), code: typeof error?.code === 'string' ? error.code : undefined });

export class SqliteAppender {
  #db;
  #stmt;

  constructor(db) {
    this.#db = db;
    this.#stmt = {
      head: db.prepare('SELECT revision, hash FROM events WHERE stream = ? ORDER BY revision DESC LIMIT 1'),
      byId: db.prepare('SELECT stream, revision, position, type FROM events WHERE id = ?'),
      insert: db.prepare('INSERT INTO events (position, id, stream, revision, type, hash, record) VALUES (?, ?, ?, ?, ?, ?, ?)'),
      headPosition: db.prepare('SELECT max(position) AS p FROM events'),
    };
  }

  write(batch) {
    const db = this.#db;
    let outcomes = [];
    // Inside the write transaction nobody else appends (another process waits for the lock), so
    // the positions are ours to name from the head read once here. A refused append rolls its
    // savepoint back without advancing it, so the next names the same positions again.
    let head = 0;
    const appendOne = db.transaction((request) => {
      const { result, lastPosition } = this.#appendOne(request, head);
      head = lastPosition;
      return result;
    });
    const group = db.transaction(() => {
      outcomes = [];
      head = this.#stmt.headPosition.get().p ?? 0;
      for (const request of batch) {
        try {
          outcomes.push({ ok: appendOne(request) });
        } catch (error) {
          if (error instanceof Refusal) {
            outcomes.push(error.outcome);
            continue;
          }
          // After a failed write the transaction may be gone: carrying on would commit the rest
          // of the group one by one while the group as a whole is answered as failed.
          if (isStorageFailureCode(error?.code) || !db.inTransaction) throw error;
          outcomes.push({ refused: 'error', ...describe(error) });
        }
      }
    });
    try {
      group.immediate();
    } catch (error) {
      return { failed: describe(error) };
    }
    return { outcomes };
  }

  /** Runs inside a savepoint: a thrown error leaves nothing of this append behind. */
  #appendOne({ stream, events, expected, notAfter }, logHead) {
    const replay = this.#idempotentReplay(stream, events);
    if (replay) return { result: replay, lastPosition: logHead };
    // Inside the write transaction: nothing can be written after this check but this append.
    if (notAfter !== undefined && Date.now() > notAfter) throw new Refusal({ refused: 'deadline' });
    const head = this.#stmt.head.get(stream);
    const actual = head ? head.revision : -1;
    if ((expected === 'no_stream' && head) || (expected === 'stream_exists' && !head) || (typeof expected === 'number' && expected !== actual)) {
      throw new Refusal({ refused: 'concurrency', expected, actual });
    }
    let position = logHead;
    const dataTexts = [];
    const sealed = sealEvents(stream, head, events, dataTexts);
    for (let i = 0; i < sealed.length; i++) {
      const { id, revision, type, data, metadata } = sealed[i];
      position += 1;
      this.#stmt.insert.run(position, id, stream, revision, type, metadata.hash, recordText(id, stream, revision, sqlitePosition(position), type, data, dataTexts[i], metadata));
    }
    return { result: { revision: actual + events.length, position: sqlitePosition(position), written: true }, lastPosition: position };
  }

  /**
   * A retry of an append that already succeeded (same ids, same stream, same order) answers as the
   * original did; any other reuse of an id is refused rather than silently dropped.
   */
  #idempotentReplay(stream, events) {
    const found = events.map((e) => this.#stmt.byId.get(e.id));
    if (found.every((f) => f === undefined)) return undefined;
    const first = found[0];
    const consistent = first !== undefined && found.every((f, i) => f !== undefined && f.stream === stream && f.revision === first.revision + i && f.type === events[i].type);
    if (!consistent) throw new Refusal({ refused: 'idempotency', eventId: events[found.findIndex((f) => f !== undefined)].id });
    const last = found[found.length - 1];
    return { revision: last.revision, position: sqlitePosition(last.position), written: false };
  }
}
