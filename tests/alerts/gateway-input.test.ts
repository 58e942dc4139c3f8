import t, { type Test } from 'tap';
import { randomUUID } from 'node:crypto';
import { LIJIA, NIANBA, WANGBA, ZHUJIAGOU, reportBody, startTestApp, type TestApp } from '../support/app.js';
import { AlertClient, type Frame } from '../support/ws-client.js';

/**
 * Issue 9 A: a socket never goes silent. Every client message the gateway cannot place is
 * answered with an `error` frame and the socket stays useful: it still answers ping and still
 * gets new alerts.
 */
async function listening(t: Test, options: Parameters<typeof startTestApp>[1] = {}): Promise<{ app: TestApp; url: string }> {
  const app = await startTestApp(t, { alerting: true, escalationDelayMs: 600_000, ...options });
  const url = await app.app.listen({ port: 0, host: '127.0.0.1' });
  return { app, url };
}

const fileReport = async (app: TestApp, village = LIJIA) => {
  const r = await app.call('POST', '/reports', { token: app.token('contact', village), body: reportBody({ village }) });
  if (r.statusCode !== 201) throw new Error(r.body);
  return r.json() as { reportId: string; position: string };
};

/** The alert frame for a report, once the escalator has raised it. */
const alertPosition = async (client: AlertClient, reportId: string) => (await client.next((f) => f.type === 'alert' && f.reportId === reportId)).position!;

t.test('resume with a position written without its zero padding is honoured: every alert after it, then live', async (t) => {
  const { app, url } = await listening(t);
  const token = app.token('officer', WANGBA, 'officer-wangba-1');
  const watcher = await AlertClient.connect(url, token);
  t.teardown(() => watcher.close());
  watcher.send({ type: 'resume', after: '' });
  const first = await fileReport(app);
  const firstAlert = await alertPosition(watcher, first.reportId);
  const second = await fileReport(app);
  await alertPosition(watcher, second.reportId);

  const client = await AlertClient.connect(url, token);
  t.teardown(() => client.close());
  await client.next((f) => f.type === 'hello');
  const unpadded = String(Number(firstAlert)); // "0000000000000019" → "19"
  t.not(unpadded, firstAlert, 'the position really is written differently');
  client.send({ type: 'resume', after: unpadded });
  const caughtUp = await client.next((f) => f.type === 'alert');
  t.equal(caughtUp.reportId, second.reportId, 'the alert after that position comes first');
  t.notOk(client.frames.some((f) => f.type === 'error'), 'no error: the position was understood');
  const third = await fileReport(app);
  t.equal((await client.next((f) => f.type === 'alert' && f.reportId === third.reportId)).reportId, third.reportId, 'then live');
  t.notOk(client.alerts().some((f) => f.reportId === first.reportId), 'nothing at or before the position');
});

for (const [label, after] of [
  ['a position the store cannot read', 'abc'],
  ['a well-formed position beyond the head', '999999999'],
  ['a negative number', '-5'],
  ['a position of the other store kind', '12/12'],
] as const) {
  t.test(`resume with ${label}: error bad_position, then live from hello`, async (t) => {
    const { app, url } = await listening(t);
    const client = await AlertClient.connect(url, app.token('officer', WANGBA, 'officer-wangba-1'));
    t.teardown(() => client.close());
    const hello = await client.next((f) => f.type === 'hello');
    client.send({ type: 'resume', after });
    const error = await client.next((f) => f.type === 'error');
    t.match(error, { code: 'bad_position', position: hello.position });
    const { reportId } = await fileReport(app);
    t.equal((await client.next((f) => f.type === 'alert' && f.reportId === reportId)).reportId, reportId, 'the socket is live: a new alert arrives');
    await client.roundTrip();
  });
}

t.test('sweep: every message type given bad values is answered, and the socket stays on duty', async (t) => {
  const { app, url } = await listening(t);
  const client = await AlertClient.connect(url, app.token('officer', WANGBA, 'officer-wangba-1'));
  t.teardown(() => client.close());
  await client.next((f) => f.type === 'hello');
  const elsewhere = await fileReport(app, ZHUJIAGOU); // another township: outside this officer's scope

  const cases: Array<[string, string | Buffer, string]> = [
    ['not JSON', 'not json', 'bad_message'],
    ['JSON that is not an object', '[1,2]', 'bad_message'],
    ['null', 'null', 'bad_message'],
    ['no type', '{}', 'bad_message'],
    ['an unknown type', '{"type":"subscribe"}', 'bad_message'],
    ['binary', Buffer.from([0xde, 0xad]), 'bad_message'],
    ['resume without after', '{"type":"resume"}', 'bad_message'],
    ['resume with a negative number', '{"type":"resume","after":-5}', 'bad_message'],
    ['resume with a fraction', '{"type":"resume","after":1.5}', 'bad_message'],
    ['resume with null', '{"type":"resume","after":null}', 'bad_message'],
    ['resume with a lone surrogate', '{"type":"resume","after":"\\ud800"}', 'bad_message'],
    ['resume with an overlong position', JSON.stringify({ type: 'resume', after: '9'.repeat(100) }), 'bad_message'],
    ['ack without a report', '{"type":"ack"}', 'bad_message'],
    ['ack of a non-UUID', '{"type":"ack","reportId":"x"}', 'bad_message'],
    ['ack of an unknown report', JSON.stringify({ type: 'ack', reportId: randomUUID() }), 'not_found'],
    ['ack of a report outside scope', JSON.stringify({ type: 'ack', reportId: elsewhere.reportId }), 'not_found'],
    ['ping with an unknown field', '{"type":"ping","x":1}', 'bad_message'],
    ['a control character', '{"type":"ping\\u0001"}', 'bad_message'],
  ];
  for (const [label, message, code] of cases) {
    const before = client.frames.length;
    client.socket.send(message, { binary: Buffer.isBuffer(message) });
    const answer: Frame = await client.next((f) => f.type === 'error' && client.frames.indexOf(f) >= before);
    t.equal(answer.code, code, label);
    // Read by a Chinese officer (SPEC §9): the field's name may be English, what is wrong with it is not.
    t.notMatch(answer.detail, /Invalid|expected |received [a-z]|Unrecognized|JSON text|not JSON|lone|control|no such/, `${label}: said in Chinese (${answer.detail})`);
  }
  // Resume once, then again: the second is answered too.
  client.send({ type: 'resume', after: '' });
  client.send({ type: 'resume', after: '' });
  t.match(await client.next((f) => f.type === 'error' && f.code === 'already_live'), { code: 'already_live' }, 'a second resume');

  await client.roundTrip();
  const { reportId } = await fileReport(app);
  t.equal((await client.next((f) => f.type === 'alert' && f.reportId === reportId)).reportId, reportId, 'after all that, alerts still arrive');
  t.equal(client.socket.readyState, client.socket.OPEN);
  t.notOk(client.alerts().some((f) => f.reportId === elsewhere.reportId), 'and never one from outside scope');
});

t.test('resume with the position as a JSON number is the same position (SPEC §5: a readable position is honoured)', async (t) => {
  const { app, url } = await listening(t);
  const first = await fileReport(app);
  const second = await fileReport(app);
  await app.runner.caughtUp();
  const client = await AlertClient.connect(url, app.token('officer', WANGBA, 'officer-wangba-1'));
  t.teardown(() => client.close());
  await client.next((f) => f.type === 'hello');
  client.send({ type: 'resume', after: Number(first.position) });
  await client.next((f) => f.type === 'alert' && f.reportId === second.reportId);
  await client.roundTrip();
  t.same(client.alerts().map((f) => f.reportId), [second.reportId], 'what came after it, and only that');
  t.notOk(client.frames.some((f) => f.type === 'error'), 'no error');
});

t.test('an officer acknowledging again over the socket is answered, and nothing more is written', async (t) => {
  const { app, url } = await listening(t);
  const client = await AlertClient.connect(url, app.token('officer', WANGBA, 'officer-wangba-1'));
  t.teardown(() => client.close());
  await client.next((f) => f.type === 'hello');
  client.send({ type: 'resume', after: '' });
  const { reportId } = await fileReport(app);
  await client.next((f) => f.type === 'alert' && f.reportId === reportId);
  client.send({ type: 'ack', reportId });
  await client.next((f) => f.type === 'acknowledged' && f.reportId === reportId);
  const size = (await app.store.readStream(`report-${reportId}`)).length;
  const before = client.frames.length;
  client.send({ type: 'ack', reportId });
  const again = await client.next((f) => f.type === 'acknowledged' && f.reportId === reportId && client.frames.indexOf(f) >= before);
  t.match(again, { type: 'acknowledged', reportId, by: 'officer-wangba-1', already: true }, 'the repeat is answered: the phone is not left waiting');
  t.equal((await app.store.readStream(`report-${reportId}`)).length, size, 'and nothing was written');
});

t.test('the session ends at the token\u2019s exp: no alert after it, messages refused, the socket closed', async (t) => {
  let clock = Date.now();
  const { app, url } = await listening(t, { now: () => new Date(clock), gateway: { heartbeatMs: 60_000 } });
  const token = app.tokens.issue({ sub: 'officer-wangba-1', role: 'officer', scope: WANGBA }, 600);
  const client = await AlertClient.connect(url, token);
  await client.next((f) => f.type === 'hello');
  client.send({ type: 'resume', after: '' });
  await client.roundTrip();

  // The server's clock passes the token's exp, counted from now: starting the node on a loaded
  // machine can take more than the second the token's 600 s were given over the test's start.
  clock = Date.now() + 601_000;
  const { reportId } = await fileReport(app);
  client.send({ type: 'ack', reportId });
  const error = await client.next((f) => f.type === 'error');
  t.equal(error.code, 'token_expired');
  t.equal(await client.closed, 1008, 'closed: policy violation, come back with a new token');
  t.notOk(client.alerts().some((f) => f.reportId === reportId), 'no alert went out on an expired session');
  const acks = (await app.store.readStream(`report-${reportId}`)).filter((e) => e.type === 'AlertAcknowledged');
  t.same(acks, [], 'and an expired token acknowledged nothing');
});

t.test('an officer of another township hears nothing, even when resuming from the start', async (t) => {
  const { app, url } = await listening(t);
  const other = await AlertClient.connect(url, app.token('officer', NIANBA, 'officer-nianba-1'));
  t.teardown(() => other.close());
  await other.next((f) => f.type === 'hello');
  other.send({ type: 'resume', after: '0' });
  const { reportId } = await fileReport(app);
  await app.runner.caughtUp();
  await other.roundTrip();
  t.notOk(other.alerts().some((f) => f.reportId === reportId));
});
