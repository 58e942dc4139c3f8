import t, { type Test } from 'tap';
import { KANG, LIJIA, WANGBA, reportBody, startTestApp, verificationBody, type TestApp } from '../support/app.js';
import { AlertClient } from '../support/ws-client.js';

/** Issue 12: an officer on the road is kept informed, with real WebSocket clients. */

async function listening(t: Test) {
  const app = await startTestApp(t, { alerting: true, escalationDelayMs: 60_000 });
  const url = await app.app.listen({ port: 0, host: '127.0.0.1' });
  return { app, url };
}
const live = async (url: string, token: string) => {
  const client = await AlertClient.connect(url, token);
  client.send({ type: 'resume', after: (await client.next((f) => f.type === 'hello')).position });
  await client.roundTrip();
  return client;
};
const file = async (app: TestApp, over: Record<string, unknown> = {}) => {
  const res = await app.call('POST', '/reports', { token: app.token('contact', LIJIA), body: reportBody(over) });
  if (res.statusCode !== 201) throw new Error(res.body);
  return res.json().reportId as string;
};

t.test('the alert carries the group and notes, and every time also in Beijing time', async (t) => {
  const { app, url } = await listening(t);
  const officer = await live(url, app.token('officer', WANGBA, 'officer-wangba-1'));
  t.teardown(() => officer.close());
  const reportId = await file(app, { group: '三组', notes: '有老人被困', observedAt: '2026-07-01T11:40:00' });
  const alert = await officer.next((f) => f.type === 'alert' && f.reportId === reportId);
  t.match(alert, { group: '三组', notes: '有老人被困', observedAt: '2026-07-01T03:40:00.000Z', observedAtLocal: '2026-07-01T11:40:00+08:00', reportedAtLocal: /\+08:00$/ });
  const view = (await app.call('GET', `/reports/${reportId}`, { token: app.token('officer', WANGBA) })).json();
  t.equal(view.observedAtLocal, '2026-07-01T11:40:00+08:00', 'responses too');
});

t.test('a 续报, a verification, a dismissal or a closure reaches everyone alerted as an updated frame', async (t) => {
  const { app, url } = await listening(t);
  const officer = await live(url, app.token('officer', WANGBA, 'officer-wangba-1'));
  t.teardown(() => officer.close());
  const reportId = await file(app);
  await officer.next((f) => f.type === 'alert' && f.reportId === reportId);
  const contact = app.token('contact', LIJIA);
  await app.call('POST', `/reports/${reportId}/amendments`, { token: contact, body: { estimate: { affectedPeople: 30, dead: 1 }, directions: '桥断了，走后山小路' } });
  t.match(await officer.next((f) => f.type === 'updated' && f.change === 'amended'), {
    reportId,
    estimate: { affectedPeople: 30, dead: 1, roomsCollapsed: 2 },
    directions: '桥断了，走后山小路',
    status: 'filed',
  }, 'the new estimate and directions, to the officer on the road');
  const head = app.token('head', WANGBA, 'head-wangba');
  await app.call('POST', `/reports/${reportId}/verifications`, { token: head, body: verificationBody() });
  t.match(await officer.next((f) => f.type === 'updated' && f.change === 'verified'), { figures: { affectedPeople: 9 }, status: 'verified' });
  await app.call('POST', `/reports/${reportId}/closure`, { token: head, body: { summary: '处置完毕' } });
  t.match(await officer.next((f) => f.type === 'updated' && f.change === 'closed'), { summary: '处置完毕', status: 'closed' });

  const other = await file(app, { hazard: 'hail' });
  await officer.next((f) => f.type === 'alert' && f.reportId === other);
  await app.call('POST', `/reports/${other}/dismissal`, { token: head, body: { reason: 'false_alarm' } });
  t.match(await officer.next((f) => f.type === 'updated' && f.reportId === other), { change: 'dismissed', reason: 'false_alarm', status: 'dismissed' }, 'the trip is off');
});

t.test('a related report after R1 was acknowledged goes to whoever acknowledged R1 and counts as acknowledged by them', async (t) => {
  const { app, url } = await listening(t);
  const primary = await live(url, app.token('officer', WANGBA, 'officer-wangba-1'));
  const backup = await live(url, app.token('officer', WANGBA, 'officer-wangba-2'));
  const countyHead = await live(url, app.token('head', KANG, 'head-kang'));
  t.teardown(() => [primary, backup, countyHead].forEach((c) => c.close()));
  const r1 = await file(app, { estimate: { affectedPeople: 12 } });
  await backup.next((f) => f.type === 'alert' && f.reportId === r1).catch(() => undefined);
  await primary.next((f) => f.type === 'alert' && f.reportId === r1);
  // The backup heard of it too (a colleague's phone) and answered first.
  await app.call('POST', `/reports/${r1}/acknowledgements`, { token: app.token('officer', WANGBA, 'officer-wangba-2') });

  const r2 = await file(app, { estimate: { affectedPeople: 8 } }); // ten minutes later in life; the same hazard, the same village
  const toBackup = await backup.next((f) => f.type === 'alert' && f.reportId === r2);
  t.same(toBackup.related!, [{ reportId: r1, observedAt: String((toBackup.related as Array<{ observedAt: string }>)[0]!.observedAt), observedAtLocal: String((toBackup.related as Array<{ observedAtLocal: string }>)[0]!.observedAtLocal), clockSuspect: false, reporter: { name: '王建国', phone: '13800000000' } }]);
  const ack = await backup.next((f) => f.type === 'acknowledged' && f.reportId === r2);
  t.match(ack, { by: 'officer-wangba-2', via: r1 }, 'counted as acknowledged by the one already on the way');
  await app.runner.caughtUp();
  await primary.roundTrip();
  await countyHead.roundTrip();
  t.notOk(primary.alerts().some((f) => f.reportId === r2), 'nobody else is woken for it');
  t.equal(app.escalator.pendingEscalations(), 0, 'and it does not escalate');
  const view = (await app.call('GET', `/reports/${r2}`, { token: app.token('officer', WANGBA) })).json();
  t.match(view, { status: 'acknowledged', acknowledgedBy: 'officer-wangba-2' });

  // R3 reports a death R1 did not: alerted as new, to those on call.
  const r3 = await file(app, { estimate: { affectedPeople: 5, dead: 1 } });
  await primary.next((f) => f.type === 'alert' && f.reportId === r3);
  t.ok(!backup.frames.some((f) => f.type === 'acknowledged' && f.reportId === r3), 'not counted as acknowledged');
  const r4 = await file(app, { estimate: { affectedPeople: 40 } });
  await primary.next((f) => f.type === 'alert' && f.reportId === r4);
  t.pass('more people affected: alerted as new too');
});

t.test('an answer through a related report answers nothing further; after a verification, or in words of people in danger, a report is alerted as new (found by a newcomer: "有人被埋" answered in an officer\u2019s name)', async (t) => {
  const { app, url } = await listening(t);
  const primary = await live(url, app.token('officer', WANGBA, 'officer-wangba-1'));
  t.teardown(() => primary.close());
  const officer = app.token('officer', WANGBA, 'officer-wangba-1');
  const r1 = await file(app, { estimate: { affectedPeople: 12 } });
  await primary.next((f) => f.type === 'alert' && f.reportId === r1);
  await app.call('POST', `/reports/${r1}/acknowledgements`, { token: officer });
  const r2 = await file(app, { estimate: { affectedPeople: 8 } });
  t.match(await primary.next((f) => f.type === 'acknowledged' && f.reportId === r2), { via: r1 }, 'R2 answered through R1, as before');

  // In words, by SMS or a hurried note: people in danger, no figures.
  const buried = await file(app, { estimate: {}, notes: '后山滑坡，3组有人被埋' });
  await primary.next((f) => f.type === 'alert' && f.reportId === buried);
  await app.runner.caughtUp();
  await primary.roundTrip();
  t.notOk(primary.frames.some((f) => f.type === 'acknowledged' && f.reportId === buried), 'someone buried: not answered for anyone');
  t.equal((await app.call('GET', `/reports/${buried}`, { token: officer })).json().status, 'filed', 'it waits for a person');

  // R1 found a false alarm: R2, answered only through it, answers nothing for R3.
  t.equal((await app.call('POST', `/reports/${r1}/dismissal`, { token: officer, body: { reason: 'false_alarm' } })).statusCode, 200);
  await app.runner.caughtUp();
  const r3 = await file(app, { estimate: { affectedPeople: 3 } });
  await primary.next((f) => f.type === 'alert' && f.reportId === r3);
  await app.runner.caughtUp();
  await primary.roundTrip();
  t.notOk(primary.frames.some((f) => f.type === 'acknowledged' && f.reportId === r3), 'no chain of answers nobody gave');
  t.equal((await app.call('GET', `/reports/${r3}`, { token: officer })).json().status, 'filed');

  // A report answered by a person and since verified: the next one is news.
  await app.call('POST', `/reports/${r3}/acknowledgements`, { token: officer });
  t.equal((await app.call('POST', `/reports/${r3}/verifications`, { token: officer, body: verificationBody() })).statusCode, 200);
  await app.runner.caughtUp();
  const r4 = await file(app, { estimate: { affectedPeople: 2 } });
  await primary.next((f) => f.type === 'alert' && f.reportId === r4);
  await app.runner.caughtUp();
  await primary.roundTrip();
  t.notOk(primary.frames.some((f) => f.type === 'acknowledged' && f.reportId === r4), 'after a verification: alerted as new');
});

t.test('two reports of one event filed before anyone answered: answering either answers both, unless the other is graver (SPEC §5)', async (t) => {
  const { app, url } = await listening(t);
  const primary = await live(url, app.token('officer', WANGBA, 'officer-wangba-1'));
  t.teardown(() => primary.close());
  const a = await file(app, { estimate: { affectedPeople: 12 } });
  const b = await file(app, { estimate: { affectedPeople: 8 } });
  const graver = await file(app, { estimate: { affectedPeople: 3, dead: 1 } });
  await primary.next((f) => f.type === 'alert' && f.reportId === graver);
  const bView = (await app.call('GET', `/reports/${b}`, { token: app.token('officer', WANGBA) })).json();
  t.same(bView.related, [a, graver], 'a report names the earlier one its alert named, then the later one that named it');
  const aView = (await app.call('GET', `/reports/${a}`, { token: app.token('officer', WANGBA) })).json();
  t.same(aView.related, [b, graver], 'and the earlier one names the later ones (found by a newcomer: it showed none)');

  // The officer answers the first; the second (found by a newcomer) went on escalating to the county head.
  await app.call('POST', `/reports/${a}/acknowledgements`, { token: app.token('officer', WANGBA, 'officer-wangba-1') });
  t.match(await primary.next((f) => f.type === 'acknowledged' && f.reportId === b), { by: 'officer-wangba-1', via: a }, 'the related report counts as answered by the same officer');
  await app.runner.caughtUp();
  await primary.roundTrip();
  const events = await app.store.readStream(`report-${b}`);
  t.match(events.at(-1), { type: 'AlertAcknowledged', data: { by: 'officer-wangba-1', via: a }, metadata: { actor: { id: 'zhitong-alerting', role: 'system' } } }, 'written by the alerting policy');
  t.notOk(primary.frames.some((f) => f.type === 'acknowledged' && f.reportId === graver), 'a report of a death the first did not report is not answered for anyone');
  const open = (await app.call('GET', `/alerts/open?unit=${WANGBA}`, { token: app.token('head', WANGBA) })).json();
  t.same(open.items.filter((i: { acknowledged?: boolean }) => !i.acknowledged).map((i: { reportId: string }) => i.reportId), [graver], 'only the graver one is still waiting for an answer');
  t.same(open.items.filter((i: { acknowledged?: boolean }) => i.acknowledged).map((i: { reportId: string }) => i.reportId), [a, b], 'the two answered are on the board until someone goes');
  await app.call('POST', `/reports/${a}/dispatches`, { token: app.token('officer', WANGBA, 'officer-wangba-1'), body: {} });
  const afterTrip = (await app.call('GET', `/alerts/open?unit=${WANGBA}`, { token: app.token('head', WANGBA) })).json();
  t.same(afterTrip.items.map((i: { reportId: string }) => i.reportId), [graver], 'one trip to the first attends the one answered through it');

  // The other way round: the later of two answered first answers the earlier.
  const h1 = await file(app, { hazard: 'hail', estimate: { affectedPeople: 4 } });
  const h2 = await file(app, { hazard: 'hail', estimate: { affectedPeople: 4 } });
  await primary.next((f) => f.type === 'alert' && f.reportId === h2);
  await app.call('POST', `/reports/${h2}/acknowledgements`, { token: app.token('officer', WANGBA, 'officer-wangba-1') });
  t.match(await primary.next((f) => f.type === 'acknowledged' && f.reportId === h1), { by: 'officer-wangba-1', via: h2 });
});

t.test('an ack over the socket for a report merged into another is recorded on the original, as over HTTP; where that one is closed, refused with the township\u2019s phone (found by a newcomer)', async (t) => {
  const { app, url } = await listening(t);
  const officer = await live(url, app.token('officer', WANGBA, 'officer-wangba-1'));
  t.teardown(() => officer.close());
  const a = await file(app);
  const b = await file(app, { hazard: 'flash_flood' });
  t.equal((await app.call('POST', `/reports/${b}/dismissal`, { token: app.token('officer', WANGBA), body: { reason: 'duplicate', duplicateOf: a } })).statusCode, 200);
  officer.send({ type: 'ack', reportId: b });
  t.match(await officer.next((f) => f.type === 'acknowledged' && f.reportId === b), { by: 'officer-wangba-1', recordedOn: a }, 'answered under the id tapped, naming where it was recorded');
  t.match(await officer.next((f) => f.type === 'acknowledged' && f.reportId === a), { by: 'officer-wangba-1' }, 'the original\u2019s own frame, from the log');
  t.same((await app.call('GET', `/reports/${a}`, { token: app.token('head', WANGBA) })).json().acknowledgedBy, 'officer-wangba-1', 'the original is acknowledged: its escalation stops');
  t.equal((await app.call('GET', `/reports/${b}`, { token: app.token('head', WANGBA) })).json().status, 'dismissed', 'the duplicate stays as it was');
  const history = (await app.call('GET', `/reports/${a}/history`, { token: app.token('auditor', WANGBA) })).json();
  t.equal(history.items.find((e: { type: string }) => e.type === 'AlertAcknowledged').metadata.redirectedFrom, `report-${b}`, 'its history names the report the officer tapped');
  officer.send({ type: 'ack', reportId: b });
  t.match(await officer.next((f) => f.type === 'acknowledged' && f.reportId === b && f.already === true), { recordedOn: a }, 'a tap repeated writes nothing and is answered');

  t.equal((await app.call('POST', `/reports/${a}/verifications`, { token: app.token('officer', WANGBA), body: verificationBody() })).statusCode, 200);
  t.equal((await app.call('POST', `/reports/${a}/closure`, { token: app.token('officer', WANGBA), body: { summary: '已核查' } })).statusCode, 200);
  const other = await live(url, app.token('officer', WANGBA, 'officer-wangba-2'));
  t.teardown(() => other.close());
  other.send({ type: 'ack', reportId: b });
  const refused = await other.next((f) => f.type === 'error' && f.reportId === b);
  t.match(refused, { code: 'report_dismissed', duplicateOf: a, originalStatus: 'closed', detail: new RegExp(`并入的报告 ${a} 也已结案`) }, 'nothing open can take it: said so');
  t.notMatch(String(refused.detail), /救助/, 'not words about relief');
});

t.test('setting off after one\u2019s own arrival is said: recorded when it says something new, not when it repeats (found by a newcomer)', async (t) => {
  const { app } = await listening(t);
  const reportId = await file(app);
  const me = app.token('officer', WANGBA, 'officer-wangba-1');
  const post = (path: string, body: unknown = {}) => app.call('POST', `/reports/${reportId}/${path}`, { token: me, body });
  t.equal((await post('dispatches')).json().warnings, undefined, 'setting off: nothing to say');
  t.equal((await post('arrivals')).statusCode, 200);
  const size = await app.logSize();
  const repeat = await post('dispatches');
  t.match(repeat.json().warnings, [{ code: 'after_arrival', message: /^您已于北京时间 .* 到达现场，这次出发与之前的相同，没有再记下$/ }]);
  t.equal(await app.logSize(), size, 'nothing written');
  const eta = new Date(Date.now() + 3_600_000).toISOString();
  const again = await post('dispatches', { eta });
  t.match(again.json().warnings, [{ code: 'after_arrival', message: /^已记录出发。但您已于北京时间 .* 到达现场，同事会看到您又出发了/ }]);
  t.equal(await app.logSize(), size + 1, 'recorded: an officer may leave and come back');
  t.equal((await post('dispatches', { eta: new Date(Date.now() + 7_200_000).toISOString() })).json().warnings, undefined, 'set off since: nothing more to say');
});
