import { randomUUID } from 'node:crypto';
import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { accessDecider, claimsOfGrant, GRANT_WARNING_MESSAGES, grantWarnings, MAX_GRANTS_PER_COMMAND, MAX_TTL_SECONDS } from '../../../domain/access.js';
import { streams } from '../../../domain/events.js';
import { scopeIsRegistered, scopeUnit, withinScope } from '../../../domain/units.js';
import { MobilePhoneInput, PersonName, Role, Scope, UserId } from '../../../domain/vocabulary.js';
import { grantStatus, grantsWithin, type Grant } from '../../../projections/access.js';
import { commandContext, readPrefix } from '../context.js';
import type { ApiDeps } from '../deps.js';
import { outOfScope, HttpError, notFound } from '../errors.js';
import { languageOf } from '../messages.js';
import { Id, listQuery, page } from '../schemas.js';

const TokensBody = z.strictObject({
  tokens: z
    .array(
      z.strictObject({
        sub: UserId,
        role: Role,
        scope: Scope,
        ttlSeconds: z.int().min(1).max(MAX_TTL_SECONDS).optional(),
        /** How an SMS or a call reaches the holder, and how an SMS from them is known (SPEC §5). */
        name: PersonName.optional(),
        phone: MobilePhoneInput.optional(),
      }),
    )
    .min(1)
    .max(MAX_GRANTS_PER_COMMAND),
});

const RevocationBody = z
  .strictObject({ sub: UserId.optional(), jti: Id.optional(), reason: z.string().trim().min(1).max(500) })
  .refine((b) => b.sub !== undefined || b.jti !== undefined, { message: 'name sub (a user) or jti (one token)', path: ['sub'] })
  .refine((b) => b.sub === undefined || b.jti === undefined, { message: 'name either sub or jti, not both', path: ['jti'] });

const IssuedToken = z.object({ sub: z.string(), role: z.string(), scope: z.string(), jti: z.string(), issuedAt: z.string(), exp: z.string(), token: z.string() });

const GrantView = z.looseObject({ jti: z.string(), sub: z.string(), role: z.string(), scope: z.string(), status: z.enum(['active', 'expired', 'revoked']) });

const grantView = (grant: Grant, nowMs: number) => ({
  jti: grant.jti,
  sub: grant.sub,
  role: grant.role,
  scope: grant.scope,
  issuedAt: grant.issuedAt,
  exp: grant.exp,
  issuedBy: grant.issuedBy,
  name: grant.name ?? null,
  phone: grant.phone ?? null,
  status: grantStatus(grant, nowMs),
  revokedAt: grant.revoked?.at ?? null,
  revokedBy: grant.revoked?.by ?? null,
  reason: grant.revoked?.reason ?? null,
  position: grant.position,
});

type Issued = z.infer<typeof IssuedToken>;

/**
 * Access (SPEC §2, §4): tokens issued over HTTP, every one recorded as AccessGranted (never the
 * token), listed for heads and auditors, revoked by `sub` or `jti` as AccessRevoked — refused on
 * every node once it has applied the revocation.
 */
export async function accessRoutes(app: FastifyInstance, deps: ApiDeps): Promise<void> {
  const r = app.withTypeProvider<ZodTypeProvider>();

  r.post(
    '/tokens',
    {
      config: {
        roles: ['admin'],
        creates: true,
        // A retry with the same Idempotency-Key gets the same tokens again, re-signed from what
        // was recorded: the key stream never holds a token.
        idempotentAnswer: {
          stored: (answer) => ({ ...(answer as object), tokens: (answer as { tokens: Issued[] }).tokens.map(({ token: _, ...rest }) => rest) }),
          replayed: (stored) => ({ ...(stored as object), tokens: (stored as { tokens: Array<Omit<Issued, 'token'>> }).tokens.map((t) => ({ ...t, token: deps.tokens.mint(claimsOfGrant({ ...t, role: t.role as Role })) })) }),
        },
      },
      schema: {
        tags: ['access'],
        summary: 'Issue tokens, several at once (every contact of a township); each is recorded as AccessGranted, never the token; `warnings` name grants no alert would reach (an officer or head scoped to a village)',
        body: TokensBody,
        response: {
          201: z.object({
            tokens: z.array(IssuedToken),
            position: z.string().optional(),
            warnings: z.array(z.object({ field: z.string(), warning: z.string(), message: z.string() })),
          }),
        },
      },
    },
    async (request, reply) => {
      const { tokens } = request.body;
      tokens.forEach((t, i) => {
        if (!withinScope(scopeUnit(t.scope)!, request.user.scope)) throw outOfScope(t.scope, request.user.scope, 'unit', `tokens.${i}.scope`);
      });
      // A token for no registered unit reaches nothing: its contact's every report was refused
      // (`unit_not_found`) and `GET /me` said unit null (found by a newcomer). Refused here, as
      // `zhitong token` refuses it; a unit imported a moment ago is waited for.
      const unregistered = () => tokens.findIndex((t) => !scopeIsRegistered(deps.runner.state('units').units, t.scope));
      if (unregistered() >= 0) await deps.units.refresh();
      const i = unregistered();
      if (i >= 0) throw new HttpError(422, 'unit_not_found', `unit ${tokens[i]!.scope} is not registered, and no registered unit lies within it`, { field: `tokens.${i}.scope`, code: tokens[i]!.scope });
      const context = commandContext(request, deps.now);
      const grants = tokens.map((t) => ({ ...t, jti: randomUUID() }));
      const result = await deps.commands.execute(streams.access, accessDecider, { type: 'GrantAccess', data: { grants, issuedBy: request.user.sub }, now: context.now }, context);
      const issued = result.events.map((e) => {
        if (e.type !== 'AccessGranted') throw new Error('GrantAccess recorded something else');
        const { jti, sub, role, scope, issuedAt, exp } = e.data;
        return { sub, role, scope, jti, issuedAt, exp, token: deps.tokens.mint(claimsOfGrant(e.data)) };
      });
      const lang = languageOf(request.headers['accept-language']);
      const warnings = tokens.flatMap((t, i) => grantWarnings(t.role, t.scope).map((warning) => ({ field: `tokens.${i}.scope`, warning, message: GRANT_WARNING_MESSAGES[warning][lang] })));
      return reply.code(201).send({ tokens: issued, ...(result.position ? { position: result.position } : {}), warnings });
    },
  );

  r.get(
    '/tokens',
    {
      config: { roles: ['head', 'auditor', 'admin'] },
      schema: {
        tags: ['access'],
        summary: 'Who holds access within a scope: every recorded grant, with its status (active, expired, revoked)',
        querystring: listQuery({ scope: Scope.optional(), sub: UserId.optional(), status: z.enum(['active', 'expired', 'revoked']).optional() }),
        response: { 200: page(GrantView) },
      },
    },
    async (request) => {
      const q = request.query;
      const scope = readPrefix(request, q.scope);
      const nowMs = deps.now().getTime();
      let grants = grantsWithin(deps.runner.state('access'), scope, nowMs, q.status);
      if (q.sub !== undefined) grants = grants.filter((g) => g.sub === q.sub);
      const start = q.after ? grants.findIndex((g) => g.jti === q.after) + 1 : 0;
      const slice = grants.slice(start, start + q.limit);
      return { items: slice.map((g) => grantView(g, nowMs)), next: start + slice.length < grants.length ? slice.at(-1)!.jti : null };
    },
  );

  r.post(
    '/tokens/revocations',
    {
      config: { roles: ['admin', 'head'], creates: true },
      schema: {
        tags: ['access'],
        summary: 'Revoke a token (jti) or everything granted to a user (sub) within your scope; every node refuses them once it has applied this',
        body: RevocationBody,
        description: 'Everything named was revoked already: 200 with `alreadyRevoked`, and nothing written.',
        response: { 201: z.object({ revoked: z.array(GrantView), position: z.string().optional(), revokedAt: z.string() }), 200: z.object({ revoked: z.array(GrantView), alreadyRevoked: z.array(GrantView), revokedAt: z.string() }) },
      },
    },
    async (request, reply) => {
      const { sub, jti, reason } = request.body;
      const within = request.user.scope;
      const inScope = (g: Grant) => withinScope(scopeUnit(g.scope)!, within);
      const named = (): Grant[] => {
        const access = deps.runner.state('access');
        return jti !== undefined ? [access.grants.get(jti)].filter((g): g is Grant => g !== undefined) : (access.bySub.get(sub!) ?? []).map((j) => access.grants.get(j)!);
      };
      let known = named();
      // A grant written a moment ago (by `zhitong token`, or another node) may not be applied here
      // yet: read up to the log's head before saying it does not exist (found by a newcomer: a
      // 404 for a token that worked).
      if (known.length === 0) {
        const head = await deps.store.headPosition();
        if (head !== undefined) await deps.runner.require(head);
        known = named();
      }
      // Only what was granted within the caller's scope is revoked, and nothing is said of the
      // rest: 404 unless something in scope is named. An admin may also name a token or user this
      // log has no grant for at all (a token issued before access was recorded): it is refused
      // from now on all the same.
      const legacy = request.user.role === 'admin' && known.length === 0;
      if (!legacy && !known.some(inScope)) throw notFound(jti !== undefined ? 'token' : 'user with access in your scope');
      const nowMs = deps.now().getTime();
      // Everything named was taken back already: said so, and nothing written (an empty revocation
      // in the log would say someone revoked something when nothing changed).
      const stillActive = known.filter((g) => inScope(g) && !g.revoked);
      if (!legacy && stillActive.length === 0) {
        const already = known.filter(inScope);
        return reply.code(200).send({ revoked: [], alreadyRevoked: already.map((g) => grantView(g, nowMs)), revokedAt: already.map((g) => g.revoked!.at).sort().at(-1)! });
      }
      const context = commandContext(request, deps.now);
      const result = await deps.commands.execute(
        streams.access,
        accessDecider,
        // The holders' scopes go with it, so each holder's auditors read it (SPEC §4: access events within scope).
        { type: 'RevokeAccess', data: { sub, jti, reason, within, revokedBy: request.user.sub, scopes: known.filter((g) => inScope(g) && !g.revoked).map((g) => g.scope) }, now: context.now },
        context,
      );
      const position = result.position;
      if (position === undefined) throw new HttpError(503, 'busy', 'the revocation was recorded without a position');
      // Answer with what it revoked, as this node's projection has it once it applied it.
      await deps.runner.require(position);
      const revoked = named().filter((g) => g.revoked?.position === position);
      return reply.code(201).send({ revoked: revoked.map((g) => grantView(g, nowMs)), position, revokedAt: context.now });
    },
  );
}
