import t from 'tap';
import { loadConfig } from '../../infra/config.js';
import { createLogger } from '../../infra/logging.js';
import { LIJIA, WANGBA, reportBody, startTestApp } from '../support/app.js';
import { testDir } from '../support/dirs.js';

/**
 * Observability (issue; SPEC §11): logs are pino JSON lines, each request's lines carry its
 * request id, and what a client sends — a token in the URL, an Authorization header, an ID-card
 * number in a body — never reaches a line. (tests/api/credentials.test.ts walks the routes that
 * echo what they refuse; this is the shape of the log itself.)
 */

const ID_NUMBER = '110105194912310021';

t.test('pino JSON lines with reqId; no token, Authorization header, secret or ID number in any line', async (t) => {
  const lines: string[] = [];
  const dataDir = testDir(t);
  const secret = loadConfig({ DATA_DIR: dataDir }).authSecret;
  const logger = createLogger('debug', { secrets: [secret], destination: { write: (line: string) => lines.push(line) } });
  const app = await startTestApp(t, { dataDir, logger });
  const contact = app.token('contact', LIJIA);
  const officer = app.token('officer', WANGBA);

  const filed = await app.app.inject({
    method: 'POST',
    url: `/reports?token=${officer}`,
    headers: { authorization: `Bearer ${contact}`, 'content-type': 'application/json', 'x-request-id': 'ops-log-1' },
    payload: JSON.stringify(reportBody({ notes: `户主 张三 身份证 ${ID_NUMBER}` })),
  });
  t.equal(filed.statusCode, 201, filed.body);
  t.equal(filed.headers['x-request-id'], 'ops-log-1', 'the client\u2019s request id is answered back');
  // Refused: a refusal's message is where a value sent is most likely to be repeated.
  const refused = await app.app.inject({
    method: 'POST',
    url: '/reports',
    headers: { authorization: `Bearer ${contact}`, 'content-type': 'application/json', 'x-request-id': 'ops-log-2' },
    payload: JSON.stringify(reportBody({ village: ID_NUMBER, notes: ID_NUMBER })),
  });
  t.equal(refused.statusCode, 400);
  const unknown = await app.app.inject({ method: 'GET', url: `/reports/${ID_NUMBER}`, headers: { authorization: `Bearer ${officer}` } });
  t.equal(unknown.statusCode, 400);
  const generated = unknown.headers['x-request-id'];
  t.ok(typeof generated === 'string' && generated.length > 0, 'a request without an id is given one');

  t.ok(lines.length >= 6, `${lines.length} lines`);
  const records = lines.map((line) => JSON.parse(line) as Record<string, unknown>);
  for (const record of records) {
    t.equal(typeof record.level, 'number', 'pino level');
    t.equal(typeof record.time, 'string', 'ISO time');
    t.equal(typeof record.msg, 'string', 'a message');
  }
  const requestLines = records.filter((r) => r.req !== undefined || r.res !== undefined || r.responseTime !== undefined);
  t.ok(requestLines.length >= 6, 'incoming request and request completed, for each request');
  for (const r of requestLines) t.ok(typeof r.reqId === 'string' && r.reqId.length > 0, `${String(r.msg)}: carries reqId`);
  t.ok(records.some((r) => r.reqId === 'ops-log-1' && r.msg === 'incoming request'), 'the given id is the reqId');
  t.ok(records.some((r) => r.reqId === 'ops-log-2' && r.msg === 'request completed'), 'on the answer too');
  t.ok(records.some((r) => r.reqId === generated), 'and the generated one');

  const log = lines.join('');
  for (const token of [officer, contact]) {
    t.notOk(log.includes(token), 'no token');
    t.notOk(log.includes(token.split('.')[2]!), 'not even its signature');
  }
  t.notMatch(log, /eyJ[\w-]+\.[\w-]+\.[\w-]+/, 'nothing shaped like a token');
  t.notMatch(log, /"authorization"\s*:\s*"Bearer [^[]/i, 'no Authorization header value');
  t.notOk(log.includes(secret), 'no secret');
  t.notOk(log.includes(ID_NUMBER) || log.includes(ID_NUMBER.slice(0, 17)), 'no ID number');
  t.match(log, /"url":"\/reports\?token=\[redacted\]"/, 'the URL is logged, with its token taken out');
});
