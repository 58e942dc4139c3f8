import { randomUUID } from 'node:crypto';
import t from 'tap';
import { HEJIAGOU, KANG, LIJIA, NIANBA, WANGBA, ZHUJIAGOU, allocationBody, reportBody, startTestApp, verificationBody, type TestApp } from '../support/app.js';

/**
 * A small county worked out by hand (issue 10): four reports in three villages of two townships,
 * amended, verified, dismissed and closed, with the tallies written down here, by hand, at every
 * level, and the lists, ledger, household and notice that go with them.
 */
async function handCounty(app: TestApp) {
  const officerW = app.token('officer', WANGBA, 'officer-wangba-1');
  const officerN = app.token('officer', NIANBA, 'officer-nianba-1');
  const file = async (village: string, over: Record<string, unknown>) => {
    const res = await app.call('POST', '/reports', { token: app.token('contact', village), body: reportBody({ village, reportId: randomUUID(), ...over }) });
    if (res.statusCode !== 201) throw new Error(res.body);
    return res.json().reportId as string;
  };
  const post = async (token: string, path: string, body: unknown) => {
    const res = await app.call('POST', path, { token, body });
    if (res.statusCode >= 300) throw new Error(`${path}: ${res.body}`);
    return res.json();
  };
  // R1: 李家村 landslide — estimate 12 people / 2 rooms, a 续报 to 15, verified 9 / 3 rooms / 1.25 ha, closed.
  // Its households (the fixture's) are one collapsed house and one moderately damaged: the
  // moderately damaged room the officer left out is counted from the list (1 room).
  const r1 = await file(LIJIA, { hazard: 'landslide', estimate: { affectedPeople: 12, roomsCollapsed: 2 } });
  await post(app.token('contact', LIJIA), `/reports/${r1}/amendments`, { estimate: { affectedPeople: 15 } });
  await post(officerW, `/reports/${r1}/verifications`, verificationBody({ figures: { affectedPeople: 9, roomsCollapsed: 3, cropAffectedHa: 1.25 } }));
  await post(officerW, `/reports/${r1}/closure`, { summary: '核查完毕' });
  // R2: 李家村 landslide again, 5 people — a duplicate, dismissed: counts nowhere.
  const r2 = await file(LIJIA, { hazard: 'landslide', estimate: { affectedPeople: 5 } });
  await post(officerW, `/reports/${r2}/dismissal`, { reason: 'duplicate', duplicateOf: r1 });
  // R3: 何家沟村 hail — 20 people, 3.5 ha, acknowledged only.
  const r3 = await file(HEJIAGOU, { hazard: 'hail', estimate: { affectedPeople: 20, cropAffectedHa: 3.5 } });
  await post(officerW, `/reports/${r3}/acknowledgements`, {});
  // R4: 朱家沟村 (the other township) debris flow — 7 people, one dead; verified 8 / one dead / 0.75 ha,
  // two households.
  const r4 = await file(ZHUJIAGOU, { hazard: 'debris_flow', estimate: { affectedPeople: 7, dead: 1 } });
  // Its households hold 4 + 4 people: the 8 affected are no fewer than the list shows. The rooms
  // were left out: the list makes them 1 collapsed and 1 moderately damaged, and so they count.
  const r4Households = [
    { householdId: 'hh-1', name: '张三明', damage: 'collapsed', people: 4 },
    { householdId: 'hh-2', name: '李四', damage: 'moderate', people: 4 },
  ];
  await post(officerN, `/reports/${r4}/verifications`, verificationBody({ figures: { affectedPeople: 8, dead: 1, cropAffectedHa: 0.75 }, households: r4Households }));
  return { r1, r2, r3, r4 };
}

const zeros = { filed: 0, acknowledged: 0, on_site: 0, verified: 0, dismissed: 0, closed: 0 };

t.test('tallies at every level, worked out by hand', async (t) => {
  const app = await startTestApp(t);
  await handCounty(app);
  const auditor = app.token('auditor', KANG);
  const county = (await app.call('GET', `/tallies?unit=${KANG}`, { token: auditor })).json();
  t.match(county, {
    unit: { code: KANG, name: '康县（示例）' },
    reported: { affectedPeople: 15 + 20 + 7, roomsCollapsed: 2, dead: 1, cropAffectedHa: 3.5 },
    verified: { affectedPeople: 9 + 8, roomsCollapsed: 3 + 1, roomsModeratelyDamaged: 1 + 1, dead: 1, cropAffectedHa: 2 },
    reports: { total: 4, byStatus: { ...zeros, closed: 1, dismissed: 1, acknowledged: 1, verified: 1 } },
  });
  t.same(county.reported, { affectedPeople: 42, dead: 1, roomsCollapsed: 2, cropAffectedHa: 3.5 }, 'nothing else: zeros are left out');
  const byCode = Object.fromEntries(county.children.map((c: { unit: { code: string } }) => [c.unit.code, c]));
  t.same(Object.keys(byCode).sort(), [WANGBA, NIANBA].sort(), 'the county\u2019s townships');
  t.same(byCode[WANGBA].reported, { affectedPeople: 35, roomsCollapsed: 2, cropAffectedHa: 3.5 });
  t.same(byCode[WANGBA].verified, { affectedPeople: 9, roomsCollapsed: 3, roomsModeratelyDamaged: 1, cropAffectedHa: 1.25 });
  t.same(byCode[WANGBA].reports.byStatus, { ...zeros, closed: 1, dismissed: 1, acknowledged: 1 });
  t.same(byCode[NIANBA].reported, { affectedPeople: 7, dead: 1 });
  t.same(byCode[NIANBA].verified, { affectedPeople: 8, dead: 1, cropAffectedHa: 0.75, roomsCollapsed: 1, roomsModeratelyDamaged: 1 }, 'the rooms its list shows, not 0');

  const township = (await app.call('GET', `/tallies?unit=${WANGBA}`, { token: auditor })).json();
  const villages = Object.fromEntries(township.children.map((c: { unit: { code: string } }) => [c.unit.code, c]));
  t.same(villages[LIJIA].reported, { affectedPeople: 15, roomsCollapsed: 2 }, 'the latest estimate of R1; R2 dismissed counts nowhere');
  t.same(villages[LIJIA].verified, { affectedPeople: 9, roomsCollapsed: 3, roomsModeratelyDamaged: 1, cropAffectedHa: 1.25 });
  t.same(villages[HEJIAGOU].reported, { affectedPeople: 20, cropAffectedHa: 3.5 });
  t.same(villages[HEJIAGOU].verified, {}, 'acknowledged, not verified');
  const village = (await app.call('GET', `/tallies?unit=${LIJIA}`, { token: auditor })).json();
  t.same(village.children, [], 'a village has no children');

  const landslides = (await app.call('GET', `/tallies?unit=621299&hazard=landslide`, { token: auditor })).json();
  t.same(landslides.reported, { affectedPeople: 15, roomsCollapsed: 2 }, 'by hazard; the prefix form of the county code');
  t.equal(landslides.hazard, 'landslide');
  t.equal((await app.call('GET', `/tallies?unit=${NIANBA}`, { token: app.token('officer', WANGBA) })).statusCode, 403, 'another township');
});

t.test('lists: reports newest first with the village\u2019s path, filters and pages; incidents with their clocks', async (t) => {
  const app = await startTestApp(t);
  const { r1, r2, r3, r4 } = await handCounty(app);
  const head = app.token('head', KANG);
  const all = (await app.call('GET', '/reports', { token: head })).json();
  t.same(all.items.map((r: { reportId: string }) => r.reportId), [r4, r3, r2, r1], 'newest first');
  t.same(all.items[0].village, { code: ZHUJIAGOU, name: '朱家沟村（示例）', path: ['康县（示例）', '碾坝镇（示例）', '朱家沟村（示例）'] });
  t.equal(all.next, null);
  const first = (await app.call('GET', '/reports?limit=2', { token: head })).json();
  t.same(first.items.map((r: { reportId: string }) => r.reportId), [r4, r3]);
  const second = (await app.call('GET', `/reports?limit=2&after=${first.next}`, { token: head })).json();
  t.same(second.items.map((r: { reportId: string }) => r.reportId), [r2, r1], 'the next page follows');
  t.same((await app.call('GET', `/reports?unit=${WANGBA}&status=dismissed`, { token: head })).json().items.map((r: { reportId: string }) => r.reportId), [r2]);
  t.same((await app.call('GET', '/reports?hazard=hail', { token: head })).json().items.map((r: { reportId: string }) => r.reportId), [r3]);
  t.same((await app.call('GET', '/reports', { token: app.token('contact', LIJIA) })).json().items.map((r: { reportId: string }) => r.reportId), [r2, r1], 'a contact sees their village');
  t.same((await app.call('GET', `/reports?since=${new Date(Date.now() + 3600_000).toISOString()}`, { token: head })).json().items, [], 'since');
  t.equal((await app.call('GET', '/reports?after=nope', { token: head })).statusCode, 400);

  const opened = await app.call('POST', '/incidents', { token: head, body: { county: KANG, hazard: 'landslide', startedAt: new Date(Date.now() - 3 * 3600_000).toISOString(), title: '7·1 滑坡' } });
  const incidentId = opened.json().incidentId;
  await app.call('POST', `/incidents/${incidentId}/links`, { token: head, body: { reportId: r1 } });
  const incidents = (await app.call('GET', '/incidents', { token: head })).json();
  t.match(incidents.items, [{ incidentId, county: { code: KANG, name: '康县（示例）' }, reports: [r1], overdue: true, clocks: [{ clock: 'initial', overdue: true }] }]);
  t.same((await app.call('GET', '/incidents?overdue=false', { token: head })).json().items, []);
  t.same((await app.call('GET', '/reports?hazard=landslide&status=closed', { token: head })).json().items[0].incident, incidentId, 'the report row names its incident');
});

t.test('the relief ledger, a household across reports, missed relief, and the public notice', async (t) => {
  const app = await startTestApp(t);
  const { r1, r4 } = await handCounty(app);
  const officer = app.token('officer', WANGBA, 'officer-wangba-1');
  const head = app.token('head', WANGBA, 'head-wangba');
  // hh-1 张三明 gets 2,000 yuan and 25 kg + 20 千克 of rice (the same unit, 公斤); hh-2 李四 nothing yet.
  const allocation = (await app.call('POST', '/allocations', {
    token: officer,
    body: allocationBody(r1, { cashFen: 200_000, goods: [{ item: '大米', quantity: 25, unit: 'kg' }, { item: '大米', quantity: 20, unit: '千克' }], fund: 'SP-2026-01' }),
  })).json().allocationId;
  t.equal((await app.call('POST', `/allocations/${allocation}/approval`, { token: head, body: {} })).statusCode, 200);
  const deliver = (cashFen: number, quantity: number) =>
    app.call('POST', `/allocations/${allocation}/deliveries`, { token: officer, body: { deliveryId: randomUUID(), cashFen, goods: [{ item: '大米', quantity, unit: 'kg' }], confirmation: { method: 'thumbprint', reference: 'P-1' } } });
  t.equal((await deliver(150_000, 30)).statusCode, 200);

  const ledger = (await app.call('GET', `/allocations?unit=${WANGBA}`, { token: head })).json();
  t.match(ledger.items, [
    {
      allocationId: allocation,
      status: 'approved',
      village: { code: LIJIA, path: ['康县（示例）', '王坝镇（示例）', '李家村（示例）'] },
      cash: { allocatedFen: 200_000, deliveredFen: 150_000, outstandingFen: 50_000 },
      goods: { allocated: [{ item: '大米', quantity: 45, unit: '公斤' }], delivered: [{ item: '大米', quantity: 30, unit: '公斤' }], outstanding: [{ item: '大米', quantity: 15, unit: '公斤' }] },
    },
  ]);
  t.match(ledger.totals.overall, { allocations: 1, allocatedFen: 200_000, approvedFen: 200_000, deliveredFen: 150_000, outstandingFen: 50_000 });
  t.match(ledger.totals.byHousehold, [{ village: LIJIA, householdId: 'hh-1', name: '张三明', allocatedFen: 200_000 }]);
  t.match(ledger.totals.byFund, [{ fund: 'SP-2026-01', deliveredFen: 150_000 }]);
  t.match(ledger.totals.byReport, [{ reportId: r1 }]);
  const single = (await app.call('GET', `/allocations/${allocation}`, { token: head })).json();
  t.same(single.delivered.goods, [{ item: '大米', quantity: 30, unit: '公斤' }], 'one allocation shows goods in their unit, not thousandths under a key');

  // Part paid: the village board says so, with what was handed over (found by a newcomer: 已审批, 发放日期 —).
  const partly = (await app.call('GET', `/notices/${LIJIA}`, { token: app.token('contact', LIJIA) })).json();
  t.match(partly.items, [{ status: 'approved', cashYuan: '2000.00', deliveredCashYuan: '1500.00', deliveredAt: /^\d{4}-/ }], 'part paid: what and when');
  const partlyHtml = (await app.call('GET', `/notices/${LIJIA}`, { token: app.token('contact', LIJIA), headers: { accept: 'text/html' } })).body;
  t.match(partly.items, [{ deliveredGoods: [{ item: '大米', quantity: 30, unit: '公斤' }], outstanding: { cashYuan: '500.00', goods: [{ item: '大米', quantity: 15, unit: '公斤' }] }, statusText: '部分发放（已发 1500.00 元、大米 30公斤；待发 500.00 元、大米 15公斤）' }], 'what was handed over and what is still to come, in the JSON as on the board');
  t.match(partlyHtml, /部分发放（已发 1500\.00 元、大米 30公斤；待发 500\.00 元、大米 15公斤）<\/td><td>\d{4}-\d\d-\d\d<\/td><td>\d{4}-\d\d-\d\d<\/td>/, 'on the printed board too, with its date');
  // The cash all paid and the rice still to come (found by a newcomer: 部分发放（已发 500.00 元） read as the cash half paid).
  const cashOnly = await app.call('POST', `/allocations/${allocation}/deliveries`, { token: officer, body: { deliveryId: randomUUID(), cashFen: 50_000, goods: [], confirmation: { method: 'thumbprint', reference: 'P-1' } } });
  t.equal(cashOnly.statusCode, 200, cashOnly.body);
  const cashPaid = (await app.call('GET', `/notices/${LIJIA}`, { token: app.token('contact', LIJIA), headers: { accept: 'text/html' } })).body;
  t.match(cashPaid, /部分发放（已发 2000\.00 元、大米 30公斤；待发 大米 15公斤）/);
  t.equal((await deliver(0, 15)).statusCode, 200);
  const delivered = (await app.call('GET', `/allocations?status=delivered`, { token: head })).json();
  t.same(delivered.items.map((i: { allocationId: string }) => i.allocationId), [allocation], 'cash and every goods line in full: delivered');

  const household = (await app.call('GET', `/households/${LIJIA}/hh-1`, { token: head })).json();
  t.match(household, {
    village: { code: LIJIA },
    householdId: 'hh-1',
    names: ['张三明'],
    verifications: [{ reportId: r1, damage: 'collapsed', people: 4 }],
    allocations: [{ allocationId: allocation, status: 'delivered' }],
    byCategory: [{ category: 'emergency_living', deliveredFen: 200_000 }],
    byIncident: [{ incident: null, reportId: r1 }],
  });
  t.equal((await app.call('GET', `/households/${LIJIA}/hh-1`, { token: app.token('contact', LIJIA) })).statusCode, 403, 'not for contacts');
  t.equal((await app.call('GET', `/households/${LIJIA}/hh-9`, { token: head })).statusCode, 404);

  const missed = (await app.call('GET', '/relief/missed', { token: app.token('auditor', KANG) })).json();
  t.same(
    missed.items.map((h: { village: { code: string }; householdId: string; name: string; damage: string }) => [h.village.code, h.householdId, h.name, h.damage]),
    [
      [LIJIA, 'hh-2', '李四', 'moderate'],
      [ZHUJIAGOU, 'hh-1', '张三明', 'collapsed'],
      [ZHUJIAGOU, 'hh-2', '李四', 'moderate'],
    ],
    'verified with damage and no live relief: 李家村 hh-2, and both of R4\u2019s households',
  );
  t.ok(r4);

  const notice = (await app.call('GET', `/notices/${LIJIA}`, { token: app.token('contact', LIJIA) })).json();
  t.match(notice, {
    village: { code: LIJIA, name: '李家村（示例）' },
    items: [{ household: '张*明', categoryLabel: '应急期生活救助', cashYuan: '2000.00', status: 'delivered', goods: [{ item: '大米', quantity: 45, unit: '公斤' }] }],
    totalYuan: '2000.00',
    complaintPhone: '09390000103',
  });
  t.notMatch(JSON.stringify(notice), /张三明|13800000000|hh-1/, 'no full name, phone or household number');
  const html = await app.call('GET', `/notices/${LIJIA}`, { token: app.token('contact', LIJIA), headers: { accept: 'text/html' } });
  t.equal(html.headers['content-type'], 'text/html; charset=utf-8');
  t.match(html.body, /<title>康县（示例） 王坝镇（示例） 李家村（示例） 救灾救助资金物资发放公示<\/title>/);
  t.match(html.body, /张\*明/);
  t.match(html.body, /09390000103/);
  t.notMatch(html.body, /张三明/);
  t.equal((await app.call('GET', `/notices/${ZHUJIAGOU}`, { token: app.token('contact', LIJIA) })).statusCode, 403, 'another village');
  t.equal((await app.call('GET', `/notices/${WANGBA}`, { token: head })).statusCode, 400, 'a township has no notice board: its code is a bad villageCode');
});
