import t from 'tap';
import { WebSocket } from 'ws';
import { heartbeatSlots } from '../../services/alerts/gateway.js';
import { WANGBA, startTestApp } from '../support/app.js';
import { AlertClient } from '../support/ws-client.js';

/**
 * The heartbeat pings every socket once a round and closes one that did not answer the last
 * ping, a slot of the sockets per tick: pinging 5,000 sockets in one turn of the event loop held
 * it ~100 ms every round, and the alerts due then waited (docs/decisions.md, "Session 30").
 */
t.test('a round of 30 s is thirty ticks a second apart; a short round is one tick', async (t) => {
  t.equal(heartbeatSlots(30_000), 30);
  t.equal(heartbeatSlots(120_000), 30, 'never more than thirty slots');
  t.equal(heartbeatSlots(2_000), 2);
  t.equal(heartbeatSlots(50), 1);
});

t.test('two sockets are pinged on different ticks; one that never answers is closed, the other stays', async (t) => {
  const app = await startTestApp(t, { alerting: true, escalationDelayMs: 600_000, gateway: { heartbeatMs: 2_000 } });
  const url = await app.app.listen({ port: 0, host: '127.0.0.1' });
  const token = app.token('officer', WANGBA, 'officer-wangba-1');
  const answering = await AlertClient.connect(url, token);
  t.teardown(() => answering.close());
  const pings = { answering: [] as number[], silent: [] as number[] };
  answering.socket.on('ping', () => pings.answering.push(performance.now()));
  // A phone that went out of coverage: the socket is open, nothing answers.
  const silent = new AlertClient(new WebSocket(`${url.replace(/^http/, 'ws')}/alerts/ws`, { headers: { authorization: `Bearer ${token}` }, autoPong: false }));
  await silent.opened;
  silent.socket.on('ping', () => pings.silent.push(performance.now()));

  t.equal(await silent.closed, 1006, 'the silent socket is terminated at its next turn after an unanswered ping');
  t.equal(pings.silent.length, 1, 'after exactly one unanswered ping');
  t.equal(answering.socket.readyState, WebSocket.OPEN, 'the answering socket stays');
  t.ok(pings.answering.length >= 1, 'and was pinged too');
  // Ticks are a second apart (2 s round, 2 slots); pinged in one sweep, both would be within milliseconds.
  t.ok(Math.abs(pings.silent[0]! - pings.answering[0]!) >= 500, `pinged on different ticks (${Math.round(Math.abs(pings.silent[0]! - pings.answering[0]!))} ms apart)`);
});
