// Issue 16: the draft of an upward submission, computed from the incident's reports — verified
// figures where verified, the latest estimate where not, per township and in total, with where
// each figure came from; the relief-work figures from the ledger; at `final` the roster of damaged
// households, once each. Every figure is checked against sums computed here, independently.
import t from 'tap';
import { randomUUID } from 'node:crypto';
import { HEJIAGOU, KANG, LIJIA, NIANBA, startTestApp, WANGBA, ZHUJIAGOU, allocationBody, reportBody, verifiedReport } from '../support/app.js';

const INDICATORS = ['affectedPeople', 'dead', 'missing', 'injured', 'roomsCollapsed', 'roomsSeverelyDamaged', 'cropAffectedHa'] as const;
type Figures = Partial<Record<(typeof INDICATORS)[number] | 'roomsModeratelyDamaged', number>>;

/** A small deterministic generator: the same scenario on every run. */
function rng(seed: number) {
  let s = seed >>> 0;
  return (n: number) => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s % n;
  };
}

t.test('a draft over several townships equals sums computed independently, with its sources', async (t) => {
  const app = await startTestApp(t);
  // Read-your-writes: a read waits until the read side has applied everything written so far.
  const fresh = async () => `position=${await app.logSize()}`;
  const head = app.token('head', KANG, 'head-kang');
  const officer = (village: string) => app.token('officer', village.slice(0, 9) + '000', `officer-${village.slice(6, 9)}`);
  const opened = await app.call('POST', '/incidents', { token: head, body: { county: KANG, hazard: 'flash_flood', startedAt: '2026-07-01T00:00:00Z', title: '7·1 山洪' } });
  t.equal(opened.statusCode, 201);
  const incidentId = opened.json().incidentId as string;

  const next = rng(20260701);
  const villages = [LIJIA, HEJIAGOU, ZHUJIAGOU];
  const figures = (): Figures => {
    const f: Figures = {};
    for (const k of INDICATORS) if (next(3) > 0) f[k] = k === 'cropAffectedHa' ? (next(2000) + 1) / 100 : next(20);
    return f;
  };
  interface Made {
    reportId: string;
    village: string;
    linked: boolean;
    dismissed: boolean;
    counted: Figures;
    verified: boolean;
    households: Array<{ householdId: string; name: string; damage: string; people: number }>;
  }
  // A figure the household list shows, left out of a verification, counts as the list makes it
  // worked out here apart.
  const coveringList = (v: Figures, list: Made['households']): Figures => {
    const damaged = list.filter((h) => h.damage !== 'none');
    const shown: Figures = {
      // (None of evacuated or needEmergencyAid is generated, so people of damaged houses it is.)
      affectedPeople: damaged.reduce((n, h) => n + h.people, 0),
      roomsCollapsed: list.filter((h) => h.damage === 'collapsed').length,
      roomsSeverelyDamaged: list.filter((h) => h.damage === 'severe').length,
      roomsModeratelyDamaged: list.filter((h) => h.damage === 'moderate').length,
    };
    const out = { ...v };
    for (const [k, n] of Object.entries(shown) as Array<[keyof Figures, number]>) if (out[k] === undefined && n > 0) out[k] = n;
    return out;
  };
  const made: Made[] = [];
  for (let i = 0; i < 14; i++) {
    const village = villages[next(villages.length)]!;
    const estimate = figures();
    // Each its own observation: the same words about the same moment would be one report.
    const filed = await app.call('POST', '/reports', { token: app.token('contact', village), body: { village, hazard: 'flash_flood', observedAt: `2026-07-01T01:${String(i).padStart(2, '0')}:00Z`, reporter: { name: '报告人', phone: '13800000000' }, estimate } });
    t.equal(filed.statusCode, 201);
    const reportId = filed.json().reportId as string;
    let counted = estimate;
    // A follow-up estimate (续报) changes the figures it names; the others stand.
    if (next(3) === 0) {
      const changed = figures();
      counted = { ...estimate, ...changed };
      t.equal((await app.call('POST', `/reports/${reportId}/amendments`, { token: app.token('contact', village), body: { estimate: changed } })).statusCode, 200);
    }
    const m: Made = { reportId, village, linked: i !== 5, dismissed: false, counted, verified: false, households: [] };
    // Linked first: a report dismissed later stays linked and counts in neither figure (a dismissed
    // one is not linked at all, docs/decisions.md).
    if (m.linked) t.equal((await app.call('POST', `/incidents/${incidentId}/links`, { token: head, body: { reportId } })).statusCode, 200);
    if (next(2) === 0) {
      // Verified, sometimes twice (the later supersedes); households shared across reports of a village.
      for (let round = 0; round <= next(2); round++) {
        const v = figures();
        const households = [0, 1, 2].slice(0, next(3) + 1).map((h) => ({ householdId: `${next(4) + 1}`, name: `户主${h}`, damage: ['collapsed', 'severe', 'moderate', 'none'][next(4)]!, people: next(6) + 1 }));
        const unique = [...new Map(households.map((h) => [h.householdId, h])).values()];
        const res = await app.call('POST', `/reports/${reportId}/verifications`, { token: officer(village), body: { figures: v, households: unique, method: '入户核查' } });
        t.equal(res.statusCode, 200, res.body);
        m.counted = coveringList(v, unique);
        m.verified = true;
        m.households = unique;
      }
    } else if (i === 3 || i === 9) {
      t.equal((await app.call('POST', `/reports/${reportId}/dismissal`, { token: officer(village), body: { reason: 'false_alarm' } })).statusCode, 200);
      m.dismissed = true;
    }
    made.push(m);
  }
  // Relief on one verified, linked report with a damaged household.
  const helped = made.find((m) => m.linked && m.verified && m.households.some((h) => h.damage !== 'none'));
  t.ok(helped, 'the scenario has a verified, damaged household to help');
  const household = helped!.households.find((h) => h.damage !== 'none')!;
  const alloc = await app.call('POST', '/allocations', {
    token: officer(helped!.village),
    body: allocationBody(helped!.reportId, { household: { id: household.householdId, name: household.name }, category: 'emergency_living', cashFen: 150_000, goods: [{ item: '大米', quantity: 2, unit: '袋' }] }),
  });
  t.equal(alloc.statusCode, 201, alloc.body);

  // Independently: what each township and the county should say.
  const expected = new Map<string, { figures: Record<string, number>; sources: Record<string, { verified: number; estimated: number }>; reports: { verified: number; estimated: number } }>();
  const add = (unit: string, m: Made) => {
    let e = expected.get(unit);
    if (!e) expected.set(unit, (e = { figures: {}, sources: {}, reports: { verified: 0, estimated: 0 } }));
    e.reports[m.verified ? 'verified' : 'estimated']++;
    for (const [k, v] of Object.entries(m.counted)) {
      e.figures[k] = Math.round(((e.figures[k] ?? 0) + v) * 100) / 100;
      const s = (e.sources[k] ??= { verified: 0, estimated: 0 });
      s[m.verified ? 'verified' : 'estimated']++;
    }
  };
  for (const m of made) {
    if (!m.linked || m.dismissed) continue;
    add(m.village.slice(0, 9) + '000', m);
    add(KANG, m);
  }
  const drop0 = (f: Record<string, number>) => Object.fromEntries(Object.entries(f).filter(([, v]) => v !== 0));

  const draft = await app.call('GET', `/incidents/${incidentId}/draft?stage=daily&${await fresh()}`, { token: head });
  t.equal(draft.statusCode, 200, 'the draft');
  const d = draft.json();
  t.equal(d.stage, 'daily');
  t.same(d.total.figures, drop0(expected.get(KANG)!.figures), 'the county total: every linked report not dismissed, once');
  t.same(d.total.sources, expected.get(KANG)!.sources, 'each total figure with how many verified and estimated reports it rests on');
  t.same(d.total.reports, expected.get(KANG)!.reports);
  t.same(
    d.townships.map((x: { unit: { code: string } }) => x.unit.code),
    [WANGBA, NIANBA].filter((u) => expected.has(u)),
    'one entry per township with a counted report, in code order',
  );
  for (const x of d.townships) {
    const e = expected.get(x.unit.code)!;
    t.same([x.figures, x.sources, x.reports], [drop0(e.figures), e.sources, e.reports], `${x.unit.name}: figures and sources`);
  }
  t.equal(d.relief.cashAllocatedFen, 150_000, 'relief work: cash allocated, in fen');
  t.equal(d.relief.cashDeliveredFen, 0, 'nothing delivered yet');
  t.equal(d.relief.households, 1);
  t.notOk(d.roster, 'no household roster before the final stage');

  // Final: exactly the households verified damaged, once each, at the worst damage a report found
  // (the later verification where two found the same).
  const final = (await app.call('GET', `/incidents/${incidentId}/draft?stage=final&${await fresh()}`, { token: head })).json();
  const severity = ['none', 'moderate', 'severe', 'collapsed'];
  const latest = new Map<string, { name: string; damage: string; people: number }>();
  for (const m of made) {
    if (!m.linked || m.dismissed || !m.verified) continue;
    for (const h of m.households) {
      const key = `${m.village}/${h.householdId}`;
      const before = latest.get(key);
      if (!before || severity.indexOf(h.damage) >= severity.indexOf(before.damage)) latest.set(key, h);
    }
  }
  const damaged = [...latest.entries()].filter(([, h]) => h.damage !== 'none').map(([k, h]) => `${k} ${h.damage} ${h.people}`).sort();
  t.same(
    final.roster.map((e: { village: { code: string }; householdId: string; damage: string; people: number }) => `${e.village.code}/${e.householdId} ${e.damage} ${e.people}`).sort(),
    damaged,
    `the roster: ${damaged.length} damaged households, once each, at their worst verified damage`,
  );
  t.ok(final.roster.every((e: { name: string }) => e.name.startsWith('户主')), 'names as recorded (the form goes upward, not on a board)');

  // A submission; then a figure moving > 50 % is named for explanation.
  const submitted = await app.call('POST', `/incidents/${incidentId}/submissions`, { token: head, body: { stage: 'initial', figures: { ...d.total.figures, dead: 0 }, asOf: '2026-07-01T02:00:00Z' } });
  t.equal(submitted.statusCode, 200, submitted.body);
  const after = (await app.call('GET', `/incidents/${incidentId}/draft?${await fresh()}`, { token: head })).json();
  t.equal(after.stage, 'daily', 'after the initial report, a daily follow-up is owed');
  const deadNow = d.total.figures.dead ?? 0;
  t.same(after.moved.map((m: { indicator: string }) => m.indicator), deadNow > 0 ? ['dead'] : [], 'a figure that moved from 0 needs an explanation');

  // A submission from the draft records the whole of it; one typed by hand records its difference.
  const draftNow = (await app.call('GET', `/incidents/${incidentId}/draft?stage=daily&${await fresh()}`, { token: head })).json();
  const fromDraft = await app.call('POST', `/incidents/${incidentId}/submissions`, {
    token: head,
    body: { stage: 'daily', fromDraft: true, position: draftNow.asOf, ...(draftNow.moved.length ? { explanation: '核实后死亡人数确认' } : {}) },
  });
  t.equal(fromDraft.statusCode, 200, fromDraft.body);
  const sizeSent = await app.logSize();
  const resent = await app.call('POST', `/incidents/${incidentId}/submissions`, {
    token: head,
    body: { stage: 'daily', fromDraft: true, position: draftNow.asOf, ...(draftNow.moved.length ? { explanation: '核实后死亡人数确认' } : {}) },
  });
  t.same([resent.statusCode, await app.logSize()], [200, sizeSent], 'the same draft sent again (its answer lost): answered, not sent upward twice (found by a newcomer)');
  const byHand = await app.call('POST', `/incidents/${incidentId}/submissions`, {
    token: head,
    body: { stage: 'daily', figures: { ...draftNow.total.figures, injured: (draftNow.total.figures.injured ?? 0) + 1 }, asOf: new Date().toISOString(), explanation: '乡镇电话补报一名伤员' },
  });
  t.equal(byHand.statusCode, 200, byHand.body);
  const history = (await app.call('GET', `/audit/events?limit=1000`, { token: app.token('auditor', KANG, 'aud') })).json().items.filter((e: { type: string; stream: string }) => e.type === 'FiguresSubmitted' && e.stream === `incident-${incidentId}`);
  t.equal(history.length, 3, 'three submissions in the log');
  const [, drafted, typed] = history.map((e: { data: Record<string, unknown> }) => e.data);
  t.same(drafted.source, { kind: 'draft', position: draftNow.asOf }, 'from the draft, at the position it was computed at');
  t.same(drafted.figures, draftNow.total.figures, 'the draft’s total');
  t.same(drafted.townships, draftNow.townships.map((x: { unit: { code: string }; figures: unknown }) => ({ unit: x.unit.code, figures: x.figures })), 'and each township’s figures');
  t.same(drafted.relief, draftNow.relief, 'and the relief-work figures');
  t.same(typed.source.kind, 'hand', 'typed by hand');
  t.same(typed.source.differences, [{ indicator: 'injured', draft: draftNow.total.figures.injured ?? 0, submitted: (draftNow.total.figures.injured ?? 0) + 1 }], 'with what differs from the draft');

  // The figures change after the draft was looked at: sending it is refused, not silently updated.
  const stale = (await app.call('GET', `/incidents/${incidentId}/draft?stage=daily&${await fresh()}`, { token: head })).json();
  const more = await app.call('POST', '/reports', { token: app.token('contact', LIJIA), body: { village: LIJIA, hazard: 'flash_flood', observedAt: '2026-07-02T03:00:00Z', reporter: { name: '报告人', phone: '13800000000' }, estimate: { affectedPeople: 7 } } });
  await app.call('POST', `/incidents/${incidentId}/links`, { token: head, body: { reportId: more.json().reportId } });
  const changed = await app.call('POST', `/incidents/${incidentId}/submissions`, { token: head, body: { stage: 'daily', fromDraft: true, position: stale.asOf, explanation: 'x' } });
  t.equal(changed.statusCode, 409, 'the draft changed since');
  t.equal(changed.json().error, 'draft_changed');
  const bad = await app.call('POST', `/incidents/${incidentId}/submissions`, { token: head, body: { stage: 'daily', fromDraft: true, figures: {}, asOf: '2026-07-02T01:00:00Z' } });
  t.equal(bad.statusCode, 400);
  t.same(bad.json().details.map((d: { path: string }) => d.path).sort(), ['body.figures', 'body.position'], 'figures are not taken with fromDraft; its position is required');
  t.match(bad.json().message, /草稿/, 'said in Chinese');

  t.equal((await app.call('GET', `/incidents/${randomUUID()}/draft`, { token: head })).statusCode, 404);
  t.equal((await app.call('GET', `/incidents/${incidentId}/draft?stage=weekly`, { token: head })).statusCode, 400);
  t.equal((await app.call('GET', `/incidents/${incidentId}/draft`, { token: app.token('head', '621225', 'other-county') })).statusCode, 404, 'another county: no such incident');
});

t.test('the 核报 roster: a house a landslide brought down stays 倒塌 when a later flood report finds it moderately damaged (found by a newcomer)', async (t) => {
  const app = await startTestApp(t);
  const fresh = async () => `position=${await app.logSize()}`;
  const head = app.token('head', KANG, 'head-kang');
  const officer = app.token('officer', WANGBA, 'officer-wangba');
  const incidentId = (await app.call('POST', '/incidents', { token: head, body: { county: KANG, hazard: 'landslide', startedAt: '2026-07-01T00:00:00Z', title: '7·1 滑坡山洪' } })).json().incidentId as string;
  const verified = async (hazard: string, households: Array<{ householdId: string; name: string; damage: string; people: number }>, figures: Record<string, number>) => {
    const { reportId } = (await app.call('POST', '/reports', { token: app.token('contact', LIJIA), body: { village: LIJIA, hazard, observedAt: '2026-07-01T02:00:00Z', reporter: { name: '李四', phone: '13800000000' } } })).json();
    const v = await app.call('POST', `/reports/${reportId}/verifications`, { token: officer, body: { figures, households, method: '入户核查' } });
    t.equal(v.statusCode, 200, v.body);
    t.equal((await app.call('POST', `/incidents/${incidentId}/links`, { token: head, body: { reportId } })).statusCode, 200);
  };
  await verified('landslide', [{ householdId: 'hh-1', name: '张三明', damage: 'collapsed', people: 4 }, { householdId: 'hh-2', name: '李小红', damage: 'moderate', people: 2 }], { affectedPeople: 6, roomsCollapsed: 2, roomsModeratelyDamaged: 1 });
  await verified('flash_flood', [{ householdId: 'hh-1', name: '张三明', damage: 'moderate', people: 4 }, { householdId: 'hh-2', name: '李小红', damage: 'severe', people: 2 }], { affectedPeople: 6, roomsModeratelyDamaged: 1, roomsSeverelyDamaged: 1 });
  const final = (await app.call('GET', `/incidents/${incidentId}/draft?stage=final&${await fresh()}`, { token: head })).json();
  t.same(
    final.roster.map((e: { householdId: string; damage: string; reportId: string }) => `${e.householdId} ${e.damage}`),
    ['hh-1 collapsed', 'hh-2 severe'],
    'each household once, at the worst damage a report found: the later report does not undo the earlier one',
  );
});

t.test('households verified in two reports of one incident: the draft, its forms and the submission say the totals may count them twice (found by a newcomer: 受灾人口 16 beside a household ledger of 9)', async (t) => {
  const app = await startTestApp(t);
  const head = app.token('head', KANG, 'head-kang');
  const officer = app.token('officer', WANGBA, 'officer-wangba-1');
  const opened = await app.call('POST', '/incidents', { token: head, body: { county: KANG, hazard: 'landslide', startedAt: '2026-07-01T00:00:00Z', title: '7·1 滑坡山洪' } });
  const incidentId = opened.json().incidentId as string;
  const hh = (householdId: string, people: number) => ({ householdId, name: `户主${householdId}`, damage: 'severe', people });
  let observed = 0;
  const report = async (hazard: string, households: ReturnType<typeof hh>[]) => {
    const observedAt = `2026-07-01T01:${String(observed++).padStart(2, '0')}:00Z`;
    const filed = await app.call('POST', '/reports', { token: app.token('contact', LIJIA), body: { village: LIJIA, hazard, observedAt, reporter: { name: '报告人', phone: '13800000000' }, estimate: {} } });
    const reportId = filed.json().reportId as string;
    const affectedPeople = households.reduce((n, h) => n + h.people, 0);
    const verified = await app.call('POST', `/reports/${reportId}/verifications`, { token: officer, body: { figures: { affectedPeople }, households, method: '入户核查' } });
    t.equal(verified.statusCode, 200, verified.body);
    t.equal((await app.call('POST', `/incidents/${incidentId}/links`, { token: head, body: { reportId } })).statusCode, 200);
    return reportId;
  };
  const r1 = await report('landslide', [hh('hh-1', 4), hh('hh-2', 3), hh('hh-3', 2)]);
  const r2 = await report('flash_flood', [hh('hh-1', 4), hh('hh-2', 3)]);
  const position = String(await app.logSize());
  const draft = (await app.call('GET', `/incidents/${incidentId}/draft?stage=initial&position=${position}`, { token: head })).json();
  t.equal(draft.total.figures.affectedPeople, 16, 'the figures are each report\u2019s, summed, as before');
  t.same(draft.sharedHouseholds, [
    { village: LIJIA, householdId: 'hh-1', reports: [r1, r2], people: 4 },
    { village: LIJIA, householdId: 'hh-2', reports: [r1, r2], people: 3 },
  ], 'and the households in both are named');
  const csv = (await app.call('GET', `/incidents/${incidentId}/forms?stage=initial&format=csv`, { token: head })).body;
  t.match(csv, /注意.*2 户（户号 hh-1、hh-2）在本灾害过程的几份报告中都被核查过.*人口（至多 7 人）和倒损房屋等数字可能重复计算了：请先核对/, 'the paper says it, first');
  const sent = await app.call('POST', `/incidents/${incidentId}/submissions`, { token: head, body: { stage: 'initial', fromDraft: true, position } });
  t.equal(sent.statusCode, 200, sent.body);
  t.match(sent.json().warnings, [{ code: 'households_in_several_reports', households: 2, extraPeople: 7, message: /^已报送。但2 户/ }]);
  t.match(sent.json().warnings[0].message, /再报一次更正/, 'before the 核报: a correction can follow');
  // The 核报 is the last submission: its warning does not advise a correction the rules refuse,
  // and a verification after it says the figures sent will not follow (found by a newcomer).
  t.equal((await app.call('POST', `/incidents/${incidentId}/stabilization`, { token: head, body: {} })).statusCode, 200);
  const final = await app.call('POST', `/incidents/${incidentId}/submissions`, { token: head, body: { stage: 'final', fromDraft: true, position: String(await app.logSize()), explanation: '核实' } });
  t.equal(final.statusCode, 200, final.body);
  t.match(final.json().warnings, [{ code: 'households_in_several_reports', message: /如有重复，核报之后不能再报，请核对后按规定向上级书面说明$/ }]);
  t.notMatch(final.json().warnings[0].message, /再报一次更正/);
  t.equal((await app.call('POST', `/incidents/${incidentId}/submissions`, { token: head, body: { stage: 'final', fromDraft: true, position: String(await app.logSize()), explanation: '更正' } })).json().error, 'final_already_submitted', 'as the rules say: nothing after the 核报');
  const later = await app.call('POST', `/reports/${r1}/verifications`, { token: officer, body: { figures: { affectedPeople: 12, roomsSeverelyDamaged: 3 }, households: [hh('hh-1', 4), hh('hh-2', 3), hh('hh-3', 5)], method: '再次入户核查' } });
  t.equal(later.statusCode, 200, later.body);
  t.match(later.json().warnings, [{ code: 'after_final_report', incidentId, message: /^本灾害过程（7·1 滑坡山洪）的核报已于北京时间 .* 报送，核报之后不能再报：这次核查改变的数字不会报上去。请告知县民政局/ }]);
  const dismissedAfter = await app.call('POST', `/reports/${r2}/dismissal`, { token: officer, body: { reason: 'false_alarm' } });
  t.equal(dismissedAfter.statusCode, 200);
  t.match(dismissedAfter.json().warnings, [{ code: 'verified_figures_dropped' }, { code: 'after_final_report', message: /核报之后不能再报：这份报告已计入报上去的核报，撤销不会从中扣除。请告知县民政局/ }], 'a dismissal after the 核报 names it too (found by a newcomer)');
  t.match((await app.call('GET', `/incidents/${incidentId}/draft`, { token: head })).json(), { stage: 'final', submitted: { index: 2 } }, 'after the 核报, the draft asked for without a stage is the 核报 as sent (found by a newcomer: a fresh one, read as never sent)');

  // A draft whose sums put a part above its whole goes upward all the same, and says so.
  const crops = (await app.call('POST', '/incidents', { token: head, body: { county: KANG, hazard: 'hail', startedAt: '2026-07-01T00:00:00Z', title: '冰雹' } })).json().incidentId as string;
  const hail = (await app.call('POST', '/reports', { token: app.token('contact', LIJIA), body: { village: LIJIA, hazard: 'hail', observedAt: '2026-07-01T01:00:00Z', reporter: { name: '报告人', phone: '13800000000' }, estimate: { cropAffectedHa: 1.25, cropDamagedHa: 3.5 } } })).json().reportId as string;
  t.equal((await app.call('POST', `/incidents/${crops}/links`, { token: head, body: { reportId: hail } })).statusCode, 200);
  const odd = await app.call('POST', `/incidents/${crops}/submissions`, { token: head, body: { stage: 'initial', fromDraft: true, position: String(await app.logSize()) } });
  t.equal(odd.statusCode, 200, 'a statutory deadline does not wait on a contact\u2019s estimate');
  t.match(odd.json().warnings, [{ code: 'figures_inconsistent', field: 'figures.cropDamagedHa', message: /^已报送。但农作物成灾面积（3.5公顷）大于农作物受灾面积（1.25公顷），前者是后者的一部分：请核对各报告的数字，核实后再报一次更正$/ }]);

  // One report alone: nothing to say.
  const alone = await app.call('POST', '/incidents', { token: head, body: { county: KANG, hazard: 'hail', startedAt: '2026-07-02T00:00:00Z', title: '冰雹' } });
  const other = alone.json().incidentId as string;
  await app.call('POST', `/incidents/${other}/links`, { token: head, body: { reportId: r1 } }).catch(() => undefined);
  const single = (await app.call('GET', `/incidents/${other}/draft?stage=initial&position=${await app.logSize()}`, { token: head })).json();
  t.equal(single.sharedHouseholds, undefined);
});

t.test('a report of the county in no incident since the disaster began is named by the draft and said when it is sent (found by a newcomer: two dead absent from the 核报 without a hint)', async (t) => {
  const app = await startTestApp(t);
  const head = app.token('head', KANG, 'head-kang');
  const file = async (observedAt: string) => (await app.call('POST', '/reports', { token: app.token('contact', LIJIA), body: { village: LIJIA, hazard: 'landslide', observedAt, reporter: { name: '报告人', phone: '13800000000' }, estimate: { dead: 2 } } })).json().reportId as string;
  const linked = await file('2026-07-01T01:00:00Z');
  const forgotten = await file('2026-07-01T02:00:00Z');
  const incidentId = (await app.call('POST', '/incidents', { token: head, body: { county: KANG, hazard: 'landslide', startedAt: '2020-07-01T00:00:00Z', title: '滑坡' } })).json().incidentId as string;
  t.equal((await app.call('POST', `/incidents/${incidentId}/links`, { token: head, body: { reportId: linked } })).statusCode, 200);
  const draft = (await app.call('GET', `/incidents/${incidentId}/draft`, { token: head })).json();
  t.match(draft.unlinked, [{ reportId: forgotten, village: LIJIA, hazard: 'landslide' }], 'named, so a head can link it');
  t.equal(draft.total.figures.dead, 2, 'the linked one counts; the other does not');
  const sent = await app.call('POST', `/incidents/${incidentId}/submissions`, { token: head, body: { stage: 'initial', fromDraft: true, position: String(await app.logSize()) } });
  t.equal(sent.statusCode, 200);
  t.match(sent.json().warnings, [{ code: 'reports_not_linked', reports: [forgotten], casualties: { dead: 2 }, message: /^已报送。县内另有 1 份报告（灾害开始以后上报、未撤销）没有归入任何灾害过程，其中 1 份报了人员伤亡（死亡 2 人），其数字不在这次报送里：如属本过程，请归入后在下一次报送中计入$/ }], 'the deaths said as deaths (found by a newcomer: counted into "N reports")');
  t.equal((await app.call('POST', `/incidents/${incidentId}/links`, { token: head, body: { reportId: forgotten } })).statusCode, 200);
  t.equal((await app.call('GET', `/incidents/${incidentId}/draft`, { token: head })).json().unlinked, undefined, 'linked: nothing left to name');
});

t.test('the draft names the reports in no incident filed since the disaster began, and none filed before it', async (t) => {
  let now = new Date('2026-07-01T00:00:00.000Z');
  const app = await startTestApp(t, { now: () => now });
  const head = app.token('head', KANG, 'head-kang');
  let n = 0;
  const file = async () => (await app.call('POST', '/reports', { token: app.token('contact', LIJIA), body: reportBody({ estimate: { affectedPeople: ++n } }) })).json().reportId as string;
  const before: string[] = [];
  for (let i = 0; i < 20; i++) before.push(await file());
  now = new Date('2026-07-01T02:59:00.000Z');
  const justBefore = await file();
  now = new Date('2026-07-01T05:00:00.000Z');
  const incidentId = (await app.call('POST', '/incidents', { token: head, body: { county: KANG, hazard: 'landslide', startedAt: '2026-07-01T03:00:00Z', title: '滑坡' } })).json().incidentId as string;
  const after = [await file(), await file()];
  const draft = (await app.call('GET', `/incidents/${incidentId}/draft`, { token: head })).json();
  t.same(draft.unlinked.map((r: { reportId: string }) => r.reportId), after, 'those filed since it began, oldest first');
  t.notOk([...before, justBefore].some((id) => draft.unlinked.some((r: { reportId: string }) => r.reportId === id)), 'none filed before it, a minute before included');
});

t.test('a 核报 that counts a report only estimated is sent, and says so with how many (found by a newcomer)', async (t) => {
  const app = await startTestApp(t);
  const head = app.token('head', KANG, 'head-kang');
  const incidentId = (await app.call('POST', '/incidents', { token: head, body: { county: KANG, hazard: 'landslide', startedAt: '2020-07-01T00:00:00Z', title: '滑坡' } })).json().incidentId as string;
  const estimated = (await app.call('POST', '/reports', { token: app.token('contact', LIJIA), body: reportBody({ estimate: { missing: 1, affectedPeople: 6 } }) })).json().reportId as string;
  t.equal((await app.call('POST', `/incidents/${incidentId}/links`, { token: head, body: { reportId: estimated } })).statusCode, 200);
  const send = async (stage: string, lang?: string) =>
    app.call('POST', `/incidents/${incidentId}/submissions`, { token: head, body: { stage, fromDraft: true, position: String(await app.logSize()), explanation: '核实' }, ...(lang ? { headers: { 'accept-language': lang } } : {}) });
  const initial = await send('initial');
  t.equal(initial.statusCode, 200, initial.body);
  t.notOk((initial.json().warnings ?? []).some((w: { code: string }) => w.code === 'estimates_in_final'), 'a 初报 rests on estimates as a rule: nothing said');
  t.equal((await app.call('POST', `/incidents/${incidentId}/stabilization`, { token: head, body: {} })).statusCode, 200);
  const final = await send('final');
  t.equal(final.statusCode, 200, final.body);
  t.match(final.json().warnings, [{ code: 'estimates_in_final', reports: 1, message: /^已报送核报。但其中 1 份报告尚未入户核查，数字按上报的估计计入：核报之后不能再报/ }]);
});

t.test('relief handed over on a report dismissed later stays in the incident\u2019s relief figures; the rest counts as nothing (found by a newcomer)', async (t) => {
  const app = await startTestApp(t);
  const head = app.token('head', KANG, 'head-kang');
  const officer = app.token('officer', WANGBA, 'officer-wangba-1');
  const incidentId = (await app.call('POST', '/incidents', { token: head, body: { county: KANG, hazard: 'landslide', startedAt: '2026-07-01T00:00:00Z', title: '7·1 滑坡' } })).json().incidentId as string;
  const reportId = await verifiedReport(app);
  t.equal((await app.call('POST', `/incidents/${incidentId}/links`, { token: head, body: { reportId } })).statusCode, 200);
  const allocated = await app.call('POST', '/allocations', { token: officer, body: allocationBody(reportId, { cashFen: 2_000_000, goods: [] }) });
  t.equal(allocated.statusCode, 201, allocated.body);
  const allocationId = allocated.json().allocationId as string;
  t.equal((await app.call('POST', `/allocations/${allocationId}/approval`, { token: app.token('head', WANGBA, 'head-wangba'), body: {} })).statusCode, 200);
  const delivered = await app.call('POST', `/allocations/${allocationId}/deliveries`, { token: officer, body: { deliveryId: randomUUID(), cashFen: 500_000, goods: [], confirmation: { method: 'signature', reference: 'S-1' } } });
  t.equal(delivered.statusCode, 200, delivered.body);
  const dismissed = await app.call('POST', `/reports/${reportId}/dismissal`, { token: officer, body: { reason: 'false_alarm' } });
  t.equal(dismissed.statusCode, 200, dismissed.body);
  const draft = (await app.call('GET', `/incidents/${incidentId}/draft?stage=initial&position=${dismissed.json().position}`, { token: head })).json();
  t.match(draft.relief, { allocations: 1, householdsReached: 1, cashDeliveredFen: 500_000, cashAllocatedFen: 500_000, cashApprovedFen: 500_000 }, '5,000 yuan handed over: counted; the 15,000 never to be handed over: not');
  t.same(draft.total.figures, {}, 'the dismissed report counts in no damage figure');
});

t.test('a 续报 of more deaths after a verification is named by the draft and said when sent (found by a newcomer)', async (t) => {
  const app = await startTestApp(t);
  const head = app.token('head', KANG, 'head-kang');
  const incidentId = (await app.call('POST', '/incidents', { token: head, body: { county: KANG, hazard: 'landslide', startedAt: '2026-07-01T00:00:00Z', title: '7·1 滑坡' } })).json().incidentId as string;
  const reportId = await verifiedReport(app);
  t.equal((await app.call('POST', `/incidents/${incidentId}/links`, { token: head, body: { reportId } })).statusCode, 200);
  const more = await app.call('POST', `/reports/${reportId}/amendments`, { token: app.token('contact', LIJIA), body: { estimate: { dead: 3 } } });
  t.equal(more.statusCode, 200);
  const draft = (await app.call('GET', `/incidents/${incidentId}/draft?stage=initial&position=${more.json().position}`, { token: head })).json();
  t.same(draft.casualtiesNotVerified, [{ reportId, village: LIJIA, reported: { dead: 3 }, verified: { dead: 0 } }], 'named before anything is sent');
  t.notOk(draft.total.figures.dead, 'the verified figures count: the deaths are not in the total');
  const sent = await app.call('POST', `/incidents/${incidentId}/submissions`, { token: head, body: { stage: 'initial', fromDraft: true, position: more.json().position } });
  t.equal(sent.statusCode, 200, sent.body);
  t.match(sent.json().warnings.find((w: { code: string }) => w.code === 'casualties_not_verified'), { reports: [reportId], message: /^已报送。但其中 1 份报告核查之后的续报报了更多伤亡/ });
  // Verified again with the deaths: nothing more to name.
  const again = await app.call('POST', `/reports/${reportId}/verifications`, { token: app.token('officer', WANGBA), body: { figures: { affectedPeople: 9, roomsCollapsed: 3, roomsModeratelyDamaged: 1, dead: 3 }, households: [{ householdId: 'hh-1', name: '张三明', damage: 'collapsed', people: 4 }, { householdId: 'hh-2', name: '李四', damage: 'moderate', people: 5 }], method: '入户核查' } });
  t.equal(again.statusCode, 200, again.body);
  const after = (await app.call('GET', `/incidents/${incidentId}/draft?stage=daily&position=${again.json().position}`, { token: head })).json();
  t.equal(after.casualtiesNotVerified, undefined);
  t.equal(after.total.figures.dead, 3);
});

t.test('the draft says before anything is sent what the submission would say after it, check for check (found by a newcomer: a part above its whole, households counted twice and estimates in a 核报 said only once the 核报 had gone)', async (t) => {
  const app = await startTestApp(t);
  const head = app.token('head', KANG, 'head-kang');
  const officer = app.token('officer', WANGBA, 'officer-wangba-1');
  const incidentId = (await app.call('POST', '/incidents', { token: head, body: { county: KANG, hazard: 'landslide', startedAt: '2020-07-01T00:00:00Z', title: '滑坡' } })).json().incidentId as string;
  const warnings = async (stage: string, lang?: string) =>
    ((await app.call('GET', `/incidents/${incidentId}/draft?stage=${stage}`, { token: head, ...(lang ? { headers: { 'accept-language': lang } } : {}) })).json().warnings ?? []) as Array<{ code: string; message: string }>;
  t.match(await warnings('initial'), [{ code: 'no_reports', message: /^报送前请注意：这份草稿不含任何报告的数字.*请先把报告归入本灾害过程$/ }], 'nothing linked: said on the draft');

  const file = async (estimate: Record<string, number>) => (await app.call('POST', '/reports', { token: app.token('contact', LIJIA), body: reportBody({ estimate }) })).json().reportId as string;
  const hh = (householdId: string) => ({ householdId, name: `户主${householdId}`, damage: 'severe', people: 3 });
  const a = await file({ affectedPeople: 3 });
  const b = await file({ affectedPeople: 3 });
  for (const id of [a, b]) {
    t.equal((await app.call('POST', `/reports/${id}/verifications`, { token: officer, body: { figures: { affectedPeople: 3 }, households: [hh('hh-1')], method: '入户核查' } })).statusCode, 200);
    t.equal((await app.call('POST', `/incidents/${incidentId}/links`, { token: head, body: { reportId: id } })).statusCode, 200);
  }
  const estimated = await file({ cropAffectedHa: 1.25, cropDamagedHa: 3.5 });
  t.equal((await app.call('POST', `/incidents/${incidentId}/links`, { token: head, body: { reportId: estimated } })).statusCode, 200);
  await file({ dead: 1 }); // in no incident
  t.equal((await app.call('POST', `/reports/${a}/amendments`, { token: app.token('contact', LIJIA), body: { estimate: { dead: 1 } } })).statusCode, 200);

  const expected = ['reports_not_linked', 'casualties_not_verified', 'households_in_several_reports', 'figures_inconsistent'];
  const initial = await warnings('initial');
  t.same(initial.map((w) => w.code), expected, 'every check on the 初报 draft');
  for (const w of initial) t.match(w.message, /^报送前请注意：/, `${w.code}: said as something to check before sending`);
  t.match(initial.find((w) => w.code === 'figures_inconsistent')!.message, /农作物成灾面积（3.5公顷）大于农作物受灾面积（1.25公顷）/);
  t.match((await warnings('initial', 'en')).map((w) => w.message), [/^before sending: /, /^before sending: /, /^before sending: /, /^before sending: /], 'in English when asked');
  const sent = await app.call('POST', `/incidents/${incidentId}/submissions`, { token: head, body: { stage: 'initial', fromDraft: true, position: String(await app.logSize()) } });
  t.equal(sent.statusCode, 200, sent.body);
  t.same(sent.json().warnings.map((w: { code: string }) => w.code).filter((c: string) => c !== 'late_submission'), expected, 'the answer says the same checks, as done');
  t.same((await app.call('GET', `/incidents/${incidentId}/draft?stage=initial`, { token: head })).json().warnings, undefined, 'the 初报 as sent says nothing more');

  t.equal((await app.call('POST', `/incidents/${incidentId}/stabilization`, { token: head, body: {} })).statusCode, 200);
  const final = await warnings('final');
  t.same(final.map((w) => w.code), ['reports_not_linked', 'casualties_not_verified', 'estimates_in_final', 'households_in_several_reports', 'figures_inconsistent'], 'the 核报 draft names the estimate too');
  t.match(final.find((w) => w.code === 'estimates_in_final')!.message, /^报送前请注意：其中 1 份报告尚未入户核查，核报会按上报的估计计入：核报之后不能再报，请先入户核查$/);
  const sentFinal = await app.call('POST', `/incidents/${incidentId}/submissions`, { token: head, body: { stage: 'final', fromDraft: true, position: String(await app.logSize()), explanation: '核实' } });
  t.equal(sentFinal.statusCode, 200, sentFinal.body);
  t.same(sentFinal.json().warnings.map((w: { code: string }) => w.code).filter((c: string) => c !== 'late_submission'), final.map((w) => w.code));
});

t.test('a township\u2019s row with a part above its whole is said before sending, though the county\u2019s total balances (found by a newcomer)', async (t) => {
  const app = await startTestApp(t);
  const head = app.token('head', KANG, 'head-kang');
  const incidentId = (await app.call('POST', '/incidents', { token: head, body: { county: KANG, hazard: 'hail', startedAt: '2026-07-01T00:00:00Z', title: '冰雹' } })).json().incidentId as string;
  for (const [village, estimate] of [[LIJIA, { cropAffectedHa: 5, cropDamagedHa: 1 }], [ZHUJIAGOU, { cropAffectedHa: 2, cropDamagedHa: 4 }]] as const) {
    const id = (await app.call('POST', '/reports', { token: app.token('contact', village), body: reportBody({ village, hazard: 'hail', estimate }) })).json().reportId as string;
    t.equal((await app.call('POST', `/incidents/${incidentId}/links`, { token: head, body: { reportId: id } })).statusCode, 200);
  }
  const draft = (await app.call('GET', `/incidents/${incidentId}/draft?stage=initial`, { token: head })).json();
  t.same([draft.total.figures.cropAffectedHa, draft.total.figures.cropDamagedHa], [7, 5], 'the total balances');
  t.match(draft.warnings, [{ code: 'figures_inconsistent', message: /^报送前请注意：碾坝镇（示例）：农作物成灾面积（4公顷）大于农作物受灾面积（2公顷），前者是后者的一部分：请先核对各报告的数字$/ }], 'the township is named');
  const sent = await app.call('POST', `/incidents/${incidentId}/submissions`, { token: head, body: { stage: 'initial', fromDraft: true, position: String(await app.logSize()) } });
  t.match(sent.json().warnings, [{ code: 'figures_inconsistent', message: /^已报送。但碾坝镇（示例）：农作物成灾面积/ }], 'and after');
});
