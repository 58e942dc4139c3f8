import { randomUUID } from 'node:crypto';
import t from 'tap';
import { join } from 'node:path';
import { streams } from '../../domain/events.js';
import { idempotencyDecider } from '../../domain/idempotency.js';
import { reportDecider } from '../../domain/report.js';
import { SqliteEventStore } from '../../infra/eventstore/sqlite.js';
import type { AppendOptions, ExpectedRevision, NewEvent } from '../../infra/eventstore/types.js';
import { keyStream, requestHash } from '../../services/http/idempotency.js';
import { KANG, LIJIA, WANGBA, allocationBody, reportBody, startTestApp, verificationBody, verifiedReport, type TestApp } from '../support/app.js';
import { testDir } from '../support/dirs.js';

/**
 * Issue 9 B: a retried write is never applied twice (SPEC §3). Every POST takes an
 * Idempotency-Key; deliveries carry a deliveryId.
 */

t.test('the same delivery sent twice, as a phone at a village door does when the answer is lost: one delivery', async (t) => {
  const app = await startTestApp(t);
  const reportId = await verifiedReport(app);
  const officer = app.token('officer', WANGBA, 'officer-1');
  const { allocationId } = (await app.call('POST', '/allocations', { token: officer, body: allocationBody(reportId, { cashFen: 50_000, goods: [] }) })).json();
  t.equal((await app.call('POST', `/allocations/${allocationId}/approval`, { token: app.token('head', WANGBA, 'head-1'), body: {} })).statusCode, 200);
  const body = { deliveryId: randomUUID(), cashFen: 20_000, goods: [], confirmation: { method: 'signature', reference: 'RCPT-1' } };
  const first = await app.call('POST', `/allocations/${allocationId}/deliveries`, { token: officer, body });
  const second = await app.call('POST', `/allocations/${allocationId}/deliveries`, { token: officer, body });
  t.equal(first.statusCode, 200);
  t.equal(second.statusCode, 200);
  t.same(second.json(), first.json(), 'the same answer');
  const view = (await app.call('GET', `/allocations/${allocationId}`, { token: officer })).json();
  t.match(view, { delivered: { cashFen: 20_000, deliveries: 1 } }, 'the ledger shows 20,000 delivered, not 40,000');

  const other = await app.call('POST', `/allocations/${allocationId}/deliveries`, { token: officer, body: { ...body, cashFen: 30_000 } });
  t.equal(other.statusCode, 422);
  t.equal(other.json().error, 'idempotency_mismatch', 'the same deliveryId with other contents');
  const missing = await app.call('POST', `/allocations/${allocationId}/deliveries`, { token: officer, body: { cashFen: 1, goods: [], confirmation: body.confirmation } });
  t.equal(missing.statusCode, 400, 'a delivery without its id');
  t.same(missing.json().details.map((d: { path: string }) => d.path), ['body.deliveryId']);
});

interface PostCase {
  route: string;
  /** Makes a fresh object for the request and returns its path and body, and the role to send it as. */
  setup: (app: TestApp) => Promise<{ path: string; body: unknown; token: string; other: { path: string; body: unknown } }>;
}

/** Fresh objects per case, so that each case's first request is allowed and does something. */
const report = async (app: TestApp) => (await app.call('POST', '/reports', { token: app.token('contact', LIJIA), body: reportBody() })).json().reportId as string;
const allocation = async (app: TestApp, approve = false) => {
  const reportId = await verifiedReport(app);
  // The same household again in another report: a repeat, with its reason (SPEC §3).
  const { allocationId } = (await app.call('POST', '/allocations', { token: app.token('officer', WANGBA, 'allocator'), body: allocationBody(reportId, { repeatReason: '测试：每个用例一户' }) })).json();
  if (approve) await app.call('POST', `/allocations/${allocationId}/approval`, { token: app.token('head', WANGBA, 'approver'), body: {} });
  return allocationId as string;
};
/** An allocation held for review: a later 核报 no longer lists its household. */
const flagged = async (app: TestApp) => {
  const reportId = await verifiedReport(app);
  const { allocationId } = (await app.call('POST', '/allocations', { token: app.token('officer', WANGBA, 'allocator'), body: allocationBody(reportId, { repeatReason: '测试：每个用例一户' }) })).json();
  await app.call('POST', `/reports/${reportId}/verifications`, { token: officer(app), body: verificationBody({ households: [{ householdId: 'hh-9', name: '王六', damage: 'moderate', people: 2 }] }) });
  return allocationId as string;
};
const incident = async (app: TestApp) =>
  (await app.call('POST', '/incidents', { token: app.token('head', KANG), body: { county: KANG, hazard: 'hail', startedAt: '2026-01-01T00:00:00Z', title: 't' } })).json().incidentId as string;

const officer = (app: TestApp) => app.token('officer', WANGBA, 'officer-k');
const head = (app: TestApp) => app.token('head', KANG, 'head-k');
const onReport = (suffix: string, body: unknown, other: unknown = body, verified = false, as: (app: TestApp) => string = officer): PostCase => ({
  route: `/reports/:id/${suffix}`,
  setup: async (app) => {
    const [id, otherId] = verified ? [await verifiedReport(app), await verifiedReport(app)] : [await report(app), await report(app)];
    return { path: `/reports/${id}/${suffix}`, body, token: as(app), other: { path: `/reports/${otherId}/${suffix}`, body: other } };
  },
});
const onAllocation = (suffix: string, body: () => unknown, approve: boolean, as: (app: TestApp) => string): PostCase => ({
  route: `/allocations/:id/${suffix}`,
  setup: async (app) => {
    const [id, otherId] = [await allocation(app, approve), await allocation(app, approve)];
    return { path: `/allocations/${id}/${suffix}`, body: body(), token: as(app), other: { path: `/allocations/${otherId}/${suffix}`, body: body() } };
  },
});
const onIncident = (suffix: string, body: unknown, before?: (app: TestApp, id: string) => Promise<unknown>): PostCase => ({
  route: `/incidents/:id/${suffix}`,
  setup: async (app) => {
    const [id, otherId] = [await incident(app), await incident(app)];
    for (const x of [id, otherId]) await before?.(app, x);
    return { path: `/incidents/${id}/${suffix}`, body, token: head(app), other: { path: `/incidents/${otherId}/${suffix}`, body } };
  },
});
const delivery = () => ({ deliveryId: randomUUID(), cashFen: 100, goods: [], confirmation: { method: 'signature', reference: 'r' } });

const CASES: PostCase[] = [
  {
    route: '/reports',
    setup: async (app) => ({ path: '/reports', body: reportBody(), token: app.token('contact', LIJIA), other: { path: '/reports', body: reportBody({ hazard: 'hail' }) } }),
  },
  onReport('amendments', { notes: '续报：又塌一间' }, { notes: '续报：两间' }, false, (app) => app.token('contact', LIJIA)),
  onReport('acknowledgements', {}),
  onReport('dispatches', { eta: '2026-01-01T02:00:00Z' }, { eta: '2026-01-01T03:00:00Z' }),
  onReport('arrivals', { location: { lat: 33.35, lon: 105.63 } }, { location: { lat: 33.36, lon: 105.63 } }),
  onReport('verifications', verificationBody(), verificationBody({ method: '电话核实' })),
  onReport('dismissal', { reason: 'false_alarm' }, { reason: 'out_of_scope' }),
  onReport('closure', { summary: '核查完毕' }, { summary: '结束' }, true),
  {
    route: '/allocations',
    setup: async (app) => {
      const reportId = await verifiedReport(app);
      const body = allocationBody(reportId, { repeatReason: '测试：每个用例一户' });
      return { path: '/allocations', body, token: officer(app), other: { path: '/allocations', body: { ...body, cashFen: 1 } } };
    },
  },
  onAllocation('approval', () => ({}), false, (app) => app.token('head', WANGBA, 'head-k')),
  onAllocation('rejection', () => ({ reason: '不符合条件' }), false, (app) => app.token('head', WANGBA, 'head-k')),
  onAllocation('deliveries', delivery, true, officer),
  onAllocation('cancellation', () => ({ reason: '录入错误' }), false, officer),
  {
    route: '/allocations/:id/review',
    setup: async (app) => {
      const [id, otherId] = [await flagged(app), await flagged(app)];
      const reviewer = app.token('head', WANGBA, 'reviewer');
      return { path: `/allocations/${id}/review`, body: { reason: '入户核实' }, token: reviewer, other: { path: `/allocations/${otherId}/review`, body: { reason: '入户核实' } } };
    },
  },
  {
    route: '/incidents',
    setup: async (app) => {
      const body = { county: KANG, hazard: 'hail', startedAt: '2026-01-01T00:00:00Z', title: '冰雹过程' };
      return { path: '/incidents', body, token: head(app), other: { path: '/incidents', body: { ...body, title: '另一' } } };
    },
  },
  {
    route: '/incidents/:id/links',
    setup: async (app) => {
      const [id, otherId, reportId] = [await incident(app), await incident(app), await report(app)];
      return { path: `/incidents/${id}/links`, body: { reportId }, token: head(app), other: { path: `/incidents/${otherId}/links`, body: { reportId: await report(app) } } };
    },
  },
  {
    route: '/incidents/:id/unlinks',
    setup: async (app) => {
      const [id, otherId] = [await incident(app), await incident(app)];
      const [r1, r2] = [await report(app), await report(app)];
      await app.call('POST', `/incidents/${id}/links`, { token: head(app), body: { reportId: r1 } });
      await app.call('POST', `/incidents/${otherId}/links`, { token: head(app), body: { reportId: r2 } });
      return { path: `/incidents/${id}/unlinks`, body: { reportId: r1 }, token: head(app), other: { path: `/incidents/${otherId}/unlinks`, body: { reportId: r2 } } };
    },
  },
  {
    route: '/tokens',
    setup: async (app) => {
      const body = { tokens: [{ sub: `contact-${randomUUID().slice(0, 8)}`, role: 'contact', scope: LIJIA }] };
      return { path: '/tokens', body, token: app.token('admin', KANG, 'admin-k'), other: { path: '/tokens', body: { tokens: [{ sub: 'someone-else', role: 'contact', scope: LIJIA }] } } };
    },
  },
  {
    route: '/tokens/revocations',
    setup: async (app) => {
      const subs = [`officer-${randomUUID().slice(0, 8)}`, `officer-${randomUUID().slice(0, 8)}`];
      await app.call('POST', '/tokens', { token: app.token('admin', KANG, 'admin-k'), body: { tokens: subs.map((sub) => ({ sub, role: 'officer', scope: WANGBA })) } });
      const body = (sub: string) => ({ sub, reason: '调离' });
      return { path: '/tokens/revocations', body: body(subs[0]!), token: head(app), other: { path: '/tokens/revocations', body: body(subs[1]!) } };
    },
  },
  onIncident('submissions', { stage: 'initial', figures: { affectedPeople: 3 }, asOf: '2026-01-01T01:00:00Z' }),
  onIncident('stabilization', {}),
  onIncident('closure', { summary: '结束' }, async (app, id) => {
    await app.call('POST', `/incidents/${id}/submissions`, { token: head(app), body: { stage: 'initial', figures: {}, asOf: '2026-01-01T01:00:00Z' } });
    await app.call('POST', `/incidents/${id}/stabilization`, { token: head(app), body: { at: '2026-01-02T00:00:00Z' } });
    await app.call('POST', `/incidents/${id}/submissions`, { token: head(app), body: { stage: 'final', figures: {}, asOf: '2026-01-02T01:00:00Z' } });
  }),
];

t.test('sweep: every POST route sent twice with one Idempotency-Key is applied once and answered the same', async (t) => {
  const app = await startTestApp(t);
  const posts = app.app.routeList.filter((r) => r.method === 'POST' && r.roles).map((r) => r.url);
  t.same(posts.filter((r) => !CASES.some((c) => c.route === r)), [], 'every POST route the server has is in the sweep');

  for (const c of CASES) {
    const { path, body, token, other } = await c.setup(app);
    const key = `k-${randomUUID()}`;
    const headers = { 'idempotency-key': key };
    const first = await app.call('POST', path, { token, body, headers });
    t.ok(first.statusCode >= 200 && first.statusCode < 300, `${c.route}: the first request does its work (${first.statusCode} ${first.body.slice(0, 100)})`);
    const size = await app.logSize();
    const again = await app.call('POST', path, { token, body, headers });
    t.equal(again.statusCode, first.statusCode, `${c.route}: the retry gets the same status`);
    t.same(again.json(), first.json(), `${c.route}: and the same body`);
    t.equal(again.headers['idempotent-replayed'], 'true', `${c.route}: marked as a replay`);
    t.equal(await app.logSize(), size, `${c.route}: the retry wrote nothing`);
    const mismatch = await app.call('POST', other.path, { token, body: other.body, headers });
    t.equal(mismatch.statusCode, 422, `${c.route}: the same key on another request is refused`);
    t.equal(mismatch.json().error, 'idempotency_mismatch');
    t.equal(await app.logSize(), size, `${c.route}: and nothing is written`);
  }
});

t.test('an amendment sent twice with one key writes one ReportAmended; without a key, a resent amendment that changes nothing writes nothing', async (t) => {
  const app = await startTestApp(t);
  const contact = app.token('contact', LIJIA);
  const reportId = await report(app);
  const amend = (headers?: Record<string, string>) => app.call('POST', `/reports/${reportId}/amendments`, { token: contact, body: { estimate: { dead: 1 } }, ...(headers ? { headers } : {}) });
  await amend({ 'idempotency-key': 'amend-1' });
  await amend({ 'idempotency-key': 'amend-1' });
  await amend();
  const amended = (await app.store.readStream(streams.report(reportId))).filter((e) => e.type === 'ReportAmended');
  t.equal(amended.length, 1);
});

t.test('ten requests with one key at once: applied once, every answer the first one\u2019s', async (t) => {
  const app = await startTestApp(t);
  const contact = app.token('contact', LIJIA);
  const before = await app.logSize();
  const head = await app.store.headPosition();
  const body = reportBody();
  const answers = await Promise.all(Array.from({ length: 10 }, () => app.call('POST', '/reports', { token: contact, body, headers: { 'idempotency-key': 'burst' } })));
  t.same(new Set(answers.map((a) => a.statusCode)), new Set([201]), 'one status, the first one\u2019s');
  t.equal(new Set(answers.map((a) => a.json().reportId)).size, 1, 'one report');
  t.equal((await app.logSize()) - before, 3, 'three events: the key claimed, the report filed, the key completed');
  const filed = (await app.store.readAll({ ...(head ? { after: head } : {}), max: 10_000 })).filter((e) => e.type === 'ReportFiled');
  t.equal(filed.length, 1, 'one ReportFiled');
});

t.test('a request that died after writing, before recording its answer: the retry finds what it did and does not do it again', async (t) => {
  const dataDir = testDir(t);
  const app = await startTestApp(t, { dataDir });
  const contact = app.token('contact', LIJIA);
  const sub = `contact-${LIJIA}`;
  const reportId = await report(app);
  const body = { notes: '村西又塌一户' };
  const params = { id: reportId };
  const stream = keyStream(sub, 'POST /reports/:id/amendments', 'lost-answer');
  const ctx = { actor: { id: sub, role: 'contact' as const }, correlationId: 'dead-request', now: new Date(Date.now() - 120_000).toISOString() };
  // What the dead request managed: its claim (long expired) and its amendment, stamped with the key.
  await app.commands.execute(stream, idempotencyDecider, { type: 'ClaimKey', data: { route: 'POST /reports/:id/amendments', requestHash: requestHash(params, body), leaseUntil: new Date(Date.now() - 60_000).toISOString() }, now: ctx.now }, ctx);
  await app.commands.execute(streams.report(reportId), reportDecider, { type: 'AmendReport', data: body, now: ctx.now }, { ...ctx, idempotencyKey: stream });
  await app.close();

  const restarted = await startTestApp(t, { dataDir });
  const size = await restarted.logSize();
  const retry = await restarted.call('POST', `/reports/${reportId}/amendments`, { token: contact, body, headers: { 'idempotency-key': 'lost-answer' } });
  t.equal(retry.statusCode, 200, retry.body);
  const amended = (await restarted.store.readStream(streams.report(reportId))).filter((e) => e.type === 'ReportAmended');
  t.equal(amended.length, 1, 'the amendment is not made twice');
  t.equal(retry.json().position, amended[0]!.position, 'the answer points at what the first attempt wrote');
  t.equal((await restarted.logSize()) - size, 2, 'only the key stream moved: taken over, then completed');
  const replay = await restarted.call('POST', `/reports/${reportId}/amendments`, { token: contact, body, headers: { 'idempotency-key': 'lost-answer' } });
  t.equal(replay.headers['idempotent-replayed'], 'true', 'from now on, a plain replay');
});

t.test('a filing that died after writing, before recording its answer: the retry is answered 201 with what the first wrote', async (t) => {
  // The node dies between the report's append and the key's answer (tests/faults/kill9-intake):
  // here the answer's append fails instead, and the clock moves past the claim's lease.
  let clock = Date.now();
  let dropAnswer = true;
  const app = await startTestApp(t, {
    now: () => new Date(clock),
    // The first alert is written with the filing, so the answer names the append's last event.
    alerting: true,
    escalationDelayMs: 3_600_000,
    store: (dataDir) => {
      const store = new SqliteEventStore({ file: join(dataDir, 'events.sqlite') });
      const append = store.append.bind(store);
      store.append = (stream: string, events: NewEvent[], ...rest: [ExpectedRevision?, AppendOptions?]) => {
        if (dropAnswer && events.some((e) => e.type === 'IdempotencyKeyCompleted')) {
          dropAnswer = false;
          return Promise.reject(new Error('the node died here'));
        }
        return append(stream, events, ...rest);
      };
      return store;
    },
  });
  const contact = app.token('contact', LIJIA);
  const body = reportBody();
  const first = await app.call('POST', '/reports', { token: contact, body, headers: { 'idempotency-key': 'answer-lost' } });
  t.equal(first.statusCode, 201, first.body);
  t.notOk(dropAnswer, 'the answer was not recorded');
  clock += 5 * 60_000;
  const retry = await app.call('POST', '/reports', { token: contact, body, headers: { 'idempotency-key': 'answer-lost' } });
  t.equal(retry.statusCode, 201, 'answered as the first was: created');
  t.same(retry.json(), first.json(), 'with the same body');
  const filed = (await app.store.readStream(streams.report(first.json().reportId))).filter((e) => e.type === 'ReportFiled');
  t.equal(filed.length, 1, 'filed once');
  const plain = await app.call('POST', '/reports', { token: contact, body: { ...body, reportId: first.json().reportId } });
  t.equal(plain.statusCode, 200, 'the same reportId without the key is a resend, not a creation');
});

t.test('keys survive a restart; another user\u2019s same key is another key; bad keys are 400', async (t) => {
  const dataDir = testDir(t);
  const app = await startTestApp(t, { dataDir });
  const body = reportBody();
  const first = await app.call('POST', '/reports', { token: app.token('contact', LIJIA), body, headers: { 'idempotency-key': '"abc"' } });
  await app.close();
  const again = await startTestApp(t, { dataDir });
  const replay = await again.call('POST', '/reports', { token: again.token('contact', LIJIA), body, headers: { 'idempotency-key': 'abc' } });
  t.equal(replay.statusCode, 201);
  t.same(replay.json(), first.json(), 'the quoted and the bare form are one key, and it outlived the process');
  const someoneElse = await again.call('POST', '/reports', { token: again.token('contact', LIJIA, 'another-contact'), body, headers: { 'idempotency-key': 'abc' } });
  t.equal(someoneElse.statusCode, 201);
  t.not(someoneElse.json().reportId, first.json().reportId, 'keys are per user');
  for (const bad of ['', 'x'.repeat(256), 'with space', 'ü']) {
    const res = await again.call('POST', '/reports', { token: again.token('contact', LIJIA), body: reportBody(), headers: { 'idempotency-key': bad } });
    t.equal(res.statusCode, 400, JSON.stringify(bad));
  }
});

t.test('an answer a retry could improve on frees the key: a 503 is not replayed', async (t) => {
  const app = await startTestApp(t);
  const contact = app.token('contact', LIJIA);
  const key = { 'idempotency-key': 'after-busy' };
  // A 4xx decided by the rules is final and replayed …
  const officer = app.token('officer', WANGBA);
  const nowhere = reportBody({ village: '621299103299' });
  const refused = await app.call('POST', '/reports', { token: officer, body: nowhere, headers: key });
  t.equal(refused.statusCode, 422, 'no such village');
  const replayed = await app.call('POST', '/reports', { token: officer, body: nowhere, headers: key });
  t.equal(replayed.headers['idempotent-replayed'], 'true');
  // … a transient one frees the key: the decider's ReleaseKey, as the plugin uses it.
  const stream = keyStream(`contact-${LIJIA}`, 'POST /reports', 'transient');
  const ctx = { actor: { id: 'x', role: 'contact' as const }, correlationId: 'c', now: new Date().toISOString() };
  const body = reportBody();
  await app.commands.execute(stream, idempotencyDecider, { type: 'ClaimKey', data: { route: 'POST /reports', requestHash: requestHash({}, body), leaseUntil: new Date(Date.now() + 60_000).toISOString() }, now: ctx.now }, ctx);
  await app.commands.execute(stream, idempotencyDecider, { type: 'ReleaseKey', data: { status: 503 }, now: ctx.now }, ctx);
  const after = await app.call('POST', '/reports', { token: contact, body, headers: { 'idempotency-key': 'transient' } });
  t.equal(after.statusCode, 201, 'the released key is claimed again and the request runs');
});
