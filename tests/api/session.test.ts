// GET /me: what the pages need to work without another round trip — who the token is, the
// villages a report can be filed for, and whom to call when a report does not get through.
import t from 'tap';
import { HEJIAGOU, KANG, LIJIA, startTestApp, WANGBA } from '../support/app.js';

t.test('GET /me: the villages in scope and the township on-call line, phones from the grants', async (t) => {
  const app = await startTestApp(t);
  const admin = app.token('admin', KANG);
  // The demo roster puts officer-wangba-1 (primary) and officer-wangba-2 (backup) on call in 王坝镇.
  const issued = await app.call('POST', '/tokens', {
    token: admin,
    body: {
      tokens: [
        { sub: 'officer-wangba-1', role: 'officer', scope: WANGBA, name: '王主班', phone: '13900000001' },
        { sub: 'officer-wangba-2', role: 'officer', scope: WANGBA, name: '赵备班', phone: '13900000002' },
        { sub: 'contact-lijia', role: 'contact', scope: LIJIA, name: '李联络', phone: '13800000009' },
      ],
    },
  });
  t.equal(issued.statusCode, 201);
  const contactToken = issued.json().tokens[2].token;

  const me = await app.call('GET', '/me', { token: contactToken });
  t.equal(me.statusCode, 200);
  const body = me.json();
  t.match(body, { sub: 'contact-lijia', role: 'contact', name: '李联络', phone: '13800000009', scope: LIJIA });
  t.same(body.villages.map((v: { code: string }) => v.code), [LIJIA], 'a village contact files for their village');
  t.same(body.villages[0].path, ['康县（示例）', '王坝镇（示例）', '李家村（示例）'], 'with its path');
  t.equal(body.hazards.find((h: { code: string }) => h.code === 'debris_flow').label, '泥石流', 'hazards by their Chinese labels');
  t.equal(body.callInstead.length, 1, 'one township to ring');
  t.same(
    body.callInstead[0].people.map((p: { name: string; phone: string; kind: string }) => [p.kind, p.name, p.phone]),
    [
      ['primary', '王主班', '13900000001'],
      ['backup', '赵备班', '13900000002'],
      ['office', '王坝镇（示例）', '09390000103'],
    ],
    'the on-call officers first (primary, then backup), then the township office',
  );

  const officer = (await app.call('GET', '/me', { token: app.token('officer', WANGBA, 'officer-x') })).json();
  t.same(officer.villages.map((v: { code: string }) => v.code), [LIJIA, HEJIAGOU], 'an officer files for every village of the township');
  t.equal(officer.name, null, 'no name recorded for a token issued without one');

  const county = (await app.call('GET', '/me', { token: app.token('head', KANG, 'head-k') })).json();
  t.equal(county.villages.length, 3, 'a county head sees every village (for notices)');
  t.same(county.callInstead, [], 'a county has its own office: no township line');

  const auditor = (await app.call('GET', '/me', { token: app.token('auditor', WANGBA, 'aud') })).json();
  t.same(auditor.villages.map((v: { code: string }) => v.code), [LIJIA, HEJIAGOU]);
  const adminMe = (await app.call('GET', '/me', { token: admin })).json();
  t.same([adminMe.role, adminMe.villages], ['admin', []], 'an admin files nothing');
  t.equal((await app.call('GET', '/me')).statusCode, 401, 'no token, no session');
  t.equal((await app.call('GET', '/me', { token: contactToken, headers: { 'accept-language': 'en' } })).statusCode, 200);

  // A report names the people who answered it by the names on their grants.
  const filed = await app.call('POST', '/reports', { token: contactToken, body: { village: LIJIA, hazard: 'hail', observedAt: '2026-07-01T00:00:00Z', reporter: { name: '李联络', phone: '13800000009' } } });
  const reportId = filed.json().reportId;
  const officerToken = issued.json().tokens[0].token;
  t.equal((await app.call('POST', `/reports/${reportId}/acknowledgements`, { token: officerToken, body: {} })).statusCode, 200);
  t.equal((await app.call('POST', `/reports/${reportId}/dispatches`, { token: app.token('officer', WANGBA, 'officer-unnamed'), body: {} })).statusCode, 200);
  const report = (await app.call('GET', `/reports/${reportId}`, { token: officerToken })).json();
  t.same(report.people, { 'officer-wangba-1': '王主班' }, 'who has a name on their grant, by it; who has none is left to their id');
});

t.test('the pages are served at / with a strict CSP; the SMS link opens the console', async (t) => {
  const app = await startTestApp(t);
  const index = await app.call('GET', '/');
  t.equal(index.statusCode, 200);
  t.match(index.headers['content-type'], /text\/html/);
  t.match(index.body, /<html lang="zh-CN">/, 'Chinese first');
  const csp = String(index.headers['content-security-policy']);
  t.match(csp, /script-src 'self' 'sha256-[A-Za-z0-9+/=]+'/, 'scripts from the server only, the import map by its hash');
  t.notMatch(csp, /unsafe-inline|unsafe-eval/, 'no inline script or eval');
  t.match(csp, /frame-ancestors 'none'/);
  const sw = await app.call('GET', '/sw.js');
  t.equal(sw.statusCode, 200);
  t.match(sw.body, /const SHELL = \["\/",/, 'the service worker keeps the shell');
  t.notMatch(sw.body, /\/reports|\/alerts|\/me"/, 'and no API route');
  const gz = await app.call('GET', '/vendor/preact/preact.mjs', { headers: { 'accept-encoding': 'gzip' } });
  t.equal(gz.headers['content-encoding'], 'gzip', 'compressed for a slow line');
  const etag = String(gz.headers.etag);
  t.equal((await app.call('GET', '/vendor/preact/preact.mjs', { headers: { 'if-none-match': etag } })).statusCode, 304, 'revalidated, not sent again');
  for (const path of ['/app/../package.json', '/app/nothing.js', '/web/index.html', '/.env']) {
    const res = await app.call('GET', path);
    t.equal(res.statusCode, 404, `${path}: not served`);
    t.equal(res.json().error, 'not_found', 'as the API’s own JSON 404');
  }
  const api = await app.call('GET', '/reports', { token: app.token('officer', WANGBA) });
  t.equal(api.headers['content-encoding'], undefined, 'API answers are not touched by the pages’ compression');
});
