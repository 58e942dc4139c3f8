import t from 'tap';
import { SqliteEventStore } from '../../infra/eventstore/sqlite.js';
import { KANG, NIANBA, WANGBA, ZHUJIAGOU, startTestApp, verifiedReport } from '../support/app.js';

t.test('GET /audit/verify recomputes the chains in scope and names the first break', async (t) => {
  const app = await startTestApp(t);
  const reportId = await verifiedReport(app);
  await verifiedReport(app, ZHUJIAGOU);
  const auditor = app.token('auditor', KANG);
  const all = await app.call('GET', '/audit/verify', { token: auditor });
  t.equal(all.statusCode, 200);
  t.match(all.json(), { ok: true, streams: 4, events: 8 }, 'two reports and two rosters, two events each');
  const township = await app.call('GET', `/audit/verify?unit=${WANGBA}`, { token: auditor });
  t.match(township.json(), { ok: true, streams: 2 });
  t.equal((await app.call('GET', `/audit/verify?unit=${WANGBA}`, { token: app.token('auditor', NIANBA) })).statusCode, 403);
  t.equal((await app.call('GET', '/audit/verify', { token: app.token('head', KANG) })).statusCode, 403, 'auditors only');

  // Someone with the file edits a verified figure behind zhitong's back.
  const db = (app.store as SqliteEventStore).database;
  db.exec('DROP TRIGGER events_no_update');
  db.prepare(`UPDATE events SET record = replace(record, '"affectedPeople":9', '"affectedPeople":90') WHERE stream = ? AND revision = 1`).run(`report-${reportId}`);
  const broken = await app.call('GET', '/audit/verify', { token: auditor });
  t.match(broken.json(), { ok: false, firstBreak: { stream: `report-${reportId}`, revision: 1, reason: 'hash_mismatch' } });
});
