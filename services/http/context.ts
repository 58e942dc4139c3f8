import type { FastifyRequest } from 'fastify';
import type { CommandContext, IfMatch } from '../commands/execute.js';
import { scopePrefix, withinScope } from '../../domain/units.js';
import { outOfScope, HttpError } from './errors.js';

declare module 'fastify' {
  interface FastifyRequest {
    /** The key stream of this request's Idempotency-Key, once claimed (services/http/idempotency.ts). */
    idempotencyKey: string | undefined;
  }
}

export const commandContext = (request: FastifyRequest, now: () => Date): CommandContext => ({
  actor: { id: request.user.sub, role: request.user.role },
  correlationId: request.id,
  now: now().toISOString(),
  ...(request.idempotencyKey ? { idempotencyKey: request.idempotencyKey } : {}),
});

const REVISION_TAG = /^(?:W\/)?"?(\d{1,15})"?$/;

/**
 * `If-Match` (RFC 9110 §13.1.1): `*` (the resource must exist), or one or more revisions as
 * entity tags — `3`, `"3"`, `"3", "4"`. Absent means "whatever is current"; anything else is 400.
 */
export function ifMatch(request: FastifyRequest): IfMatch | undefined {
  const header = request.headers['if-match'];
  if (header === undefined) return undefined;
  const text = String(header).trim();
  if (text === '*') return { any: true };
  const revisions: number[] = [];
  for (const part of text.split(',')) {
    const m = REVISION_TAG.exec(part.trim());
    if (!m) {
      throw new HttpError(400, 'validation', 'If-Match must be * or revision numbers', [{ path: 'headers.if-match', message: 'must be * or revision numbers' }]);
    }
    revisions.push(Number(m[1]));
  }
  return { revisions };
}

/**
 * The code prefix a read covers: the unit the request names, which must be within the caller's
 * scope (403 otherwise: the request itself asks for what it may not see), else the whole scope.
 */
export function readPrefix(request: FastifyRequest, unit: string | undefined): string {
  if (unit && !withinScope(unit, request.user.scope)) throw outOfScope(unit, request.user.scope);
  return scopePrefix(unit ?? request.user.scope)!;
}
