import { randomUUID } from 'node:crypto';
import rateLimit from '@fastify/rate-limit';
import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import websocket from '@fastify/websocket';
import type { AlertGateway } from '../alerts/gateway.js';
import Fastify, { type FastifyBaseLogger, type FastifyInstance } from 'fastify';
import { jsonSchemaTransform, serializerCompiler, validatorCompiler } from 'fastify-type-provider-zod';
import { Registry, collectDefaultMetrics, Counter, Histogram } from 'prom-client';
import type { Logger } from '../../infra/logging.js';
import type { EventStore } from '../../infra/eventstore/types.js';
import type { TokenService } from '../../infra/tokens.js';
import type { UnitsDirectory } from '../units-directory.js';
import type { ReportLinks } from '../report-links.js';
import type { OpenAlerts } from '../open-alerts.js';
import { authPlugin, bearerToken } from './auth.js';
import { registerErrorHandling } from './errors.js';
import { ifMatch } from './context.js';
import { alertRoutes } from './routes/alerts.js';
import { allocationRoutes } from './routes/allocations.js';
import { auditRoutes } from './routes/audit.js';
import { incidentRoutes } from './routes/incidents.js';
import { reportRoutes } from './routes/reports.js';
import { rosterRoutes } from './routes/roster.js';
import type { ApiDeps } from './deps.js';

export interface AppDeps {
  store: EventStore;
  logger: Logger;
  tokens: TokenService;
  units: UnitsDirectory;
  links: ReportLinks;
  openAlerts: OpenAlerts;
  now?: () => Date;
  bodyLimitBytes?: number;
  rateLimitPerMinute?: number;
  gateway?: AlertGateway;
  /** Extra readiness checks (Redis, where configured). */
  readinessChecks?: Array<{ name: string; check: () => Promise<void> }>;
}

const REQUEST_ID = /^[A-Za-z0-9._:-]{1,64}$/;

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
    return503OnClosing: true,
    ajv: { customOptions: { removeAdditional: false } },
  });
  app.setValidatorCompiler(validatorCompiler);
  app.setSerializerCompiler(serializerCompiler);
  app.addHook('onSend', async (request, reply) => {
    void reply.header('x-request-id', request.id);
  });
  registerErrorHandling(app);
  // A malformed If-Match is refused on every write, including those that do not use it, so a
  // client never believes a precondition was checked when it was not understood.
  app.addHook('preValidation', async (request) => {
    if (request.method !== 'GET' && request.method !== 'HEAD') ifMatch(request);
  });

  await app.register(swagger, {
    openapi: {
      openapi: '3.1.0',
      info: { title: 'zhitong 直通', version: '0.1.0', description: 'Disaster-relief coordination for township civil-affairs offices' },
      components: { securitySchemes: { bearer: { type: 'http', scheme: 'bearer' } } },
      security: [{ bearer: [] }],
    },
    transform: jsonSchemaTransform,
  });
  await app.register(swaggerUi, { routePrefix: '/docs' });

  await app.register(rateLimit, {
    max: deps.rateLimitPerMinute ?? 600,
    timeWindow: '1 minute',
    keyGenerator: (request) => bearerToken(request)?.slice(-32) ?? request.ip,
    errorResponseBuilder: (_request, context) => ({
      statusCode: 429,
      error: 'rate_limited',
      message: `too many requests; retry in ${Math.ceil(context.ttl / 1000)} s`,
    }),
  });

  const metrics = new Registry();
  collectDefaultMetrics({ register: metrics });
  const requests = new Counter({ name: 'zhitong_http_requests_total', help: 'HTTP requests', labelNames: ['method', 'route', 'status'], registers: [metrics] });
  const latency = new Histogram({
    name: 'zhitong_http_request_seconds',
    help: 'HTTP request latency',
    labelNames: ['method', 'route'],
    buckets: [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1],
    registers: [metrics],
  });
  app.addHook('onResponse', async (request, reply) => {
    const route = request.routeOptions.url ?? 'unknown';
    requests.inc({ method: request.method, route, status: reply.statusCode });
    latency.observe({ method: request.method, route }, reply.elapsedTime / 1000);
  });

  app.get('/health', { schema: { hide: true } }, async () => ({ status: 'ok' }));
  app.get('/ready', { schema: { hide: true } }, async (_request, reply) => {
    const checks = [{ name: 'eventStore', check: () => deps.store.ping() }, ...(deps.readinessChecks ?? [])];
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
    if (Object.keys(failures).length > 0) return reply.code(503).send({ error: 'not_ready', message: 'a dependency is unreachable', details: failures });
    return { status: 'ready', eventStore: deps.store.kind };
  });
  app.get('/metrics', { schema: { hide: true } }, async (_request, reply) => reply.type(metrics.contentType).send(await metrics.metrics()));

  const api: ApiDeps = { store: deps.store, units: deps.units, links: deps.links, openAlerts: deps.openAlerts, now: deps.now ?? (() => new Date()) };
  await app.register(websocket, { options: { maxPayload: 64 * 1024 } });
  await app.register(async (scoped) => {
    await scoped.register(authPlugin, { tokens: deps.tokens });
    deps.gateway?.register(scoped);
    await scoped.register(reportRoutes, api);
    await scoped.register(allocationRoutes, api);
    await scoped.register(incidentRoutes, api);
    await scoped.register(rosterRoutes, api);
    await scoped.register(auditRoutes, api);
    await scoped.register(alertRoutes, api);
  });
  return app;
}
