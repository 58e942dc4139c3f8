import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { HAZARD_LABELS, UnitCode } from '../../../domain/vocabulary.js';
import type { ApiDeps } from '../deps.js';
import { readPrefix } from '../context.js';

export async function alertRoutes(app: FastifyInstance, deps: ApiDeps): Promise<void> {
  const r = app.withTypeProvider<ZodTypeProvider>();
  r.get(
    '/alerts/open',
    {
      config: { roles: ['officer', 'head', 'auditor'] },
      schema: {
        tags: ['alerts'],
        summary: 'Alerted reports nobody has answered yet, longest-waiting first, with their age and escalation step',
        querystring: z.strictObject({ unit: UnitCode.optional() }),
      },
    },
    async (request) => {
      const { alerts, asOf } = await deps.openAlerts.within(readPrefix(request, request.query.unit));
      const now = deps.now().getTime();
      return {
        asOf,
        alerts: alerts.map((a) => ({
          reportId: a.reportId,
          village: { code: a.village, name: deps.units.get(a.village)?.name ?? a.village },
          hazard: a.hazard,
          hazardLabel: HAZARD_LABELS[a.hazard],
          observedAt: a.observedAt,
          reportedAt: a.reportedAt,
          reporter: a.reporter,
          step: a.step,
          recipients: a.recipients,
          firstAlertAt: a.firstAlertAt,
          lastAlertAt: a.lastAlertAt,
          ageSeconds: Math.max(0, Math.round((now - Date.parse(a.firstAlertAt)) / 1000)),
        })),
      };
    },
  );
}
