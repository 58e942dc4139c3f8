import { randomUUID } from 'node:crypto';
import t from 'tap';
import { ROLES, type Role } from '../../domain/vocabulary.js';
import { KANG, LIJIA, NIANBA, WANGBA, allocationBody, reportBody, seedObjects, startTestApp, verificationBody } from '../support/app.js';
import { AlertClient } from '../support/ws-client.js';

/**
 * Every route × every role × in and out of scope, against SPEC §2:
 *   no token → 401; a role the route does not allow → 403;
 *   an allowed role out of scope → 404 for an existing object (never confirm it exists), 403 when
 *   the request itself names a unit outside the caller's scope, or an answer about the caller's
 *   own scope for a list of what the caller may see;
 *   an allowed role in scope → anything but 401/403/404 (a domain 422 still means "allowed").
 * The routes come from the server itself (fastify's onRoute): a route with roles that has no case
 * here fails the test, so a new route cannot be left out.
 */
type Method = 'GET' | 'POST' | 'PUT' | 'PATCH';
interface RouteCase {
  method: Method;
  /** The route pattern as registered, e.g. `/reports/:id/closure`. */
  route: string;
  path: string;
  body?: unknown;
  roles: readonly Role[];
  scopes: { in: string; out: string };
  outOfScope: 403 | 404 | 'allowed';
}

const READERS: Role[] = ['contact', 'officer', 'head', 'auditor'];
const FIELD: Role[] = ['officer', 'head'];
const TOWNSHIP_SCOPES = { in: WANGBA, out: NIANBA };
const COUNTY_SCOPES = { in: KANG, out: '621225' };

t.test('role × scope × route, the routes taken from the server', async (t) => {
  const app = await startTestApp(t);
  const { reportId, allocationId, incidentId } = await seedObjects(app);
  await app.call('POST', '/tokens', { token: app.token('admin', KANG), body: { tokens: [{ sub: 'contact-matrix', role: 'contact', scope: LIJIA }] } });

  const on = (kind: 'reports' | 'allocations' | 'incidents', id: string, scopes: typeof TOWNSHIP_SCOPES) =>
    (method: Method, suffix: string, roles: readonly Role[], body?: unknown): RouteCase => ({
      method,
      route: `/${kind}/:id${suffix}`,
      path: `/${kind}/${id}${suffix}`,
      ...(body !== undefined ? { body } : {}),
      roles,
      scopes,
      outOfScope: 404,
    });
  const report = on('reports', reportId, TOWNSHIP_SCOPES);
  const allocation = on('allocations', allocationId, TOWNSHIP_SCOPES);
  const incident = on('incidents', incidentId, COUNTY_SCOPES);
  const delivery = () => ({ deliveryId: randomUUID(), cashFen: 1, goods: [], confirmation: { method: 'signature', reference: 'r' } });

  const cases: RouteCase[] = [
    { method: 'POST', route: '/reports', path: '/reports', body: reportBody(), roles: ['contact', 'officer', 'head'], scopes: TOWNSHIP_SCOPES, outOfScope: 403 },
    report('POST', '/amendments', ['contact', 'officer', 'head'], { notes: 'n' }),
    report('POST', '/acknowledgements', FIELD, {}),
    report('POST', '/dispatches', FIELD, {}),
    report('POST', '/arrivals', FIELD, {}),
    report('POST', '/verifications', FIELD, verificationBody()),
    report('GET', '', READERS),
    report('GET', '/history', READERS),
    { method: 'POST', route: '/allocations', path: '/allocations', body: allocationBody(reportId, { category: 'winter' }), roles: FIELD, scopes: TOWNSHIP_SCOPES, outOfScope: 404 },
    allocation('POST', '/approval', ['head'], {}),
    allocation('POST', '/rejection', ['head'], { reason: 'r' }),
    allocation('POST', '/deliveries', FIELD, delivery()),
    allocation('POST', '/review', ['head'], { reason: 'r' }),
    allocation('POST', '/cancellation', FIELD, { reason: 'r' }),
    allocation('GET', '', READERS),
    // Its deliveries carry recipients' ID-card numbers: not a village contact's to read.
    allocation('GET', '/history', ['officer', 'head', 'auditor']),
    { method: 'POST', route: '/incidents', path: '/incidents', body: { county: KANG, hazard: 'hail', startedAt: '2026-01-01T00:00:00Z', title: 't' }, roles: FIELD, scopes: COUNTY_SCOPES, outOfScope: 403 },
    incident('POST', '/links', FIELD, { reportId }),
    incident('POST', '/submissions', FIELD, { stage: 'initial', figures: {}, asOf: '2026-01-01T01:00:00Z' }),
    incident('POST', '/stabilization', FIELD, {}),
    incident('POST', '/unlinks', FIELD, { reportId }),
    incident('GET', '', READERS),
    incident('GET', '/history', READERS),
    incident('GET', '/draft', ['officer', 'head', 'auditor']),
    { method: 'GET', route: '/incidents/:id/forms', path: `/incidents/${incidentId}/forms?format=csv`, roles: ['officer', 'head', 'auditor'], scopes: COUNTY_SCOPES, outOfScope: 404 },
    { method: 'PUT', route: '/roster/:townshipCode', path: `/roster/${WANGBA}`, body: { entries: [{ officer: 'u', tier: 'primary' }] }, roles: ['head'], scopes: TOWNSHIP_SCOPES, outOfScope: 403 },
    { method: 'GET', route: '/roster/:townshipCode', path: `/roster/${WANGBA}`, roles: READERS, scopes: TOWNSHIP_SCOPES, outOfScope: 404 },
    { method: 'GET', route: '/alerts/open', path: `/alerts/open?unit=${WANGBA}`, roles: ['officer', 'head', 'auditor'], scopes: TOWNSHIP_SCOPES, outOfScope: 403 },
    { method: 'GET', route: '/audit/events', path: '/audit/events', roles: ['auditor'], scopes: TOWNSHIP_SCOPES, outOfScope: 'allowed' },
    { method: 'GET', route: '/audit/seals/latest', path: '/audit/seals/latest', roles: ['auditor', 'head'], scopes: TOWNSHIP_SCOPES, outOfScope: 'allowed' },
    { method: 'GET', route: '/audit/verify', path: `/audit/verify?unit=${WANGBA}`, roles: ['auditor'], scopes: TOWNSHIP_SCOPES, outOfScope: 403 },
    { method: 'GET', route: '/reports', path: `/reports?unit=${WANGBA}`, roles: READERS, scopes: TOWNSHIP_SCOPES, outOfScope: 403 },
    { method: 'GET', route: '/tallies', path: `/tallies?unit=${WANGBA}`, roles: READERS, scopes: TOWNSHIP_SCOPES, outOfScope: 403 },
    { method: 'GET', route: '/incidents', path: `/incidents?unit=${KANG}`, roles: READERS, scopes: COUNTY_SCOPES, outOfScope: 403 },
    { method: 'GET', route: '/allocations', path: `/allocations?unit=${WANGBA}`, roles: READERS, scopes: TOWNSHIP_SCOPES, outOfScope: 403 },
    { method: 'GET', route: '/households/:villageCode/:householdId', path: `/households/${LIJIA}/hh-1`, roles: ['officer', 'head', 'auditor'], scopes: TOWNSHIP_SCOPES, outOfScope: 404 },
    { method: 'GET', route: '/relief/missed', path: `/relief/missed?unit=${WANGBA}`, roles: ['officer', 'head', 'auditor'], scopes: TOWNSHIP_SCOPES, outOfScope: 403 },
    { method: 'GET', route: '/notices/:villageCode', path: `/notices/${LIJIA}`, roles: READERS, scopes: TOWNSHIP_SCOPES, outOfScope: 403 },
    { method: 'GET', route: '/units/:code', path: `/units/${LIJIA}`, roles: READERS, scopes: TOWNSHIP_SCOPES, outOfScope: 404 },
    { method: 'GET', route: '/units', path: `/units?parent=${WANGBA}`, roles: READERS, scopes: TOWNSHIP_SCOPES, outOfScope: 403 },
    { method: 'PATCH', route: '/units/:code', path: `/units/${LIJIA}`, body: { accessNotes: '便道已修通' }, roles: ['head'], scopes: TOWNSHIP_SCOPES, outOfScope: 403 },
    { method: 'POST', route: '/tokens', path: '/tokens', body: { tokens: [{ sub: 'contact-m', role: 'contact', scope: LIJIA }] }, roles: ['admin'], scopes: TOWNSHIP_SCOPES, outOfScope: 403 },
    { method: 'GET', route: '/me', path: '/me', roles: ['contact', 'officer', 'head', 'auditor', 'admin'], scopes: TOWNSHIP_SCOPES, outOfScope: 'allowed' },
    { method: 'GET', route: '/tokens', path: `/tokens?scope=${WANGBA}`, roles: ['head', 'auditor', 'admin'], scopes: TOWNSHIP_SCOPES, outOfScope: 403 },
    { method: 'GET', route: '/inbox', path: `/inbox?unit=${WANGBA}`, roles: ['officer', 'head', 'auditor'], scopes: TOWNSHIP_SCOPES, outOfScope: 403 },
    { method: 'POST', route: '/tokens/revocations', path: '/tokens/revocations', body: { sub: 'contact-matrix', reason: '测试' }, roles: ['head', 'admin'], scopes: TOWNSHIP_SCOPES, outOfScope: 404 },
    // Last, because they end the objects' lives.
    report('POST', '/dismissal', FIELD, { reason: 'false_alarm' }),
    incident('POST', '/closure', FIELD, { summary: 's' }),
    report('POST', '/closure', FIELD, { summary: 's' }),
  ];

  // The server's own list: every route that asks for a role must have a case here.
  const served = app.app.routeList.filter((r) => r.roles && r.method !== 'HEAD' && !r.websocket).map((r) => `${r.method} ${r.url}`);
  const covered = cases.map((c) => `${c.method} ${c.route}`);
  t.same(served.filter((r) => !covered.includes(r)), [], 'every route the server registers with roles has a case');
  t.same(covered.filter((r) => !served.includes(r)), [], 'every case is a route the server has');
  for (const r of app.app.routeList.filter((r) => r.roles && r.method !== 'HEAD' && !r.websocket)) {
    const c = cases.find((x) => x.method === r.method && x.route === r.url);
    t.same([...(r.roles ?? [])].sort(), [...(c?.roles ?? [])].sort(), `${r.method} ${r.url}: the roles SPEC §2 gives`);
  }

  const paged = new Set(app.app.routeList.filter((r) => r.paged).map((r) => `${r.method} ${r.url}`));
  t.ok(paged.has('GET /audit/events') && paged.has('GET /reports'), 'the lists are known by their `limit`');
  const unlike: string[] = [];
  const mismatches: string[] = [];
  for (const route of cases) {
    const label = `${route.method} ${route.route}`;
    const call = (token?: string) => app.call(route.method, route.path, { ...(token ? { token } : {}), ...(route.body !== undefined ? { body: route.body } : {}) });
    const anonymous = await call();
    if (anonymous.statusCode !== 401) mismatches.push(`${label} without a token: ${anonymous.statusCode}`);
    for (const role of ROLES) {
      for (const where of ['in', 'out'] as const) {
        const res = await call(app.token(role, route.scopes[where], `${role}-${where}`));
        const allowed = route.roles.includes(role);
        const expected = !allowed ? 403 : where === 'out' ? route.outOfScope : 'allowed';
        const ok = expected === 'allowed' ? ![401, 403, 404].includes(res.statusCode) && res.statusCode < 500 : res.statusCode === expected;
        if (!ok) mismatches.push(`${label} as ${role} ${where} of scope: expected ${expected}, got ${res.statusCode} ${res.body.slice(0, 120)}`);
        // Every list is paged alike (SPEC §4): an auditor's loop or a page's "more" works on each.
        if (paged.has(label) && res.statusCode === 200) {
          const body = res.json() as { items?: unknown; next?: unknown };
          if (!Array.isArray(body.items) || !(body.next === null || typeof body.next === 'string')) unlike.push(`${label} as ${role}: ${Object.keys(body).join(', ')}`);
        }
      }
    }
  }
  t.same(mismatches, [], `${cases.length} routes × ${ROLES.length} roles × in/out of scope follow SPEC §2`);
  t.same(unlike, [], `the ${paged.size} lists answer {items, next} (SPEC §4)`);
});

t.test('the WebSocket upgrade follows the same table: officers and heads, a token required', async (t) => {
  const app = await startTestApp(t);
  const url = await app.app.listen({ port: 0, host: '127.0.0.1' });
  const ws = app.app.routeList.filter((r) => r.websocket && r.method !== 'HEAD');
  t.same(ws.map((r) => `${r.method} ${r.url} ${[...(r.roles ?? [])].sort().join(',')}`), ['GET /alerts/ws head,officer'], 'one WebSocket route, for field staff');
  await t.rejects(AlertClient.connect(url, ''), /401/, 'no token');
  for (const role of ROLES) {
    const attempt = AlertClient.connect(url, app.token(role, WANGBA, `${role}-ws`));
    if (role === 'officer' || role === 'head') {
      const client = await attempt;
      t.equal((await client.next((f) => f.type === 'hello')).type, 'hello', `${role} connects`);
      client.close();
    } else {
      await t.rejects(attempt, /403/, `${role} is refused`);
    }
  }
});
