import type { FastifyRequest } from 'fastify';
import type { CommandContext } from '../commands/execute.js';
import { HttpError } from './errors.js';

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
