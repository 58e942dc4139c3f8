import { randomUUID } from 'node:crypto';
import t from 'tap';
import { ZodError } from 'zod';
import { streams } from '../../domain/events.js';
import { reportDecider } from '../../domain/report.js';
import { findIllFormedText, normalizeNewlines } from '../../domain/text.js';
import { KANG, LIJIA, WANGBA, allocationBody, reportBody, seedObjects, startTestApp, verificationBody } from '../support/app.js';

/** Issue 9 I: text is well-formed everywhere (SPEC §9). */

/** Every string in `value`, with its dotted path. */
function stringLeaves(value: unknown, path: string[] = []): string[][] {
  if (typeof value === 'string') return [path];
  if (Array.isArray(value)) return value.flatMap((v, i) => stringLeaves(v, [...path, String(i)]));
  if (value && typeof value === 'object') return Object.entries(value).flatMap(([k, v]) => stringLeaves(v, [...path, k]));
  return [];
}
function replaceAt(value: unknown, path: string[], text: string): unknown {
  if (path.length === 0) return text;
  const [head, ...rest] = path;
  if (Array.isArray(value)) return value.map((v, i) => (String(i) === head ? replaceAt(v, rest, text) : v));
  return { ...(value as object), [head!]: replaceAt((value as Record<string, unknown>)[head!], rest, text) };
}

t.test('sweep: every text field of every request body given a lone surrogate, a control character, a direction override or only invisible characters → 400 naming it, nothing written', async (t) => {
  const app = await startTestApp(t);
  const { reportId, allocationId, incidentId } = await seedObjects(app);
  const head = app.token('head', KANG, 'head-sweep');
  const admin = app.token('admin', KANG, 'admin-sweep');
  const routes: Array<{ method: 'POST' | 'PUT' | 'PATCH'; route: string; path: string; body: unknown; token?: string }> = [
    { method: 'POST', route: '/reports', path: '/reports', body: reportBody({ reportId: randomUUID(), group: '三组', notes: '后山', location: { lat: 33.3, lon: 105.6 } }) },
    { method: 'POST', route: '/reports/:id/amendments', path: `/reports/${reportId}/amendments`, body: { estimate: { dead: 1 }, directions: '沿河', notes: '续报' } },
    { method: 'POST', route: '/reports/:id/dispatches', path: `/reports/${reportId}/dispatches`, body: { eta: '2026-01-01T02:00:00Z' } },
    { method: 'POST', route: '/reports/:id/verifications', path: `/reports/${reportId}/verifications`, body: verificationBody({ notes: '入户' }) },
    { method: 'POST', route: '/reports/:id/dismissal', path: `/reports/${reportId}/dismissal`, body: { reason: 'duplicate', duplicateOf: randomUUID(), notes: '重复' } },
    { method: 'POST', route: '/reports/:id/closure', path: `/reports/${reportId}/closure`, body: { summary: '完毕' } },
    { method: 'POST', route: '/allocations', path: '/allocations', body: allocationBody(reportId, { category: 'winter' }) },
    { method: 'POST', route: '/allocations/:id/rejection', path: `/allocations/${allocationId}/rejection`, body: { reason: '不符' } },
    { method: 'POST', route: '/allocations/:id/deliveries', path: `/allocations/${allocationId}/deliveries`, body: { deliveryId: randomUUID(), cashFen: 1, goods: [{ item: '棉被', quantity: 1, unit: '床' }], confirmation: { method: 'signature', reference: 'R-1' } } },
    { method: 'POST', route: '/allocations/:id/review', path: `/allocations/${allocationId}/review`, body: { reason: '核实' } },
    { method: 'POST', route: '/allocations/:id/cancellation', path: `/allocations/${allocationId}/cancellation`, body: { reason: '录入错误' } },
    { method: 'POST', route: '/incidents', path: '/incidents', body: { county: KANG, hazard: 'hail', startedAt: '2026-01-01T00:00:00Z', title: '冰雹过程' } },
    { method: 'POST', route: '/incidents/:id/links', path: `/incidents/${incidentId}/links`, body: { reportId } },
    { method: 'POST', route: '/incidents/:id/submissions', path: `/incidents/${incidentId}/submissions`, body: { stage: 'initial', figures: {}, asOf: '2026-01-01T01:00:00Z', notes: '无', explanation: '首报' } },
    { method: 'PUT', route: '/roster/:townshipCode', path: `/roster/${WANGBA}`, body: { entries: [{ officer: 'officer-wangba-1', tier: 'primary', from: '2026-01-01T00:00:00Z' }] } },
    { method: 'PATCH', route: '/units/:code', path: `/units/${LIJIA}`, body: { accessNotes: '沿河', phones: ['139 3900 0001'], complaintPhone: '0939-5120000' } },
    { method: 'POST', route: '/tokens', path: '/tokens', body: { tokens: [{ sub: 'contact-x', role: 'contact', scope: LIJIA }] }, token: admin },
    { method: 'POST', route: '/tokens/revocations', path: '/tokens/revocations', body: { sub: 'contact-x', reason: '手机丢失' } },
  ];
  // Every route whose body has text is here (bodies without any text field cannot carry bad text).
  const withBodies = app.app.routeList.filter((r) => (r.method === 'POST' || r.method === 'PUT' || r.method === 'PATCH') && r.roles).map((r) => `${r.method} ${r.url}`);
  const bodiless = ['POST /reports/:id/acknowledgements', 'POST /reports/:id/arrivals', 'POST /allocations/:id/approval', 'POST /incidents/:id/unlinks', 'POST /incidents/:id/stabilization', 'POST /incidents/:id/closure'];
  t.same(withBodies.filter((r) => !routes.some((c) => `${c.method} ${c.route}` === r) && !bodiless.includes(r)), [], 'every write route with text in its body is swept');

  const before = await app.logSize();
  let fields = 0;
  for (const route of routes) {
    for (const leaf of stringLeaves(route.body)) {
      for (const [label, bad] of [['a lone surrogate', 'ab\ud800cd'], ['a control character', 'ab\u0007cd'], ['a lone low surrogate', '\udc00'], ['DEL', '\u007f'], ['only invisible characters', '\u200b\ufeff'], ['a lone accent', ' \u0301'], ['a right-to-left override', '伤\u202e2人'], ['an isolate', '\u2066张三\u2069']] as const) {
        const res = await app.call(route.method, route.path, { token: route.token ?? head, body: replaceAt(route.body, leaf, bad) });
        const path = ['body', ...leaf].join('.');
        if (res.statusCode !== 400 || res.json().details?.[0]?.path !== path) {
          t.fail(`${route.method} ${route.route} ${path} with ${label}: ${res.statusCode} ${res.body.slice(0, 160)}`);
        }
        fields += 1;
      }
    }
  }
  t.ok(fields > 150, `${fields} field × problem cases answered 400 naming the field`);
  t.equal(await app.logSize(), before, 'nothing was written');
  // Keys too: a lone surrogate in a key never reaches a schema's "unknown field" message.
  const keyed = await app.call('POST', `/reports/${reportId}/amendments`, { token: head, body: `{"notes":"x","\\ud800":1}` });
  t.equal(keyed.statusCode, 400);
  t.equal(keyed.json().details[0].path, 'body.(key)');
});

t.test('newlines: CR LF and a lone CR are stored as LF; tab and newline are text', async (t) => {
  const app = await startTestApp(t);
  const contact = app.token('contact', LIJIA);
  const filed = await app.call('POST', '/reports', { token: contact, body: reportBody({ directions: '过桥\r\n左转\r上山\t2公里\n到了' }) });
  t.equal(filed.statusCode, 201);
  const view = (await app.call('GET', `/reports/${filed.json().reportId}`, { token: contact })).json();
  t.equal(view.directions, '过桥\n左转\n上山\t2公里\n到了');
  t.same(normalizeNewlines({ a: ['x\r\ny'], b: 1 }), { a: ['x\ny'], b: 1 });
  const same = { a: 'no change' };
  t.equal(normalizeNewlines(same), same, 'untouched when there is nothing to change');
  t.same(findIllFormedText({ ok: '𠀀 emoji 😀 and 中文' }), undefined, 'a surrogate pair is one well-formed character');
});

t.test('the catalog refuses ill-formed text however an event is made (the CLI, a service): nothing written', async (t) => {
  const app = await startTestApp(t);
  const { reportId } = (await app.call('POST', '/reports', { token: app.token('contact', LIJIA), body: reportBody() })).json();
  const before = await app.logSize();
  const ctx = { actor: { id: 'cli', role: 'admin' as const }, correlationId: 'c', now: new Date().toISOString() };
  await t.rejects(app.commands.execute(streams.report(reportId), reportDecider, { type: 'AmendReport', data: { notes: 'x\ud800' }, now: ctx.now }, ctx), ZodError);
  t.equal(await app.logSize(), before);
});

t.test('bytes that are not UTF-8 are refused, not stored as U+FFFD', async (t) => {
  const app = await startTestApp(t);
  const before = await app.logSize();
  const json = Buffer.from(JSON.stringify(reportBody({ reporter: { name: '王X', phone: '13800000000' } })));
  for (const [label, bytes] of [['a stray 0xFF', [0xff]], ['a CESU-8 surrogate', [0xed, 0xa0, 0x80]], ['a truncated sequence', [0xe7, 0x8e]]] as const) {
    const at = json.indexOf('X');
    const payload = Buffer.concat([json.subarray(0, at), Buffer.from(bytes), json.subarray(at + 1)]);
    const res = await app.app.inject({ method: 'POST', url: '/reports', payload, headers: { authorization: `Bearer ${app.token('contact', LIJIA)}`, 'content-type': 'application/json' } });
    t.equal(res.statusCode, 400, label);
    t.same(res.json().details, [{ path: 'body', message: '不是有效的 UTF-8 文本' }]);
  }
  t.equal(await app.logSize(), before);
});

t.test('media types and If-Match', async (t) => {
  const app = await startTestApp(t);
  const contact = app.token('contact', LIJIA);
  const plain = await app.call('POST', '/reports', { token: contact, body: JSON.stringify(reportBody()), headers: { 'content-type': 'text/plain' } });
  t.equal(plain.statusCode, 415, 'text/plain is not JSON');
  t.equal(plain.json().error, 'unsupported_media_type');
  for (const poison of ['{"__proto__":{"isAdmin":true}}', '{"constructor":{"prototype":{"isAdmin":true}}}']) {
    const res = await app.call('POST', '/reports', { token: contact, body: poison });
    t.equal(res.statusCode, 400, `prototype poisoning refused: ${poison}`);
  }
  const { reportId } = (await app.call('POST', '/reports', { token: contact, body: reportBody() })).json();
  const officer = app.token('officer', WANGBA);
  const amend = (ifMatch: string, notes: string) => app.call('POST', `/reports/${reportId}/amendments`, { token: officer, body: { notes }, headers: { 'if-match': ifMatch } });
  t.equal((await amend('*', 'a')).statusCode, 200, 'If-Match: * — the report exists');
  t.equal((await amend('"0", "1"', 'b')).statusCode, 200, 'a list of revisions, one current');
  t.equal((await amend('W/"2"', 'c')).statusCode, 200, 'a weak tag');
  t.equal((await amend('"0", "1"', 'd')).statusCode, 412, 'none current');
  t.equal((await amend('*, 1', 'e')).statusCode, 400, 'not an If-Match');
  const absent = await app.call('POST', `/reports/${randomUUID()}/amendments`, { token: officer, body: { notes: 'x' }, headers: { 'if-match': '*' } });
  t.equal(absent.statusCode, 404, 'If-Match: * on nothing');
});
