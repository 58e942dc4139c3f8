import t, { type Test } from 'tap';
import { randomUUID } from 'node:crypto';
import { recordGrant, LIJIA, HEJIAGOU, NIANBA, ZHUJIAGOU, WANGBA, KANG, reportBody, startTestApp, type TestApp } from '../support/app.js';
import { AlertClient } from '../support/ws-client.js';

async function listening(t: Test, options: Parameters<typeof startTestApp>[1] = {}): Promise<{ app: TestApp; url: string }> {
  const app = await startTestApp(t, { alerting: true, escalationDelayMs: 60_000, ...options });
  const url = await app.app.listen({ port: 0, host: '127.0.0.1' });
  return { app, url };
}

const fileReport = (app: TestApp, over: Record<string, unknown> = {}, village = LIJIA) =>
  app.call('POST', '/reports', { token: app.token('contact', village), body: reportBody({ village, ...over }) }).then((r) => {
    if (r.statusCode !== 201) throw new Error(r.body);
    return r.json() as { reportId: string; position: string };
  });

t.test('an alert says where, how to get there, what and whom to call; scope is respected', async (t) => {
  const { app, url } = await listening(t);
  const primary = await AlertClient.connect(url, app.token('officer', WANGBA, 'officer-wangba-1'));
  const otherTownship = await AlertClient.connect(url, app.token('officer', NIANBA, 'officer-nianba-1'), 'query');
  t.teardown(() => (primary.close(), otherTownship.close()));
  const hello = await primary.next((f) => f.type === 'hello');
  primary.send({ type: 'resume', after: hello.position });
  otherTownship.send({ type: 'resume', after: (await otherTownship.next((f) => f.type === 'hello')).position });

  const { reportId } = await fileReport(app, { location: { lat: 33.3544, lon: 105.6297 }, directions: '村委会后山，沿水泥路上行1公里', observedAt: '2026-01-01T00:00:00.000Z' });
  const alert = await primary.next((f) => f.type === 'alert' && f.reportId === reportId);
  t.match(alert, {
    type: 'alert',
    reportId,
    step: 0,
    hazard: 'landslide',
    hazardLabel: '滑坡',
    unit: { code: LIJIA, name: '李家村（示例）', path: ['康县（示例）', '王坝镇（示例）', '李家村（示例）'] },
    location: { lat: 33.3544, lon: 105.6297, source: 'report', geoUri: /^geo:33\.3544,105\.6297/ },
    directions: '村委会后山，沿水泥路上行1公里',
    accessNotes: /铁索桥/,
    reporter: { name: '王建国', phone: '13800000000' },
    estimate: { affectedPeople: 12, roomsCollapsed: 2 },
    observedAt: '2026-01-01T00:00:00.000Z',
  });
  t.match(alert.position, /^\d+$/);
  t.ok(typeof alert.reportedAt === 'string');

  const second = await fileReport(app, { location: undefined, hazard: 'hail' }, HEJIAGOU);
  const fallback = await primary.next((f) => f.type === 'alert' && f.reportId === second.reportId);
  t.match(fallback.location, { lat: 33.3012, lon: 105.5899, source: 'unit', geoUri: /^geo:33\.3012,105\.5899/ }, 'no coordinates: the village centre, said so');

  await otherTownship.roundTrip();
  t.same(otherTownship.alerts(), [], 'an officer never sees another township\u2019s alert');
});

t.test('same hazard, same village, within 2 hours: the alert names both reports', async (t) => {
  const { app, url } = await listening(t);
  const primary = await AlertClient.connect(url, app.token('officer', WANGBA, 'officer-wangba-1'));
  t.teardown(() => primary.close());
  primary.send({ type: 'resume', after: (await primary.next((f) => f.type === 'hello')).position });
  const first = await fileReport(app, { reporter: { name: '王建国', phone: '13800000000' } });
  await primary.next((f) => f.type === 'alert' && f.reportId === first.reportId);
  const second = await fileReport(app, { reporter: { name: '李秀英', phone: '13900000000' } });
  const alert = await primary.next((f) => f.type === 'alert' && f.reportId === second.reportId);
  t.match(alert.related, [{ reportId: first.reportId, reporter: { name: '王建国', phone: '13800000000' } }]);
});

t.test('an acknowledgement says which related reports it answers too, and which say more and are still alerted (found by a newcomer)', async (t) => {
  const { app, url } = await listening(t);
  const primary = await AlertClient.connect(url, app.token('officer', WANGBA, 'officer-wangba-1'));
  t.teardown(() => primary.close());
  primary.send({ type: 'resume', after: (await primary.next((f) => f.type === 'hello')).position });
  const first = await fileReport(app, { estimate: { affectedPeople: 6 } });
  await primary.next((f) => f.type === 'alert' && f.reportId === first.reportId);
  const same = await fileReport(app, { estimate: { affectedPeople: 4 } });
  await primary.next((f) => f.type === 'alert' && f.reportId === same.reportId);
  const worse = await fileReport(app, { estimate: { affectedPeople: 6, dead: 1 } });
  await primary.next((f) => f.type === 'alert' && f.reportId === worse.reportId);
  await app.runner.caughtUp();
  const ack = await app.call('POST', `/reports/${first.reportId}/acknowledgements`, { token: app.token('officer', WANGBA, 'officer-wangba-1'), body: {} });
  t.equal(ack.statusCode, 200, ack.body);
  const said = ack.json().warnings as Array<{ code: string; message: string; reportIds: string[] }>;
  t.match(said, [
    { code: 'also_answers', reportIds: [same.reportId], message: /^同一处同类灾情的相关报告也算您已确认，不再为它们叫人：李家村（示例）滑坡（北京时间 \d{4}-\d\d-\d\d \d\d:\d\d 报）$/ },
    { code: 'related_graver', reportIds: [worse.reportId], message: /^相关报告说的灾情更重.*请也确认：李家村（示例）滑坡/ },
  ]);
  // And it is so: the one that says nothing more is answered in their name; the graver one is not.
  await app.runner.caughtUp();
  await primary.next((f) => f.type === 'acknowledged' && f.reportId === same.reportId);
  const view = (id: string) => app.call('GET', `/reports/${id}`, { token: app.token('officer', WANGBA) }).then((r) => r.json());
  t.equal((await view(same.reportId)).acknowledgedBy, 'officer-wangba-1', 'the related report, answered as said');
  t.equal((await view(worse.reportId)).acknowledgedBy, null, 'the graver one still waits, as said');
  // A second person's acknowledgement changes nothing for the others: nothing said.
  const again = await app.call('POST', `/reports/${first.reportId}/acknowledgements`, { token: app.token('officer', WANGBA, 'officer-wangba-2'), body: {} });
  t.equal(again.json().warnings, undefined, 'answered already: nothing to say');
});

t.test('a 续报 of more dead, missing or injured reaches the township and county heads, whoever answered (found by two newcomers)', async (t) => {
  const { app, url } = await listening(t);
  const connect = async (token: string) => {
    const c = await AlertClient.connect(url, token);
    t.teardown(() => c.close());
    c.send({ type: 'resume', after: (await c.next((f) => f.type === 'hello')).position });
    await c.roundTrip();
    return c;
  };
  const primary = await connect(app.token('officer', WANGBA, 'officer-wangba-1'));
  const townshipHead = await connect(app.token('head', WANGBA, 'head-wangba'));
  const countyHead = await connect(app.token('head', KANG, 'head-kang'));
  const { reportId } = await fileReport(app);
  await primary.next((f) => f.type === 'alert' && f.reportId === reportId);
  t.equal((await app.call('POST', `/reports/${reportId}/acknowledgements`, { token: app.token('officer', WANGBA, 'officer-wangba-1'), body: {} })).statusCode, 200);
  // A 续报 that says nothing graver: the heads hear nothing of it.
  const quiet = await app.call('POST', `/reports/${reportId}/amendments`, { token: app.token('contact', LIJIA), body: { notes: '路通了' } });
  t.equal(quiet.statusCode, 200);
  const grave = await app.call('POST', `/reports/${reportId}/amendments`, { token: app.token('contact', LIJIA), body: { estimate: { dead: 2, missing: 1 }, notes: '又塌了一次，有人被埋' } });
  t.equal(grave.statusCode, 200);
  // The county head was never alerted for it: now they are, with the report as it stands.
  const alert = await countyHead.next((f) => f.type === 'alert' && f.reportId === reportId);
  t.match(alert, { reason: 'casualties', position: grave.json().position, estimate: { dead: 2, missing: 1 }, notes: '又塌了一次，有人被埋', acknowledgedBy: ['officer-wangba-1'], unit: { path: ['康县（示例）', '王坝镇（示例）', '李家村（示例）'] } }, 'the county head: alerted with the report as it stands, and who is on it');
  t.notOk(countyHead.frames.some((f) => f.position === quiet.json().position), 'the county head: nothing of the quiet 续报');
  // The township head, alerted at step 0 in this township (no backup on call), follows the report: the update.
  t.match(await townshipHead.next((f) => f.position === grave.json().position), { type: 'updated', change: 'amended', estimate: { dead: 2, missing: 1 } }, 'the township head hears it too, once');
  t.match(await primary.next((f) => f.type === 'updated' && f.position === grave.json().position), { change: 'amended', estimate: { dead: 2 } }, 'the officer on it hears the update');
  t.notOk(primary.frames.some((f) => f.type === 'alert' && f.position === grave.json().position), 'and not a second alert');
  // A head who resumes later gets the same frame from the log.
  const late = await AlertClient.connect(url, app.token('head', KANG, 'head-kang'));
  t.teardown(() => late.close());
  await late.next((f) => f.type === 'hello');
  late.send({ type: 'resume', after: '0' });
  t.match(await late.next((f) => f.type === 'alert' && f.position === grave.json().position), { reason: 'casualties', estimate: { dead: 2, missing: 1 } }, 'worked out again on resume: the same');
});

t.test('a report filed telling of deaths reaches the township and county heads with its first alert, and they hear who answers it (found by a newcomer: no head for the first twenty minutes)', async (t) => {
  const { app, url } = await listening(t);
  const connect = async (token: string) => {
    const c = await AlertClient.connect(url, token);
    t.teardown(() => c.close());
    c.send({ type: 'resume', after: (await c.next((f) => f.type === 'hello')).position });
    await c.roundTrip();
    return c;
  };
  const countyHead = await connect(app.token('head', KANG, 'head-kang'));
  const primary = await connect(app.token('officer', WANGBA, 'officer-wangba-1'));
  const { reportId } = await fileReport(app, { estimate: { affectedPeople: 40, dead: 3, missing: 5 } });
  const step0 = await primary.next((f) => f.type === 'alert' && f.reportId === reportId);
  t.match(step0, { step: 0, reason: 'filed' });
  t.match(await countyHead.next((f) => f.type === 'alert' && f.reportId === reportId), { step: 0, reason: 'casualties', casualtiesFrom: 'filing', estimate: { dead: 3, missing: 5 }, acknowledgedBy: [] }, 'the county head at once, with the first alert');
  t.equal((await app.call('POST', `/reports/${reportId}/acknowledgements`, { token: app.token('officer', WANGBA, 'officer-wangba-1'), body: {} })).statusCode, 200);
  t.match(await countyHead.next((f) => f.type === 'acknowledged' && f.reportId === reportId), { by: 'officer-wangba-1' }, 'and hears who answered it');
  const quiet = await fileReport(app, { hazard: 'hail', estimate: { affectedPeople: 4 } });
  await primary.next((f) => f.type === 'alert' && f.reportId === quiet.reportId);
  await countyHead.roundTrip();
  t.notOk(countyHead.frames.some((f) => f.reportId === quiet.reportId), 'a report of no casualties: nothing to the county head');
});

t.test('a township where nobody on call and no head can be reached: the county\u2019s heads get step 0 (found by a newcomer: a debris flow reached nobody for twenty minutes)', async (t) => {
  const { app } = await listening(t);
  const admin = app.token('admin', KANG, 'admin-kang');
  // The office records its grants: the county head and 王坝镇's staff hold access; 碾坝镇's officers on the roster and its head hold none.
  t.equal((await app.call('POST', '/tokens', { token: admin, body: { tokens: [{ sub: 'head-kang', role: 'head', scope: KANG }, { sub: 'head-wangba', role: 'head', scope: WANGBA }, { sub: 'officer-wangba-1', role: 'officer', scope: WANGBA }] } })).statusCode, 201);
  const { reportId } = await fileReport(app, { hazard: 'debris_flow', estimate: { affectedPeople: 30 } }, ZHUJIAGOU);
  await app.runner.caughtUp();
  const raised = (await app.store.readStream(`report-${reportId}`)).find((e) => e.type === 'AlertRaised');
  t.match(raised?.data, { step: 0, recipients: ['officer-nianba-1', 'head@621299104', 'head@621299'] }, 'the primary named, the township heads named, and the county heads, who can be reached');
  const here = await fileReport(app, { estimate: { affectedPeople: 3 } });
  await app.runner.caughtUp();
  const wangba = (await app.store.readStream(`report-${here.reportId}`)).find((e) => e.type === 'AlertRaised');
  t.same((wangba?.data as { recipients: string[] }).recipients, ['officer-wangba-1'], 'a township whose primary is reached: the primary only');
});

/** A server alerting, the primary officer's socket live from its hello, and one report it was alerted for. */
async function alertedOnce(t: Test) {
  const { app, url } = await listening(t, { escalationDelayMs: 60_000 });
  const primary = await AlertClient.connect(url, app.token('officer', WANGBA, 'officer-wangba-1'));
  t.teardown(() => primary.close());
  primary.send({ type: 'resume', after: (await primary.next((f) => f.type === 'hello')).position });
  const { reportId } = await fileReport(app);
  await primary.next((f) => f.type === 'alert' && f.reportId === reportId);
  return { app, primary, reportId };
}

t.test('ack over the socket stops escalation and tells everyone alerted', async (t) => {
  const { app, primary, reportId } = await alertedOnce(t);
  t.equal(app.escalator.pendingEscalations(), 1, 'step 1 is owed');
  primary.send({ type: 'ack', reportId });
  const acknowledged = await primary.next((f) => f.type === 'acknowledged' && f.reportId === reportId);
  t.equal(acknowledged.by, 'officer-wangba-1');
  await app.runner.caughtUp();
  t.equal(app.escalator.pendingEscalations(), 0, 'nothing more is owed');
  const view = (await app.call('GET', `/reports/${reportId}`, { token: app.token('officer', WANGBA) })).json();
  t.match(view, { status: 'acknowledged', acknowledgedBy: 'officer-wangba-1', escalationStep: 0 });
  primary.send({ type: 'ack', reportId: randomUUID() });
  t.match(await primary.next((f) => f.type === 'error'), { code: 'not_found' });
});

t.test('arriving without acknowledging answers the alert, and everyone alerted hears it (found by a newcomer: the card stayed unanswered)', async (t) => {
  const { app, primary, reportId } = await alertedOnce(t);
  const arrived = await app.call('POST', `/reports/${reportId}/arrivals`, { token: app.token('officer', WANGBA, 'officer-wangba-2'), body: {} });
  t.equal(arrived.statusCode, 200, arrived.body);
  const heard = await primary.next((f) => f.type === 'acknowledged' && f.reportId === reportId);
  t.match(heard, { by: 'officer-wangba-2', via: null, going: { change: 'arrived', eta: null } }, 'answered by arriving, said so');
  await app.runner.caughtUp();
  t.equal(app.escalator.pendingEscalations(), 0, 'nothing more is owed');
  t.equal((await app.call('POST', `/reports/${reportId}/dispatches`, { token: app.token('officer', WANGBA, 'officer-wangba-1'), body: { eta: '2026-01-01T10:30:00+08:00' } })).statusCode, 200);
  // A colleague setting off later is heard by everyone alerted, with when they expect to be there
  // (found by a newcomer: nobody heard the second officer set off).
  const going = await primary.next((f) => f.type === 'updated' && f.reportId === reportId);
  t.match(going, { change: 'dispatched', by: 'officer-wangba-1', eta: '2026-01-01T02:30:00.000Z', etaLocal: '2026-01-01T10:30:00+08:00' });
  t.equal(primary.frames.filter((f) => f.type === 'acknowledged' && f.reportId === reportId).length, 1, 'a later one setting off is not a first answer: acknowledged once');
  t.equal((await app.call('POST', `/reports/${reportId}/arrivals`, { token: app.token('officer', WANGBA, 'officer-wangba-1'), body: {} })).statusCode, 200);
  t.match(await primary.next((f) => f.type === 'updated' && f.reportId === reportId && f.change === 'arrived'), { by: 'officer-wangba-1', eta: null });
  // The officer whose arrival answered it, moving again: an update, not a second acknowledgement.
  t.equal((await app.call('POST', `/reports/${reportId}/dispatches`, { token: app.token('officer', WANGBA, 'officer-wangba-2'), body: {} })).statusCode, 200);
  t.match(await primary.next((f) => f.type === 'updated' && f.reportId === reportId && f.by === 'officer-wangba-2'), { change: 'dispatched' });
  t.equal(primary.frames.filter((f) => f.type === 'acknowledged' && f.reportId === reportId).length, 1, 'still acknowledged once');
});

t.test('escalation: step 1 adds backups and the township head, step 2 the county, then the last step repeats', async (t) => {
  const { app, url } = await listening(t, { escalationDelayMs: 250 });
  // A primary the log knows holds a token: reached, so the heads wait for step 1.
  await recordGrant(app, { sub: 'officer-wangba-1', role: 'officer', scope: WANGBA });
  const who = {
    primary: await AlertClient.connect(url, app.token('officer', WANGBA, 'officer-wangba-1')),
    backup: await AlertClient.connect(url, app.token('officer', WANGBA, 'officer-wangba-2')),
    townshipHead: await AlertClient.connect(url, app.token('head', WANGBA, 'head-wangba')),
    countyHead: await AlertClient.connect(url, app.token('head', KANG, 'head-kang')),
    otherHead: await AlertClient.connect(url, app.token('head', NIANBA, 'head-nianba')),
  };
  t.teardown(() => Object.values(who).forEach((c) => c.close()));
  for (const c of Object.values(who)) c.send({ type: 'resume', after: (await c.next((f) => f.type === 'hello')).position });
  const { reportId } = await fileReport(app);
  const steps = (c: AlertClient) => c.alerts().filter((f) => f.reportId === reportId).map((f) => f.step);
  await who.countyHead.nextCount((f) => f.type === 'alert' && f.reportId === reportId, 2); // steps 2 and 3
  await who.primary.nextCount((f) => f.type === 'alert' && f.reportId === reportId, 4);
  who.primary.send({ type: 'ack', reportId });
  await who.countyHead.next((f) => f.type === 'acknowledged' && f.reportId === reportId);
  await app.runner.caughtUp();
  const raised = (await app.store.readStream(`report-${reportId}`)).filter((e) => e.type === 'AlertRaised').map((e) => (e.data as { step: number }).step);
  t.same(raised, raised.map((_, i) => i), 'each step raised once, in order');
  t.ok(raised.length >= 4, `climbed past the last step (${raised.length} alerts)`);
  t.same(steps(who.primary).slice(0, 4), [0, 1, 2, 3]);
  t.same(steps(who.backup).slice(0, 3), [1, 2, 3], 'backups from step 1');
  t.same(steps(who.townshipHead).slice(0, 3), [1, 2, 3], 'the township head from step 1');
  t.same(steps(who.countyHead).slice(0, 2), [2, 3], 'the county head at the county step, not before');
  await who.otherHead.roundTrip();
  t.same(steps(who.otherHead), [], 'another township\u2019s head is never alerted');
  for (const c of [who.primary, who.backup, who.townshipHead, who.countyHead]) {
    t.ok(c.frames.some((f) => f.type === 'acknowledged' && f.reportId === reportId), 'everyone alerted hears of the acknowledgement');
  }
});

t.test('resume after a cut in the middle of a burst: every alert once, in order', async (t) => {
  const { app, url } = await listening(t);
  const token = app.token('officer', WANGBA, 'officer-wangba-1');
  const first = await AlertClient.connect(url, token);
  first.send({ type: 'resume', after: (await first.next((f) => f.type === 'hello')).position });
  const filing = Array.from({ length: 40 }, (_, i) => fileReport(app, { notes: `burst ${i}`, hazard: i % 2 ? 'hail' : 'landslide' }, i % 2 ? HEJIAGOU : LIJIA));
  await first.nextCount((f) => f.type === 'alert', 10);
  first.socket.terminate();
  await first.closed;
  const received = [...first.alerts()];
  const last = received[received.length - 1]!.position!;
  const reports = await Promise.all(filing);

  const second = await AlertClient.connect(url, token);
  t.teardown(() => second.close());
  await second.next((f) => f.type === 'hello');
  second.send({ type: 'resume', after: last });
  const total = reports.length;
  const rest = await second.nextCount((f) => f.type === 'alert', total - received.length);
  const all = [...received, ...rest];
  t.equal(all.length, total, 'no alert lost');
  t.equal(new Set(all.map((f) => f.reportId)).size, total, 'none twice');
  t.same(all.map((f) => f.position), [...all.map((f) => f.position!)].sort(), 'in log order');
  t.same(new Set(all.map((f) => f.reportId)), new Set(reports.map((r) => r.reportId)));
  // With nobody connected no frame was built; those read back from the log say as much as live ones.
  const keys = (f: object) => Object.keys(f).sort().join();
  t.ok(rest.every((f) => keys(f) === keys(received[0]!)), 'frames resumed from the log have every field a live frame has');
  t.ok(rest.every((f) => typeof (f as { observedAtLocal?: string }).observedAtLocal === 'string' && (f as { unit?: { name?: string } }).unit?.name), 'Beijing times and unit names included');
});

t.test('bad frames get an error and the connection stays', async (t) => {
  const { app, url } = await listening(t);
  const client = await AlertClient.connect(url, app.token('head', WANGBA));
  t.teardown(() => client.close());
  await client.next((f) => f.type === 'hello');
  for (const bad of ['not json', '{"type":"nope"}', '{"type":"resume"}', '{"type":"ack","reportId":"x"}', '[]', 'null', '{"type":"ping","extra":1}']) {
    const before = client.frames.length;
    client.send(bad);
    const error = await client.next((f) => f.type === 'error' && client.frames.indexOf(f) >= before);
    t.equal(error.code, 'bad_message', bad);
  }
  client.socket.send(Buffer.from([1, 2, 3]), { binary: true });
  t.match(await client.next((f) => f.type === 'error' && /二进制帧/.test(String(f.detail))), { code: 'bad_message', detail: '消息格式不对：消息须为 JSON 文本帧，不是二进制帧' });
  await client.roundTrip();
  t.equal(client.socket.readyState, client.socket.OPEN);
});

t.test('a client past its buffer bound is closed with 1013 and resumes without loss', async (t) => {
  const { app, url } = await listening(t, { gateway: { maxBufferedBytes: 3000 } });
  const reports = [];
  for (let i = 0; i < 12; i++) reports.push(await fileReport(app, { notes: `n${i}` }));
  await app.runner.caughtUp();
  const token = app.token('officer', WANGBA, 'officer-wangba-1');
  const got: string[] = [];
  let after = '';
  let closedWith1013 = 0;
  for (let round = 0; round < 20 && got.length < reports.length; round++) {
    const client = await AlertClient.connect(url, token);
    await client.next((f) => f.type === 'hello');
    client.send({ type: 'resume', after });
    const code = await Promise.race([client.closed, client.nextCount((f) => f.type === 'alert', reports.length - got.length).then(() => 0)]);
    if (code === 1013) closedWith1013++;
    for (const f of client.alerts()) got.push(f.reportId!);
    after = client.alerts().at(-1)?.position ?? after;
    client.close();
  }
  t.ok(closedWith1013 > 0, `closed with 1013 (${closedWith1013} times)`);
  t.same(got, reports.map((r) => r.reportId), 'every alert once, in order, across resumes');
});

t.test('the upgrade needs a valid token and a field role', async (t) => {
  const { app, url } = await listening(t);
  await t.rejects(AlertClient.connect(url, 'nope'), /401/);
  await t.rejects(AlertClient.connect(url, app.token('contact', LIJIA)), /403/);
  await t.rejects(AlertClient.connect(url, app.token('auditor', KANG)), /403/);
});

t.test('an officer who set off before being alerted hears what becomes of the report (found by a newcomer)', async (t) => {
  const { app, primary, reportId } = await alertedOnce(t);
  const url = `http://127.0.0.1:${(app.app.server.address() as { port: number }).port}`;
  const backup = await AlertClient.connect(url, app.token('officer', WANGBA, 'officer-wangba-2'));
  t.teardown(() => backup.close());
  backup.send({ type: 'resume', after: (await backup.next((f) => f.type === 'hello')).position });
  t.equal((await app.call('POST', `/reports/${reportId}/dispatches`, { token: app.token('officer', WANGBA, 'officer-wangba-2'), body: {} })).statusCode, 200);
  await primary.next((f) => f.type === 'acknowledged' && f.reportId === reportId);
  t.equal((await app.call('POST', `/reports/${reportId}/amendments`, { token: app.token('contact', LIJIA), body: { estimate: { missing: 1 }, notes: '又有一人失联' } })).statusCode, 200);
  t.match(await backup.next((f) => f.type === 'updated' && f.reportId === reportId), { change: 'amended', notes: '又有一人失联' }, 'the 续报 reaches the officer on the road');
  t.notOk(backup.frames.some((f) => f.type === 'alert'), 'not alerted: step 0 is the primary\u2019s');
});
