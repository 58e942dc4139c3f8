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
const page = db
  .prepare("SELECT count(*), '[' || group_concat(record, ',') || ']' FROM events WHERE position > ? AND position <= ?")
  .raw();

parentPort.on('message', (request) => {
  try {
    const [count, text] = page.get(request.after, request.upTo);
    parentPort.postMessage({ id: request.id, count, text: count === 0 ? undefined : text });
  } catch (error) {
    parentPort.postMessage({ id: request.id, error: error instanceof Error ? error.message : String(error) });
  }
});
