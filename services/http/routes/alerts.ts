import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { HAZARD_LABELS } from '../../../domain/vocabulary.js';
import { openAlertsWithin } from '../../../projections/open-alerts.js';
import { unitRef, type UnitsState } from '../../../projections/units.js';
import { grantName, type AccessState } from '../../../projections/access.js';
import type { ApiDeps } from '../deps.js';
import { readPrefix } from '../context.js';
import { listQuery, page, UnitRef, UnitView } from '../schemas.js';

const ROLE_LABEL = { head: '负责人', officer: '值班干部' } as const;

/**
 * A recipient as a person reads it: a user by the name on their latest grant (the id where no grant
 * names them); an audience `head@621224103` as who that is (王坝镇（示例） 负责人), with the unit's
 * code and path. Shape: `{kind: 'user', id, label}` or `{kind: 'audience', id, role, unit, label}`.
 */
export function recipientView(units: UnitsState, access: AccessState, recipient: string) {
  const at = recipient.indexOf('@');
  if (at < 0) return { kind: 'user' as const, id: recipient, label: grantName(access, recipient) ?? recipient };
  const role = recipient.slice(0, at);
  const code = recipient.slice(at + 1).padEnd(12, '0');
  const unit = /^\d{12}$/.test(code) ? unitRef(units, code) : { code, name: code, path: [] };
  return {
    kind: 'audience' as const,
    id: recipient,
    role,
    unit,
    label: `${unit.name} ${ROLE_LABEL[role as keyof typeof ROLE_LABEL] ?? role}`,
  };
}

export async function alertRoutes(app: FastifyInstance, deps: ApiDeps): Promise<void> {
  const r = app.withTypeProvider<ZodTypeProvider>();
  r.get(
    '/alerts/open',
    {
      config: { roles: ['officer', 'head', 'auditor'] },
      schema: {
        tags: ['alerts'],
        summary:
          'Alerted reports nobody has acknowledged, then those acknowledged that nobody has gone to yet (`acknowledged`), each longest-waiting first, with their age, escalation step and who was called',
        querystring: listQuery({ unit: UnitRef.optional() }),
        response: {
          200: page(
            z.looseObject({
              reportId: z.uuid(),
              village: UnitView,
              hazard: z.string(),
              hazardLabel: z.string(),
              observedAt: z.string(),
              clockSuspect: z.boolean(),
              step: z.number(),
              ageSeconds: z.number(),
              recipients: z.array(z.looseObject({ kind: z.enum(['user', 'audience']), id: z.string(), label: z.string() })),
              acknowledged: z.looseObject({ by: z.string(), name: z.string().nullable(), at: z.string(), via: z.string().nullable() }).nullable(),
            }),
          ).extend({ asOf: z.string().nullable() }),
        },
      },
    },
    async (request) => {
      const prefix = readPrefix(request, request.query.unit);
      const units = deps.runner.state('units');
      const access = deps.runner.state('access');
      const all = openAlertsWithin(deps.runner.state('open-alerts'), prefix);
      const start = request.query.after ? all.findIndex((a) => a.reportId === request.query.after) + 1 : 0;
      const slice = all.slice(start, start + request.query.limit);
      const now = deps.now().getTime();
      return {
        asOf: deps.runner.checkpoint ?? null,
        next: start + slice.length < all.length ? slice.at(-1)!.reportId : null,
        items: slice.map((a) => ({
          reportId: a.reportId,
          // The full path: Kang County has three villages named 街道村.
          village: unitRef(units, a.village),
          hazard: a.hazard,
          hazardLabel: HAZARD_LABELS[a.hazard],
          observedAt: a.observedAt,
          clockSuspect: a.clockSuspect,
          reportedAt: a.reportedAt,
          reporter: a.reporter,
          step: a.step,
          tier: a.tier,
          recipients: a.recipients.map((x) => recipientView(units, access, x)),
          firstAlertAt: a.firstAlertAt,
          lastAlertAt: a.lastAlertAt,
          ageSeconds: Math.max(0, Math.round((now - Date.parse(a.firstAlertAt)) / 1000)),
          acknowledged: a.acknowledged ? { by: a.acknowledged.by, name: grantName(access, a.acknowledged.by) ?? null, at: a.acknowledged.at, via: a.acknowledged.via ?? null } : null,
        })),
      };
    },
  );
}
