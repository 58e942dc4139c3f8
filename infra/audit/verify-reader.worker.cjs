'use strict';
// Worker thread behind readForVerification (verify-reader.ts): for one range of positions at a
// time, the rows of verify-check.cjs. Plain CommonJS so that it loads without the parent's
// TypeScript loader.
const { parentPort, workerData } = require('node:worker_threads');
const Database = require('better-sqlite3');
const { checkRecords, RANGE_SQL, CACHE_PRAGMA } = require('./verify-check.cjs');

const db = new Database(workerData.file, { readonly: true, fileMustExist: true });
db.pragma('busy_timeout = 10000');
db.pragma(CACHE_PRAGMA);
const rows = db.prepare(RANGE_SQL).raw();

parentPort.on('message', (request) => {
  try {
    parentPort.postMessage({ id: request.id, out: checkRecords(rows.all(request.after, request.upTo)) });
  } catch (error) {
    parentPort.postMessage({ id: request.id, error: error instanceof Error ? error.message : String(error) });
  }
});
