import type { FastifyRequest } from 'fastify';
import type { CommandContext } from '../commands/execute.js';
import { scopePrefix, withinScope } from '../../domain/units.js';
import { forbidden, HttpError } from './errors.js';

export const commandContext = (request: FastifyRequest, now: () => Date): CommandContext => ({
  actor: { id: request.user.sub, role: request.user.role },
  correlationId: request.id,
  now: now().toISOString(),
});

/** `If-Match: 3` or `If-Match: "3"` (the revision as an ETag); absent means "whatever is current". */
export function ifMatch(request: FastifyRequest): number | undefined {
  const header = request.headers['if-match'];
  if (header === undefined) return undefined;
  const m = /^\s*(?:W\/)?"?(-?\d{1,15})"?\s*$/.exec(String(header));
  if (!m) throw new HttpError(400, 'validation', 'If-Match must be a revision number', [{ path: 'headers.if-match', message: 'must be a revision number' }]);
  return Number(m[1]);
}

/**
 * The code prefix a read covers: the unit the request names, which must be within the caller's
 * scope (403 otherwise: the request itself asks for what it may not see), else the whole scope.
 */
export function readPrefix(request: FastifyRequest, unit: string | undefined): string {
  if (unit && !withinScope(unit, request.user.scope)) throw forbidden(`unit ${unit} is outside your scope`);
  return scopePrefix(unit ?? request.user.scope)!;
}
