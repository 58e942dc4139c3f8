import t from 'tap';
import fc from 'fast-check';
import { reportDecider, alertTrack, figuresBelowHouseholds, householdFigures, HOUSEHOLD_INDICATORS, type FiledReport, type ReportEvent } from '../../domain/report.js';
import { DAMAGE_LEVELS, figuresInconsistent } from '../../domain/vocabulary.js';
import { fold } from '../../domain/decider.js';
import { spec } from '../support/decider-spec.js';
import { filedData, verifiedData, NOW, REPORT_ID, OTHER_REPORT_ID } from '../support/fixtures.js';
import type { DuplicateOriginal } from '../../domain/report.js';

const filed: ReportEvent = { type: 'ReportFiled', data: filedData() };
const verified: ReportEvent = { type: 'DamageVerified', data: verifiedData() };
const dismissed: ReportEvent = { type: 'ReportDismissed', data: { reason: 'false_alarm' } };
const closed: ReportEvent = { type: 'ReportClosed', data: { summary: '核查完毕' } };
const policy = { delayMs: 600_000, steps: [['u-officer'], ['u-officer', 'head@621299103']] };
const raised0: ReportEvent = { type: 'AlertRaised', data: { step: 0, recipients: ['u-officer'], reason: 'filed', policy } };

t.test('FileReport', async (t) => {
  const s = spec(t, reportDecider);
  const village = { name: '李家村' };
  s.given().when({ type: 'FileReport', data: filedData(), unit: village, now: NOW }).then([filed]);
  s.given(filed).when({ type: 'FileReport', data: filedData(), unit: village, now: NOW }).thenThrows('already_exists');
  s.given().when({ type: 'FileReport', data: filedData(), unit: undefined, now: NOW }).thenThrows('unit_not_found');
  s.given().when({ type: 'FileReport', data: filedData({ village: '621224103000' }), unit: { name: '王坝镇' }, now: NOW }).thenThrows('not_a_village', 'a township code is not a village');
  s.given().when({ type: 'FileReport', data: filedData({ village: '621224000000' }), unit: undefined, now: NOW }).thenThrows('not_a_village', 'a county code, registered or not, is not a village');
  s.given()
    .when({ type: 'FileReport', data: filedData({ observedAt: '2026-07-01T04:30:00.000Z' }), unit: village, now: NOW })
    .then([{ type: 'ReportFiled', data: filedData({ observedAt: '2026-07-01T04:30:00.000Z', clockSuspect: true }) }], 'a phone clock 30 minutes fast: filed as sent, flagged');
  s.given()
    .when({ type: 'FileReport', data: filedData({ observedAt: '2026-07-01T04:04:00.000Z' }), unit: village, now: NOW })
    .then([{ type: 'ReportFiled', data: filedData({ observedAt: '2026-07-01T04:04:00.000Z' }) }], 'a few minutes of drift is not even flagged');
});

t.test('AmendReport', async (t) => {
  const s = spec(t, reportDecider);
  const amend = { type: 'AmendReport' as const, data: { estimate: { dead: 1 } }, now: NOW };
  s.given(filed).when(amend).then([{ type: 'ReportAmended', data: { estimate: { dead: 1 } } }]);
  s.given().when(amend).thenThrows('not_found');
  s.given(filed, verified, closed).when(amend).thenThrows('report_closed');
  s.given(filed, dismissed).when(amend).thenThrows('report_dismissed');
  const state = s.given(filed, { type: 'ReportAmended', data: { estimate: { dead: 1 }, directions: '新路线' } }).state as FiledReport;
  t.same(state.estimate, { affectedPeople: 12, roomsCollapsed: 2, dead: 1 }, 'an amendment merges into the estimate');
  t.equal(state.directions, '新路线');
});

t.test('AmendReport: a 续报 that changes nothing the report holds is not written (a phone resending it)', async (t) => {
  const s = spec(t, reportDecider);
  const withPoint: ReportEvent = { type: 'ReportFiled', data: filedData({ location: { lat: 33.2, lon: 104.9 } }) };
  const amend = (data: Record<string, unknown>) => ({ type: 'AmendReport' as const, data, now: NOW });
  s.given(withPoint).when(amend({ location: { lat: 0, lon: 0 } })).then([], 'a failed fix alone does not replace the point, so it changes nothing');
  s.given(withPoint).when(amend({ location: { lat: 48.85, lon: 2.35 } })).then([], 'nor does a point abroad');
  const noFix = { problem: 'no_fix' as const, distanceKm: null, centreOf: null };
  s.given(withPoint).when(amend({ location: { lat: 0, lon: 0 }, notes: '路断了' })).then([{ type: 'ReportAmended', data: { location: { lat: 0, lon: 0 }, notes: '路断了', locationSuspect: noFix } }], 'with something new beside it, it is written as sent, with why its point is not taken');
  s.given(filed).when(amend({ location: { lat: 0, lon: 0 } })).then([{ type: 'ReportAmended', data: { location: { lat: 0, lon: 0 }, locationSuspect: noFix } }], 'a report without a point takes even a failed fix, as the filing would');
  const centre = { point: { lat: 33.2, lon: 104.9 }, of: 'village' as const };
  const far = { type: 'AmendReport' as const, data: { location: { lat: 39.9, lon: 116.4 } }, centre, now: NOW };
  s.given(withPoint).when(far).then([], 'a point far from the village (the register\u2019s centre on the command) does not replace a good one either');
  s.given(withPoint).when({ ...far, data: { ...far.data, notes: '在村口' } }).then([{ type: 'ReportAmended', data: { location: { lat: 39.9, lon: 116.4 }, notes: '在村口', locationSuspect: { problem: 'far_from_village', distanceKm: 1267.2, centreOf: 'village' } } }]);
  s.given(withPoint).when({ ...far, data: { location: { lat: 33.21, lon: 104.9 }, locationSuspect: noFix } } as never).then([{ type: 'ReportAmended', data: { location: { lat: 33.21, lon: 104.9 } } }], 'a judgement sent in the command\u2019s data is the decider\u2019s to make, not taken');
  const state = s.given(withPoint, { type: 'ReportAmended', data: { location: { lat: 39.9, lon: 116.4 }, locationSuspect: { problem: 'far_from_village', distanceKm: 1267.2, centreOf: 'village' } } }).state as FiledReport;
  t.same(state.location, { lat: 33.2, lon: 104.9 }, 'folded, a suspect point leaves the good one');
  const v1 = s.given(withPoint, { type: 'ReportAmended', data: { location: { lat: 39.9, lon: 116.4 } } }).state as FiledReport;
  t.same(v1.location, { lat: 39.9, lon: 116.4 }, 'a version 1 amendment (no judgement recorded) is read as it was: a point inside the country replaced');
  s.given(withPoint).when(amend({ location: { lat: 33.3, lon: 104.9 } })).then([{ type: 'ReportAmended', data: { location: { lat: 33.3, lon: 104.9 } } }], 'a good new point is written');
  s.given(withPoint).when(amend({ location: { lat: 33.2, lon: 104.9 } })).then([], 'the same point again is nothing new');
  // Every kind of field: sent once it is written, sent again it is not.
  for (const data of [{ estimate: { dead: 2 } }, { directions: '绕行' }, { notes: '村口' }, { location: { lat: 33.25, lon: 104.95 } }, { location: { lat: 0, lon: 0 } }, { estimate: { injured: 1 }, location: { lat: 0, lon: 0 } }]) {
    const first = reportDecider.decide(amend(data) as never, fold(reportDecider, [{ ...withPoint, at: NOW }]));
    const after = fold(reportDecider, [{ ...withPoint, at: NOW }, ...first.map((e) => ({ ...e, at: NOW }))]);
    t.same(reportDecider.decide(amend(data) as never, after), [], `${JSON.stringify(data)} resent writes nothing`);
  }
});

t.test('RaiseAlert: steps in order, never after acknowledgement', async (t) => {
  const s = spec(t, reportDecider);
  const raise = (step: number) => ({
    type: 'RaiseAlert' as const,
    data: { step, recipients: ['u-officer'], reason: step === 0 ? ('filed' as const) : ('unacknowledged' as const), policy },
    now: NOW,
  });
  s.given(filed).when(raise(0)).then([raised0]);
  s.given(filed).when(raise(1)).thenThrows('stale_escalation');
  s.given(filed, raised0).when(raise(0)).thenThrows('stale_escalation', 'a second worker raising the same step is refused');
  s.given(filed, raised0, { type: 'AlertAcknowledged', data: { by: 'u-officer' } }).when(raise(1)).thenThrows('already_acknowledged');
  s.given(filed, verified, closed).when(raise(0)).thenThrows('report_closed');
  s.given(filed, dismissed).when(raise(0)).thenThrows('report_dismissed');
});

t.test('AcknowledgeAlert: the first stops escalation; later ones are recorded', async (t) => {
  const s = spec(t, reportDecider);
  const ack = (by: string) => ({ type: 'AcknowledgeAlert' as const, data: { by }, now: NOW });
  s.given(filed, raised0).when(ack('u-officer')).then([{ type: 'AlertAcknowledged', data: { by: 'u-officer' } }]);
  const acked = { type: 'AlertAcknowledged' as const, data: { by: 'u-officer' } };
  s.given(filed, raised0, acked).when(ack('u-backup')).then([{ type: 'AlertAcknowledged', data: { by: 'u-backup' } }]);
  const state = s.given(filed, raised0, acked, { type: 'AlertAcknowledged', data: { by: 'u-backup' } }).state as FiledReport;
  t.same(state.acknowledgedBy, ['u-officer', 'u-backup']);
  t.equal(state.status, 'acknowledged');
  t.equal(alertTrack(state).acknowledged, true);
  s.given().when(ack('x')).thenThrows('not_found');
  s.given(filed, verified, closed).when(ack('x')).thenThrows('report_closed');
  const via = { type: 'AcknowledgeAlert' as const, data: { by: 'u-backup', via: OTHER_REPORT_ID }, now: NOW };
  s.given(filed, raised0).when(via).then([{ type: 'AlertAcknowledged', data: { by: 'u-backup', via: OTHER_REPORT_ID } }], 'counted via a related report while nobody answered this one');
  s.given(filed, raised0, acked).when(via).then([], 'not once someone has: they are on it');
});

t.test('ReopenAlert: only an answer through that report lapses, once; the report is then owed an alert at once, from the policy\u2019s first step (SPEC \u00a75)', async (t) => {
  const s = spec(t, reportDecider);
  const reopen = (because: 'via_dismissed' | 'graver', via = OTHER_REPORT_ID) => ({ type: 'ReopenAlert' as const, data: { via, because }, now: NOW });
  const throughOther = { type: 'AlertAcknowledged' as const, data: { by: 'u-backup', via: OTHER_REPORT_ID } };
  const lapsed = { type: 'AlertReopened' as const, data: { via: OTHER_REPORT_ID, because: 'via_dismissed' as const, answeredBy: 'u-backup' } };
  s.given(filed, raised0, throughOther).when(reopen('via_dismissed')).then([lapsed]);
  s.given(filed, raised0, throughOther).when(reopen('graver')).then([{ ...lapsed, data: { ...lapsed.data, because: 'graver' } }]);
  s.given(filed, raised0, throughOther, lapsed).when(reopen('via_dismissed')).then([], 'a second node deciding the same writes nothing');
  s.given(filed, raised0, throughOther).when(reopen('via_dismissed', REPORT_ID)).then([], 'an answer through another report stands');
  s.given(filed, raised0, { type: 'AlertAcknowledged', data: { by: 'u-officer' } }).when(reopen('via_dismissed')).then([], 'an answer in person stands');
  s.given(filed, raised0, throughOther, { type: 'AlertAcknowledged', data: { by: 'u-officer' } }).when(reopen('via_dismissed')).then([], 'so does one given in person after the one through');
  s.given(filed, raised0, throughOther, { type: 'OfficerDispatched', data: { officer: 'u-backup' } }).when(reopen('via_dismissed')).then([], 'and setting off oneself');
  s.given(filed, raised0).when(reopen('via_dismissed')).then([], 'nothing to reopen where nobody answered');
  s.given(filed, raised0, throughOther, dismissed).when(reopen('via_dismissed')).thenThrows('report_dismissed');

  const state = s.given(filed, raised0, throughOther, lapsed).state as FiledReport;
  t.same(state.acknowledgedBy, [], 'nobody answers it now');
  t.equal(state.status, 'filed');
  t.match(alertTrack(state), { acknowledged: false, step: 0, tier: 0, reopenedAt: '2026-07-01T00:00:00.000Z' });
  const raise = { type: 'RaiseAlert' as const, data: { step: 1, tier: 0, recipients: ['u-officer', 'u-backup'], reason: 'reopened' as const, policy }, now: NOW };
  s.given(filed, raised0, throughOther, lapsed).when(raise).then([{ type: 'AlertRaised', data: raise.data }], 'the next step, raised again');
  const raisedAgain = s.given(filed, raised0, throughOther, lapsed, { type: 'AlertRaised', data: raise.data }).state as FiledReport;
  t.equal(alertTrack(raisedAgain).reopenedAt, undefined, 'once raised, the lapse is behind it');
  t.equal(alertTrack(raisedAgain).tier, 0);
});

t.test('dispatch and arrival', async (t) => {
  const s = spec(t, reportDecider);
  s.given(filed)
    .when({ type: 'DispatchOfficer', data: { officer: 'u-officer', eta: '2026-07-01T05:00:00.000Z' }, now: NOW })
    .then([{ type: 'OfficerDispatched', data: { officer: 'u-officer', eta: '2026-07-01T05:00:00.000Z' } }]);
  s.given(filed)
    .when({ type: 'RecordArrival', data: { officer: 'u-officer', location: { lat: 33.3, lon: 105.6 } }, now: NOW })
    .then([{ type: 'OfficerArrived', data: { officer: 'u-officer', location: { lat: 33.3, lon: 105.6 } } }]);
  s.given(filed, dismissed).when({ type: 'DispatchOfficer', data: { officer: 'u' }, now: NOW }).thenThrows('report_dismissed');
  s.given(filed, verified, closed).when({ type: 'RecordArrival', data: { officer: 'u' }, now: NOW }).thenThrows('report_closed');
  const onSite = s.given(filed, { type: 'OfficerDispatched', data: { officer: 'u-officer' } }, { type: 'OfficerArrived', data: { officer: 'u-officer' } })
    .state as FiledReport;
  t.equal(onSite.status, 'on_site');
  t.same(onSite.acknowledgedBy, ['u-officer'], 'a dispatch answers the alert');
});

t.test('VerifyDamage: figures below what the household list shows are refused, naming the figure', async (t) => {
  const s = spec(t, reportDecider);
  const households = verifiedData().households; // collapsed 4 people, moderate 5
  s.given(filed).when({ type: 'VerifyDamage', data: verifiedData({ figures: { affectedPeople: 8 } }), now: NOW }).thenThrows('figures_below_households', '8 affected against 9 in damaged households');
  s.given(filed).when({ type: 'VerifyDamage', data: verifiedData({ figures: { affectedPeople: 9, roomsCollapsed: 0 } }), now: NOW }).thenThrows('figures_below_households', 'a collapsed house and no collapsed room');
  s.given(filed)
    .when({ type: 'VerifyDamage', data: verifiedData({ figures: { roomsModeratelyDamaged: 1 } }), now: NOW })
    .then(
      [{ type: 'DamageVerified', data: verifiedData({ figures: { roomsModeratelyDamaged: 1, affectedPeople: 9, roomsCollapsed: 1 }, filledIn: ['affectedPeople', 'roomsCollapsed'] }) }],
      'figures the list determines, left out, are counted from it and said to be',
    );
  s.given(filed)
    .when({ type: 'VerifyDamage', data: verifiedData({ figures: {} }), now: NOW })
    .then(
      [{ type: 'DamageVerified', data: verifiedData({ figures: { affectedPeople: 9, roomsCollapsed: 1, roomsModeratelyDamaged: 1 }, filledIn: ['affectedPeople', 'roomsCollapsed', 'roomsModeratelyDamaged'] }) }],
      'the input of the report: figures {} with a collapsed house counts the collapsed room, not 0',
    );
  s.given(filed)
    .when({ type: 'VerifyDamage', data: verifiedData({ figures: { evacuated: 30, dead: 1 } }), now: NOW })
    .then(
      [{ type: 'DamageVerified', data: verifiedData({ figures: { evacuated: 30, dead: 1, affectedPeople: 30, roomsCollapsed: 1, roomsModeratelyDamaged: 1 }, filledIn: ['affectedPeople', 'roomsCollapsed', 'roomsModeratelyDamaged'] }) }],
      'affected people are at least the evacuated: filling never makes the figures inconsistent',
    );
  s.given(filed)
    .when({ type: 'VerifyDamage', data: verifiedData({ figures: { injured: 2, evacuated: 12 }, households: [{ householdId: 'zj-1', name: '王', damage: 'none', people: 0 }] }), now: NOW })
    .then(
      [{ type: 'DamageVerified', data: verifiedData({ figures: { injured: 2, evacuated: 12, affectedPeople: 12 }, households: [{ householdId: 'zj-1', name: '王', damage: 'none', people: 0 }], filledIn: ['affectedPeople'] }) }],
      'found by a newcomer: 12 evacuated and affected people left out went upward as 0 affected',
    );
  s.given(filed)
    .when({ type: 'VerifyDamage', data: { ...verifiedData({ figures: { dead: 1 }, households: [{ householdId: 'h', name: '王', damage: 'none', people: 3 }] }), filledIn: ['roomsCollapsed'] }, now: NOW })
    .then([{ type: 'DamageVerified', data: verifiedData({ figures: { dead: 1 }, households: [{ householdId: 'h', name: '王', damage: 'none', people: 3 }] }) }], 'nothing to fill: nothing written as filled, whatever the command said');
  t.same(figuresBelowHouseholds({ affectedPeople: 3 }, households), { indicator: 'affectedPeople', given: 3, implied: 9 });
  t.same(figuresBelowHouseholds({ affectedPeople: 3 }, [{ householdId: 'h', name: '王', damage: 'none', people: 7 }]), undefined, 'a household found undamaged adds nothing');
});

t.test('figuresBelowHouseholds: refused exactly when a given figure is below the list’s count (generated)', async (t) => {
  const household = fc.record({ householdId: fc.string({ minLength: 1 }), name: fc.constant('王'), damage: fc.constantFrom(...DAMAGE_LEVELS), people: fc.nat(20) });
  const figure = fc.option(fc.nat(60), { nil: undefined });
  fc.assert(
    fc.property(fc.array(household, { maxLength: 8 }), figure, figure, figure, figure, (list, affectedPeople, roomsCollapsed, roomsSeverelyDamaged, roomsModeratelyDamaged) => {
      const figures = Object.fromEntries(Object.entries({ affectedPeople, roomsCollapsed, roomsSeverelyDamaged, roomsModeratelyDamaged }).filter(([, v]) => v !== undefined));
      const count = (d: string) => list.filter((h) => h.damage === d).length;
      const people = list.filter((h) => h.damage !== 'none').reduce((n, h) => n + h.people, 0);
      const below = (affectedPeople ?? Infinity) < people || (roomsCollapsed ?? Infinity) < count('collapsed') || (roomsSeverelyDamaged ?? Infinity) < count('severe') || (roomsModeratelyDamaged ?? Infinity) < count('moderate');
      return (figuresBelowHouseholds(figures, list) !== undefined) === below;
    }),
    { numRuns: 1000 },
  );
  t.pass('1,000 generated lists');
});

t.test('completedFigures: every verification decided covers its household list, and keeps every figure given (generated)', async (t) => {
  const household = fc.record({ householdId: fc.uuid(), name: fc.constant('王'), damage: fc.constantFrom(...DAMAGE_LEVELS), people: fc.nat(20) });
  const figure = fc.option(fc.nat(200), { nil: undefined });
  let decided = 0;
  fc.assert(
    fc.property(fc.array(household, { maxLength: 8 }), fc.record({ affectedPeople: figure, roomsCollapsed: figure, roomsSeverelyDamaged: figure, roomsModeratelyDamaged: figure, evacuated: figure, needEmergencyAid: figure, dead: figure }), (list, raw) => {
      const figures = Object.fromEntries(Object.entries(raw).filter(([, v]) => v !== undefined));
      let events: ReportEvent[];
      try {
        events = reportDecider.decide({ type: 'VerifyDamage', data: verifiedData({ figures, households: list }), now: NOW }, fold(reportDecider, [{ ...filed, at: NOW }]));
      } catch (e) {
        // Refused only as before: a given figure below the list, or a part above its whole.
        return ['figures_below_households', 'figures_inconsistent'].includes((e as { code?: string }).code ?? '');
      }
      decided += 1;
      const data = (events[0] as Extract<ReportEvent, { type: 'DamageVerified' }>).data;
      const least = householdFigures(list);
      for (const [k, v] of Object.entries(figures)) if (data.figures[k as keyof typeof data.figures] !== v) return false;
      for (const k of HOUSEHOLD_INDICATORS) {
        // Affected people are at least the evacuated and those needing aid, too.
        const atLeast = k === 'affectedPeople' ? Math.max(least[k], figures.evacuated ?? 0, figures.needEmergencyAid ?? 0) : least[k];
        if ((data.figures[k] ?? 0) < (figures[k] === undefined ? atLeast : least[k])) return false;
        if ((data.filledIn ?? []).includes(k) !== (figures[k] === undefined && atLeast > 0)) return false;
      }
      return figuresInconsistent(data.figures) === undefined;
    }),
    { numRuns: 1000 },
  );
  t.ok(decided > 100, `${decided} of 1,000 generated verifications decided, each covering its list`);
});

t.test('VerifyDamage: household by household; a later verification supersedes', async (t) => {
  const s = spec(t, reportDecider);
  s.given(filed).when({ type: 'VerifyDamage', data: verifiedData(), now: NOW }).then([verified]);
  s.given(filed, verified).when({ type: 'VerifyDamage', data: verifiedData(), now: NOW }).then([], 'the same verification by the same officer again (a resend): nothing written');
  s.given(filed, verified).when({ type: 'VerifyDamage', data: verifiedData({ verifier: 'u-other' }), now: NOW }).then([{ type: 'DamageVerified', data: verifiedData({ verifier: 'u-other' }) }], 'by another officer: their verification, recorded');
  s.given(filed, verified).when({ type: 'VerifyDamage', data: verifiedData({ notes: '复查' }), now: NOW }).then([{ type: 'DamageVerified', data: verifiedData({ notes: '复查' }) }], 'anything said differently: recorded');
  const twice = verifiedData({
    households: [
      { householdId: 'hh-1', name: '张三明', damage: 'collapsed', people: 4 },
      { householdId: 'hh-1', name: '张三明', damage: 'severe', people: 4 },
    ],
  });
  s.given(filed).when({ type: 'VerifyDamage', data: twice, now: NOW }).thenThrows('duplicate_household');
  s.given(filed, dismissed).when({ type: 'VerifyDamage', data: verifiedData(), now: NOW }).thenThrows('report_dismissed');
  s.given(filed, verified, closed).when({ type: 'VerifyDamage', data: verifiedData(), now: NOW }).thenThrows('report_closed');
  const second = verifiedData({ figures: { affectedPeople: 11 } });
  const state = s.given(filed, verified, { type: 'DamageVerified', data: second }).state as FiledReport;
  t.same(state.verified?.figures, { affectedPeople: 11 });
  t.equal(state.verifications, 2);
  t.equal(state.status, 'verified');
});

t.test('DismissReport', async (t) => {
  const s = spec(t, reportDecider);
  const village = filedData().village;
  const original: DuplicateOriginal = { reportId: OTHER_REPORT_ID, village, status: 'verified' };
  const asDuplicate = (o: DuplicateOriginal | null | undefined) => ({ type: 'DismissReport' as const, data: { reason: 'duplicate' as const, duplicateOf: OTHER_REPORT_ID }, original: o, now: NOW });
  s.given(filed)
    .when(asDuplicate(original))
    .then([{ type: 'ReportDismissed', data: { reason: 'duplicate', duplicateOf: OTHER_REPORT_ID } }]);
  s.given(filed).when({ type: 'DismissReport', data: { reason: 'duplicate' }, now: NOW }).thenThrows('duplicate_of_required');
  s.given(filed).when({ type: 'DismissReport', data: { reason: 'duplicate', duplicateOf: REPORT_ID }, now: NOW }).thenThrows('duplicate_of_self');
  // The report named must be one the handler found, standing, in the same village.
  s.given(filed).when(asDuplicate(null)).thenThrows('duplicate_of_unknown', 'not found or out of scope');
  s.given(filed).when(asDuplicate(undefined)).thenThrows('duplicate_of_unknown', 'not looked up at all');
  s.given(filed).when(asDuplicate({ ...original, reportId: REPORT_ID })).thenThrows('duplicate_of_unknown', 'a different report looked up');
  s.given(filed).when(asDuplicate({ ...original, status: 'dismissed', dismissal: { reason: 'false_alarm' } })).thenThrows('duplicate_of_dismissed');
  s.given(filed).when(asDuplicate({ ...original, village: '621299103202' })).thenThrows('duplicate_of_other_village');
  // Found by a newcomer: the advice "name the one it went with" named this very report.
  s.given(filed).when(asDuplicate({ ...original, status: 'dismissed', dismissal: { reason: 'duplicate', duplicateOf: REPORT_ID } })).thenThrows('duplicate_of_each_other', 'the other was dismissed as a duplicate of this one');
  for (const status of ['filed', 'acknowledged', 'on_site', 'verified', 'closed'] as const) {
    s.given(filed).when(asDuplicate({ ...original, status })).then([{ type: 'ReportDismissed', data: { reason: 'duplicate', duplicateOf: OTHER_REPORT_ID } }], `a ${status} report stands`);
  }
  s.given(filed).when({ type: 'DismissReport', data: { reason: 'false_alarm', duplicateOf: OTHER_REPORT_ID }, now: NOW }).thenThrows('duplicate_of_unexpected');
  // Found by a newcomer: the same dismissal retried (its answer lost) was refused; it is answered, and nothing written.
  s.given(filed, dismissed).when({ type: 'DismissReport', data: { reason: 'false_alarm' }, now: NOW }).then([], 'the same dismissal again writes nothing');
  s.given(filed, dismissed).when({ type: 'DismissReport', data: { reason: 'out_of_scope' }, now: NOW }).thenThrows('report_dismissed', 'another reason: a dismissal is never rewritten');
  t.throws(() => reportDecider.decide({ type: 'DismissReport', data: { reason: 'out_of_scope' }, now: NOW }, fold(reportDecider, [{ ...filed, at: NOW }, { ...dismissed, at: NOW }])), { code: 'report_dismissed', details: { action: 'dismiss', reason: 'false_alarm' } }, 'said as a dismissal that cannot change, not as field work');
  // Found by a newcomer: a verified report dismissed as the duplicate of an unverified one took its figures out of every tally.
  s.given(filed, verified).when(asDuplicate({ ...original, verified: false })).thenThrows('duplicate_of_unverified');
  s.given(filed, verified).when(asDuplicate({ ...original, verified: true })).then([{ type: 'ReportDismissed', data: { reason: 'duplicate', duplicateOf: OTHER_REPORT_ID } }], 'both verified: the original\'s verification counts');
  s.given(filed).when(asDuplicate({ ...original, verified: false })).then([{ type: 'ReportDismissed', data: { reason: 'duplicate', duplicateOf: OTHER_REPORT_ID } }], 'neither verified');
  s.given(filed, dismissed).when({ type: 'DismissReport', data: { reason: 'false_alarm', notes: '另一说法' }, now: NOW }).thenThrows('report_dismissed', 'other notes');
  const THIRD = '5f0c6a2e-8d1b-4c3a-9e7f-1a2b3c4d5e6f';
  const asDup: ReportEvent = { type: 'ReportDismissed', data: { reason: 'duplicate', duplicateOf: OTHER_REPORT_ID } };
  s.given(filed, asDup).when(asDuplicate(original)).then([], 'the same duplicate dismissal again');
  s.given(filed, asDup).when(asDuplicate(undefined)).then([], 'answered even if the original since left the caller\'s sight');
  s.given(filed, asDup).when({ type: 'DismissReport', data: { reason: 'duplicate', duplicateOf: THIRD }, now: NOW, original: { ...original, reportId: THIRD } }).thenThrows('report_dismissed', 'another original');
  s.given().when({ type: 'DismissReport', data: { reason: 'false_alarm' }, now: NOW }).thenThrows('not_found');
});

t.test('CloseReport: only after verification, and then nothing more', async (t) => {
  const s = spec(t, reportDecider);
  s.given(filed, verified).when({ type: 'CloseReport', data: { summary: '核查完毕' }, now: NOW }).then([closed]);
  s.given(filed).when({ type: 'CloseReport', data: { summary: 'x' }, now: NOW }).thenThrows('not_verified');
  s.given(filed, verified, closed).when({ type: 'CloseReport', data: { summary: 'x' }, now: NOW }).thenThrows('report_closed');
  s.given(filed, verified, closed).when({ type: 'CloseReport', data: { summary: '核查完毕' }, now: NOW }).then([], 'the same closure again (its answer lost): answered as the first time');
  s.given(filed, dismissed).when({ type: 'CloseReport', data: { summary: 'x' }, now: NOW }).thenThrows('report_dismissed');
  // A 续报 after the verification tells of a death it did not find (found by a newcomer: closed, and the death never counted).
  const close = { type: 'CloseReport' as const, data: { summary: '核查完毕' }, now: NOW };
  const death: ReportEvent = { type: 'ReportAmended', data: { estimate: { dead: 1 } } };
  s.given(filed, verified, death).when(close).thenThrows('verification_outdated', 'a death after the verification: verify again first');
  t.throws(() => reportDecider.decide(close, s.given(filed, verified, death).state), { code: 'verification_outdated', details: { news: [{ indicator: 'dead', reported: 1, verified: 0 }] } });
  s.given(filed, verified, death, verified).when(close).then([closed], 'verified again: it closes');
  s.given(filed, verified, death, { type: 'ReportAmended', data: { estimate: { dead: 0 } } }).when(close).then([closed], 'the contact took it back: nothing more to verify');
  s.given(filed, death, verified).when(close).then([closed], 'a death told before the verification is the verification\'s to find');
  s.given(filed, verified, { type: 'ReportAmended', data: { estimate: { affectedPeople: 99 }, notes: '又来了' } }).when(close).then([closed], 'only casualties hold the closure');
});

t.test('ClaimIncidentLink: a dismissed report is not linked; one linked before its dismissal stays linked', async (t) => {
  const s = spec(t, reportDecider);
  const incidentId = '0196f0e4-1c2a-7000-8000-000000000001';
  const claimed: ReportEvent = { type: 'IncidentLinkClaimed', data: { incidentId } };
  s.given(filed).when({ type: 'ClaimIncidentLink', data: { incidentId }, now: NOW }).then([claimed]);
  s.given(filed, dismissed).when({ type: 'ClaimIncidentLink', data: { incidentId }, now: NOW }).thenThrows('report_dismissed', 'a false alarm counts in no figure');
  s.given(filed, claimed, dismissed).when({ type: 'ClaimIncidentLink', data: { incidentId }, now: NOW }).then([], 'the same link sent again is answered as made');
  s.given(filed, claimed, dismissed).when({ type: 'ReleaseIncidentLink', data: { incidentId }, now: NOW }).then([{ type: 'IncidentLinkReleased', data: { incidentId } }], 'and can still be let go');
});

t.test('state carries what the alert and the API need', async (t) => {
  const state = fold(reportDecider, [
    { ...filed, at: '2026-07-01T03:45:00.000Z' },
    { ...raised0, at: '2026-07-01T03:45:01.000Z' },
  ]) as FiledReport;
  t.equal(state.reportedAt, '2026-07-01T03:45:00.000Z');
  t.same(alertTrack(state), {
    step: 0,
    tier: 0,
    lastRaisedAt: '2026-07-01T03:45:01.000Z',
    reopenedAt: undefined,
    delayMs: policy.delayMs,
    acknowledged: false,
    finished: false,
    reportedAt: '2026-07-01T03:45:00.000Z',
  });
  t.same(state.alert?.alerted, ['u-officer']);
});
