/**
 * What `/docs/json` says beyond the route schemas (SPEC §9; `redocly lint` with its recommended
 * rules runs on it in tests/ops/openapi.test.ts): an operationId for each operation, the error
 * answers every route shares, and who needs no token. Added to the document only: the routes'
 * own response schemas stay what fastify serializes with, so an error body is never reshaped
 * by a schema written for the documentation.
 */

/** A route as the server registered it (app.ts `routeList`): only what the document needs. */
interface DocumentedRoute {
  method: string;
  url: string;
  roles: readonly string[] | undefined;
}

interface Operation {
  operationId?: string;
  security?: unknown[];
  parameters?: Array<{ in: string }>;
  responses?: Record<string, unknown>;
  [key: string]: unknown;
}

interface OpenApiDocument {
  paths?: Record<string, Record<string, Operation>>;
  components?: Record<string, Record<string, unknown>>;
  [key: string]: unknown;
}

/** `{error, message, details?}` (services/http/errors.ts): the body of every 4xx and 5xx. */
export const ERROR_SCHEMA = {
  type: 'object',
  required: ['error', 'message'],
  properties: {
    error: { type: 'string', description: 'A stable code: validation, unauthorized, forbidden, not_found, conflict, rate_limited, …' },
    message: { type: 'string', description: "For a person, in the request's Accept-Language (Chinese unless English is asked for)" },
    details: { description: 'What exactly was wrong: the fields of a validation error, the current revision of a conflict, …' },
  },
};

const shared = (name: keyof typeof RESPONSES) => ({ $ref: `#/components/responses/${name}` });

const RESPONSES = {
  BadRequest: 'The request is not valid: a field fails its schema, text is not well-formed Unicode, a position is not one of this log (`validation`, `bad_request`)',
  Unauthorized: 'No token, or one that is invalid, expired or revoked (`unauthorized`)',
  Forbidden: 'Your role or scope does not allow this (`forbidden`)',
  NotFound: 'Nothing of that id within your scope (`not_found`): outside it, an object does not exist as far as you can tell',
  Conflict: 'Another write came first (`conflict`, with the current revision), an id or Idempotency-Key is already used for something else, or the record\'s history in the store is damaged (`stream_damaged`: restored from a backup by an operator, not by waiting)',
  PreconditionFailed: 'If-Match, where the route takes one, names a revision that is no longer the current one (`precondition_failed`, with `details.currentRevision`): read it again and decide again',
  UnprocessableEntity: 'A domain rule refused it (`not_verified`, `report_dismissed`, `duplicate_of_…`, `self_approval`, `over_delivery`, …; `details.field` names the field where one is to blame), or an Idempotency-Key reused with another body (`idempotency_mismatch`). Nothing was written',
  TooManyRequests: 'Too many requests from this user (`rate_limited`); try again after Retry-After',
  Unavailable: 'Not ready, busy or the disk is full (`not_caught_up`, `busy`, `disk_full`, `store_unavailable`); nothing was written: try again, after Retry-After where given',
} as const;

const WRITES = new Set(['post', 'put', 'patch', 'delete']);

/** `GET /reports/{id}/history` → `getReportsByIdHistory`: stable, unique, derived so no route can lack one. */
export function operationIdOf(method: string, path: string): string {
  const words = path
    .split('/')
    .filter(Boolean)
    .map((segment) => {
      const param = /^\{(.+)\}$/.exec(segment);
      const word = (param ? param[1]! : segment).replace(/[^A-Za-z0-9]+(.)?/g, (_m, c: string | undefined) => (c ?? '').toUpperCase());
      return `${param ? 'By' : ''}${word.charAt(0).toUpperCase()}${word.slice(1)}`;
    });
  return `${method.toLowerCase()}${words.join('')}`;
}

/** The document with operationIds, the shared error answers and public operations' `security: []`. */
export function documented<D extends object>(document: D, routes: readonly DocumentedRoute[]): D {
  // The OpenAPI typings' unions (3.0, 3.1, 3.2; references everywhere) say nothing this needs.
  const doc = document as OpenApiDocument;
  const roles = new Map(routes.map((r) => [`${r.method.toLowerCase()} ${r.url.replace(/:([A-Za-z0-9_]+)/g, '{$1}')}`, r.roles]));
  doc.components = {
    ...doc.components,
    schemas: { ...doc.components?.schemas, Error: ERROR_SCHEMA },
    responses: {
      ...doc.components?.responses,
      ...Object.fromEntries(Object.entries(RESPONSES).map(([name, description]) => [name, { description, content: { 'application/json': { schema: { $ref: '#/components/schemas/Error' } } } }])),
    },
  };
  for (const [path, operations] of Object.entries(doc.paths ?? {})) {
    for (const [method, operation] of Object.entries(operations)) {
      if (typeof operation !== 'object' || operation === null || !('responses' in operation)) continue;
      operation.operationId ??= operationIdOf(method, path);
      const isPublic = roles.has(`${method} ${path}`) && roles.get(`${method} ${path}`) === undefined;
      const answers: Record<string, unknown> = {
        400: shared('BadRequest'),
        ...(isPublic ? {} : { 401: shared('Unauthorized'), 403: shared('Forbidden'), 429: shared('TooManyRequests') }),
        ...(path.includes('{') ? { 404: shared('NotFound') } : {}),
        ...(WRITES.has(method) ? { 409: shared('Conflict'), 412: shared('PreconditionFailed'), 422: shared('UnprocessableEntity') } : {}),
        ...(isPublic ? {} : { 503: shared('Unavailable') }),
      };
      const responses = (operation.responses ??= {});
      // A route's own answer for a code says more than the shared one: it stays.
      for (const [code, answer] of Object.entries(answers)) responses[code] ??= answer;
      if (isPublic) operation.security = [];
    }
  }
  return document;
}
