import t from 'tap';
import { randomUUID } from 'node:crypto';
import { HEJIAGOU, KANG, LIJIA, NIANBA, WANGBA, ZHUJIAGOU, reportBody, startTestApp, verificationBody, verifiedReport } from '../support/app.js';
import { tokenService } from '../../infra/tokens.js';

t.test('POST /reports: 201, then the same body again is 200 with the same answer and no new event', async (t) => {
  const app = await startTestApp(t);
  const contact = app.token('contact', LIJIA);
  const reportId = randomUUID();
  const first = await app.call('POST', '/reports', { token: contact, body: reportBody({ reportId }) });
  t.equal(first.statusCode, 201);
  t.match(first.json(), { reportId, position: /^\d+$/, revision: 0 });
  const size = await app.logSize();
  const again = await app.call('POST', '/reports', { token: contact, body: reportBody({ reportId }) });
  t.equal(again.statusCode, 200);
  t.same(again.json(), first.json());
  t.equal(await app.logSize(), size, 'no new event');
  const different = await app.call('POST', '/reports', { token: contact, body: reportBody({ reportId, hazard: 'hail' }) });
  t.equal(different.statusCode, 409);
  t.equal(different.json().error, 'idempotency_mismatch');
  t.match(different.json(), { details: { field: 'body.reportId', reportId } });
  t.match(different.json().message, /请换一个 reportId/, 'it says what to do: a new report, a new reportId');
  // The same words with the same id from the township head: not "different content" (found by a newcomer).
  const byHead = await app.call('POST', '/reports', { token: app.token('head', WANGBA), body: reportBody({ reportId }) });
  t.match([byHead.statusCode, byHead.json()], [409, { error: 'idempotency_mismatch', details: { why: 'other_sender' }, message: `报告编号 ${reportId} 已由另一个人用同样的内容上报过：这份报告已经有了，不用再报；如要补充，请发续报` }]);
  const generated = await app.call('POST', '/reports', { token: contact, body: reportBody() });
  t.equal(generated.statusCode, 201);
  t.match(generated.json().reportId, /^[0-9a-f-]{36}$/, 'the server chooses an id when the client did not');
});

t.test('POST /reports with its first alert in the same append: a retry gets the very first answer, the append\u2019s last position', async (t) => {
  const app = await startTestApp(t, { alerting: true });
  const contact = app.token('contact', LIJIA);
  for (const key of [undefined, randomUUID()]) {
    const reportId = randomUUID();
    const headers = key ? { 'idempotency-key': key } : undefined;
    const first = await app.call('POST', '/reports', { token: contact, body: reportBody({ reportId }), ...(headers ? { headers } : {}) });
    t.equal(first.statusCode, 201);
    const events = await app.store.readStream(`report-${reportId}`);
    t.same(events.map((e) => e.type), ['ReportFiled', 'AlertRaised'], 'filed with its first alert');
    t.same(first.json(), { reportId, position: events[1]!.position, revision: 1, clockSuspect: false }, 'the answer names the append\u2019s last event');
    const again = await app.call('POST', '/reports', { token: contact, body: reportBody({ reportId }), ...(headers ? { headers } : {}) });
    t.same(again.json(), first.json(), `the same answer again (${key ? 'with' : 'without'} an Idempotency-Key)`);
    const bare = await app.call('POST', '/reports', { token: contact, body: reportBody({ reportId }) });
    t.equal(bare.statusCode, 200);
    t.same(bare.json(), first.json(), 'and for a resend without the key');
  }
});

t.test('POST /reports: 50 identical retries at once make one event', async (t) => {
  const app = await startTestApp(t);
  const contact = app.token('contact', LIJIA);
  const reportId = randomUUID();
  const size = await app.logSize();
  const answers = await Promise.all(Array.from({ length: 50 }, () => app.call('POST', '/reports', { token: contact, body: reportBody({ reportId }) })));
  t.same(answers.map((a) => a.statusCode).sort((a, b) => a - b), [...Array(49).fill(200), 201]);
  t.equal(new Set(answers.map((a) => a.json().position)).size, 1);
  t.equal(await app.logSize(), size + 1);
});

t.test('POST /reports: errors', async (t) => {
  const app = await startTestApp(t, { bodyLimitBytes: 4096 });
  const contact = app.token('contact', LIJIA);
  const before = await app.logSize();
  // Every way a token is not taken: its own code or reason, and what to do, in words written for a
  // person in either language (found by a newcomer: the English was the token library's "token
  // malformed", and an expired link read the same as a forged one).
  const expired = app.tokens.issue({ sub: 'c', role: 'contact', scope: LIJIA }, -10);
  const forged = tokenService('another secret entirely, thirty-two bytes or more').issue({ sub: 'c', role: 'contact', scope: LIJIA }, 3600);
  const cases: Array<[string, string | undefined, string, string | undefined, RegExp]> = [
    ['no token', undefined, 'unauthorized', 'missing', /登录链接打开/],
    ['not a token', 'not.a.token', 'unauthorized', 'malformed', /不完整或格式不对/],
    // Cut short inside its signature: incomplete, not forged (found by a newcomer: told it was not ours).
    ['cut short in a text message', contact.slice(0, -20), 'unauthorized', 'malformed', /不完整或格式不对/],
    ['one character lost', contact.slice(0, -1), 'unauthorized', 'malformed', /不完整或格式不对/],
    ['signed with another key', forged, 'unauthorized', 'bad_signature', /不是本系统发放的/],
    ['expired', expired, 'token_expired', undefined, /已过期.*新的登录链接/],
  ];
  for (const [name, token, code, reason, zh] of cases) {
    const answer = await app.call('POST', '/reports', { token, body: reportBody() });
    t.equal(answer.statusCode, 401, name);
    t.match(answer.json(), { error: code, message: zh }, `${name}: in Chinese by default`);
    t.same(answer.json().details, reason === undefined ? undefined : { reason }, `${name}: the reason, for a machine`);
    const en = (await app.call('POST', '/reports', { token, body: reportBody(), headers: { 'accept-language': 'en' } })).json().message as string;
    t.match(en, /sign-in (token|link)/, `${name}: in English when asked`);
    t.notMatch(en, /^token (malformed|expired|bad)/, `${name}: never the library's words`);
  }
  t.equal((await app.call('POST', '/reports', { token: app.token('auditor', WANGBA), body: reportBody() })).statusCode, 403, 'an auditor writes nothing');
  t.equal((await app.call('POST', '/reports', { token: contact, body: reportBody({ village: HEJIAGOU }) })).statusCode, 403, 'another village');

  const bad = await app.call('POST', '/reports', { token: contact, body: reportBody({ village: '123', estimate: { dead: -1 }, extra: true }) });
  t.equal(bad.statusCode, 400);
  t.equal(bad.json().error, 'validation');
  t.same(bad.json().details.map((d: { path: string }) => d.path).sort(), ['body', 'body.estimate.dead', 'body.village']);


  const unknownVillage = await app.call('POST', '/reports', { token: app.token('officer', '621299'), body: reportBody({ village: '621299103299' }) });
  t.equal(unknownVillage.statusCode, 422);
  t.equal(unknownVillage.json().error, 'unit_not_found');

  const notJson = await app.call('POST', '/reports', { token: contact, body: '{"village":', headers: { 'content-type': 'application/json' } });
  t.equal(notJson.statusCode, 400);
  const wrongType = await app.call('POST', '/reports', { token: contact, body: 'village=1', headers: { 'content-type': 'application/x-www-form-urlencoded' } });
  t.equal(wrongType.statusCode, 415);
  t.equal(wrongType.json().error, 'unsupported_media_type');
  const huge = await app.call('POST', '/reports', { token: contact, body: reportBody({ notes: 'x'.repeat(5000) }) });
  t.equal(huge.statusCode, 413);
  t.equal(huge.json().error, 'body_too_large');
  t.equal(await app.logSize(), before, 'nothing was written');
});

t.test('report lifecycle through the API', async (t) => {
  const app = await startTestApp(t);
  const officer = app.token('officer', WANGBA, 'officer-wangba-1');
  const contact = app.token('contact', LIJIA);
  const { reportId } = (await app.call('POST', '/reports', { token: contact, body: reportBody() })).json();
  const post = (path: string, body?: unknown, token = officer, headers?: Record<string, string>) =>
    app.call('POST', `/reports/${reportId}/${path}`, { token, body, ...(headers ? { headers } : {}) });

  t.equal((await post('amendments', { estimate: { dead: 1 } }, contact)).statusCode, 200);
  t.equal((await post('amendments', {}, contact)).statusCode, 400, 'an empty amendment says nothing');
  t.equal((await post('acknowledgements')).statusCode, 200, 'no body at all');
  const colleague = app.token('officer', WANGBA, 'officer-wangba-2');
  t.equal((await post('acknowledgements', {}, colleague)).statusCode, 200, 'a colleague\u2019s later acknowledgement is recorded, not an error');
  const size = await app.logSize();
  const repeat = await post('acknowledgements', {}, colleague);
  t.equal(repeat.statusCode, 200, 'a repeat by the same person is answered 200 …');
  t.equal(await app.logSize(), size, '… and writes nothing (SPEC §3)');
  t.equal((await post('dispatches', { eta: '2026-01-01T02:00:00+08:00' })).statusCode, 200);
  t.equal((await post('arrivals', { location: { lat: 33.35, lon: 105.63 } })).statusCode, 200);
  t.equal((await post('closure', { summary: 'x' })).json().error, 'not_verified');
  const verified = await post('verifications', verificationBody());
  t.equal(verified.statusCode, 200);
  t.match(verified.json(), { revision: 6, position: /^\d+$/ });

  const view = await app.call('GET', `/reports/${reportId}`, { token: contact });
  t.equal(view.statusCode, 200);
  t.match(view.json(), {
    reportId,
    status: 'verified',
    village: LIJIA,
    hazard: 'landslide',
    hazardLabel: '滑坡',
    estimate: { affectedPeople: 12, roomsCollapsed: 2, dead: 1 },
    verified: { figures: { affectedPeople: 9, roomsCollapsed: 3 }, verifier: 'officer-wangba-1' },
    acknowledgedBy: 'officer-wangba-1',
    revision: 6,
    unit: { path: ['康县（示例）', '王坝镇（示例）', '李家村（示例）'] },
  });
  t.equal(view.headers.etag, '"6"');

  t.equal((await post('closure', { summary: '核查完毕' }, officer, { 'if-match': '5' })).statusCode, 412, 'a stale If-Match');
  t.equal((await post('closure', { summary: '核查完毕' }, officer, { 'if-match': 'abc' })).statusCode, 400);
  t.equal((await post('closure', { summary: '核查完毕' }, officer, { 'if-match': '"6"' })).statusCode, 200);
  const late = (await post('amendments', { notes: 'late' }, contact)).json();
  t.equal(late.error, 'report_closed');
  t.equal(late.message, '该报告已结案，不能再续报：如有新的灾情，请另报一条；急事请直接打电话给乡镇', 'a 续报 to a closed report says what to do instead');
  t.equal((await post('verifications', verificationBody())).statusCode, 422);

  const history = await app.call('GET', `/reports/${reportId}/history`, { token: app.token('auditor', '621299') });
  t.equal(history.statusCode, 200);
  const events = history.json().items as Array<{ revision: number; type: string; metadata: { actor: { id: string }; hash: string; prevHash: string } }>;
  t.same(Object.keys(history.json()).sort(), ['items', 'next', 'reportId'], 'a list like every list (SPEC §4 {items, next}), each event once');
  t.equal(history.json().next, null, 'the stream whole: nothing follows');
  // Paged like every list (found by a newcomer: ?limit= and ?after= were ignored, ?foo= accepted).
  const paged: typeof events = [];
  let after: string | null = null;
  for (let pages = 0; pages < 10; pages++) {
    const page = (await app.call('GET', `/reports/${reportId}/history?limit=3${after === null ? '' : `&after=${after}`}`, { token: app.token('auditor', '621299') })).json() as { items: typeof events; next: string | null };
    paged.push(...page.items);
    after = page.next;
    if (after === null) break;
  }
  t.same(paged, events, 'pages of three add up to the whole, the last with next null');
  const unknown = await app.call('GET', `/reports/${reportId}/history?foo=1`, { token: app.token('auditor', '621299') });
  t.match([unknown.statusCode, unknown.json()], [400, { error: 'validation', details: [{ path: 'querystring' }] }], 'an unknown parameter is refused, as on every list');
  const notARevision = await app.call('GET', `/reports/${reportId}/history?after=abc`, { token: app.token('auditor', '621299') });
  t.match([notARevision.statusCode, notARevision.json()], [400, { details: [{ path: 'querystring.after' }] }]);
  t.same(events.map((e) => e.type), [
    'ReportFiled', 'ReportAmended', 'AlertAcknowledged', 'AlertAcknowledged', 'OfficerDispatched', 'OfficerArrived', 'DamageVerified', 'ReportClosed',
  ]);
  t.equal(events[0]!.metadata.actor.id, `contact-${LIJIA}`);
  t.equal(events[1]!.metadata.prevHash, events[0]!.metadata.hash, 'hashes chain');
});

t.test('dismissal', async (t) => {
  const app = await startTestApp(t);
  const officer = app.token('officer', WANGBA);
  const contact = app.token('contact', LIJIA);
  const a = (await app.call('POST', '/reports', { token: contact, body: reportBody() })).json().reportId;
  const b = (await app.call('POST', '/reports', { token: contact, body: reportBody() })).json().reportId;
  t.equal((await app.call('POST', `/reports/${b}/dismissal`, { token: officer, body: { reason: 'duplicate' } })).json().error, 'duplicate_of_required');
  const first = await app.call('POST', `/reports/${b}/dismissal`, { token: officer, body: { reason: 'duplicate', duplicateOf: a } });
  t.equal(first.statusCode, 200);
  t.equal((await app.call('GET', `/reports/${b}`, { token: officer })).json().status, 'dismissed');
  t.equal((await app.call('POST', `/reports/${b}/dismissal`, { token: officer, body: { reason: 'false_alarm' } })).json().error, 'report_dismissed');
  // The reason in an officer's words, as a hazard may be (found by a newcomer: refused).
  const c = (await app.call('POST', '/reports', { token: contact, body: reportBody() })).json().reportId;
  const bad = await app.call('POST', `/reports/${c}/dismissal`, { token: officer, body: { reason: '看错了' } });
  t.match([bad.statusCode, bad.json()], [400, { error: 'validation', details: [{ path: 'body.reason' }] }], 'an unknown reason: 400 naming the field');
  t.match(JSON.stringify(bad.json()), /误报/, 'and listing the words it takes');
  t.equal((await app.call('POST', `/reports/${c}/dismissal`, { token: officer, body: { reason: ' 误报 ' } })).statusCode, 200, '误报 taken');
  t.match((await app.call('GET', `/reports/${c}`, { token: officer })).json(), { dismissal: { reason: 'false_alarm', duplicateOf: null, notes: null, at: String } }, 'and stored as its code; the view says when, in the list\'s shape');
  // Found by a newcomer: who dismissed it was only in the stream's history.
  t.match((await app.call('GET', `/reports/${c}`, { token: officer })).json().dismissal, { by: 'officer-621299103000', byName: null }, 'and by whom');
  const listed = (await app.call('GET', `/reports?status=dismissed`, { token: officer })).json().items.find((i: { reportId: string }) => i.reportId === c);
  t.match(listed.dismissal, { reason: 'false_alarm', duplicateOf: null }, 'as the list has it');
  // Found by a newcomer: the same dismissal retried without an Idempotency-Key (its answer lost on
  // a bad line) was refused as report_dismissed; it gets its first answer and writes nothing.
  const before = (await app.store.readAll({ max: 100_000 })).length;
  const again = await app.call('POST', `/reports/${b}/dismissal`, { token: app.token('officer', WANGBA, 'officer-other'), body: { reason: 'duplicate', duplicateOf: a } });
  t.match([again.statusCode, again.json()], [200, { revision: first.json().revision, position: first.json().position }], 'the same dismissal again: its first answer');
  t.equal((await app.store.readAll({ max: 100_000 })).length, before, 'nothing written');
  // Found by a newcomer: the second officer was not told it was not theirs that was recorded.
  const firstAt = (await app.call('GET', `/reports/${b}`, { token: officer })).json().dismissal.at as string;
  const said = (again.json().warnings as Array<Record<string, unknown>>).find((w) => w.code === 'already_dismissed');
  t.match(said, { by: 'officer-621299103000', at: firstAt, message: /^这份报告已由乡镇值班干部（officer-621299103000）于 \d{4}-\d{2}-\d{2} \d{2}:\d{2}（北京时间）以同样的理由撤销，这次没有再记录/ }, 'said: by whom, when, and that nothing new was recorded');
  t.notOk((first.json().warnings ?? []).some((w: { code: string }) => w.code === 'already_dismissed'), 'and not to the one whose dismissal it was');
  const english = await app.call('POST', `/reports/${b}/dismissal`, { token: officer, body: { reason: 'duplicate', duplicateOf: a }, headers: { 'accept-language': 'en' } });
  t.match(english.json().warnings, [{ code: 'already_dismissed', message: /^this report was already dismissed for the same reason by officer officer-621299103000 at \d{4}-\d{2}-\d{2} \d{2}:\d{2} Beijing time; nothing new was recorded/, by: 'officer-621299103000' }], 'in English on request');
});

t.test('an earlier report dismissed as a duplicate of a later one: said, with both times (found by a newcomer: accepted, nothing said)', async (t) => {
  let clock = Date.parse('2026-07-01T02:00:00Z');
  const app = await startTestApp(t, { now: () => new Date(clock) });
  const officer = app.token('officer', WANGBA);
  const file = async () => (await app.call('POST', '/reports', { token: app.token('contact', LIJIA), body: reportBody() })).json().reportId as string;
  const [early, middle] = [await file(), (clock += 20 * 60_000, await file())];
  clock += 60_000;
  const late = await file();
  const backwards = await app.call('POST', `/reports/${early}/dismissal`, { token: officer, body: { reason: 'duplicate', duplicateOf: late } });
  t.equal(backwards.statusCode, 200, 'not refused: keeping the later one may be right');
  t.match(backwards.json().warnings, [
    { code: 'duplicate_of_later_report', reportId: late, message: new RegExp(`^报告 ${late} 是 2026-07-01 10:21 上报的，比这份（2026-07-01 10:00 上报）晚：通常作为重复撤销的是后报的那份`) },
  ]);
  const forwards = await app.call('POST', `/reports/${late}/dismissal`, { token: officer, body: { reason: 'duplicate', duplicateOf: middle }, headers: { 'accept-language': 'en' } });
  t.equal(forwards.statusCode, 200);
  t.notOk((forwards.json().warnings ?? []).some((w: { code: string }) => w.code === 'duplicate_of_later_report'), 'the later one dismissed as a duplicate of an earlier: nothing to say');
});

t.test('a 续报 or a duplicate saying more than a verified report: told that the verified figures count until it is verified again (found by a newcomer: a death never reached the forms)', async (t) => {
  const app = await startTestApp(t);
  const officer = app.token('officer', WANGBA);
  const reportId = await verifiedReport(app);
  const amended = await app.call('POST', `/reports/${reportId}/amendments`, { token: app.token('contact', LIJIA), body: { estimate: { dead: 1, missing: 2 } } });
  t.equal(amended.statusCode, 200, amended.body);
  t.match(amended.json().warnings, [{ code: 'more_than_verified', indicators: ['dead', 'missing'], message: '这份报告已入户核查，统计和上报按核查的数字计：续报的死亡人口 1人、失踪人口 2人，比核查的（死亡人口 0人、失踪人口 0人）多，在重新核查之前不会计入。请乡镇干部尽快重新入户核查' }]);
  const duplicate = (await app.call('POST', '/reports', { token: app.token('contact', LIJIA), body: reportBody({ estimate: { dead: 3 } }) })).json().reportId as string;
  const dismissed = await app.call('POST', `/reports/${duplicate}/dismissal`, { token: officer, body: { reason: 'duplicate', duplicateOf: reportId } });
  t.match(dismissed.json().warnings, [{ code: 'graver_figures_dropped', message: new RegExp(`比报告 ${reportId} 的核查结果（死亡人口 0 人）大：.*请对报告 ${reportId} 重新入户核查$`) }], 'against what the original counts with: its verification');
});

t.test('a 续报 from a phone with no fix (0,0) keeps the good point sent before: officers still go there (found by a newcomer: sent to the village centre instead)', async (t) => {
  const app = await startTestApp(t);
  const good = { lat: 33.355, lon: 105.634 };
  const { reportId } = (await app.call('POST', '/reports', { token: app.token('contact', LIJIA), body: reportBody({ location: good }) })).json();
  const noFix = await app.call('POST', `/reports/${reportId}/amendments`, { token: app.token('contact', LIJIA), body: { location: { lat: 0, lon: 0 }, notes: '又塌了一间' } });
  t.equal(noFix.statusCode, 200, noFix.body);
  t.match(noFix.json().warnings, [{ code: 'location_suspect' }], 'the sender is told the point was not taken');
  const view = (await app.call('GET', `/reports/${reportId}`, { token: app.token('officer', WANGBA) })).json();
  t.match(view.goTo, { lat: 33.355, lon: 105.634, source: 'report' }, 'where to go: the point sent before');
  const moved = await app.call('POST', `/reports/${reportId}/amendments`, { token: app.token('contact', LIJIA), body: { location: { lat: 33.36, lon: 105.64 } } });
  t.equal(moved.statusCode, 200);
  t.match((await app.call('GET', `/reports/${reportId}`, { token: app.token('officer', WANGBA) })).json().goTo, { lat: 33.36, lon: 105.64, source: 'report' }, 'a good new point replaces it');
});

t.test('no suspect 续报 point replaces a good one: no fix, abroad, or far from the village (found by a newcomer: a stale fix 1,000 km away sent officers to the centre)', async (t) => {
  const app = await startTestApp(t);
  const good = { lat: 33.355, lon: 105.634 };
  const contact = app.token('contact', LIJIA);
  const officer = app.token('officer', WANGBA);
  for (const [label, point, problem] of [
    ['no fix', { lat: 0, lon: 0 }, 'no_fix'],
    ['abroad', { lat: 48.85, lon: 2.35 }, 'outside_country'],
    ['Beijing, inside the country, far from the village', { lat: 39.9, lon: 116.4 }, 'far_from_village'],
    ['a neighbouring county, 60 km off', { lat: 33.9, lon: 105.634 }, 'far_from_village'],
  ] as const) {
    const { reportId } = (await app.call('POST', '/reports', { token: contact, body: reportBody({ location: good }) })).json();
    const amend = () => app.call('POST', `/reports/${reportId}/amendments`, { token: contact, body: { location: point } });
    const sent = await amend();
    t.equal(sent.statusCode, 200, `${label}: ${sent.body}`);
    t.match(sent.json().warnings, [{ code: 'location_suspect', problem, message: /^已收到。但续报带的位置不可信（.*），报告原来的位置不变，值班人员仍按原位置出发。/ }], `${label}: the sender is told the earlier point stays`);
    const view = (await app.call('GET', `/reports/${reportId}`, { token: officer })).json();
    t.match(view.goTo, { ...good, source: 'report' }, `${label}: officers still go to the point sent before`);
    t.same(view.location, good, `${label}: the report's point is the good one`);
    const size = await app.logSize();
    t.equal((await amend()).statusCode, 200, `${label}: resent …`);
    t.equal(await app.logSize(), size, `${label}: … nothing written (it changed nothing)`);
  }
  // The decider's judgement is in the log for an auditor, with the distance it measured.
  const { reportId } = (await app.call('POST', '/reports', { token: contact, body: reportBody({ location: good }) })).json();
  await app.call('POST', `/reports/${reportId}/amendments`, { token: contact, body: { location: { lat: 39.9, lon: 116.4 }, notes: '在村口' } });
  const history = (await app.call('GET', `/reports/${reportId}/history`, { token: app.token('auditor', '621299') })).json();
  t.match(history.items.find((e: { type: string }) => e.type === 'ReportAmended')?.data, { location: { lat: 39.9, lon: 116.4 }, notes: '在村口', locationSuspect: { problem: 'far_from_village', centreOf: 'village', distanceKm: Number } });
  const forged = await app.call('POST', `/reports/${reportId}/amendments`, { token: contact, body: { notes: '再看', locationSuspect: { problem: 'no_fix', distanceKm: null, centreOf: null } } });
  t.equal(forged.statusCode, 400, 'the judgement is the server\u2019s: a client cannot send it');
  t.match(forged.json(), { error: 'validation', message: /locationSuspect/ });
  // A report with no point takes even a far one (as its filing would), and officers go to the centre.
  const { reportId: bare } = (await app.call('POST', '/reports', { token: contact, body: reportBody() })).json();
  const far = await app.call('POST', `/reports/${bare}/amendments`, { token: contact, body: { location: { lat: 39.9, lon: 116.4 } } });
  t.match(far.json().warnings, [{ code: 'location_suspect', problem: 'far_from_village', message: /^已收到。但续报带的位置不可信.*按村中心位置出发/ }]);
  const bareView = (await app.call('GET', `/reports/${bare}`, { token: officer })).json();
  t.same(bareView.location, { lat: 39.9, lon: 116.4 }, 'kept as sent, beside …');
  t.match(bareView.goTo, { source: 'unit' }, '… where to go: the centre');
});

t.test('a village code in full-width digits, and a duplicate named by a UUID in capitals, are read as meant (found by a newcomer: both refused)', async (t) => {
  const app = await startTestApp(t);
  const fullWidth = LIJIA.replace(/[0-9]/g, (d) => String.fromCharCode(0xff10 + Number(d)));
  const filed = await app.call('POST', '/reports', { token: app.token('contact', LIJIA), body: reportBody({ village: fullWidth }) });
  t.equal(filed.statusCode, 201, filed.body);
  const original = (await app.call('POST', '/reports', { token: app.token('contact', LIJIA), body: reportBody() })).json().reportId as string;
  const stored = (await app.call('GET', `/reports/${filed.json().reportId}`, { token: app.token('officer', WANGBA) })).json();
  t.equal(stored.village, LIJIA, 'kept as the register writes it');
  const dismissed = await app.call('POST', `/reports/${filed.json().reportId}/dismissal`, { token: app.token('officer', WANGBA), body: { reason: 'duplicate', duplicateOf: original.toUpperCase() } });
  t.equal(dismissed.statusCode, 200, dismissed.body);
  t.equal((await app.call('GET', `/reports/${filed.json().reportId}`, { token: app.token('officer', WANGBA) })).json().dismissal.duplicateOf, original, 'named in lower case, as ids are kept');
});

t.test('a duplicate whose estimate says more than the original\u2019s: said, with both figures and what to do (found by a newcomer: the graver figures dropped in silence)', async (t) => {
  const app = await startTestApp(t);
  const officer = app.token('officer', WANGBA);
  const file = async (estimate: Record<string, number>) => (await app.call('POST', '/reports', { token: app.token('contact', LIJIA), body: reportBody({ estimate }) })).json().reportId as string;
  const original = await file({ affectedPeople: 12, roomsCollapsed: 2 });
  const graver = await file({ affectedPeople: 12, roomsCollapsed: 2, dead: 2, directLossYuan: 50_000 });
  const res = await app.call('POST', `/reports/${graver}/dismissal`, { token: officer, body: { reason: 'duplicate', duplicateOf: original } });
  t.equal(res.statusCode, 200, 'not refused: the other estimate may simply be older');
  t.match(res.json().warnings, [
    {
      code: 'graver_figures_dropped',
      reportId: original,
      indicators: ['dead', 'directLossYuan'],
      message: `这份报告估计的死亡人口 2 人、直接经济损失 50000 元，比报告 ${original} 的估计（死亡人口 0 人、直接经济损失 0 元）大：撤销后只按报告 ${original} 计入统计，这些数字不再计入。如属实，请在报告 ${original} 上续报更正`,
    },
  ]);
  const same = await file({ affectedPeople: 3 });
  t.notOk(((await app.call('POST', `/reports/${same}/dismissal`, { token: officer, body: { reason: 'duplicate', duplicateOf: original } })).json().warnings ?? []).some((w: { code: string }) => w.code === 'graver_figures_dropped'), 'saying less: nothing to say');
});

/**
 * Found by a newcomer: a report could be dismissed as a duplicate of a report that was itself
 * dismissed, or of a report in another village, and the hazard then counted nowhere, or its
 * households had no report of their village to be helped from. Every way to name the wrong
 * original is refused, naming duplicateOf, in Chinese; nothing is written.
 */
t.test('dismissal as a duplicate: the report named stands, is in the same village and is one the officer can see', async (t) => {
  const app = await startTestApp(t);
  const officer = app.token('officer', WANGBA);
  const file = async (village = LIJIA) => (await app.call('POST', '/reports', { token: app.token('contact', village), body: reportBody({ village }) })).json().reportId as string;
  const dismiss = (id: string, body: Record<string, unknown>, token = officer) => app.call('POST', `/reports/${id}/dismissal`, { token, body });
  const [first, second, third, falseAlarm, hejiagou, zhujiagou, later] = [await file(), await file(), await file(), await file(), await file(HEJIAGOU), await file(ZHUJIAGOU), await file()];
  t.equal((await dismiss(second, { reason: 'duplicate', duplicateOf: first })).statusCode, 200);
  t.equal((await dismiss(falseAlarm, { reason: 'false_alarm' })).statusCode, 200);

  const cases: Array<[string, Record<string, unknown>, string, RegExp, Record<string, unknown>]> = [
    ['a report that was dismissed as a duplicate: it names the one that stands', { reason: 'duplicate', duplicateOf: second }, 'duplicate_of_dismissed', new RegExp(`本身已作为报告 ${first} 的重复被撤销，请把 duplicateOf 填为 ${first}`), { reportId: second, duplicateOf: first }],
    ['a false alarm', { reason: 'duplicate', duplicateOf: falseAlarm }, 'duplicate_of_dismissed', /已被撤销（误报），不计入任何统计/, { reportId: falseAlarm, reason: 'false_alarm' }],
    ['a report in another village of the township', { reason: 'duplicate', duplicateOf: hejiagou }, 'duplicate_of_other_village', /是何家沟村（示例）（621299103202）的，这份报告是李家村（示例）（621299103201）的/, { village: HEJIAGOU, thisVillage: LIJIA }],
    ['a report outside the officer\u2019s scope', { reason: 'duplicate', duplicateOf: zhujiagou }, 'duplicate_of_unknown', /没有找到报告 .*或它不在您的管辖范围内/, { reportId: zhujiagou }],
    ['a report that does not exist', { reason: 'duplicate', duplicateOf: '00000000-0000-4000-8000-000000000000' }, 'duplicate_of_unknown', /没有找到报告/, {}],
    ['duplicateOf with another reason', { reason: 'false_alarm', duplicateOf: first }, 'duplicate_of_unexpected', /只在以重复为由撤销时填写.*误报/, { reason: 'false_alarm' }],
  ];
  for (const [what, body, code, message, details] of cases) {
    const size = await app.logSize();
    const answer = await dismiss(later, body);
    t.equal(answer.statusCode, 422, what);
    t.match(answer.json(), { error: code, details: { field: 'duplicateOf', ...details } }, `${what}: ${code}, naming duplicateOf`);
    t.match(answer.json().message, message, `${what}: said in Chinese`);
    t.notMatch(answer.json().message, /[a-z]{4,} [a-z]{4,}/, `${what}: no English in the Chinese message`);
    t.equal(await app.logSize(), size, `${what}: nothing written`);
  }
  t.match((await app.call('POST', `/reports/${later}/dismissal`, { token: officer, body: { reason: 'duplicate', duplicateOf: second }, headers: { 'accept-language': 'en' } })).json().message, /was itself dismissed as a duplicate of/, 'in English on request');
  t.equal((await app.call('GET', `/reports/${later}`, { token: officer })).json().status, 'filed', 'still standing after every refusal');

  // A county officer sees both villages, and the rule is still the village's, not the scope's.
  const county = app.token('officer', '621299');
  t.equal((await dismiss(hejiagou, { reason: 'duplicate', duplicateOf: zhujiagou }, county)).json().error, 'duplicate_of_other_village');
  t.equal((await dismiss(later, { reason: 'duplicate', duplicateOf: first })).statusCode, 200, 'the report that stands is named');
  t.equal((await dismiss(third, { reason: 'duplicate', duplicateOf: first })).statusCode, 200, 'and another duplicate of the same one');
});

/**
 * The one way round the rule: two officers dismiss each other's report as the duplicate at the
 * same instant, each seeing the other standing. Whatever the interleaving, both never pass in
 * silence: the second is refused, or one of the two is told the hazard now counts nowhere.
 */
t.test('dismissal as a duplicate: two reports dismissed as each other\u2019s duplicate at once are never both silent', async (t) => {
  const app = await startTestApp(t);
  const file = async () => (await app.call('POST', '/reports', { token: app.token('contact', LIJIA), body: reportBody() })).json().reportId as string;
  let crossed = 0;
  for (let i = 0; i < 12; i++) {
    const [a, b] = [await file(), await file()];
    const answers = await Promise.all([
      app.call('POST', `/reports/${a}/dismissal`, { token: app.token('officer', WANGBA, 'u-one'), body: { reason: 'duplicate', duplicateOf: b } }),
      app.call('POST', `/reports/${b}/dismissal`, { token: app.token('officer', WANGBA, 'u-two'), body: { reason: 'duplicate', duplicateOf: a } }),
    ]);
    const codes = answers.map((x) => x.statusCode).sort();
    if (codes[0] === 200 && codes[1] === 200) {
      crossed++;
      const warned = answers.flatMap((x) => x.json().warnings ?? []).filter((w: { code: string }) => w.code === 'duplicate_of_each_other');
      t.equal(warned.length >= 1, true, `round ${i}: both dismissed, and at least one officer is told`);
      t.match(warned[0]?.message, /两份报告现在都不计入统计/);
    } else {
      t.same(codes, [200, 422], `round ${i}: one dismissed, the other refused`);
      t.equal(answers.find((x) => x.statusCode === 422)!.json().error, 'duplicate_of_dismissed');
    }
  }
  t.comment(`${crossed} of 12 rounds crossed`);
});

/**
 * Found by a newcomer: the report that duplicates went with was dismissed as a false alarm and
 * nothing was said, though the hazard they reported then counted nowhere; and a duplicate of a
 * report of another hazard was taken in silence. Neither is refused (a false alarm's duplicates
 * are false alarms too; a hazard cannot be amended), both are said on the 200, naming the reports.
 */
t.test('dismissal: what it does to the reports that went with it, and a duplicate of another hazard, is said', async (t) => {
  const app = await startTestApp(t);
  const officer = app.token('officer', WANGBA);
  const file = async (hazard = 'landslide') => (await app.call('POST', '/reports', { token: app.token('contact', LIJIA), body: reportBody({ hazard }) })).json().reportId as string;
  const dismiss = (id: string, body: Record<string, unknown>) => app.call('POST', `/reports/${id}/dismissal`, { token: officer, body });
  const codes = (answer: Awaited<ReturnType<typeof dismiss>>) => (answer.json().warnings ?? []).map((w: { code: string }) => w.code);
  const [original, dupA, dupB, flood, chained, next, third, x, y] = [await file(), await file(), await file(), await file('flash_flood'), await file(), await file(), await file(), await file(), await file()];

  const asFlood = await dismiss(dupA, { reason: 'duplicate', duplicateOf: original });
  t.same(codes(asFlood), [], 'same hazard: nothing to say');
  const other = await dismiss(flood, { reason: 'duplicate', duplicateOf: original });
  t.equal(other.statusCode, 200, 'another hazard is not refused');
  t.match(other.json().warnings, [{ code: 'duplicate_of_other_hazard', reportId: original, hazard: 'landslide', thisHazard: 'flash_flood', message: /报的是滑坡，这份报的是山洪.*只按滑坡计入统计/ }], 'but said, in words');
  t.equal((await dismiss(dupB, { reason: 'duplicate', duplicateOf: original })).statusCode, 200);
  await app.runner.waitFor((await app.store.headPosition())!, 5000);

  const gone = await dismiss(original, { reason: 'false_alarm' });
  t.equal(gone.statusCode, 200, 'a false alarm with duplicates is still dismissed');
  const [warning] = gone.json().warnings.filter((w: { code: string }) => w.code === 'duplicates_count_nowhere');
  t.same(new Set(warning?.reportIds), new Set([dupA, dupB, flood]), 'every report dismissed as its duplicate is named');
  t.match(warning?.message, new RegExp(`报告 ${dupA}（滑坡，\\d{4}-\\d\\d-\\d\\d \\d\\d:\\d\\d 上报）`), 'each with its hazard and when it was filed, Beijing time');
  t.match(warning?.message, new RegExp(`报告 ${flood}（山洪，`), 'its own hazard');
  t.match(warning?.message, /是作为这份报告的重复撤销的.*不再计入任何统计/, 'and what that means, in Chinese');

  // Found by a newcomer: warnings stayed Chinese beside English errors. In English on request, as errors are.
  const [e1, e2] = [await file(), await file('debris_flow')];
  const english = await app.call('POST', `/reports/${e2}/dismissal`, { token: officer, body: { reason: 'duplicate', duplicateOf: e1 }, headers: { 'accept-language': 'en-US,en;q=0.9' } });
  t.match(english.json().warnings, [{ code: 'duplicate_of_other_hazard', message: /^report .* was filed as landslide, this one as debris flow: dismissed as its duplicate, this one counts only as landslide/ }], 'in English on request');
  for (const w of [...english.json().warnings, ...gone.json().warnings]) t.notOk('en' in w, `${w.code}: one message, in the language asked for`);

  // Dismissed as a duplicate itself, what went with it counts with the report it names: nothing to say.
  t.equal((await dismiss(chained, { reason: 'duplicate', duplicateOf: next })).statusCode, 200);
  t.equal((await dismiss(x, { reason: 'duplicate', duplicateOf: y })).statusCode, 200);
  await app.runner.waitFor((await app.store.headPosition())!, 5000);
  t.same(codes(await dismiss(next, { reason: 'duplicate', duplicateOf: third })), ['duplicate_of_later_report'], 'dismissed as a duplicate, what went with it still counts, with the report named: only that the one named was filed later is said');
  t.same(codes(await dismiss(y, { reason: 'out_of_scope' })), ['duplicates_count_nowhere'], 'out of scope: said too');
});

/**
 * Found by a newcomer: a report verified household by household, dismissed as the duplicate of an
 * unverified one, took its verified figures out of the tallies with nothing said; and a second,
 * different dismissal was refused with the text for field work. The verified one is the one that
 * stands; both verified, only the original's verification counts, and that is said.
 */
t.test('dismissal as a duplicate: a verification is not dropped for an estimate', async (t) => {
  const app = await startTestApp(t);
  const officer = app.token('officer', WANGBA, 'officer-1');
  const dismiss = (id: string, body: Record<string, unknown>) => app.call('POST', `/reports/${id}/dismissal`, { token: officer, body });
  const checked = await verifiedReport(app);
  const estimated = (await app.call('POST', '/reports', { token: app.token('contact', LIJIA), body: reportBody() })).json().reportId as string;
  const tally = async () => (await app.call('GET', `/tallies?unit=${LIJIA}`, { token: officer })).json();
  const before = await tally();
  t.match(JSON.stringify(before), /"verified":\{[^}]*"affectedPeople":\d/, 'the verified figures are in the tallies');

  const size = await app.logSize();
  const refused = await dismiss(checked, { reason: 'duplicate', duplicateOf: estimated });
  t.match([refused.statusCode, refused.json()], [422, { error: 'duplicate_of_unverified', details: { field: 'duplicateOf', reportId: estimated } }], 'the verified one is not dismissed for an unverified one');
  t.match(refused.json().message, new RegExp(`这份报告已入户核查.*请把报告 ${estimated} 作为这份的重复撤销`), 'and told which way round, in Chinese');
  t.equal(await app.logSize(), size, 'nothing written');
  t.same(await tally(), before, 'the tallies keep the verified figures');

  t.equal((await dismiss(estimated, { reason: 'duplicate', duplicateOf: checked })).statusCode, 200, 'the other way round is taken');
  const again = await dismiss(estimated, { reason: 'false_alarm' });
  t.match([again.statusCode, again.json()], [422, { error: 'report_dismissed', details: { action: 'dismiss', reason: 'duplicate', duplicateOf: checked } }]);
  t.match(again.json().message, new RegExp(`^该报告已经撤销过了（重复上报，与报告 ${checked} 重复），撤销不能更改或撤回`), 'said as a dismissal that cannot change, naming the original');

  // Found by a newcomer: a verified report dismissed as a false alarm took its figures out of every tally, and nothing was said.
  const falseAlarm = await dismiss(await verifiedReport(app), { reason: '误报' });
  t.equal(falseAlarm.statusCode, 200, 'a verified report may still be a false alarm');
  t.match(falseAlarm.json().warnings, [{ code: 'verified_figures_dropped', households: Number, message: /^这份报告已入户核查（受灾人口 \d+ 人.*核查了 \d+ 户）：撤销后这些核查结果不再计入任何统计/ }], 'but the figures it takes away are said');
  // Every figure, the loss and the crops too, and in English with its figures (found by a newcomer).
  const lossy = await verifiedReport(app);
  t.equal((await app.call('POST', `/reports/${lossy}/verifications`, { token: app.token('officer', WANGBA), body: verificationBody({ figures: { affectedPeople: 9, roomsCollapsed: 3, roomsModeratelyDamaged: 1, directLossYuan: 90000, cropAffectedHa: 1.5 } }) })).statusCode, 200);
  const lossyGone = await app.call('POST', `/reports/${lossy}/dismissal`, { token: app.token('officer', WANGBA), body: { reason: 'false_alarm' }, headers: { 'accept-language': 'en' } });
  t.match(lossyGone.json().warnings, [{ code: 'verified_figures_dropped', message: /^this report was verified household by household \(people affected 9, rooms collapsed 3, rooms moderately damaged 1, hectares of crops affected 1\.5, yuan of direct loss 90000; 2 households visited\)/ }]);

  const second = await verifiedReport(app);
  const both = await dismiss(second, { reason: 'duplicate', duplicateOf: checked });
  t.equal(both.statusCode, 200, 'both verified: taken');
  t.match(both.json().warnings, [{ code: 'verification_not_counted', reportId: checked, message: new RegExp(`统计按报告 ${checked} 的核查结果计`) }], 'and said whose verification counts');
});

t.test('scope: outside it a report does not exist (404, not 403)', async (t) => {
  const app = await startTestApp(t);
  const { reportId } = (await app.call('POST', '/reports', { token: app.token('contact', ZHUJIAGOU), body: reportBody({ village: ZHUJIAGOU }) })).json();
  const wangbaOfficer = app.token('officer', WANGBA);
  t.equal((await app.call('GET', `/reports/${reportId}`, { token: wangbaOfficer })).statusCode, 404);
  t.equal((await app.call('GET', `/reports/${reportId}/history`, { token: wangbaOfficer })).statusCode, 404);
  t.equal((await app.call('POST', `/reports/${reportId}/acknowledgements`, { token: wangbaOfficer })).statusCode, 404);
  t.equal((await app.call('GET', `/reports/${randomUUID()}`, { token: wangbaOfficer })).statusCode, 404, 'the same answer as for a report that does not exist');
  t.equal((await app.call('GET', `/reports/${reportId}`, { token: app.token('officer', NIANBA) })).statusCode, 200);
  t.equal((await app.call('GET', `/reports/not-a-uuid`, { token: wangbaOfficer })).statusCode, 400);
});

t.test('50 concurrent writers on one report: exactly one wins', async (t) => {
  const app = await startTestApp(t);
  const { reportId } = (await app.call('POST', '/reports', { token: app.token('contact', LIJIA), body: reportBody() })).json();
  const officer = app.token('officer', WANGBA);
  const answers = await Promise.all(
    Array.from({ length: 50 }, (_, i) =>
      app.call('POST', `/reports/${reportId}/verifications`, { token: officer, body: verificationBody({ notes: `writer ${i}` }), headers: { 'if-match': '0' } }),
    ),
  );
  const codes = answers.map((a) => a.statusCode);
  t.equal(codes.filter((c) => c === 200).length, 1, 'one verification lands');
  t.ok(codes.every((c) => c === 200 || c === 409 || c === 412), `the rest are 409/412: ${[...new Set(codes)]}`);
  const conflict = answers.find((a) => a.statusCode === 409 || a.statusCode === 412)!;
  t.equal(conflict.json().details.currentRevision, 1, 'a loser learns the current revision');
  t.equal((await app.call('GET', `/reports/${reportId}`, { token: officer })).json().revision, 1);
});

t.test('a verification that leaves out figures its household list shows: counted from the list, said back, and so in the tallies', async (t) => {
  const app = await startTestApp(t);
  const filed = await app.call('POST', '/reports', { token: app.token('contact', LIJIA), body: reportBody({ estimate: { affectedPeople: 6 } }) });
  const reportId = (filed.json() as { reportId: string }).reportId;
  const officer = app.token('officer', WANGBA);
  // The input found from outside: figures {} with one collapsed house went upward as 0 collapsed rooms.
  const res = await app.call('POST', `/reports/${reportId}/verifications`, {
    token: officer,
    body: verificationBody({ figures: {}, households: [{ householdId: 'hh-1', name: '张三明', damage: 'collapsed', people: 4 }, { householdId: 'hh-2', name: '李四', damage: 'none', people: 3 }] }),
  });
  t.equal(res.statusCode, 200, res.body);
  const warning = res.json().warnings.find((w: { code: string }) => w.code === 'figures_from_households');
  t.match(warning, { filled: { affectedPeople: 4, roomsCollapsed: 1 } });
  t.equal(warning.message, '核查数字没有填“受灾人口”、“倒塌房屋”，已按所列的户和所填的数字计为受灾人口 4 人、倒塌房屋 1 间；如所列的户不是全部，请再核查一次，填上全部数字');
  const view = (await app.call('GET', `/reports/${reportId}?position=${res.json().position}`, { token: officer })).json();
  t.same(view.verified.figures, { affectedPeople: 4, roomsCollapsed: 1 }, 'the report says the figures that count');
  t.same(view.verified.filledIn, ['affectedPeople', 'roomsCollapsed'], 'and which came from the list');
  const tallies = (await app.call('GET', `/tallies?unit=${LIJIA}&position=${res.json().position}`, { token: app.token('auditor', KANG) })).json();
  t.same(tallies.verified, { affectedPeople: 4, roomsCollapsed: 1 }, 'the county counts the collapsed room');
  // The estimate said more than the verification gives: said, so the deaths are not lost unseen
  // (found by a newcomer: an estimate of 2 dead, a verification of the affected only).
  await app.call('POST', `/reports/${reportId}/amendments`, { token: app.token('contact', LIJIA), body: { estimate: { dead: 2, missing: 3 } } });
  const partial = await app.call('POST', `/reports/${reportId}/verifications`, { token: officer, body: verificationBody({ figures: { affectedPeople: 6 }, households: [] }) });
  t.equal(partial.statusCode, 200, partial.body);
  t.match(partial.json().warnings.find((w: { code: string }) => w.code === 'estimate_left_out'), {
    message: '报告估计有死亡人口 2 人、失踪人口 3 人，这次核查没有填：核查后统计和上报按核查的数字计，这些不再计入。如确有，请再核查一次填上；确实没有，请填 0',
    indicators: ['dead', 'missing'],
    estimate: { dead: 2, missing: 3 },
  });
  const zeros = await app.call('POST', `/reports/${reportId}/verifications`, { token: officer, body: verificationBody({ figures: { affectedPeople: 6, dead: 0, missing: 0 }, households: [] }) });
  t.notOk((zeros.json().warnings ?? []).some((w: { code: string }) => w.code === 'estimate_left_out'), 'given, even as 0: nothing left out');
  // Given in full, nothing is filled and nothing is said.
  const full = await app.call('POST', `/reports/${reportId}/verifications`, {
    token: officer,
    body: verificationBody({ figures: { affectedPeople: 7, roomsCollapsed: 2 }, households: [{ householdId: 'hh-1', name: '张三明', damage: 'collapsed', people: 4 }] }),
  });
  t.equal(full.statusCode, 200, full.body);
  t.notOk((full.json().warnings ?? []).some((w: { code: string }) => w.code === 'figures_from_households'), 'nothing filled, nothing said');
  // The sender cannot say what was filled: the decider's to write.
  const said = await app.call('POST', `/reports/${reportId}/verifications`, { token: officer, body: verificationBody({ filledIn: ['roomsCollapsed'] }) });
  t.equal(said.statusCode, 400, said.body);
});

t.test('a re-verification that no longer lists damaged households names them (found by a newcomer)', async (t) => {
  const app = await startTestApp(t);
  const reportId = await verifiedReport(app); // hh-1 张三明 collapsed, hh-2 李四 moderate
  const officer = app.token('officer', WANGBA);
  const again = await app.call('POST', `/reports/${reportId}/verifications`, { token: officer, body: verificationBody({ figures: { affectedPeople: 9, roomsCollapsed: 3 }, households: [{ householdId: 'HH-1', name: '张三明', damage: 'collapsed', people: 4 }, { householdId: 'hh-3', name: '王五', damage: 'none', people: 2 }] }) });
  t.equal(again.statusCode, 200, again.body);
  t.match(again.json().warnings.find((w: { code: string }) => w.code === 'household_dropped'), {
    message: '上次核查的受损户，这次的户表里没有：户 hh-2（李四，一般损坏）。核查后按这次的户表计，这些户不再计入，也不在应救助的户里；如是漏填，请再核查一次列上',
    householdIds: ['hh-2'],
  }, 'hh-2 is named; hh-1 written HH-1 is the same household, still listed');
  const back = await app.call('POST', `/reports/${reportId}/verifications`, { token: officer, body: verificationBody() });
  t.notOk((back.json().warnings ?? []).some((w: { code: string }) => w.code === 'household_dropped'), 'an undamaged household left out is nothing to say');
});

t.test('a report whose 续报 after verification tells of more deaths is not closed until verified again (found by a newcomer)', async (t) => {
  const app = await startTestApp(t);
  const reportId = await verifiedReport(app);
  const officer = app.token('officer', WANGBA);
  const more = await app.call('POST', `/reports/${reportId}/amendments`, { token: app.token('contact', LIJIA), body: { estimate: { dead: 3 } } });
  t.equal(more.statusCode, 200);
  const before = await app.logSize();
  const closing = await app.call('POST', `/reports/${reportId}/closure`, { token: officer, body: { summary: '处置完毕' } });
  t.match([closing.statusCode, closing.json()], [422, { error: 'verification_outdated', message: '核查之后的续报报了更多伤亡（死亡 3 人（核查 0 人）），比核查的多：请先再入户核查一次，再结案，否则这些伤亡不会计入统计', details: { news: [{ indicator: 'dead', reported: 3, verified: 0 }] } }]);
  t.equal(await app.logSize(), before, 'nothing written');
  t.equal((await app.call('POST', `/reports/${reportId}/verifications`, { token: officer, body: verificationBody({ figures: { affectedPeople: 9, roomsCollapsed: 3, roomsModeratelyDamaged: 1, dead: 3 } }) })).statusCode, 200);
  t.equal((await app.call('POST', `/reports/${reportId}/closure`, { token: officer, body: { summary: '处置完毕' } })).statusCode, 200, 'verified again with the deaths: closed');
});

t.test('a verification whose figures are below its own household list: 422 naming the figure, in Chinese, nothing written', async (t) => {
  const app = await startTestApp(t);
  const filed = await app.call('POST', '/reports', { token: app.token('contact', LIJIA), body: reportBody() });
  const reportId = (filed.json() as { reportId: string }).reportId;
  const before = await app.store.headPosition();
  const res = await app.call('POST', `/reports/${reportId}/verifications`, {
    token: app.token('officer', WANGBA),
    body: verificationBody({ figures: { affectedPeople: 2, roomsCollapsed: 3 }, households: [{ householdId: 'hh-1', name: '张三明', damage: 'collapsed', people: 4 }] }),
  });
  t.equal(res.statusCode, 422, res.body);
  t.match(res.json(), { error: 'figures_below_households', details: { field: 'figures.affectedPeople', given: 2, implied: 4 } });
  t.match(res.json().message, /受灾人口填了 2，但按所列受损户至少是 4 人/);
  // A part larger than its whole (found by a newcomer: 40 evacuated of 1 affected, 成灾 above 受灾, went into the forms).
  for (const [figures, field, message] of [
    [{ affectedPeople: 4, evacuated: 40 }, 'figures.evacuated', '数字前后矛盾：紧急转移安置人口 40人，比它所属的受灾人口 4人还多'],
    [{ affectedPeople: 4, needEmergencyAid: 50 }, 'figures.needEmergencyAid', undefined],
    [{ affectedPeople: 4, cropAffectedHa: 1, cropDamagedHa: 2 }, 'figures.cropDamagedHa', undefined],
    [{ affectedPeople: 4, cropDamagedHa: 2, cropFailedHa: 3 }, 'figures.cropFailedHa', undefined],
  ] as const) {
    const odd = await app.call('POST', `/reports/${reportId}/verifications`, { token: app.token('officer', WANGBA), body: verificationBody({ figures, households: [{ householdId: 'hh-1', name: '张三明', damage: 'collapsed', people: 4 }] }) });
    t.match([odd.statusCode, odd.json()], [422, { error: 'figures_inconsistent', details: { field } }], `${field}: refused, naming it`);
    t.match(odd.json().message, /^数字前后矛盾：.+还多$/, odd.json().message);
    if (message) t.ok(odd.json().message.includes('40') && odd.json().message.includes('4'), 'with both figures');
  }
  t.equal(await app.store.headPosition(), before, 'nothing written');
});

t.test('a fact sent to a report dismissed as a duplicate is recorded on the report it was merged into (found by a newcomer: a 续报 of injuries bounced)', async (t) => {
  const app = await startTestApp(t);
  const contact = app.token('contact', LIJIA);
  const officer = app.token('officer', WANGBA, 'officer-wangba-1');
  const file = async () => (await app.call('POST', '/reports', { token: contact, body: reportBody() })).json().reportId as string;
  const [a, b, c] = [await file(), await file(), await file()];
  // c merged into b, then b into a: a chain (a dismissed report cannot be named as an original, so the order matters).
  t.equal((await app.call('POST', `/reports/${c}/dismissal`, { token: officer, body: { reason: 'duplicate', duplicateOf: b } })).statusCode, 200);
  t.equal((await app.call('POST', `/reports/${b}/dismissal`, { token: officer, body: { reason: 'duplicate', duplicateOf: a } })).statusCode, 200);

  const amended = await app.call('POST', `/reports/${b}/amendments`, { token: contact, body: { notes: '砸伤了人', estimate: { injured: 3 } } });
  t.equal(amended.statusCode, 200, 'the news is taken');
  t.match(amended.json().warnings, [{ code: 'sent_to_original', reportId: a, duplicate: b, message: new RegExp(`已记到它并入的报告 ${a}`) }], 'and the sender is told where it went');
  t.match((await app.call('GET', `/reports/${a}`, { token: officer })).json(), { notes: '砸伤了人', estimate: { injured: 3 }, amendments: 1 }, 'the original carries it');
  t.match((await app.call('GET', `/reports/${b}`, { token: officer })).json(), { amendments: 0, status: 'dismissed' }, 'the duplicate is left as it was');
  const history = (await app.call('GET', `/reports/${a}/history`, { token: app.token('auditor', WANGBA) })).json();
  const moved = history.items.find((e: { type: string }) => e.type === 'ReportAmended');
  t.equal(moved.metadata.redirectedFrom, `report-${b}`, 'the original\u2019s history names the report the sender meant (found by a newcomer: only a correlation id tied them)');
  t.equal(history.items.find((e: { type: string }) => e.type === 'ReportFiled').metadata.redirectedFrom, undefined, 'and nothing else says so');

  // Through a chain of duplicates, and for every fact from the field.
  const viaChain = await app.call('POST', `/reports/${c}/amendments`, { token: contact, body: { estimate: { missing: 1 } }, headers: { 'accept-language': 'en' } });
  t.match(viaChain.json().warnings, [{ code: 'sent_to_original', reportId: a, message: /recorded on report .* merged into/ }]);
  for (const [path, body] of [['acknowledgements', {}], ['dispatches', {}], ['arrivals', {}]] as const) {
    const res = await app.call('POST', `/reports/${b}/${path}`, { token: officer, body });
    t.equal(res.statusCode, 200, path);
    t.match(res.json().warnings, [{ code: 'sent_to_original', reportId: a }], `${path}: told`);
  }
  t.match((await app.call('GET', `/reports/${a}`, { token: officer })).json(), { estimate: { injured: 3, missing: 1 }, acknowledgements: ['officer-wangba-1'], dispatched: [{ officer: 'officer-wangba-1' }], arrived: [{ officer: 'officer-wangba-1' }] });

  // Through a duplicate a 续报 raises the original's figures, never lowers them (found by a newcomer:
  // a merged report's "3 affected" set the original's 12 to 3).
  const lower = await app.call('POST', `/reports/${b}/amendments`, { token: contact, body: { estimate: { injured: 1, affectedPeople: 4, evacuated: 6 }, notes: '人已转移' } });
  t.equal(lower.statusCode, 200, lower.body);
  t.match(lower.json().warnings, [{ code: 'sent_to_original', notLowered: [{ indicator: 'affectedPeople', sent: 4, original: 12 }, { indicator: 'injured', sent: 1, original: 3 }], message: /受灾人口 4人（原报告 12）、受伤人口 1人（原报告 3） 比原报告的数字小，没有改动原报告/ }]);
  t.match((await app.call('GET', `/reports/${a}`, { token: officer })).json(), { estimate: { injured: 3, affectedPeople: 12, evacuated: 6 }, notes: '人已转移' }, 'the lower figures left as they were; the rest recorded');
  const onlyLower = await app.call('POST', `/reports/${b}/amendments`, { token: contact, body: { estimate: { affectedPeople: 2 } }, headers: { 'accept-language': 'en' } });
  t.equal(onlyLower.statusCode, 200, 'nothing but lower figures: nothing written, and said');
  t.match(onlyLower.json().warnings, [{ code: 'sent_to_original', unchanged: true, message: /adds nothing new .* so nothing was recorded\. people affected 2 \(the original says 12\): lower than the original's figures/ }]);
  const ackAgain = await app.call('POST', `/reports/${b}/acknowledgements`, { token: officer });
  t.match(ackAgain.json().warnings, [{ code: 'sent_to_original', unchanged: true, message: /这一条没有新内容，没有再记到它并入的报告/ }], 'the same acknowledgement again: not told it was recorded (found by a newcomer)');
  t.equal((await app.call('GET', `/reports/${a}`, { token: officer })).json().estimate.affectedPeople, 12);

  // With If-Match the request names the duplicate's revision: decided there, refused, and the refusal names the original.
  const etag = (await app.call('GET', `/reports/${b}`, { token: officer })).headers.etag as string;
  const conditional = await app.call('POST', `/reports/${b}/amendments`, { token: contact, body: { notes: '又塌了' }, headers: { 'if-match': etag } });
  t.equal(conditional.statusCode, 422);
  t.match(conditional.json(), { error: 'report_dismissed', details: { duplicateOf: a }, message: new RegExp(`已并入报告 ${a}`) });

  // The original closed: nowhere open to take it; refused, naming the original and saying to phone.
  const head = app.token('head', WANGBA, 'head-wangba');
  t.equal((await app.call('POST', `/reports/${a}/verifications`, { token: head, body: verificationBody() })).statusCode, 200);
  const closed = await app.call('POST', `/reports/${a}/closure`, { token: head, body: { summary: '处置完毕' } });
  t.equal(closed.statusCode, 200, closed.body);
  const late = await app.call('POST', `/reports/${b}/amendments`, { token: contact, body: { notes: '又塌了' } });
  t.equal(late.statusCode, 422);
  t.match(late.json(), { error: 'report_dismissed', details: { duplicateOf: a }, message: /急事请直接打电话/ });
  const staff = await app.call('POST', `/reports/${b}/acknowledgements`, { token: officer });
  t.match(staff.json(), { error: 'report_dismissed', details: { duplicateOf: a, sender: 'officer' }, message: /如有新的灾情，请另建一份报告/ }, 'an officer is the township: told to file anew, not to phone it (found by a newcomer)');
  t.notMatch(staff.json().message, /打电话/);
  const dismissedPlain = await app.call('POST', `/reports/${a}/amendments`, { token: contact, body: { notes: 'x' } });
  t.equal(dismissedPlain.json().error, 'report_closed', 'a closed report answers for itself');
  const ackClosed = await app.call('POST', `/reports/${a}/acknowledgements`, { token: app.token('officer', WANGBA, 'officer-wangba-3') });
  t.match(ackClosed.json(), { error: 'report_closed', message: '该报告已结案，没有待确认的警报，不需要再接警' }, 'an acknowledgement is not a change: said so (found by a newcomer)');
});

t.test('each 续报\u2019s notes stay readable in order behind the latest (found by newcomers: the view showed only the last)', async (t) => {
  let clock = Date.parse('2026-07-01T04:00:00.000Z');
  const app = await startTestApp(t, { now: () => new Date(clock) });
  const contact = app.token('contact', LIJIA);
  const { reportId } = (await app.call('POST', '/reports', { token: contact, body: reportBody({ notes: '后山滑坡，路断了' }) })).json();
  const amend = async (body: unknown) => {
    clock += 600_000;
    const res = await app.call('POST', `/reports/${reportId}/amendments`, { token: contact, body });
    t.equal(res.statusCode, 200, res.body);
  };
  await amend({ notes: '砸伤了两人' });
  await amend({ estimate: { injured: 2 }, notes: '砸伤了两人' });
  await amend({ estimate: { injured: 2, roomsCollapsed: 1 } });
  await amend({ notes: '又塌了一间' });
  const view = (await app.call('GET', `/reports/${reportId}`, { token: app.token('officer', WANGBA) })).json();
  t.equal(view.notes, '又塌了一间', 'notes: the latest');
  t.same(
    view.noteTrail.map((n: { at: string; notes: string }) => [n.at, n.notes]),
    [
      ['2026-07-01T04:00:00.000Z', '后山滑坡，路断了'],
      ['2026-07-01T04:10:00.000Z', '砸伤了两人'],
      ['2026-07-01T04:40:00.000Z', '又塌了一间'],
    ],
    'every notes text once, in order, with when: the same notes again, or none, add nothing',
  );
  t.match(view.noteTrail[1].atLocal, /^2026-07-01T12:10:00(\.000)?\+08:00$/, 'with the Beijing time beside each');
  clock += 60_000;
  t.equal((await app.call('POST', `/reports/${reportId}/amendments`, { token: app.token('officer', WANGBA, 'officer-wangba-1'), body: { notes: '已电话联系何老三，路断' } })).statusCode, 200);
  const before = await app.logSize();
  for (const blank of ['   ', '', '\u3000']) {
    const res = await app.call('POST', `/reports/${reportId}/amendments`, { token: contact, body: { notes: blank } });
    t.equal(res.statusCode, 400, `notes of ${JSON.stringify(blank)} alone say nothing: refused (found by a newcomer: they hid the news before them)`);
  }
  t.equal(await app.logSize(), before, 'nothing written');
  await amend({ notes: ' ', estimate: { injured: 3 } });
  const latest = (await app.call('GET', `/reports/${reportId}`, { token: app.token('officer', WANGBA) })).json();
  t.equal(latest.notes, '已电话联系何老三，路断', 'blank notes beside a figure leave the notes as they were');
  const trail = latest.noteTrail;
  t.same(trail.map((n: { by: string }) => n.by).slice(-2), [view.noteTrail[0].by, 'officer-wangba-1'], 'each with who wrote it: the officer\u2019s note is not the contact\u2019s (found by a newcomer)');
  t.equal(trail.length, 4, 'blank notes add nothing to read');
});

t.test('an arrival time already past or days ahead is recorded and said back, so the officer sends it again as meant (found by a newcomer)', async (t) => {
  const app = await startTestApp(t, { now: () => new Date('2026-07-01T04:00:00.000Z') });
  const { reportId } = (await app.call('POST', '/reports', { token: app.token('contact', LIJIA), body: reportBody() })).json();
  const officer = app.token('officer', WANGBA, 'officer-wangba-1');
  const dispatch = (eta: string, lang?: string) => app.call('POST', `/reports/${reportId}/dispatches`, { token: officer, body: { eta }, ...(lang ? { headers: { 'accept-language': lang } } : {}) });
  const past = await dispatch('2026-07-01T11:30:00+08:00');
  t.equal(past.statusCode, 200);
  t.match(past.json().warnings, [{ code: 'eta_unlikely', problem: 'passed', message: /^已记录出发。但预计到达时间（2026-07-01 11:30 北京时间）已经过去/ }]);
  t.equal((await dispatch('2026-07-01T12:45:00+08:00')).json().warnings, undefined, 'three quarters of an hour ahead: nothing to say');
  t.equal((await dispatch('2026-07-01T11:55:00+08:00')).json().warnings, undefined, 'five minutes past: a slow clock, nothing to say');
  const far = await dispatch('2027-07-01T12:00:00+08:00', 'en');
  t.match(far.json().warnings, [{ code: 'eta_unlikely', problem: 'days_ahead', message: /^recorded; but the arrival time given \(2027-07-01 12:00 Beijing time\) is more than three days ahead/ }]);
});
