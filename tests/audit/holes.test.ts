import t, { type Test } from 'tap';
import { randomUUID } from 'node:crypto';
import { allocationBody, KANG, LIJIA, reportBody, startTestApp, WANGBA } from '../support/app.js';
import { rows, world, type World } from '../support/audit-world.js';
import { AlertClient } from '../support/ws-client.js';

/**
 * Found by a newcomer: with a report's verification deleted from the SQLite file, GET /reports/:id
 * read `verified: null` with nothing to say its history had a hole, and commands were decided on
 * what was left. A view now says where the chain breaks; a decision on it is refused (409
 * stream_damaged, naming the record and the revision: waiting will not mend it) and nothing is
 * written (SPEC §8), while a fact from the field is recorded with a warning. Each node reads the
 * file afresh: a second one is started on it after the deletion.
 */

const typeOf = (record: string) => (JSON.parse(record) as { type: string }).type;

/** The world, with the first event of `type` in `stream` deleted from the file, and a node started on it afterwards. */
async function withDeleted(t: Test, stream: (w: World) => string, type: string) {
  const w = await world(t);
  const gone = rows(w, stream(w)).find((r) => typeOf(r.record) === type)!;
  t.ok(gone, `the world has a ${type} to delete`);
  w.db.prepare('DELETE FROM events WHERE position = ?').run(gone.position);
  const app = await startTestApp(t, { dataDir: w.env.DATA_DIR!, env: { AUDIT_SIGNING_KEY_FILE: w.keyFile } });
  return { w, app, gone, stream: stream(w), officer: app.token('officer', WANGBA, 'officer-1') };
}

t.test('a report whose verification was deleted: the view says so, a command is refused', async (t) => {
  const { w, app, gone: verification, stream, officer } = await withDeleted(t, (w) => `report-${w.reportId}`, 'DamageVerified');

  const view = await app.call('GET', `/reports/${w.reportId}`, { token: officer });
  t.equal(view.statusCode, 200, 'still readable: what is left is shown');
  const missing = verification.revision;
  t.match(view.json(), {
    intact: false,
    damage: { revision: missing + 1, missingRevisions: [missing, missing], problem: new RegExp(`^这条之前缺少修订号 ${missing} 的事件：被删除或移走了`) },
  });
  const english = await app.call('GET', `/reports/${w.reportId}`, { token: officer, headers: { 'accept-language': 'en' } });
  t.match(english.json().damage.problem, new RegExp(`^revision ${missing} is missing before this event: deleted or moved`), 'in English on request');

  const before = rows(w, stream).length;
  const refused = await app.call('POST', `/reports/${w.reportId}/dismissal`, { token: officer, body: { reason: 'false_alarm' } });
  t.equal(refused.statusCode, 409, refused.body);
  t.equal(refused.headers['retry-after'], undefined, 'no Retry-After: waiting does not mend it (found by a newcomer)');
  t.match(refused.json(), { error: 'stream_damaged', message: new RegExp(`^报告（${w.reportId}）在存储中已损坏.*急事不要等：先打电话处理，恢复后再补录$`), details: { record: { kind: 'report', id: w.reportId }, revision: missing + 1, missingRevisions: [missing, missing], problem: /缺少修订号/ } });
  t.equal(rows(w, stream).length, before, 'nothing written');
  // A new allocation on it says the same, not "verify it first" (found by a newcomer: 422 not_verified).
  const allocation = await app.call('POST', '/allocations', { token: officer, body: allocationBody(w.reportId, { household: { id: 'hh-9', name: '赵九' } }) });
  t.match([allocation.statusCode, allocation.json()], [409, { error: 'stream_damaged', details: { revision: missing + 1 } }]);

  // Facts from the field are still recorded, each told of the hole (found by a newcomer: a report
  // whose alert was deleted escalated for ever, every acknowledgement refused). What decides relief
  // or ends the record waits for the restore.
  const other = app.token('officer', WANGBA, 'officer-2');
  const facts: Array<[string, unknown]> = [
    ['acknowledgements', {}],
    ['dispatches', { eta: '2026-07-01T12:00:00+08:00' }],
    ['arrivals', {}],
    ['amendments', { notes: '又有一户房屋开裂' }],
  ];
  for (const [path, body] of facts) {
    const before = rows(w, stream).length;
    const fact = await app.call('POST', `/reports/${w.reportId}/${path}`, { token: other, body });
    t.equal(fact.statusCode, 200, `${path}: ${fact.body}`);
    t.match(fact.json().warnings, [{ code: 'stream_damaged', revision: missing + 1, message: /^已记录。但这条记录的历史在存储中有缺损（这条之前缺少修订号/ }], `${path}: recorded, and told of the hole`);
    t.equal(rows(w, stream).length, before + 1, `${path}: written`);
  }
  const factEnglish = (await app.call('POST', `/reports/${w.reportId}/amendments`, { token: other, body: { notes: '路已通' }, headers: { 'accept-language': 'en' } })).json();
  t.match(factEnglish.warnings, [{ code: 'stream_damaged', message: /^recorded; but this record's history is damaged in the store \(revision/ }]);
  const verifying = await app.call('POST', `/reports/${w.reportId}/verifications`, { token: other, body: { figures: {}, households: [], method: '入户核查' } });
  t.match([verifying.statusCode, verifying.json().error], [409, 'stream_damaged'], 'a verification decides relief: refused');

  // The phone's acknowledgement on the alert socket is the same fact (it answered `unavailable:
  // send it again`, for ever).
  const url = await app.app.listen({ port: 0, host: '127.0.0.1' });
  const phone = await AlertClient.connect(url, officer);
  t.teardown(() => phone.close());
  await phone.next((f) => f.type === 'hello');
  phone.send({ type: 'ack', reportId: w.reportId });
  const answer = await phone.next((f) => f.type === 'acknowledged' || f.type === 'error');
  t.match(answer, { type: 'acknowledged', reportId: w.reportId }, 'acknowledged on the socket too');

  // Nor linked to an incident (it decides the one-incident rule on the report's history); the
  // refusal names the report, not the incident (found by a newcomer: "this record"). The 初报 of the
  // incident left without it goes, and says it rests on no report (found by the same: all zeros, unremarked).
  const head = app.token('head', KANG);
  const opened = await app.call('POST', '/incidents', { token: head, body: { county: KANG, hazard: 'landslide', startedAt: '2026-07-01T02:00:00Z', title: '李家村滑坡' } });
  t.equal(opened.statusCode, 201, opened.body);
  const incidentId = opened.json().incidentId as string;
  const link = await app.call('POST', `/incidents/${incidentId}/links`, { token: head, body: { reportId: w.reportId } });
  t.match([link.statusCode, link.json()], [409, { error: 'stream_damaged', message: new RegExp(`^报告（${w.reportId}）在存储中已损坏`), details: { record: { kind: 'report', id: w.reportId } } }]);
  const draft = (await app.call('GET', `/incidents/${incidentId}/draft`, { token: head })).json();
  const sent = await app.call('POST', `/incidents/${incidentId}/submissions`, { token: head, body: { stage: 'initial', fromDraft: true, position: draft.asOf } });
  t.equal(sent.statusCode, 200, sent.body);
  t.match(sent.json().warnings, [{ code: 'no_reports', message: /^已报送，但这次报送不含任何报告的数字.*所有数字都是 0/ }]);

  // Nor is it named as a later report's original (found by a newcomer: accepted, and the report
  // tied to one whose own dismissal or merger may be what was deleted). The refusal says which.
  const later = await app.call('POST', '/reports', { token: app.token('contact', LIJIA), body: reportBody() });
  t.equal(later.statusCode, 201, later.body);
  const laterId = later.json().reportId as string;
  const laterRows = rows(w, `report-${laterId}`).length;
  const asDuplicate = await app.call('POST', `/reports/${laterId}/dismissal`, { token: officer, body: { reason: 'duplicate', duplicateOf: w.reportId } });
  t.equal(asDuplicate.statusCode, 409, asDuplicate.body);
  t.match(asDuplicate.json(), {
    error: 'stream_damaged',
    message: new RegExp(`^被指为原报告的那份报告（${w.reportId}）在存储中已损坏.*不能把别的报告标为它的重复`),
    details: { field: 'duplicateOf', reportId: w.reportId, revision: missing + 1, problem: /缺少修订号/ },
  });
  t.equal(rows(w, `report-${laterId}`).length, laterRows, 'the later report is left as it was');
  const inEnglish = await app.call('POST', `/reports/${laterId}/dismissal`, { token: officer, body: { reason: 'duplicate', duplicateOf: w.reportId }, headers: { 'accept-language': 'en' } });
  t.match(inEnglish.json().message, /^the report named in duplicateOf \(.*\) is damaged in the store/);
  const otherwise = await app.call('POST', `/reports/${laterId}/dismissal`, { token: officer, body: { reason: 'false_alarm' } });
  t.equal(otherwise.statusCode, 200, 'dismissed for another reason, it goes through');
});

t.test('an allocation whose approval was deleted: no delivery is decided on it', async (t) => {
  const { w, app, gone: approval, stream, officer } = await withDeleted(t, (w) => `allocation-${w.allocationId}`, 'AllocationApproved');

  const view = await app.call('GET', `/allocations/${w.allocationId}`, { token: officer });
  t.equal(view.statusCode, 200);
  t.match(view.json(), { intact: false, damage: { revision: approval.revision + 1, missingRevisions: [approval.revision, approval.revision] } });
  const before = rows(w, stream).length;
  const delivery = await app.call('POST', `/allocations/${w.allocationId}/deliveries`, {
    token: officer,
    body: { deliveryId: randomUUID(), cashFen: 100, goods: [], confirmation: { method: 'thumbprint', reference: 'photo-2' } },
  });
  t.equal(delivery.statusCode, 409, delivery.body);
  t.match(delivery.json(), { error: 'stream_damaged' });
  t.equal(rows(w, stream).length, before, 'nothing written');

  // Streams left whole say nothing of it.
  const whole = await app.call('GET', `/reports/${w.reportId}`, { token: officer });
  t.equal(whole.statusCode, 200);
  t.equal(whole.json().intact, undefined, 'a whole report carries no integrity words');
});
