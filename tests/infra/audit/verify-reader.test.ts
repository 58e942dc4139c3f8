import t from 'tap';
import Database from 'better-sqlite3';
import { join } from 'node:path';
import { readForVerification, type CheckedEvent } from '../../../infra/audit/verify-reader.js';
import { SqliteEventStore } from '../../../infra/eventstore/sqlite.js';
import { testDir } from '../../support/dirs.js';

// A log read for verification gives the same answer on the calling thread (a small log) and on
// the worker threads (a large one), page boundaries included, for every kind of record: sound,
// edited behind the store's back, not JSON at all, and sound but not checkable the fast way.
t.test('the calling thread and the worker threads read a log alike', async (t) => {
  const file = join(testDir(t), 'events.sqlite');
  const store = new SqliteEventStore({ file, writer: 'inline' });
  const m = { actor: { id: 'a', role: 'officer' }, at: '2026-12-02T00:00:00.000Z', correlationId: 'c', schemaVersion: 1 };
  // More than two pages (PAGE is 2,500 positions), in several streams, with Chinese text.
  for (let i = 0; i < 60; i++) {
    await store.append(`report-${i}`, Array.from({ length: 100 }, (_, n) => ({ type: 'Noted', data: { n, text: `第${n}条，村委会后山` }, metadata: m })), 'no_stream');
  }
  // An integer-like key: JSON.stringify does not put it in JCS order, so the fast check must
  // leave this one to the main thread's full canonicalisation (chain.ts), not call it edited.
  await store.append('units', [{ type: 'Noted', data: { '1': 'a', b: 2 }, metadata: m }], 'no_stream');
  await store.close();
  const db = new Database(file);
  // Someone with the file, past the store's own guard.
  db.exec('DROP TRIGGER IF EXISTS events_no_update');
  db.prepare(`UPDATE events SET record = replace(record, '"n":7,', '"n":70,') WHERE stream = 'report-3' AND revision = 7`).run();
  db.prepare(`UPDATE events SET record = 'not json' WHERE stream = 'report-40' AND revision = 2`).run();
  const head = (db.prepare('SELECT max(position) AS p FROM events').get() as { p: number }).p;
  db.close();
  t.equal(head, 6001);

  const read = async (options: { inlineUpTo: number }) => {
    const pages: CheckedEvent[][] = [];
    for await (const page of readForVerification(file, options)) pages.push(page);
    return pages;
  };
  const inline = await read({ inlineUpTo: Infinity });
  const threads = await read({ inlineUpTo: 0 });
  t.same(threads.flat(), inline.flat(), 'the same events and checks on either path');
  t.same(threads.map((p) => p.length), [2500, 2500, 1001], 'the threads answer pages of 2,500 positions');
  // Read in place, pages small enough to die in the young generation (verify-reader.ts INLINE_PAGE).
  t.same(inline.map((p) => p.length), [...Array.from({ length: 24 }, () => 250), 1], 'in place, pages of 250');
  const events = inline.flat();
  t.same(events.map((e) => Number(e.event.position)), Array.from({ length: head }, (_, i) => i + 1), 'every position, in order');

  const failed = events.filter((e) => !e.hashOk).map((e) => e.event.stream);
  t.same(failed, ['report-3', '(unreadable at 0000000000004003)', 'units'], 'only the edited, the unreadable and the integer-keyed record fail the fast check');
  const edited = events.find((e) => e.event.stream === 'report-3' && e.event.revision === 7)!;
  t.match(edited.event, { data: { n: 70 }, metadata: { hash: /^[0-9a-f]{64}$/ } }, 'a failed check carries the data and metadata the main thread re-hashes');
  t.equal(events.find((e) => e.event.stream === 'report-3' && e.event.revision === 6)!.event.data, null, 'a sound event of a known stream carries no data');
});
