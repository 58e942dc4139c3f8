import t from 'tap';
import { streams } from '../../domain/events.js';
import { reportDecider } from '../../domain/report.js';
import { initialOpenAlerts, evolveOpenAlerts, openAlertsWithin } from '../../projections/open-alerts.js';
import { execute } from '../../services/commands/execute.js';
import { KANG, LIJIA, NIANBA, WANGBA, ZHUJIAGOU, reportBody, startTestApp, type TestApp } from '../support/app.js';

const NOW = new Date('2026-07-01T04:00:00.000Z');

/** What the escalator appends for a step; written directly so the test decides when. */
async function raise(app: TestApp, reportId: string, step: number, at: string) {
  const recipients = step === 0 ? ['officer-wangba-1'] : ['officer-wangba-1', 'officer-wangba-2', 'head@621224103000'];
  await execute(
    app.store,
    streams.report(reportId),
    reportDecider,
    { type: 'RaiseAlert', data: { step, recipients, reason: step === 0 ? 'filed' : 'unacknowledged', policy: { delayMs: 600_000, steps: [recipients] } }, now: at },
    { actor: { id: 'system', role: 'system' }, correlationId: 'test', now: at },
  );
}

async function file(app: TestApp, village: string): Promise<string> {
  const filed = await app.call('POST', '/reports', { token: app.token('contact', village), body: reportBody({ village, observedAt: '2026-07-01T03:00:00.000Z' }) });
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

  const officer = app.token('officer', WANGBA, 'officer-wangba-1');
  const board = await app.call('GET', '/alerts/open', { token: officer });
  t.equal(board.statusCode, 200);
  const { alerts, asOf } = board.json() as { alerts: Array<Record<string, unknown>>; asOf: string };
  t.same(alerts.map((a) => a.reportId), [first, second], 'the township only, the longest-waiting first; an unalerted report is not on it');
  t.notOk(alerts.some((a) => a.reportId === notYetAlerted));
  t.match(alerts[0], {
    village: { code: LIJIA, name: '李家村（示例）' },
    hazard: 'landslide',
    hazardLabel: String,
    step: 1,
    firstAlertAt: '2026-07-01T03:30:00.000Z',
    lastAlertAt: '2026-07-01T03:40:00.000Z',
    ageSeconds: 30 * 60,
    recipients: ['officer-wangba-1', 'officer-wangba-2', 'head@621224103000'],
    reporter: { name: String, phone: String },
  });
  t.type(asOf, 'string');

  // Answering takes a report off the board, and the board never lags the answer.
  const acked = await app.call('POST', `/reports/${first}/acknowledgements`, { token: officer, body: {} });
  t.equal(acked.statusCode, 200, acked.body);
  t.same(((await app.call('GET', '/alerts/open', { token: officer })).json() as { alerts: Array<{ reportId: string }> }).alerts.map((a) => a.reportId), [second]);
  const dispatched = await app.call('POST', `/reports/${second}/dispatches`, { token: app.token('officer', WANGBA, 'officer-wangba-2'), body: {} });
  t.equal(dispatched.statusCode, 200, dispatched.body);
  t.same((await app.call('GET', '/alerts/open', { token: officer })).json().alerts, [], 'dispatching answers too');

  const county = await app.call('GET', `/alerts/open?unit=${NIANBA}`, { token: app.token('head', KANG) });
  t.same((county.json() as { alerts: Array<{ reportId: string }> }).alerts.map((a) => a.reportId), [elsewhere], 'a county head narrows to a township');
  t.equal((await app.call('GET', `/alerts/open?unit=${NIANBA}`, { token: officer })).statusCode, 403, 'a unit outside your scope');
  t.equal((await app.call('GET', '/alerts/open', { token: app.token('contact', LIJIA) })).statusCode, 403, 'not for village contacts');
  t.equal((await app.call('GET', '/alerts/open?unit=12', { token: officer })).statusCode, 400);
});

t.test('the open-alert projection: the same events give the same board; answers and dismissals clear it', async (t) => {
  const at = (m: number) => ({ at: `2026-07-01T03:${String(m).padStart(2, '0')}:00.000Z` });
  const events = [
    { stream: 'report-a', type: 'ReportFiled', position: '1', metadata: at(0), data: { reportId: 'a', village: LIJIA, hazard: 'flood', observedAt: 'x', reporter: { id: 'c', name: 'n', phone: 'p' }, estimate: {} } },
    { stream: 'report-a', type: 'AlertRaised', position: '2', metadata: at(1), data: { step: 0, recipients: ['o'], reason: 'filed', policy: { delayMs: 1, steps: [['o']] } } },
    { stream: 'report-b', type: 'ReportFiled', position: '3', metadata: at(2), data: { reportId: 'b', village: LIJIA, hazard: 'flood', observedAt: 'x', reporter: { id: 'c', name: 'n', phone: 'p' }, estimate: {} } },
    { stream: 'report-b', type: 'AlertRaised', position: '4', metadata: at(3), data: { step: 0, recipients: ['o'], reason: 'filed', policy: { delayMs: 1, steps: [['o']] } } },
    { stream: 'report-b', type: 'ReportDismissed', position: '5', metadata: at(4), data: { reason: 'duplicate' } },
    { stream: 'report-c', type: 'AlertRaised', position: '6', metadata: at(5), data: { step: 0, recipients: ['o'], reason: 'filed', policy: { delayMs: 1, steps: [['o']] } } },
    { stream: 'incident-x', type: 'IncidentOpened', position: '7', metadata: at(6), data: {} },
  ];
  const board = () => openAlertsWithin(events.reduce(evolveOpenAlerts, initialOpenAlerts()), '621224');
  t.same(
    board(),
    [
      {
        reportId: 'a',
        village: LIJIA,
        hazard: 'flood',
        observedAt: 'x',
        reportedAt: '2026-07-01T03:00:00.000Z',
        reporter: { name: 'n', phone: 'p' },
        step: 0,
        firstAlertAt: '2026-07-01T03:01:00.000Z',
        lastAlertAt: '2026-07-01T03:01:00.000Z',
        recipients: ['o'],
      },
    ],
    'the board worked out by hand: a open at step 0; b was dismissed; c was never filed here',
  );
  t.same(board(), openAlertsWithin([...events].reduce(evolveOpenAlerts, initialOpenAlerts()), '621224'), 'and the same events fold to the same board');
  t.same(openAlertsWithin(events.reduce(evolveOpenAlerts, initialOpenAlerts()), '621225'), [], 'another county sees nothing');
});
