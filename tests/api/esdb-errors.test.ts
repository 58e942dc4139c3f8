import t from 'tap';
import { EsdbEventStore } from '../../infra/eventstore/esdb.js';
import { LIJIA, reportBody, startTestApp } from '../support/app.js';
import { EsdbTestNode } from '../support/esdb-server.js';

/**
 * What the city store's failures look like to a phone (issue 17): typed, in Chinese, never a 500,
 * and nothing half written.
 */
t.test('an election that does not end, and a write over the append limit: 503 and 413 in Chinese, nothing written', async (t) => {
  const node = new EsdbTestNode({ maxAppendSize: 4096 });
  await node.start();
  t.teardown(() => node.stop());
  const app = await startTestApp(t, { store: () => new EsdbEventStore(node.url, { maxAppendBytes: 4096, retryBaseMs: 1, transientRetries: 3 }) });
  const contact = app.token('contact', LIJIA);
  const before = await app.logSize();

  node.failAppends('not_ready', 4); // the first try and its three retries
  const down = await app.call('POST', '/reports', { token: contact, body: reportBody() });
  t.equal(down.statusCode, 503);
  t.equal(down.json().error, 'store_unavailable');
  t.match(down.json().message, /稍后重试/);
  t.equal(down.headers['retry-after'], '1');

  const big = await app.call('POST', '/reports', { token: contact, body: reportBody({ notes: '山体滑坡'.repeat(490), directions: '沿县道X412往北'.repeat(40) }) });
  t.equal(big.statusCode, 413, big.body);
  t.equal(big.json().error, 'event_too_large');
  t.match(big.json().message, /太大/);
  t.equal(await app.logSize(), before, 'nothing written by either');
});
