import t from 'tap';
import { ROLES, type Role } from '../../domain/vocabulary.js';
import { KANG, NIANBA, WANGBA, allocationBody, reportBody, seedObjects, startTestApp, verificationBody } from '../support/app.js';

/**
 * Every route × every role × in and out of scope, against SPEC §2:
 *   no token → 401; a role the route does not allow → 403;
 *   an allowed role out of scope → 404 for an existing object (never confirm it exists), 403 when
 *   the request itself names a unit outside the caller's scope;
 *   an allowed role in scope → anything but 401/403/404 (a domain 422 still means "allowed").
 */
type Method = 'GET' | 'POST' | 'PUT';
interface RouteCase {
  method: Method;
  path: string;
  body?: unknown;
  roles: readonly Role[];
  scopes: { in: string; out: string };
  outOfScope: 403 | 404;
}

const READERS: Role[] = ['contact', 'officer', 'head', 'auditor'];
const FIELD: Role[] = ['officer', 'head'];
const TOWNSHIP_SCOPES = { in: WANGBA, out: NIANBA };
const COUNTY_SCOPES = { in: KANG, out: '621225' };

t.test('role × scope × route', async (t) => {
  const app = await startTestApp(t);
  const { reportId, allocationId, incidentId } = await seedObjects(app);
  t.ok(allocationId && incidentId, 'fixtures exist');

  const report = (path: string, roles: readonly Role[], body?: unknown, method: Method = 'POST'): RouteCase => ({
    method,
    path: `/reports/${reportId}${path}`,
    ...(body !== undefined ? { body } : {}),
    roles,
    scopes: TOWNSHIP_SCOPES,
    outOfScope: 404,
  });
  const allocation = (path: string, roles: readonly Role[], body?: unknown, method: Method = 'POST'): RouteCase => ({
    method,
    path: `/allocations/${allocationId}${path}`,
    ...(body !== undefined ? { body } : {}),
    roles,
    scopes: TOWNSHIP_SCOPES,
    outOfScope: 404,
  });
  const incident = (path: string, roles: readonly Role[], body?: unknown, method: Method = 'POST'): RouteCase => ({
    method,
    path: `/incidents/${incidentId}${path}`,
    ...(body !== undefined ? { body } : {}),
    roles,
    scopes: COUNTY_SCOPES,
    outOfScope: 404,
  });
  const delivery = { cashFen: 1, goods: [], confirmation: { method: 'signature', reference: 'r' } };

  const routes: RouteCase[] = [
    { method: 'POST', path: '/reports', body: reportBody(), roles: ['contact', 'officer', 'head'], scopes: TOWNSHIP_SCOPES, outOfScope: 403 },
    report('/amendments', ['contact', 'officer', 'head'], { notes: 'n' }),
    report('/acknowledgements', FIELD, {}),
    report('/dispatches', FIELD, {}),
    report('/arrivals', FIELD, {}),
    report('/verifications', FIELD, verificationBody()),
    report('', READERS, undefined, 'GET'),
    report('/history', READERS, undefined, 'GET'),
    { method: 'POST', path: '/allocations', body: allocationBody(reportId, { category: 'winter' }), roles: FIELD, scopes: TOWNSHIP_SCOPES, outOfScope: 404 },
    allocation('/approval', ['head'], {}),
    allocation('/rejection', ['head'], { reason: 'r' }),
    allocation('/deliveries', FIELD, delivery),
    allocation('/cancellation', FIELD, { reason: 'r' }),
    allocation('', READERS, undefined, 'GET'),
    { method: 'POST', path: '/incidents', body: { county: KANG, hazard: 'hail', startedAt: '2026-01-01T00:00:00Z', title: 't' }, roles: FIELD, scopes: COUNTY_SCOPES, outOfScope: 403 },
    incident('/links', FIELD, { reportId }),
    incident('/submissions', FIELD, { stage: 'initial', figures: {}, asOf: '2026-01-01T01:00:00Z' }),
    incident('/stabilization', FIELD, {}),
    incident('/unlinks', FIELD, { reportId }),
    incident('', READERS, undefined, 'GET'),
    { method: 'PUT', path: `/roster/${WANGBA}`, body: { entries: [{ officer: 'u', tier: 'primary' }] }, roles: ['head'], scopes: TOWNSHIP_SCOPES, outOfScope: 403 },
    { method: 'GET', path: `/roster/${WANGBA}`, roles: READERS, scopes: TOWNSHIP_SCOPES, outOfScope: 404 },
    // Last, because they end the objects' lives.
    report('/dismissal', FIELD, { reason: 'false_alarm' }),
    incident('/closure', FIELD, { summary: 's' }),
    report('/closure', FIELD, { summary: 's' }),
  ];

  const mismatches: string[] = [];
  for (const route of routes) {
    const label = `${route.method} ${route.path.replace(/[0-9a-f-]{36}/g, ':id')}`;
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
      }
    }
  }
  t.same(mismatches, [], `${routes.length} routes × ${ROLES.length} roles × in/out of scope follow SPEC §2`);
  t.equal(routes.length, 25);
});
