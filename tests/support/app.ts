import type { Test } from 'tap';
import type { LightMyRequestResponse } from 'fastify';
import { loadConfig } from '../../infra/config.js';
import { createLogger, type Logger } from '../../infra/logging.js';
import { streams } from '../../domain/events.js';
import { rosterDecider } from '../../domain/roster.js';
import { unitRegisterDecider } from '../../domain/unit-register.js';
import type { Role } from '../../domain/vocabulary.js';
import { execute } from '../../services/commands/execute.js';
import { recordGrants } from '../../services/grants.js';
import { DEMO_ROSTERS, DEMO_UNITS } from '../../services/demo.js';
import { createZhitong, type Zhitong, type ZhitongOptions } from '../../services/server.js';
import type { GatewayOptions } from '../../services/alerts/gateway.js';
import { join } from 'node:path';
import type { EventStore } from '../../infra/eventstore/types.js';
import { EsdbEventStore } from '../../infra/eventstore/esdb.js';
import { logPages } from '../../infra/eventstore/pages.js';
import { SqliteEventStore } from '../../infra/eventstore/sqlite.js';
import { EsdbTestNode } from './esdb-server.js';
import { allocatedData, verifiedData } from './fixtures.js';
import { testDir } from './dirs.js';

export const WANGBA = '621299103000';
export const LIJIA = '621299103201';
export const HEJIAGOU = '621299103202';
export const NIANBA = '621299104000';
export const ZHUJIAGOU = '621299104201';
export const KANG = '621299000000';

const seedContext = { actor: { id: 'test-seed', role: 'admin' as const }, correlationId: 'seed', now: '2026-01-01T00:00:00.000Z' };

export interface TestApp extends Zhitong {
  dataDir: string;
  token(role: Role, scope: string, sub?: string): string;
  /** app.inject with a bearer token and JSON body. */
  call(method: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE', url: string, options?: { token?: string | undefined; body?: unknown; headers?: Record<string, string> }): Promise<LightMyRequestResponse>;
  /** How many events the log holds. */
  logSize(): Promise<number>;
}

/** A zhitong on its own DATA_DIR with the demo county and rosters, closed when the test ends. */
/** Test servers by data directory, so that a restart on the same directory finds the same log. */
const esdbNodes = new Map<string, EsdbTestNode>();

/**
 * The store a test app runs on: the embedded SQLite file in `dataDir`, or, with TEST_STORE=esdb
 * (tests/api/esdb-sweeps.test.ts), EventStoreDB through the protocol-level test server, one per
 * data directory, with the server's own events interleaved in $all.
 */
export async function baseStore(t: Test, dataDir: string): Promise<EventStore> {
  if (process.env.TEST_STORE !== 'esdb') return new SqliteEventStore({ file: join(dataDir, 'events.sqlite') });
  let node = esdbNodes.get(dataDir);
  if (!node) {
    const started = new EsdbTestNode();
    node = started;
    await started.start();
    started.log.appendSystem(25);
    esdbNodes.set(dataDir, started);
    t.teardown(() => {
      esdbNodes.delete(dataDir);
      return started.stop();
    });
  }
  return new EsdbEventStore(node.url, { retryBaseMs: 5 });
}

/**
 * `alerting: false` (the default here) leaves out the alert timers, so API tests see only the
 * events their requests write; the alerting tests turn them on.
 */
export async function startTestApp(
  t: Test,
  options: {
    now?: () => Date;
    rateLimitPerMinute?: number;
    bodyLimitBytes?: number;
    alerting?: boolean;
    escalationDelayMs?: number;
    gateway?: GatewayOptions;
    dataDir?: string;
    redisUrl?: string;
    /** The logger the node writes to (silent unless a test reads what is logged). */
    logger?: Logger;
    /** The event store to run on, given the data directory (a wrapper around the real one, say). */
    store?: (dataDir: string) => EventStore | Promise<EventStore>;
    env?: Record<string, string>;
    /** Runs the alert jobs (a test's own scheduler, which it drives); overrides `alerting`. */
    scheduler?: ZhitongOptions['scheduler'];
    smsAfterMs?: number;
  } = {},
): Promise<TestApp> {
  const dataDir = options.dataDir ?? testDir(t);
  const config = loadConfig({
    DATA_DIR: dataDir,
    ...(options.redisUrl ? { REDIS_URL: options.redisUrl } : {}),
    LOG_LEVEL: 'silent',
    RATE_LIMIT_PER_MINUTE: String(options.rateLimitPerMinute ?? 1_000_000),
    AUTH_FAILURES_PER_MINUTE: '1000000',
    // The node's own verification of its log (tests/audit/integrity.test.ts turns it on); elsewhere
    // its two reader threads, at every start, would only slow the suite.
    VERIFY_EVERY: '0',
    ...(options.bodyLimitBytes ? { BODY_LIMIT_BYTES: String(options.bodyLimitBytes) } : {}),
    ...options.env,
  });
  if (options.escalationDelayMs !== undefined) config.escalationDelayMs = options.escalationDelayMs;
  const zhitong = await createZhitong(config, options.logger ?? createLogger('silent'), {
    ...(options.now ? { now: options.now } : {}),
    ...(options.gateway ? { gateway: options.gateway } : {}),
    ...(options.store ? { store: await options.store(dataDir) } : process.env.TEST_STORE === 'esdb' ? { store: await baseStore(t, dataDir) } : {}),
    ...(options.smsAfterMs !== undefined ? { smsAfterMs: options.smsAfterMs } : {}),
    ...(options.scheduler ? { scheduler: options.scheduler } : options.alerting ? {} : { scheduler: () => ({ kind: 'in-process' as const, schedule: async () => undefined, close: async () => undefined }) }),
    // A node with alerting off raises no alert at all, not even with a filing.
    ...(options.scheduler || options.alerting ? {} : { firstAlertInFiling: false }),
  });
  // tap reports a teardown that rejects as "error thrown in teardown" without the error: said here.
  t.teardown(() =>
    zhitong.close().catch((error: unknown) => {
      console.error('zhitong.close() failed in a test teardown:', error);
      throw error;
    }),
  );
  await execute(zhitong.store, streams.units, unitRegisterDecider, { type: 'ImportUnits', data: { units: DEMO_UNITS }, now: seedContext.now }, seedContext);
  for (const [township, entries] of Object.entries(DEMO_ROSTERS)) {
    await execute(zhitong.store, streams.roster(township), rosterDecider, { type: 'SetRoster', data: { township, entries }, now: seedContext.now }, seedContext);
  }
  await zhitong.units.refresh();
  return {
    ...zhitong,
    dataDir,
    token: (role, scope, sub = `${role}-${scope}`) => zhitong.tokens.issue({ sub, role, scope }, 3600),
    call: async (method, url, { token, body, headers = {} } = {}) => {
      const response = await zhitong.app.inject({
        method,
        url,
        headers: { ...(token ? { authorization: `Bearer ${token}` } : {}), ...(body !== undefined ? { 'content-type': 'application/json' } : {}), ...headers },
        ...(body !== undefined ? { payload: typeof body === 'string' ? body : JSON.stringify(body) } : {}),
      });
      // Reads without ?position= are eventually current (SPEC §6). SQLite's in-process
      // notification makes the next read current in practice; over EventStoreDB's network
      // subscription a test reads its own writes as a client passing ?position= would.
      if (zhitong.store.kind === 'eventstoredb' && method !== 'GET') {
        const head = await zhitong.store.headPosition();
        if (head) await zhitong.runner.waitFor(head, 5000);
      }
      return response;
    },
    logSize: async () => {
      if (zhitong.store.kind === 'sqlite') return Number((await zhitong.store.headPosition()) ?? 0);
      let events = 0;
      for await (const page of logPages(zhitong.store)) events += page.length;
      return events;
    },
  };
}

let filings = 0;
/**
 * A report's body. One without a reportId is observed a second after the one before: two reports
 * that say the same thing about the same moment, from one person, are one report
 * (services/http/routes/reports.ts reportIdFor), so a test's second report is another observation,
 * as in the field. One with a reportId names its report, so the same call again is the same body
 * (a resend).
 */
export const reportBody = (over: Record<string, unknown> = {}) => ({
  village: LIJIA,
  hazard: 'landslide',
  observedAt: new Date(Date.parse('2026-01-01T00:00:00.000Z') + ('reportId' in over ? 0 : 1000 * ++filings)).toISOString(),
  reporter: { name: '王建国', phone: '13800000000' },
  estimate: { affectedPeople: 12, roomsCollapsed: 2 },
  directions: '村委会后山，沿水泥路上行 1 公里',
  ...over,
});

/** The API's verification body: the fixture's DamageVerified data without the verifier (the token says who). */
export const verificationBody = (over: Record<string, unknown> = {}) => {
  const { verifier: _verifier, ...body } = verifiedData();
  return { ...body, ...over };
};

/** The API's allocation body: the fixture's ReliefAllocated data without what the server decides. */
export const allocationBody = (reportId: string, over: Record<string, unknown> = {}) => {
  const { allocationId: _id, village: _village, allocatedBy: _by, ...body } = allocatedData({ reportId });
  return { ...body, ...over };
};

/** Files a report as the village contact and verifies it as the township officer; returns its id. */
export async function verifiedReport(app: TestApp, village = LIJIA): Promise<string> {
  const township = village.slice(0, 9) + '000';
  const filed = await app.call('POST', '/reports', { token: app.token('contact', village), body: reportBody({ village }) });
  const { reportId } = filed.json() as { reportId: string };
  const verified = await app.call('POST', `/reports/${reportId}/verifications`, { token: app.token('officer', township, 'officer-1'), body: verificationBody() });
  if (verified.statusCode !== 200) throw new Error(`verification failed: ${verified.body}`);
  return reportId;
}

/** A verified report in 李家村, an allocation on it and an incident in 康县: the objects route-wide tests act on. */
export async function seedObjects(app: TestApp): Promise<{ reportId: string; allocationId: string; incidentId: string }> {
  const reportId = await verifiedReport(app, LIJIA);
  const allocated = await app.call('POST', '/allocations', { token: app.token('officer', WANGBA, 'allocator'), body: allocationBody(reportId) });
  const opened = await app.call('POST', '/incidents', {
    token: app.token('head', KANG),
    body: { county: KANG, hazard: 'landslide', startedAt: '2026-01-01T00:00:00Z', title: 't' },
  });
  if (allocated.statusCode !== 201 || opened.statusCode !== 201) throw new Error(`seeding failed: ${allocated.body} ${opened.body}`);
  return { reportId, allocationId: allocated.json().allocationId, incidentId: opened.json().incidentId };
}

/**
 * Records a token as `cli token` and POST /tokens do (AccessGranted), for a test where whether a
 * person can be reached matters (step 0 of an alert: domain/alerting.ts escalationPolicy);
 * `app.token` alone mints one the log does not know of. Resolves once the read side has it.
 */
export async function recordGrant(app: TestApp, grant: { sub: string; role: Role; scope: string }): Promise<void> {
  const now = new Date().toISOString();
  const context = { actor: { id: 'test-admin', role: 'admin' as const }, correlationId: 'test-grant', now };
  await recordGrants(app.store, [{ ...grant, ttlSeconds: 86_400 }], context);
  await app.runner.caughtUp();
}
