import { randomUUID } from 'node:crypto';
import { accessDecider, MAX_GRANTS_PER_COMMAND, type GrantRequest } from '../domain/access.js';
import { streams, type EventData } from '../domain/events.js';
import type { EventStore } from '../infra/eventstore/types.js';
import { execute, type CommandContext } from './commands/execute.js';

/**
 * Records tokens as `zhitong token` and `POST /tokens` do: one AccessGranted per grant on the
 * access stream, each with a fresh random `jti`, never the token itself (SPEC §2). More than
 * MAX_GRANTS_PER_COMMAND grants are written as several commands, in order. Resolves with the
 * recorded grants, in the order given; sign one with `tokens.mint(claimsOfGrant(grant))`.
 * Throws DomainError `invalid_grant` (a bad lifetime, none given), ZodError for a bad sub or scope.
 */
export async function recordGrants(store: EventStore, requests: ReadonlyArray<Omit<GrantRequest, 'jti'>>, context: CommandContext): Promise<Array<EventData<'AccessGranted'>>> {
  const recorded: Array<EventData<'AccessGranted'>> = [];
  // None at all is still one command, so that the decider refuses it as it refuses any empty grant.
  for (let i = 0; i === 0 || i < requests.length; i += MAX_GRANTS_PER_COMMAND) {
    const grants = requests.slice(i, i + MAX_GRANTS_PER_COMMAND).map((r) => ({ ...r, jti: randomUUID() }));
    const result = await execute(store, streams.access, accessDecider, { type: 'GrantAccess', data: { grants, issuedBy: context.actor.id }, now: context.now }, context);
    for (const e of result.events) {
      if (e.type !== 'AccessGranted') throw new Error('GrantAccess recorded something else');
      recorded.push(e.data);
    }
  }
  return recorded;
}
