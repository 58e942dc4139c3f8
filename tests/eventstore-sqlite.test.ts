import t, { type Test } from 'tap';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { SqliteEventStore, sqlitePosition } from '../infra/eventstore/sqlite.js';
import { SqlitePageReader } from '../infra/eventstore/sqlite-page-reader.js';
import { UNREADABLE } from '../infra/eventstore/types.js';
import { sealEvents, verifyStreamChain } from '../infra/eventstore/chain.js';
import { eventStoreContract } from './support/eventstore-contract.js';
import { testDir } from './support/dirs.js';

const openStore = async (t: Test) => {
  const store = new SqliteEventStore({ file: join(testDir(t), 'events.sqlite'), pollIntervalMs: 20 });
  t.teardown(() => store.close());
  return store;
};

t.test('contract: SQLite', async (t) => eventStoreContract(t, openStore));

// The CLI writes on its own thread; a node on the writer thread. Both are held to the contract.
t.test('contract: SQLite, group commits written inline', async (t) =>
  eventStoreContract(t, async (t) => {
    const store = new SqliteEventStore({ file: join(testDir(t), 'events.sqlite'), pollIntervalMs: 20, writer: 'inline' });
    t.teardown(() => store.close());
    return store;
  }),
);

t.test('appends made while a group is on the writer thread go as the next group, each answered after its own COMMIT', async (t) => {
  // 50 single-event appends in one turn: a group larger than the event loop writes itself.
  const file = join(testDir(t), 'events.sqlite');
  const store = new SqliteEventStore({ file });
  t.teardown(() => store.close());
  const m = { actor: { id: 'a', role: 'officer' }, at: 'x', correlationId: 'c', schemaVersion: 1 };
  const reader = new Database(file, { readonly: true });
  t.teardown(() => reader.close());
  const count = reader.prepare('SELECT count(*) FROM events').pluck();
  // The second 50 arrive while the first group is being written.
  const first = Array.from({ length: 50 }, (_, i) => store.append(`s-${i}`, [{ type: 'A', data: { i }, metadata: m }], 'no_stream'));
  await new Promise((resolve) => setImmediate(resolve));
  const second = Array.from({ length: 50 }, (_, i) => store.append(`s-${i}`, [{ type: 'B', data: { i }, metadata: m }], 0));
  const seen: number[] = [];
  // What another connection sees at the moment each append is answered: its own event at least.
  for (const append of [...first, ...second]) seen.push(await append.then((r) => (count.get() as number) >= Number(r.position) ? 1 : 0));
  t.same(seen, Array(100).fill(1), 'each append was committed when it was answered');
  const all = store.readAllSync({ max: 1000 });
  t.same(all.map((e) => Number(e.position)), Array.from({ length: 100 }, (_, i) => i + 1), 'gap-free positions');
  for (let i = 0; i < 50; i++) t.equal(verifyStreamChain(`s-${i}`, await store.readStream(`s-${i}`)), undefined);
});

t.test('small groups are committed on the event loop and the WAL is still checkpointed, by the writer thread', async (t) => {
  const { statSync } = await import('node:fs');
  const file = join(testDir(t), 'events.sqlite');
  // A fast disk, whatever the machine running this is doing: every COMMIT takes no time by this clock.
  const store = new SqliteEventStore({ file, commitClock: () => 0 });
  t.teardown(() => store.close());
  const m = { actor: { id: 'a', role: 'officer' }, at: 'x', correlationId: 'c', schemaVersion: 1 };
  const text = '过桥后左转'.repeat(200);
  const wal = () => statSync(`${file}-wal`).size;
  const checkpoint = store.nextCheckpoint()!;
  const before = statSync(file).size;
  for (let i = 0; i < 300; i++) await store.append(`s-${i}`, [{ type: 'A', data: { text }, metadata: m }], 'no_stream');
  const grown = wal();
  t.ok(grown > 1000 * 4096, `the event loop's connection does not checkpoint: the WAL holds ${grown} bytes`);
  // The thread checkpoints a moment after the last commit (PASSIVE); the next commit then starts the WAL over.
  const { log, checkpointed } = await checkpoint;
  t.ok(log > 0 && checkpointed === log, `the writer thread copied ${checkpointed} of ${log} frames into the database`);
  const size = statSync(file).size;
  t.ok(size > before + 300 * 2000, `the database file holds them: ${before} → ${size} bytes`);
  await store.append('after', [{ type: 'A', data: {}, metadata: m }]);
  t.ok(wal() <= grown, 'the WAL grows no further once checkpointed');
  t.equal(store.readAllSync({ max: 1000 }).length, 301);
  t.same(store.groupCommits(), { inline: 301, thread: 0 }, 'every group on the event loop');
});

t.test('when small COMMITs get slow they go to the writer thread, and come back once they are fast again', async (t) => {
  // How long a COMMIT takes is read off a clock this test drives: a disk made slow for real (an
  // 8 MB event) was slow or fast by how busy the CI machine was, and failed there. Each reading
  // moves the clock on by `commitMs`, so each COMMIT made on the loop, timed by two, takes that.
  let now = 0;
  let commitMs = 0.05;
  const file = join(testDir(t), 'events.sqlite');
  const store = new SqliteEventStore({ file, commitClock: () => (now += commitMs) });
  t.teardown(() => store.close());
  const m = { actor: { id: 'a', role: 'officer' }, at: 'x', correlationId: 'c', schemaVersion: 1 };
  const small = (name: string) => store.append(name, [{ type: 'A', data: {}, metadata: m }], 'no_stream');
  for (let i = 0; i < 20; i++) await small(`warm-${i}`);
  t.same(store.groupCommits(), { inline: 20, thread: 0 }, 'on a fast disk small groups are committed on the event loop');

  commitMs = 5;
  // Smoothed 0.8/0.2, one 5 ms COMMIT passes the 1 ms budget.
  await small('slow-0');
  await small('slow-1');
  t.same(store.groupCommits(), { inline: 21, thread: 1 }, 'once an inline COMMIT took too long, the next small group went to the writer thread');
  const moved = store.groupCommits();
  for (let i = 0; i < 10; i++) await small(`small-${i}`);
  t.same(store.groupCommits(), { inline: moved.inline, thread: moved.thread + 10 }, 'and so did the next small ones');

  // One small group in INLINE_PROBE_EVERY (256) is tried on the loop again; fast probes bring the rest back.
  commitMs = 0.05;
  let appended = 0;
  let inlineInARow = 0;
  while (inlineInARow < 3 && appended < 256 * 20) {
    const before = store.groupCommits().inline;
    await small(`fast-${appended++}`);
    inlineInARow = store.groupCommits().inline > before ? inlineInARow + 1 : 0;
  }
  t.equal(inlineInARow, 3, `small groups are committed on the event loop again once probes found COMMITs fast (after ${appended})`);
  t.ok(appended <= 256 + 3, `found by the first probe: the 256th small group on the thread (${JSON.stringify(store.groupCommits())})`);
  const all = store.readAllSync({ max: 100_000 });
  t.same(all.map((e) => Number(e.position)), Array.from({ length: all.length }, (_, i) => i + 1), 'every append landed, gap-free, wherever it was committed');
});

t.test('a writer thread that cannot open the file refuses appends as unavailable, and the store goes on', async (t) => {
  const { rmSync } = await import('node:fs');
  const { StoreUnavailableError } = await import('../infra/eventstore/types.js');
  const file = join(testDir(t), 'events.sqlite');
  const store = new SqliteEventStore({ file });
  t.teardown(() => store.close());
  // The thread opens the file on the first append, and only an existing one: gone, it cannot.
  rmSync(file);
  const m = { actor: { id: 'a', role: 'officer' }, at: 'x', correlationId: 'c', schemaVersion: 1 };
  // A group larger than the event loop writes itself goes to the thread.
  const error = await store.append('s', Array.from({ length: 20 }, () => ({ type: 'A', data: {}, metadata: m }))).catch((e: unknown) => e);
  t.type(error, StoreUnavailableError);
  t.match((error as Error).message, /writer thread/);
  t.same(store.readAllSync(), [], 'nothing was written');
});

t.test('a process that appended on the writer thread and never closed the store still exits', async (t) => {
  const { execFileSync } = await import('node:child_process');
  const file = join(testDir(t), 'events.sqlite');
  const script = `
    import { SqliteEventStore } from ${JSON.stringify(new URL('../infra/eventstore/sqlite.ts', import.meta.url).href)};
    const store = new SqliteEventStore({ file: ${JSON.stringify(file)} });
    const m = { actor: { id: 'a', role: 'x' }, at: 'x', correlationId: 'c', schemaVersion: 1 };
    const r = await store.append('s', Array.from({ length: 20 }, () => ({ type: 'A', data: {}, metadata: m })));
    // And one small enough to be written on the event loop, after which the thread checkpoints.
    const small = await store.append('s', [{ type: 'A', data: {}, metadata: m }]);
    console.log(r.position, small.position);`;
  const out = execFileSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], { encoding: 'utf8', timeout: 60_000 });
  t.equal(out.trim(), `${sqlitePosition(20)} ${sqlitePosition(21)}`, 'both appends were answered and the process ended by itself');
  const db = new Database(file, { readonly: true });
  t.equal(db.prepare('SELECT count(*) FROM events').pluck().get(), 21);
  db.close();
});

t.test('the log refuses UPDATE and DELETE, and an edit made anyway breaks the chain', async (t) => {
  const store = await openStore(t);
  await store.append('report-1', [
    { type: 'A', data: { n: 1 }, metadata: { actor: { id: 'a', role: 'officer' }, at: 'x', correlationId: 'c', schemaVersion: 1 } },
    { type: 'B', data: { n: 2 }, metadata: { actor: { id: 'a', role: 'officer' }, at: 'x', correlationId: 'c', schemaVersion: 1 } },
  ]);
  const db = store.database;
  t.throws(() => db.prepare("UPDATE events SET record = '{}'").run(), /immutable/);
  t.throws(() => db.prepare('DELETE FROM events').run(), /immutable/);
  db.exec('DROP TRIGGER events_no_update');
  db.prepare(`UPDATE events SET record = json_set(record, '$.data.n', 9) WHERE revision = 0`).run();
  const broken = verifyStreamChain('report-1', await store.readStream('report-1'));
  t.match(broken, { stream: 'report-1', revision: 0, reason: 'hash_mismatch' });
});

t.test('positions have no gaps, even after refused appends', async (t) => {
  const store = await openStore(t);
  const m = { actor: { id: 'a', role: 'officer' }, at: 'x', correlationId: 'c', schemaVersion: 1 };
  await store.append('s', [{ type: 'A', data: {}, metadata: m }]);
  await store.append('s', [{ type: 'A', data: {}, metadata: m }], 'no_stream').catch(() => undefined);
  await store.append('s', [{ type: 'A', data: {}, metadata: m }]);
  const all = await store.readAll();
  t.same(all.map((e) => Number(e.position)), [1, 2]);
});

const meta = { actor: { id: 'u-1', role: 'contact' }, at: '2026-07-01T03:00:00.000Z', correlationId: 'c', schemaVersion: 1 };
const fill = (store: SqliteEventStore, streams: number, perStream: number, prefix = 's') =>
  Promise.all(
    Array.from({ length: streams }, (_, s) =>
      store.append(
        `${prefix}-${s}"\\`, // callers choose stream names: quotes and backslashes must survive the page text
        Array.from({ length: perStream }, (_, k) => ({ id: `${prefix}-${s}-${k}-"q"`, type: 'ReportFiled', data: { s, k, 路: '过桥后左转 😀' }, metadata: meta })),
      ),
    ),
  );
const readThrough = async (store: SqliteEventStore, max: number) => {
  const all = [];
  let after: string | undefined;
  for (;;) {
    const page = await store.readAll({ ...(after ? { after } : {}), max });
    if (page.length === 0) return all;
    all.push(...page);
    after = page[page.length - 1]!.position;
  }
};

t.test('whole pages behind the head come from the page reader and equal what the in-place reader gives', async (t) => {
  const store = await openStore(t);
  await fill(store, 12, 250);
  const bulk = await readThrough(store, 1000);
  t.ok(store.bulkReads >= 3, `the page reader answered ${store.bulkReads} reads`);
  t.same(bulk, store.readAllSync({ max: 10_000 }), 'same events, same order, same values');
  t.equal(bulk.length, 3000);
  t.equal((bulk[2999]!.data as { 路: string }).路, '过桥后左转 😀');
  t.equal(bulk[0]!.stream, 's-0"\\');
  t.match(store.database.prepare('SELECT record FROM events LIMIT 1').pluck().get(), /^[\x00-\x7f]*$/, 'stored as ASCII');
});

t.test('a log with a hole in its positions is read in place rather than guessed at', async (t) => {
  const store = await openStore(t);
  await fill(store, 4, 250);
  store.database.exec('DROP TRIGGER events_no_delete');
  store.database.prepare('DELETE FROM events WHERE position = 500').run();
  const all = await readThrough(store, 300);
  t.equal(all.length, 999);
  t.notOk(all.some((e) => e.position === sqlitePosition(500)));
  t.ok(all.every((e, i) => i === 0 || all[i - 1]!.position < e.position));
});

t.test('closing the store while a bulk read is in flight rejects that read and nothing else', async (t) => {
  const store = new SqliteEventStore({ file: join(testDir(t), 'events.sqlite') });
  await fill(store, 4, 500);
  // Either the page arrives before the worker stops or the read says why it did not.
  const reading = store.readAll({ max: 1500 }).then((page) => page.length, (error: Error) => error.message);
  await store.close();
  const outcome = await reading;
  t.ok(outcome === 1500 || /closed|stopped/.test(String(outcome)), `outcome: ${outcome}`);
  await t.rejects(store.readAll({ max: 1500 }), /closed/);
});

t.test('a file written with data, metadata and prev_hash columns is carried over value for value', async (t) => {
  const file = join(testDir(t), 'old.sqlite');
  const old = new Database(file);
  old.exec(`CREATE TABLE events (position INTEGER PRIMARY KEY, id TEXT NOT NULL UNIQUE, stream TEXT NOT NULL,
    revision INTEGER NOT NULL, type TEXT NOT NULL, data TEXT NOT NULL, metadata TEXT NOT NULL,
    prev_hash TEXT NOT NULL, hash TEXT NOT NULL, UNIQUE (stream, revision));
    CREATE TRIGGER events_no_update BEFORE UPDATE ON events BEGIN SELECT RAISE(ABORT, 'events are immutable'); END;`);
  const insert = old.prepare('INSERT INTO events (id, stream, revision, type, data, metadata, prev_hash, hash) VALUES (?, ?, ?, ?, ?, ?, ?, ?)');
  const written = [];
  for (let s = 0; s < 3; s++) {
    const stream = `report-${s}`;
    const sealed = sealEvents(stream, undefined, Array.from({ length: 200 }, (_, k) => ({ id: `e-${s}-${k}`, type: 'ReportFiled', data: { k, 路: '沿县道X412往北' }, metadata: meta })));
    for (const e of sealed) {
      const { prevHash, hash, ...metadata } = e.metadata;
      // The old layout stored UTF-8 text as it came.
      insert.run(e.id, stream, e.revision, e.type, JSON.stringify(e.data), JSON.stringify(metadata), prevHash, hash);
      written.push({ ...e, stream });
    }
  }
  old.close();

  const store = new SqliteEventStore({ file });
  t.teardown(() => store.close());
  const all = await readThrough(store, 256);
  t.ok(store.bulkReads > 0, 'the page reader reads migrated records too');
  t.equal(all.length, 600);
  t.same(
    all.map(({ id, stream, revision, type, data, metadata }) => ({ id, stream, revision, type, data, metadata })),
    written,
    'every event as it was',
  );
  t.same(all.map((e) => Number(e.position)), Array.from({ length: 600 }, (_, i) => i + 1), 'positions kept');
  for (let s = 0; s < 3; s++) t.equal(verifyStreamChain(`report-${s}`, await store.readStream(`report-${s}`)), undefined);
  const next = await store.append('report-0', [{ type: 'ReportAcknowledged', data: {}, metadata: meta }], 199);
  t.equal(next.position, sqlitePosition(601));
  t.equal(verifyStreamChain('report-0', await store.readStream('report-0')), undefined, 'the chain continues across the migration');
  t.throws(() => store.database.prepare("UPDATE events SET record = '{}'").run(), /immutable/, 'still append-only');
});

// A row's columns say where it is; its record is only believed when it agrees (`rowEvent`). Found
// from outside: a row written by hand whose record said `"position": "ignored"` became a
// subscription's checkpoint, every later read failed with "not a position", and the node raised
// no alert again (tests/background.test.ts). Every way a record can disagree with its row, on
// every read path: in place, the page reader, a stream, a subscription.
// The page reader's worker believes a record only when it begins as the store writes one (id, then
// the row's stream, revision and position): any other record sends its chunk to be read in place,
// row by row. A record that agrees with its row in another layout (keys in another order, spaces)
// is read as it says there — the same events on every path, none lost or made unreadable.
t.test('a record that agrees with its row in another layout is read as it says, on every read path', async (t) => {
  const store = await openStore(t);
  await fill(store, 1, 300, 'before');
  const at = 301;
  const event = { metadata: meta, data: { 路: '过桥' }, type: 'ReportFiled', position: sqlitePosition(at), revision: 0, stream: 'relaid', id: 'relaid-1' };
  store.database
    .prepare('INSERT INTO events (position, id, stream, revision, type, hash, record) VALUES (?, ?, ?, 0, ?, ?, ?)')
    .run(at, 'relaid-1', 'relaid', 'ReportFiled', '0'.repeat(64), JSON.stringify(event, null, 1));
  await fill(store, 1, 211, 'mid');
  // And one in the store's own layout but not escaped to ASCII, in a chunk of its own (positions
  // 513…768): the page reader's worker sends it as UTF-8, not as Latin-1 bytes.
  const raw = { id: 'raw-1', stream: 'raw', revision: 0, position: sqlitePosition(513), type: 'ReportFiled', data: { 路: '过桥后左转 😀', é: 'café' }, metadata: meta };
  store.database
    .prepare('INSERT INTO events (position, id, stream, revision, type, hash, record) VALUES (?, ?, ?, 0, ?, ?, ?)')
    .run(513, 'raw-1', 'raw', 'ReportFiled', '0'.repeat(64), JSON.stringify(raw));
  await fill(store, 1, 88, 'after');
  const direct = new SqlitePageReader(store.database.name);
  t.teardown(() => direct.close());
  t.match(await direct.read(512, 89, 601), [raw], 'its chunk is read by the page reader, not sent to be read in place');
  const bulk = await readThrough(store, 256);
  t.same(bulk.map((e) => e.position), Array.from({ length: 601 }, (_, i) => sqlitePosition(i + 1)), 'every position once, in order');
  t.same(bulk[at - 1], event, 'read as it says');
  t.same(bulk[512], raw, 'not ASCII: read as it says');
  t.same(bulk, store.readAllSync({ max: 10_000 }), 'the same as in place');
  t.same(await store.readStream('relaid'), [event], 'its stream');
  t.same(await store.readStream('raw'), [raw], 'its stream');
});

t.test('sweep: a record that does not agree with its row is read as unreadable at the row, on every read path', async (t) => {
  const good = (position: number) => ({ id: 'damaged-1', stream: 'damaged', revision: 0, position: sqlitePosition(position), type: 'ReportFiled', data: {}, metadata: meta });
  const damages: Record<string, (position: number) => string> = {
    'not JSON': () => '{"id": "broken',
    'JSON null': () => 'null',
    'a number': () => '42',
    'a position that is not one': (p) => JSON.stringify({ ...good(p), position: 'ignored' }),
    'no position': (p) => JSON.stringify({ ...good(p), position: undefined }),
    'the position as a number': (p) => JSON.stringify({ ...good(p), position: p }),
    'an earlier row’s position': (p) => JSON.stringify({ ...good(p), position: sqlitePosition(1) }),
    'a position ahead of its row': (p) => JSON.stringify({ ...good(p), position: sqlitePosition(p + 5) }),
    'another stream': (p) => JSON.stringify({ ...good(p), stream: 'report-other' }),
    'another revision': (p) => JSON.stringify({ ...good(p), revision: 7 }),
    // The page reader joins records into one JSON text: a record holding two must not shift the rest.
    'two events in one record': (p) => `${JSON.stringify(good(p))},${JSON.stringify({ ...good(p), id: 'damaged-2' })}`,
    'a record cut short': (p) => JSON.stringify(good(p)).slice(0, -2),
  };
  for (const [name, damage] of Object.entries(damages)) {
    await t.test(name, async (t) => {
      const store = await openStore(t);
      await fill(store, 1, 300, 'before');
      const at = 301;
      store.database
        .prepare('INSERT INTO events (position, id, stream, revision, type, hash, record) VALUES (?, ?, ?, 0, ?, ?, ?)')
        .run(at, 'damaged-1', 'damaged', 'ReportFiled', '0'.repeat(64), damage(at));
      await fill(store, 1, 300, 'after');
      const expected = { type: UNREADABLE, position: sqlitePosition(at), stream: 'damaged', revision: 0 };

      const inPlace = store.readAllSync({ after: sqlitePosition(at - 1), max: 2 });
      t.match(inPlace, [expected, { position: sqlitePosition(at + 1), stream: 'after-0"\\' }], 'in place');
      const before = store.bulkReads;
      const bulk = await readThrough(store, 256);
      t.ok(store.bulkReads > before, 'the page reader was asked');
      t.same(bulk.map((e) => e.position), Array.from({ length: 601 }, (_, i) => sqlitePosition(i + 1)), 'through the page reader: every position once, in order');
      t.match(bulk[at - 1], expected);
      t.same(bulk, store.readAllSync({ max: 10_000 }), 'the same as in place');
      t.match(await store.readStream('damaged'), [expected], 'its stream');

      // Batches of two, so that one batch ends with the damaged row, as the node's did.
      const seen: string[] = [];
      const subscription = store.subscribe({ after: sqlitePosition(at - 2), batchSize: 2, onEvents: (events) => void seen.push(...events.map((e) => e.position)) });
      t.teardown(() => subscription.close());
      t.ok(await subscription.waitFor(sqlitePosition(601), 10_000), 'a subscription goes past it to the head');
      t.same(seen, Array.from({ length: 601 - at + 2 }, (_, i) => sqlitePosition(at - 1 + i)), 'and hands on every event after it');
      t.equal(subscription.checkpoint, sqlitePosition(601));
    });
  }
});
