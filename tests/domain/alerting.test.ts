import t from 'tap';
import { addresses, escalationPolicy, nextEscalation, recipientsAt, relatedReports, type RosterEntry } from '../../domain/alerting.js';
import { REPORT_ID, OTHER_REPORT_ID, VILLAGE } from '../support/fixtures.js';

const NOW = '2026-07-01T04:00:00.000Z';
const roster: RosterEntry[] = [
  { officer: 'u-li', tier: 'primary' },
  { officer: 'u-wang', tier: 'backup' },
  { officer: 'u-night', tier: 'primary', from: '2026-07-01T12:00:00.000Z', until: '2026-07-02T00:00:00.000Z' },
  { officer: 'u-gone', tier: 'primary', until: '2026-07-01T00:00:00.000Z' },
];

t.test('escalation steps: primaries, then backups and township heads, then county heads', async (t) => {
  const policy = escalationPolicy(VILLAGE, roster, NOW, 60_000);
  t.same(policy, {
    delayMs: 60_000,
    steps: [['u-li'], ['u-li', 'u-wang', 'head@621299103'], ['u-li', 'u-wang', 'head@621299103', 'head@621299']],
  });
  t.same(recipientsAt(policy, 0), ['u-li']);
  t.same(recipientsAt(policy, 7), recipientsAt(policy, 2), 'past the last step, the last step repeats');
  const night = escalationPolicy(VILLAGE, roster, '2026-07-01T13:00:00.000Z');
  t.same(night.steps[0], ['u-li', 'u-night'], 'on-call windows are honoured');
});

t.test('nobody on call: the township heads are alerted at step 0', async (t) => {
  const policy = escalationPolicy(VILLAGE, [{ officer: 'u-wang', tier: 'backup' }], NOW);
  t.same(policy.steps[0], ['head@621299103']);
  t.same(policy.delayMs, 600_000, 'the default delay is 10 minutes');
});

t.test('no primary on call can be reached: step 0 goes to the township heads as well', async (t) => {
  const night = '2026-07-01T13:00:00.000Z';
  const none = escalationPolicy(VILLAGE, roster, night, 60_000, () => false);
  t.same(none.steps[0], ['u-li', 'u-night', 'head@621299103'], 'the primaries stay named, the heads are added');
  t.same(none.steps[1], ['u-li', 'u-night', 'head@621299103', 'u-wang'], 'step 1 still brings in the backups');
  const one = escalationPolicy(VILLAGE, roster, night, 60_000, (officer) => officer === 'u-night');
  t.same(one.steps[0], ['u-li', 'u-night'], 'one primary reached is enough: the heads are not woken at step 0');
  t.same(escalationPolicy(VILLAGE, roster, NOW, 60_000), escalationPolicy(VILLAGE, roster, NOW, 60_000, () => true), 'reachable by default');
});

t.test('nobody primary reached and no township head to reach: step 0 goes to the county\u2019s heads as well (found by a newcomer: nobody for twenty minutes)', async (t) => {
  const night = '2026-07-01T13:00:00.000Z';
  const none = escalationPolicy(VILLAGE, roster, night, 60_000, () => false, (audience) => audience !== 'head@621299103');
  t.same(none.steps[0], ['u-li', 'u-night', 'head@621299103', 'head@621299'], 'the county at once');
  t.ok(none.steps[1]!.includes('head@621299') && none.steps[1]!.includes('u-wang'), 'and at every step after');
  t.same(escalationPolicy(VILLAGE, roster, night, 60_000, () => false, () => true).steps[0], ['u-li', 'u-night', 'head@621299103'], 'a township head to reach: not the county yet');
  t.same(escalationPolicy(VILLAGE, roster, night, 60_000, (o) => o === 'u-night', () => false).steps[0], ['u-li', 'u-night'], 'a primary reached: neither');
});

t.test('next escalation: now on filing; then after the delay copied into the last alert; never after an acknowledgement', async (t) => {
  const track = { step: undefined, lastRaisedAt: undefined, delayMs: undefined, acknowledged: false, finished: false, reportedAt: NOW };
  t.same(nextEscalation(track), { step: 0, tier: 0, dueAt: NOW, reason: 'filed' });
  const delayMs = 60_000;
  t.same(nextEscalation({ ...track, step: 0, lastRaisedAt: NOW, delayMs }), {
    step: 1,
    tier: 1,
    dueAt: '2026-07-01T04:01:00.000Z',
    reason: 'unacknowledged',
  });
  t.same(nextEscalation({ ...track, step: 5, lastRaisedAt: NOW, delayMs }), { step: 6, tier: 6, dueAt: '2026-07-01T04:01:00.000Z', reason: 'unacknowledged' });
  t.equal(nextEscalation({ ...track, step: 0, lastRaisedAt: NOW, delayMs, acknowledged: true }), undefined);
  t.equal(nextEscalation({ ...track, finished: true }), undefined);
});

t.test('next escalation after an answer through a related report lapsed: at once, from the policy\u2019s first step, under the next step number (SPEC \u00a75)', async (t) => {
  const track = { step: 3, tier: 3, lastRaisedAt: NOW, delayMs: 60_000, acknowledged: false, finished: false, reportedAt: NOW };
  const lapsedAt = '2026-07-01T04:00:20.000Z';
  t.same(nextEscalation({ ...track, reopenedAt: lapsedAt }), { step: 4, tier: 0, dueAt: lapsedAt, reason: 'reopened' }, 'not a voice call to the county: the on-call officers first, now');
  t.same(nextEscalation({ ...track, step: 4, tier: 0, lastRaisedAt: lapsedAt }), { step: 5, tier: 1, dueAt: '2026-07-01T04:01:20.000Z', reason: 'unacknowledged' }, 'then it climbs from there');
  t.same(nextEscalation({ ...track, tier: undefined }), { step: 4, tier: 4, dueAt: '2026-07-01T04:01:00.000Z', reason: 'unacknowledged' }, 'an alert written before tiers: its step is its tier');
  t.equal(nextEscalation({ ...track, reopenedAt: lapsedAt, finished: true }), undefined, 'nothing for a report whose work is done');
});

t.test('who a recipient addresses', async (t) => {
  t.ok(addresses('u-li', { id: 'u-li', role: 'officer', scope: '621299103' }));
  t.notOk(addresses('u-li', { id: 'u-wang', role: 'officer', scope: '621299103' }));
  t.ok(addresses('head@621299103', { id: 'h', role: 'head', scope: '621299103000' }), 'scope in either form');
  t.notOk(addresses('head@621299103', { id: 'h', role: 'head', scope: '621299' }), 'a county head is reached at the county step, not before');
  t.notOk(addresses('head@621299103', { id: 'h', role: 'officer', scope: '621299103' }));
});

t.test('related reports: same hazard, same village, within 2 hours', async (t) => {
  const earlier = { reportId: OTHER_REPORT_ID, village: VILLAGE, hazard: 'landslide', t: Date.parse('2026-07-01T02:30:00.000Z') };
  const report = { reportId: REPORT_ID, village: VILLAGE, hazard: 'landslide', t: Date.parse(NOW) };
  t.same(relatedReports(report, [earlier]), [OTHER_REPORT_ID]);
  t.same(relatedReports(report, [{ ...earlier, t: Date.parse('2026-07-01T01:59:59.000Z') }]), [], 'older than 2 hours');
  t.same(relatedReports(report, [{ ...earlier, t: report.t + 1 }]), [], 'not one filed after it');
  t.same(relatedReports(report, [{ ...earlier, hazard: 'hail' }]), []);
  t.same(relatedReports(report, [{ ...earlier, village: '621299103202' }]), []);
  t.same(relatedReports(report, [report]), [], 'not itself');
  t.same(relatedReports({ ...report, hazard: 'other' }, [{ ...earlier, hazard: 'other' }]), [], '"other" and "other" are not known to be one thing (found by a newcomer)');
});
