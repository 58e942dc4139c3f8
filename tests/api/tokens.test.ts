import { randomUUID } from 'node:crypto';
import { join } from 'node:path';
import t from 'tap';
import { createSigner } from 'fast-jwt';
import { Writable } from 'node:stream';
import { createLogger } from '../../infra/logging.js';
import { loadConfig } from '../../infra/config.js';
import { accessDecider, DEFAULT_TTL_SECONDS } from '../../domain/access.js';
import { streams } from '../../domain/events.js';
import { SqliteEventStore } from '../../infra/eventstore/sqlite.js';
import { execute } from '../../services/commands/execute.js';
import { HEJIAGOU, KANG, LIJIA, NIANBA, WANGBA, ZHUJIAGOU, startTestApp, type TestApp } from '../support/app.js';
import { AlertClient } from '../support/ws-client.js';

/** Issue 12: access as an office runs it — lifetimes by role, issued over HTTP, recorded, listed, revoked. */

interface Issued {
  sub: string;
  scope: string;
  jti: string;
  exp: string;
  expLocal: string;
  issuedAt: string;
  token: string;
}

const NOW = Date.parse('2026-07-01T04:00:00.000Z');

async function issue(app: TestApp, admin: string, tokens: unknown[], headers: Record<string, string> = {}) {
  const res = await app.call('POST', '/tokens', { token: admin, body: { tokens }, headers });
  return { res, issued: res.statusCode === 201 ? (res.json().tokens as Issued[]) : [] };
}

t.test('POST /tokens: several at once, lifetimes by role, each recorded as AccessGranted and never the token', async (t) => {
  const lines: string[] = [];
  const logger = createLogger('debug', { destination: new Writable({ write: (chunk, _e, cb) => (lines.push(String(chunk)), cb()) }) });
  const app = await startTestApp(t, { now: () => new Date(NOW), logger });
  const admin = app.token('admin', KANG, 'admin-zhang');
  const { res, issued } = await issue(app, admin, [
    { sub: 'contact-lijia-1', role: 'contact', scope: LIJIA },
    { sub: 'contact-hejiagou-1', role: 'contact', scope: HEJIAGOU },
    { sub: 'officer-new', role: 'officer', scope: WANGBA },
    { sub: 'auditor-wu', role: 'auditor', scope: KANG },
    { sub: 'admin-li', role: 'admin', scope: KANG },
    { sub: 'contact-short', role: 'contact', scope: LIJIA, ttlSeconds: 3600 },
  ]);
  t.equal(res.statusCode, 201, res.body);
  const days = (i: Issued) => (Date.parse(i.exp) - NOW) / 86_400_000;
  t.same(issued.map(days), [180, 180, 30, 7, 1, 1 / 24], 'contact 180 days, staff 30, auditors 7, admins 1; ttlSeconds overrides');
  t.same(
    DEFAULT_TTL_SECONDS,
    { contact: 180 * 86400, officer: 30 * 86400, head: 30 * 86400, auditor: 7 * 86400, admin: 86400 },
    'the defaults are the table of SPEC §2',
  );
  t.equal(issued[0]!.expLocal, '2026-12-28T12:00:00+08:00', 'expiry also in Beijing time');
  t.equal(new Set(issued.map((i) => i.jti)).size, 6, 'each its own jti');
  const claims = app.tokens.verify(issued[0]!.token);
  t.match(claims, { sub: 'contact-lijia-1', role: 'contact', scope: LIJIA, jti: issued[0]!.jti, exp: Date.parse(issued[0]!.exp) / 1000 });

  const filed = await app.call('GET', `/units/${LIJIA}`, { token: issued[0]!.token });
  t.equal(filed.statusCode, 200, 'the issued token works');

  const log = await app.store.readAll({ max: 10_000 });
  const granted = log.filter((e) => e.type === 'AccessGranted');
  t.equal(granted.length, 6);
  t.match(granted[0], { stream: 'access', data: { sub: 'contact-lijia-1', role: 'contact', scope: LIJIA, jti: issued[0]!.jti, exp: issued[0]!.exp, issuedBy: 'admin-zhang' } });
  const everything = JSON.stringify(log) + lines.join('');
  for (const i of issued) t.notOk(everything.includes(i.token.split('.')[2]!), `no token in the log or a log line (${i.sub})`);
});

t.test('POST /tokens says which grants no alert would reach: an officer or head scoped to a village (found by a newcomer)', async (t) => {
  const app = await startTestApp(t, { now: () => new Date(NOW) });
  const admin = app.token('admin', KANG, 'admin-zhang');
  const { res } = await issue(app, admin, [
    { sub: 'officer-town', role: 'officer', scope: WANGBA },
    { sub: 'officer-village', role: 'officer', scope: LIJIA },
    { sub: 'contact-village', role: 'contact', scope: LIJIA },
  ]);
  t.equal(res.statusCode, 201, 'issued all the same: a warning, not a refusal');
  t.match(res.json().warnings, [{ field: 'tokens.1.scope', warning: 'staff_scope_is_a_village', message: /^值班干部和负责人的范围应是乡镇/ }]);
  t.equal(res.json().warnings.length, 1, 'the township officer and the village contact are as they should be');
  const english = (await issue(app, admin, [{ sub: 'head-village', role: 'head', scope: LIJIA }], { 'accept-language': 'en' })).res;
  t.match(english.json().warnings, [{ warning: 'staff_scope_is_a_village', message: /^staff are scoped to a township/ }]);
  const wide = (await issue(app, admin, [{ sub: 'contact-town', role: 'contact', scope: WANGBA }])).res;
  t.equal(wide.statusCode, 201);
  t.match(wide.json().warnings, [{ field: 'tokens.0.scope', warning: 'contact_scope_above_village', message: /^村联络员的范围应是他所在的村/ }], 'a contact for a whole township: said so');
});

t.test('POST /tokens is refused to anyone but an admin, outside the admin\u2019s scope, and for bad bodies — naming the field', async (t) => {
  const app = await startTestApp(t);
  const before = await app.logSize();
  const head = app.token('head', WANGBA, 'head-wangba');
  const townAdmin = app.token('admin', WANGBA, 'admin-wangba');
  t.equal((await issue(app, head, [{ sub: 'x', role: 'contact', scope: LIJIA }])).res.statusCode, 403, 'a head does not issue');
  const outside = (await issue(app, townAdmin, [{ sub: 'ok', role: 'contact', scope: LIJIA }, { sub: 'x', role: 'contact', scope: ZHUJIAGOU }])).res;
  t.equal(outside.statusCode, 403);
  t.match(outside.json().message, /tokens\.1\.scope/);
  const cases: Array<[unknown, RegExp]> = [
    [[{ sub: 'a@b', role: 'contact', scope: LIJIA }], /tokens\.0\.sub/],
    [[{ sub: 'a', role: 'mayor', scope: LIJIA }], /tokens\.0\.role/],
    [[{ sub: 'a', role: 'contact', scope: '62129910320' }], /tokens\.0\.scope/],
    [[{ sub: 'a', role: 'contact', scope: LIJIA, ttlSeconds: 0 }], /tokens\.0\.ttlSeconds/],
    [[{ sub: 'a', role: 'contact', scope: LIJIA, ttlSeconds: 400 * 86400 }], /tokens\.0\.ttlSeconds/],
    [[], /tokens/],
    [Array.from({ length: 1001 }, (_, i) => ({ sub: `c${i}`, role: 'contact', scope: LIJIA })), /tokens/],
  ];
  for (const [tokens, field] of cases) {
    const res = (await issue(app, townAdmin, tokens as unknown[])).res;
    t.equal(res.statusCode, 400, JSON.stringify(tokens).slice(0, 80));
    t.match(res.json(), { error: 'validation', message: field });
  }
  // A village code in Wangba that is not registered (found by a newcomer: 201, and every report the
  // contact filed was refused); and a prefix no registered unit lies within.
  for (const scope of ['621299103209', '621299108']) {
    const unregistered = (await issue(app, app.token('admin', KANG, 'admin-kang'), [{ sub: 'ok', role: 'contact', scope: LIJIA }, { sub: 'x', role: 'contact', scope }])).res;
    t.match([unregistered.statusCode, unregistered.json()], [422, { error: 'unit_not_found', message: new RegExp(`^行政区划 ${scope} 未登记`), details: { field: 'tokens.1.scope', code: scope } }], `${scope}: refused, naming the field`);
  }
  // A user id that reads as another's: an invisible character in it, or a lone accent (found by a newcomer).
  for (const sub of ['contact-lijia\u200b', '\u2060contact-lijia', '\u0301x']) {
    const invisible = (await issue(app, app.token('admin', KANG, 'admin-kang'), [{ sub, role: 'contact', scope: LIJIA }])).res;
    t.match([invisible.statusCode, invisible.json()], [422, { error: 'invalid_grant', message: /^用户编号只能由看得见的字符组成/, details: { field: 'tokens.0.sub' } }], JSON.stringify(sub));
  }
  // An id that looks like another's: a dash other than -, Latin mixed with Cyrillic or Greek (found by a newcomer).
  for (const sub of ['officer\u2010wangba\u20102', 'officer\u2013wangba', '\u043efficer-wangba-2', 'head-\u03bapa']) {
    const lookAlike = (await issue(app, app.token('admin', KANG, 'admin-kang'), [{ sub, role: 'head', scope: LIJIA }])).res;
    t.match([lookAlike.statusCode, lookAlike.json()], [422, { error: 'invalid_grant', message: /^用户编号里的连字符只能用普通的 -/, details: { field: 'tokens.0.sub' } }], JSON.stringify(sub));
  }
  t.equal((await issue(app, app.token('admin', KANG, 'admin-kang'), [{ sub: '王芳-1', role: 'contact', scope: LIJIA }])).res.statusCode, 201, 'Chinese and a plain hyphen: fine');
  // A lone accent and nothing else is no text at all, refused as any text field would be.
  const accent = (await issue(app, app.token('admin', KANG, 'admin-kang'), [{ sub: '\u0301', role: 'contact', scope: LIJIA }])).res;
  t.match([accent.statusCode, accent.json()], [400, { error: 'validation', details: [{ path: 'body.tokens.0.sub' }] }], 'a lone accent: no text');
  t.equal((await issue(app, app.token('admin', KANG, 'admin-kang'), [{ sub: 'county-wide', role: 'auditor', scope: '621299' }])).res.statusCode, 201, 'a prefix registered units lie within is a scope');
  t.equal(await app.logSize(), before + 2, 'nothing recorded for any refused');
});

t.test('a retried POST /tokens with its Idempotency-Key gets the same tokens, and the key stream holds none', async (t) => {
  const app = await startTestApp(t);
  const admin = app.token('admin', KANG, 'admin-zhang');
  const body = [{ sub: 'contact-lijia-9', role: 'contact', scope: LIJIA }];
  const first = await issue(app, admin, body, { 'idempotency-key': 'batch-2026-07-01' });
  const again = await issue(app, admin, body, { 'idempotency-key': 'batch-2026-07-01' });
  t.equal(again.res.headers['idempotent-replayed'], 'true');
  t.same(again.issued, first.issued, 'the same jti, expiry and token');
  const log = await app.store.readAll({ max: 10_000 });
  t.equal(log.filter((e) => e.type === 'AccessGranted').length, 1, 'granted once');
  const completed = log.find((e) => e.type === 'IdempotencyKeyCompleted');
  t.ok(completed, 'the answer was recorded');
  t.notOk(JSON.stringify(completed).includes(first.issued[0]!.token.split('.')[2]!), 'without the token');
});

t.test('GET /tokens?scope=: heads and auditors see who holds access in their scope, nothing beyond it', async (t) => {
  const app = await startTestApp(t, { now: () => new Date(NOW) });
  const admin = app.token('admin', KANG, 'admin-zhang');
  await issue(app, admin, [
    { sub: 'contact-lijia-1', role: 'contact', scope: LIJIA },
    { sub: 'officer-nianba', role: 'officer', scope: NIANBA },
    { sub: 'contact-gone', role: 'contact', scope: HEJIAGOU, ttlSeconds: 1 },
  ]);
  const later = await startTestApp(t, { dataDir: app.dataDir, now: () => new Date(NOW + 5000) });
  const head = later.token('head', WANGBA, 'head-wangba');
  const list = await later.call('GET', '/tokens', { token: head });
  t.equal(list.statusCode, 200, list.body);
  t.same(
    list.json().items.map((i: { sub: string; status: string }) => [i.sub, i.status]),
    [
      ['contact-lijia-1', 'active'],
      ['contact-gone', 'expired'],
    ],
    'Nianba\u2019s officer is not listed to Wangba\u2019s head',
  );
  t.notOk(list.body.includes('"token"'), 'a list of grants, never tokens');
  const filtered = await later.call('GET', `/tokens?scope=${LIJIA}&status=active`, { token: head });
  t.same(filtered.json().items.map((i: { sub: string }) => i.sub), ['contact-lijia-1']);
  t.equal((await later.call('GET', `/tokens?scope=${NIANBA}`, { token: head })).statusCode, 403, 'a scope beyond your own');
  const audit = await later.call('GET', '/tokens?scope=621299&limit=2', { token: later.token('auditor', KANG) });
  t.equal(audit.json().items.length, 2);
  t.ok(audit.json().next, 'paged');
  const rest = await later.call('GET', `/tokens?scope=621299&limit=2&after=${audit.json().next}`, { token: later.token('auditor', KANG) });
  t.same(rest.json().items.map((i: { sub: string }) => i.sub), ['contact-gone']);
  for (const role of ['contact', 'officer'] as const) t.equal((await later.call('GET', '/tokens', { token: later.token(role, WANGBA) })).statusCode, 403, `${role} may not list access`);
});

t.test('revocation by jti or by sub: 401 revoked at once; a replacement issued after stays valid; a head only within scope', async (t) => {
  const app = await startTestApp(t);
  const admin = app.token('admin', KANG, 'admin-zhang');
  const head = app.token('head', WANGBA, 'head-wangba');
  const { issued } = await issue(app, admin, [
    { sub: 'officer-leaving', role: 'officer', scope: WANGBA },
    { sub: 'officer-leaving', role: 'officer', scope: WANGBA },
    { sub: 'contact-lost-phone', role: 'contact', scope: LIJIA },
    { sub: 'contact-lost-phone', role: 'contact', scope: LIJIA },
    { sub: 'officer-nianba', role: 'officer', scope: NIANBA },
    { sub: 'officer-two-towns', role: 'officer', scope: WANGBA },
    { sub: 'officer-two-towns', role: 'officer', scope: NIANBA },
  ]);
  const [leaving1, leaving2, phone1, phone2, nianba, twoWangba, twoNianba] = issued as [Issued, Issued, Issued, Issued, Issued, Issued, Issued];
  const works = async (i: Issued) => (await app.call('GET', `/units/${i.scope}`, { token: i.token })).statusCode;
  const revoke = (token: string, body: unknown, headers: Record<string, string> = {}) => app.call('POST', '/tokens/revocations', { token, body, headers });

  const lost = await revoke(head, { jti: phone1.jti, reason: '手机丢失' });
  t.equal(lost.statusCode, 201, lost.body);
  t.same(lost.json().revoked.map((g: { jti: string }) => g.jti), [phone1.jti]);
  const refused = await app.call('GET', `/units/${LIJIA}`, { token: phone1.token });
  t.equal(refused.statusCode, 401);
  t.same(refused.json(), { error: 'revoked', message: '该令牌已被收回，请联系管理员重新发放' }, 'in Chinese, code revoked');
  t.equal((await app.call('GET', `/units/${LIJIA}`, { token: phone1.token, headers: { 'accept-language': 'en' } })).json().message, 'this token was revoked; ask an administrator for a new one');
  t.equal(await works(phone2), 200, 'the same contact\u2019s other token is untouched');

  const gone = await revoke(head, { sub: 'officer-leaving', reason: '调离' });
  t.same(gone.json().revoked.map((g: { jti: string }) => g.jti).sort(), [leaving1.jti, leaving2.jti].sort(), 'every token of the sub');
  t.same([await works(leaving1), await works(leaving2)], [401, 401]);
  const { issued: back } = await issue(app, admin, [{ sub: 'officer-leaving', role: 'officer', scope: WANGBA }]);
  t.equal(await works(back[0]!), 200, 'access granted after the revocation is new access');

  t.equal((await revoke(head, { jti: nianba.jti, reason: 'x' })).statusCode, 404, 'another township\u2019s token: 404, not 403');
  t.equal((await revoke(head, { sub: 'officer-nianba', reason: 'x' })).statusCode, 404);
  t.equal((await revoke(head, { sub: 'nobody-at-all', reason: 'x' })).statusCode, 404);
  t.equal(await works(nianba), 200, 'and it still works');
  const partial = await revoke(head, { sub: 'officer-two-towns', reason: '离开王坝' });
  t.same(partial.json().revoked.map((g: { jti: string }) => g.jti), [twoWangba.jti], 'a head revokes only what lies in their scope');
  t.same([await works(twoWangba), await works(twoNianba)], [401, 200]);

  for (const [body, field] of [
    [{ reason: 'x' }, /sub/],
    [{ sub: 'a', jti: phone2.jti, reason: 'x' }, /sub/],
    [{ sub: 'a', reason: '' }, /reason/],
    [{ jti: 'not-a-uuid', reason: 'x' }, /jti/],
  ] as const) {
    const res = await revoke(admin, body);
    t.equal(res.statusCode, 400, JSON.stringify(body));
    t.match(res.json().message, field);
  }
  for (const role of ['contact', 'officer', 'auditor'] as const) {
    t.equal((await revoke(app.token(role, WANGBA), { jti: phone2.jti, reason: 'x' })).statusCode, 403, `${role} may not revoke`);
  }
  const stored = (await app.store.readAll({ max: 10_000 })).filter((e) => e.type === 'AccessRevoked');
  t.match(stored[0], { stream: 'access', data: { jti: phone1.jti, reason: '手机丢失', within: WANGBA, revokedBy: 'head-wangba' } });
});

t.test('a token granted a moment ago by another process (zhitong token) is revoked, not 404 (found by a newcomer: 404 two times in four)', async (t) => {
  const app = await startTestApp(t);
  // Another connection to the same file, as the CLI is: this node learns of it only by reading the log.
  const cli = new SqliteEventStore({ file: join(app.dataDir, 'events.sqlite') });
  await execute(cli, streams.access, accessDecider, { type: 'GrantAccess', data: { grants: [{ sub: 'officer-from-cli', role: 'officer', scope: WANGBA, jti: randomUUID() }], issuedBy: 'zhitong-cli' }, now: new Date().toISOString() }, { actor: { id: 'zhitong-cli', role: 'admin' }, correlationId: 'cli', now: new Date().toISOString() });
  await cli.close();
  const res = await app.call('POST', '/tokens/revocations', { token: app.token('admin', KANG, 'admin-kang'), body: { sub: 'officer-from-cli', reason: '测试' } });
  t.equal(res.statusCode, 201, res.body);
  t.match(res.json(), { revoked: [{ sub: 'officer-from-cli' }] });
});

t.test('a token issued before access was recorded (no jti) is revoked by its sub and issue time', async (t) => {
  const app = await startTestApp(t);
  const sign = createSigner({ key: loadConfig({ DATA_DIR: app.dataDir }).authSecret, algorithm: 'HS256' });
  const nowS = Math.floor(Date.now() / 1000);
  const legacy = sign({ sub: 'officer-old', role: 'officer', scope: WANGBA, iat: nowS - 3600, exp: nowS + 3600 });
  t.equal((await app.call('GET', '/alerts/open', { token: legacy })).statusCode, 200);
  const res = await app.call('POST', '/tokens/revocations', { token: app.token('admin', KANG, 'admin-zhang'), body: { sub: 'officer-old', reason: '旧令牌' } });
  t.equal(res.statusCode, 201, res.body);
  t.same(res.json().revoked, [], 'no recorded grant to name');
  t.equal((await app.call('GET', '/alerts/open', { token: legacy })).json().error, 'revoked', 'refused all the same');
  const newer = sign({ sub: 'officer-old', role: 'officer', scope: WANGBA, iat: nowS + 60, exp: nowS + 3600 });
  t.equal((await app.call('GET', '/alerts/open', { token: newer })).statusCode, 200, 'issued after the revocation: not revoked');
});

t.test('a live WebSocket session ends when its token is revoked', async (t) => {
  const app = await startTestApp(t);
  const url = await app.app.listen({ port: 0, host: '127.0.0.1' });
  const { issued } = await issue(app, app.token('admin', KANG, 'admin-zhang'), [{ sub: 'officer-wangba-1', role: 'officer', scope: WANGBA }]);
  const client = await AlertClient.connect(url, issued[0]!.token);
  t.teardown(() => client.close());
  await client.next((f) => f.type === 'hello');
  await app.call('POST', '/tokens/revocations', { token: app.token('head', WANGBA, 'head-wangba'), body: { jti: issued[0]!.jti, reason: '调离' } });
  t.match(await client.next((f) => f.type === 'error'), { code: 'revoked', detail: '该令牌已被收回，请联系管理员重新发放' });
  t.equal(await client.closed, 1008);
  await t.rejects(AlertClient.connect(url, issued[0]!.token), /401/, 'and it cannot come back');
});

t.test('a grant\u2019s phone must take SMS: a mobile number, named in Chinese when it is not', async (t) => {
  const app = await startTestApp(t);
  const admin = app.token('admin', '620000000000', 'admin');
  const grant = (phone: string) => app.call('POST', '/tokens', { token: admin, body: { tokens: [{ sub: 'officer-p', role: 'officer', scope: '621299103000', phone }] } });
  for (const bad of ['12345', '０１３９００００００００', '0939-1234567']) {
    const res = await grant(bad);
    t.equal(res.statusCode, 400, `${bad}: refused`);
    t.match(res.json(), { error: 'validation', details: [{ path: 'body.tokens.0.phone' }] });
  }
  const ok = await grant('+86 139-0000-0001');
  t.equal(ok.statusCode, 201);
  const listed = (await app.call('GET', '/tokens?sub=officer-p', { token: admin })).json() as { items: Array<{ phone: string }> };
  t.equal(listed.items[0]!.phone, '13900000001', 'normalized');
});
