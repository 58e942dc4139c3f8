import { randomUUID } from 'node:crypto';
import t from 'tap';
import { LIJIA, WANGBA, reportBody, startTestApp, verificationBody } from '../support/app.js';

/**
 * An id is a value, not a spelling (issue 17): a phone that sends its report id in upper case and
 * retries in lower case files one report, and every route finds it by either. The nil and max UUIDs
 * name nothing (and EventStoreDB cannot store them): 400 naming the field.
 */
t.test('a report id in upper case is the same report in lower case, on every route that takes it', async (t) => {
  const app = await startTestApp(t);
  const contact = app.token('contact', LIJIA);
  const officer = app.token('officer', WANGBA, 'officer-wangba-1');
  const id = randomUUID();
  const first = await app.call('POST', '/reports', { token: contact, body: reportBody({ reportId: id.toUpperCase() }) });
  t.equal(first.statusCode, 201);
  t.equal(first.json().reportId, id, 'answered in lower case');
  const again = await app.call('POST', '/reports', { token: contact, body: reportBody({ reportId: id }) });
  t.equal(again.statusCode, 200, 'the retry in lower case is the same report');
  t.equal((await app.store.readStream(`report-${id}`)).filter((e) => e.type === 'ReportFiled').length, 1);
  t.same(await app.store.readStream(`report-${id.toUpperCase()}`), [], 'no second stream spelled in capitals');
  t.equal((await app.call('GET', `/reports/${id.toUpperCase()}`, { token: officer })).statusCode, 200);
  t.equal((await app.call('POST', `/reports/${id.toUpperCase()}/verifications`, { token: officer, body: verificationBody() })).statusCode, 200);
  const list = (await app.call('GET', `/allocations?report=${id.toUpperCase()}`, { token: officer })).statusCode;
  t.equal(list, 200);
});

t.test('the nil and max UUIDs are refused as ids, naming the field', async (t) => {
  const app = await startTestApp(t);
  const contact = app.token('contact', LIJIA);
  for (const bad of ['00000000-0000-0000-0000-000000000000', 'FFFFFFFF-FFFF-FFFF-FFFF-FFFFFFFFFFFF']) {
    const res = await app.call('POST', '/reports', { token: contact, body: reportBody({ reportId: bad }) });
    t.equal(res.statusCode, 400, bad);
    t.match(JSON.stringify(res.json().details), /reportId/);
  }
});
