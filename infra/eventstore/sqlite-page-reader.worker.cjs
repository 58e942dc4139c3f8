'use strict';
// Worker thread behind SqlitePageReader (sqlite-page-reader.ts). Plain CommonJS so that it loads
// without the parent's TypeScript loader.
//
// It answers one range of positions of the global log per message as JSON arrays of RecordedEvent
// objects, in UTF-8. Stepping rows and joining them happen here; the main thread only parses, so
// the two halves of a bulk read run on two cores.
const { parentPort, workerData } = require('node:worker_threads');
const Database = require('better-sqlite3');

const db = new Database(workerData.file, { readonly: true, fileMustExist: true });
db.pragma('busy_timeout = 10000');

// Each record is already the JSON of a RecordedEvent, so a chunk is the records joined into JSON
// arrays. Joined here in JavaScript: SQLite's group_concat took 2–3× as long as stepping the rows
// (profile, session 40: 1,100–1,700 ms against 340 ms for 300,000 records of 763 bytes). The text
// goes over as UTF-8 bytes, transferred, not as a string: a string received is a copy on the main
// thread's young heap that lived until its turn to be parsed and was promoted, and the scavenges
// copying it were a third of a full read (session 40: GC 853 ms of the main thread's 2,371).
//
// A row whose record does not begin the way the store writes every record (sqlite-appender.mjs
// recordText: id, then the row's own stream, revision and position, then type) comes back NULL:
// a record that is not JSON, or says another place than its row's (a damaged file, a row written
// by hand). The main thread then reads that chunk in place, where such a row becomes an unreadable
// event (rowEvent in sqlite.ts), and a record that agrees with its row in another layout is read
// as it says. A prefix match, one value per row: json_valid and json_extract three times, each
// row's answer in an array, took 810 ms of the 300,000 rows against 470 (session 40). A record
// that is not JSON fails the main thread's parse of its part, which sends it in place too. No
// ORDER BY: a range scan of the rowid yields position order, and the main thread checks it.
const records = db
  .prepare(
    `SELECT CASE WHEN substr(record, 1, 7) = '{"id":"'
                  AND instr(record, '","') = ifnull(nullif(instr(record, '","stream":' || json_quote(stream) || ',"revision":' || revision || ',"position":"' || printf('%016d', position) || '","type":'), 0), -1)
                 THEN record END
       FROM events WHERE position > ? AND position <= ?`,
  )
  .pluck();

/**
 * Parts of a chunk's JSON at most this many characters (what V8 measures; the bytes sent are UTF-8): V8 parses
 * a JSON text of 100 KiB or more straight into the old generation (json-parser.cc,
 * kPretenureTreshold), and a full read of the log then ran two to three times as slow.
 */
const PART_CHARS = 64 * 1024;

/**
 * A part's text as UTF-8 bytes in an ArrayBuffer of its own (to be transferred; never Buffer's
 * shared pool). The store writes every record as ASCII (sqlite-appender.mjs asciiJson): a text
 * whose UTF-8 is as long as it is has no character past U+007F, its Latin-1 bytes are its UTF-8
 * bytes, and copying those costs a quarter of TextEncoder's encoding (session 40: 4 against
 * 16 µs a 64 KiB part). Any other text is encoded in full.
 */
function utf8Bytes(text) {
  const length = Buffer.byteLength(text, 'utf8');
  const bytes = Buffer.allocUnsafeSlow(length);
  bytes.write(text, length === text.length ? 'latin1' : 'utf8');
  return bytes;
}

parentPort.on('message', (request) => {
  try {
    const found = records.all(request.after, request.upTo);
    let disagree = 0;
    const parts = [];
    let part = [];
    let chars = 0;
    for (const record of found) {
      if (record === null) {
        disagree++;
        continue;
      }
      if (part.length > 0 && chars + record.length + 1 > PART_CHARS) {
        parts.push(utf8Bytes(`[${part.join(',')}]`));
        part = [];
        chars = 0;
      }
      part.push(record);
      chars += record.length + 1;
    }
    if (part.length > 0) parts.push(utf8Bytes(`[${part.join(',')}]`));
    parentPort.postMessage({ id: request.id, count: found.length, parts, disagree }, parts.map((part) => part.buffer));
  } catch (error) {
    parentPort.postMessage({ id: request.id, error: error instanceof Error ? error.message : String(error) });
  }
});
