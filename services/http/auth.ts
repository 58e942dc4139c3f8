import type { FastifyInstance, FastifyRequest } from 'fastify';
import fp from 'fastify-plugin';
import type { Role } from '../../domain/vocabulary.js';
import { withinScope } from '../../domain/units.js';
import { InvalidTokenError, type TokenClaims, type TokenService } from '../../infra/tokens.js';
import { forbidden, HttpError } from './errors.js';

declare module 'fastify' {
  interface FastifyContextConfig {
    /** Roles allowed on the route; absent means the route is public (health, docs). */
    roles?: readonly Role[];
  }
  interface FastifyRequest {
    user: TokenClaims;
  }
}

export function bearerToken(request: FastifyRequest): string | undefined {
  const header = request.headers.authorization;
  if (header) {
    const m = /^Bearer\s+(\S+)\s*$/i.exec(header);
    return m?.[1] ?? '';
  }
  const query = request.query as Record<string, unknown> | undefined;
  return typeof query?.token === 'string' ? query.token : undefined;
}

/**
 * Authentication runs on every route that declares roles, before the body is read: a request
 * without a valid token is 401, a valid token with the wrong role is 403. Scope is checked per
 * object by the handlers (404 for an object outside scope, SPEC §2).
 */
export const authPlugin = fp(async (app: FastifyInstance, options: { tokens: TokenService }) => {
  app.decorateRequest('user', null as unknown as TokenClaims);
  app.addHook('onRequest', async (request) => {
    const roles = request.routeOptions.config.roles;
    if (!roles) return;
    const token = bearerToken(request);
    if (token === undefined) throw new HttpError(401, 'unauthorized', 'a bearer token is required');
    try {
      request.user = options.tokens.verify(token);
    } catch (error) {
      if (error instanceof InvalidTokenError) throw new HttpError(401, 'unauthorized', error.message);
      throw error;
    }
    if (!roles.includes(request.user.role)) throw forbidden(`role ${request.user.role} may not do this`);
  });
});

export const inScope = (request: FastifyRequest, unitCode: string): boolean => withinScope(unitCode, request.user.scope);
