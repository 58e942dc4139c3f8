// Writer thread behind ThreadWriter (sqlite-writer.ts). Plain JavaScript: it loads without the
// parent's TypeScript loader. A message is one group commit, whose answer is posted after COMMIT
// returned with synchronous=FULL, or a checkpoint, answered with the WAL's
// frames and how many of them are now in the database file.
import { parentPort, workerData } from 'node:worker_threads';
import Database from 'better-sqlite3';
import { configureWriter, SqliteAppender } from './sqlite-appender.mjs';

const db = new Database(workerData.file, { fileMustExist: true });
configureWriter(db);
const appender = new SqliteAppender(db);
parentPort.on('message', (message) => {
  // The WAL back into the database file, as far as no reader still needs it; never waits.
  if (message.checkpoint) {
    // A checkpoint that fails (the disk is full: the database file cannot grow) loses nothing —
    // the frames stay in the WAL — and is tried again after the next commit.
    try {
      const [{ log, checkpointed }] = db.pragma('wal_checkpoint(PASSIVE)');
      parentPort.postMessage({ checkpoint: { log, checkpointed } });
    } catch (error) {
      parentPort.postMessage({ checkpoint: { log: -1, checkpointed: -1, code: error?.code } });
    }
  } else parentPort.postMessage(appender.write(message.batch));
});
