import t from 'tap';
import type { RecordedEvent } from '../../infra/eventstore/types.js';
import { LIJIA, reportBody } from '../support/app.js';
import { expectNamed, rows, world } from '../support/audit-world.js';

/**
 * Issue 14: someone with the SQLite file changes history behind zhitong's back, in each of the
 * ways an auditor must catch; verification over HTTP, by the CLI on the store and by the CLI on an
 * export with no store names each one.
 */

t.test('an event\u2019s data edited', async (t) => {
  const w = await world(t);
  w.db.prepare(`UPDATE events SET record = replace(record, '"affectedPeople":9', '"affectedPeople":90') WHERE stream = ? AND revision = 2`).run(`report-${w.reportId}`);
  await expectNamed(t, w, 'edited', { stream: `report-${w.reportId}`, revision: 2, message: /被改动/ });
  // The history an auditor reads marks it too (found by a newcomer: it showed 90 with nothing beside it).
  const history = (await w.app.call('GET', `/reports/${w.reportId}/history`, { token: w.app.token('auditor', '620000000000') })).json() as { items: Array<{ revision: number; intact: boolean }> };
  t.same(history.items.filter((e) => !e.intact).map((e) => e.revision), [2], 'its history marks the edited event, and only it');
  t.match(history.items.find((e) => !e.intact), { problem: /^这条事件的内容与它记录的哈希不符：它被改动过/ }, 'and says why');
});

t.test('an event deleted from the middle of a stream: the history marks where the chain breaks', async (t) => {
  const w = await world(t);
  w.db.prepare('DELETE FROM events WHERE stream = ? AND revision = 1').run(`report-${w.reportId}`);
  const history = (await w.app.call('GET', `/reports/${w.reportId}/history`, { token: w.app.token('auditor', '620000000000') })).json() as { items: Array<{ revision: number; intact: boolean }> };
  t.same(history.items.filter((e) => !e.intact).map((e) => e.revision), [2], 'the event after the gap');
  // Found by a newcomer: intact false alone did not say which revision was missing.
  t.match(history.items.find((e) => !e.intact), { problem: /^这条之前缺少修订号 1 的事件：被删除或移走了。GET \/audit\/verify/, missingRevisions: [1, 1] }, 'and which revision is missing before it');
  const english = (await w.app.call('GET', `/reports/${w.reportId}/history`, { token: w.app.token('auditor', '620000000000'), headers: { 'accept-language': 'en' } })).json() as { items: Array<{ intact: boolean; problem?: string }> };
  t.match(english.items.find((e) => !e.intact)?.problem, /^revision 1 is missing before this event: deleted or moved/, 'in English on request');
});

t.test('an event deleted from the middle of a stream: one problem, with the position it left empty', async (t) => {
  const w = await world(t);
  const gone = rows(w, `report-${w.reportId}`)[1]!;
  w.db.prepare('DELETE FROM events WHERE position = ?').run(gone.position);
  // Found by a newcomer: one deletion read as two problems, the gap "of no known unit, perhaps outside your scope".
  const reports = await expectNamed(t, w, 'deleted', {
    stream: `report-${w.reportId}`,
    revision: 1,
    unit: LIJIA,
    position: String(gone.position).padStart(16, '0'),
    message: new RegExp(`缺少第 2 条事件（修订号 1，原在位置 ${gone.position}）：被删除$`),
    messageEn: new RegExp(`revision 1 \\(position ${gone.position}\\) is missing: deleted$`),
  });
  for (const report of reports) t.same(report.problems.map((p) => p.kind), ['deleted'], 'and nothing else: the gap is that event');
});

t.test('events of two streams deleted: each said once, with its stream where that is certain, else as a gap', async (t) => {
  const w = await world(t);
  const a = rows(w, `report-${w.reportId}`)[1]!;
  const b = rows(w, `allocation-${w.allocationId}`)[1]!;
  w.db.prepare('DELETE FROM events WHERE position IN (?, ?)').run(a.position, b.position);
  for (const report of await expectNamed(t, w, 'deleted', { stream: `report-${w.reportId}` })) {
    const deleted = report.problems.filter((p) => p.kind === 'deleted');
    t.same(deleted.map((p) => p.stream).sort(), [`allocation-${w.allocationId}`, `report-${w.reportId}`].sort(), 'both streams name their missing revision');
    const placed = deleted.filter((p) => p.position !== undefined);
    for (const p of placed) t.equal(p.position, String((p.stream === `report-${w.reportId}` ? a : b).position).padStart(16, '0'), `${p.stream} is placed at its own position`);
    const unplaced = report.problems.filter((p) => p.kind === 'position_gap').reduce((n, g) => n + Number(/的 (\d+) 条事件/.exec(g.message)?.[1] ?? 1), 0);
    t.equal(placed.length + unplaced, 2, 'every missing position is said once: with its stream, or as a gap');
  }
});

t.test('a gap no stream explains is still a gap, of no known unit', async (t) => {
  const w = await world(t);
  // A report filed after the last seal and deleted whole, a later one kept: no chain and no seal shows it, only the positions.
  const contact = w.app.token('contact', LIJIA);
  const filed = await w.app.call('POST', '/reports', { token: contact, body: reportBody({ hazard: 'flash_flood' }) });
  t.equal(filed.statusCode, 201, filed.body);
  const gone = filed.json().reportId as string;
  t.equal((await w.app.call('POST', '/reports', { token: contact, body: reportBody({ hazard: 'hail' }) })).statusCode, 201);
  w.db.prepare('DELETE FROM events WHERE stream = ?').run(`report-${gone}`);
  const [http, onStore] = await expectNamed(t, w, 'position_gap');
  t.match(http!.problems.find((p) => p.kind === 'position_gap')!.message, /可能在您的辖区以外/, 'an auditor of a scope is told a gap may be outside it');
  t.notMatch(onStore!.problems.find((p) => p.kind === 'position_gap')!.message, /辖区/, 'the whole log, verified on the store, has no scope to speak of');
});

t.test('a stream\u2019s tail deleted: the delivery, so the money could be paid again', async (t) => {
  const w = await world(t);
  const last = rows(w, `allocation-${w.allocationId}`).at(-1)!;
  t.match(last.record, /GoodsDelivered/);
  w.db.prepare('DELETE FROM events WHERE position = ?').run(last.position);
  // Where, in words an auditor can take to the township: the village by the register's names, then its code.
  const reports = await expectNamed(t, w, 'tail_removed', { stream: `allocation-${w.allocationId}`, unit: LIJIA, message: /^甘肃省陇南市康县（示例）王坝镇（示例）李家村（示例）（621299103201）：allocation-\S+ 末尾被删除/, messageEn: /^甘肃省陇南市康县（示例）王坝镇（示例）李家村（示例） \(621299103201\): allocation-\S+: its tail was removed/ });
  // And where it was, so the gap it left is not a second problem "of no known unit".
  for (const report of reports) {
    t.match(report.problems.find((p) => p.kind === 'tail_removed'), { message: new RegExp(`；被删除的事件原在位置 ${last.position}$`), messageEn: new RegExp(`; the events removed were at position ${last.position}$`) });
    t.notOk(report.problems.some((p) => p.kind === 'position_gap'), 'no gap said besides');
  }
});

t.test('a whole stream deleted: the dismissed report', async (t) => {
  const w = await world(t);
  const positions = rows(w, `report-${w.dismissedId}`).map((r) => r.position);
  w.db.prepare('DELETE FROM events WHERE stream = ?').run(`report-${w.dismissedId}`);
  const reports = await expectNamed(t, w, 'stream_removed', { stream: `report-${w.dismissedId}`, unit: LIJIA, message: /李家村（示例）（621299103201）：report-\S+ 整条被删除/ });
  // Its positions are said with it when nothing else is missing in the stretch it spanned.
  for (const report of reports) t.match(report.problems.find((p) => p.kind === 'stream_removed')!.message, new RegExp(`；被删除的事件原在位置 ${positions.length > 1 ? `${positions[0]}\\D.*${positions.at(-1)}` : positions[0]}$`));
});

t.test('two events swapped', async (t) => {
  const w = await world(t);
  const [a, b] = rows(w, `report-${w.reportId}`).slice(1, 3);
  const swap = w.db.prepare('UPDATE events SET record = ?, revision = ? WHERE position = ?');
  w.db.transaction(() => {
    swap.run(b!.record, -1, a!.position);
    swap.run(a!.record, a!.revision, b!.position);
    swap.run(b!.record, b!.revision, a!.position);
  })();
  await expectNamed(t, w, 'reordered', { message: /顺序被调换/ });
  const history = (await w.app.call('GET', `/reports/${w.reportId}/history`, { token: w.app.token('auditor', '620000000000') })).json() as { items: Array<{ revision: number; intact: boolean; problem?: string }> };
  const broken = history.items.filter((e) => !e.intact);
  t.ok(broken.length > 0 && broken.every((e) => typeof e.problem === 'string' && e.problem.length > 0), 'its history marks the swapped events, each saying why');
});

t.test('a seal\u2019s root edited', async (t) => {
  const w = await world(t);
  const [seal] = rows(w, 'audit');
  const sealRoot = (JSON.parse(seal!.record) as RecordedEvent).data as { root: string };
  w.db.prepare('UPDATE events SET record = replace(record, ?, ?) WHERE position = ?').run(sealRoot.root, 'f'.repeat(64), seal!.position);
  await expectNamed(t, w, 'seal_edited', { message: /封存被改动/ });
});

t.test('a county auditor still sees a stream whose first event was deleted, or whose village was moved to another county', async (t) => {
  const w = await world(t);
  const county = w.app.token('auditor', '621299000000');
  const verify = async () => (await w.app.call('GET', '/audit/verify', { token: county })).json() as { ok: boolean; problems: Array<{ kind: string; stream?: string; revision?: number }> };
  w.db.prepare('DELETE FROM events WHERE stream = ? AND revision = 0').run(`report-${w.dismissedId}`);
  t.match((await verify()).problems, [{ kind: 'deleted', stream: `report-${w.dismissedId}`, revision: 0 }], 'placed by the seal, not by the event that is gone');
  // The report's village rewritten to another county's: the county of the seal still hears of it.
  w.db.prepare(`UPDATE events SET record = replace(record, '"village":"${LIJIA}"', '"village":"621225100201"') WHERE stream = ? AND revision = 0`).run(`report-${w.reportId}`);
  const after = await verify();
  t.ok(after.problems.some((p) => p.kind === 'edited' && p.stream === `report-${w.reportId}` && p.revision === 0), 'the edit is reported to the auditor of the original county');
  const other = (await w.app.call('GET', '/audit/verify', { token: w.app.token('auditor', '621225000000') })).json() as { problems: Array<{ stream?: string }> };
  t.notOk(other.problems.some((p) => p.stream === `report-${w.reportId}`), 'and not to the county it was moved to');
});
