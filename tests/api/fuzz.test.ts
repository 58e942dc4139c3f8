import t from 'tap';
import fc from 'fast-check';
import { KANG, WANGBA, allocationBody, reportBody, seedObjects, startTestApp, verificationBody } from '../support/app.js';

/**
 * Generated bad input on every write route: malformed bodies (unknown fields, nulls, wrong
 * shapes, random JSON, broken JSON), bad ids, bad headers. Every answer must be a 4xx JSON error
 * and the log must not change.
 */
t.test('generated malformed requests: only 4xx, log unchanged', async (t) => {
  const app = await startTestApp(t);
  const { reportId, allocationId, incidentId } = await seedObjects(app);
  const head = app.token('head', KANG, 'fuzzer');

  const writeRoutes: Array<{ method: 'POST' | 'PUT'; path: (id: string) => string; id: string; valid: Record<string, unknown> }> = [
    { method: 'POST', path: () => '/reports', id: '', valid: reportBody() },
    { method: 'POST', path: (id) => `/reports/${id}/amendments`, id: reportId, valid: { notes: 'n' } },
    { method: 'POST', path: (id) => `/reports/${id}/acknowledgements`, id: reportId, valid: {} },
    { method: 'POST', path: (id) => `/reports/${id}/dispatches`, id: reportId, valid: { eta: '2026-01-01T00:00:00Z' } },
    { method: 'POST', path: (id) => `/reports/${id}/arrivals`, id: reportId, valid: { location: { lat: 1, lon: 1 } } },
    { method: 'POST', path: (id) => `/reports/${id}/verifications`, id: reportId, valid: verificationBody() },
    { method: 'POST', path: (id) => `/reports/${id}/dismissal`, id: reportId, valid: { reason: 'false_alarm' } },
    { method: 'POST', path: (id) => `/reports/${id}/closure`, id: reportId, valid: { summary: 's' } },
    { method: 'POST', path: () => '/allocations', id: '', valid: allocationBody(reportId, { category: 'winter' }) },
    { method: 'POST', path: (id) => `/allocations/${id}/approval`, id: allocationId, valid: {} },
    { method: 'POST', path: (id) => `/allocations/${id}/rejection`, id: allocationId, valid: { reason: 'r' } },
    { method: 'POST', path: (id) => `/allocations/${id}/deliveries`, id: allocationId, valid: { cashFen: 1, goods: [], confirmation: { method: 'signature', reference: 'r' } } },
    { method: 'POST', path: (id) => `/allocations/${id}/review`, id: allocationId, valid: { reason: 'r' } },
    { method: 'POST', path: (id) => `/allocations/${id}/cancellation`, id: allocationId, valid: { reason: 'r' } },
    { method: 'POST', path: () => '/incidents', id: '', valid: { county: KANG, hazard: 'hail', startedAt: '2026-01-01T00:00:00Z', title: 't' } },
    { method: 'POST', path: (id) => `/incidents/${id}/links`, id: incidentId, valid: { reportId } },
    { method: 'POST', path: (id) => `/incidents/${id}/unlinks`, id: incidentId, valid: { reportId } },
    { method: 'POST', path: (id) => `/incidents/${id}/submissions`, id: incidentId, valid: { stage: 'initial', figures: {}, asOf: '2026-01-01T01:00:00Z' } },
    { method: 'POST', path: (id) => `/incidents/${id}/stabilization`, id: incidentId, valid: {} },
    { method: 'POST', path: (id) => `/incidents/${id}/closure`, id: incidentId, valid: { summary: 's' } },
    { method: 'PUT', path: () => `/roster/${WANGBA}`, id: '', valid: { entries: [{ officer: 'u', tier: 'primary' }] } },
  ];

  const isEmptyish = (v: unknown) => v === null || v === undefined || (typeof v === 'object' && !Array.isArray(v) && Object.keys(v as object).length === 0);
  /** A body that no route accepts: an unknown field, a null in place of a field, or random JSON that is not empty. */
  const badBody = (valid: Record<string, unknown>) =>
    fc.oneof(
      fc.record({ key: fc.string({ minLength: 1, maxLength: 12 }).filter((k) => !(k in valid)), value: fc.jsonValue() }).map(({ key, value }) => ({ ...valid, [key]: value })),
      ...(Object.keys(valid).length > 0 ? [fc.constantFrom(...Object.keys(valid)).map((k) => ({ ...valid, [k]: null }))] : []),
      fc.jsonValue().filter((v) => !isEmptyish(v) && JSON.stringify(v) !== JSON.stringify(valid)).filter((v) => typeof v !== 'object' || Array.isArray(v) || Object.keys(v as object).some((k) => !(k in valid))),
    );
  const request = fc.oneof(
    // a malformed body, otherwise a good request
    fc.nat({ max: writeRoutes.length - 1 }).chain((i) => badBody(writeRoutes[i]!.valid).map((body) => ({ i, body: JSON.stringify(body) ?? 'null', headers: {} as Record<string, string> }))),
    // bytes that are not JSON at all (an empty body is no body, which routes without one take)
    fc.record({ i: fc.nat({ max: writeRoutes.length - 1 }), body: fc.string({ maxLength: 40 }).filter((s) => { if (s.trim() === '') return false; try { JSON.parse(s); return false; } catch { return true; } }), headers: fc.constant({}) }),
    // a good body with a bad header
    fc.record({
      i: fc.nat({ max: writeRoutes.length - 1 }),
      body: fc.constant(undefined as string | undefined),
      headers: fc.oneof(
        // Not a revision, and not `*` either: on an existing resource `If-Match: *` is a good header (RFC 9110 §13.1.1).
        fc.string({ maxLength: 20 }).filter((s) => !/^\s*(?:W\/)?"?-?\d{1,15}"?\s*$/.test(s) && s.trim() !== '*' && /^[\x20-\x7e]*$/.test(s)).map((s) => ({ 'if-match': s || 'x' })),
        fc.constantFrom('text/plain', 'application/xml', 'multipart/form-data; boundary=x').map((ct) => ({ 'content-type': ct })),
        fc.string({ maxLength: 30 }).filter((s) => /^[\x21-\x7e]*$/.test(s)).map((s) => ({ authorization: `Bearer ${s}x` })),
        fc.constant({} as Record<string, string>),
      ),
    }),
  );
  const badId = fc.oneof(fc.uuid(), fc.string({ minLength: 1, maxLength: 40 }).map(encodeURIComponent));

  const before = await app.store.headPosition();
  const seen = new Set<number>();
  const englishSeen = new Set<string>();
  await fc.assert(
    fc.asyncProperty(request, badId, fc.boolean(), async ({ i, body, headers }, id, useBadId) => {
      const route = writeRoutes[i]!;
      const nothingBad = !(useBadId && route.id) && body === undefined && Object.keys(headers).length === 0;
      if (nothingBad) return true;
      const path = route.path(useBadId && route.id ? id : route.id);
      const res = await app.app.inject({
        method: route.method,
        url: path,
        headers: { authorization: `Bearer ${head}`, 'content-type': 'application/json', ...headers },
        payload: body ?? JSON.stringify(route.valid),
      });
      seen.add(res.statusCode);
      const json = res.json() as { error?: unknown; message?: unknown; details?: unknown };
      const prose = englishProse(json);
      if (prose) englishSeen.add(`${res.statusCode} ${String(json.error)}: ${prose}`);
      return res.statusCode >= 400 && res.statusCode < 500 && typeof json.error === 'string' && typeof json.message === 'string';
    }),
    { numRuns: 1500 },
  );
  t.equal(await app.store.headPosition(), before, 'the log is unchanged');
  t.ok([400, 401, 404, 415].every((c) => seen.has(c)), `answers seen: ${[...seen].sort().join(', ')}`);
  t.notOk([...seen].some((c) => c >= 500), 'never a 5xx');
  t.same([...englishSeen], [], 'a Chinese answer (no Accept-Language) holds no English prose, in its message or its details (SPEC §9)');
});

/**
 * English prose in a Chinese error answer: two English words in a row in `message` or a detail's
 * `message`, once field paths (`body.reporter.name`), codes and quoted values are taken out.
 * Returns the first such text, or undefined.
 */
function englishProse(json: { message?: unknown; details?: unknown }): string | undefined {
  const texts = [json.message, ...(Array.isArray(json.details) ? json.details.map((d: { message?: unknown }) => d?.message) : [])];
  for (const text of texts) {
    if (typeof text !== 'string') continue;
    // What the client sent is quoted back as sent: unknown field names, the header it must send.
    const stripped = text
      .replace(/有不认识的字段：.*$/s, ' ')
      .replace(/Content-Type: application\/json/g, ' ')
      .replace(/(?:body|querystring|params|headers)(?:\.[\w-]+)*/g, ' ')
      .replace(/"[^"]*"|`[^`]*`/g, ' ');
    // Codes a client sends (flash_flood, repeatReason) are named as they are; words between them are not.
    if (/[A-Za-z]{2,}[ ,:;.]+[A-Za-z]{2,}/.test(stripped.replace(/[a-z]+(?:_[a-z]+)+|[a-z]+[A-Z]\w*/g, ' '))) return text;
  }
  return undefined;
}

t.test('a Chinese answer names types in Chinese, and a body that is not JSON says so in Chinese', async (t) => {
  const app = await startTestApp(t);
  const token = app.token('contact', '621299103201');
  const typed = await app.call('POST', '/reports', { token, body: { ...reportBody(), village: 621299103201, estimate: { affectedPeople: 'many' } } });
  t.equal(typed.statusCode, 400);
  t.match(typed.json().message, /body\.village: 类型不对（应为文本）/);
  t.match(typed.json().message, /affectedPeople: 类型不对（应为数字）/);
  const broken = await app.app.inject({ method: 'POST', url: '/reports', headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' }, payload: '{"village":' });
  t.equal(broken.statusCode, 400);
  t.same(broken.json().details, [{ path: 'body', message: '不是有效的 JSON' }]);
  // Found by a newcomer: a hazard's choices said "… other or 山洪、…", an empty body said "empty".
  const hazard = await app.call('POST', '/reports', { token, body: { ...reportBody(), hazard: 'flood' } });
  t.equal(hazard.statusCode, 400);
  t.notOk(englishProse(hazard.json()), `the hazard's choices in Chinese: ${hazard.json().message}`);
  t.match(hazard.json().message, /或中文名称：.*山洪/);
  const empty = await app.app.inject({ method: 'POST', url: '/reports', headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' }, payload: '' });
  t.equal(empty.statusCode, 400);
  t.notOk(englishProse(empty.json()), `an empty body in Chinese: ${empty.body}`);
  t.match(empty.json(), { error: 'validation', details: [{ path: 'body' }] }, 'a filing needs a body, and is told so');
  const { reportId } = (await app.call('POST', '/reports', { token, body: reportBody() })).json();
  const ack = await app.app.inject({ method: 'POST', url: `/reports/${reportId}/acknowledgements`, headers: { authorization: `Bearer ${app.token('officer', WANGBA)}`, 'content-type': 'application/json' }, payload: '' });
  t.equal(ack.statusCode, 200, `an acknowledgement with the JSON header and no body is taken as one with none: ${ack.body}`);
  const english = await app.app.inject({ method: 'POST', url: '/reports', headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json', 'accept-language': 'en' }, payload: '{"village":' });
  t.same(english.json().details, [{ path: 'body', message: 'not JSON' }], 'English on request');
});

t.test('a path id that is not a UUID is 400; an unknown one 404', async (t) => {
  const app = await startTestApp(t);
  const token = app.token('head', KANG);
  t.equal((await app.call('POST', '/reports/%00/closure', { token, body: { summary: 's' } })).statusCode, 400);
  t.equal((await app.call('POST', '/allocations/00000000-0000-4000-8000-000000000000/approval', { token, body: {} })).statusCode, 404);
});

t.test('an If-Match on a request that creates is refused, naming the header, not ignored (found by the fuzz above)', async (t) => {
  const app = await startTestApp(t);
  const { reportId } = await seedObjects(app);
  const head = app.token('head', KANG, 'fuzzer');
  const before = await app.store.headPosition();
  const creations: Array<[string, Record<string, unknown>]> = [
    ['/reports', reportBody()],
    ['/allocations', allocationBody(reportId, { category: 'winter' })],
    ['/incidents', { county: KANG, hazard: 'hail', startedAt: '2026-01-01T00:00:00Z', title: 't' }],
  ];
  const admin = app.token('admin', KANG, 'admin-fuzz');
  for (const [url, body] of [['/tokens', { tokens: [{ sub: 'contact-x', role: 'contact', scope: '621299103201' }] }], ['/tokens/revocations', { sub: 'contact-x', reason: '手机丢失' }]] as const) {
    const res = await app.call('POST', url, { token: admin, body, headers: { 'if-match': '*' } });
    t.equal(res.statusCode, 400, `${url} with If-Match *`);
  }
  for (const [url, body] of creations) {
    for (const value of ['*', '0', '"3"']) {
      const res = await app.call('POST', url, { token: head, body, headers: { 'if-match': value } });
      t.equal(res.statusCode, 400, `${url} with If-Match ${value}`);
      t.match(JSON.stringify(res.json().details), /headers\.if-match/);
    }
  }
  t.equal(await app.store.headPosition(), before, 'nothing written');
});
