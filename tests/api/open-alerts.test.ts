import t from 'tap';
import { streams } from '../../domain/events.js';
import { reportDecider } from '../../domain/report.js';
import { openAlertsWithin } from '../../projections/open-alerts.js';
import { HandLog } from '../support/projections.js';
import { filedData } from '../support/fixtures.js';
import { execute } from '../../services/commands/execute.js';
import { KANG, LIJIA, NIANBA, WANGBA, ZHUJIAGOU, reportBody, startTestApp, type TestApp } from '../support/app.js';

const NOW = new Date('2026-07-01T04:00:00.000Z');

/** What the escalator appends for a step; written directly so the test decides when. */
async function raise(app: TestApp, reportId: string, step: number, at: string) {
  const recipients = step === 0 ? ['officer-wangba-1'] : ['officer-wangba-1', 'officer-wangba-2', 'head@621299103000'];
  await execute(
    app.store,
    streams.report(reportId),
    reportDecider,
    { type: 'RaiseAlert', data: { step, recipients, reason: step === 0 ? 'filed' : 'unacknowledged', policy: { delayMs: 600_000, steps: [recipients] } }, now: at },
    { actor: { id: 'system', role: 'system' }, correlationId: 'test', now: at },
  );
}

let observed = 0;
async function file(app: TestApp, village: string): Promise<string> {
  // Each its own observation, a second apart: the same words about the same moment are one report.
  const filed = await app.call('POST', '/reports', { token: app.token('contact', village), body: reportBody({ village, observedAt: new Date(Date.parse('2026-07-01T03:00:00.000Z') + 1000 * observed++).toISOString() }) });
  if (filed.statusCode !== 201) throw new Error(filed.body);
  return (filed.json() as { reportId: string }).reportId;
}

t.test('GET /alerts/open: alerted reports nobody has answered, longest-waiting first, in scope', async (t) => {
  const app = await startTestApp(t, { now: () => NOW });
  const first = await file(app, LIJIA);
  const second = await file(app, LIJIA);
  const elsewhere = await file(app, ZHUJIAGOU);
  const notYetAlerted = await file(app, LIJIA);
  await raise(app, first, 0, '2026-07-01T03:30:00.000Z');
  await raise(app, second, 0, '2026-07-01T03:50:00.000Z');
  await raise(app, first, 1, '2026-07-01T03:40:00.000Z');
  await raise(app, elsewhere, 0, '2026-07-01T03:45:00.000Z');
  // An admin gave officer-wangba-1 a token with a name; officer-wangba-2's carries none.
  const granted = await app.call('POST', '/tokens', { token: app.token('admin', KANG), body: { tokens: [{ sub: 'officer-wangba-1', role: 'officer', scope: WANGBA, name: '王坝值班员' }] } });
  t.equal(granted.statusCode, 201, granted.body);

  const officer = app.token('officer', WANGBA, 'officer-wangba-1');
  const board = await app.call('GET', '/alerts/open', { token: officer });
  t.equal(board.statusCode, 200);
  const { items: alerts, asOf } = board.json() as { items: Array<Record<string, unknown>>; asOf: string };
  t.same(alerts.map((a) => a.reportId), [first, second], 'the township only, the longest-waiting first; an unalerted report is not on it');
  t.notOk(alerts.some((a) => a.reportId === notYetAlerted));
  t.match(alerts[0], {
    village: { code: LIJIA, name: '李家村（示例）', path: ['康县（示例）', '王坝镇（示例）', '李家村（示例）'] },
    hazard: 'landslide',
    hazardLabel: String,
    step: 1,
    firstAlertAt: '2026-07-01T03:30:00.000Z',
    lastAlertAt: '2026-07-01T03:40:00.000Z',
    ageSeconds: 30 * 60,
    recipients: [
      { kind: 'user', id: 'officer-wangba-1', label: '王坝值班员' },
      { kind: 'user', id: 'officer-wangba-2', label: 'officer-wangba-2' },
      { kind: 'audience', id: 'head@621299103000', role: 'head', unit: { code: WANGBA, name: '王坝镇（示例）' }, label: '王坝镇（示例） 负责人' },
    ],
    reporter: { name: String, phone: String },
  });
  t.type(asOf, 'string');

  // An acknowledged report stays on the board, after the unanswered ones, until someone goes
  // (SPEC §4: "unacknowledged and unattended"; found by a newcomer: a death report tapped 确认 on
  // and nobody sent vanished from the head's board). The board never lags the answer.
  const acked = await app.call('POST', `/reports/${first}/acknowledgements`, { token: officer, body: {} });
  t.equal(acked.statusCode, 200, acked.body);
  const afterAck = (await app.call('GET', '/alerts/open', { token: officer })).json().items as Array<Record<string, unknown>>;
  t.same(afterAck.map((a) => a.reportId), [second, first], 'the unanswered first, then the answered one nobody has gone to');
  t.match(afterAck, [{ acknowledged: null }, { acknowledged: { by: 'officer-wangba-1', name: '王坝值班员', at: NOW.toISOString(), via: null } }], 'who answered, by name, and when');
  const dispatched = await app.call('POST', `/reports/${second}/dispatches`, { token: app.token('officer', WANGBA, 'officer-wangba-2'), body: {} });
  t.equal(dispatched.statusCode, 200, dispatched.body);
  t.same((await app.call('GET', '/alerts/open', { token: officer })).json().items.map((a: { reportId: string }) => a.reportId), [first], 'dispatching answers too');
  t.equal((await app.call('POST', `/reports/${first}/dispatches`, { token: officer, body: {} })).statusCode, 200);
  t.same((await app.call('GET', '/alerts/open', { token: officer })).json().items, [], 'and going to the acknowledged one takes it off');

  const county = await app.call('GET', `/alerts/open?unit=${NIANBA}`, { token: app.token('head', KANG) });
  t.same((county.json() as { items: Array<{ reportId: string }> }).items.map((a) => a.reportId), [elsewhere], 'a county head narrows to a township');
  t.equal((await app.call('GET', `/alerts/open?unit=${NIANBA}`, { token: officer })).statusCode, 403, 'a unit outside your scope');
  t.equal((await app.call('GET', '/alerts/open', { token: app.token('contact', LIJIA) })).statusCode, 403, 'not for village contacts');
  t.equal((await app.call('GET', '/alerts/open?unit=1', { token: officer })).statusCode, 400, 'not a code nor a prefix');
  t.equal((await app.call('GET', '/alerts/open?unit=621299103', { token: officer })).json().items.length, 0, 'a significant prefix is a unit too');
});

t.test('the open-alert projection: worked out by hand; answers and dismissals clear it', async (t) => {
  const at = (m: number) => `2026-07-01T03:${String(m).padStart(2, '0')}:00.000Z`;
  const [a, b, c] = ['0a000000-0000-4000-8000-00000000000a', '0b000000-0000-4000-8000-00000000000b', '0c000000-0000-4000-8000-00000000000c'];
  const raised = { step: 0, recipients: ['o'], reason: 'filed', policy: { delayMs: 1000, steps: [['o']] } };
  const log = new HandLog()
    .add(`report-${a}`, 'ReportFiled', filedData({ reportId: a, observedAt: at(0) }), at(0))
    .add(`report-${a}`, 'AlertRaised', raised, at(1))
    .add(`report-${b}`, 'ReportFiled', filedData({ reportId: b }), at(2))
    .add(`report-${b}`, 'AlertRaised', raised, at(3))
    .add(`report-${b}`, 'ReportDismissed', { reason: 'false_alarm' }, at(4))
    .add(`report-${c}`, 'AlertRaised', raised, at(5));
  const board = openAlertsWithin(log.runner().state('open-alerts'), '621299');
  t.same(
    board,
    [
      {
        reportId: a,
        village: LIJIA,
        hazard: 'landslide',
        observedAt: at(0),
        clockSuspect: false,
        reportedAt: at(0),
        reporter: { name: '王建国', phone: '13800000000' },
        step: 0,
        tier: 0,
        firstAlertAt: at(1),
        lastAlertAt: at(1),
        recipients: ['o'],
      },
    ],
    'a open at step 0; b was dismissed; c was never filed here',
  );
  t.same(openAlertsWithin(log.runner().state('open-alerts'), '621225'), [], 'another county sees nothing');
});
