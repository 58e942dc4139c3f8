import t from 'tap';
import fc from 'fast-check';
import { incidentDecider, overdueClocksToAlert, type IncidentEvent, type OpenedIncident } from '../../domain/incident.js';
import { addWorkingDays, jumpedIndicators, statutoryClocks } from '../../domain/clocks.js';
import { spec } from '../support/decider-spec.js';
import { COUNTY, INCIDENT_ID, NOW, OTHER_REPORT_ID, REPORT_ID, VILLAGE } from '../support/fixtures.js';

const opened: IncidentEvent = {
  type: 'IncidentOpened',
  data: { incidentId: INCIDENT_ID, county: COUNTY, hazard: 'flash_flood', startedAt: '2026-07-01T02:00:00.000Z', title: '7·1 康县山洪' },
};
const submit = (stage: 'initial' | 'daily' | 'final', figures: Record<string, number>, explanation?: string) => ({
  type: 'SubmitFigures' as const,
  data: { stage, figures, asOf: NOW, ...(explanation ? { explanation } : {}) },
  now: NOW,
});
const submitted = (stage: 'initial' | 'daily' | 'final', figures: Record<string, number>): IncidentEvent => ({
  type: 'FiguresSubmitted',
  data: { stage, figures, asOf: NOW },
});
const stabilized: IncidentEvent = { type: 'IncidentStabilized', data: { at: '2026-07-03T02:00:00.000Z' } };
const report = { exists: true, village: VILLAGE };

t.test('OpenIncident', async (t) => {
  const s = spec(t, incidentDecider);
  s.given().when({ type: 'OpenIncident', data: opened.data as never, countyKnown: true, now: NOW }).then([opened]);
  s.given(opened).when({ type: 'OpenIncident', data: opened.data as never, countyKnown: true, now: NOW }).thenThrows('already_exists');
  s.given().when({ type: 'OpenIncident', data: { ...(opened.data as never as object), county: '621299103000' } as never, countyKnown: true, now: NOW }).thenThrows('invalid_unit');
  s.given().when({ type: 'OpenIncident', data: opened.data as never, countyKnown: false, now: NOW }).thenThrows('unit_not_found');
  s.given().when({ type: 'OpenIncident', data: { ...(opened.data as never as object), startedAt: '2026-07-02T00:00:00.000Z' } as never, countyKnown: true, now: NOW }).thenThrows('invalid_period');
});

t.test('submissions: figures as they stood at a time between the start and now, never before what was sent (found by a newcomer)', async (t) => {
  const s = spec(t, incidentDecider);
  const at = (asOf: string, stage: 'initial' | 'daily' = 'initial') => ({ ...submit(stage, { affectedPeople: 9 }), data: { stage, figures: { affectedPeople: 9 }, asOf } });
  s.given(opened).when(at(NOW)).then([{ type: 'FiguresSubmitted', data: { stage: 'initial', figures: { affectedPeople: 9 }, asOf: NOW } }], 'now');
  s.given(opened).when(at('2026-07-01T02:00:00.000Z')).then([{ type: 'FiguresSubmitted', data: { stage: 'initial', figures: { affectedPeople: 9 }, asOf: '2026-07-01T02:00:00.000Z' } }], 'the very start');
  s.given(opened).when(at(new Date(Date.parse(NOW) + 1).toISOString())).thenThrows('invalid_period', 'a millisecond to come');
  s.given(opened).when(at('2027-12-03T14:40:00.000Z')).thenThrows('invalid_period', 'a year to come: it would stop the 初报 clock');
  s.given(opened).when(at('2026-07-01T01:59:59.999Z')).thenThrows('invalid_period', 'before the disaster began');
  s.given(opened).when(at('2020-01-01T00:00:00.000Z')).thenThrows('invalid_period', '2020 for a 2026 disaster');
  const sent: IncidentEvent = { type: 'FiguresSubmitted', data: { stage: 'initial', figures: { affectedPeople: 9 }, asOf: '2026-07-01T04:00:00.000Z' } };
  s.given(opened, sent).when(at('2026-07-01T03:59:59.999Z', 'daily')).thenThrows('invalid_period', 'a 续报 as of before the 初报 it follows');
  s.given(opened, sent).when(at('2026-07-01T04:00:00.000Z', 'daily')).then([{ type: 'FiguresSubmitted', data: { stage: 'daily', figures: { affectedPeople: 9 }, asOf: '2026-07-01T04:00:00.000Z' } }], 'as of the same time as the last: allowed');
  // The log never holds a 续报 as of before the one it follows, not even within a minute.
  const sentMidMinute: IncidentEvent = { type: 'FiguresSubmitted', data: { stage: 'initial', figures: { affectedPeople: 9 }, asOf: '2026-07-01T03:00:30.000Z' } };
  s.given(opened, sentMidMinute).when(at('2026-07-01T03:00:00.000Z', 'daily')).thenThrows('invalid_period', 'the same minute, earlier to the second: refused (the words give both to the second)');
  s.given(opened, sentMidMinute).when(at('2026-07-01T03:00:30.000Z', 'daily')).then([{ type: 'FiguresSubmitted', data: { stage: 'daily', figures: { affectedPeople: 9 }, asOf: '2026-07-01T03:00:30.000Z' } }], 'the same instant: allowed');
});

t.test('submissions: the same one sent again (its answer lost) is not sent upward twice (found by a newcomer)', async (t) => {
  const s = spec(t, incidentDecider);
  const daily = (figures: Record<string, number>, asOf = '2026-07-01T03:00:00.000Z', notes?: string) => ({ type: 'SubmitFigures' as const, data: { stage: 'daily' as const, figures, asOf, ...(notes ? { notes } : {}) }, now: NOW });
  const first: IncidentEvent = { type: 'FiguresSubmitted', data: { stage: 'initial', figures: { affectedPeople: 9 }, asOf: '2026-07-01T02:30:00.000Z' } };
  const sentDaily: IncidentEvent = { type: 'FiguresSubmitted', data: { stage: 'daily', figures: { affectedPeople: 9, dead: 0 }, asOf: '2026-07-01T03:00:00.000Z', notes: '无变化' } };
  s.given(opened, first, sentDaily).when(daily({ affectedPeople: 9 }, '2026-07-01T11:00:00+08:00', '无变化')).then([], 'the same figures as of the same moment (written another way, a zero left out): nothing written');
  s.given(opened, first, sentDaily).when(daily({ affectedPeople: 9 }, '2026-07-01T03:00:00.000Z', '复核后无变化')).then([{ type: 'FiguresSubmitted', data: { stage: 'daily', figures: { affectedPeople: 9 }, asOf: '2026-07-01T03:00:00.000Z', notes: '复核后无变化' } }], 'other words: another 续报');
  s.given(opened, first, sentDaily).when(daily({ affectedPeople: 9 }, '2026-07-01T03:01:00.000Z', '无变化')).then([{ type: 'FiguresSubmitted', data: { stage: 'daily', figures: { affectedPeople: 9 }, asOf: '2026-07-01T03:01:00.000Z', notes: '无变化' } }], 'a later moment: another 续报');
  // From the draft: its moment is when it is sent, so the same draft position is what says it is the same.
  const fromDraft = (asOf: string) => ({ type: 'SubmitFigures' as const, data: { stage: 'daily' as const, figures: { affectedPeople: 9 }, asOf, source: { kind: 'draft' as const, position: '00000000000000000042' } }, now: NOW });
  const sentFromDraft: IncidentEvent = { type: 'FiguresSubmitted', data: fromDraft('2026-07-01T03:00:00.000Z').data };
  s.given(opened, first, sentFromDraft).when(fromDraft('2026-07-01T03:00:02.000Z')).then([], 'the draft at the same position sent again two seconds later: a resend');
  s.given(opened, first, { ...sentFromDraft, data: { ...sentFromDraft.data, asOf: '2026-07-01T02:40:00.000Z' } }).when(fromDraft('2026-07-01T03:00:00.000Z')).then([{ type: 'FiguresSubmitted', data: fromDraft('2026-07-01T03:00:00.000Z').data }], 'twenty minutes later, from a log that did not move: another 续报');
  s.given(opened, first).when({ type: 'SubmitFigures' as const, data: { stage: 'initial' as const, figures: { affectedPeople: 9 }, asOf: '2026-07-01T02:30:00.000Z' }, now: NOW }).then([], 'the 初报 sent again: answered, not refused as a second 初报');
});

t.test('linking reports: at most one incident per report', async (t) => {
  const s = spec(t, incidentDecider);
  const link = (r = report, reportId = REPORT_ID) => ({ type: 'LinkReport' as const, data: { reportId }, report: r, now: NOW });
  const linked: IncidentEvent = { type: 'ReportLinked', data: { reportId: REPORT_ID } };
  s.given(opened).when(link()).then([linked]);
  s.given(opened, linked).when(link()).then([], 'linking again what is linked records nothing');
  s.given(opened).when(link({ ...report, linkedIncident: 'other-incident' } as never)).thenThrows('report_already_linked');
  s.given(opened).when(link({ exists: false, village: VILLAGE })).thenThrows('not_found');
  s.given(opened).when(link({ exists: true, village: '621225100201' })).thenThrows('invalid_unit');
  s.given().when(link()).thenThrows('not_found');
  const unlink = (reportId: string, linkedIncident?: string) => ({ type: 'UnlinkReport' as const, data: { reportId }, report: { linkedIncident }, now: NOW });
  s.given(opened, linked).when(unlink(REPORT_ID, INCIDENT_ID)).then([{ type: 'ReportUnlinked', data: { reportId: REPORT_ID } }]);
  s.given(opened).when(unlink(OTHER_REPORT_ID)).thenThrows('report_not_linked');
  s.given(opened).when(unlink(REPORT_ID, INCIDENT_ID)).then([], 'the report claims this incident but the incident never recorded it: only the claim is released');
  const state = s.given(opened, linked, { type: 'ReportUnlinked', data: { reportId: REPORT_ID } }).state as OpenedIncident;
  t.same(state.reports, []);
});

t.test('submissions: initial, daily, final, in that order; jumps need an explanation', async (t) => {
  const s = spec(t, incidentDecider);
  s.given(opened).when(submit('initial', { affectedPeople: 100 })).then([submitted('initial', { affectedPeople: 100 })]);
  s.given(opened).when(submit('daily', {})).thenThrows('initial_not_submitted');
  s.given(opened, submitted('initial', {})).when(submit('initial', { affectedPeople: 1 })).thenThrows('initial_already_submitted', 'another 初报 (the same one again is a resend)');
  const initial = submitted('initial', { affectedPeople: 100, dead: 0 });
  s.given(opened, initial).when(submit('daily', { affectedPeople: 100 })).then([submitted('daily', { affectedPeople: 100 })], 'a zero report');
  s.given(opened, initial).when(submit('daily', { affectedPeople: 150 })).then([submitted('daily', { affectedPeople: 150 })], '+50 % exactly is not a jump');
  s.given(opened, initial).when(submit('daily', { affectedPeople: 151 })).thenThrows('explanation_required');
  s.given(opened, initial).when(submit('daily', { affectedPeople: 40 })).thenThrows('explanation_required', 'a drop counts too');
  s.given(opened, initial).when(submit('daily', { affectedPeople: 100, dead: 1 })).thenThrows('explanation_required', 'a first death');
  s.given(opened, initial)
    .when(submit('daily', { affectedPeople: 300 }, '新增两个村受灾'))
    .then([{ type: 'FiguresSubmitted', data: { stage: 'daily', figures: { affectedPeople: 300 }, asOf: NOW, explanation: '新增两个村受灾' } }]);
  s.given(opened, initial).when(submit('final', { affectedPeople: 100 })).thenThrows('not_stabilized');
  s.given(opened, initial, stabilized).when(submit('daily', { affectedPeople: 100 })).thenThrows('already_stabilized');
  // Stabilized an hour before NOW: the 核报 as of NOW gives the figures after it.
  const stableEarlier: IncidentEvent = { type: 'IncidentStabilized', data: { at: '2026-07-01T03:00:00.000Z' } };
  s.given(opened, initial, stableEarlier).when(submit('final', { affectedPeople: 100 })).then([submitted('final', { affectedPeople: 100 })]);
  s.given(opened, initial, stabilized).when(submit('final', { affectedPeople: 100 })).thenThrows('invalid_period', 'a 核报 as of before stabilization: a 续报\'s figures sent as final');
  t.throws(() => incidentDecider.decide(submit('final', { affectedPeople: 100 }), s.given(opened, initial, stabilized).state), { code: 'invalid_period', details: { field: 'asOf', why: 'before_stabilized', stabilizedAt: stabilized.data.at } });
  s.given(opened, initial, stabilized, submitted('final', {})).when(submit('final', { affectedPeople: 1 })).thenThrows('final_already_submitted', 'another 核报');
});

t.test('stabilization and closing', async (t) => {
  const s = spec(t, incidentDecider);
  const stabilize = (at: string) => ({ type: 'StabilizeIncident' as const, data: { at }, now: '2026-07-04T00:00:00.000Z' });
  s.given(opened).when(stabilize('2026-07-03T02:00:00.000Z')).then([stabilized]);
  s.given(opened, stabilized).when(stabilize('2026-07-03T03:00:00.000Z')).thenThrows('already_stabilized');
  s.given(opened, stabilized).when(stabilize('2026-07-03T10:00:00+08:00')).then([], 'the same moment again (a resend): nothing written, answered as the first time');
  s.given(opened).when(stabilize('2026-06-30T00:00:00.000Z')).thenThrows('invalid_period');
  s.given(opened).when(stabilize('2026-07-05T00:00:00.000Z')).thenThrows('invalid_period');
  // A daily 续报 as of 07-03 09:00 says the disaster was still developing then.
  const daily: IncidentEvent = { type: 'FiguresSubmitted', data: { stage: 'daily', figures: {}, asOf: '2026-07-03T01:00:00.000Z' } };
  const initialEarly: IncidentEvent = { type: 'FiguresSubmitted', data: { stage: 'initial', figures: {}, asOf: '2026-07-03T03:00:00.000Z' } };
  s.given(opened, submitted('initial', {}), daily).when(stabilize('2026-07-03T00:59:59.000Z')).thenThrows('invalid_period', 'stabilized before a daily 续报 already sent: refused');
  const state = s.given(opened, submitted('initial', {}), daily).state;
  t.throws(() => incidentDecider.decide(stabilize('2026-07-03T00:00:00.000Z'), state), { code: 'invalid_period', details: { field: 'at', why: 'before_daily', dailyAsOf: '2026-07-03T01:00:00.000Z' } }, 'the refusal names both moments');
  s.given(opened, submitted('initial', {}), daily).when(stabilize('2026-07-03T01:00:00.000Z')).then([{ type: 'IncidentStabilized', data: { at: '2026-07-03T01:00:00.000Z' } }], 'as of the daily report itself: allowed');
  s.given(opened, initialEarly).when(stabilize('2026-07-03T02:00:00.000Z')).then([stabilized], 'before the 初报\'s asOf: a small disaster may be stable before its first report goes up');
  const close = { type: 'CloseIncident' as const, data: { summary: '核报完成' }, now: NOW };
  const initial = submitted('initial', {});
  s.given(opened, initial, stabilized).when(close).thenThrows('final_not_submitted');
  const closed: IncidentEvent = { type: 'IncidentClosed', data: { summary: '核报完成' } };
  s.given(opened, initial, stabilized, submitted('final', {})).when(close).then([closed]);
  s.given(opened, initial, stabilized, submitted('final', {}), closed).when(submit('daily', {})).thenThrows('incident_closed');
  s.given(opened, initial, stabilized, submitted('final', {}), closed).when(close).thenThrows('incident_closed');
});

t.test('the moments on an incident never contradict each other, whatever is sent in whatever order (generated)', async (t) => {
  // Hours after the start (02:00Z on 07-01), some before it; now is four days on.
  const now = '2026-07-05T02:00:00.000Z';
  const at = (hours: number) => new Date(Date.parse('2026-07-01T02:00:00.000Z') + hours * 3_600_000).toISOString();
  const command = fc.oneof(
    fc.record({ kind: fc.constantFrom('initial' as const, 'daily' as const, 'final' as const), hours: fc.integer({ min: -5, max: 100 }) }),
    fc.record({ kind: fc.constant('stabilize' as const), hours: fc.integer({ min: -5, max: 100 }) }),
  );
  let accepted = 0;
  fc.assert(
    fc.property(fc.array(command, { maxLength: 10 }), (commands) => {
      const events: IncidentEvent[] = [opened];
      for (const c of commands) {
        const state = events.map((e) => ({ at: now, ...e })).reduce(incidentDecider.evolve, incidentDecider.initialState());
        const cmd = c.kind === 'stabilize' ? { type: 'StabilizeIncident' as const, data: { at: at(c.hours) }, now } : { type: 'SubmitFigures' as const, data: { stage: c.kind, figures: {}, asOf: at(c.hours) }, now };
        try {
          events.push(...incidentDecider.decide(cmd, state));
        } catch {
          // refused: nothing written
        }
      }
      accepted += events.length - 1;
      const stable = events.find((e) => e.type === 'IncidentStabilized')?.data.at;
      const sent = events.flatMap((e) => (e.type === 'FiguresSubmitted' ? [e.data] : []));
      const t0 = Date.parse('2026-07-01T02:00:00.000Z');
      return (
        sent.every((x, i) => Date.parse(x.asOf) >= t0 && (i === 0 || Date.parse(x.asOf) >= Date.parse(sent[i - 1]!.asOf))) &&
        (stable === undefined || Date.parse(stable) >= t0) &&
        sent.every((x) => stable === undefined || (x.stage === 'daily' ? Date.parse(x.asOf) <= Date.parse(stable) : x.stage === 'final' ? Date.parse(x.asOf) >= Date.parse(stable) : true)) &&
        sent.every((x) => x.stage !== 'final' || stable !== undefined)
      );
    }),
    { numRuns: 2000 },
  );
  t.ok(accepted > 2000, `${accepted} events written over 2,000 generated sequences, none contradicting another`);
});

t.test('overdue clock alerts: once per clock per due time', async (t) => {
  const s = spec(t, incidentDecider);
  const alertCmd = { type: 'AlertOverdueClock' as const, data: { clock: 'initial' as const, dueAt: '2026-07-01T04:00:00.000Z', recipients: ['head@621299'] }, now: NOW };
  s.given(opened).when(alertCmd).then([{ type: 'StatutoryClockAlerted', data: alertCmd.data }]);
  s.given(opened, { type: 'StatutoryClockAlerted', data: alertCmd.data }).when(alertCmd).thenThrows('already_exists');
  const state = s.given({ ...opened, at: '2026-07-01T02:05:00.000Z' }).state as OpenedIncident;
  t.same(overdueClocksToAlert(state, '2026-07-01T04:00:01.000Z'), [{ clock: 'initial', dueAt: '2026-07-01T04:00:00.000Z' }]);
  const alerted = s.given(opened, { type: 'StatutoryClockAlerted', data: alertCmd.data }).state as OpenedIncident;
  t.same(overdueClocksToAlert(alerted, '2026-07-01T04:00:01.000Z'), []);
});

t.test('clocks: initial 2 h after the start', async (t) => {
  const input = { startedAt: '2026-07-01T02:00:00.000Z', submissions: [], closed: false };
  const [initial] = statutoryClocks(input, '2026-07-01T03:59:59.000Z');
  t.match(initial, { clock: 'initial', dueAt: '2026-07-01T04:00:00.000Z', overdue: false });
  t.match(statutoryClocks(input, '2026-07-01T04:00:01.000Z')[0], { overdue: true });
  const done = statutoryClocks({ ...input, submissions: [{ stage: 'initial', at: '2026-07-01T03:00:00.000Z' }] }, '2026-07-01T05:00:00.000Z')[0];
  t.match(done, { overdue: false, late: false, satisfiedAt: '2026-07-01T03:00:00.000Z' });
});

t.test('clocks: daily at 09:00 Asia/Shanghai, across the local day boundary', async (t) => {
  // 23:30 Beijing time on 1 July is 15:30 UTC: the first daily is due 09:00 on 2 July, i.e. 01:00 UTC.
  const lateEvening = { startedAt: '2026-07-01T15:30:00.000Z', submissions: [], closed: false };
  const first = statutoryClocks(lateEvening, '2026-07-01T16:00:00.000Z').filter((c) => c.clock === 'daily');
  t.same(first.map((c) => c.dueAt), ['2026-07-02T01:00:00.000Z']);
  // 00:30 Beijing time on 2 July is 16:30 UTC on 1 July: a new local day, so the first daily is 3 July.
  const afterMidnight = { startedAt: '2026-07-01T16:30:00.000Z', submissions: [], closed: false };
  t.equal(statutoryClocks(afterMidnight, '2026-07-01T17:00:00.000Z').find((c) => c.clock === 'daily')!.dueAt, '2026-07-03T01:00:00.000Z');

  const submissions = [
    { stage: 'initial' as const, at: '2026-07-01T17:00:00.000Z' },
    { stage: 'daily' as const, at: '2026-07-02T00:30:00.000Z' }, // 08:30 local, 2 July
    // nothing on 3 July
    { stage: 'daily' as const, at: '2026-07-04T03:00:00.000Z' }, // 11:00 local, 4 July: late
  ];
  const daily = (at: string, input: Parameters<typeof statutoryClocks>[0] = { ...lateEvening, submissions }) => statutoryClocks(input, at).filter((c) => c.clock === 'daily');
  t.same(daily('2026-07-02T00:45:00.000Z'), [
    { clock: 'daily', dueAt: '2026-07-02T01:00:00.000Z', satisfiedAt: '2026-07-02T00:30:00.000Z', overdue: false, late: false, missed: 0 },
  ], 'met before 09:00');
  t.same(daily('2026-07-04T02:00:00.000Z'), [
    { clock: 'daily', dueAt: '2026-07-03T01:00:00.000Z', overdue: true, late: false, missed: 2, lastMissedAt: '2026-07-04T01:00:00.000Z' },
  ], 'a zero report is owed every day: 3 and 4 July missed, one overdue run from the first');
  t.same(daily('2026-07-04T04:00:00.000Z'), [
    { clock: 'daily', dueAt: '2026-07-05T01:00:00.000Z', satisfiedAt: '2026-07-04T03:00:00.000Z', overdue: false, late: false, missed: 0 },
  ], 'a late daily ends the overdue run and meets the next due time');
  t.same(daily('2026-07-10T00:00:00.000Z', { ...lateEvening, submissions, stabilizedAt: '2026-07-03T00:00:00.000Z' }), [
    { clock: 'daily', dueAt: '2026-07-02T01:00:00.000Z', satisfiedAt: '2026-07-02T00:30:00.000Z', overdue: false, late: false, missed: 0 },
  ], 'dailies stop at stabilization');
});

t.test('clocks: an incident that started a year ago is one overdue run per clock, whatever its age (G)', async (t) => {
  const yearAgo = { startedAt: '2025-07-01T02:00:00.000Z', submissions: [], closed: false };
  const clocks = statutoryClocks(yearAgo, '2026-07-01T04:00:00.000Z');
  t.same(clocks.map((c) => [c.clock, c.overdue]), [['initial', true], ['daily', true]], 'two entries, not 366');
  t.equal(clocks[1]!.missed, 365);
  const s = spec(t, incidentDecider);
  const state = s.given({ type: 'IncidentOpened', data: { ...(opened.data as object), startedAt: yearAgo.startedAt } as never }).state as OpenedIncident;
  t.same(overdueClocksToAlert(state, '2026-07-01T04:00:00.000Z'), [
    { clock: 'initial', dueAt: '2025-07-01T04:00:00.000Z' },
    { clock: 'daily', dueAt: '2025-07-02T01:00:00.000Z' },
  ], 'each overdue clock alerts once');
  // Ten years with a thousand follow-ups: still at most one entry per clock.
  const decade = {
    startedAt: '2016-07-01T02:00:00.000Z',
    closed: false,
    submissions: Array.from({ length: 1000 }, (_, i) => ({ stage: 'daily' as const, at: new Date(Date.parse('2016-07-02T00:00:00.000Z') + i * 86_400_000).toISOString() })),
  };
  t.same(statutoryClocks(decade, '2026-07-01T04:00:00.000Z').map((c) => c.clock), ['initial', 'daily']);
});

t.test('clocks: final 2 working days after stabilization', async (t) => {
  // Wednesday 1 July 2026 10:00 local → Friday 3 July 10:00 local.
  t.equal(new Date(addWorkingDays(Date.parse('2026-07-01T02:00:00.000Z'), 2, 480)).toISOString(), '2026-07-03T02:00:00.000Z');
  // Stabilized late on Friday 3 July (23:30 local = 15:30 UTC): Monday and Tuesday count → Tuesday 7 July 23:30 local.
  const friday = { startedAt: '2026-07-01T00:00:00.000Z', submissions: [], stabilizedAt: '2026-07-03T15:30:00.000Z', closed: false };
  const final = statutoryClocks(friday, '2026-07-04T00:00:00.000Z').find((c) => c.clock === 'final')!;
  t.equal(final.dueAt, '2026-07-07T15:30:00.000Z', 'the weekend does not count');
  // Friday 16:30 UTC is already Saturday 00:30 in Beijing: Monday and Tuesday count → Tuesday 00:30 local.
  const saturdayLocal = statutoryClocks({ ...friday, stabilizedAt: '2026-07-03T16:30:00.000Z' }, '2026-07-04T00:00:00.000Z').find((c) => c.clock === 'final')!;
  t.equal(saturdayLocal.dueAt, '2026-07-06T16:30:00.000Z', 'the weekday is the Beijing one, not the UTC one');
  t.match(statutoryClocks(friday, '2026-07-08T00:00:00.000Z').find((c) => c.clock === 'final'), { overdue: true });
  t.match(statutoryClocks({ ...friday, closed: true }, '2026-07-08T00:00:00.000Z').find((c) => c.clock === 'final'), { overdue: false });
});

t.test('jump rule', async (t) => {
  t.same(jumpedIndicators({ affectedPeople: 100 }, { affectedPeople: 150 }), []);
  t.same(jumpedIndicators({ affectedPeople: 100 }, { affectedPeople: 151 }), ['affectedPeople']);
  t.same(jumpedIndicators({ dead: 0 }, { dead: 0 }), []);
  t.same(jumpedIndicators({}, { roomsCollapsed: 1 }), ['roomsCollapsed']);
  t.same(jumpedIndicators({ cropAffectedHa: 10 }, {}), ['cropAffectedHa'], 'a figure that disappears is a drop to zero');
});
