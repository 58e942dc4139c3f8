import { message, type ErrorCode } from './messages.js';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import fp from 'fastify-plugin';
import type { Redis } from 'ioredis';
import type { Role } from '../../domain/vocabulary.js';
import { withinScope } from '../../domain/units.js';
import { InvalidTokenError, type TokenClaims, type TokenService } from '../../infra/tokens.js';
import { forbiddenRole, HttpError } from './errors.js';

declare module 'fastify' {
  interface FastifyContextConfig {
    /** Roles allowed on the route; absent means the route is public (health, docs). */
    roles?: readonly Role[];
    /** The route takes its token from `?token=` too: only the WebSocket upgrade (browsers can't set headers). */
    tokenInQuery?: boolean;
    /** The answer is sent exactly as built: no `…Local` twins added (the audit log, whose hashes are recomputed from it). */
    verbatim?: boolean;
    /**
     * The route creates what it writes to (a report, an allocation, an incident): there is no
     * revision to match, so an If-Match is refused rather than silently ignored.
     */
    creates?: boolean;
    /**
     * The body is a machine's passing on words people wrote elsewhere (a provider's callback with
     * an SMS): not refused for ill-formed text, which its handler makes readable (domain/text.ts
     * readableText). A 400 there loses the message, and the provider pushes it again for ever.
     */
    machineText?: boolean;
  }
  interface FastifyRequest {
    user: TokenClaims;
  }
}

/**
 * The bearer token: from `Authorization`; on the one route that allows it (the WebSocket upgrade),
 * also from a `bearer.<token>` subprotocol or `?token=` (SPEC §5).
 */
export function bearerToken(request: FastifyRequest): string | undefined {
  const header = request.headers.authorization;
  if (header) {
    const m = /^Bearer\s+(\S+)\s*$/i.exec(header);
    return m?.[1] ?? '';
  }
  if (!request.routeOptions.config.tokenInQuery) return undefined;
  // A browser cannot set headers on a WebSocket, but it can offer subprotocols: the pages offer
  // `zhitong, bearer.<token>`, which keeps the token out of the URL, and so out of every proxy's
  // request log (nginx writes the request line to error.log when a node is down).
  const offered = request.headers['sec-websocket-protocol'];
  const fromProtocol = typeof offered === 'string' ? offered.split(',').map((p) => p.trim()).find((p) => p.startsWith(BEARER_PROTOCOL)) : undefined;
  if (fromProtocol !== undefined) return fromProtocol.slice(BEARER_PROTOCOL.length);
  const query = request.query as Record<string, unknown> | undefined;
  return typeof query?.token === 'string' ? query.token : undefined;
}

/** The subprotocol prefix that carries a token on the WebSocket upgrade: `bearer.<token>`. */
export const BEARER_PROTOCOL = 'bearer.';
/** The subprotocol the server agrees to; never the bearer one, which would echo the token back. */
export const WEBSOCKET_PROTOCOL = 'zhitong';

/** Failed authentications counted per client address over a minute (in Redis when several nodes share it). */
export interface AuthFailureCounter {
  /** Counts one failure from `address`; returns the count in the current window. */
  hit(address: string): Promise<number>;
}

const WINDOW_MS = 60_000;

export function memoryAuthFailures(now: () => number = Date.now): AuthFailureCounter {
  const windows = new Map<string, { count: number; resetAt: number }>();
  return {
    async hit(address) {
      const t = now();
      let w = windows.get(address);
      if (!w || w.resetAt <= t) {
        // Bounded: expired windows go when the map grows, so a flood of addresses costs nothing lasting.
        if (windows.size > 50_000) for (const [k, v] of windows) if (v.resetAt <= t) windows.delete(k);
        windows.set(address, (w = { count: 0, resetAt: t + WINDOW_MS }));
      }
      return ++w.count;
    },
  };
}

export function redisAuthFailures(redis: Redis): AuthFailureCounter {
  return {
    async hit(address) {
      const key = `zhitong:auth-failures:${address}`;
      const [[, count]] = (await redis.multi().incr(key).pexpire(key, WINDOW_MS, 'NX').exec()) as [[unknown, number]];
      return count;
    },
  };
}

/**
 * Authentication runs on every route that declares roles, before the body is read: a request
 * without a valid token is 401, a valid token with the wrong role is 403. Scope is checked per
 * object by the handlers (404 for an object outside scope, SPEC §2).
 *
 * Failed authentications are counted per client address (the peer, or X-Forwarded-For from a
 * trusted proxy only); past the limit the failures from that address are answered 429. Requests
 * with valid tokens are never counted here: a township office or a carrier's NAT puts many honest
 * users behind one address, and they are limited per user instead.
 */
export interface AuthOptions {
  tokens: TokenService;
  failures: AuthFailureCounter;
  failuresPerMinute: number;
  /** Whether the verified token's access was revoked (SPEC §2): 401 `revoked` when it was. */
  revoked: (claims: TokenClaims) => boolean | Promise<boolean>;
}

export const authPlugin = fp(async (app: FastifyInstance, options: AuthOptions) => {
  app.decorateRequest('user', null as unknown as TokenClaims);
  app.addHook('onRequest', async (request, reply) => {
    const roles = request.routeOptions.config.roles;
    if (!roles) return;
    const refuse = async (code: ErrorCode, details?: Record<string, unknown>) => {
      let count = 0;
      try {
        count = await options.failures.hit(request.ip);
      } catch (error) {
        request.log.warn({ err: error }, 'could not count a failed authentication');
      }
      if (count > options.failuresPerMinute) {
        void reply.header('retry-after', String(WINDOW_MS / 1000));
        return new HttpError(429, 'rate_limited', 'too many failed authentications from your address; retry in a minute');
      }
      // The catalog's words in both languages (messages.ts), never the token library's ("token malformed").
      return new HttpError(401, code, message(code, 'en', details), details);
    };
    const token = bearerToken(request);
    if (token === undefined) throw await refuse('unauthorized', { reason: 'missing' });
    try {
      request.user = options.tokens.verify(token);
    } catch (error) {
      // An expired token has a code of its own, as on the socket: what to do differs (ask for a new link).
      if (error instanceof InvalidTokenError) throw await refuse(error.reason === 'expired' ? 'token_expired' : 'unauthorized', error.reason === 'expired' ? undefined : { reason: error.reason });
      throw error;
    }
    if (await options.revoked(request.user)) throw await refuse('revoked');
    if (!roles.includes(request.user.role)) throw forbiddenRole(request.user.role, roles);
  });
});

export const inScope = (request: FastifyRequest, unitCode: string): boolean => withinScope(unitCode, request.user.scope);
