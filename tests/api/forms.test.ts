// Issue 16: the statutory forms of one small incident — CSV and the printed page's text compared
// byte for byte with golden files, the Excel workbook read back with a reader library and checked
// against the JSON draft, a screenshot of the printed page kept. UPDATE_GOLDEN=1 rewrites the
// golden files (then read the diff before committing it).
import t, { type Test } from 'tap';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import ExcelJS from 'exceljs';
import { HEJIAGOU, KANG, LIJIA, startTestApp, WANGBA, NIANBA, ZHUJIAGOU, allocationBody } from '../support/app.js';
import { haveChromium, launchBrowser } from '../support/browser.js';
import { exactDecimal } from '../../domain/notice.js';
import { csvField } from '../../services/http/forms.js';

const GOLDEN = join(import.meta.dirname, 'golden');
const ARTIFACTS = join(import.meta.dirname, '..', '..', 'artifacts', 'screenshots');

function golden(t: Test, name: string, actual: string) {
  const file = join(GOLDEN, name);
  if (process.env.UPDATE_GOLDEN === '1' || !existsSync(file)) {
    if (process.env.CI && !existsSync(file)) t.fail(`no golden file ${name}`);
    writeFileSync(file, actual);
  }
  t.equal(actual, readFileSync(file, 'utf8'), `${name}: byte for byte`);
}

t.test('a CSV cell a spreadsheet would run as a formula is written as text (found by a newcomer)', async (t) => {
  t.equal(csvField('=HYPERLINK("http://x","点此")'), `"'=HYPERLINK(""http://x"",""点此"")"`);
  t.equal(csvField('=cmd|1'), "'=cmd|1");
  for (const lead of ['+', '-', '@', '\t']) t.equal(csvField(`${lead}1+1`).replace(/^"/, '').startsWith("'"), true, `${JSON.stringify(lead)} first: text`);
  t.equal(csvField('-3'), '-3', 'a number is a number');
  t.equal(csvField('12.50'), '12.50');
  t.equal(csvField('张三明'), '张三明', 'a name is as typed');
  t.equal(csvField('3-12'), '3-12', 'a household number with a dash inside is as typed');
});

t.test('exact decimals: 万元 from whole yuan and fen, never a float', async (t) => {
  t.equal(exactDecimal(123456, 4), '12.3456');
  t.equal(exactDecimal(5, 4), '0.0005');
  t.equal(exactDecimal(150000, 6), '0.150000');
  t.equal(exactDecimal(0, 2), '0.00');
  t.equal(exactDecimal(1250, 2), '12.50');
});

t.test('the forms of one small incident', async (t) => {
  const app = await startTestApp(t, { now: () => new Date('2026-07-02T01:00:00.000Z') });
  const head = app.token('head', KANG, 'head-kang');
  const officer = (township: string) => app.token('officer', township, `officer-${township.slice(6, 9)}`);
  const incidentId = '7a1e0c5e-0000-4000-8000-000000000001';
  t.equal((await app.call('POST', '/incidents', { token: head, body: { incidentId, county: KANG, hazard: 'flash_flood', startedAt: '2026-07-01T20:00:00+08:00', title: '7·1 山洪' } })).statusCode, 201);
  const file = async (reportId: string, village: string, estimate: Record<string, number>) => {
    const res = await app.call('POST', '/reports', { token: app.token('contact', village), body: { reportId, village, hazard: 'flash_flood', observedAt: '2026-07-01T21:00:00+08:00', reporter: { name: '报告人', phone: '13800000000' }, estimate } });
    t.equal(res.statusCode, 201, res.body);
    t.equal((await app.call('POST', `/incidents/${incidentId}/links`, { token: head, body: { reportId } })).statusCode, 200);
  };
  const r1 = '7a1e0c5e-0000-4000-8000-000000000011';
  const r2 = '7a1e0c5e-0000-4000-8000-000000000012';
  const r3 = '7a1e0c5e-0000-4000-8000-000000000013';
  await file(r1, LIJIA, { affectedPeople: 40, roomsCollapsed: 3 });
  await file(r2, HEJIAGOU, { affectedPeople: 12, cropAffectedHa: 12.5, directLossYuan: 123456 });
  await file(r3, ZHUJIAGOU, { affectedPeople: 20 });
  const verify = async (reportId: string, township: string, figures: Record<string, number>, households: unknown[]) =>
    t.equal((await app.call('POST', `/reports/${reportId}/verifications`, { token: officer(township), body: { figures, households, method: '入户核查' } })).statusCode, 200);
  await verify(r1, WANGBA, { affectedPeople: 38, dead: 1, roomsCollapsed: 4, roomsSeverelyDamaged: 2, directLossYuan: 850000 }, [
    { householdId: '007', name: '张三明', damage: 'collapsed', people: 4 },
    { householdId: '012', name: '李四', damage: 'severe', people: 3 },
    { householdId: '015', name: '王五', damage: 'none', people: 2 },
  ]);
  await verify(r3, NIANBA, { affectedPeople: 18, roomsModeratelyDamaged: 1, cropFailedHa: 3.25 }, [{ householdId: '101', name: '欧阳德明', damage: 'moderate', people: 5 }]);
  const allocated = await app.call('POST', '/allocations', {
    token: officer(WANGBA),
    body: allocationBody(r1, { household: { id: '007', name: '张三明' }, category: 'emergency_living', cashFen: 150_000, goods: [{ item: '大米', quantity: 2, unit: '袋' }], fund: 'ZX-2026-01' }),
  });
  t.equal(allocated.statusCode, 201, 'allocated');
  const allocationId = allocated.json().allocationId;
  const approved = await app.call('POST', `/allocations/${allocationId}/approval`, { token: app.token('head', WANGBA, 'head-wangba'), body: {} });
  t.equal(approved.statusCode, 200, approved.body);
  const delivered = await app.call('POST', `/allocations/${allocationId}/deliveries`, { token: officer(WANGBA), body: { deliveryId: '7a1e0c5e-0000-4000-8000-0000000000d1', cashFen: 150_000, goods: [{ item: '大米', quantity: 2, unit: '袋' }], confirmation: { method: 'signature', reference: 'S-1' } } });
  t.equal(delivered.statusCode, 200, delivered.body);
  const stabilized = await app.call('POST', `/incidents/${incidentId}/stabilization`, { token: head, body: { at: '2026-07-02T08:00:00+08:00' } });
  t.equal(stabilized.statusCode, 200);
  // Read-your-writes: every read below waits until the read side has applied the last write.
  const at = `position=${stabilized.json().position}`;

  const json = (await app.call('GET', `/incidents/${incidentId}/draft?stage=final&${at}`, { token: head })).json();
  t.same(json.total.figures, { affectedPeople: 68, dead: 1, roomsCollapsed: 4, roomsSeverelyDamaged: 2, roomsModeratelyDamaged: 1, cropAffectedHa: 12.5, cropFailedHa: 3.25, directLossYuan: 973456 }, 'the total: two verified, one estimated');

  const csv = await app.call('GET', `/incidents/${incidentId}/forms?stage=final&format=csv&${at}`, { token: head });
  t.equal(csv.statusCode, 200);
  t.match(csv.headers['content-type'], /text\/csv; charset=utf-8/);
  t.match(String(csv.headers['content-disposition']), /filename\*=UTF-8''/);
  t.equal(csv.rawPayload.subarray(0, 3).toString('hex'), 'efbbbf', 'a BOM, so Excel on a Chinese Windows reads UTF-8');
  golden(t, 'forms-final.csv', csv.body);
  t.match(csv.body, /97\.3456/, '直接经济损失 in 万元, four decimals, exact');
  t.match(csv.body, /已发放救助资金,0\.150000,万元/, 'cash delivered in 万元 from fen, exact');

  // Excel, read back with a reader library: the same numbers as the JSON.
  const xlsx = await app.call('GET', `/incidents/${incidentId}/forms?stage=final&format=xlsx&${at}`, { token: head });
  t.equal(xlsx.statusCode, 200);
  const book = new ExcelJS.Workbook();
  await book.xlsx.load(xlsx.rawPayload as unknown as ArrayBuffer);
  const loss = book.getWorksheet('自然灾害损失情况统计快报表')!;
  const rows = loss.getSheetValues().filter(Boolean) as unknown[][];
  const headingRow = rows.find((r) => r.includes('受灾人口（人）'))!;
  const totalRow = rows.find((r) => r[1] === '康县（示例）合计')!;
  const col = (heading: string) => headingRow.indexOf(heading);
  t.equal(totalRow[col('受灾人口（人）')], json.total.figures.affectedPeople, 'people affected');
  t.equal(totalRow[col('倒塌房屋（间）')], json.total.figures.roomsCollapsed, 'rooms collapsed');
  t.equal(totalRow[col('农作物受灾面积（公顷）')], json.total.figures.cropAffectedHa, 'hectares');
  t.equal(totalRow[col('直接经济损失（万元）')], json.total.figures.directLossYuan / 10000, '万元');
  for (const township of json.townships) {
    const row = rows.find((r) => r[1] === township.unit.name)!;
    t.equal(row[col('受灾人口（人）')], township.figures.affectedPeople ?? 0, `${township.unit.name}: people affected`);
  }
  const roster = book.getWorksheet('因灾倒塌损坏住房户台账')!;
  const names = (roster.getSheetValues().filter(Boolean) as unknown[][]).map((r) => r[5]).filter((v) => typeof v === 'string' && v !== '户主姓名');
  t.same(names, json.roster.map((e: { name: string }) => e.name), 'the roster, names as recorded');
  t.same(names, ['张三明', '李四', '欧阳德明'], 'the damaged households, not the undamaged one');

  // The page to print: its text byte for byte, and a screenshot.
  const html = await app.call('GET', `/incidents/${incidentId}/forms?stage=final&format=html&${at}`, { token: head });
  t.equal(html.statusCode, 200);
  if (!haveChromium()) return t.fail('chromium is needed for the printed page (apt-get install chromium)');
  const browser = await launchBrowser();
  t.teardown(() => browser.close());
  const page = await browser.newPage({ viewport: { width: 1123, height: 794 } });
  await page.setContent(html.body);
  golden(t, 'forms-final.txt', `${await page.innerText('body')}\n`);
  mkdirSync(ARTIFACTS, { recursive: true });
  await page.screenshot({ path: join(ARTIFACTS, 'forms-final.png'), fullPage: true });
  t.ok(existsSync(join(ARTIFACTS, 'forms-final.png')), 'a screenshot of the printed page');
});

t.test('a submission already sent prints as it was sent, not as the figures stand now (found by a newcomer)', async (t) => {
  let now = new Date('2026-07-02T01:00:00.000Z');
  const app = await startTestApp(t, { now: () => now });
  const head = app.token('head', KANG, 'head-kang');
  const officer = app.token('officer', WANGBA, 'officer-wangba');
  const incidentId = (await app.call('POST', '/incidents', { token: head, body: { county: KANG, hazard: 'flash_flood', startedAt: '2026-07-01T20:00:00+08:00', title: '7·1 山洪' } })).json().incidentId as string;
  const reportId = (await app.call('POST', '/reports', { token: app.token('contact', LIJIA), body: { village: LIJIA, hazard: 'flash_flood', observedAt: '2026-07-01T21:00:00+08:00', reporter: { name: '报告人', phone: '13800000000' }, estimate: { affectedPeople: 40 } } })).json().reportId;
  await app.call('POST', `/incidents/${incidentId}/links`, { token: head, body: { reportId } });
  await app.call('POST', `/reports/${reportId}/verifications`, { token: officer, body: { figures: { affectedPeople: 38 }, households: [{ householdId: '007', name: '张三明', damage: 'collapsed', people: 4 }, { householdId: '012', name: '李四', damage: 'severe', people: 3 }], method: '入户核查' } });
  const allocate = (id: string, name: string) => app.call('POST', '/allocations', { token: officer, body: allocationBody(reportId, { household: { id, name }, cashFen: 100_000, goods: [] }) });
  t.equal((await allocate('007', '张三明')).statusCode, 201);

  const draft = (await app.call('GET', `/incidents/${incidentId}/draft?stage=initial&position=${await app.logSize()}`, { token: head })).json();
  t.notOk(draft.submitted, 'before it is sent: a draft');
  const sent = await app.call('POST', `/incidents/${incidentId}/submissions`, { token: head, body: { stage: 'initial', fromDraft: true, position: draft.asOf } });
  t.equal(sent.statusCode, 200, sent.body);
  now = new Date('2026-07-02T05:00:00.000Z');
  t.equal((await allocate('012', '李四')).statusCode, 201, 'more relief after the 初报 went upward');
  const at = `position=${await app.logSize()}`;

  const asSent = (await app.call('GET', `/incidents/${incidentId}/draft?stage=initial&${at}`, { token: head })).json();
  t.match(asSent, { stage: 'initial', submitted: { index: 1, source: 'draft', at: '2026-07-02T01:00:00.000Z' }, relief: { cashAllocatedFen: 100_000, households: 1 } }, 'the 初报 once sent: as it was sent');
  t.same((await app.call('GET', `/incidents/${incidentId}/draft?submission=1&${at}`, { token: head })).json().relief, asSent.relief, 'the same by its number');
  const html = (await app.call('GET', `/incidents/${incidentId}/forms?stage=initial&format=html&${at}`, { token: head })).body;
  t.match(html, /已报送（第 1 次报送，2026-07-02 09:00 北京时间）/, 'the printed form says it was sent, and when');
  t.match(html, /已分配救助资金<\/td><td class="num">0\.100000</, 'with the money sent: 0.1 万元 (1,000 元), not the 0.2 of now');
  const daily = (await app.call('GET', `/incidents/${incidentId}/draft?stage=daily&${at}`, { token: head })).json();
  t.match(daily, { relief: { cashAllocatedFen: 200_000, households: 2 } }, 'the next 续报 is a draft of now');
  t.notOk(daily.submitted);

  const byHand = await app.call('POST', `/incidents/${incidentId}/submissions`, { token: head, body: { stage: 'daily', figures: { affectedPeople: 39 }, asOf: '2026-07-02T12:00:00+08:00', explanation: '房屋数字待核' } });
  t.equal(byHand.statusCode, 200, byHand.body);
  const typed = (await app.call('GET', `/incidents/${incidentId}/draft?submission=2&position=${await app.logSize()}`, { token: head })).json();
  t.match(typed, { stage: 'daily', submitted: { index: 2, source: 'hand', asOf: '2026-07-02T04:00:00.000Z' }, total: { figures: { affectedPeople: 39 } } }, 'a 续报 typed by hand: its figures as typed');
  t.notOk(typed.relief, 'and no relief figures, which it did not send');
  const missing = await app.call('GET', `/incidents/${incidentId}/draft?submission=3`, { token: head });
  t.equal(missing.statusCode, 404, 'a submission not sent');
  t.equal((await app.call('GET', `/incidents/${incidentId}/draft?stage=initial&submission=2`, { token: head })).statusCode, 404, 'a number that is not of that stage');
});
