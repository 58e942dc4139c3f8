'use strict';
// Worker thread behind SqlitePageReader (sqlite-page-reader.ts). Plain CommonJS so that it loads
// without the parent's TypeScript loader.
//
// It answers one range of positions of the global log per message as the text of a JSON array
// of RecordedEvent objects. Stepping rows and joining them happen here; the main thread only
// parses, so the two halves of a bulk read run on two cores.
const { parentPort, workerData } = require('node:worker_threads');
const Database = require('better-sqlite3');

const db = new Database(workerData.file, { readonly: true, fileMustExist: true });
db.pragma('busy_timeout = 10000');

// Each record is already the JSON of a RecordedEvent, so a page is the records joined. No ORDER
// BY inside group_concat: it costs a third of the query, a range scan of the rowid yields position
// order, and the main thread checks that order anyway.
//
// `disagree` counts the rows whose record is not JSON or does not say the position, stream and
// revision of its row (a damaged file, a row written by hand): the main thread then reads that
// page in place, where each such row becomes an unreadable event (rowEvent in sqlite.ts). The
// check runs here, on this thread, beside the main thread's parse of the previous page.
const page = db
  .prepare(
    `SELECT count(*), '[' || group_concat(record, ',') || ']',
            sum(CASE WHEN json_valid(record)
                     THEN json_extract(record, '$.position') IS NOT printf('%016d', position)
                       OR json_extract(record, '$.stream') IS NOT stream
                       OR json_extract(record, '$.revision') IS NOT revision
                     ELSE 1 END)
       FROM events WHERE position > ? AND position <= ?`,
  )
  .raw();

parentPort.on('message', (request) => {
  try {
    const [count, text, disagree] = page.get(request.after, request.upTo);
    parentPort.postMessage({ id: request.id, count, text: count === 0 ? undefined : text, disagree: disagree ?? 0 });
  } catch (error) {
    parentPort.postMessage({ id: request.id, error: error instanceof Error ? error.message : String(error) });
  }
});
