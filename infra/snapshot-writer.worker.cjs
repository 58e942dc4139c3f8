'use strict';
// Worker thread behind SqliteSnapshotStore (snapshots.ts): writes the serialized projection states
// into the snapshot file, so that the INSERT of a blob of tens to hundreds of MB and its fsync run
// off the event loop. Plain CommonJS so that it loads without the parent's TypeScript loader.
//
// workerData: { file }. Each message is one snapshot to write, answered { id, error? }; { close }
// closes the connection and ends the thread.
const { parentPort, workerData } = require('node:worker_threads');
const Database = require('better-sqlite3');

const db = new Database(workerData.file, { fileMustExist: true });
// The main thread's connection may be reading (load): WAL lets it, and a write waits its turn.
db.pragma('busy_timeout = 10000');
// Prepared at the first write and again after a failed one: a file changed under it is met anew.
let put;

parentPort.on('message', (message) => {
  if (message.close) {
    try {
      db.close();
    } finally {
      parentPort.close();
    }
    return;
  }
  let error;
  const started = performance.now();
  try {
    put ??= db.prepare('INSERT OR REPLACE INTO snapshot (id, checkpoint, checkpoint_hash, taken_at, events, states) VALUES (1, ?, ?, ?, ?, ?)');
    put.run(message.checkpoint, message.checkpointHash, message.takenAt, message.events, Buffer.from(message.states));
  } catch (e) {
    error = e instanceof Error ? e.message : String(e);
    put = undefined;
  }
  parentPort.postMessage({ id: message.id, error, ms: performance.now() - started });
});
