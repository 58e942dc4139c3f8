// Writer thread behind ThreadWriter (sqlite-writer.ts). Plain JavaScript: it loads without the
// parent's TypeScript loader. One message is one group commit; the answer is posted after COMMIT
// returned with synchronous=FULL.
import { parentPort, workerData } from 'node:worker_threads';
import Database from 'better-sqlite3';
import { configureWriter, SqliteAppender } from './sqlite-appender.mjs';

const db = new Database(workerData.file, { fileMustExist: true });
configureWriter(db);
const appender = new SqliteAppender(db);
parentPort.on('message', (batch) => parentPort.postMessage(appender.write(batch)));
