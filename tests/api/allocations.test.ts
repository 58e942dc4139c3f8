import { randomUUID } from 'node:crypto';
import t from 'tap';
import { LIJIA, NIANBA, WANGBA, ZHUJIAGOU, allocationBody, reportBody, startTestApp, verificationBody, verifiedReport } from '../support/app.js';

t.test('relief lifecycle: allocate, approve by a second person, deliver in parts, never over', async (t) => {
  const app = await startTestApp(t);
  const reportId = await verifiedReport(app);
  const officer = app.token('officer', WANGBA, 'officer-1');
  const head = app.token('head', WANGBA, 'head-1');

  const created = await app.call('POST', '/allocations', { token: officer, body: allocationBody(reportId) });
  t.equal(created.statusCode, 201);
  const { allocationId } = created.json();
  t.match(allocationId, /^[0-9a-f-]{36}$/);
  const post = (path: string, body: unknown, token = officer) => app.call('POST', `/allocations/${allocationId}/${path}`, { token, body });
  const delivery = (cashFen: number, quantity?: number) => ({
    deliveryId: randomUUID(),
    cashFen,
    goods: quantity ? [{ item: '大米', quantity, unit: 'kg' }] : [],
    confirmation: { method: 'thumbprint', reference: 'photo-0017' },
  });

  t.equal((await post('deliveries', delivery(100))).json().error, 'not_approved');
  t.equal((await post('approval', {}, app.token('officer', WANGBA, 'officer-2'))).statusCode, 403, 'only a head approves');
  const selfApproving = app.token('head', WANGBA, 'officer-1');
  t.equal((await post('approval', {}, selfApproving)).json().error, 'self_approval');
  t.equal((await post('approval', {}, head)).statusCode, 200);
  const size = await app.logSize();
  t.equal((await post('approval', {}, head)).statusCode, 200, 'the same head approving again (a lost answer): answered as the first time …');
  t.equal(await app.logSize(), size, '… and nothing written');
  t.equal((await post('approval', {}, app.token('head', WANGBA, 'head-2'))).json().error, 'not_pending', 'another head: already approved');
  const outstanding = async () => (await app.call('GET', '/allocations?outstanding=true', { token: head })).json().items.map((i: { allocationId: string }) => i.allocationId);
  t.same(await outstanding(), [allocationId], 'approved and not handed over: still to be handed over');
  t.equal((await post('deliveries', delivery(150_000, 12.5))).statusCode, 200);
  t.same(await outstanding(), [allocationId], 'part handed over: still');
  const over = await post('deliveries', delivery(50_001));
  t.equal(over.statusCode, 422);
  t.equal(over.json().error, 'over_delivery');
  t.equal(over.json().message, '现金发放将超过核定数额：核定 2000.00 元，已发 1500.00 元，这次要发 500.01 元，最多还能发 500.00 元', 'with what was asked and what is left (found by a newcomer)');
  const overEn = await app.call('POST', `/allocations/${allocationId}/deliveries`, { token: app.token('officer', WANGBA), body: delivery(50_001), headers: { 'accept-language': 'en' } });
  t.equal(overEn.json().message, 'cash delivered would exceed the allocation: 2000.00 yuan allocated, 1500.00 yuan delivered, 500.01 more asked', 'in English with the figures too');
  t.equal((await post('deliveries', delivery(50_000, 12.5))).statusCode, 200);
  t.equal((await post('cancellation', { reason: 'x' })).json().error, 'already_delivered');
  t.same(await outstanding(), [], 'all handed over: nothing still to hand over');

  const view = await app.call('GET', `/allocations/${allocationId}`, { token: app.token('auditor', '621299') });
  t.match(view.json(), { status: 'delivered', cashFen: 200_000, delivered: { cashFen: 200_000, deliveries: 2 }, outstandingCashFen: 0, approvedBy: 'head-1' });
  t.equal((await app.call('GET', `/allocations/${allocationId}`, { token: app.token('officer', NIANBA) })).statusCode, 404, 'outside scope');
  const history = (await app.call('GET', `/allocations/${allocationId}/history`, { token: app.token('auditor', '621299') })).json();
  t.same(history.items.map((e: { type: string }) => e.type), ['ReliefAllocated', 'AllocationApproved', 'GoodsDelivered', 'GoodsDelivered'], 'its history, for an auditor: every event in order');
  t.equal(history.items[1].metadata.prevHash, history.items[0].metadata.hash, 'with the hashes that chain them');
  t.equal((await app.call('GET', `/allocations/${allocationId}/history`, { token: app.token('officer', NIANBA) })).statusCode, 404, 'outside scope');
});

t.test('allocation refusals', async (t) => {
  const app = await startTestApp(t);
  const officer = app.token('officer', WANGBA);
  const { reportId: unverified } = (await app.call('POST', '/reports', { token: app.token('contact', LIJIA), body: reportBody() })).json();
  t.equal((await app.call('POST', '/allocations', { token: officer, body: allocationBody(unverified) })).json().error, 'not_verified');
  const reportId = await verifiedReport(app);
  const notVerifiedHousehold = await app.call('POST', '/allocations', { token: officer, body: allocationBody(reportId, { household: { id: 'hh-9', name: '赵六' } }) });
  t.equal(notVerifiedHousehold.statusCode, 422);
  t.equal(notVerifiedHousehold.json().error, 'household_not_verified');
  t.equal((await app.call('POST', '/allocations', { token: officer, body: allocationBody(reportId, { cashFen: 0, goods: [] }) })).json().error, 'empty_allocation');
  const float = await app.call('POST', '/allocations', { token: officer, body: allocationBody(reportId, { cashFen: 100.5 }) });
  t.equal(float.statusCode, 400, 'money is never a float');
  t.same(float.json().details.map((d: { path: string }) => d.path), ['body.cashFen']);
  t.equal((await app.call('POST', '/allocations', { token: app.token('contact', LIJIA), body: allocationBody(reportId) })).statusCode, 403);
  t.equal((await app.call('POST', '/allocations', { token: app.token('officer', NIANBA), body: allocationBody(reportId) })).statusCode, 404, 'a report outside scope');

  // A report that cannot give relief says so first, before any rule about the household's other relief.
  t.equal((await app.call('POST', '/allocations', { token: officer, body: allocationBody(reportId) })).statusCode, 201);
  const { reportId: laterUnverified } = (await app.call('POST', '/reports', { token: app.token('contact', LIJIA), body: reportBody({ hazard: 'hail' }) })).json();
  const order = await app.call('POST', '/allocations', { token: officer, body: allocationBody(laterUnverified, { household: { id: allocationBody(reportId).household.id, name: '别人' } }) });
  t.equal(order.json().error, 'not_verified', 'not verified, not "a duplicate: give a repeatReason" (found by a newcomer)');

  // Housing relief (倒损住房恢复重建救助) for a house the verification found undamaged: refused, naming the category.
  const { reportId: partly } = (await app.call('POST', '/reports', { token: app.token('contact', LIJIA), body: reportBody({ hazard: 'flash_flood' }) })).json();
  const households = [
    { householdId: 'hh-7', name: '王五', damage: 'none', people: 3 },
    { householdId: 'hh-8', name: '赵六', damage: 'severe', people: 2 },
  ];
  t.equal((await app.call('POST', `/reports/${partly}/verifications`, { token: officer, body: verificationBody({ figures: { affectedPeople: 5 }, households }) })).statusCode, 200);
  const undamaged = await app.call('POST', '/allocations', { token: officer, body: allocationBody(partly, { household: { id: 'hh-7', name: '王五' }, category: 'housing' }) });
  t.match(
    [undamaged.statusCode, undamaged.json()],
    [422, { error: 'no_housing_damage', message: /^户 hh-7 在本报告的入户核查中住房未受损，不能从本报告分配倒损住房恢复重建救助/, details: { field: 'category', householdId: 'hh-7' } }],
  );
  t.equal((await app.call('POST', '/allocations', { token: officer, body: allocationBody(partly, { household: { id: 'hh-7', name: '王五' }, category: 'emergency_living' }) })).statusCode, 201, '应急期生活救助 does not depend on the house');
  const housing = await app.call('POST', '/allocations', { token: officer, body: allocationBody(partly, { household: { id: 'hh-8', name: '赵六' }, category: 'housing' }) });
  t.equal(housing.statusCode, 201, 'a severely damaged house gets housing relief');
  const reverified = households.map((h) => (h.householdId === 'hh-8' ? { ...h, damage: 'none' } : h));
  const found = await app.call('POST', `/reports/${partly}/verifications`, { token: officer, body: verificationBody({ figures: { affectedPeople: 5 }, households: reverified }) });
  t.equal(found.statusCode, 200, '核报 finds the house was not damaged after all');
  t.match(found.json().warnings.filter((w: { code: string }) => w.code === 'relief_house_undamaged'), [{ householdId: 'hh-8', allocationId: housing.json().allocationId, message: /^户 hh-8（赵六）有倒损住房恢复重建救助待批准，这次核查认定其住房未受损：这笔救助已标记待复核，如核查有误请再核查一次$/ }], 'the verifier is told the relief is held (found by a newcomer: nothing said)');
  const rows = (await app.call('GET', `/allocations?report=${partly}`, { token: officer })).json().items;
  t.match(rows.find((r: { allocationId: string }) => r.allocationId === housing.json().allocationId).review, [{ flag: 'no_housing_damage', message: '报告最新一次核查认定这一户住房未受损：倒损住房恢复重建救助请核对' }], 'housing relief already allocated is flagged for a person to look at, in Chinese');
  t.same(rows.find((r: { category: string }) => r.category === 'emergency_living').review, [], 'the living allowance is not');

  const dismissedId = await verifiedReport(app);
  await app.call('POST', `/reports/${dismissedId}/dismissal`, { token: officer, body: { reason: 'false_alarm' } });
  t.equal((await app.call('POST', '/allocations', { token: officer, body: allocationBody(dismissedId) })).json().error, 'report_dismissed');
});

t.test('relief allocated, then its report dismissed as a false alarm: not approved, not paid, flagged in the ledger (found by a newcomer)', async (t) => {
  const app = await startTestApp(t);
  const officer = app.token('officer', WANGBA, 'officer-1');
  const head = app.token('head', WANGBA, 'head-1');
  const reportId = await verifiedReport(app);
  const pending = (await app.call('POST', '/allocations', { token: officer, body: allocationBody(reportId) })).json().allocationId;
  const paid = (await app.call('POST', '/allocations', { token: officer, body: allocationBody(reportId, { category: 'housing' }) })).json().allocationId;
  t.equal((await app.call('POST', `/allocations/${paid}/approval`, { token: head, body: {} })).statusCode, 200);
  const before = { deliveryId: randomUUID(), cashFen: 100, goods: [], confirmation: { method: 'thumbprint', reference: 'p-1' } };
  t.equal((await app.call('POST', `/allocations/${paid}/deliveries`, { token: officer, body: before })).statusCode, 200, 'part paid before the dismissal');
  t.equal((await app.call('POST', `/reports/${reportId}/dismissal`, { token: officer, body: { reason: 'false_alarm' } })).statusCode, 200);
  // Found by a newcomer: one review text for every row, so a head could not tell which still needed rejecting.
  const reviewed = (await app.call('GET', `/allocations?report=${reportId}`, { token: head })).json();
  t.match(reviewed.items.find((i: { allocationId: string }) => i.allocationId === pending).review, [{ flag: 'report_dismissed', message: '报告已撤销（误报）：这笔待批准的救助不能再批准或发放，请负责人驳回，或取消这笔分配' }], 'awaiting approval: what a head does with it');
  t.match((await app.call('GET', `/allocations/${pending}`, { token: head })).json().review, [{ message: /请负责人驳回/ }], 'the same on the allocation itself');

  const approve = await app.call('POST', `/allocations/${pending}/approval`, { token: head, body: {} });
  t.match([approve.statusCode, approve.json()], [422, { error: 'report_dismissed', message: /撤销|误报|不予/ }], 'the pending one cannot be approved');
  const more = await app.call('POST', `/allocations/${paid}/deliveries`, { token: officer, body: { ...before, deliveryId: randomUUID() } });
  t.match([more.statusCode, more.json().error], [422, 'report_dismissed'], 'nothing more is paid');
  t.equal((await app.call('POST', `/allocations/${paid}/deliveries`, { token: officer, body: before })).statusCode, 200, 'the delivery made before, sent again by a phone: answered as made');
  t.equal((await app.call('POST', `/allocations/${pending}/rejection`, { token: head, body: { reason: '误报' } })).statusCode, 200, 'rejection stays open, as the way to undo it');

  const ledger = (await app.call('GET', `/allocations?report=${reportId}`, { token: head })).json();
  const row = ledger.items.find((i: { allocationId: string }) => i.allocationId === paid);
  t.match(row.review, [{ flag: 'report_dismissed', reason: 'false_alarm', message: '报告已撤销（误报）：已发放的部分请核对，余下部分不再发放' }], 'the relief paid on it is flagged for a person to look at');
  t.same(ledger.items.find((i: { allocationId: string }) => i.allocationId === pending).review, [], 'the rejected one is not live, so not flagged');
});

t.test('one live allocation per (report, household, category); a rejected or cancelled one frees the slot', async (t) => {
  const app = await startTestApp(t);
  const reportId = await verifiedReport(app);
  const officer = app.token('officer', WANGBA, 'officer-1');
  const head = app.token('head', WANGBA, 'head-1');
  const first = (await app.call('POST', '/allocations', { token: officer, body: allocationBody(reportId) })).json().allocationId;
  const dup = await app.call('POST', '/allocations', { token: officer, body: allocationBody(reportId, { cashFen: 1 }) });
  t.equal(dup.statusCode, 409);
  t.same(dup.json().details, { allocationId: first, rule: 'one_per_incident', reportId }, 'the 409 names the live allocation');
  t.match(dup.json().message, /^该户已从这份报告分配过同类救助/, 'in Chinese as in English: from this report');
  t.equal(dup.json().error, 'duplicate_relief');
  t.equal((await app.call('POST', '/allocations', { token: officer, body: allocationBody(reportId, { category: 'housing' }) })).statusCode, 201, 'another category');
  t.equal((await app.call('POST', `/allocations/${first}/rejection`, { token: head, body: { reason: '重复救助' } })).statusCode, 200);
  const second = await app.call('POST', '/allocations', { token: officer, body: allocationBody(reportId) });
  t.equal(second.statusCode, 201);
  t.not(second.json().allocationId, first);
  t.equal((await app.call('POST', `/allocations/${second.json().allocationId}/cancellation`, { token: officer, body: { reason: '录入错误' } })).statusCode, 200);
  t.equal((await app.call('POST', '/allocations', { token: officer, body: allocationBody(reportId) })).statusCode, 201);
});

t.test('50 concurrent allocations for the same (report, household, category): exactly one 201', async (t) => {
  const app = await startTestApp(t);
  const reportId = await verifiedReport(app, ZHUJIAGOU);
  const officer = app.token('officer', NIANBA);
  const before = await app.logSize();
  const answers = await Promise.all(
    Array.from({ length: 50 }, (_, i) => app.call('POST', '/allocations', { token: officer, body: allocationBody(reportId, { cashFen: 1000 + i }) })),
  );
  const codes = answers.map((a) => a.statusCode);
  t.equal(codes.filter((c) => c === 201).length, 1);
  t.equal(codes.filter((c) => c === 409).length, 49);
  const winner = answers.find((a) => a.statusCode === 201)!.json().allocationId;
  t.ok(answers.filter((a) => a.statusCode === 409).every((a) => a.json().details.allocationId === winner), 'every loser is told which one won');
  t.equal(await app.logSize(), before + 3, 'three events: the household\u2019s reservation, the report\u2019s claim and the allocation');
});

t.test('approval, delivery and review wait for the read side (their flags); rejection and cancellation never do', async (t) => {
  const app = await startTestApp(t);
  const reportId = await verifiedReport(app);
  const officer = app.token('officer', WANGBA, 'officer-1');
  const head = app.token('head', WANGBA, 'head-1');
  const allocate = async (id: string, name: string) => (await app.call('POST', '/allocations', { token: officer, body: allocationBody(reportId, { household: { id, name } }) })).json().allocationId as string;
  const first = await allocate('hh-1', '张三明');
  const second = await allocate('hh-2', '李四');
  t.ok(first && second, 'two allocations');
  // The read side stops applying the log, and the log goes on: a flag written now would not be seen.
  await app.runner.stop();
  t.equal((await app.call('POST', `/reports/${reportId}/amendments`, { token: officer, body: { notes: '又塌了一处' } })).statusCode, 200, 'a 续报 after the read side stopped');
  const post = (id: string, path: string, body: unknown, token = head) => app.call('POST', `/allocations/${id}/${path}`, { token, body });
  for (const [path, body] of [['approval', {}], ['review', { reason: '核对过' }]] as const) {
    const answer = await post(first, path, body);
    t.equal(answer.statusCode, 503, `${path}: 503 while the read side is behind`);
    t.equal(answer.json().error, 'not_caught_up');
  }
  const size = await app.logSize();
  const rejected = await post(first, 'rejection', { reason: '不符合条件' });
  t.equal(rejected.statusCode, 200, `a rejection is taken: ${rejected.body}`);
  t.equal((await post(second, 'cancellation', { reason: '录错了' }, officer)).statusCode, 200, 'a cancellation is taken');
  t.equal(await app.logSize(), size + 2, 'both written');
});

t.test('the rest of a part-delivered allocation can be cancelled: what was handed over stays, nothing more is owed (found by a newcomer)', async (t) => {
  const app = await startTestApp(t);
  const reportId = await verifiedReport(app);
  const officer = app.token('officer', WANGBA);
  const head = app.token('head', WANGBA, 'head-wangba');
  const allocated = await app.call('POST', '/allocations', { token: officer, body: allocationBody(reportId, { cashFen: 100_000, goods: [] }) });
  const allocationId = allocated.json().allocationId as string;
  t.equal((await app.call('POST', `/allocations/${allocationId}/approval`, { token: head, body: {} })).statusCode, 200);
  const delivery = (cashFen: number) => ({ deliveryId: randomUUID(), cashFen, goods: [], confirmation: { method: 'signature', reference: 'S' } });
  t.equal((await app.call('POST', `/allocations/${allocationId}/deliveries`, { token: officer, body: delivery(60_000) })).statusCode, 200);
  const cancelled = await app.call('POST', `/allocations/${allocationId}/cancellation`, { token: head, body: { reason: '户已不在核查表' } });
  t.equal(cancelled.statusCode, 200, cancelled.body);
  const at = `position=${cancelled.json().position}`;
  t.match((await app.call('GET', `/allocations/${allocationId}?${at}`, { token: head })).json(), { status: 'approved', remainderVoided: true, remainderCancelled: true, outstandingCashFen: 0, delivered: { cashFen: 60_000 } });
  t.same((await app.call('GET', `/allocations?outstanding=true&${at}`, { token: head })).json().items, [], 'nothing owed any more');
  const board = (await app.call('GET', `/notices/${LIJIA}?${at}`, { token: head })).json();
  t.match(board.items, [{ statusText: '已发放（余下部分已取消，不再发放）', cashYuan: '600.00' }], 'the board promises only what was given');
  const more = await app.call('POST', `/allocations/${allocationId}/deliveries`, { token: officer, body: delivery(10_000) });
  t.match([more.statusCode, more.json().error], [422, 'allocation_closed'], 'nothing more is handed over');
  const again = await app.call('POST', '/allocations', { token: officer, body: allocationBody(reportId, { cashFen: 50_000, goods: [] }) });
  t.equal(again.statusCode, 409, 'the household was helped: a second relief needs its reason, as before');
});
