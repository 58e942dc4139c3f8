/**
 * One full read of a log, in a process of its own, the way a node replays at startup or the CLI
 * verifies: open, read every event in pages of the store's default size, close. Prints one JSON
 * line: {"events":…,"seconds":…}. The clock starts before the store is opened, so starting
 * zhitong's page-reader thread is inside the figure.
 *
 * `bare`: the same file of ours read by the plainest loop there is — one better-sqlite3
 * statement stepping every record in position order on this thread, each `JSON.parse`d into the
 * event it holds, nothing else. What one thread can do with these bytes: the baseline of the
 * global read.
 *
 *   node --import tsx bench/read-log.ts zhitong|emmett|bare <file>
 */
import { readMessagesBatch, sqliteConnection } from '@event-driven-io/emmett-sqlite';
import Database from 'better-sqlite3';
import { logPages } from '../infra/eventstore/pages.js';
import { SqliteEventStore } from '../infra/eventstore/sqlite.js';

const [kind, file] = process.argv.slice(2);
if ((kind !== 'zhitong' && kind !== 'emmett' && kind !== 'bare') || !file) {
  console.error('usage: read-log.ts zhitong|emmett|bare <file>');
  process.exit(2);
}

const started = performance.now();
let events = 0;
if (kind === 'zhitong') {
  const store = new SqliteEventStore({ file });
  for await (const page of logPages(store)) events += page.length;
  await store.close();
} else if (kind === 'bare') {
  const db = new Database(file, { readonly: true });
  for (const record of db.prepare('SELECT record FROM events ORDER BY position').pluck().iterate()) {
    if ((JSON.parse(record as string) as { position?: string }).position !== undefined) events++;
  }
  db.close();
} else {
  const connection = sqliteConnection({ fileName: file });
  let after = 0n;
  for (;;) {
    const batch = await readMessagesBatch(connection, { after, batchSize: 1000 });
    events += batch.messages.length;
    after = batch.currentGlobalPosition;
    if (!batch.areEventsLeft || batch.messages.length === 0) break;
  }
  connection.close();
}
console.log(JSON.stringify({ events, seconds: (performance.now() - started) / 1000 }));
