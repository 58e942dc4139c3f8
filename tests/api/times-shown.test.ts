import { randomUUID } from 'node:crypto';
import t, { type Test } from 'tap';
import { beijingTime } from '../../domain/time.js';
import type { Role } from '../../domain/vocabulary.js';
import { SqliteEventStore } from '../../infra/eventstore/sqlite.js';
import { KANG, LIJIA, WANGBA, reportBody, startTestApp, verificationBody, type TestApp } from '../support/app.js';
import { AlertClient, type Frame } from '../support/ws-client.js';

/**
 * The times a person reads, on every GET route and every frame: each instant with its Beijing-time
 * twin (SPEC §4), and each observedAt with its clockSuspect flag.
 *
 * SPEC §3: a report is never refused for the phone's clock; an observedAt that cannot be right is
 * stored as sent and flagged `clockSuspect`. A flag only the history shows is no flag: the duty
 * officer reads the report, the list, the open-alert board and the alert on the phone, and each
 * must say the time is not to be trusted, or the officer goes by a date in 2027 (found by a
 * newcomer trying the README, session 31).
 */

const NOW = new Date('2026-12-03T03:00:00.000Z');
/** Sent by a phone whose clock runs seven months fast. */
const AHEAD = '2027-07-01T11:40:00+08:00';
const AHEAD_UTC = '2027-07-01T03:40:00.000Z';
/** Sent by a phone whose battery ran flat: its clock started again at 1970. */
const RESET = '1970-01-01T08:05:00+08:00';
const RESET_UTC = '1970-01-01T00:05:00.000Z';
/** A phone with the right time. */
const RIGHT_UTC = '2026-12-03T02:30:00.000Z';

const scheduler = () => ({ kind: 'in-process' as const, schedule: async () => undefined, close: async () => undefined });

async function file(app: TestApp, observedAt: string, hazard = 'landslide'): Promise<{ reportId: string; position: string }> {
  const res = await app.call('POST', '/reports', { token: app.token('contact', LIJIA, 'contact-lijia'), body: reportBody({ reportId: randomUUID(), observedAt, hazard }) });
  if (res.statusCode !== 201) throw new Error(`filing failed: ${res.statusCode} ${res.body}`);
  return res.json();
}

/** An officer's phone on the alert socket, gone live from its hello. */
async function livePhone(t: Test, url: string, token: string): Promise<AlertClient> {
  const phone = await AlertClient.connect(url, token);
  t.teardown(() => phone.close());
  phone.send({ type: 'resume', after: (await phone.next((f) => f.type === 'hello')).position });
  return phone;
}

t.test('the issue: a report observed in 2027, filed in 2026, says so on every screen an officer reads', async (t) => {
  const app = await startTestApp(t, { now: () => NOW, scheduler });
  const url = await app.app.listen({ port: 0, host: '127.0.0.1' });
  const officer = app.token('officer', WANGBA, 'officer-wangba-1');
  const phone = await livePhone(t, url, officer);

  const filed = await app.call('POST', '/reports', { token: app.token('contact', LIJIA, 'contact-lijia'), body: reportBody({ reportId: randomUUID(), observedAt: AHEAD }) });
  t.match(filed.json(), { clockSuspect: true }, 'the phone that filed is told its clock is wrong: its owner is the one who can set it');
  const { reportId, position } = filed.json();
  const resent = await app.call('POST', '/reports', { token: app.token('contact', LIJIA, 'contact-lijia'), body: reportBody({ reportId, observedAt: AHEAD }) });
  t.equal(resent.statusCode, 200);
  t.same(resent.json(), filed.json(), 'a resend is answered as the first time, flag included');
  const view = (await app.call('GET', `/reports/${reportId}?position=${position}`, { token: officer })).json();
  t.match(view, { observedAt: AHEAD_UTC, observedAtLocal: '2027-07-01T11:40:00+08:00', clockSuspect: true, reportedAt: NOW.toISOString() }, 'the report: stored as sent, flagged, filed at server time');
  const list = (await app.call('GET', `/reports?unit=${WANGBA}`, { token: officer })).json();
  t.match(list.items.find((r: { reportId: string }) => r.reportId === reportId), { clockSuspect: true }, 'the list');
  const board = (await app.call('GET', `/alerts/open?unit=${WANGBA}`, { token: officer })).json();
  t.match(board.items.find((r: { reportId: string }) => r.reportId === reportId), { clockSuspect: true, ageSeconds: 0 }, 'the open-alert board, its age counted from the server’s time');
  const alert = await phone.next((f) => f.type === 'alert' && f.reportId === reportId);
  t.match(alert, { observedAt: AHEAD_UTC, clockSuspect: true, reportedAt: NOW.toISOString() }, 'the alert on the officer’s phone');

  const right = await file(app, RIGHT_UTC, 'hail');
  const plain = (await app.call('GET', `/reports/${right.reportId}?position=${right.position}`, { token: officer })).json();
  t.equal(plain.clockSuspect, false, 'a phone with the right time: false, not absent');
  t.equal((await app.call('POST', '/reports', { token: app.token('contact', LIJIA, 'contact-lijia'), body: reportBody({ observedAt: RIGHT_UTC }) })).json().clockSuspect, false, 'and its filing is answered false');
});

t.test('where the line falls: five minutes ahead, a year behind', async (t) => {
  const app = await startTestApp(t, { now: () => NOW });
  const officer = app.token('officer', WANGBA, 'officer-wangba-1');
  const at = (ms: number) => new Date(NOW.getTime() + ms).toISOString();
  const YEAR = 365 * 24 * 3600_000;
  for (const [observedAt, flagged, why] of [
    [at(5 * 60_000), false, 'five minutes fast: clocks drift'],
    [at(5 * 60_000 + 1), true, 'more than five minutes fast'],
    [at(-3 * 24 * 3600_000), false, 'three days ago: a late report, not a wrong clock'],
    [at(-YEAR), false, 'a year ago to the millisecond'],
    [at(-YEAR - 1), true, 'more than a year ago: a reset clock'],
    [RESET, true, '1970, a clock that started again at zero'],
    ['2000-01-01T00:00:00', true, '2000, Beijing time, a clock reset to its default'],
  ] as const) {
    const body = reportBody({ reportId: randomUUID(), observedAt });
    const first = await app.call('POST', '/reports', { token: app.token('contact', LIJIA, 'contact-lijia'), body });
    const { reportId, position } = first.json();
    const view = (await app.call('GET', `/reports/${reportId}?position=${position}`, { token: officer })).json();
    t.equal(view.clockSuspect, flagged, `${observedAt}: ${why}`);
    // A phone retries what it did not hear answered; the flag the server added is not a change of body.
    const again = await app.call('POST', '/reports', { token: app.token('contact', LIJIA, 'contact-lijia'), body });
    t.same([again.statusCode, again.json()], [200, first.json()], `${observedAt}: sent again, answered as the first time`);
    const [filed] = await app.store.readStream(`report-${reportId}`);
    t.equal((filed!.data as { clockSuspect?: true }).clockSuspect === true, flagged, `${observedAt}: the event says the same`);
  }
});

/** Every object under `value` that holds an `observedAt`, with where it was found. */
function observations(value: unknown, surface: string, out: Array<{ surface: string; observedAt: string; flag: unknown; stored: boolean }>, stored = false): typeof out {
  if (Array.isArray(value)) {
    for (const v of value) observations(v, surface, out, stored);
  } else if (value && typeof value === 'object') {
    const o = value as Record<string, unknown>;
    if (typeof o.observedAt === 'string') out.push({ surface, observedAt: o.observedAt, flag: o.clockSuspect, stored });
    // An event's data is the record as stored, where the flag is present only when true (ReportFiled).
    const isEvent = typeof o.type === 'string' && o.metadata !== undefined;
    for (const [k, v] of Object.entries(o)) observations(v, surface, out, stored || (isEvent && k === 'data'));
  }
  return out;
}

/** What a person can read, gathered from every GET route and every frame, over one populated log. */
interface Readings {
  /** Each JSON answer and frame list, by where it was read. */
  surfaces: Array<{ surface: string; body: unknown; verbatim: boolean }>;
  /** Every GET route's path as read, with the role and token that read it. */
  reads: Array<{ route: string; path: string; token: string }>;
  app: TestApp;
  live: Frame[];
  reports: { ahead: string; right: string; reset: string };
}

/**
 * A fast clock's report (verified, relief allocated, linked to an incident), a right one about the
 * same landslide (its alert names the first), a reset clock's hail; then every GET route that asks
 * for a role — from the server's own list, so a new route fails here until it gets a path — and
 * the frames, live and read back by a phone resuming from the start.
 */
async function readEverything(t: Test): Promise<Readings> {
  const app = await startTestApp(t, { now: () => NOW, scheduler });
  const url = await app.app.listen({ port: 0, host: '127.0.0.1' });
  const officer = app.token('officer', WANGBA, 'officer-wangba-1');
  const live = await livePhone(t, url, officer);

  const ahead = await file(app, AHEAD);
  const right = await file(app, RIGHT_UTC);
  const reset = await file(app, RESET, 'hail');
  const verified = await app.call('POST', `/reports/${ahead.reportId}/verifications`, { token: officer, body: verificationBody() });
  t.equal(verified.statusCode, 200, verified.body);
  const allocated = await app.call('POST', '/allocations', { token: app.token('officer', WANGBA, 'allocator'), body: { reportId: ahead.reportId, household: { id: 'hh-1', name: '张三明' }, category: 'emergency_living', cashFen: 50_000, goods: [], fund: 'GS-2026-01' } });
  t.equal(allocated.statusCode, 201, allocated.body);
  const opened = await app.call('POST', '/incidents', { token: app.token('head', KANG), body: { county: KANG, hazard: 'landslide', startedAt: '2026-12-03T02:00:00Z', title: '王坝镇滑坡' } });
  const incidentId = opened.json().incidentId as string;
  await app.call('POST', `/incidents/${incidentId}/links`, { token: app.token('head', KANG), body: { reportId: ahead.reportId } });
  await app.call('PUT', `/roster/${WANGBA}`, { token: app.token('head', KANG), body: { entries: [{ officer: 'officer-wangba-1', tier: 'primary', from: '2026-12-01T00:00:00Z', until: '2026-12-31T00:00:00Z' }] } });
  const granted = await app.call('POST', '/tokens', { token: app.token('admin', KANG), body: { tokens: [{ sub: 'contact-lijia-2', role: 'contact', scope: LIJIA }] } });
  t.equal(granted.statusCode, 201, granted.body);
  await live.next((f) => f.type === 'alert' && f.reportId === reset.reportId);

  const paths: Record<string, string> = {
    '/reports/:id': `/reports/${ahead.reportId}`,
    '/reports/:id/history': `/reports/${ahead.reportId}/history`,
    '/allocations/:id': `/allocations/${allocated.json().allocationId}`,
    '/incidents/:id': `/incidents/${incidentId}`,
    '/incidents/:id/history': `/incidents/${incidentId}/history`,
    '/allocations/:id/history': `/allocations/${allocated.json().allocationId}/history`,
    '/incidents/:id/draft': `/incidents/${incidentId}/draft`,
    '/incidents/:id/forms': `/incidents/${incidentId}/forms?format=csv`,
    '/roster/:townshipCode': `/roster/${WANGBA}`,
    '/alerts/open': `/alerts/open?unit=${WANGBA}`,
    '/audit/events': '/audit/events?limit=1000',
    '/audit/seals/latest': '/audit/seals/latest',
    '/audit/verify': `/audit/verify?unit=${KANG}`,
    '/reports': `/reports?unit=${WANGBA}`,
    '/tallies': `/tallies?unit=${KANG}`,
    '/incidents': `/incidents?unit=${KANG}`,
    '/allocations': `/allocations?unit=${WANGBA}`,
    '/households/:villageCode/:householdId': `/households/${LIJIA}/hh-1`,
    '/relief/missed': `/relief/missed?unit=${WANGBA}`,
    '/notices/:villageCode': `/notices/${LIJIA}`,
    '/units/:code': `/units/${LIJIA}`,
    '/units': `/units?parent=${WANGBA}`,
    '/me': '/me',
    '/tokens': `/tokens?scope=${WANGBA}`,
    '/inbox': `/inbox?unit=${WANGBA}`,
  };
  const reads = app.app.routeList.filter((r) => r.roles && r.method === 'GET' && !r.websocket);
  t.same(reads.map((r) => r.url).filter((u) => !(u in paths)), [], 'every GET route with roles has a path here');
  const scopeFor: Record<Role, string> = { contact: LIJIA, officer: WANGBA, head: KANG, auditor: KANG, admin: KANG };
  const surfaces: Readings['surfaces'] = [];
  const done: Readings['reads'] = [];
  for (const route of reads) {
    const role = (['auditor', 'head', 'officer', 'contact', 'admin'] as const).find((r) => route.roles!.includes(r))!;
    const token = app.token(role, scopeFor[role], role === 'officer' ? 'officer-wangba-1' : `${role}-sweep`);
    done.push({ route: route.url, path: paths[route.url]!, token });
    const res = await app.call('GET', paths[route.url]!, { token });
    t.equal(res.statusCode, 200, `GET ${route.url} as ${role}`);
    if ((res.headers['content-type'] ?? '').toString().includes('json')) surfaces.push({ surface: `GET ${route.url}`, body: res.json(), verbatim: route.verbatim === true });
  }
  surfaces.push({ surface: 'ws live', body: live.frames, verbatim: false });
  const resumed = await AlertClient.connect(url, officer);
  t.teardown(() => resumed.close());
  await resumed.next((f) => f.type === 'hello');
  resumed.send({ type: 'resume', after: '0' });
  await resumed.next((f: Frame) => f.type === 'alert' && f.reportId === reset.reportId);
  surfaces.push({ surface: 'ws resumed', body: resumed.frames, verbatim: false });
  return { surfaces, reads: done, app, live: live.frames, reports: { ahead: ahead.reportId, right: right.reportId, reset: reset.reportId } };
}

t.test('sweep: wherever a read or a frame shows observedAt, clockSuspect stands beside it and is right', async (t) => {
  const { surfaces, live, reports } = await readEverything(t);
  const found: ReturnType<typeof observations> = [];
  for (const { surface, body } of surfaces) observations(body, surface, found);
  const suspect = new Set([AHEAD_UTC, RESET_UTC]);
  const wrong = found.filter((o) => (suspect.has(o.observedAt) ? o.flag !== true : o.flag === true) || (!o.stored && typeof o.flag !== 'boolean'));
  t.same(wrong, [], `${found.length} observedAt shown: each with its clockSuspect, true for the fast and the reset clock only`);
  // The fast clock's report was verified, so it left the open-alert board; the reset one is on it.
  const where = new Set(found.filter((o) => suspect.has(o.observedAt) && o.flag === true).map((o) => o.surface));
  for (const surface of ['GET /reports/:id', 'GET /reports', 'GET /alerts/open', 'GET /reports/:id/history', 'GET /audit/events', 'ws live', 'ws resumed']) {
    t.ok(where.has(surface), `a suspect clock is flagged in ${surface}`);
  }
  const related = live.find((f) => f.type === 'alert' && f.reportId === reports.right) as { related?: Array<{ reportId: string; clockSuspect: boolean }> } | undefined;
  t.match(related?.related, [{ reportId: reports.ahead, clockSuspect: true }], 'the alert naming an earlier report says that report’s clock is suspect');
});

/** Every UTC instant under `value` (a string such as 2026-12-03T03:00:00.000Z), with its key and the object holding it. */
function instants(value: unknown, path: string, out: Array<{ path: string; key: string; value: string; holder: Record<string, unknown> }>): typeof out {
  if (Array.isArray(value)) value.forEach((v, i) => instants(v, `${path}[${i}]`, out));
  else if (value && typeof value === 'object') {
    for (const [k, v] of Object.entries(value)) {
      if (typeof v === 'string' && /^\d{4}-\d\d-\d\dT\d\d:\d\d(:\d\d(\.\d+)?)?Z$/.test(v)) out.push({ path: `${path}.${k}`, key: k, value: v, holder: value as Record<string, unknown> });
      else instants(v, `${path}.${k}`, out);
    }
  }
  return out;
}

t.test('sweep: every instant a read or a frame shows has its Beijing-time twin beside it (SPEC §4)', async (t) => {
  const { surfaces } = await readEverything(t);
  const seen = new Set<string>();
  const missing: string[] = [];
  let count = 0;
  for (const { surface, body, verbatim } of surfaces) {
    // The audit log is served as it was hashed: a twin added there would not verify.
    if (verbatim) continue;
    for (const { path, key, value, holder } of instants(body, surface, [])) {
      count += 1;
      seen.add(surface);
      const twin = holder[`${key}Local`];
      if (twin !== beijingTime(value)) missing.push(`${path} = ${value}: ${key}Local is ${JSON.stringify(twin)}`);
    }
  }
  t.same(missing, [], `${count} instants read, each with its twin in Asia/Shanghai`);
  for (const surface of ['GET /reports/:id', 'GET /reports/:id/history', 'GET /incidents/:id', 'GET /roster/:townshipCode', 'GET /alerts/open', 'GET /tokens', 'ws live', 'ws resumed']) {
    t.ok(seen.has(surface), `${surface} shows instants, so the sweep reads some`);
  }
});

t.test('sweep: every GET route takes ?position= (SPEC §6: read-your-writes on every read)', async (t) => {
  const { reads, app } = await readEverything(t);
  const head = String(await app.logSize());
  const refused: string[] = [];
  for (const { route, path, token } of reads) {
    const res = await app.call('GET', `${path}${path.includes('?') ? '&' : '?'}position=${head}`, { token });
    if (res.statusCode !== 200) refused.push(`${route}: ${res.statusCode} ${res.body.slice(0, 120)}`);
  }
  t.same(refused, [], `${reads.length} routes read at the log's head (found by a newcomer: /audit/events refused it)`);

  // Past the head there is nothing to wait for: 400 naming the field, never 503 with Retry-After,
  // which a client would follow for ever (found by a newcomer on /tallies).
  const past = String(Number(head) + 1000);
  const waited: string[] = [];
  for (const { route, path, token } of reads) {
    const res = await app.call('GET', `${path}${path.includes('?') ? '&' : '?'}position=${past}`, { token });
    const body = res.json() as { error?: string; message?: string; details?: Array<{ path: string; message: string }> };
    if (res.statusCode !== 400 || body.error !== 'validation' || body.details?.[0]?.path !== 'querystring.position' || !/超出日志末尾/.test(body.details[0].message)) {
      waited.push(`${route}: ${res.statusCode} ${res.body.slice(0, 160)}`);
    }
  }
  t.same(waited, [], `${reads.length} routes refuse a position past the end of the log at once`);
});

t.test('sweep: while the node knows its log was changed behind its back, every read says so beside what it shows (SPEC §8)', async (t) => {
  const { reads, app, reports } = await readEverything(t);
  if (!(app.store instanceof SqliteEventStore)) {
    t.pass('the file is edited directly: the embedded store only');
    return;
  }
  const head = (path: string, token: string) => app.call('GET', path, { token });
  const before = await head(reads[0]!.path, reads[0]!.token);
  t.equal(before.headers['zhitong-log-integrity'], undefined, 'an intact log (not yet checked): nothing said');

  // The newcomer's case: a report's verification deleted from the file. The lists, tallies, ledger
  // and notice fold what is left, so the deletion showed nowhere but /ready and /audit/verify.
  const db = app.store.database;
  // Someone with the file in hand drops the store's guards first (tests/support/audit-world.ts does the same).
  db.exec('DROP TRIGGER IF EXISTS events_no_update; DROP TRIGGER IF EXISTS events_no_delete;');
  const gone = db.prepare(`SELECT position FROM events WHERE stream = ? AND record LIKE '%"type":"DamageVerified"%'`).get(`report-${reports.ahead}`) as { position: string };
  db.prepare('DELETE FROM events WHERE position = ?').run(gone.position);
  const status = await app.integrity.run();
  t.equal(status.state, 'broken');

  const unsaid: string[] = [];
  for (const { route, path, token } of reads) {
    const res = await head(path, token);
    if (res.statusCode !== 200) unsaid.push(`${route}: ${res.statusCode} ${res.body.slice(0, 120)}`);
    if (!/^broken; problems=\d+; checked-at=\d{4}-\d\d-\d\dT[\d:.]+Z$/.test(String(res.headers['zhitong-log-integrity']))) unsaid.push(`${route}: header ${res.headers['zhitong-log-integrity']}`);
    const verbatim = app.app.routeList.find((r) => r.url === route && r.method === 'GET')?.verbatim;
    if (!verbatim && String(res.headers['content-type']).includes('json')) {
      const said = (res.json() as { logIntegrity?: { state: string; problems: number; message: string } }).logIntegrity;
      if (said?.state !== 'broken' || said.problems < 1 || !/^日志校验未通过（北京时间 .* 查出 \d+ 处问题）：历史记录可能被删改.*请先交审计人员核对（GET \/audit\/verify）$/.test(said.message)) unsaid.push(`${route}: logIntegrity ${JSON.stringify(said)}`);
    }
  }
  t.same(unsaid, [], `${reads.length} reads, each still answered and each saying the log failed its check`);

  // Each row says whether its own history is whole (found by a newcomer: the list read as whole
  // what the report's own view said was not).
  const listed = (await head(reads.find((r) => r.route === '/reports')!.path, reads.find((r) => r.route === '/reports')!.token)).json().items as Array<{ reportId: string; intact?: boolean }>;
  t.same(listed.filter((r) => r.intact === false).map((r) => r.reportId), [reports.ahead], 'the report whose verification was deleted is marked in the list, and only it');
  const ledger = (await head(reads.find((r) => r.route === '/allocations')!.path, reads.find((r) => r.route === '/allocations')!.token)).json().items as Array<{ intact?: boolean }>;
  t.ok(ledger.length > 0 && ledger.every((row) => row.intact === undefined), 'an allocation on it keeps its own history whole: not marked');

  const { token } = reads.find((r) => r.route === '/reports')!;
  const english = await app.call('GET', `/reports?unit=${WANGBA}`, { token, headers: { 'accept-language': 'en' } });
  t.match(english.json().logIntegrity.message, /^the log failed verification \(\d+ problem\(s\) found at .*, Beijing time\): history may have been changed/, 'in English on request, and only English');
  const forms = reads.find((r) => r.route === '/incidents/:id/forms')!;
  const printed = (await head(forms.path, forms.token)).body;
  t.match(printed, /^\uFEFF注意,"?日志校验未通过.*请先交审计人员核对"?\r\n/, 'the forms a county signs and sends upward: the warning on their first line');
  t.notMatch(printed, /audit\/verify/, 'with no API path on paper');
  const notice = reads.find((r) => r.route === '/notices/:villageCode')!;
  t.match((await app.call('GET', notice.path, { token: notice.token, headers: { accept: 'text/html' } })).body, /<p class="warning" role="alert"><strong>注意：<\/strong>日志校验未通过/, 'the notice printed for the village board: above its table');

  // Figures sent upward meanwhile go (a statutory deadline does not wait for an audit), and the
  // submission records that the log was known broken (found by a newcomer: 200, nothing said).
  const incident = reads.find((r) => r.route === '/incidents/:id')!;
  const countyHead = app.token('head', KANG);
  const draft = (await app.call('GET', `${incident.path}/draft`, { token: countyHead })).json();
  const sent = await app.call('POST', `${incident.path}/submissions`, { token: countyHead, body: { stage: draft.stage, fromDraft: true, position: draft.asOf } });
  t.equal(sent.statusCode, 200, sent.body);
  t.match(sent.json().warnings.filter((w: { code: string }) => w.code === 'log_broken'), [{ code: 'log_broken', problems: status.state === 'broken' ? status.problems : 0, message: /^已报送，并记下了报送时日志校验未通过（北京时间 .* 查出 \d+ 处问题）.*请交审计人员核对/ }]);
  const recorded = (await app.call('GET', incident.path, { token: countyHead })).json();
  t.match(recorded.submissions.at(-1), { stage: draft.stage, logBroken: { problems: Number, checkedAt: String } }, 'recorded with the submission');
  const asSent = await app.call('GET', `${incident.path}/forms?format=csv&submission=${recorded.submissions.length}`, { token: countyHead });
  t.match(asSent.body, /\r\n报送时日志校验,"?未通过（北京时间 .* 查出 \d+ 处问题）/, 'and printed on the submission\u2019s forms');

  const filed = await app.call('POST', '/reports', { token: app.token('contact', LIJIA, 'contact-lijia'), body: reportBody({ reportId: randomUUID(), observedAt: RIGHT_UTC }) });
  t.equal(filed.statusCode, 201, 'reports are still taken');
  t.match(filed.headers['zhitong-log-integrity'], /^broken/, 'a write is told in its header');
  t.equal(filed.json().logIntegrity, undefined, 'and its answer stays the write\u2019s');
});
