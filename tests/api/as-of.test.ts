import t from 'tap';
import { KANG, LIJIA, WANGBA, reportBody, startTestApp } from '../support/app.js';

/**
 * Points in time and in the log asked for in a query (SPEC §4 `asOf`, `since`), as a county clerk
 * types them. Found by a newcomer (session 31): `asOf=2030-01-01` and a position past the end of
 * the log were answered with today's tally under the later label, and `asOf=2026-12-03` was
 * refused although a date is what a statistics clerk writes (截至 12 月 3 日).
 */

/** Beijing 10:00 on 30 June, then exactly Beijing midnight, then Beijing 10:00 on 1 July. */
const FILED = ['2026-06-30T02:00:00.000Z', '2026-06-30T16:00:00.000Z', '2026-07-01T02:00:00.000Z'];
const NOW = '2026-07-02T04:00:00.000Z';

async function world(t: Parameters<typeof startTestApp>[0]) {
  let now = FILED[0]!;
  const app = await startTestApp(t, { now: () => new Date(now) });
  const ids: string[] = [];
  const positions: string[] = [];
  for (const [i, at] of FILED.entries()) {
    now = at;
    const res = await app.call('POST', '/reports', { token: app.token('contact', LIJIA), body: reportBody({ observedAt: at, estimate: { affectedPeople: 10 ** i } }) });
    t.equal(res.statusCode, 201, res.body);
    ids.push(res.json().reportId);
    positions.push(res.json().position);
  }
  now = NOW;
  return { app, ids, positions, head: app.token('head', KANG) };
}

t.test('a date alone: for asOf the whole of that Beijing day, for since from its midnight', async (t) => {
  const { app, ids, positions, head } = await world(t);
  const june30 = (await app.call('GET', `/tallies?unit=${KANG}&asOf=2026-06-30`, { token: head })).json();
  t.same(june30.asOf, { requested: '2026-06-30T15:59:59.999Z', requestedLocal: '2026-06-30T23:59:59+08:00', position: positions[0], at: FILED[0], atLocal: '2026-06-30T10:00:00+08:00' }, 'up to the last millisecond of 30 June in Beijing, and it says so');
  t.equal(june30.reported.affectedPeople, 1, 'the report filed at Beijing midnight belongs to 1 July');
  const july1 = (await app.call('GET', `/tallies?unit=${KANG}&asOf=2026-07-01`, { token: head })).json();
  t.equal(july1.reported.affectedPeople, 111, 'all three by the end of 1 July');
  const since = (await app.call('GET', `/reports?unit=${WANGBA}&since=2026-07-01`, { token: head })).json();
  t.same(since.items.map((r: { reportId: string }) => r.reportId), [ids[2], ids[1]], 'since 1 July: from Beijing midnight, newest first');
  for (const [query, field] of [
    ['/tallies?asOf=2026-02-30', 'querystring.asOf'],
    ['/reports?since=2026-13-01', 'querystring.since'],
  ] as const) {
    const res = await app.call('GET', query, { token: head });
    t.equal(res.statusCode, 400, `${query}: a day that does not exist`);
    t.same(res.json().details.map((d: { path: string }) => d.path), [field]);
  }
});

t.test('sweep: every asOf the log has not reached yet is refused, naming the field, in Chinese; the ones it has reached are answered', async (t) => {
  const { app, positions, head } = await world(t);
  const last = positions.at(-1)!;
  const refused = [
    ['2026-07-03', 'a date still to come'],
    ['2026-07-02', 'today (截至今天): its end is still to come'],
    ['2026-07-02T12:00:01+08:00', 'a second from now, Beijing time'],
    ['2026-07-02T04:00:01Z', 'a second from now, UTC'],
    ['2030-01-01T00:00:00', 'years ahead'],
    [String(Number(last) + 1), 'the position after the head'],
    ['99', 'a position far past the head, unpadded'],
    ['0000000000000099', 'the same, padded'],
  ] as const;
  for (const [asOf, why] of refused) {
    const res = await app.call('GET', `/tallies?unit=${KANG}&asOf=${encodeURIComponent(asOf)}`, { token: head });
    t.equal(res.statusCode, 400, `${asOf} (${why}): 400`);
    const body = res.json();
    t.equal(body.error, 'validation');
    t.same(body.details.map((d: { path: string }) => d.path), ['querystring.asOf'], `${asOf}: names the field`);
    t.match(body.details[0].message, /还没到|还没过完|超出日志末尾/, `${asOf}: says why, in Chinese`);
  }
  const today = (await app.call('GET', `/tallies?unit=${KANG}&asOf=2026-07-02`, { token: head })).json();
  t.match(today.details[0].message, /这一天（北京时间）还没过完.*去掉 asOf/, 'today’s date: the day is not over yet, and what to ask instead');
  const english = (await app.call('GET', `/tallies?unit=${KANG}&asOf=2030-01-01`, { token: head, headers: { 'accept-language': 'en' } })).json();
  t.match(english.details[0].message, /still to come/, 'in English on request');
  const garbage = (await app.call('GET', `/tallies?unit=${KANG}&asOf=yesterday`, { token: head })).json();
  t.match(garbage.details[0].message, /须为时间（如 .*或日期 .*）或日志位置/, 'a form it cannot read: what to write instead, with examples');
  for (const [asOf, position] of [
    [last, last],
    [String(Number(last)), last],
    ['2026-07-02T12:00:00+08:00', last],
    ['2026-07-01', last],
    ['2026-07-02 12:00', last],
    ['2026-07-02T12:00:00+0800', last],
  ] as const) {
    const res = await app.call('GET', `/tallies?unit=${KANG}&asOf=${encodeURIComponent(asOf)}`, { token: head });
    t.equal(res.statusCode, 200, `${asOf}: reached, answered`);
    t.equal(res.json().asOf.position, position, `${asOf}: up to the head`);
  }
});

t.test('a time as a spreadsheet or a phone writes it is read as meant; a refusal in English says what to write', async (t) => {
  const app = await startTestApp(t, { now: () => new Date(NOW) });
  const contact = app.token('contact', LIJIA);
  for (const [written, stored] of [
    ['2026-07-02 11:40', '2026-07-02T03:40:00.000Z'],
    ['2026-07-02 11:40:30', '2026-07-02T03:40:30.000Z'],
    ['2026-07-02T11:40', '2026-07-02T03:40:00.000Z'],
    ['2026-07-02T11:40:00+0800', '2026-07-02T03:40:00.000Z'],
    ['2026-07-02T03:40Z', '2026-07-02T03:40:00.000Z'],
  ] as const) {
    const res = await app.call('POST', '/reports', { token: contact, body: reportBody({ observedAt: written, notes: `写作 ${written}` }) });
    t.equal(res.statusCode, 201, `${written}: ${res.body}`);
    const [filed] = await app.store.readStream(`report-${res.json().reportId}`);
    t.equal((filed!.data as { observedAt: string }).observedAt, stored, `${written} → ${stored}`);
  }
  const en = await app.call('POST', '/reports', { token: contact, body: reportBody({ observedAt: 'garbage' }), headers: { 'accept-language': 'en' } });
  t.equal(en.statusCode, 400);
  t.same(en.json().details, [{ path: 'body.observedAt', message: 'must be a time, e.g. 2026-07-01T11:40:00+08:00' }], 'not zod’s "Invalid ISO datetime"');
  const empty = await app.call('GET', `/tallies?unit=${KANG}&asOf=`, { token: app.token('head', KANG), headers: { 'accept-language': 'en' } });
  t.equal(empty.statusCode, 400);
  t.same(empty.json().details.map((d: { message: string }) => d.message), ['empty']);
});

t.test('what a clerk types into an address bar: a hazard by its Chinese name, a + that arrived as a space (found by a newcomer)', async (t) => {
  const app = await startTestApp(t, { now: () => new Date(NOW) });
  const head = app.token('head', KANG);
  const filed = await app.call('POST', '/reports', { token: app.token('contact', LIJIA), body: reportBody({ hazard: '滑坡', observedAt: '2026-07-02T09:00:00+08:00' }) });
  t.equal(filed.statusCode, 201);
  const at = `position=${filed.json().position}`;
  const byLabel = await app.call('GET', `/tallies?unit=${KANG}&hazard=${encodeURIComponent('滑坡')}&${at}`, { token: head });
  t.equal(byLabel.statusCode, 200, byLabel.body);
  t.same(byLabel.json().reports.byStatus, (await app.call('GET', `/tallies?unit=${KANG}&hazard=landslide&${at}`, { token: head })).json().reports.byStatus, 'the same tally as by its name');
  t.equal((await app.call('GET', `/reports?unit=${KANG}&hazard=${encodeURIComponent('山洪')}&${at}`, { token: head })).json().items.length, 0, 'the list too: no flash flood here');
  const plus = await app.call('GET', `/tallies?unit=${KANG}&asOf=2026-07-02T12:00:00+08:00&${at}`, { token: head });
  t.equal(plus.statusCode, 200, `${plus.body}`);
  t.equal(plus.json().asOf.requested, '2026-07-02T04:00:00.000Z', 'an unencoded + (a space once decoded) read as the offset it was');
});
