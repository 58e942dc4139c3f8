import { randomUUID } from 'node:crypto';
import t from 'tap';
import { KANG, LIJIA, WANGBA, allocationBody, reportBody, seedObjects, startTestApp, verificationBody, verificationBody as verificationBodyOf, type TestApp } from '../support/app.js';

/** Issue 11: no double relief, no wrong household — across reports, under concurrency. */

const officer = (app: TestApp) => app.token('officer', WANGBA, 'officer-wangba-1');
const head = (app: TestApp) => app.token('head', WANGBA, 'head-wangba');

async function verified(app: TestApp, households: Array<{ householdId: string; name: string; damage: string; people: number }>, over: Record<string, unknown> = {}) {
  const { reportId } = (await app.call('POST', '/reports', { token: app.token('contact', LIJIA), body: reportBody(over) })).json();
  const res = await app.call('POST', `/reports/${reportId}/verifications`, { token: officer(app), body: verificationBody({ households }) });
  if (res.statusCode !== 200) throw new Error(res.body);
  return reportId as string;
}

const OUYANG = { householdId: '621299103201-03-015', name: '欧阳德明', damage: 'collapsed', people: 5 };

t.test('a household relieved from report A asks again from report B (another hazard days later): 409 naming A\u2019s allocation', async (t) => {
  let clock = Date.parse('2026-07-01T04:00:00Z');
  const app = await startTestApp(t, { now: () => new Date(clock) });
  const a = await verified(app, [OUYANG]);
  const first = await app.call('POST', '/allocations', { token: officer(app), body: allocationBody(a, { household: { id: OUYANG.householdId, name: '欧阳德明' } }) });
  t.equal(first.statusCode, 201);
  clock += 4 * 86_400_000; // four days later, another hazard in the same village
  const b = await verified(app, [{ ...OUYANG, damage: 'none' }], { hazard: 'hail' });
  const again = await app.call('POST', '/allocations', { token: officer(app), body: allocationBody(b, { household: { id: OUYANG.householdId, name: '欧阳德明' } }) });
  t.equal(again.statusCode, 409);
  t.equal(again.json().error, 'duplicate_relief');
  t.match(again.json().details, { allocationId: first.json().allocationId, rule: 'window', windowDays: 30, household: { id: OUYANG.householdId, name: '欧阳德明' } });
  const repeat = await app.call('POST', '/allocations', { token: officer(app), body: allocationBody(b, { household: { id: OUYANG.householdId, name: '欧阳德明' }, repeatReason: '冰雹再次损坏房屋，经乡镇复核' }) });
  t.equal(repeat.statusCode, 201, 'with a repeatReason it is given, and the reason is kept');
  const ledger = (await app.call('GET', `/allocations?household=${encodeURIComponent(OUYANG.householdId)}`, { token: head(app) })).json();
  t.same(ledger.items.map((i: { repeatReason: string | null }) => i.repeatReason), [null, '冰雹再次损坏房屋，经乡镇复核']);
  clock += 27 * 86_400_000; // 31 days after the first
  const c = await verified(app, [OUYANG], { hazard: 'flash_flood' });
  t.equal((await app.call('POST', '/allocations', { token: officer(app), body: allocationBody(c, { household: { id: OUYANG.householdId, name: '欧阳德明' }, category: 'housing' }) })).statusCode, 201, 'another category is another relief');
});

t.test('a repeat from the same report, with its reason, is given (SPEC §3: repeatReason lifts both rules); sent again, it is not given twice', async (t) => {
  const app = await startTestApp(t);
  const reportId = await verified(app, [OUYANG]);
  const body = (over: Record<string, unknown> = {}) => allocationBody(reportId, { household: { id: OUYANG.householdId, name: '欧阳德明' }, category: 'winter', ...over });
  const first = await app.call('POST', '/allocations', { token: officer(app), body: body() });
  t.equal(first.statusCode, 201);
  const plain = await app.call('POST', '/allocations', { token: officer(app), body: body() });
  t.match([plain.statusCode, plain.json()], [409, { error: 'duplicate_relief', details: { allocationId: first.json().allocationId, rule: 'one_per_incident' } }], 'without a reason: the one per incident rule holds');
  const repeat = await app.call('POST', '/allocations', { token: officer(app), body: body({ repeatReason: '第二批冬衣' }) });
  t.equal(repeat.statusCode, 201, `with a reason: given (found by a newcomer: 409 telling them to give the reason they gave) ${repeat.body}`);
  t.not(repeat.json().allocationId, first.json().allocationId, 'a second allocation');
  const resent = await app.call('POST', '/allocations', { token: officer(app), body: body({ repeatReason: '第二批冬衣' }) });
  t.same([resent.statusCode, resent.json().allocationId], [200, repeat.json().allocationId], 'the same repeat sent again: answered with the allocation it made');
  const third = await app.call('POST', '/allocations', { token: officer(app), body: body({ repeatReason: '第三批：大雪后再次受损' }) });
  t.equal(third.statusCode, 201, 'another repeat, with its own reason');
  const ledger = (await app.call('GET', `/allocations?report=${reportId}`, { token: head(app) })).json();
  t.same(ledger.items.map((i: { repeatReason: string | null }) => i.repeatReason).sort(), ['第三批：大雪后再次受损', '第二批冬衣', null].sort(), 'three allocations, each repeat with its reason');

  // Each repeat is said with what it repeats: to the officer who gives it, the head who approves it
  // and the officer who hands it over (found by a newcomer: four payments of one relief, nothing said).
  t.match(repeat.json().warnings, [{ code: 'repeat_allocation', allocations: [first.json().allocationId], message: /^这是重复救助（重复原因：第二批冬衣）：户 621299103201-03-015（欧阳德明）另有 1 笔冬春生活救助仍有效：北京时间 .* 分配的 \d+\.\d\d 元。请核实确需再发$/ }]);
  t.match(third.json().warnings, [{ code: 'repeat_allocation', allocations: [first.json().allocationId, repeat.json().allocationId], message: /另有 2 笔冬春生活救助仍有效/ }], 'the third names both before it');
  const approved = await app.call('POST', `/allocations/${third.json().allocationId}/approval`, { token: head(app) });
  t.equal(approved.statusCode, 200, approved.body);
  t.match(approved.json().warnings, [{ code: 'repeat_allocation', message: /另有 2 笔冬春生活救助仍有效/ }], 'the head who approves reads it');
  const en = await app.call('POST', `/allocations/${third.json().allocationId}/deliveries`, { token: officer(app), body: { deliveryId: randomUUID(), cashFen: 100, goods: [], confirmation: { method: 'signature', reference: '签字' } }, headers: { 'accept-language': 'en' } });
  t.equal(en.statusCode, 200, en.body);
  t.match(en.json().warnings, [{ code: 'repeat_allocation', message: /^this is a repeat \(reason: 第三批：大雪后再次受损\): household 621299103201-03-015 \(欧阳德明\) has 2 other live winter living allocation\(s\)/ }], 'and the one who hands it over, in English when asked');
  t.notOk((first.json().warnings ?? []).some((w: { code: string }) => w.code === 'repeat_allocation'), 'the first is no repeat');
});

t.test('a household verified as 欧阳德明 cannot receive relief as 王五: 422 household_mismatch', async (t) => {
  const app = await startTestApp(t);
  const a = await verified(app, [OUYANG]);
  const before = await app.logSize();
  const wrong = await app.call('POST', '/allocations', { token: officer(app), body: allocationBody(a, { household: { id: OUYANG.householdId, name: '王五' } }) });
  t.equal(wrong.statusCode, 422);
  t.equal(wrong.json().error, 'household_mismatch');
  t.match(wrong.json().details, { field: 'household.name' });
  t.equal(await app.logSize(), before, 'nothing written');
  t.equal((await app.call('POST', '/allocations', { token: officer(app), body: allocationBody(a, { household: { id: OUYANG.householdId, name: '欧阳 德明' } }) })).statusCode, 201, 'a space is not another person');
});

t.test('50 concurrent allocations for one (household, category), spread over five reports: one 201, 49 × 409 naming it', async (t) => {
  const app = await startTestApp(t);
  const reports: string[] = [];
  for (let i = 0; i < 5; i++) reports.push(await verified(app, [OUYANG]));
  const answers = await Promise.all(
    Array.from({ length: 50 }, (_, i) =>
      app.call('POST', '/allocations', { token: app.token('officer', WANGBA, `officer-${i % 7}`), body: allocationBody(reports[i % 5]!, { household: { id: OUYANG.householdId, name: '欧阳德明' }, cashFen: 1000 + i }) }),
    ),
  );
  const codes = answers.map((a) => a.statusCode);
  t.equal(codes.filter((c) => c === 201).length, 1, 'one allocation');
  t.equal(codes.filter((c) => c === 409).length, 49, `and 49 refusals (${[...new Set(codes)]})`);
  const winner = answers.find((a) => a.statusCode === 201)!.json().allocationId;
  t.ok(answers.filter((a) => a.statusCode === 409).every((a) => a.json().error === 'duplicate_relief' && a.json().details.allocationId === winner), 'each names the one that won');
  const ledger = (await app.call('GET', '/allocations', { token: head(app) })).json();
  t.equal(ledger.items.length, 1, 'the ledger holds one allocation');
});

t.test('a rejected or cancelled allocation frees the household\u2019s slot, across reports; a delivered one does not', async (t) => {
  const app = await startTestApp(t);
  const [a, b] = [await verified(app, [OUYANG]), await verified(app, [OUYANG])];
  const body = (reportId: string) => allocationBody(reportId, { household: { id: OUYANG.householdId, name: '欧阳德明' }, cashFen: 50_000, goods: [] });
  const first = (await app.call('POST', '/allocations', { token: officer(app), body: body(a) })).json().allocationId;
  t.equal((await app.call('POST', `/allocations/${first}/rejection`, { token: head(app), body: { reason: '不符合条件' } })).statusCode, 200);
  const second = await app.call('POST', '/allocations', { token: officer(app), body: body(b) });
  t.equal(second.statusCode, 201, 'rejected: the slot is free');
  const id = second.json().allocationId;
  t.equal((await app.call('POST', `/allocations/${id}/cancellation`, { token: officer(app), body: { reason: '录入错误' } })).statusCode, 200);
  const third = await app.call('POST', '/allocations', { token: officer(app), body: body(a) });
  t.equal(third.statusCode, 201, 'cancelled: free again');
  const live = third.json().allocationId;
  t.equal((await app.call('POST', `/allocations/${live}/approval`, { token: head(app), body: {} })).statusCode, 200);
  t.equal((await app.call('POST', `/allocations/${live}/deliveries`, { token: officer(app), body: { deliveryId: randomUUID(), cashFen: 50_000, goods: [], confirmation: { method: 'signature', reference: 'R' } } })).statusCode, 200);
  const view = (await app.call('GET', `/allocations/${live}`, { token: head(app) })).json();
  t.equal(view.status, 'delivered', 'cash in full: delivered');
  const fourth = await app.call('POST', '/allocations', { token: officer(app), body: body(b) });
  t.equal(fourth.statusCode, 409, 'a delivered allocation stays live');
  t.equal(fourth.json().details.allocationId, live);
});

t.test('a later link into one incident is recorded, and the ledger flags the pair; a verification that drops a relieved household flags its relief', async (t) => {
  const app = await startTestApp(t);
  const a = await verified(app, [OUYANG]);
  const b = await verified(app, [OUYANG]);
  const body = (reportId: string, repeatReason?: string) => allocationBody(reportId, { household: { id: OUYANG.householdId, name: '欧阳德明' }, ...(repeatReason ? { repeatReason } : {}) });
  const x = (await app.call('POST', '/allocations', { token: officer(app), body: body(a) })).json().allocationId;
  const y = (await app.call('POST', '/allocations', { token: officer(app), body: body(b, '两个过程分别救助') })).json().allocationId;
  t.ok(x && y, 'two reports, each its own incident; the second with its reason');
  const county = app.token('head', KANG, 'head-kang');
  const incident = (await app.call('POST', '/incidents', { token: county, body: { county: KANG, hazard: 'landslide', startedAt: '2026-01-01T00:00:00Z', title: '合并' } })).json().incidentId;
  for (const reportId of [a, b]) t.equal((await app.call('POST', `/incidents/${incident}/links`, { token: county, body: { reportId } })).statusCode, 200, 'the link records a fact: not refused');
  let ledger = (await app.call('GET', '/allocations', { token: head(app) })).json();
  // The second's reason was given against another incident ("two processes"); the county has since
  // made them one, so the reason no longer explains it (found by a newcomer: paid twice in one incident).
  t.same(
    ledger.items.map((i: { allocationId: string; review: Array<{ flag: string; with?: string[] }> }) => [i.allocationId, i.review.map((f) => [f.flag, f.with])]),
    [
      [x, [['duplicate_in_incident', [y]]]],
      [y, [['duplicate_in_incident', [x]]]],
    ],
    'a repeat given for another incident, then linked into this one: both for a head to look at',
  );
  // Said as what it is on the one with a reason (found by a newcomer: "另有 1 笔未说明重复原因" on it read as wrong).
  t.equal(
    ledger.items.find((i: { allocationId: string }) => i.allocationId === y).review[0].message,
    '这笔救助写了重复原因（"两个过程分别救助"），但那是针对另一个灾害过程写的；现在它和这一户的另外 1 笔同类救助在同一灾害过程中：请核对是否重复发放',
  );
  const inIncident = (await app.call('POST', '/allocations', { token: officer(app), body: body(a, '同一过程二次受灾，乡长批准') })).json().allocationId;
  ledger = (await app.call('GET', '/allocations', { token: head(app) })).json();
  t.same(ledger.items.find((i: { allocationId: string }) => i.allocationId === inIncident).review, [], 'a repeat given in this very incident, with its reason: nothing to review');

  const c = await verified(app, [{ ...OUYANG, householdId: 'hh-other', name: '李四' }]);
  await app.call('POST', `/incidents/${incident}/links`, { token: county, body: { reportId: c } });
  const z = (await app.call('POST', '/allocations', { token: officer(app), body: allocationBody(c, { household: { id: 'hh-other', name: '李四' } }) })).json().allocationId;
  // Report c's verification is corrected: 李四's house was not damaged after all.
  const corrected = await app.call('POST', `/reports/${c}/verifications`, { token: officer(app), body: verificationBody({ households: [{ householdId: 'hh-9', name: '王六', damage: 'moderate', people: 2 }] }) });
  t.equal(corrected.statusCode, 200, 'the correction is recorded');
  // The officer who left 李四 out hears it at once (found by a newcomer: 200, nothing said).
  t.same(corrected.json().warnings, [
    { code: 'relief_household_left_out', message: '户 hh-other（李四）有应急期生活救助待批准，这次核查的户表里没有这一户：这笔救助已标记待复核，如是漏填请再核查一次', householdId: 'hh-other', allocationId: z },
  ]);
  ledger = (await app.call('GET', '/allocations', { token: head(app) })).json();
  t.same(ledger.items.find((i: { allocationId: string }) => i.allocationId === z).review, [{ flag: 'household_not_in_latest_verification', verification: 2, reviewed: false, message: '报告最新一次核查的户表里已没有这一户：请核对这一户是否受灾' }]);
  const again = await app.call('POST', `/reports/${c}/verifications`, { token: officer(app), body: verificationBody({ figures: { affectedPeople: 9, roomsCollapsed: 3, roomsSeverelyDamaged: 1, roomsModeratelyDamaged: 1 }, households: [{ householdId: 'hh-9', name: '王六', damage: 'moderate', people: 2 }, { householdId: 'HH－other', name: '李四', damage: 'severe', people: 2 }] }) });
  t.equal(again.json().warnings, undefined, 'listed again (however its number is typed): nothing to say');

  // Two without a reason in one incident: flagged, both.
  const d = await verified(app, [{ ...OUYANG, householdId: 'hh-dup', name: '赵七' }]);
  const e = await verified(app, [{ ...OUYANG, householdId: 'hh-dup', name: '赵七' }]);
  const p = (await app.call('POST', '/allocations', { token: officer(app), body: allocationBody(d, { household: { id: 'hh-dup', name: '赵七' } }) })).json().allocationId;
  const q = (await app.call('POST', '/allocations', { token: officer(app), body: allocationBody(e, { household: { id: 'hh-dup', name: '赵七' }, category: 'housing' }) })).json().allocationId;
  t.ok(p && q);
  const incident2 = (await app.call('POST', '/incidents', { token: county, body: { county: KANG, hazard: 'landslide', startedAt: '2026-01-01T00:00:00Z', title: '另一' } })).json().incidentId;
  for (const reportId of [d, e]) await app.call('POST', `/incidents/${incident2}/links`, { token: county, body: { reportId } });
  ledger = (await app.call('GET', '/allocations', { token: head(app) })).json();
  t.same(ledger.items.find((i: { allocationId: string }) => i.allocationId === p).review, [], 'different categories are not duplicates');
});

t.test('the same household reached through two reports that are then linked into one incident, neither with a reason: flagged', async (t) => {
  let clock = Date.parse('2026-07-01T04:00:00Z');
  const app = await startTestApp(t, { now: () => new Date(clock) });
  const a = await verified(app, [OUYANG]);
  const x = (await app.call('POST', '/allocations', { token: officer(app), body: allocationBody(a, { household: { id: OUYANG.householdId, name: '欧阳德明' } }) })).json().allocationId;
  clock += 40 * 86_400_000; // past the window: a second relief from another report is allowed
  const b = await verified(app, [OUYANG]);
  const y = (await app.call('POST', '/allocations', { token: officer(app), body: allocationBody(b, { household: { id: OUYANG.householdId, name: '欧阳德明' } }) })).json().allocationId;
  t.ok(x && y, 'both given: different incidents, 40 days apart');
  t.equal((await app.call('POST', `/allocations/${x}/approval`, { token: head(app) })).statusCode, 200, 'nothing to review yet: approved');
  const county = app.token('head', KANG, 'head-kang');
  const incident = (await app.call('POST', '/incidents', { token: county, body: { county: KANG, hazard: 'drought', startedAt: '2026-06-01T00:00:00Z', title: '持续干旱' } })).json().incidentId;
  for (const reportId of [a, b]) t.equal((await app.call('POST', `/incidents/${incident}/links`, { token: county, body: { reportId } })).statusCode, 200);
  // A flag raised after the approval holds the cash at the door until a head has looked.
  const deliver = () => app.call('POST', `/allocations/${x}/deliveries`, { token: officer(app), body: { deliveryId: '6a3f1c9e-1d2b-4c5d-8e7f-000000000001', cashFen: 1000, goods: [], confirmation: { method: 'signature', reference: 'P-9' } } });
  const held = await deliver();
  t.equal(held.json().error, 'review_required', 'the link made them one incident: the delivery waits');
  t.match(held.json().message, /同一灾害过程中这一户已有同类救助.*才能发放/);
  t.equal((await app.call('POST', `/allocations/${x}/review`, { token: head(app), body: { reason: '两次干旱分别受灾，已核实' } })).statusCode, 200);
  t.equal((await deliver()).statusCode, 200, 'reviewed: handed over');
  const ledger = (await app.call('GET', '/allocations', { token: head(app) })).json();
  t.match(
    ledger.items.map((i: { allocationId: string; review: unknown[] }) => [i.allocationId, i.review]),
    [
      [x, [{ flag: 'duplicate_in_incident', with: [y], reviewed: true, reviewedBy: 'head-wangba', reviewReason: '两次干旱分别受灾，已核实', message: '已由 head-wangba 复核（两次干旱分别受灾，已核实）。同一灾害过程中，这一户同类救助另有 1 笔未说明重复原因：请核对是否重复发放' }]],
      [y, [{ flag: 'duplicate_in_incident', with: [x], reviewed: false, message: '同一灾害过程中，这一户同类救助另有 1 笔未说明重复原因：请核对是否重复发放' }]],
    ],
    'one drought, one household, twice: a person looks at it',
  );
  const household = (await app.call('GET', `/households/${LIJIA}/${encodeURIComponent(OUYANG.householdId)}`, { token: head(app) })).json();
  t.same(household.byIncident.map((g: { incident: string; allocations: number }) => [g.incident, g.allocations]), [[incident, 2]]);
});

t.test('one household however its number is typed: one verification entry, one relief (found by a newcomer: d-1, D-1, ｄ－１ and d‐1 were four households, each paid)', async (t) => {
  const app = await startTestApp(t);
  const { reportId: twice } = (await app.call('POST', '/reports', { token: app.token('contact', LIJIA), body: reportBody() })).json();
  const listed = await app.call('POST', `/reports/${twice}/verifications`, {
    token: officer(app),
    body: verificationBody({ households: [{ householdId: 'd-1', name: '甲', damage: 'severe', people: 2 }, { householdId: 'D-1', name: '甲', damage: 'severe', people: 2 }] }),
  });
  t.match([listed.statusCode, listed.json()], [422, { error: 'duplicate_household', details: { householdId: 'd-1' } }], 'the same household listed twice in one verification');

  const a = await verified(app, [{ householdId: 'd-1', name: '甲', damage: 'severe', people: 2 }]);
  const first = await app.call('POST', '/allocations', { token: officer(app), body: allocationBody(a, { household: { id: 'ｄ－１', name: '甲' } }) });
  t.equal(first.statusCode, 201, `full-width: the verified household ${first.body}`);
  // And as input methods type it (found by a newcomer re-checking: 7——1 was a second household).
  for (const spelling of ['D-1', 'd\u20101', ' d 1'.replace(' 1', '-1'), 'd-\u200b1', 'd\u2014\u20141', 'd_1', 'd\u30fc1', 'd\u2e3a1', 'd 1', 'D - 1']) {
    const again = await app.call('POST', '/allocations', { token: officer(app), body: allocationBody(a, { household: { id: spelling, name: '甲' } }) });
    t.match([again.statusCode, again.json()], [409, { error: 'duplicate_relief', details: { allocationId: first.json().allocationId } }], `${JSON.stringify(spelling)}: the same household`);
  }
  const b = await verified(app, [{ householdId: 'Ｄ－1', name: '甲', damage: 'severe', people: 2 }], { hazard: 'hail' });
  const fromB = await app.call('POST', '/allocations', { token: officer(app), body: allocationBody(b, { household: { id: 'd-1', name: '甲' } }) });
  t.match([fromB.statusCode, fromB.json()], [409, { details: { rule: 'window' } }], 'from another report: within the window');
  const household = await app.call('GET', `/households/${LIJIA}/${encodeURIComponent('D－1')}`, { token: head(app) });
  t.equal(household.statusCode, 200, 'looked up however it is typed');
  t.same(household.json().householdId, 'd-1');
  const ledger = (await app.call('GET', `/allocations?household=${encodeURIComponent(`${LIJIA}/D-1`)}`, { token: head(app) })).json();
  t.same(ledger.items.map((i: { household: { id: string } }) => i.household.id), ['d-1'], 'one row, filtered however it is typed');
  const dashOnly = await app.call('POST', `/reports/${twice}/verifications`, { token: officer(app), body: verificationBody({ households: [{ householdId: '\uff0d', name: '乙', damage: 'severe', people: 1 }] }) });
  t.match([dashOnly.statusCode, dashOnly.json()], [400, { error: 'validation', details: [{ path: 'body.households.0.householdId' }] }], 'a lone dash is no household number');
  t.match(dashOnly.json().message, /户号须含数字或字母/, 'said in Chinese');
  t.equal(dashOnly.json().details.length, 1, 'once, not beside a second "too short" (found by a newcomer)');
});

t.test('07, 7号, 第7户 and 7 are one household; relief kept under a number an earlier rule wrote (07) still counts against today\u2019s 7 (found by a newcomer: three households, each paid)', async (t) => {
  const app = await startTestApp(t);
  const { reportId: twice } = (await app.call('POST', '/reports', { token: app.token('contact', LIJIA), body: reportBody() })).json();
  const both = await app.call('POST', `/reports/${twice}/verifications`, { token: officer(app), body: verificationBody({ households: [{ householdId: '07', name: '李四', damage: 'severe', people: 3 }, { householdId: '7号', name: '李四', damage: 'severe', people: 3 }] }) });
  t.match([both.statusCode, both.json()], [422, { error: 'duplicate_household', details: { householdId: '07', as: '7号' }, message: '户 07 和 7号 是同一户（户号写法不同），只能填一次' }], 'one household written two ways in one verification: both named (found by a newcomer)');
  const a = await verified(app, [{ householdId: '07', name: '李四', damage: 'severe', people: 3 }]);
  const first = await app.call('POST', '/allocations', { token: officer(app), body: allocationBody(a, { household: { id: '7号', name: '李四' } }) });
  t.equal(first.statusCode, 201, `7号 is the household verified as 07 ${first.body}`);
  for (const spelling of ['7', '07', '007', '第7户', '第０７号', ' 7 号 ']) {
    const again = await app.call('POST', '/allocations', { token: officer(app), body: allocationBody(a, { household: { id: spelling, name: '李四' } }) });
    t.match([again.statusCode, again.json()], [409, { error: 'duplicate_relief', details: { allocationId: first.json().allocationId } }], `${JSON.stringify(spelling)}: the same household`);
  }
  const en = await app.call('POST', '/allocations', { token: officer(app), body: allocationBody(a, { household: { id: '7', name: '李四' } }), headers: { 'accept-language': 'en' } });
  t.match(en.json().message, new RegExp(`\\(${first.json().allocationId}\\); if it must be given again, send repeatReason`), 'in English too: which allocation, and what to do (found by a newcomer)');
  t.equal((await app.call('GET', `/households/${LIJIA}/007`, { token: head(app) })).json().householdId, '07', 'looked up however it is typed, shown as the register writes it');
  const housing = await app.call('POST', '/allocations', { token: officer(app), body: allocationBody(a, { household: { id: '第7户', name: '李四' }, category: 'housing' }) });
  t.equal(housing.statusCode, 201, 'another category, typed another way');
  const lines = (await app.call('GET', `/allocations?report=${a}`, { token: head(app) })).json();
  t.same(lines.items.map((i: { household: { id: string } }) => i.household.id), ['07', '07'], 'each allocation under the number its verification wrote (found by a newcomer: 7号, 07 and 第7户 were three lines)');
  t.same(lines.totals.byHousehold.map((h: { householdId: string; allocations: number }) => [h.householdId, h.allocations]), [['07', 2]], 'one line for the household');

  // A log written before this rule: the household's reservation and its allocation kept under `08`
  // in a stream of their own, as the nodes of that time wrote them.
  const b = await verified(app, [{ householdId: '8', name: '赵六', damage: 'collapsed', people: 4 }]);
  const old = randomUUID();
  const metadata = { actor: { id: 'officer-old', role: 'officer' }, at: new Date().toISOString(), correlationId: randomUUID(), schemaVersion: 1 };
  await app.store.append(`household-${LIJIA}-08`, [{ type: 'ReliefReserved', data: { village: LIJIA, householdId: '08', allocationId: old, category: 'emergency_living', incident: `report:${b}`, reportId: b }, metadata }], 'no_stream');
  const written = await app.store.append(
    `allocation-${old}`,
    [{ type: 'ReliefAllocated', data: { allocationId: old, reportId: b, village: LIJIA, household: { id: '08', name: '赵六' }, category: 'emergency_living', cashFen: 50_000, goods: [], fund: 'F-2026', allocatedBy: 'officer-old' }, metadata: { ...metadata, schemaVersion: 3 } }],
    'no_stream',
  );
  const today = await app.call('POST', '/allocations', { token: officer(app), body: allocationBody(b, { household: { id: '8', name: '赵六' } }), headers: {} });
  t.match([today.statusCode, today.json()], [409, { error: 'duplicate_relief', details: { allocationId: old, rule: 'one_per_incident' } }], `refused, naming the allocation kept under 08 ${today.body}`);
  const c = await verified(app, [{ householdId: '8', name: '赵六', damage: 'collapsed', people: 4 }], { hazard: 'hail' });
  const fromC = await app.call('POST', '/allocations', { token: officer(app), body: allocationBody(c, { household: { id: '08', name: '赵六' } }) });
  t.match([fromC.statusCode, fromC.json()], [409, { details: { allocationId: old, rule: 'window' } }], 'from another report: within the window');
  const household = (await app.call('GET', `/households/${LIJIA}/8?position=${written.position}`, { token: head(app) })).json();
  t.same(household.allocations.map((x: { allocationId: string }) => x.allocationId), [old], 'the household view folds the old number in');
  const ledger = (await app.call('GET', `/allocations?household=${LIJIA}/8`, { token: head(app) })).json();
  t.same(ledger.items.map((i: { allocationId: string }) => i.allocationId), [old], 'and so does the ledger\u2019s filter');
  const missed = (await app.call('GET', `/relief/missed?unit=${LIJIA}`, { token: head(app) })).json();
  t.notOk(missed.items.some((h: { householdId: string }) => h.householdId === '8'), 'not among the missed: it was relieved under 08');
});

t.test('hh-1 and HH1 are one household; one name, two numbers is said before any link; hh-7 kept by session 50 counts (found by a newcomer: paid twice)', async (t) => {
  const app = await startTestApp(t);
  const r1 = await verified(app, [{ householdId: 'hh-1', name: '张三明', damage: 'collapsed', people: 4 }]);
  const r2 = await verified(app, [{ householdId: 'HH1', name: '张三明', damage: 'collapsed', people: 4 }]);
  const first = await app.call('POST', '/allocations', { token: officer(app), body: allocationBody(r1, { household: { id: 'hh-1', name: '张三明' } }) });
  t.equal(first.statusCode, 201, first.body);
  const second = await app.call('POST', '/allocations', { token: officer(app), body: allocationBody(r2, { household: { id: 'HH1', name: '张三明' } }) });
  t.match([second.statusCode, second.json()], [409, { error: 'duplicate_relief', details: { allocationId: first.json().allocationId, rule: 'window' } }], `HH1 is hh-1: refused ${second.body}`);

  // Two numbers, one name, two reports in no incident: said when the second is allocated.
  const r3 = await verified(app, [{ householdId: '5', name: '王五', damage: 'severe', people: 2 }]);
  const r4 = await verified(app, [{ householdId: '6', name: '王五', damage: 'severe', people: 2 }]);
  t.equal((await app.call('POST', '/allocations', { token: officer(app), body: allocationBody(r3, { household: { id: '5', name: '王五' } }) })).statusCode, 201);
  const other = await app.call('POST', '/allocations', { token: officer(app), body: allocationBody(r4, { household: { id: '6', name: '王五' } }) });
  t.equal(other.statusCode, 201, 'not refused: two people of one name are common');
  t.same(other.json().warnings, [{ code: 'review', flag: 'same_name_other_household', households: ['5'], windowDays: 30, message: '同村同名户主在户号 5 下另有同类救助（同一灾害过程，或相隔不到 30 天）：请核对是否同一户' }], 'said at once, though no incident links the two reports');

  // A log written in session 50: the reservation kept in the stream named by that key, hh-7.
  const r5 = await verified(app, [{ householdId: 'hh7', name: '赵七', damage: 'collapsed', people: 3 }]);
  const old = randomUUID();
  const metadata = { actor: { id: 'officer-old', role: 'officer' }, at: new Date().toISOString(), correlationId: randomUUID(), schemaVersion: 1 };
  await app.store.append(`household-${LIJIA}-hh-7`, [{ type: 'ReliefReserved', data: { village: LIJIA, householdId: 'hh-7', allocationId: old, category: 'emergency_living', incident: `report:${r5}`, reportId: r5 }, metadata }], 'no_stream');
  await app.store.append(
    `allocation-${old}`,
    [{ type: 'ReliefAllocated', data: { allocationId: old, reportId: r5, village: LIJIA, household: { id: 'hh-7', name: '赵七' }, category: 'emergency_living', cashFen: 50_000, goods: [], fund: 'F-2026', allocatedBy: 'officer-old' }, metadata: { ...metadata, schemaVersion: 3 } }],
    'no_stream',
  );
  const today = await app.call('POST', '/allocations', { token: officer(app), body: allocationBody(r5, { household: { id: 'hh7', name: '赵七' } }) });
  t.match([today.statusCode, today.json()], [409, { error: 'duplicate_relief', details: { allocationId: old } }], `refused, naming the allocation kept under hh-7 ${today.body}`);
});

t.test('hh\u00b71, hh.1, hh/1 and 3\u300112 are hh-1 and 3-12; a name in traditional characters is the same name; hh.8 kept before session 55 counts (found by a newcomer: four households, each paid)', async (t) => {
  const app = await startTestApp(t);
  const r1 = await verified(app, [{ householdId: 'hh-1', name: '张三明', damage: 'collapsed', people: 4 }]);
  const first = await app.call('POST', '/allocations', { token: officer(app), body: allocationBody(r1, { household: { id: 'hh-1', name: '张三明' } }) });
  t.equal(first.statusCode, 201, first.body);
  for (const spelling of ['hh\u00b71', 'hh.1', 'hh/1', 'HH\uff0e1', 'hh\u30fb1', 'hh\u30011', 'hh,1']) {
    const r = await verified(app, [{ householdId: spelling, name: '张三明', damage: 'collapsed', people: 4 }]);
    const again = await app.call('POST', '/allocations', { token: officer(app), body: allocationBody(r, { household: { id: spelling, name: '张三明' } }) });
    t.match([again.statusCode, again.json()], [409, { error: 'duplicate_relief', details: { allocationId: first.json().allocationId } }], `${JSON.stringify(spelling)} is hh-1: refused`);
  }
  const named = await app.call('POST', '/allocations', { token: officer(app), body: allocationBody(await verified(app, [{ householdId: 'hh.1', name: '张三明', damage: 'collapsed', people: 4 }]), { household: { id: 'hh.1', name: '张三明' } }) });
  t.match(named.json(), { details: { household: { id: 'hh-1', name: '张三明' }, typed: 'hh.1' }, message: new RegExp(`（户号 hh-1，户主 张三明，即填写的 hh\\.1；北京时间 .* 分配 \\d+\\.\\d\\d 元；编号 ${first.json().allocationId}）`) }, 'the refusal names the household it matched, as the ledger has it (found by a newcomer: a UUID only)');
  const byGroup = await verified(app, [{ householdId: '3\u300112', name: '孙八', damage: 'severe', people: 2 }]);
  t.equal((await app.call('POST', '/allocations', { token: officer(app), body: allocationBody(byGroup, { household: { id: '3.12', name: '孙八' } }) })).statusCode, 201, '3.12 is the household verified as 3\u300112');

  // One person, the name typed once in simplified and once in traditional characters, under two numbers.
  const r5 = await verified(app, [{ householdId: '21', name: '陈国华', damage: 'severe', people: 2 }]);
  const r6 = await verified(app, [{ householdId: '22', name: '陳國華', damage: 'severe', people: 2 }]);
  t.equal((await app.call('POST', '/allocations', { token: officer(app), body: allocationBody(r5, { household: { id: '21', name: '陈国华' } }) })).statusCode, 201);
  const traditional = await app.call('POST', '/allocations', { token: officer(app), body: allocationBody(r6, { household: { id: '22', name: '陳國華' } }) });
  t.equal(traditional.statusCode, 201, 'not refused: two people of one name are common');
  t.match(traditional.json().warnings, [{ code: 'review', flag: 'same_name_other_household', households: ['21'] }], '陳國華 is 陈国华: said at once');

  // A log written before this rule: the reservation kept in the stream named by that key, hh.8.
  const r7 = await verified(app, [{ householdId: 'hh8', name: '赵八', damage: 'collapsed', people: 3 }]);
  const old = randomUUID();
  const metadata = { actor: { id: 'officer-old', role: 'officer' }, at: new Date().toISOString(), correlationId: randomUUID(), schemaVersion: 1 };
  await app.store.append(`household-${LIJIA}-hh.8`, [{ type: 'ReliefReserved', data: { village: LIJIA, householdId: 'hh.8', allocationId: old, category: 'emergency_living', incident: `report:${r7}`, reportId: r7 }, metadata }], 'no_stream');
  await app.store.append(
    `allocation-${old}`,
    [{ type: 'ReliefAllocated', data: { allocationId: old, reportId: r7, village: LIJIA, household: { id: 'hh.8', name: '赵八' }, category: 'emergency_living', cashFen: 50_000, goods: [], fund: 'F-2026', allocatedBy: 'officer-old' }, metadata: { ...metadata, schemaVersion: 3 } }],
    'no_stream',
  );
  const today = await app.call('POST', '/allocations', { token: officer(app), body: allocationBody(r7, { household: { id: 'hh-8', name: '赵八' } }) });
  t.match([today.statusCode, today.json()], [409, { error: 'duplicate_relief', details: { allocationId: old } }], `refused, naming the allocation kept under hh.8 ${today.body}`);
});

t.test('a report linked after its relief: a second allocation in that incident is refused (found by a newcomer: 201, flagged afterwards)', async (t) => {
  const app = await startTestApp(t);
  const county = app.token('head', KANG, 'head-kang');
  const a = await verified(app, [OUYANG]);
  const b = await verified(app, [OUYANG]);
  const x = await app.call('POST', '/allocations', { token: officer(app), body: allocationBody(a, { household: { id: OUYANG.householdId, name: '欧阳德明' } }) });
  t.equal(x.statusCode, 201, 'given while its report stood alone');
  const incident = (await app.call('POST', '/incidents', { token: county, body: { county: KANG, hazard: 'landslide', startedAt: '2026-01-01T00:00:00Z', title: '滑坡过程' } })).json().incidentId;
  for (const reportId of [a, b]) t.equal((await app.call('POST', `/incidents/${incident}/links`, { token: county, body: { reportId } })).statusCode, 200);
  const y = await app.call('POST', '/allocations', { token: officer(app), body: allocationBody(b, { household: { id: OUYANG.householdId, name: '欧阳德明' } }) });
  t.match([y.statusCode, y.json()], [409, { error: 'duplicate_relief', details: { allocationId: x.json().allocationId, rule: 'one_per_incident' } }]);
});

t.test('relief on a report dismissed before anything was handed over: off the notice, the household back among the missed, free for its relief from another report (found by a newcomer)', async (t) => {
  const app = await startTestApp(t);
  const QIAN = { householdId: 'hh-11', name: '钱七', damage: 'collapsed', people: 3 };
  const dismissed = await verified(app, [QIAN]);
  const allocated = (await app.call('POST', '/allocations', { token: officer(app), body: allocationBody(dismissed, { household: { id: 'hh-11', name: '钱七' }, cashFen: 20_000 }) })).json().allocationId;
  t.equal((await app.call('POST', `/allocations/${allocated}/approval`, { token: head(app) })).statusCode, 200);
  const dismissal = await app.call('POST', `/reports/${dismissed}/dismissal`, { token: officer(app), body: { reason: 'false_alarm' } });
  t.equal(dismissal.statusCode, 200);
  // The officer who dismissed it is told at once what is left to undo, and by whom.
  t.match(dismissal.json().warnings, [{ code: 'relief_not_yet_delivered', message: /^户 hh-11（钱七）的\S+救助（现金 200\.00 元\S*）已批准，尚未发放：报告撤销后不能再发放，请取消这笔分配（干部或负责人均可）$/, householdId: 'hh-11', allocationId: allocated }]);
  t.same(dismissal.json().warnings.map((w: { code: string }) => w.code), ['relief_not_yet_delivered', 'verified_figures_dropped'], 'one for the relief, and one for the verified figures it takes out of the tallies');
  // What the warning advises is what works: an approved allocation cannot be rejected, only cancelled.
  t.equal((await app.call('POST', `/allocations/${allocated}/rejection`, { token: head(app), body: { reason: '误报' } })).statusCode, 422, 'approved: not rejectable');
  const notice = (await app.call('GET', `/notices/${LIJIA}`, { token: head(app) })).json();
  t.same([notice.items, notice.totalYuan], [[], '0.00'], 'relief that will never be given is not posted on the village board');
  const real = await verified(app, [QIAN], { hazard: 'hail' });
  const missed = (await app.call('GET', `/relief/missed?unit=${LIJIA}`, { token: head(app) })).json();
  t.same(missed.items.map((h: { householdId: string }) => h.householdId), ['hh-11'], 'verified on a standing report, no relief that will be given: missed');
  const given = await app.call('POST', '/allocations', { token: officer(app), body: allocationBody(real, { household: { id: 'hh-11', name: '钱七' } }) });
  t.equal(given.statusCode, 201, `not barred by relief that cannot be delivered: ${given.body}`);

  // Handed over before the dismissal: relief given stays given.
  const WU = { householdId: 'hh-12', name: '吴八', damage: 'severe', people: 2 };
  const r2 = await verified(app, [WU]);
  const a2 = (await app.call('POST', '/allocations', { token: officer(app), body: allocationBody(r2, { household: { id: 'hh-12', name: '吴八' }, cashFen: 30_000, goods: [] }) })).json().allocationId;
  await app.call('POST', `/allocations/${a2}/approval`, { token: head(app) });
  t.equal((await app.call('POST', `/allocations/${a2}/deliveries`, { token: officer(app), body: { deliveryId: randomUUID(), cashFen: 10_000, goods: [], confirmation: { method: 'signature', reference: '签字-1' } } })).statusCode, 200);
  const dismissed2 = await app.call('POST', `/reports/${r2}/dismissal`, { token: officer(app), body: { reason: 'false_alarm' } });
  t.match(dismissed2.json().warnings, [{ code: 'relief_already_delivered', message: /^户 hh-12（吴八）的\S+救助已发放一部分（现金 100\.00 元，共分配 300\.00 元），余下部分不再发放。撤销报告不会自动收回已发放的救助，它仍记为已发放，台账已标记待复核；如属误发，由负责人按规定处理$/, allocationId: a2 }], 'part handed over: said it stays given and the rest will not be');
  const plain = await app.call('POST', `/reports/${await verified(app, [{ householdId: 'hh-13', name: '郑九', damage: 'none', people: 1 }])}/dismissal`, { token: officer(app), body: { reason: 'false_alarm' } });
  t.equal(plain.statusCode, 200);
  t.same(plain.json().warnings.map((w: { code: string }) => w.code), ['verified_figures_dropped'], 'a report with no relief: nothing about relief, only its verified figures');
  const board = (await app.call('GET', `/notices/${LIJIA}`, { token: head(app) })).json();
  t.same(board.items.map((i: { household: string }) => i.household), ['吴*'], 'part of it was handed over: on the board');
  // The rest will never be given (found by a newcomer: the board posted 300.00 as approved, and
  // the ledger owed 200.00 for ever, neither cancellable nor rejectable).
  t.match(board.items[0], { cashYuan: '100.00', deliveredCashYuan: '100.00', status: 'delivered', remainderVoided: true }, 'the board posts what was handed over');
  t.equal(board.totalYuan, '100.00', 'and totals it');
  const page = (await app.call('GET', `/notices/${LIJIA}`, { token: head(app), headers: { accept: 'text/html' } })).body;
  t.match(page, /已发放（报告已撤销，余下部分不再发放）/, 'the printed board says why the rest is not given');
  const row = (await app.call('GET', `/allocations?report=${r2}`, { token: head(app) })).json();
  t.match(row.items[0], { cash: { allocatedFen: 30_000, deliveredFen: 10_000, outstandingFen: 0, voidedFen: 20_000 }, remainderVoided: true, review: [{ flag: 'report_dismissed' }] }, 'the ledger owes nothing more on it, says why, and what will not be given (found by a newcomer)');
  t.match(row.totals.overall, { approvedFen: 30_000, deliveredFen: 10_000, outstandingFen: 0, voidedFen: 20_000 }, 'nor in its totals, which add up: approved = delivered + outstanding + voided');
  t.match((await app.call('GET', `/allocations/${a2}`, { token: head(app) })).json(), { outstandingCashFen: 0, remainderVoided: true }, 'nor the allocation itself');
  // Found by a newcomer: listed by ?status=approved it read as still to be handed over. status is
  // the allocation's own step; ?outstanding=true lists what is still to be handed over.
  const toHand = async (q: string) => (await app.call('GET', `/allocations?${q}`, { token: head(app) })).json().items.map((i: { allocationId: string }) => i.allocationId);
  t.notOk((await toHand('outstanding=true')).includes(a2), 'not among what is still to be handed over');
  t.ok((await toHand('outstanding=false')).includes(a2), 'but among what is not');
  t.ok((await toHand('status=approved')).includes(a2), 'its step is still approved');
  t.equal((await app.call('GET', '/allocations?outstanding=yes', { token: head(app) })).statusCode, 400, 'a bad value is a 400');
  const house = (await app.call('GET', `/households/${LIJIA}/hh-12`, { token: head(app) })).json();
  t.match(house.byCategory[0], { deliveredFen: 10_000, outstandingFen: 0 }, 'nor on the household');
  const again = await app.call('POST', '/allocations', { token: officer(app), body: allocationBody(await verified(app, [WU], { hazard: 'hail' }), { household: { id: 'hh-12', name: '吴八' } }) });
  t.equal(again.statusCode, 409, 'and it still holds its slot');
});

t.test('a dismissal says what it leaves of each relief on the report: handed over in full stays given, allocated and unapproved is for a head to undo', async (t) => {
  const app = await startTestApp(t);
  const ZHOU = { householdId: 'hh-21', name: '周一', damage: 'collapsed', people: 2 };
  const SUN = { householdId: 'hh-22', name: '孙二', damage: 'severe', people: 4 };
  const reportId = await verified(app, [ZHOU, SUN]);
  const full = (await app.call('POST', '/allocations', { token: officer(app), body: allocationBody(reportId, { household: { id: 'hh-21', name: '周一' }, cashFen: 20_000, goods: [] }) })).json().allocationId;
  t.equal((await app.call('POST', `/allocations/${full}/approval`, { token: head(app) })).statusCode, 200);
  t.equal((await app.call('POST', `/allocations/${full}/deliveries`, { token: officer(app), body: { deliveryId: randomUUID(), cashFen: 20_000, goods: [], confirmation: { method: 'signature', reference: '签字-2' } } })).statusCode, 200);
  const pending = (await app.call('POST', '/allocations', { token: officer(app), body: allocationBody(reportId, { household: { id: 'hh-22', name: '孙二' }, cashFen: 10_000, goods: [] }) })).json().allocationId;
  const res = await app.call('POST', `/reports/${reportId}/dismissal`, { token: officer(app), body: { reason: 'duplicate', duplicateOf: await verified(app, [ZHOU]) } });
  t.equal(res.statusCode, 200, res.body);
  const said = res.json().warnings as Array<{ code: string; message: string; allocationId: string }>;
  // Both reports were verified: that only the original's verification counts now is said too.
  // (The original was filed after it, which is said too.)
  t.same(said.filter((w) => !w.code.startsWith('relief_')).map((w) => w.code), ['duplicate_of_later_report', 'verification_not_counted']);
  const warnings = said.filter((w) => w.code.startsWith('relief_')).sort((a, b) => a.message.localeCompare(b.message));
  t.match(warnings, [
    { code: 'relief_already_delivered', allocationId: full, message: /^户 hh-21（周一）的\S+救助已发放（现金 200\.00 元）。撤销报告不会自动收回/ },
    { code: 'relief_not_yet_delivered', allocationId: pending, message: /^户 hh-22（孙二）的\S+救助（现金 100\.00 元）待批准，尚未发放：报告撤销后不能再批准或发放，请负责人驳回，或取消这笔分配$/ },
  ]);
  t.equal(warnings.length, 2, 'one for each relief on the report, none for the household without');
  t.equal((await app.call('POST', `/allocations/${pending}/rejection`, { token: head(app), body: { reason: '重复报告' } })).statusCode, 200, 'awaiting approval: a head rejects it, as advised');
});

t.test('a dismissal\u2019s warnings in English say what the Chinese says: the household\u2019s name, words not codes (found by a newcomer)', async (t) => {
  const app = await startTestApp(t);
  const ZHOU = { householdId: 'hh-31', name: '周一', damage: 'severe', people: 3 };
  const SUN = { householdId: 'hh-32', name: '孙二', damage: 'severe', people: 4 };
  const reportId = await verified(app, [ZHOU, SUN], { hazard: 'debris_flow' });
  const full = (await app.call('POST', '/allocations', { token: officer(app), body: allocationBody(reportId, { household: { id: 'hh-31', name: '周一' }, category: 'emergency_living', cashFen: 20_000, goods: [] }) })).json().allocationId;
  t.equal((await app.call('POST', `/allocations/${full}/approval`, { token: head(app) })).statusCode, 200);
  t.equal((await app.call('POST', `/allocations/${full}/deliveries`, { token: officer(app), body: { deliveryId: randomUUID(), cashFen: 20_000, goods: [], confirmation: { method: 'signature', reference: '签字-3' } } })).statusCode, 200);
  t.equal((await app.call('POST', '/allocations', { token: officer(app), body: allocationBody(reportId, { household: { id: 'hh-32', name: '孙二' }, category: 'emergency_living', cashFen: 10_000, goods: [] }) })).statusCode, 201);
  const original = await verified(app, [ZHOU], { hazard: 'flash_flood' });
  const res = await app.call('POST', `/reports/${reportId}/dismissal`, { token: officer(app), body: { reason: 'duplicate', duplicateOf: original }, headers: { 'accept-language': 'en' } });
  t.equal(res.statusCode, 200, res.body);
  const said = res.json().warnings as Array<{ code: string; message: string }>;
  t.same(said.map((w) => w.code).sort(), ['duplicate_of_later_report', 'duplicate_of_other_hazard', 'relief_already_delivered', 'relief_not_yet_delivered', 'verification_not_counted']);
  t.match(said.find((w) => w.code === 'relief_already_delivered')?.message, /^household hh-31 \(周一\)'s emergency living relief was handed over/);
  t.match(said.find((w) => w.code === 'relief_not_yet_delivered')?.message, /^household hh-32 \(孙二\)'s emergency living relief/);
  t.match(said.find((w) => w.code === 'duplicate_of_other_hazard')?.message, /was filed as flash flood, this one as debris flow: dismissed as its duplicate, this one counts only as flash flood/);
  // The sweep: no code of our vocabulary (snake_case) in any English message, and no Chinese but the names.
  for (const w of said) {
    t.notMatch(w.message, /\b[a-z]+_[a-z_]+\b/, `${w.code}: no code in its words`);
    t.notMatch(w.message.replace(/周一|孙二/g, ''), /[\u4e00-\u9fff]/, `${w.code}: English throughout`);
  }
});

t.test('an amount beyond any household\u2019s relief is refused, naming the field: totals stay exact (found by a newcomer: 9,007,199,254,740,991 fen taken)', async (t) => {
  const app = await startTestApp(t);
  const reportId = await verified(app, [OUYANG]);
  const huge = await app.call('POST', '/allocations', { token: officer(app), body: allocationBody(reportId, { household: { id: OUYANG.householdId, name: '欧阳德明' }, cashFen: 1_000_000_001 }) });
  t.match([huge.statusCode, huge.json()], [400, { error: 'validation', message: /body\.cashFen: 太大（不能大于 1000000000）/, details: [{ path: 'body.cashFen' }] }]);
  const most = await app.call('POST', '/allocations', { token: officer(app), body: allocationBody(reportId, { household: { id: OUYANG.householdId, name: '欧阳德明' }, cashFen: 1_000_000_000 }) });
  t.equal(most.statusCode, 201, 'ten million yuan is taken');
  const allocationId = most.json().allocationId;
  await app.call('POST', `/allocations/${allocationId}/approval`, { token: head(app) });
  const delivery = await app.call('POST', `/allocations/${allocationId}/deliveries`, { token: officer(app), body: { deliveryId: randomUUID(), cashFen: 2 ** 53, goods: [], confirmation: { method: 'signature', reference: 'x' } } });
  t.match([delivery.statusCode, delivery.json().details], [400, [{ path: 'body.cashFen' }]]);
  const zero = await app.call('POST', `/allocations/${allocationId}/deliveries`, { token: officer(app), body: { deliveryId: randomUUID(), cashFen: 0, goods: [{ item: '棉被', quantity: 0, unit: '床' }], confirmation: { method: 'signature', reference: 'x' } } });
  t.match(zero.json().message, /太小（须大于 0）/, 'a bound that excludes itself is said so');
});

t.test('goods named twice in one allocation are one line (found by a newcomer: kg, 公斤 and 千克 of rice were three lines)', async (t) => {
  const app = await startTestApp(t);
  const reportId = await verified(app, [OUYANG]);
  const goods = [
    { item: '大米', quantity: 25, unit: 'kg' },
    { item: '棉被', quantity: 1, unit: '床' },
    { item: '大米', quantity: 20.5, unit: '千克' },
    { item: '大米', quantity: 4.5, unit: '公斤' },
  ];
  const res = await app.call('POST', '/allocations', { token: officer(app), body: allocationBody(reportId, { household: { id: OUYANG.householdId, name: '欧阳德明' }, goods }) });
  t.equal(res.statusCode, 201, res.body);
  const allocation = (await app.call('GET', `/allocations/${res.json().allocationId}`, { token: head(app) })).json();
  t.same(
    allocation.goods.map((g: { item: string; quantity: number; unit: string }) => [g.item, g.quantity, g.unit]),
    [
      ['大米', 50, '公斤'],
      ['棉被', 1, '床'],
    ],
  );
  const tooMuch = await app.call('POST', '/allocations', {
    token: officer(app),
    body: allocationBody(reportId, { household: { id: OUYANG.householdId, name: '欧阳德明' }, category: 'winter', goods: [{ item: '煤', quantity: 6e8, unit: '公斤' }, { item: '煤', quantity: 6e8, unit: 'kg' }] }),
  });
  t.match([tooMuch.statusCode, tooMuch.json().details?.[0]?.path], [400, 'body.goods.0.quantity'], 'a merged line past the bound is named, not a 500');
});

t.test('a verification listing one name under two household numbers says so at the door, in both languages, and is recorded (found by a newcomer: said only at approval)', async (t) => {
  const app = await startTestApp(t);
  const { reportId } = (await app.call('POST', '/reports', { token: app.token('contact', LIJIA), body: reportBody() })).json();
  const households = [
    { householdId: '3-12', name: '王建国', damage: 'severe', people: 2 },
    { householdId: '12', name: '王 建国', damage: 'severe', people: 2 },
    { householdId: '3-13', name: '王建军', damage: 'moderate', people: 3 },
  ];
  // Every figure the list shows given, so the only thing to say is the name.
  const verificationBody = (over: { households: unknown[] }) => verificationBodyOf({ figures: { affectedPeople: 9, roomsCollapsed: 0, roomsSeverelyDamaged: 2, roomsModeratelyDamaged: 1 }, ...over });
  const res = await app.call('POST', `/reports/${reportId}/verifications`, { token: officer(app), body: verificationBody({ households }) });
  t.equal(res.statusCode, 200, 'recorded: two people of one name live in many villages');
  t.same(res.json().warnings, [
    { code: 'same_name_two_households', message: '户号 3-12、12 的户主同名（王建国）：如是同一户，请只列一次，再核查一次；如是同名的不同户，不用处理', householdIds: ['3-12', '12'] },
  ]);
  const en = await app.call('POST', `/reports/${reportId}/verifications`, { token: officer(app), body: verificationBody({ households }), headers: { 'accept-language': 'en' } });
  t.match(en.json().warnings, [{ code: 'same_name_two_households', message: /households 3-12, 12 have the same name/ }], 'in English when asked');
  const fixed = await app.call('POST', `/reports/${reportId}/verifications`, { token: officer(app), body: verificationBody({ households: [households[0], households[2]] }) });
  t.equal(fixed.json().warnings, undefined, 'listed once: nothing said');
  // A zero-width space in one of them looks the same on every screen: the same name.
  const hidden = await app.call('POST', `/reports/${reportId}/verifications`, { token: officer(app), body: verificationBody({ households: [households[0], { ...households[1], name: '王\u200b建国' }, households[2]] }) });
  t.match(hidden.json().warnings, [{ code: 'same_name_two_households', householdIds: ['3-12', '12'] }], 'an invisible character does not make another name (found by a newcomer)');
});

t.test('one name under two household numbers in one incident and village: both rows flagged for review, not refused (a household typed 3-12 once and 12 once, its group left out, escapes the duplicate check)', async (t) => {
  const app = await startTestApp(t);
  const report = await verified(app, [
    { householdId: '3-12', name: '王建国', damage: 'severe', people: 2 },
    { householdId: '12', name: '王 建国', damage: 'severe', people: 2 },
    { householdId: '3-13', name: '王建军', damage: 'severe', people: 2 },
  ]);
  const allocate = async (id: string, name: string, category?: string) => {
    const res = await app.call('POST', '/allocations', { token: officer(app), body: allocationBody(report, { household: { id, name }, ...(category ? { category } : {}) }) });
    t.equal(res.statusCode, 201, `${id} ${name}: recorded, not refused (two people of one name live in many villages)`);
    return res.json().allocationId as string;
  };
  const x = await allocate('3-12', '王建国');
  const second = await app.call('POST', '/allocations', { token: officer(app), body: allocationBody(report, { household: { id: '12', name: '王 建国' } }) });
  t.equal(second.statusCode, 201, 'the second, under the other number: recorded, not refused');
  t.same(second.json().warnings, [{ code: 'review', flag: 'same_name_other_household', households: ['3-12'], windowDays: 30, message: '同村同名户主在户号 3-12 下另有同类救助（同一灾害过程，或相隔不到 30 天）：请核对是否同一户' }], 'and said to the officer who allocates it (found by a newcomer: taken in silence)');
  const y = second.json().allocationId as string;
  const other = await allocate('3-13', '王建军');
  const housing = await allocate('3-12', '王建国', 'housing');
  const ledger = (await app.call('GET', '/allocations', { token: head(app) })).json();
  const review = (id: string) => ledger.items.find((i: { allocationId: string }) => i.allocationId === id).review;
  t.same(review(x), [{ flag: 'same_name_other_household', households: ['12'], windowDays: 30, reviewed: false, message: '同村同名户主在户号 12 下另有同类救助（同一灾害过程，或相隔不到 30 天）：请核对是否同一户' }], 'each row names the other household number, in words a head reads');
  t.same(review(y), [{ flag: 'same_name_other_household', households: ['3-12'], windowDays: 30, reviewed: false, message: '同村同名户主在户号 3-12 下另有同类救助（同一灾害过程，或相隔不到 30 天）：请核对是否同一户' }]);
  // Where the head approves: the allocation itself says it (found by a newcomer: both approved, 200 each, nothing said).
  const single = (await app.call('GET', `/allocations/${y}`, { token: head(app) })).json();
  t.same(single.review, review(y), 'GET /allocations/{id} carries the same flags as its ledger row');
  t.same((await app.call('GET', `/allocations/${other}`, { token: head(app) })).json().review, [], 'and none where there are none');
  const inEnglish = { token: head(app), headers: { 'accept-language': 'en' } };
  t.match((await app.call('GET', `/allocations/${y}`, inEnglish)).json().review, [{ flag: 'same_name_other_household', message: /same name .* household number\(s\) 3-12/ }], 'in English when asked, read as written (found by a newcomer: Chinese under Accept-Language: en)');
  t.match((await app.call('GET', `/allocations?report=${report}`, inEnglish)).json().items.find((i: { allocationId: string }) => i.allocationId === y).review, [{ message: /same name/ }], 'the ledger too');
  t.same(review(other), [], 'another name: nothing to look at');
  t.same(review(housing), [], 'another category: another relief');
  // The head reads the flags before approving, not beside the 200 after it: approval and delivery
  // wait for a head's review (found by a newcomer: one household paid three times, 200 each, the
  // flags said only beside the answers).
  const held = await app.call('POST', `/allocations/${x}/approval`, { token: head(app) });
  t.equal(held.statusCode, 422, 'held for review');
  t.equal(held.json().error, 'review_required');
  t.equal(held.json().message, '这笔救助待复核：同名户主在另一户号下也有同类救助（户号 12）。须由负责人（不是录入人）核实后复核并写明理由，才能审批');
  t.same(held.json().details, { flags: [{ flag: 'same_name_other_household', with: ['12'] }] });
  t.match((await app.call('POST', `/allocations/${y}/approval`, inEnglish)).json(), { error: 'review_required', message: /^held for review: the same name has relief of this category under another household number/ }, 'in English when asked');
  t.equal((await app.call('POST', `/allocations/${x}/review`, { token: officer(app), body: { reason: '同名两户' } })).statusCode, 403, 'an officer does not review: a head does');
  t.equal((await app.call('POST', `/allocations/${other}/review`, { token: head(app), body: { reason: '看过了' } })).json().error, 'nothing_to_review');
  const reviewed = await app.call('POST', `/allocations/${x}/review`, { token: head(app), body: { reason: '入户核实：3-12 与 12 是同名的两户' } });
  t.equal(reviewed.statusCode, 200, reviewed.body);
  const events = await app.store.readStream(`allocation-${x}`);
  t.same(events.at(-1)!.data, { by: 'head-wangba', reason: '入户核实：3-12 与 12 是同名的两户', flags: [{ flag: 'same_name_other_household', with: ['12'] }] }, 'the review is a fact in the log: who, why, and what they saw');
  t.equal((await app.call('POST', `/allocations/${x}/review`, { token: head(app), body: { reason: '入户核实：3-12 与 12 是同名的两户' } })).json().position, reviewed.json().position, 'sent again: nothing new');
  t.match((await app.call('GET', `/allocations/${x}`, { token: head(app) })).json().review, [{ flag: 'same_name_other_household', reviewed: true }], 'the ledger says it was reviewed');
  const approved = await app.call('POST', `/allocations/${x}/approval`, { token: head(app) });
  t.equal(approved.statusCode, 200, approved.body);
  t.equal(approved.json().warnings, undefined, 'reviewed: nothing more to say');
  const delivered = await app.call('POST', `/allocations/${x}/deliveries`, { token: officer(app), body: { deliveryId: randomUUID(), cashFen: 1000, goods: [], confirmation: { method: 'signature', reference: 'P-1' } } });
  t.equal(delivered.statusCode, 200, delivered.body);
  t.equal(delivered.json().warnings, undefined);
  t.equal((await app.call('POST', `/allocations/${other}/approval`, { token: head(app) })).json().warnings, undefined, 'nothing to look at: nothing said');
  // Cancelled, it is no longer live relief: the pair is no longer a question.
  t.equal((await app.call('POST', `/allocations/${y}/cancellation`, { token: head(app), body: { reason: '同一户重复登记' } })).statusCode, 200);
  const after = (await app.call('GET', '/allocations', { token: head(app) })).json();
  t.same(after.items.find((i: { allocationId: string }) => i.allocationId === x).review, [], 'once one is cancelled, the other stands alone');
});

t.test('an ID number in a delivery’s confirmation is kept as its first six and last four digits, in the log and every read (found by a newcomer: kept whole, for ever)', async (t) => {
  const app = await startTestApp(t);
  const { allocationId } = await seedObjects(app);
  t.equal((await app.call('POST', `/allocations/${allocationId}/approval`, { token: head(app) })).statusCode, 200);
  const deliveryId = randomUUID();
  const body = { deliveryId, cashFen: 1000, goods: [], confirmation: { method: 'id_check', reference: '身份证 620000199001011234 本人领取' } };
  const first = await app.call('POST', `/allocations/${allocationId}/deliveries`, { token: officer(app), body });
  t.equal(first.statusCode, 200, first.body);
  const again = await app.call('POST', `/allocations/${allocationId}/deliveries`, { token: officer(app), body });
  t.equal(again.statusCode, 200, 'the same delivery sent again is still the same delivery');
  t.same(again.json().position, first.json().position);
  const stored = (await app.store.readStream(`allocation-${allocationId}`)).filter((e) => e.type === 'GoodsDelivered');
  t.equal(stored.length, 1);
  t.same((stored[0]!.data as { confirmation: unknown }).confirmation, { method: 'id_check', reference: '身份证 620000********1234 本人领取' });
  const history = await app.call('GET', `/allocations/${allocationId}/history`, { token: app.token('auditor', WANGBA) });
  t.notMatch(history.body, /199001011234/, 'the whole number is nowhere');
  t.match(history.body, /620000\*{8}1234/);
});

t.test('a 核报 that drops a household or names another head holds its approved relief; a review covers that 核报 only (found by a newcomer: one review let every later drop through)', async (t) => {
  const app = await startTestApp(t);
  const LI = { householdId: '7', name: '李四', damage: 'severe', people: 2 };
  const ZHAO = { householdId: '5', name: '赵六', damage: 'severe', people: 2 };
  const report = await verified(app, [LI, ZHAO]);
  const allocate = async (h: { householdId: string; name: string }) => (await app.call('POST', '/allocations', { token: officer(app), body: allocationBody(report, { household: { id: h.householdId, name: h.name } }) })).json().allocationId as string;
  const [li, zhao] = [await allocate(LI), await allocate(ZHAO)];
  for (const id of [li, zhao]) t.equal((await app.call('POST', `/allocations/${id}/approval`, { token: head(app) })).statusCode, 200, 'nothing flagged: approved');
  const verify = async (households: unknown[]) => t.equal((await app.call('POST', `/reports/${report}/verifications`, { token: officer(app), body: verificationBody({ households }) })).statusCode, 200);
  const deliver = (id: string) => app.call('POST', `/allocations/${id}/deliveries`, { token: officer(app), body: { deliveryId: randomUUID(), cashFen: 1000, goods: [], confirmation: { method: 'signature', reference: 'P-1' } } });

  await verify([ZHAO, { householdId: '9', name: '王六', damage: 'moderate', people: 2 }]);
  t.equal((await deliver(li)).json().error, 'review_required', '核报 2 drops 李四: the cash waits');
  const ledger = async (query: string) => (await app.call('GET', `/allocations?report=${report}&${query}`, { token: head(app) })).json().items.map((i: { allocationId: string; held: boolean }) => [i.allocationId, i.held]);
  t.same(await ledger('held=true'), [[li, true]], 'what waits for a head is listed as such (found by a newcomer: no way to find it)');
  t.same(await ledger('outstanding=true&held=false'), [[zhao, false]], 'and what an officer can take to the door');
  t.equal((await app.call('POST', `/allocations/${li}/review`, { token: head(app), body: { reason: '   ' } })).statusCode, 400, 'a reason of spaces says nothing');
  t.equal((await app.call('POST', `/allocations/${li}/review`, { token: head(app), body: { reason: '核查员漏填，已电话核实' } })).statusCode, 200);
  t.equal((await deliver(li)).statusCode, 200, 'reviewed: handed over');
  const shown = (await app.call('GET', `/allocations/${li}`, { token: head(app) })).json().review;
  t.match(shown, [{ flag: 'household_not_in_latest_verification', verification: 2, reviewed: true, reviewedBy: 'head-wangba', reviewReason: '核查员漏填，已电话核实', message: /^已由 head-wangba 复核（核查员漏填，已电话核实）。/ }], 'who reviewed it, and why, first in the words');

  await verify([LI, ZHAO]);
  await verify([ZHAO]);
  const again = await deliver(li);
  t.equal(again.json().error, 'review_required', '核报 4 drops 李四 again: the review of 核报 2 does not cover it');
  t.same(again.json().details.flags, [{ flag: 'household_not_in_latest_verification', with: ['verification-4'] }]);

  await verify([LI, { ...ZHAO, name: '孙七' }]);
  const renamed = await deliver(zhao);
  t.equal(renamed.json().error, 'review_required', '核报 5 lists household 5 under 孙七: relief approved for 赵六 waits');
  t.match(renamed.json().message, /最新一次核查登记的户主不是这笔救助的户主/);
  t.match((await app.call('GET', `/allocations/${zhao}`, { token: head(app) })).json().review, [{ flag: 'household_name_changed', verifiedName: '孙七', message: '报告最新一次核查（第 5 次）登记这一户的户主是"孙七"，不是"赵六"：请核对救助该给谁' }]);
  t.match((await app.call('GET', `/allocations/${zhao}`, { token: head(app) })).json(), { repeatReason: null }, 'a repeat says so where it is approved; this is none');
});

t.test('damage, relief category and how the recipient confirmed may be given in the office\u2019s words; hectares without a float\u2019s tail (found by a newcomer: 倒塌, 住房 and 签字 refused)', async (t) => {
  const app = await startTestApp(t);
  const { reportId } = (await app.call('POST', '/reports', { token: app.token('contact', LIJIA), body: reportBody({ estimate: { cropAffectedHa: 0.30000000000000004 } }) })).json();
  t.equal((await app.call('GET', `/reports/${reportId}`, { token: officer(app) })).json().estimate.cropAffectedHa, 0.3, 'kept as the hundredths sent');
  const verified = await app.call('POST', `/reports/${reportId}/verifications`, { token: officer(app), body: verificationBody({ households: [{ householdId: '8', name: '周九', damage: '倒塌', people: 3 }] }) });
  t.equal(verified.statusCode, 200, verified.body);
  const allocated = await app.call('POST', '/allocations', { token: officer(app), body: allocationBody(reportId, { household: { id: '8', name: '周九' }, category: '住房' }) });
  t.equal(allocated.statusCode, 201, allocated.body);
  const allocationId = allocated.json().allocationId as string;
  t.match((await app.call('GET', `/allocations/${allocationId}`, { token: head(app) })).json(), { category: 'housing' }, 'kept as its code');
  t.equal((await app.call('POST', `/allocations/${allocationId}/approval`, { token: head(app) })).statusCode, 200);
  const delivered = await app.call('POST', `/allocations/${allocationId}/deliveries`, { token: officer(app), body: { deliveryId: randomUUID(), cashFen: 100, goods: [], confirmation: { method: '签字', reference: '签收单 8' } } });
  t.equal(delivered.statusCode, 200, delivered.body);
  const events = await app.store.readStream(`allocation-${allocationId}`);
  t.same((events.at(-1)!.data as { confirmation: unknown }).confirmation, { method: 'signature', reference: '签收单 8' });
  const bad = await app.call('POST', `/allocations/${allocationId}/deliveries`, { token: officer(app), body: { deliveryId: randomUUID(), cashFen: 100, goods: [], confirmation: { method: '口头', reference: 'x' } } });
  t.match(bad.json(), { error: 'validation', message: /confirmation\.method: 须为以下之一：signature、thumbprint、id_check；或中文名称：签字、签名、手印/ });
});

t.test('a household left out of a re-verification keeps the verification its relief rested on, as an earlier one (found by a newcomer)', async (t) => {
  const app = await startTestApp(t);
  const { reportId } = (await app.call('POST', '/reports', { token: app.token('contact', LIJIA), body: reportBody() })).json();
  t.equal((await app.call('POST', `/reports/${reportId}/verifications`, { token: officer(app), body: verificationBody() })).statusCode, 200);
  const allocated = await app.call('POST', '/allocations', { token: officer(app), body: allocationBody(reportId, { household: { id: 'hh-2', name: '李四' }, category: 'housing', cashFen: 300_000, goods: [] }) });
  t.equal(allocated.statusCode, 201, allocated.body);
  const again = await app.call('POST', `/reports/${reportId}/verifications`, { token: officer(app), body: verificationBody({ figures: { affectedPeople: 4, roomsCollapsed: 3 }, households: [{ householdId: 'hh-1', name: '张三明', damage: 'collapsed', people: 4 }] }) });
  t.equal(again.statusCode, 200);
  const household = (await app.call('GET', `/households/${LIJIA}/hh-2?position=${again.json().position}`, { token: head(app) })).json();
  t.same(household.verifications, [], 'the latest verification does not name it');
  t.match(household.earlierVerifications, [{ reportId, name: '李四', damage: 'moderate', people: 5, supersededAt: /^2\d{3}-/ }], 'the one its relief rested on is still there to read');
  t.equal(household.allocations.length, 1);
});
