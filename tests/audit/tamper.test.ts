import t from 'tap';
import type { RecordedEvent } from '../../infra/eventstore/types.js';
import { LIJIA } from '../support/app.js';
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
});

t.test('an event deleted from the middle of a stream: the history marks where the chain breaks', async (t) => {
  const w = await world(t);
  w.db.prepare('DELETE FROM events WHERE stream = ? AND revision = 1').run(`report-${w.reportId}`);
  const history = (await w.app.call('GET', `/reports/${w.reportId}/history`, { token: w.app.token('auditor', '620000000000') })).json() as { items: Array<{ revision: number; intact: boolean }> };
  t.same(history.items.filter((e) => !e.intact).map((e) => e.revision), [2], 'the event after the gap');
});

t.test('an event deleted from the middle of a stream', async (t) => {
  const w = await world(t);
  w.db.prepare('DELETE FROM events WHERE stream = ? AND revision = 1').run(`report-${w.reportId}`);
  await expectNamed(t, w, 'deleted', { stream: `report-${w.reportId}`, revision: 1, message: /被删除/ });
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
  await expectNamed(t, w, 'tail_removed', { stream: `allocation-${w.allocationId}`, unit: LIJIA, message: /^甘肃省陇南市康县（示例）王坝镇（示例）李家村（示例）（621299103201）：allocation-\S+ 末尾被删除/, messageEn: /^甘肃省陇南市康县（示例）王坝镇（示例）李家村（示例） \(621299103201\): allocation-\S+: its tail was removed/ });
});

t.test('a whole stream deleted: the dismissed report', async (t) => {
  const w = await world(t);
  w.db.prepare('DELETE FROM events WHERE stream = ?').run(`report-${w.dismissedId}`);
  await expectNamed(t, w, 'stream_removed', { stream: `report-${w.dismissedId}`, unit: LIJIA, message: /李家村（示例）（621299103201）：report-\S+ 整条被删除/ });
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
