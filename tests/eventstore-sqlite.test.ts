import t, { type Test } from 'tap';
import { join } from 'node:path';
import { SqliteEventStore } from '../infra/eventstore/sqlite.js';
import { verifyStreamChain } from '../infra/eventstore/chain.js';
import { eventStoreContract } from './support/eventstore-contract.js';

const openStore = async (t: Test) => {
  const store = new SqliteEventStore({ file: join(t.testdir(), 'events.sqlite'), pollIntervalMs: 20 });
  t.teardown(() => store.close());
  return store;
};

t.test('contract: SQLite', async (t) => eventStoreContract(t, openStore));

t.test('the log refuses UPDATE and DELETE, and an edit made anyway breaks the chain', async (t) => {
  const store = await openStore(t);
  await store.append('report-1', [
    { type: 'A', data: { n: 1 }, metadata: { actor: { id: 'a', role: 'officer' }, at: 'x', correlationId: 'c', schemaVersion: 1 } },
    { type: 'B', data: { n: 2 }, metadata: { actor: { id: 'a', role: 'officer' }, at: 'x', correlationId: 'c', schemaVersion: 1 } },
  ]);
  const db = store.database;
  t.throws(() => db.prepare("UPDATE events SET data = '{}'").run(), /immutable/);
  t.throws(() => db.prepare('DELETE FROM events').run(), /immutable/);
  db.exec('DROP TRIGGER events_no_update');
  db.prepare(`UPDATE events SET data = '{"n":9}' WHERE revision = 0`).run();
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
