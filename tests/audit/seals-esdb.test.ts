import t from 'tap';
import { LogVerifier } from '../../infra/audit/verify.js';
import { EsdbEventStore } from '../../infra/eventstore/esdb.js';
import { logPages } from '../../infra/eventstore/pages.js';
import { createLogger } from '../../infra/logging.js';
import { streams } from '../../domain/events.js';
import { Sealer } from '../../services/audit/sealer.js';
import { EsdbTestNode } from '../support/esdb-server.js';

/**
 * Seals on EventStoreDB (issue 17; SPEC §8): a seal names every head that changed since the last
 * one, and the server refuses an append over MaxAppendSize. A first seal of a log with many
 * streams is written as consecutive seals that each fit, and the log verifies.
 */
t.test('more changed streams than one append takes: consecutive seals, each under the limit, and the log verifies', async (t) => {
  const node = new EsdbTestNode({ maxAppendSize: 16 * 1024 });
  await node.start();
  t.teardown(() => node.stop());
  const store = new EsdbEventStore(node.url, { maxAppendBytes: 16 * 1024, retryBaseMs: 5 });
  t.teardown(() => store.close());
  node.log.appendSystem(40);
  for (let i = 0; i < 400; i++) {
    await store.append(`incident-${String(i).padStart(8, '0')}-0000-4000-8000-000000000000`, [
      { type: 'Note', data: { i }, metadata: { actor: { id: 'u-test', role: 'officer' }, at: '2026-07-01T00:00:00.000Z', correlationId: `c-${i}`, schemaVersion: 1 } },
    ]);
  }
  const outcome = await new Sealer(store, createLogger('silent')).seal();
  t.equal(outcome.written, true);
  const seals = await store.readStream(streams.audit);
  t.ok(seals.length > 1, `${seals.length} seals`);
  t.ok(seals.every((s) => Buffer.byteLength(JSON.stringify(s.data)) <= 16 * 1024), 'each within the server\'s limit');
  const last = seals.at(-1)!.data as { streams: number; upTo: string };
  t.equal(last.streams, 400, 'the last one\'s root covers every stream');
  const verifier = new LogVerifier({ seals, contiguous: false });
  for await (const page of logPages(store)) for (const event of page) verifier.add(event);
  const report = verifier.finish();
  t.equal(report.ok, true, JSON.stringify(report.problems.slice(0, 3)));
  t.same(report.unsealed, { events: 0, streams: 0 }, 'everything sealed');
  t.equal((await new Sealer(store, createLogger('silent')).seal()).reason, 'nothing_changed');
});
