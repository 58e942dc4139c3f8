import { randomUUID } from 'node:crypto';
import t, { type Test } from 'tap';
import type { RecordedEvent } from '../../infra/eventstore/types.js';
import { KANG, LIJIA, WANGBA, allocationBody, baseStore, reportBody, startTestApp, verificationBody, verifiedReport, type TestApp } from '../support/app.js';
import { RacingStore, foreignMeta } from '../support/racing-store.js';
import { testDir } from '../support/dirs.js';

/**
 * Issue 9 C and D. A command is not refused because another writer — a colleague, or zhitong's
 * own escalator and clocks — appended to its stream first (SPEC §3); and a rule that spans two
 * streams holds when two requests race.
 */

const alertRaised = () => ({
  type: 'AlertRaised',
  data: { step: 0, recipients: ['officer-wangba-1'], reason: 'filed', policy: { delayMs: 600_000, steps: [['officer-wangba-1']] } },
  metadata: foreignMeta('zhitong-alerting', 'system'),
});
const clockAlerted = () => ({
  type: 'StatutoryClockAlerted',
  data: { clock: 'initial', dueAt: '2026-01-01T02:00:00.000Z', recipients: ['head@621299'] },
  metadata: foreignMeta('zhitong-alerting', 'system'),
});

async function racing(t: Test) {
  let store: RacingStore | undefined;
  const app = await startTestApp(t, { store: async (dir) => (store = new RacingStore(await baseStore(t, dir))) });
  return { app, store: store! };
}

const types = async (app: TestApp, stream: string) => (await app.store.readStream(stream)).map((e) => e.type);

t.test('sweep: every command, with another writer appending to its stream first, is decided again and recorded', async (t) => {
  const { app, store } = await racing(t);
  const officer = app.token('officer', WANGBA, 'officer-wangba-1');
  const head = app.token('head', KANG, 'head-kang');
  const contact = app.token('contact', LIJIA);
  const file = async () => (await app.call('POST', '/reports', { token: contact, body: reportBody() })).json().reportId as string;

  const reportCases: Array<[string, unknown, string, boolean]> = [
    ['amendments', { notes: '续报：又塌一间' }, 'ReportAmended', false],
    ['acknowledgements', {}, 'AlertAcknowledged', false],
    ['dispatches', { eta: '2026-01-01T02:00:00Z' }, 'OfficerDispatched', false],
    ['arrivals', { location: { lat: 33.35, lon: 105.63 } }, 'OfficerArrived', false],
    ['verifications', verificationBody(), 'DamageVerified', false],
    ['dismissal', { reason: 'false_alarm' }, 'ReportDismissed', false],
    ['closure', { summary: '核查完毕' }, 'ReportClosed', true],
  ];
  for (const [path, body, expected, needsVerification] of reportCases) {
    const reportId = needsVerification ? await verifiedReport(app) : await file();
    store.raceBefore(`report-${reportId}`, alertRaised());
    const res = await app.call('POST', `/reports/${reportId}/${path}`, { token: path === 'amendments' ? contact : officer, body });
    t.equal(res.statusCode, 200, `${path}: ${res.body}`);
    t.same((await types(app, `report-${reportId}`)).slice(-2), ['AlertRaised', expected], `${path}: zhitong's alert first, then the command`);
  }

  // Relief: an allocation whose report gained an event meanwhile; a delivery next to a colleague's.
  const reportId = await verifiedReport(app);
  store.raceBefore(`report-${reportId}`, alertRaised());
  const allocated = await app.call('POST', '/allocations', { token: officer, body: allocationBody(reportId) });
  t.equal(allocated.statusCode, 201, allocated.body);
  const allocationId = allocated.json().allocationId as string;
  t.equal((await app.call('POST', `/allocations/${allocationId}/approval`, { token: app.token('head', WANGBA, 'head-wangba'), body: {} })).statusCode, 200);
  store.raceBefore(`allocation-${allocationId}`, {
    type: 'GoodsDelivered',
    data: { deliveryId: randomUUID(), deliveredBy: 'officer-wangba-2', cashFen: 1000, goods: [], confirmation: { method: 'signature', reference: 'r-1' } },
    metadata: foreignMeta('officer-wangba-2'),
  });
  const delivered = await app.call('POST', `/allocations/${allocationId}/deliveries`, {
    token: officer,
    body: { deliveryId: randomUUID(), cashFen: 1000, goods: [], confirmation: { method: 'signature', reference: 'r-2' } },
  });
  t.equal(delivered.statusCode, 200, delivered.body);
  t.match((await app.call('GET', `/allocations/${allocationId}`, { token: officer })).json(), { delivered: { cashFen: 2000, deliveries: 2 } });

  // Incidents: a head's command next to zhitong's own clock alert on the incident stream.
  const incidentId = (await app.call('POST', '/incidents', { token: head, body: { county: KANG, hazard: 'landslide', startedAt: '2026-01-01T00:00:00Z', title: '过程' } })).json().incidentId as string;
  const incidentCases: Array<[string, unknown, string]> = [
    ['links', { reportId: await file() }, 'ReportLinked'],
    ['submissions', { stage: 'initial', figures: { affectedPeople: 3 }, asOf: '2026-01-01T01:00:00Z' }, 'FiguresSubmitted'],
    ['stabilization', { at: '2026-01-02T00:00:00Z' }, 'IncidentStabilized'],
    ['submissions', { stage: 'final', figures: { affectedPeople: 3 }, asOf: '2026-01-02T01:00:00Z' }, 'FiguresSubmitted'],
    ['closure', { summary: '结束' }, 'IncidentClosed'],
  ];
  for (const [path, body, expected] of incidentCases) {
    store.raceBefore(`incident-${incidentId}`, { ...clockAlerted(), data: { ...clockAlerted().data, dueAt: new Date(Date.now() + Math.random() * 1e9).toISOString() } });
    const res = await app.call('POST', `/incidents/${incidentId}/${path}`, { token: head, body });
    t.equal(res.statusCode, 200, `${path}: ${res.body}`);
    t.same((await types(app, `incident-${incidentId}`)).slice(-2), ['StatutoryClockAlerted', expected], `${path}: the clock alert first, then the command`);
  }

  // The roster: a head replaces it while another head's change lands first.
  store.raceBefore(`roster-${WANGBA}`, { type: 'OnCallAssigned', data: { township: WANGBA, officer: 'officer-x', tier: 'backup' }, metadata: foreignMeta('head-other', 'head') });
  const roster = await app.call('PUT', `/roster/${WANGBA}`, { token: app.token('head', WANGBA), body: { entries: [{ officer: 'officer-wangba-1', tier: 'primary' }] } });
  t.equal(roster.statusCode, 200, roster.body);
  t.ok(store.races >= 15, `every case really lost a race (${store.races})`);
});

t.test('If-Match still makes a write conditional: a race then is 412', async (t) => {
  const { app, store } = await racing(t);
  const reportId = await verifiedReport(app);
  store.raceBefore(`report-${reportId}`, alertRaised());
  const res = await app.call('POST', `/reports/${reportId}/closure`, { token: app.token('officer', WANGBA), body: { summary: 's' }, headers: { 'if-match': '1' } });
  t.equal(res.statusCode, 412);
  t.equal(res.json().details.currentRevision, 2);
});

/** Two nodes on one SQLite file: two connections, two command handlers, real races between them. */
async function twoNodes(t: Test) {
  const dataDir = testDir(t);
  const a = await startTestApp(t, { dataDir });
  const b = await startTestApp(t, { dataDir });
  return [a, b] as const;
}

t.test('simultaneous acknowledgements from different officers are all recorded, on two nodes, three rounds (issue 9 C)', async (t) => {
  const [a, b] = await twoNodes(t);
  for (let round = 0; round < 3; round++) {
    const { reportId } = (await a.call('POST', '/reports', { token: a.token('contact', LIJIA), body: reportBody() })).json();
    const answers = await Promise.all(
      Array.from({ length: 6 }, (_, i) => (i % 2 ? b : a).call('POST', `/reports/${reportId}/acknowledgements`, { token: a.token('officer', WANGBA, `officer-${i}`) })),
    );
    t.same(answers.map((r) => r.statusCode), Array(6).fill(200), `round ${round}: no 409`);
    const acks = (await a.store.readStream(`report-${reportId}`)).filter((e) => e.type === 'AlertAcknowledged');
    t.equal(acks.length, 6, `round ${round}: all six recorded`);
  }
});

t.test('20 simultaneous acknowledgements of one report: all 20 recorded, none refused (SPEC §11)', async (t) => {
  const [a, b] = await twoNodes(t);
  const { reportId } = (await a.call('POST', '/reports', { token: a.token('contact', LIJIA), body: reportBody() })).json();
  const answers = await Promise.all(
    Array.from({ length: 20 }, (_, i) => (i % 2 ? b : a).call('POST', `/reports/${reportId}/acknowledgements`, { token: a.token('officer', WANGBA, `officer-${i}`) })),
  );
  t.same(answers.map((r) => r.statusCode), Array(20).fill(200));
  const acks = (await a.store.readStream(`report-${reportId}`)).filter((e) => e.type === 'AlertAcknowledged');
  t.same(new Set(acks.map((e) => (e.data as { by: string }).by)).size, 20);
  // A repeat by the same person writes nothing (issue 9 C: 200 acks over one socket wrote 157 events).
  const before = await a.logSize();
  const repeats = await Promise.all(Array.from({ length: 50 }, () => a.call('POST', `/reports/${reportId}/acknowledgements`, { token: a.token('officer', WANGBA, 'officer-0') })));
  t.same(new Set(repeats.map((r) => r.statusCode)), new Set([200]));
  t.equal(await a.logSize(), before, 'fifty repeats, nothing written');
});

t.test('one report linked to two incidents at once: linked to exactly one, on two nodes, three rounds (issue 9 D)', async (t) => {
  const [a, b] = await twoNodes(t);
  const head = a.token('head', KANG, 'head-kang');
  const open = async (title: string) =>
    (await a.call('POST', '/incidents', { token: head, body: { county: KANG, hazard: 'landslide', startedAt: '2026-01-01T00:00:00Z', title } })).json().incidentId as string;
  for (let round = 0; round < 3; round++) {
    const [x, y] = [await open(`x${round}`), await open(`y${round}`)];
    const { reportId } = (await a.call('POST', '/reports', { token: a.token('contact', LIJIA), body: reportBody() })).json();
    const [rx, ry] = await Promise.all([
      a.call('POST', `/incidents/${x}/links`, { token: head, body: { reportId } }),
      b.call('POST', `/incidents/${y}/links`, { token: head, body: { reportId } }),
    ]);
    t.same([rx.statusCode, ry.statusCode].sort(), [200, 409], `round ${round}: one link, one refusal`);
    const loser = rx.statusCode === 409 ? rx : ry;
    t.equal(loser.json().error, 'report_already_linked');
    const linkedIn = [];
    for (const id of [x, y]) if ((await types(a, `incident-${id}`)).includes('ReportLinked')) linkedIn.push(id);
    t.equal(linkedIn.length, 1, `round ${round}: exactly one incident lists the report`);
    t.equal(loser.json().details.incidentId, linkedIn[0], 'the refusal names the incident that has it');
  }
});

t.test('a dismissal and an allocation for one report sent together: never an allocation after the dismissal (issue 9 D)', async (t) => {
  const [a, b] = await twoNodes(t);
  const officer = a.token('officer', WANGBA, 'officer-wangba-1');
  for (let round = 0; round < 3; round++) {
    const reportId = await verifiedReport(a);
    const [allocated, dismissed] = await Promise.all([
      a.call('POST', '/allocations', { token: officer, body: allocationBody(reportId, { repeatReason: `第 ${round} 轮` }) }),
      b.call('POST', `/reports/${reportId}/dismissal`, { token: officer, body: { reason: 'false_alarm' } }),
    ]);
    t.equal(dismissed.statusCode, 200, `round ${round}: the dismissal is recorded`);
    t.ok(allocated.statusCode === 201 || (allocated.statusCode === 422 && allocated.json().error === 'report_dismissed'), `round ${round}: allocated before it, or refused (${allocated.statusCode})`);
    const log: RecordedEvent[] = await a.store.readAll({ max: 100_000 });
    const dismissedAt = log.find((e) => e.stream === `report-${reportId}` && e.type === 'ReportDismissed')!.position;
    const allocatedAt = log.find((e) => e.type === 'ReliefAllocated' && (e.data as { reportId: string }).reportId === reportId)?.position;
    if (allocatedAt !== undefined) t.ok(allocatedAt < dismissedAt, `round ${round}: the allocation precedes the dismissal in the log`);
  }
});

t.test('an allocation held up after claiming the report is not written once a dismissal waited it out', async (t) => {
  const dataDir = testDir(t);
  let racing: RacingStore | undefined;
  const a = await startTestApp(t, { dataDir, store: async (dir) => (racing = new RacingStore(await baseStore(t, dir))) });
  const b = await startTestApp(t, { dataDir });
  const officer = a.token('officer', WANGBA, 'officer-wangba-1');
  const reportId = await verifiedReport(a);
  // The allocation claims the report, then stalls before writing its own stream; meanwhile the
  // dismissal arrives on the other node, waits for the claim's lifetime, and is recorded.
  let dismissal: Awaited<ReturnType<TestApp['call']>> | undefined;
  const { allocationIdFor } = await import('../../services/http/routes/allocations.js');
  racing!.pauseBefore(`allocation-${allocationIdFor(reportId, 'hh1', 'emergency_living', 0)}`, async () => {
    dismissal = await b.call('POST', `/reports/${reportId}/dismissal`, { token: officer, body: { reason: 'false_alarm' } });
  });
  const allocated = await a.call('POST', '/allocations', { token: officer, body: allocationBody(reportId) });
  t.equal(dismissal?.statusCode, 200, 'the dismissal is recorded');
  t.equal(allocated.statusCode, 503, 'the stalled allocation is not written: too late');
  const log = await a.store.readAll({ max: 100_000 });
  t.notOk(log.some((e) => e.type === 'ReliefAllocated'), 'no allocation in the log');
  const again = await a.call('POST', '/allocations', { token: officer, body: allocationBody(reportId) });
  t.equal(again.json().error, 'report_dismissed', 'and a retry is refused by the rule');
});
