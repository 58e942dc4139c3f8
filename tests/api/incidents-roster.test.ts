import t from 'tap';
import { randomUUID } from 'node:crypto';
import { KANG, LIJIA, NIANBA, WANGBA, reportBody, startTestApp } from '../support/app.js';

t.test('incident lifecycle with statutory clocks', async (t) => {
  let now = new Date('2026-07-01T03:00:00.000Z');
  const app = await startTestApp(t, { now: () => now });
  const countyHead = app.token('head', KANG, 'head-kang');
  const incident = await app.call('POST', '/incidents', {
    token: countyHead,
    body: { county: KANG, hazard: 'flash_flood', startedAt: '2026-07-01T10:00:00+08:00', title: '7·1 山洪' },
  });
  t.equal(incident.statusCode, 201);
  const { incidentId } = incident.json();
  const post = (path: string, body?: unknown, token = countyHead) => app.call('POST', `/incidents/${incidentId}/${path}`, { token, body });

  let view = (await app.call('GET', `/incidents/${incidentId}`, { token: app.token('auditor', KANG) })).json();
  t.match(view.clocks[0], { clock: 'initial', dueAt: '2026-07-01T04:00:00.000Z', overdue: false });
  now = new Date('2026-07-01T04:30:00.000Z');
  view = (await app.call('GET', `/incidents/${incidentId}`, { token: countyHead })).json();
  t.match(view.clocks[0], { clock: 'initial', overdue: true }, 'the 2-hour clock ran out');

  const { reportId } = (await app.call('POST', '/reports', { token: app.token('contact', LIJIA), body: reportBody({ observedAt: '2026-07-01T02:00:00.000Z' }) })).json();
  t.equal((await post('links', { reportId })).statusCode, 200);
  const size = await app.logSize();
  t.equal((await post('links', { reportId })).statusCode, 200, 'linking again what is linked is answered 200 …');
  t.equal(await app.logSize(), size, '… and records nothing new');
  const other = (await app.call('POST', '/incidents', { token: countyHead, body: { county: KANG, hazard: 'flash_flood', startedAt: '2026-07-01T10:00:00+08:00', title: '另一过程' } })).json().incidentId;
  const elsewhere = await app.call('POST', `/incidents/${other}/links`, { token: countyHead, body: { reportId } });
  t.equal(elsewhere.statusCode, 409, 'a report belongs to at most one incident');
  t.equal(elsewhere.json().details.incidentId, incidentId);
  t.equal((await post('links', { reportId: randomUUID() })).statusCode, 404);
  const falseAlarm = (await app.call('POST', '/reports', { token: app.token('contact', LIJIA), body: reportBody({ observedAt: '2026-07-01T02:05:00.000Z' }) })).json().reportId;
  t.equal((await app.call('POST', `/reports/${falseAlarm}/dismissal`, { token: countyHead, body: { reason: 'false_alarm' } })).statusCode, 200);
  const sizeBefore = await app.logSize();
  const dismissedLink = await post('links', { reportId: falseAlarm });
  t.match(
    [dismissedLink.statusCode, dismissedLink.json()],
    [422, { error: 'report_dismissed', message: '该报告已被撤销（误报），不计入任何统计，不能归入灾害过程', details: { reason: 'false_alarm' } }],
    'a dismissed report (it counts in no figure) is not put on the incident, and the officer is told why in Chinese',
  );
  t.equal(await app.logSize(), sizeBefore, 'nothing written: not the report\'s claim, not the incident\'s link');
  const verifyDismissed = await app.call('POST', `/reports/${falseAlarm}/verifications`, {
    token: countyHead,
    body: { figures: {}, households: [], method: '入户核查' },
  });
  t.match([verifyDismissed.statusCode, verifyDismissed.json().message], [422, '该报告已被撤销（误报），不能再续报、接警、派员、核查或结案：如确有灾情，请另建一份报告'], 'field work on it is refused in words about field work, not about relief; to a head, what a head does (found by a newcomer: told to tell the township)');
  const amendDismissed = await app.call('POST', `/reports/${falseAlarm}/amendments`, { token: app.token('contact', LIJIA), body: { notes: '又塌了' } });
  t.match([amendDismissed.statusCode, amendDismissed.json().message], [422, '该报告已被撤销（误报），不能再续报、接警、派员、核查或结案：如确有灾情，请另报一条，并告知乡镇'], 'to the village contact, to tell the township');

  t.equal((await post('submissions', { stage: 'daily', figures: {}, asOf: now.toISOString() })).json().error, 'initial_not_submitted');
  const future = await post('submissions', { stage: 'initial', figures: { affectedPeople: 9 }, asOf: '2027-12-03T22:40:00+08:00' });
  t.match([future.statusCode, future.json()], [422, { error: 'invalid_period', message: /^asOf：这个时间还没到/, details: { field: 'asOf' } }], 'a 初报 as of a time to come: refused, naming asOf');
  const early = await post('submissions', { stage: 'initial', figures: { affectedPeople: 9 }, asOf: '2020-01-01T00:00:00+08:00' });
  t.match([early.statusCode, early.json().message], [422, /早于灾害开始时间（2026-07-01 10:00 北京时间）/], 'as of before the disaster began: refused, saying when it began');
  const initial = await post('submissions', { stage: 'initial', figures: { affectedPeople: 100 }, asOf: now.toISOString() });
  t.equal(initial.statusCode, 200);
  // Begun 10:00, the 初报 was owed by 12:00; sent 12:30, it is said late at once (found by a newcomer).
  t.match(initial.json().warnings?.at(-1), { code: 'late_submission', clock: 'initial', message: '已报送。但初报应在北京时间 2026-07-01 12:00 前报送，晚了 30 分钟：请按规定向上级说明迟报的原因' });
  const jump = await post('submissions', { stage: 'daily', figures: { affectedPeople: 400 }, asOf: now.toISOString() });
  t.equal(jump.statusCode, 422);
  t.equal(jump.json().error, 'explanation_required');
  t.same(jump.json().details.indicators, ['affectedPeople']);
  t.equal((await post('submissions', { stage: 'daily', figures: { affectedPeople: 400 }, asOf: now.toISOString(), explanation: '新增3个村' })).statusCode, 200);
  t.equal((await post('closure', { summary: 'x' })).json().error, 'final_not_submitted');
  t.equal((await post('submissions', { stage: 'final', figures: { affectedPeople: 400 }, asOf: now.toISOString() })).json().error, 'not_stabilized');
  // Dated before the 续报 just sent, stabilization would say the disaster was over while a 续报 said it was not.
  const before = await post('stabilization', { at: new Date(now.getTime() - 3_600_000).toISOString() });
  t.match(
    [before.statusCode, before.json()],
    [422, { error: 'invalid_period', message: /^at：稳定时间 \d{4}-\d\d-\d\d \d\d:\d\d 早于已报送的续报的数据截至时间（.*北京时间）：续报只报到灾情稳定为止，稳定时间不能早于已报的续报$/, details: { field: 'at', why: 'before_daily', dailyAsOf: now.toISOString() } }],
    'stabilized before a 续报 already sent: refused in Chinese, with both times',
  );
  t.equal((await post('stabilization')).statusCode, 200);
  const stableSize = await app.logSize();
  now = new Date(now.getTime() + 60_000);
  t.equal((await post('stabilization')).statusCode, 200, 'sent again a minute later, its answer lost: answered as the first time');
  t.equal(await app.logSize(), stableSize, 'and nothing written');
  t.match((await post('stabilization', { at: now.toISOString() })).json(), { error: 'already_stabilized' }, 'another moment: refused');
  t.equal((await post('submissions', { stage: 'final', figures: { affectedPeople: 410 }, asOf: now.toISOString() })).statusCode, 200);
  // After the 核报 its reports are what went upward: moved out, one would count again in another
  // incident's figures; moved in, it would count nowhere (found by a newcomer: counted twice upward).
  const out = await post('unlinks', { reportId });
  t.match([out.statusCode, out.json()], [422, { error: 'final_already_submitted', message: /^本灾害过程的核报已报送，其中计入了这份报告，之后不能再移出，否则会被重复上报/ }]);
  const late = (await app.call('POST', '/reports', { token: app.token('contact', LIJIA), body: reportBody({ observedAt: '2026-07-01T02:30:00.000Z' }) })).json().reportId;
  const lateLink = await post('links', { reportId: late });
  t.match([lateLink.statusCode, lateLink.json()], [422, { error: 'final_already_submitted', message: /^本灾害过程的核报已报送，之后不能再归入报告：如不属本过程，请归入另一个灾害过程/ }]);
  t.equal((await app.call('POST', `/incidents/${other}/links`, { token: countyHead, body: { reportId: late } })).statusCode, 200, 'another incident takes it');
  t.equal((await post('closure', { summary: '核报完成' })).statusCode, 200);
  view = (await app.call('GET', `/incidents/${incidentId}`, { token: countyHead })).json();
  t.match(view, { status: 'closed', reports: [reportId] });
  t.equal(view.submissions.length, 3);
  t.equal((await post('unlinks', { reportId })).json().error, 'incident_closed');

  t.equal((await app.call('POST', '/incidents', { token: app.token('officer', WANGBA), body: { county: KANG, hazard: 'hail', startedAt: now.toISOString(), title: 'x' } })).statusCode, 403, 'a township officer cannot open a county incident');
  t.equal((await app.call('GET', `/incidents/${incidentId}`, { token: app.token('head', '621225') })).statusCode, 404);
});

t.test('roster: a head replaces it; anyone in scope reads it', async (t) => {
  const app = await startTestApp(t, { now: () => new Date('2026-07-01T03:00:00.000Z') });
  const head = app.token('head', WANGBA);
  const put = await app.call('PUT', `/roster/${WANGBA}`, {
    token: head,
    body: { entries: [{ officer: 'u-li', tier: 'primary' }, { officer: 'u-wang', tier: 'backup', from: '2026-07-02T00:00:00Z' }] },
  });
  t.equal(put.statusCode, 200);
  t.equal((await app.call('GET', `/roster/${WANGBA}`, { token: app.token('contact', LIJIA) })).statusCode, 404, 'a village contact’s scope does not reach the township');
  const read = await app.call('GET', `/roster/${WANGBA}`, { token: app.token('officer', WANGBA) });
  t.same(read.json().entries, [
    { officer: 'u-li', tier: 'primary', onCallNow: true },
    { officer: 'u-wang', tier: 'backup', from: '2026-07-02T00:00:00.000Z', fromLocal: '2026-07-02T08:00:00+08:00', onCallNow: false },
  ]);
  t.equal((await app.call('PUT', `/roster/${WANGBA}`, { token: app.token('officer', WANGBA), body: { entries: [] } })).statusCode, 403);
  t.equal((await app.call('PUT', `/roster/${NIANBA}`, { token: head, body: { entries: [] } })).statusCode, 403);
  t.equal((await app.call('PUT', `/roster/${WANGBA}`, { token: head, body: { entries: [{ officer: 'a', tier: 'primary' }, { officer: 'a', tier: 'backup' }] } })).json().error, 'duplicate_roster_entry');
  // Said as the rule is (found by a newcomer: "且不能晚于现在" where a shift to come is taken).
  const backwards = await app.call('PUT', `/roster/${WANGBA}`, { token: head, body: { entries: [{ officer: 'a', tier: 'primary', from: '2026-07-03T00:00:00Z', until: '2026-07-02T00:00:00Z' }] } });
  t.match([backwards.statusCode, backwards.json()], [422, { error: 'invalid_period', message: /^entries\.0\.until：值班结束时间须晚于开始时间$/, details: { field: 'entries.0.until' } }]);
  // A county's or a village's code within scope: the rule said, as roster set says it (found by a
  // newcomer: 404 "未找到，或不在您的管辖范围内" for codes well within the head's scope).
  for (const code of [KANG, '621299', LIJIA]) {
    for (const [method, body] of [['PUT', { entries: [] }], ['GET', undefined]] as const) {
      const res = await app.call(method, `/roster/${code}`, { token: app.token('head', KANG), ...(body ? { body } : {}) });
      t.match([res.statusCode, res.json()], [422, { error: 'invalid_unit', message: /^排班表属于乡镇：请填写乡镇的 12 位区划代码/, details: { field: 'townshipCode' } }], `${method} ${code}`);
    }
  }
  const nowhere = await app.call('PUT', '/roster/621299199000', { token: app.token('head', KANG), body: { entries: [] } });
  t.match([nowhere.statusCode, nowhere.json()], [422, { error: 'unit_not_found', message: '乡镇 621299199000 未登记', details: { field: 'townshipCode' } }], 'no such township, said so');
  t.equal((await app.call('GET', '/roster/621299103', { token: head })).statusCode, 200, 'the short form works everywhere a code does');
  t.equal((await app.call('GET', `/roster/${NIANBA}`, { token: head })).statusCode, 404);
});

t.test('a roster naming someone no alert would reach says so: no token issued, revoked, expired, not staff here; and nobody primary (found by a newcomer: a typo in an id took the alerts)', async (t) => {
  let now = new Date('2026-07-01T03:00:00.000Z');
  const app = await startTestApp(t, { now: () => now });
  const admin = app.token('admin', KANG, 'admin-kang');
  const issue = async (sub: string, role: string, scope: string, ttlSeconds?: number) =>
    t.equal((await app.call('POST', '/tokens', { token: admin, body: { tokens: [{ sub, role, scope, ...(ttlSeconds ? { ttlSeconds } : {}) }] } })).statusCode, 201, `issued to ${sub}`);
  await issue('u-ok', 'officer', WANGBA);
  await issue('u-head', 'head', KANG);
  await issue('u-gone', 'officer', WANGBA);
  await issue('u-brief', 'officer', WANGBA, 60);
  await issue('u-contact', 'contact', LIJIA);
  await issue('u-there', 'officer', NIANBA);
  t.equal((await app.call('POST', '/tokens/revocations', { token: admin, body: { sub: 'u-gone', reason: '手机丢了' } })).statusCode, 201);
  now = new Date('2026-07-01T03:05:00.000Z');
  const head = app.token('head', WANGBA);
  const entries = ['u-ok', 'u-head', 'u-typo', 'u-gone', 'u-brief', 'u-contact', 'u-there'].map((officer) => ({ officer, tier: officer === 'u-ok' ? 'primary' : 'backup' }));
  const put = await app.call('PUT', `/roster/${WANGBA}`, { token: head, body: { entries } });
  t.equal(put.statusCode, 200, 'set: a roster is a fact, the warnings are for the head to act on');
  t.same(
    put.json().warnings.map((w: { field: string; officer: string; warning: string }) => [w.field, w.officer, w.warning]),
    [
      ['entries.2.officer', 'u-typo', 'no_access'],
      ['entries.3.officer', 'u-gone', 'revoked'],
      ['entries.4.officer', 'u-brief', 'expired'],
      ['entries.5.officer', 'u-contact', 'not_staff_here'],
      ['entries.6.officer', 'u-there', 'not_staff_here'],
    ],
    'each entry no alert would reach, and why; a county head reaches the township',
  );
  t.match(put.json().warnings[0].message, /没有给这个用户编号发过令牌/, 'in Chinese');
  const read = await app.call('GET', `/roster/${WANGBA}`, { token: head, headers: { 'accept-language': 'en' } });
  t.equal(read.json().warnings.length, 5, 'read again on the roster itself');
  t.match(read.json().warnings[0].message, /no token was ever issued/, 'in English when asked');
  const backupsOnly = await app.call('PUT', `/roster/${WANGBA}`, { token: head, body: { entries: [{ officer: 'u-ok', tier: 'backup' }] } });
  t.same(backupsOnly.json().warnings.map((w: { warning: string }) => w.warning), ['no_primary_now'], 'nobody primary: step 0 goes to the heads, and the head is told');
  t.match(backupsOnly.json().warnings[0].message, /现在没有人当主班/);
  const fine = await app.call('PUT', `/roster/${WANGBA}`, { token: head, body: { entries: [{ officer: 'u-ok', tier: 'primary' }] } });
  t.same(fine.json().warnings, [], 'a roster that reaches its people warns of nothing');
});

t.test('health, readiness, metrics, OpenAPI', async (t) => {
  const app = await startTestApp(t);
  t.same((await app.call('GET', '/health')).json(), { status: 'ok' });
  t.match((await app.call('GET', '/ready')).json(), { status: 'ready', eventStore: 'sqlite' });
  const doc = (await app.call('GET', '/docs/json')).json();
  t.equal(doc.openapi, '3.1.0');
  for (const path of ['/reports', '/reports/{id}/verifications', '/allocations', '/allocations/{id}/deliveries', '/incidents/{id}/submissions', '/roster/{townshipCode}']) {
    t.ok(doc.paths[path], `documents ${path}`);
  }
  t.ok(doc.paths['/reports'].post.requestBody.content['application/json'].schema.properties.reporter, 'from the same zod schemas');
  await app.call('GET', '/health');
  const metrics = await app.call('GET', '/metrics');
  t.match(metrics.body, /zhitong_http_requests_total\{method="GET",route="\/health",status="200"\} \d+/);
  t.equal((await app.call('GET', '/nowhere')).json().error, 'not_found');
});

t.test('rate limit: 429 with a JSON error', async (t) => {
  const app = await startTestApp(t, { rateLimitPerMinute: 3 });
  const token = app.token('officer', WANGBA);
  const codes: number[] = [];
  for (let i = 0; i < 5; i++) codes.push((await app.call('GET', `/roster/${WANGBA}`, { token })).statusCode);
  t.same(codes, [200, 200, 200, 429, 429]);
  t.equal((await app.call('GET', `/roster/${WANGBA}`, { token })).json().error, 'rate_limited');
});

t.test('a 续报 as of a moment before the last one in the same minute is refused with both times to the second; the same submission sent again is answered, not sent twice (found by a newcomer)', async (t) => {
  const app = await startTestApp(t, { now: () => new Date('2026-07-01T06:00:00.000Z') });
  const head = app.token('head', KANG, 'head-kang');
  const incidentId = (await app.call('POST', '/incidents', { token: head, body: { county: KANG, hazard: 'flash_flood', startedAt: '2026-07-01T10:00:00+08:00', title: '山洪' } })).json().incidentId as string;
  const submit = (body: Record<string, unknown>, lang?: string) => app.call('POST', `/incidents/${incidentId}/submissions`, { token: head, body, ...(lang ? { headers: { 'accept-language': lang } } : {}) });
  t.equal((await submit({ stage: 'initial', figures: { affectedPeople: 9 }, asOf: '2026-07-01T12:14:37+08:00' })).statusCode, 200);
  const early = await submit({ stage: 'daily', figures: { affectedPeople: 9 }, asOf: '2026-07-01T12:14+08:00' });
  t.match([early.statusCode, early.json()], [422, { error: 'invalid_period', message: 'asOf：2026-07-01 12:14:00 早于上一次报送的截至时间（2026-07-01 12:14:37 北京时间），报送只能向后' }]);
  const earlyEn = await submit({ stage: 'daily', figures: { affectedPeople: 9 }, asOf: '2026-07-01T12:14+08:00' }, 'en');
  t.equal(earlyEn.json().message, "asOf: 2026-07-01 12:14:00 is before the previous submission's (2026-07-01 12:14:37 Beijing time); submissions only go forward", 'in English with the times too');
  const daily = { stage: 'daily', figures: { affectedPeople: 12 }, asOf: '2026-07-01T13:00:00+08:00', explanation: '新增3人' };
  const first = await submit(daily);
  t.equal(first.statusCode, 200, first.body);
  const size = await app.logSize();
  const again = await submit(daily);
  t.equal(again.statusCode, 200, 'sent again: answered');
  t.equal(await app.logSize(), size, 'nothing written: one 续报 upward');
  const view = (await app.call('GET', `/incidents/${incidentId}`, { token: head })).json();
  t.equal(view.submissions.length, 2, 'the 初报 and one 续报');
});

t.test('linking a report observed well before the disaster began, or after it was stabilized, says so (found by a newcomer)', async (t) => {
  const app = await startTestApp(t);
  const head = app.token('head', KANG, 'head-kang');
  const incidentId = (await app.call('POST', '/incidents', { token: head, body: { county: KANG, hazard: 'flash_flood', startedAt: '2026-07-01T10:00:00+08:00', title: '7·1 山洪' } })).json().incidentId as string;
  const file = async (observedAt: string, estimate: Record<string, number> = { affectedPeople: 3 }) =>
    (await app.call('POST', '/reports', { token: app.token('contact', LIJIA), body: reportBody({ observedAt, estimate, hazard: 'flash_flood' }) })).json().reportId as string;
  const link = (reportId: string) => app.call('POST', `/incidents/${incidentId}/links`, { token: head, body: { reportId } });
  const old = await link(await file('2026-06-01T09:00:00+08:00'));
  t.equal(old.statusCode, 200, 'linked: the county decides');
  t.match(old.json().warnings, [{ code: 'observed_before_start', message: /^已归入。但这份报告观察到的时间（北京时间 2026-06-01 09:00）比本灾害过程开始（2026-07-01 10:00）早了不止 6 小时/ }]);
  const onTime = await link(await file('2026-07-01T09:00:00+08:00'));
  t.equal(onTime.json().warnings, undefined, 'an hour before the start given: of it, nothing to say');
  t.equal((await app.call('POST', `/incidents/${incidentId}/stabilization`, { token: head, body: { at: '2026-07-02T10:00:00+08:00' } })).statusCode, 200);
  const later = await link(await file('2026-07-03T09:00:00+08:00', { dead: 2 }));
  t.match(later.json().warnings, [{ code: 'observed_after_stabilization', message: /^已归入。但本灾害过程已于北京时间 2026-07-02 10:00 标记稳定，这份报告是之后观察到的，并报有人员伤亡/ }]);
});

t.test('an incident opened with a start long past says so: every statutory clock counts from it (found by a newcomer: a year typed wrong, taken without a word)', async (t) => {
  const now = new Date('2026-07-10T04:00:00.000Z');
  const app = await startTestApp(t, { now: () => now });
  const head = app.token('head', KANG, 'head-kang');
  const open = (startedAt: string, lang?: string) => app.call('POST', '/incidents', { token: head, body: { county: KANG, hazard: 'landslide', startedAt, title: '滑坡' }, ...(lang ? { headers: { 'accept-language': lang } } : {}) });
  const typo = await open('2016-07-10T08:00:00+08:00');
  t.equal(typo.statusCode, 201);
  t.match(typo.json().warnings, [{ code: 'started_long_ago', days: 3652, message: /^已建立。灾害开始时间填的是北京时间 2016-07-10 08:00，是 3652 天以前：初报、续报、核报的时限都从这个时间算，现在都已超时/ }]);
  t.match((await open('2026-06-01T00:00:00Z', 'en')).json().warnings, [{ code: 'started_long_ago', message: /^opened; but it started 2026-06-01 08:00 Beijing time, 39 days ago/ }], 'in English when asked');
  const recent = await open('2026-07-09T20:00:00Z');
  t.equal(recent.statusCode, 201);
  t.equal(recent.json().warnings, undefined, 'a start of hours ago: nothing to say');
});
