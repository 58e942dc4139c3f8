import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { isOnCall } from '../../../domain/alerting.js';
import { streams } from '../../../domain/events.js';
import { ROSTER_WARNING_MESSAGES, rosterDecider, rosterWarnings } from '../../../domain/roster.js';
import { grantsOf } from '../../../projections/access.js';
import { unitLevel } from '../../../domain/units.js';
import { execute, load } from '../../commands/execute.js';
import { inScope } from '../auth.js';
import { commandContext, ifMatch } from '../context.js';
import type { ApiDeps } from '../deps.js';
import { HttpError, outOfScope, notFound } from '../errors.js';
import { languageOf } from '../messages.js';
import { RosterBody, TownshipParams, WriteAnswer } from '../schemas.js';

/** A written roster's answer: where it landed, and whom it would leave unreached (not refused: a fact). */
const RosterAnswer = WriteAnswer.extend({
  warnings: z.array(z.object({ field: z.string(), officer: z.string().optional(), warning: z.string(), message: z.string() })),
});

/**
 * A roster belongs to a township (SPEC §4): a county's or village's code in scope is refused as
 * `roster set` refuses it, naming the rule (found by a newcomer: 404 "未找到，或不在您的管辖范围内"
 * for a code well within the head's scope).
 */
function notATownship(code: string): void {
  if (unitLevel(code) !== 'township') throw new HttpError(422, 'invalid_unit', 'a roster belongs to a township', { field: 'townshipCode', code });
}

export async function rosterRoutes(app: FastifyInstance, deps: ApiDeps): Promise<void> {
  const r = app.withTypeProvider<ZodTypeProvider>();

  r.put(
    '/roster/:townshipCode',
    {
      config: { roles: ['head'] },
      schema: {
        tags: ['roster'],
        summary: 'Replace the on-call roster of a township; `warnings` name entries no alert would reach (no token issued to that id, revoked, expired, not staff of this township, staff of one of its villages only) and a roster with nobody primary, or nobody reachable primary, now',
        params: TownshipParams,
        body: RosterBody,
        response: { 200: RosterAnswer },
      },
    },
    async (request) => {
      const { townshipCode } = request.params;
      if (!inScope(request, townshipCode)) throw outOfScope(townshipCode, request.user.scope, 'township');
      // A roster belongs to a registered township (SPEC §4).
      if (!deps.units.get(townshipCode)) await deps.units.refresh();
      notATownship(townshipCode);
      if (!deps.units.get(townshipCode)) throw new HttpError(422, 'unit_not_found', `township ${townshipCode} is not registered`, { field: 'townshipCode', code: townshipCode });
      const context = commandContext(request, deps.now);
      const entries = request.body.entries.map((e) => ({
        officer: e.officer,
        tier: e.tier,
        ...(e.from ? { from: new Date(e.from).toISOString() } : {}),
        ...(e.until ? { until: new Date(e.until).toISOString() } : {}),
      }));
      const result = await execute(deps.store, streams.roster(townshipCode), rosterDecider, { type: 'SetRoster', data: { township: townshipCode, entries }, now: context.now }, context, {
        ifMatch: ifMatch(request),
      });
      const access = deps.runner.state('access');
      const lang = languageOf(request.headers['accept-language']);
      const warnings = rosterWarnings(townshipCode, entries, (sub) => grantsOf(access, sub), context.now).map((w) => ({ ...w, message: ROSTER_WARNING_MESSAGES[w.warning][lang] }));
      return { position: result.position, revision: result.revision, warnings };
    },
  );

  r.get(
    '/roster/:townshipCode',
    { config: { roles: ['contact', 'officer', 'head', 'auditor'] }, schema: { tags: ['roster'], summary: 'The on-call roster of a township', params: TownshipParams } },
    async (request) => {
      const { townshipCode } = request.params;
      if (!inScope(request, townshipCode)) throw notFound('roster');
      notATownship(townshipCode);
      const { state, revision } = await load(deps.store, streams.roster(townshipCode), rosterDecider);
      const now = deps.now().toISOString();
      const access = deps.runner.state('access');
      const lang = languageOf(request.headers['accept-language']);
      const warnings = rosterWarnings(townshipCode, state.entries, (sub) => grantsOf(access, sub), now).map((w) => ({ ...w, message: ROSTER_WARNING_MESSAGES[w.warning][lang] }));
      return {
        township: townshipCode,
        entries: state.entries.map((e) => ({ ...e, onCallNow: isOnCall(e, now) })),
        // Read again at every GET: a token issued, revoked or expired since changes who is reached.
        warnings,
        revision,
      };
    },
  );
}
