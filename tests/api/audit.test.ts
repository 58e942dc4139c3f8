import t from 'tap';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { SqliteEventStore } from '../../infra/eventstore/sqlite.js';
import { cli } from '../support/audit-world.js';
import { testDir } from '../support/dirs.js';
import { KANG, NIANBA, WANGBA, ZHUJIAGOU, startTestApp, verifiedReport } from '../support/app.js';

t.test('GET /audit/verify recomputes the chains in scope and names the first break', async (t) => {
  const app = await startTestApp(t);
  const reportId = await verifiedReport(app);
  await verifiedReport(app, ZHUJIAGOU);
  const auditor = app.token('auditor', KANG);
  const all = await app.call('GET', '/audit/verify', { token: auditor });
  t.equal(all.statusCode, 200);
  t.match(all.json(), { ok: true, streams: 5, events: 14 }, 'two reports and two rosters, two events each, and the six units of the county');
  const township = await app.call('GET', `/audit/verify?unit=${WANGBA}`, { token: auditor });
  t.match(township.json(), { ok: true, streams: 3 });
  t.equal((await app.call('GET', `/audit/verify?unit=${WANGBA}`, { token: app.token('auditor', NIANBA) })).statusCode, 403);
  t.equal((await app.call('GET', '/audit/verify', { token: app.token('head', KANG) })).statusCode, 403, 'auditors only');

  // Someone with the file edits a verified figure behind zhitong's back.
  const db = (app.store as SqliteEventStore).database;
  db.exec('DROP TRIGGER events_no_update');
  db.prepare(`UPDATE events SET record = replace(record, '"affectedPeople":9', '"affectedPeople":90') WHERE stream = ? AND revision = 1`).run(`report-${reportId}`);
  const broken = await app.call('GET', '/audit/verify', { token: auditor });
  t.match(broken.json(), { ok: false, firstProblem: { kind: 'edited', stream: `report-${reportId}`, revision: 1, message: /被改动/ } });
});

t.test('GET /audit/events: the log in order and in scope, paged by position or streamed as NDJSON', async (t) => {
  const app = await startTestApp(t);
  const inWangba = await verifiedReport(app);
  const inNianba = await verifiedReport(app, ZHUJIAGOU);
  const county = app.token('auditor', KANG);
  const township = app.token('auditor', NIANBA);
  type Listed = { items: Array<{ stream: string; position: string; revision: number }>; next: string | null };

  const all = await app.call('GET', '/audit/events', { token: county });
  t.equal(all.statusCode, 200);
  const { items: events, next } = all.json() as Listed;
  t.equal(next, null, 'read to the end');
  t.equal(events.length, 14, 'the same events /audit/verify counts for this scope');
  t.ok(events.every((e, i) => i === 0 || events[i - 1]!.position < e.position), 'in log order');
  t.ok(events.some((e) => e.stream === `report-${inWangba}`) && events.some((e) => e.stream === `report-${inNianba}`));

  const nianba = (await app.call('GET', '/audit/events', { token: township })).json() as Listed;
  t.ok(nianba.items.some((e) => e.stream === `report-${inNianba}`));
  t.notOk(nianba.items.some((e) => e.stream === `report-${inWangba}`), 'another township stays out of sight');

  // Starting past a stream's first event still places the stream in its unit.
  const firstOfNianba = events.find((e) => e.stream === `report-${inNianba}`)!;
  const later = (await app.call('GET', `/audit/events?after=${firstOfNianba.position}`, { token: township })).json() as Listed;
  t.same(later.items.map((e) => [e.stream, e.revision]), [[`report-${inNianba}`, 1]]);

  const paged: Listed['items'] = [];
  let pagesRead = 0;
  let after: string | null = null;
  for (let pages = 0; pages < 10; pages++) {
    const page = (await app.call('GET', `/audit/events?limit=3${after ? `&after=${after}` : ''}`, { token: county })).json() as Listed;
    pagesRead++;
    paged.push(...page.items);
    after = page.next;
    if (after === null) break;
  }
  t.same(paged, events, 'pages of three add up to the whole');
  t.equal(pagesRead, Math.ceil(events.length / 3), 'no empty page at the end: next is null on the page that ends the log');
  const exact = (await app.call('GET', `/audit/events?limit=${events.length}`, { token: county })).json() as Listed;
  t.equal(exact.items.length, events.length);
  t.equal(exact.next, null, 'a page that ends exactly at the end of the log says so');
  const short = (await app.call('GET', `/audit/events?limit=${events.length - 1}`, { token: county })).json() as Listed;
  t.equal(short.next, events.at(-2)!.position, 'one short: next is where it stopped');

  const streamed = await app.call('GET', '/audit/events', { token: county, headers: { accept: 'application/x-ndjson' } });
  t.equal(streamed.statusCode, 200);
  t.match(streamed.headers['content-type'], /application\/x-ndjson/);
  const streamedLines = streamed.body.trim().split('\n').map((l) => JSON.parse(l) as unknown);
  t.same(streamedLines[0], { export: { scope: '621299', after: null } }, 'the first line says what the file is');
  t.same(streamedLines.slice(1, -1), events);
  t.same(streamedLines.at(-1), { sealProofs: null, scope: '621299' }, 'a trailer names the scope, before any seal too');

  const notAPosition = await app.call('GET', '/audit/events?after=abc', { token: county });
  t.equal(notAPosition.statusCode, 400);
  t.match(notAPosition.json(), { details: [{ path: 'querystring.after' }] });
  const otherStoresPosition = await app.call('GET', '/audit/events?after=12/34', { token: county });
  t.equal(otherStoresPosition.statusCode, 400);
  t.match(otherStoresPosition.json(), { details: [{ path: 'querystring.after' }] });
  const streamedBadly = await app.call('GET', '/audit/events?after=12/34', { token: county, headers: { accept: 'application/x-ndjson' } });
  t.equal(streamedBadly.statusCode, 400, 'a streamed read refuses before it starts');
  t.match(streamedBadly.json(), { details: [{ path: 'querystring.after' }] });
  t.equal((await app.call('GET', '/audit/events?limit=0', { token: county })).statusCode, 400);
  t.equal((await app.call('GET', '/audit/events', { token: app.token('head', KANG) })).statusCode, 403, 'auditors only');
});

t.test('GET /audit/events includes the unit register and access events within scope, and only those', async (t) => {
  const app = await startTestApp(t);
  const admin = app.token('admin', KANG, 'admin-zhang');
  const issued = (await app.call('POST', '/tokens', { token: admin, body: { tokens: [{ sub: 'officer-w', role: 'officer', scope: WANGBA }, { sub: 'officer-n', role: 'officer', scope: NIANBA }] } })).json();
  await app.call('POST', '/tokens/revocations', { token: app.token('head', NIANBA, 'head-n'), body: { sub: 'officer-n', reason: '调离' } });
  type Listed = { items: Array<{ stream: string; type: string; data: Record<string, unknown> }> };
  const seen = (await app.call('GET', '/audit/events', { token: app.token('auditor', NIANBA) })).json() as Listed;
  t.same(
    seen.items.filter((e) => e.stream === 'access').map((e) => [e.type, e.data.sub]),
    [
      ['AccessGranted', 'officer-n'],
      ['AccessRevoked', 'officer-n'],
    ],
    'Nianba\u2019s access events, not Wangba\u2019s',
  );
  t.same(
    seen.items.filter((e) => e.stream === 'units').map((e) => e.data.code),
    ['621299104000', '621299104201'],
    'Nianba\u2019s units from the register',
  );
  t.notOk(JSON.stringify(seen).includes(issued.tokens[1].token.split('.')[2]), 'never a token');

  // An admin of the whole province takes back a Wangba officer's tokens: Wangba's auditor reads it
  // (found by a newcomer: the county auditor's export showed the grant and never its revocation).
  const provinceAdmin = app.token('admin', '620000000000', 'admin-province');
  const revoked = await app.call('POST', '/tokens/revocations', { token: provinceAdmin, body: { sub: 'officer-w', reason: '手机丢失' } });
  t.equal(revoked.statusCode, 201, revoked.body);
  for (const [auditor, expected] of [
    [app.token('auditor', WANGBA), ['AccessGranted officer-w', 'AccessRevoked officer-w']],
    [app.token('auditor', KANG), ['AccessGranted officer-w', 'AccessGranted officer-n', 'AccessRevoked officer-n', 'AccessRevoked officer-w']],
    [app.token('auditor', NIANBA), ['AccessGranted officer-n', 'AccessRevoked officer-n']],
  ] as const) {
    const res = await app.call("GET", `/audit/events?position=${revoked.json().position}`, { token: auditor });
    t.equal(res.statusCode, 200, res.body);
    const listed = res.json() as Listed;
    t.same(listed.items.filter((e) => e.stream === 'access').map((e) => `${e.type} ${e.data.sub}`), expected, `each auditor reads the revocations of the tokens of their units: ${expected.join(', ')}`);
  }
  const again = await app.call('POST', '/tokens/revocations', { token: provinceAdmin, body: { sub: 'officer-w', reason: '手机丢失' } });
  t.match([again.statusCode, again.json()], [200, { revoked: [], alreadyRevoked: [{ sub: 'officer-w', status: 'revoked' }] }], 'revoked again: said so, nothing written');
  const neither = await app.call('POST', '/tokens/revocations', { token: provinceAdmin, body: { reason: 'x' } });
  t.match(neither.json().details, [{ path: 'body.sub', message: /须填 sub/ }], 'naming neither: told to name one');
});

t.test('a county auditor\u2019s export taken before the first seal verifies offline as one scope\u2019s log, deletions still named', async (t) => {
  // Found trying the README as a newcomer: the export of a store not yet sealed had no trailer, so
  // `verify --file` read it as a whole log and called the other counties' positions and the
  // province's units "deleted" — tampering that never happened, reported to an auditor.
  const app = await startTestApp(t);
  const reportId = await verifiedReport(app);
  await verifiedReport(app, ZHUJIAGOU);
  const res = await app.call('GET', '/audit/events', { token: app.token('auditor', WANGBA), headers: { accept: 'application/x-ndjson' } });
  const lines = res.body.trim().split('\n');
  t.match(JSON.parse(lines.at(-1)!), { sealProofs: null, scope: '621299103' });
  const dir = testDir(t);
  writeFileSync(join(dir, 'township.ndjson'), res.body);
  const whole = await cli({}, 'verify', '--file', join(dir, 'township.ndjson'));
  t.equal(whole.status, 0, whole.stdout + whole.stderr);
  t.match(JSON.parse(whole.stdout), { ok: true, seals: { count: 0 }, problems: [] }, 'unsealed, and nothing wrong');
  // The same file with the report's filing taken out from under its verification.
  const cut = lines.filter((l) => !(l.includes(`"stream":"report-${reportId}"`) && l.includes('"revision":0,')));
  t.equal(cut.length, lines.length - 1);
  writeFileSync(join(dir, 'cut.ndjson'), cut.join('\n') + '\n');
  const broken = await cli({}, 'verify', '--file', join(dir, 'cut.ndjson'));
  t.equal(broken.status, 1);
  const problems = JSON.parse(broken.stdout).problems as Array<{ kind: string; stream: string; revision?: number }>;
  t.ok(problems.some((p) => p.kind === 'deleted' && p.stream === `report-${reportId}` && p.revision === 0), 'the deletion is named');
  t.same(problems.filter((p) => p.stream !== `report-${reportId}`), [], 'and nothing of other scopes');

  // Last week's part only (?after=): it says where it begins and verifies as a part.
  const mid = (JSON.parse(lines[Math.floor(lines.length / 2)]!) as { position: string }).position;
  const part = await app.call('GET', `/audit/events?after=${mid}`, { token: app.token('auditor', WANGBA), headers: { accept: 'application/x-ndjson' } });
  t.same(JSON.parse(part.body.split('\n')[0]!), { export: { scope: '621299103', after: mid } }, 'a part names where it begins');
  writeFileSync(join(dir, 'part.ndjson'), part.body);
  const partly = await cli({}, 'verify', '--file', join(dir, 'part.ndjson'));
  t.equal(partly.status, 0, partly.stdout + partly.stderr);
  t.match(JSON.parse(partly.stdout), { ok: true, partial: { after: mid }, problems: [] }, 'checked as a part: nothing called deleted');
});
