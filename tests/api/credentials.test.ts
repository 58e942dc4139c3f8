import { spawnSync } from 'node:child_process';
import { statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import t from 'tap';
import { ConfigError, loadConfig } from '../../infra/config.js';
import { createLogger, scrub } from '../../infra/logging.js';
import { LIJIA, WANGBA, allocationBody, reportBody, startTestApp, verificationBody } from '../support/app.js';
import { childEnv, childExecArgv } from '../support/child-env.js';
import { AlertClient } from '../support/ws-client.js';
import { testDir } from '../support/dirs.js';

/** Issue 9 H: credentials stay out of URLs and logs; the secret and the data are kept tight. */

const ID_NUMBER = '11010519491231002X';
const JWT_SHAPE = /eyJ[\w-]+\.[\w-]+\.[\w-]+/;

t.test('a token in the URL works only on the WebSocket upgrade, and no log line holds a token, a secret or an ID number', async (t) => {
  const lines: string[] = [];
  const dataDir = testDir(t);
  const secret = loadConfig({ DATA_DIR: dataDir }).authSecret;
  const logger = createLogger('debug', { secrets: [secret], destination: { write: (line: string) => lines.push(line) } });
  const app = await startTestApp(t, { dataDir, logger, alerting: true });
  const officer = app.token('officer', WANGBA, 'officer-wangba-1');
  const contact = app.token('contact', LIJIA);

  const filed = await app.call('POST', '/reports', { token: contact, body: reportBody({ notes: `户主身份证 ${ID_NUMBER}`, reporter: { name: '王建国', phone: '13800000000' } }) });
  const { reportId } = filed.json();
  const inQuery = await app.app.inject({ method: 'GET', url: `/reports/${reportId}?token=${officer}` });
  t.equal(inQuery.statusCode, 401, '?token= is not taken on an ordinary route');
  t.equal((await app.app.inject({ method: 'GET', url: `/reports/${ID_NUMBER}`, headers: { authorization: `Bearer ${officer}` } })).statusCode, 400);
  // A household numbered by the head of household's ID number: the refusal's message names it.
  await app.call('POST', `/reports/${reportId}/verifications`, { token: officer, body: verificationBody({ households: [{ householdId: ID_NUMBER, name: '张三', damage: 'collapsed', people: 3 }] }) });
  const refused = await app.call('POST', '/allocations', { token: officer, body: allocationBody(reportId, { household: { id: `${ID_NUMBER.slice(0, -1)}9`, name: '李四' } }) });
  t.equal(refused.statusCode, 422);
  await app.call('GET', '/alerts/open', { token: 'eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJ4In0.garbage-signature-here' });

  const url = await app.app.listen({ port: 0, host: '127.0.0.1' });
  const ws = await AlertClient.connect(url, officer, 'query');
  t.equal((await ws.next((f) => f.type === 'hello')).type, 'hello', '?token= is taken on the WebSocket upgrade');
  ws.close();
  await ws.closed;
  // The pages' way: the token as a subprotocol, never in a URL; the server agrees to `zhitong` only.
  const viaProtocol = await AlertClient.connect(url, officer, 'protocol');
  t.equal((await viaProtocol.next((f) => f.type === 'hello')).type, 'hello', 'a bearer.<token> subprotocol is taken on the upgrade');
  t.equal(viaProtocol.socket.protocol, 'zhitong', 'the server answers with zhitong, never echoing the token');
  viaProtocol.close();
  await viaProtocol.closed;
  await t.rejects(AlertClient.connect(url, `${officer}x`, 'protocol'), /401/, 'a bad token as a subprotocol is refused like any other');
  await app.close();

  const log = lines.join('');
  t.ok(lines.length > 10, `${lines.length} log lines written`);
  t.notMatch(log, JWT_SHAPE, 'no token');
  t.notOk(log.includes(officer.split('.')[2]!), 'not even a token\u2019s signature');
  t.notOk(log.includes(secret), 'no secret');
  t.notOk(log.includes(ID_NUMBER) || log.includes(ID_NUMBER.slice(0, 17)), 'no ID number');
  t.match(log, /token=\[redacted\]/, 'the upgrade URL is logged with its token taken out');
});

t.test('scrub: what it takes out and what it leaves', async (t) => {
  t.equal(scrub('{"url":"/alerts/ws?token=abc.def.ghi&x=1"}'), '{"url":"/alerts/ws?token=[redacted]&x=1"}');
  t.equal(scrub('authorization: Bearer abcdef'), 'authorization: Bearer [redacted]');
  t.equal(scrub(`id ${ID_NUMBER} and 110105194912310021`), 'id [id-number] and [id-number]');
  t.equal(scrub('old form 110105491231002'), 'old form [id-number]');
  t.equal(scrub('{"responseTime":5.289583000000001}'), '{"responseTime":5.289583000000001}', 'a duration\u2019s decimals are not an ID number');
  t.equal(scrub('身份证号：110105194912310021。'), '身份证号：[id-number]。', 'one at the end of a sentence still is');
  t.equal(scrub('the secret is s3cr3t-value-long', ['s3cr3t-value-long']), 'the secret is [secret]');
  const kept = '{"position":"0000000000000189","village":"621299103201","phone":"13800000000","at":1796035818823}';
  t.equal(scrub(kept), kept, 'positions, unit codes, phones and times are not ID numbers');
});

t.test('the secret file is checked like AUTH_SECRET; the data directory and the database are private', async (t) => {
  for (const [label, content] of [['a 3-byte secret', 'abc\n'], ['an empty file', '']] as const) {
    const dir = testDir(t);
    writeFileSync(join(dir, 'auth-secret'), content);
    t.throws(() => loadConfig({ DATA_DIR: dir }), ConfigError, label);
    const res = spawnSync(process.execPath, [...childExecArgv(), join(import.meta.dirname, '../../services/main.ts')], {
      env: childEnv({ DATA_DIR: dir, PORT: '0', AUTH_SECRET: '' }),
      encoding: 'utf8',
    });
    t.equal(res.status, 78, `${label}: the server refuses to start, with the configuration exit code`);
    t.match(res.stderr, /auth-secret: the token secret must be at least 32 characters/);
    t.notMatch(res.stderr, /\n\s+at /, 'one clear line, no stack trace');
  }
  const dataDir = join(testDir(t), 'fresh');
  const app = await startTestApp(t, { dataDir });
  await app.call('POST', '/reports', { token: app.token('contact', LIJIA), body: reportBody() });
  t.equal(statSync(dataDir).mode & 0o777, 0o700, 'DATA_DIR is 0700');
  for (const file of ['events.sqlite', 'events.sqlite-wal', 'auth-secret']) t.equal(statSync(join(dataDir, file)).mode & 0o777, 0o600, `${file} is 0600`);
});
