import t from 'tap';
import { KANG, LIJIA, NIANBA, WANGBA, ZHUJIAGOU, reportBody, startTestApp } from '../support/app.js';

type Operation = { parameters?: Array<{ in: string; name: string }>; requestBody?: { content?: Record<string, { schema?: { properties?: Record<string, unknown> } }> } };

/**
 * Every place a route takes a village — a path parameter or a body field named `village…`, found
 * in the server's own OpenAPI description so that a new route cannot be missed — given a code
 * above a village (a township's, as a contact whose village it holds would send it) answers a 4xx
 * that names the field: never 403, which would send the caller looking for another code, and never
 * 404 for a place that cannot exist.
 */
t.test('a code above a village, wherever a village is asked for: a 4xx naming the field, not 403 or 404 (sweep over the routes)', async (t) => {
  const app = await startTestApp(t);
  const doc = (await app.call('GET', '/docs/json')).json() as { paths: Record<string, Record<string, Operation>> };
  // Each role with a village it may act on, to tell a role the route refuses from a refused code.
  const tokens = { contact: app.token('contact', LIJIA), officer: app.token('officer', NIANBA), head: app.token('head', KANG) };
  const ownVillage = { contact: LIJIA, officer: ZHUJIAGOU, head: LIJIA };
  const found: string[] = [];
  for (const [path, operations] of Object.entries(doc.paths)) {
    for (const [method, op] of Object.entries(operations)) {
      const pathParams = (op.parameters ?? []).filter((p) => p.in === 'path' && /^village/i.test(p.name)).map((p) => p.name);
      const bodyFields = Object.keys(op.requestBody?.content?.['application/json']?.schema?.properties ?? {}).filter((k) => /^village/i.test(k));
      if (pathParams.length === 0 && bodyFields.length === 0) continue;
      for (const code of [WANGBA, WANGBA.slice(0, 9), KANG]) {
        const url = path.replace(/\{(\w+)\}/g, (_m, name: string) => (pathParams.includes(name) ? code : 'hh-1'));
        const body = bodyFields.length ? { ...(path === '/reports' ? reportBody() : {}), ...Object.fromEntries(bodyFields.map((f) => [f, code])) } : undefined;
        for (const [role, token] of Object.entries(tokens)) {
          const res = await app.call(method.toUpperCase() as 'GET' | 'POST', url, { token, ...(body ? { body } : {}) });
          const label = `${method.toUpperCase()} ${url} as ${role}`;
          if (res.statusCode === 403) {
            const own = path.replace(/\{(\w+)\}/g, (_m, name: string) => (pathParams.includes(name) ? ownVillage[role as keyof typeof ownVillage] : 'hh-1'));
            const ownBody = bodyFields.length ? { ...(path === '/reports' ? reportBody() : {}), ...Object.fromEntries(bodyFields.map((f) => [f, ownVillage[role as keyof typeof ownVillage]])) } : undefined;
            const allowed = await app.call(method.toUpperCase() as 'GET' | 'POST', own, { token, ...(ownBody ? { body: ownBody } : {}) });
            if (allowed.statusCode === 403) continue; // the role may not call the route at all
          }
          t.ok(res.statusCode === 400 || res.statusCode === 422, `${label}: ${res.statusCode} ${res.body}`);
          t.match(res.body, /village/, `${label}: names the field`);
        }
        found.push(`${method.toUpperCase()} ${path}`);
      }
    }
  }
  // Not a code at all: still 400 naming the field, never a 500 from asking a non-code its level.
  for (const bad of ['abc', '1', '6212991032']) {
    const res = await app.call('GET', `/notices/${bad}`, { token: tokens.head });
    t.equal(res.statusCode, 400, `/notices/${bad}`);
    t.match(res.body, /villageCode/);
  }
  t.ok(found.some((f) => f === 'POST /reports'), 'the filing is swept');
  t.ok(found.some((f) => f.startsWith('GET /notices/')), 'the notice is swept');
  t.ok(found.some((f) => f.startsWith('GET /households/')), 'a household is swept');
});

t.test('403 says which unit is outside the caller\u2019s scope and what their scope is, or which role may not; in Chinese by default', async (t) => {
  const app = await startTestApp(t);
  const contact = app.token('contact', LIJIA);
  const neighbour = await app.call('POST', '/reports', { token: contact, body: reportBody({ village: ZHUJIAGOU }) });
  t.equal(neighbour.statusCode, 403);
  t.match(neighbour.json(), { error: 'forbidden', details: { unit: ZHUJIAGOU, scope: LIJIA, field: 'body.village', unitName: '朱家沟村（示例）', scopeName: '李家村（示例）' } });
  // By the register's names beside the codes: twelve digits do not tell a contact which village (found by a newcomer).
  t.equal(neighbour.json().message, `朱家沟村（示例）（${ZHUJIAGOU}）不是您负责的村（您负责的是李家村（示例））：请只报本村的灾情；别的村的，请告诉那个村的联络员，或打电话给乡镇`, 'to a village contact: a village not theirs, no office words, no field path (found by a newcomer)');
  const officer = await app.call('POST', '/reports', { token: app.token('officer', WANGBA), body: reportBody({ village: ZHUJIAGOU }) });
  t.equal(officer.json().message, `朱家沟村（示例）（${ZHUJIAGOU}）不在您的管辖范围内（您的范围是王坝镇（示例），${WANGBA}）：body.village`, 'to an officer, the scope in the office\u2019s words');
  const en = await app.app.inject({ method: 'POST', url: '/reports', headers: { authorization: `Bearer ${contact}`, 'content-type': 'application/json', 'accept-language': 'en' }, payload: JSON.stringify(reportBody({ village: ZHUJIAGOU })) });
  t.match(en.json().message, `village 朱家沟村（示例） (${ZHUJIAGOU}) is outside your scope (李家村（示例） (${LIJIA}))`);
  // Every scope refusal is named so, whatever the route (sweep): each 403 naming a unit names it.
  let refusals = 0;
  for (const [method, url, body] of [
    ['POST', '/reports', reportBody({ village: ZHUJIAGOU })],
    ['POST', '/incidents', { county: '621300000000', hazard: 'hail', startedAt: '2026-01-01T00:00:00Z', title: '外县' }],
    ['PUT', `/roster/621299102000`, { entries: [] }],
    ['PATCH', `/units/${ZHUJIAGOU}`, { accessNotes: '沿河' }],
    ['GET', `/tallies?unit=${ZHUJIAGOU}`, undefined],
    ['GET', `/units/${ZHUJIAGOU}`, undefined],
  ] as const) {
    // A scope given as its prefix (王坝镇 is 621299103) is named as its unit.
    const res = await app.call(method, url, { token: app.token('head', WANGBA.slice(0, 9)), ...(body ? { body } : {}) });
    if (res.statusCode !== 403 || res.json().details?.unit === undefined) continue;
    refusals += 1;
    const d = res.json().details;
    t.equal(d.scopeName, '王坝镇（示例）', `${method} ${url}: the scope named`);
    // A unit the register does not hold (another county) has only its code to be named by.
    if (d.unitName !== undefined) t.notMatch(res.json().message, new RegExp(`^${d.unit}`), `${method} ${url}: the message leads with a name, not the code`);
  }
  t.ok(refusals >= 4, `${refusals} routes refused a unit outside the scope, each naming it`);
  const role = await app.call('GET', '/alerts/open', { token: contact });
  t.equal(role.statusCode, 403);
  t.match(role.json(), { error: 'forbidden', details: { role: 'contact' } });
  t.match(role.json().message, /您的角色（村联络员）不能做此操作/);
  // Who may, named (found by a newcomer: an officer approving relief heard only "not your role").
  const approval = await app.call('POST', '/allocations/00000000-0000-4000-8000-000000000000/approval', { token: app.token('officer', WANGBA), body: {} });
  t.match([approval.statusCode, approval.json()], [403, { error: 'forbidden', message: '您的角色（乡镇值班干部）不能做此操作：须由负责人来做', details: { role: 'officer', allowed: ['head'] } }]);
  const approvalEn = await app.call('POST', '/allocations/00000000-0000-4000-8000-000000000000/approval', { token: app.token('officer', WANGBA), body: {}, headers: { 'accept-language': 'en' } });
  t.equal(approvalEn.json().message, 'role officer may not do this; head may');
  const unit = await app.call('GET', `/alerts/open?unit=${NIANBA}`, { token: app.token('officer', WANGBA) });
  t.match(unit.json().message, /不在您的管辖范围内/);
});
