import { randomUUID } from 'node:crypto';
import type { Test } from 'tap';
import { verifyStreamChain, GENESIS_HASH } from '../../infra/eventstore/chain.js';
import {
  ConcurrencyError,
  EventTooLargeError,
  IdempotencyError,
  type EventStore,
  type NewEvent,
  type RecordedEvent,
} from '../../infra/eventstore/types.js';

const meta = (n = 0) => ({
  actor: { id: 'u-test', role: 'officer' },
  at: new Date(Date.UTC(2026, 6, 1, 0, 0, n)).toISOString(),
  correlationId: `req-${n}`,
  schemaVersion: 1,
});
const event = (type: string, data: Record<string, unknown>, n = 0, id?: string): NewEvent => ({
  ...(id ? { id } : {}),
  type,
  data,
  metadata: meta(n),
});

/**
 * The contract every EventStore implementation keeps. Streams are namespaced per run so the suite
 * can run against a shared EventStoreDB without seeing earlier runs' events.
 */
export function eventStoreContract(t: Test, open: (t: Test) => Promise<EventStore>): void {
  const ns = `c${randomUUID().slice(0, 8)}`;
  const mine = (events: RecordedEvent[]) => events.filter((e) => e.stream.startsWith(`${ns}-`));

  t.test('append returns revision and position; readStream returns the events in order', async (t) => {
    const store = await open(t);
    const stream = `${ns}-basic`;
    const first = await store.append(stream, [event('A', { n: 1 }), event('B', { n: 2 })], 'no_stream');
    t.equal(first.revision, 1);
    t.equal(first.written, true);
    const second = await store.append(stream, [event('C', { n: 3 })], 1);
    t.equal(second.revision, 2);
    t.ok(second.position > first.position, 'positions grow as strings');
    const read = await store.readStream(stream);
    t.same(read.map((e) => [e.type, e.revision, e.data]), [
      ['A', 0, { n: 1 }],
      ['B', 1, { n: 2 }],
      ['C', 2, { n: 3 }],
    ]);
    t.equal(read[2]!.position, second.position);
    t.same(read[0]!.metadata.actor, { id: 'u-test', role: 'officer' });
    const back = await store.readStream(stream, { direction: 'backwards', max: 2 });
    t.same(back.map((e) => e.revision), [2, 1]);
    const from = await store.readStream(stream, { from: 1, max: 1 });
    t.same(from.map((e) => e.type), ['B']);
    t.same(await store.readStream(`${ns}-absent`), [], 'an absent stream reads as empty');
  });

  t.test('expected revisions are enforced and a mismatch carries the actual revision', async (t) => {
    const store = await open(t);
    const stream = `${ns}-expect`;
    await t.rejects(store.append(stream, [event('A', {})], 'stream_exists'), ConcurrencyError);
    await t.rejects(store.append(stream, [event('A', {})], 3), ConcurrencyError);
    await store.append(stream, [event('A', {})], 'no_stream');
    const err = await store.append(stream, [event('B', {})], 'no_stream').catch((e: unknown) => e);
    t.ok(err instanceof ConcurrencyError);
    t.equal((err as ConcurrencyError).actual, 0);
    const stale = await store.append(stream, [event('B', {})], 5).catch((e: unknown) => e);
    t.equal((stale as ConcurrencyError).actual, 0);
    t.equal((await store.append(stream, [event('B', {})], 'stream_exists')).revision, 1);
    t.equal((await store.append(stream, [event('C', {})], 'any')).revision, 2);
    t.equal((await store.readStream(stream)).length, 3, 'refused appends left nothing behind');
  });

  t.test('50 concurrent appends at the same expected revision: exactly one wins', async (t) => {
    const store = await open(t);
    const stream = `${ns}-race`;
    await store.append(stream, [event('Start', {})]);
    const outcomes = await Promise.allSettled(
      Array.from({ length: 50 }, (_, i) => store.append(stream, [event('Race', { i })], 0)),
    );
    const won = outcomes.filter((o) => o.status === 'fulfilled');
    const lost = outcomes.filter((o): o is PromiseRejectedResult => o.status === 'rejected');
    t.equal(won.length, 1);
    t.equal(lost.length, 49);
    t.ok(lost.every((o) => o.reason instanceof ConcurrencyError && o.reason.actual === 1), 'losers see revision 1');
    t.equal((await store.readStream(stream)).length, 2);
  });

  t.test('50 concurrent appends with expected any all land, chained', async (t) => {
    const store = await open(t);
    const stream = `${ns}-any`;
    await Promise.all(Array.from({ length: 50 }, (_, i) => store.append(stream, [event('Any', { i })], 'any')));
    const read = await store.readStream(stream);
    t.equal(read.length, 50);
    t.equal(verifyStreamChain(stream, read), undefined);
  });

  t.test('event ids are idempotent', async (t) => {
    const store = await open(t);
    const stream = `${ns}-idem`;
    const ids = [randomUUID(), randomUUID()];
    const batch = [event('A', { x: 1 }, 0, ids[0]), event('B', { x: 2 }, 0, ids[1])];
    const first = await store.append(stream, batch, 'no_stream');
    const again = await store.append(stream, batch, 'no_stream');
    t.equal(again.written, false, 'a retry writes nothing');
    t.equal(again.revision, first.revision);
    t.equal(again.position, first.position);
    t.equal((await store.readStream(stream)).length, 2);
    await store.append(stream, [event('C', { x: 3 })]);
    const late = await store.append(stream, batch, 'any');
    t.equal(late.written, false, 'a retry after later events is still a retry: nothing written');
    t.equal(late.position, first.position, 'and it answers as the original did');
    t.equal((await store.readStream(stream)).length, 3);
    const upper = randomUUID().toUpperCase();
    const once = await store.append(`${ns}-upper`, [event('A', { x: 1 }, 0, upper)], 'no_stream');
    const twice = await store.append(`${ns}-upper`, [event('A', { x: 1 }, 0, upper)], 'no_stream');
    t.equal(twice.written, false, 'an id is the same id whatever its case (EventStoreDB prints Guids lower-case)');
    t.equal(twice.position, once.position);
    if (!store.guarantees.globalEventIds) return;
    await t.rejects(
      store.append(`${ns}-other`, [event('A', { x: 1 }, 0, ids[0])]),
      IdempotencyError,
      'an id reused in another stream is refused, not dropped',
    );
    t.same(await store.readStream(`${ns}-other`), []);
  });

  t.test('readAll returns every stream interleaved in global order', async (t) => {
    const store = await open(t);
    const before = await store.headPosition();
    for (let i = 0; i < 30; i++) await store.append(`${ns}-g${i % 3}`, [event('G', { i })]);
    const all = mine(await store.readAll({ ...(before ? { after: before } : {}), max: 10_000 }));
    t.same(all.map((e) => (e.data as { i: number }).i), Array.from({ length: 30 }, (_, i) => i));
    for (let i = 1; i < all.length; i++) t.ok(all[i - 1]!.position < all[i]!.position);
    const page = await store.readAll({ after: all[9]!.position, max: 5 });
    t.same(mine(page).map((e) => (e.data as { i: number }).i), [10, 11, 12, 13, 14], 'after is exclusive');
  });

  t.test('a long read through the whole log, page by page while writers append: every event once, in order', async (t) => {
    const store = await open(t);
    const before = await store.headPosition();
    const appendMany = (w: number) =>
      Promise.all(Array.from({ length: 30 }, (_, i) => store.append(`${ns}-bulk-${w}-${i}`, Array.from({ length: 25 }, (_, k) => event('Bulk', { w, i, k, 名: '沿县道X412往北 😀' })))));
    await Promise.all([appendMany(0), appendMany(1), appendMany(2)]);
    const writers = Promise.all([appendMany(3), appendMany(4)]);
    const seen: RecordedEvent[] = [];
    let after = before;
    for (;;) {
      const page = await store.readAll({ ...(after ? { after } : {}), max: 500 });
      if (page.length === 0) break;
      seen.push(...page);
      after = page[page.length - 1]!.position;
    }
    await writers;
    for (;;) {
      const page = await store.readAll({ ...(after ? { after } : {}), max: 500 });
      if (page.length === 0) break;
      seen.push(...page);
      after = page[page.length - 1]!.position;
    }
    const ours = mine(seen);
    t.equal(ours.length, 5 * 30 * 25, 'every event');
    t.equal(new Set(ours.map((e) => e.id)).size, ours.length, 'none twice');
    t.ok(seen.every((e, i) => i === 0 || seen[i - 1]!.position < e.position), 'in log order');
    const sample = ours.find((e) => e.type === 'Bulk')!;
    t.equal((sample.data as { 名: string }).名, '沿县道X412往北 😀');
    t.equal(verifyStreamChain(sample.stream, ours.filter((e) => e.stream === sample.stream)), undefined, 'chains intact');
  });

  t.test('subscribe from a checkpoint: no gap, no duplicate while writers append', async (t) => {
    const store = await open(t);
    await store.append(`${ns}-sub`, [event('Before', { i: -1 })]);
    const checkpoint = await store.headPosition();
    const seen: RecordedEvent[] = [];
    const subscription = store.subscribe({
      ...(checkpoint ? { after: checkpoint } : {}),
      batchSize: 7,
      onEvents: (events) => {
        seen.push(...mine(events));
      },
    });
    const writers = Array.from({ length: 5 }, async (_, w) => {
      for (let i = 0; i < 40; i++) await store.append(`${ns}-sub-${w}`, [event('Live', { w, i })]);
    });
    await Promise.all(writers);
    const head = (await store.headPosition())!;
    t.ok(await subscription.waitFor(head, 10_000), 'subscription catches up');
    await subscription.close();
    t.equal(seen.length, 200);
    t.equal(new Set(seen.map((e) => e.id)).size, 200, 'no duplicates');
    for (let i = 1; i < seen.length; i++) t.ok(seen[i - 1]!.position < seen[i]!.position);
    const fromLog = mine(await store.readAll({ after: checkpoint!, max: 10_000 }));
    t.same(seen.map((e) => e.id), fromLog.map((e) => e.id), 'exactly the log, in order');
    t.equal(subscription.checkpoint, head);
  });

  t.test('events up to the store\'s append limit round-trip; a larger append is refused whole', async (t) => {
    const store = await open(t);
    const limit = store.guarantees.maxAppendBytes;
    const size = Math.min(1024 * 1024, limit - 64);
    const big = 'x'.repeat(size);
    await store.append(`${ns}-big`, [event('Big', { big })]);
    const [read] = await store.readStream(`${ns}-big`);
    t.equal((read!.data as { big: string }).big.length, big.length);
    t.equal(verifyStreamChain(`${ns}-big`, [read!]), undefined);
    if (!Number.isFinite(limit)) return;
    const over = [event('Half', { half: 'y'.repeat(limit / 2) }), event('Half', { half: 'y'.repeat(limit / 2) })];
    const refused = await store.append(`${ns}-big`, over).catch((e: unknown) => e);
    t.ok(refused instanceof EventTooLargeError, 'typed, so the caller answers 413, not 500');
    t.equal((await store.readStream(`${ns}-big`)).length, 1, 'nothing of it written');
  });

  t.test('Chinese text round-trips byte-exact', async (t) => {
    const store = await open(t);
    const text = '康县 王坝镇 李家村：山体滑坡（泥石流）— 张*明 𠀀 😀 \u0000 "quoted" \\ end';
    await store.append(`${ns}-zh`, [event('Zh', { text, 名称: '民政办' })]);
    const [read] = await store.readStream(`${ns}-zh`);
    const data = read!.data as { text: string; 名称: string };
    t.ok(Buffer.from(data.text, 'utf8').equals(Buffer.from(text, 'utf8')));
    t.equal(data.名称, '民政办');
  });

  t.test('every event carries a hash chain that verifies', async (t) => {
    const store = await open(t);
    const stream = `${ns}-chain`;
    await store.append(stream, [event('A', { a: 1 }, 1)]);
    await store.append(stream, [event('B', { b: 2 }, 2), event('C', { c: 3 }, 3)]);
    const read = await store.readStream(stream);
    t.equal(read[0]!.metadata.prevHash, GENESIS_HASH);
    t.equal(read[1]!.metadata.prevHash, read[0]!.metadata.hash);
    t.match(read[2]!.metadata.hash, /^[0-9a-f]{64}$/);
    t.equal(verifyStreamChain(stream, read), undefined);
    const edited = read.map((e, i) => (i === 1 ? { ...e, data: { b: 3 } } : e));
    t.match(verifyStreamChain(stream, edited), { revision: 1, reason: 'hash_mismatch' });
    const dropped = [read[0]!, read[2]!];
    t.match(verifyStreamChain(stream, dropped), { revision: 2, reason: 'revision_gap' });
  });
}
