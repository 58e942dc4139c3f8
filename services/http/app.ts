import { randomUUID } from 'node:crypto';
import { createServer } from 'node:http';

/** How long an idle keep-alive connection is kept (ms); a proxy in front must close its own sooner. */
export const KEEP_ALIVE_MS = 75_000;
/** How long a stop waits for requests under way before it cuts their connections, ms (at most the request timeout). */
export const STOP_GRACE_MS = 10_000;
import secureJson from 'secure-json-parse';
import rateLimit from '@fastify/rate-limit';
import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import websocket from '@fastify/websocket';
import Fastify, { type FastifyBaseLogger, type FastifyInstance, type FastifyReply } from 'fastify';
import { jsonSchemaTransform, serializerCompiler, validatorCompiler } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { Redis } from 'ioredis';
import { collectDefaultMetrics, Counter, Gauge, Histogram } from 'prom-client';
import { DEFAULT_CLOCK_RULES, type ClockRules } from '../../domain/clocks.js';
import { findIllFormedText, normalizeNewlines, TEXT_PROBLEM_MESSAGES } from '../../domain/text.js';
import { withLocalTimes } from '../../domain/time.js';
import { streams } from '../../domain/events.js';
import type { Logger } from '../../infra/logging.js';
import type { EventStore } from '../../infra/eventstore/types.js';
import type { TokenService } from '../../infra/tokens.js';
import type { AlertGateway } from '../alerts/gateway.js';
import type { BackgroundTasks } from '../background.js';
import type { CommandHandler } from '../commands/execute.js';
import { NodeMetrics } from '../metrics.js';
import { NotCaughtUpError, type ProjectionRunner } from '../projection-runner.js';
import { isRevoked } from '../../projections/access.js';
import { unacknowledgedAlerts } from '../../projections/open-alerts.js';
import type { IntegrityStatus } from '../audit/integrity.js';
import type { UnitsDirectory } from '../units-directory.js';
import { accessRoutes } from './routes/access.js';
import { pages } from './pages.js';
import { sessionRoutes } from './routes/session.js';
import { smsRoutes, type SmsLine } from './routes/sms.js';
import type { AuditDeps } from './routes/audit.js';
import { WEBSOCKET_PROTOCOL, authPlugin, memoryAuthFailures, redisAuthFailures } from './auth.js';
import { ifMatch } from './context.js';
import type { ApiDeps } from './deps.js';
import { HttpError, classify, registerErrorHandling } from './errors.js';
import { idempotencyPlugin } from './idempotency.js';
import { type BrokenLog, LOG_INTEGRITY_HEADER, logIntegrityHeader, logWarning, requestLanguage, URL_MALFORMED, URL_TOO_LONG } from './messages.js';
import { documented } from './openapi.js';
import { alertRoutes } from './routes/alerts.js';
import { allocationRoutes } from './routes/allocations.js';
import { auditRoutes } from './routes/audit.js';
import { incidentRoutes } from './routes/incidents.js';
import { reportRoutes } from './routes/reports.js';
import { rosterRoutes } from './routes/roster.js';
import { readRoutes } from './routes/reads.js';
import { unitRoutes } from './routes/units.js';

export interface AppDeps {
  store: EventStore;
  commands: CommandHandler;
  logger: Logger;
  tokens: TokenService;
  units: UnitsDirectory;
  runner: ProjectionRunner;
  tasks: BackgroundTasks;
  now?: () => Date;
  bodyLimitBytes?: number;
  rateLimitPerMinute?: number;
  authFailuresPerMinute?: number;
  /** Proxies whose X-Forwarded-For is believed (TRUST_PROXY). */
  trustProxy?: string[];
  requestTimeoutMs?: number;
  reliefWindowDays?: number;
  /** The statutory clocks' rules (SPEC §3), with the office's working calendar. */
  clockRules?: ClockRules;
  /** Step 0 decided with a filing (the escalator's `firstAlert`). */
  firstAlert?: ApiDeps['firstAlert'];
  /** Shared limiter counts across nodes, where Redis is configured. */
  redis?: Redis;
  gateway?: AlertGateway;
  /** Seals: the signer whose public key verification checks, where one is configured (SPEC §8). */
  audit?: AuditDeps;
  /** The SMS line, where a provider is configured (SPEC §5); without one alerts go by WebSocket only. */
  sms?: SmsLine;
  /** Extra readiness checks (Redis, where configured). */
  readinessChecks?: Array<{ name: string; check: () => Promise<void> }>;
  /** The node's last verification of the whole log (services/audit/integrity.ts), for /ready and /metrics. */
  integrity?: () => IntegrityStatus;
  /** The node's instruments; `/metrics` serves their registry (a fresh one when not given). */
  metrics?: NodeMetrics;
}

/**
 * Marks `intact: false` on each object of a read whose own record's stream the log's check named:
 * a row with an `allocationId` by that allocation, else one with a `reportId` by that report, else
 * one with an `incidentId` by that incident. Found by a newcomer: the ledger listed an allocation
 * whose approval had been deleted, and `GET /reports` a report whose verification had, both as if
 * whole, while their own views said `intact: false`. A row is marked by its own history only: an
 * allocation on a damaged report is not itself damaged (the report's row says so).
 */
function markDamaged(value: unknown, damaged: ReadonlySet<string>): void {
  if (Array.isArray(value)) {
    for (const v of value) markDamaged(v, damaged);
    return;
  }
  if (value === null || typeof value !== 'object') return;
  const o = value as Record<string, unknown>;
  const own = typeof o.allocationId === 'string' ? streams.allocation(o.allocationId) : typeof o.reportId === 'string' ? streams.report(o.reportId) : typeof o.incidentId === 'string' ? streams.incident(o.incidentId) : undefined;
  if (own !== undefined && damaged.has(own) && o.intact === undefined) o.intact = false;
  for (const v of Object.values(o)) markDamaged(v, damaged);
}

/** A route as the server registered it: what the role × scope matrix test walks. */
export interface RouteInfo {
  method: string;
  url: string;
  roles: readonly string[] | undefined;
  websocket: boolean;
  /** Served as stored, without Beijing-time twins (the audit log, whose hashes cover its bytes). */
  verbatim: boolean;
  /** Takes `limit` in its query: a list, which answers `{items, next}` (SPEC §4). */
  paged: boolean;
}

declare module 'fastify' {
  interface FastifyInstance {
    /** Every route registered, taken from fastify's onRoute as it happens, so none can be missed. */
    routeList: RouteInfo[];
  }
}

const REQUEST_ID = /^[A-Za-z0-9._:-]{1,64}$/;
/**
 * The longest path parameter the router takes, as sent (percent-encoded): a household id is up to
 * 64 characters, and 64 Chinese ones are 576 once encoded (fastify's default, 100, cut off a
 * household id of a dozen Chinese characters before its route could answer).
 */
const MAX_PARAM_LENGTH = 600;
const TEXT_PARTS = ['body', 'querystring', 'params'] as const;

export async function buildApp(deps: AppDeps): Promise<FastifyInstance> {
  const app = Fastify({
    loggerInstance: deps.logger as FastifyBaseLogger,
    bodyLimit: deps.bodyLimitBytes ?? 256 * 1024,
    // A client's X-Request-Id becomes the correlation id of the events it causes.
    genReqId: (req) => {
      const given = req.headers['x-request-id'];
      return typeof given === 'string' && REQUEST_ID.test(given) ? given : randomUUID();
    },
    requestIdHeader: false,
    // X-Forwarded-For is believed only from the configured proxies: otherwise any client could
    // name its own address and escape the per-address limit.
    trustProxy: deps.trustProxy && deps.trustProxy.length > 0 ? deps.trustProxy : false,
    // A client holding a request open (a body that never ends) is cut off once the request has
    // taken requestTimeout; Node looks every connectionsCheckingInterval (30 s by default, so a
    // 60 s limit could hold a connection 90 s), here every second.
    // Idle keep-alive connections are kept 75 s (Node's default is 5 s; fastify's own 72 s does not
    // apply to a server built here): a phone on a slow network or a proxy in front (nginx's
    // upstream keepalive_timeout, 60 s in deploy/nginx/zhitong.conf, must stay below it) reuses
    // the connection instead of meeting one the node is closing (a 502 for a POST).
    serverFactory: (handler) => {
      const server = createServer({ requestTimeout: deps.requestTimeoutMs ?? 60_000, headersTimeout: Math.min(deps.requestTimeoutMs ?? 60_000, 30_000), connectionsCheckingInterval: 1000 }, handler);
      server.keepAliveTimeout = KEEP_ALIVE_MS;
      return server;
    },
    return503OnClosing: true,
    ajv: { customOptions: { removeAdditional: false } },
    // What the router refuses before any route runs (an id hundreds of characters long, a broken
    // %-escape) is answered like any bad field (SPEC §9): fastify's own body was English, echoed the
    // whole address and had no `details` (found by a newcomer).
    routerOptions: { maxParamLength: MAX_PARAM_LENGTH },
    frameworkErrors: (error, request, reply) => {
      const problem = error.code === 'FST_ERR_MAX_PARAM_LENGTH' ? URL_TOO_LONG : URL_MALFORMED;
      const { status, body } = classify(new HttpError(400, 'validation', `url: ${problem}`, [{ path: 'url', message: problem }]), requestLanguage(request));
      void (reply as unknown as FastifyReply).code(status).send(body);
    },
    // What Node's HTTP parser refuses before fastify sees a request (a raw full-width digit or a
    // Chinese character in the address, a header too large): the same JSON shape, in Chinese, as
    // there is no Accept-Language to read yet.
    clientErrorHandler: (error: NodeJS.ErrnoException, socket) => {
      if (error.code === 'ECONNRESET' || socket.destroyed) return;
      const [status, text, problem] =
        error.code === 'ERR_HTTP_REQUEST_TIMEOUT'
          ? [408, 'Request Timeout', '请求超时：网络太慢或中断，请再发送一次']
          : error.code === 'HPE_HEADER_OVERFLOW'
            ? [431, 'Request Header Fields Too Large', '请求头太大']
            : [400, 'Bad Request', '请求无法解析：网址里有未编码的字符（如全角数字、汉字、空格），须先做 URL 编码（encodeURIComponent）'];
      const body = JSON.stringify({ error: 'bad_request', message: problem, details: [{ path: status === 400 ? 'url' : 'headers', message: problem }] });
      if (socket.writable) socket.write(`HTTP/1.1 ${status} ${text}\r\nContent-Length: ${Buffer.byteLength(body)}\r\nContent-Type: application/json; charset=utf-8\r\nConnection: close\r\n\r\n${body}`);
      socket.destroy(error);
    },
  });
  // A stop waits for the requests under way, but not for ever: Node stops timing requests out once
  // the server is closing (its connections check ends with close()), so one phone holding a body
  // half-sent held a node's stop for minutes (found by a newcomer). What is still open after the
  // grace is cut; its client sends again, to this node's successor (SPEC §4: writes are idempotent).
  let cutAfterGrace: NodeJS.Timeout | undefined;
  app.addHook('preClose', (done) => {
    cutAfterGrace = setTimeout(() => app.server.closeAllConnections(), Math.min(deps.requestTimeoutMs ?? 60_000, STOP_GRACE_MS));
    cutAfterGrace.unref();
    done();
  });
  app.addHook('onClose', (_instance, done) => {
    clearTimeout(cutAfterGrace);
    done();
  });
  const takesLimit = (schema: unknown) => schema instanceof z.ZodObject && 'limit' in schema.shape;
  const routeList: RouteInfo[] = [];
  app.decorate('routeList', routeList);
  app.addHook('onRoute', (route) => {
    for (const method of [route.method].flat()) {
      routeList.push({ method, url: route.url, roles: route.config?.roles, websocket: Boolean((route as { websocket?: boolean }).websocket), verbatim: route.config?.verbatim === true, paged: takesLimit(route.schema?.querystring) });
    }
  });
  app.setValidatorCompiler(validatorCompiler);
  app.setSerializerCompiler(serializerCompiler);
  // JSON only: a text/plain body is 415, not a validation error about a string.
  app.removeContentTypeParser('text/plain');
  // Bytes that are not UTF-8 are refused (400), never decoded into U+FFFD and stored for good in
  // an append-only log (SPEC §9: text is well-formed).
  app.removeContentTypeParser('application/json');
  const utf8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: false });
  app.addContentTypeParser('application/json', { parseAs: 'buffer' }, (_request, body: Buffer, done) => {
    let text: string;
    try {
      text = utf8.decode(body);
    } catch {
      return done(new HttpError(400, 'validation', 'body: not valid UTF-8', [{ path: 'body', message: 'not valid UTF-8' }]));
    }
    // No body, with the header a phone's HTTP library adds anyway (found by a newcomer: an
    // acknowledgement sent so was refused): the same as no body. A route that needs one says so.
    if (text.trim() === '') return done(null, undefined);
    try {
      // As fastify's own parser does: `__proto__` and `constructor.prototype` are refused, so a
      // body can never poison an object's prototype.
      done(null, secureJson.parse(text, undefined, { protoAction: 'error', constructorAction: 'error' }));
    } catch (error) {
      done(new HttpError(400, 'bad_request', `body is not JSON: ${(error as Error).message}`, [{ path: 'body', message: 'not JSON' }]));
    }
  });
  const brokenLog = (): BrokenLog | undefined => {
    const integrity = deps.integrity?.();
    return integrity?.state === 'broken' ? integrity : undefined;
  };
  app.addHook('onSend', async (request, reply, payload) => {
    void reply.header('x-request-id', request.id);
    // While the node's last verification found the log changed behind its back, every answer says
    // so in a header, and every read's JSON beside its figures: what a read folds is what is left in
    // the file (found by a newcomer: a deleted approval was just missing from the lists, untold).
    const broken = brokenLog();
    if (broken) void reply.header(LOG_INTEGRITY_HEADER, logIntegrityHeader(broken));
    if (request.routeOptions.config.verbatim || typeof payload !== 'string' || payload.length === 0 || !/^application\/json/.test(String(reply.getHeader('content-type') ?? ''))) return payload;
    const flag = broken !== undefined && request.method === 'GET' && reply.statusCode < 300 && request.routeOptions.config.roles !== undefined && payload.startsWith('{');
    // Every instant a person reads gets its Beijing-time twin (SPEC §4), whatever the route.
    if (!flag && !/At"|"at"|"asOf"|"exp"|"eta"|"from"|"until"|"since"/.test(payload)) return payload;
    try {
      const body: unknown = JSON.parse(payload);
      if (flag && broken.streams?.length) markDamaged(body, new Set(broken.streams));
      const flagged = flag ? { ...(body as object), logIntegrity: { state: 'broken', problems: broken.problems, checkedAt: broken.checkedAt, message: logWarning(broken, requestLanguage(request)) } } : body;
      return JSON.stringify(withLocalTimes(flagged));
    } catch {
      return payload;
    }
  });
  registerErrorHandling(app, (code) => deps.units.get(code)?.name);
  app.addHook('preValidation', async (request) => {
    // A malformed If-Match is refused on every write, including those that do not use it, so a
    // client never believes a precondition was checked when it was not understood.
    if (request.method !== 'GET' && request.method !== 'HEAD') {
      const given = ifMatch(request);
      if (given && request.routeOptions.config.creates) {
        throw new HttpError(400, 'validation', 'If-Match is not taken here: this request creates what it writes', [{ path: 'headers.if-match', message: 'not taken here: this request creates' }]);
      }
    }
    // Well-formed text everywhere (SPEC §9), whatever the route's schema: a lone surrogate or a
    // control character is a 400 naming the field; CR LF and CR become LF before validation.
    const parts = { body: request.body, querystring: request.query, params: request.params };
    for (const part of TEXT_PARTS) {
      if (part === 'body' && request.routeOptions.config.machineText) continue;
      const bad = findIllFormedText(parts[part]);
      if (bad) {
        const path = bad.path ? `${part}.${bad.path}` : part;
        const message = TEXT_PROBLEM_MESSAGES[bad.problem].en;
        throw new HttpError(400, 'validation', `${path}: ${message}`, [{ path, message }]);
      }
    }
    if (request.body !== undefined) request.body = normalizeNewlines(request.body);
  });

  await app.register(swagger, {
    openapi: {
      openapi: '3.1.0',
      info: {
        title: 'zhitong 直通',
        version: '0.1.0',
        description:
          'Disaster-relief coordination for township civil-affairs offices.\n\nWhile the node\u2019s last verification of its whole log found it changed behind its back (GET /ready `integrity`), every answer carries the header `zhitong-log-integrity: broken; problems=N; checked-at=ISO`, and every read\u2019s JSON a field `logIntegrity: {state, problems, checkedAt, message}` beside its figures: they may lack records or hold altered ones until an auditor has checked (GET /audit/verify).',
      },
      // Relative: the document is served by the node it describes, whatever name it is reached by.
      servers: [{ url: '/', description: 'The node serving this document' }],
      components: {
        securitySchemes: {
          bearer: { type: 'http', scheme: 'bearer', bearerFormat: 'JWT', description: 'A token from POST /tokens (or `zhitong token`), sent as Authorization: Bearer' },
        },
      },
      security: [{ bearer: [] }],
    },
    transform: jsonSchemaTransform,
    transformObject: (document) => ('openapiObject' in document ? documented(document.openapiObject, routeList) : document.swaggerObject),
  });
  await app.register(swaggerUi, { routePrefix: '/docs' });

  // Per verified user, after authentication (preHandler): a limit keyed on anything the client
  // chooses (a token's bytes, a claimed address) is no limit. Public routes (health, readiness,
  // metrics, docs) are not limited: a load balancer's probes must never be refused.
  await app.register(rateLimit, {
    hook: 'preHandler',
    max: deps.rateLimitPerMinute ?? 600,
    timeWindow: '1 minute',
    keyGenerator: (request) => (request.user ? `user:${request.user.sub}` : `ip:${request.ip}`),
    allowList: (request) => !request.routeOptions.config.roles,
    ...(deps.redis ? { redis: deps.redis, nameSpace: 'zhitong:rate:', skipOnError: true } : {}),
    errorResponseBuilder: (request, context) => ({
      statusCode: 429,
      error: 'rate_limited',
      message:
        requestLanguage(request) === 'en'
          ? `too many requests; retry in ${Math.ceil(context.ttl / 1000)} s`
          : `请求过于频繁，请 ${Math.ceil(context.ttl / 1000)} 秒后再试`,
    }),
  });

  const metrics = (deps.metrics ?? new NodeMetrics()).registry;
  collectDefaultMetrics({ register: metrics });
  // prom-client names these gauges `_total`, a counter's suffix (promtool lints it); the same
  // counts are in nodejs_active_{handles,requests,resources}, by type, and sum to these.
  for (const name of ['nodejs_active_handles_total', 'nodejs_active_requests_total', 'nodejs_active_resources_total']) metrics.removeSingleMetric(name);
  // `route` is the route's pattern (/reports/:id), never the URL, so a report id is not a label.
  const requests = new Counter({ name: 'zhitong_http_requests_total', help: 'HTTP requests answered, by method, route pattern and status code', labelNames: ['method', 'route', 'status'], registers: [metrics] });
  const latency = new Histogram({
    name: 'zhitong_http_request_duration_seconds',
    help: 'Time from receiving an HTTP request to answering it, by method and route pattern',
    labelNames: ['method', 'route'],
    buckets: [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
    registers: [metrics],
  });
  new Gauge({
    name: 'zhitong_background_task_failures',
    help: 'Failed runs of each background task since start',
    labelNames: ['task'],
    registers: [metrics],
    collect() {
      for (const [task, health] of deps.tasks.health()) this.set({ task }, health.failures);
    },
  });
  new Gauge({
    name: 'zhitong_quarantined_events',
    help: 'Events of the log set aside because they could not be read or applied',
    registers: [metrics],
    collect() {
      this.set(deps.runner.status().quarantined);
    },
  });
  const now = deps.now ?? (() => new Date());
  new Gauge({
    name: 'zhitong_alerts_open',
    help: 'Reports alerted and not yet acknowledged, dispatched to, verified, dismissed or closed',
    registers: [metrics],
    collect() {
      let n = 0;
      for (const _ of unacknowledgedAlerts(deps.runner.state('open-alerts'))) n++;
      this.set(n);
    },
  });
  new Gauge({
    name: 'zhitong_alerts_open_oldest_seconds',
    help: 'How long the longest-waiting open alert has gone unanswered since its first step (0 when none is open)',
    registers: [metrics],
    collect() {
      let first: string | undefined;
      for (const alert of unacknowledgedAlerts(deps.runner.state('open-alerts'))) if (first === undefined || alert.firstAlertAt < first) first = alert.firstAlertAt;
      this.set(first === undefined ? 0 : Math.max(0, now().getTime() - Date.parse(first)) / 1000);
    },
  });
  new Gauge({
    name: 'zhitong_log_verified',
    help: 'The node\'s last verification of the whole log: 1 every chain, position and seal held, 0 something was changed behind its back (see its log and GET /audit/verify); absent until the first check',
    registers: [metrics],
    collect() {
      const status = deps.integrity?.();
      if (status && status.state !== 'pending') this.set(status.state === 'ok' ? 1 : 0);
    },
  });
  new Gauge({
    name: 'zhitong_websocket_clients',
    help: 'WebSocket clients connected to the alert channel of this node',
    registers: [metrics],
    collect() {
      this.set(deps.gateway?.connectionCount ?? 0);
    },
  });
  // NaN while the log cannot be read: /metrics still answers, and the lag is not claimed to be 0.
  const lag = async () => deps.runner.lag(now().getTime()).catch(() => ({ events: Number.NaN, seconds: Number.NaN }));
  new Gauge({
    name: 'zhitong_projection_lag_events',
    help: 'Events in the log that the read side of this node has not applied yet',
    registers: [metrics],
    async collect() {
      this.set((await lag()).events);
    },
  });
  new Gauge({
    name: 'zhitong_projection_lag_seconds',
    help: 'Age of the oldest event in the log that the read side of this node has not applied yet (0 when current)',
    registers: [metrics],
    async collect() {
      this.set((await lag()).seconds);
    },
  });
  app.addHook('onResponse', async (request, reply) => {
    const route = request.routeOptions.url ?? 'unknown';
    requests.inc({ method: request.method, route, status: reply.statusCode });
    latency.observe({ method: request.method, route }, reply.elapsedTime / 1000);
  });

  app.get('/health', { schema: { hide: true } }, async () => ({ status: 'ok' }));
  app.get('/ready', { schema: { hide: true } }, async (request, reply) => {
    // In the reader's language, as errors are (SPEC §9: Chinese unless English is asked for); found
    // by a newcomer: each problem was one string in both languages.
    const say = (zh: string, en: string) => (requestLanguage(request) === 'en' ? en : zh);
    const checks = [
      { name: 'eventStore', check: () => deps.store.ping() },
      { name: 'projections', check: async () => deps.runner.check() },
      ...(deps.readinessChecks ?? []),
    ];
    const failures: Record<string, string> = {};
    await Promise.all(
      checks.map(async ({ name, check }) => {
        try {
          await check();
        } catch (error) {
          failures[name] = (error as Error).message;
        }
      }),
    );
    const runner = deps.runner.status();
    const details = {
      projections: { checkpoint: runner.checkpoint ?? null, startedFrom: runner.startedFrom, quarantined: runner.quarantined },
      ...(runner.quarantined > 0 ? { quarantine: deps.runner.quarantine.slice(-10) } : {}),
    };
    if (Object.keys(failures).length > 0) return reply.code(503).send({ error: 'not_ready', message: 'a dependency is unreachable', details: { ...failures, ...details } });
    // Whether a sleeping phone can be reached: an office must see it has no SMS line (SPEC §5).
    const notifications = deps.sms ? { channels: deps.sms.provider.voice ? ['websocket', 'sms', 'voice'] : ['websocket', 'sms'], provider: deps.sms.provider.name } : { channels: ['websocket'], provider: null, warning: say('仅 WebSocket：未配置短信服务商（NOTIFY_PROVIDER），手机息屏时收不到告警', 'websocket only: no SMS provider is configured (NOTIFY_PROVIDER), so a phone with its screen off gets no alert') };
    // Said, never refused for: reports must still be taken when history was tampered with. No
    // stream or position here (an unauthenticated probe): the node's log and /audit/verify say which.
    const integrity = deps.integrity?.();
    const integrityView = integrity === undefined ? undefined : integrity.state === 'pending' ? { state: 'pending', ...(integrity.firstCheckAt ? { firstCheckAt: integrity.firstCheckAt } : {}) } : { state: integrity.state, checkedAt: integrity.checkedAt, events: integrity.events, problems: integrity.problems };
    // `degraded` still answers 200 (a balancer must keep sending reports here) but no longer reads
    // as all well to whoever looks (found by a newcomer: "ready" beside a broken log).
    const degraded = [
      ...(integrity?.state === 'broken' ? [say(`日志校验发现 ${integrity.problems} 处问题，历史记录可能被改动：详见节点日志和 GET /audit/verify`, `the log failed verification with ${integrity.problems} problem(s): history may have been changed; see the node's log and GET /audit/verify`)] : []),
      ...(runner.quarantined > 0 ? [say(`读模型搁置了 ${runner.quarantined} 条无法读取的事件：详见 quarantine 和节点日志`, `${runner.quarantined} unreadable event(s) set aside by the read side: see quarantine and the node's log`)] : []),
    ];
    return {
      status: degraded.length > 0 ? 'degraded' : 'ready',
      ...(degraded.length > 0 ? { problems: degraded } : {}),
      eventStore: deps.store.kind,
      notifications,
      ...details,
      ...(integrityView ? { integrity: integrityView } : {}),
    };
  });
  app.get('/metrics', { schema: { hide: true } }, async (_request, reply) => reply.type(metrics.contentType).send(await metrics.metrics()));

  const api: ApiDeps = {
    store: deps.store,
    commands: deps.commands,
    units: deps.units,
    runner: deps.runner,
    tokens: deps.tokens,
    now: deps.now ?? (() => new Date()),
    reliefWindowDays: deps.reliefWindowDays ?? 30,
    clockRules: deps.clockRules ?? DEFAULT_CLOCK_RULES,
    firstAlert: deps.firstAlert,
    brokenLog,
    sealNow: deps.audit?.sealNow,
  };
  // A client that offered subprotocols must be answered with one of them or the browser drops the
  // connection: `zhitong` when offered (beside the token, auth.ts), none otherwise.
  await app.register(websocket, { options: { maxPayload: 64 * 1024, handleProtocols: (protocols: Set<string>) => (protocols.has(WEBSOCKET_PROTOCOL) ? WEBSOCKET_PROTOCOL : false) } });
  await app.register(async (scoped) => {
    await scoped.register(authPlugin, {
      tokens: deps.tokens,
      failures: deps.redis ? redisAuthFailures(deps.redis) : memoryAuthFailures(),
      failuresPerMinute: deps.authFailuresPerMinute ?? 30,
      // Revocations are in the log: until this node has read it to its end once, it cannot know
      // them, and a revoked token must not slip through a node that has just started.
      revoked: async (claims) => {
        if (!deps.runner.current && !(await deps.runner.caughtUp(2000))) throw new NotCaughtUpError();
        return isRevoked(deps.runner.state('access'), claims);
      },
    });
    await scoped.register(idempotencyPlugin, { commands: deps.commands, now: api.now });
    // Read-your-writes (SPEC §6): a read with `?position=` is answered once the read side has
    // applied that position, or 503 `not_caught_up` — never a stale answer presented as current.
    scoped.addHook('preHandler', async (request) => {
      if (request.method !== 'GET' && request.method !== 'HEAD') return;
      const position = (request.query as Record<string, unknown> | undefined)?.position;
      if (position === undefined) return;
      const normalized = typeof position === 'string' ? deps.store.parsePosition(position) : undefined;
      const refuse = (message: string) => new HttpError(400, 'validation', `querystring.position: ${message}`, [{ path: 'querystring.position', message }]);
      if (normalized === undefined) throw refuse('not a position of this log');
      // A position the log has not reached is not one to wait for: 503 with Retry-After would have
      // a client ask again for ever (found by a newcomer). 400, as `asOf` past the end is.
      const at = deps.runner.checkpoint;
      if ((at === undefined || normalized > at) && normalized > ((await deps.store.headPosition()) ?? '')) throw refuse('past the end of the log');
      await deps.runner.require(normalized);
    });
    deps.gateway?.register(scoped);
    await scoped.register(reportRoutes, api);
    await scoped.register(allocationRoutes, api);
    await scoped.register(incidentRoutes, api);
    await scoped.register(rosterRoutes, api);
    await scoped.register(auditRoutes, { ...api, audit: deps.audit });
    await scoped.register(alertRoutes, api);
    await scoped.register(readRoutes, api);
    await scoped.register(unitRoutes, api);
    await scoped.register(accessRoutes, api);
    await scoped.register(smsRoutes, { ...api, sms: deps.sms });
    await scoped.register(sessionRoutes, api);
  });
  await pages(app);
  return app;
}
