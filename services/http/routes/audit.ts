import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { scopePrefix, withinScope } from '../../../domain/units.js';
import { UnitCode } from '../../../domain/vocabulary.js';
import { verifyStreamChain, type ChainBreak } from '../../../infra/eventstore/chain.js';
import type { RecordedEvent } from '../../../infra/eventstore/types.js';
import type { ApiDeps } from '../deps.js';
import { forbidden } from '../errors.js';

/** The unit a stream belongs to, from its name or its first event; undefined for streams of no unit. */
function unitOfStream(first: RecordedEvent): string | undefined {
  const data = first.data as { village?: string; county?: string; code?: string };
  if (first.stream.startsWith('report-') || first.stream.startsWith('allocation-')) return data.village;
  if (first.stream.startsWith('incident-')) return data.county;
  if (first.stream.startsWith('roster-')) return first.stream.slice('roster-'.length);
  // `units` and `audit` belong to no unit.
  return undefined;
}

export async function auditRoutes(app: FastifyInstance, deps: ApiDeps): Promise<void> {
  const r = app.withTypeProvider<ZodTypeProvider>();
  r.get(
    '/audit/verify',
    {
      config: { roles: ['auditor'] },
      schema: {
        tags: ['audit'],
        summary: 'Recompute every hash chain in scope (SPEC §8)',
        querystring: z.strictObject({ unit: UnitCode.optional() }),
      },
    },
    async (request) => {
      const unit = request.query.unit;
      if (unit && !withinScope(unit, request.user.scope)) throw forbidden(`unit ${unit} is outside your scope`);
      const prefix = unit ? scopePrefix(unit)! : scopePrefix(request.user.scope)!;
      // Streams in scope are found from their first event; the log is read once, in order.
      const inScope = new Map<string, number>();
      const seen = new Set<string>();
      let events = 0;
      let after: string | undefined;
      for (;;) {
        const page = await deps.store.readAll({ ...(after ? { after } : {}), max: 5000 });
        if (page.length === 0) break;
        for (const e of page) {
          if (!seen.has(e.stream)) {
            seen.add(e.stream);
            const owner = unitOfStream(e);
            if (owner?.startsWith(prefix)) inScope.set(e.stream, 0);
          }
          if (inScope.has(e.stream)) {
            inScope.set(e.stream, inScope.get(e.stream)! + 1);
            events++;
          }
        }
        after = page[page.length - 1]!.position;
      }
      let firstBreak: ChainBreak | undefined;
      for (const stream of inScope.keys()) {
        firstBreak = verifyStreamChain(stream, await deps.store.readStream(stream));
        if (firstBreak) break;
      }
      return { ok: firstBreak === undefined, streams: inScope.size, events, ...(firstBreak ? { firstBreak } : {}) };
    },
  );
}
