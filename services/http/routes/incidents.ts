import { randomUUID } from 'node:crypto';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { streams } from '../../../domain/events.js';
import { incidentDecider, type IncidentCommand, type IncidentState, type OpenedIncident } from '../../../domain/incident.js';
import { reportDecider } from '../../../domain/report.js';
import { execute, load, type Loaded } from '../../commands/execute.js';
import { inScope } from '../auth.js';
import { commandContext } from '../context.js';
import { commandRoute } from '../command-route.js';
import type { ApiDeps } from '../deps.js';
import { forbidden, notFound } from '../errors.js';
import { CloseBody, IdParams, LinkBody, OpenIncidentBody, StabilizeBody, SubmissionBody } from '../schemas.js';
import { incidentView } from '../views.js';

async function loadIncidentInScope(deps: ApiDeps, request: FastifyRequest, id: string): Promise<Loaded<IncidentState> & { incident: OpenedIncident }> {
  const loaded = await load(deps.store, streams.incident(id), incidentDecider);
  if (!loaded.state.exists || !inScope(request, loaded.state.county)) throw notFound('incident');
  return { ...loaded, incident: loaded.state };
}

export async function incidentRoutes(app: FastifyInstance, deps: ApiDeps): Promise<void> {
  const r = app.withTypeProvider<ZodTypeProvider>();

  r.post(
    '/incidents',
    {
      config: { roles: ['officer', 'head'] },
      schema: { tags: ['incidents'], summary: 'Open a disaster process (灾害过程) for a county', body: OpenIncidentBody, response: { 201: z.object({ incidentId: z.uuid(), position: z.string(), revision: z.number() }) } },
    },
    async (request, reply) => {
      const body = request.body;
      if (!inScope(request, body.county)) throw forbidden(`county ${body.county} is outside your scope`);
      const incidentId = body.incidentId ?? randomUUID();
      await deps.units.refresh();
      const context = commandContext(request, deps.now);
      const result = await execute(
        deps.store,
        streams.incident(incidentId),
        incidentDecider,
        {
          type: 'OpenIncident',
          data: { ...body, incidentId, startedAt: new Date(body.startedAt).toISOString() },
          countyKnown: deps.units.get(body.county) !== undefined,
          now: context.now,
        },
        context,
      );
      return reply.code(201).send({ incidentId, position: result.position!, revision: result.revision });
    },
  );

  r.get('/incidents/:id', { config: { roles: ['contact', 'officer', 'head', 'auditor'] }, schema: { tags: ['incidents'], params: IdParams } }, async (request, reply) => {
    const { incident, revision } = await loadIncidentInScope(deps, request, request.params.id);
    return reply.header('etag', `"${revision}"`).send(incidentView(incident, revision, deps.now().toISOString()));
  });

  const incidents = {
    base: '/incidents/:id',
    tag: 'incidents',
    decider: incidentDecider,
    stream: streams.incident,
    loadInScope: (request: FastifyRequest, id: string) => loadIncidentInScope(deps, request, id),
  };
  const command = <B extends z.ZodType>(
    path: string,
    summary: string,
    body: B,
    toCommand: (b: z.infer<B>, request: FastifyRequest, now: string) => Promise<IncidentCommand> | IncidentCommand,
  ) => commandRoute(app, deps, incidents, { path, summary, body, roles: ['officer', 'head'], toCommand });

  command('links', 'Link a report to the incident', LinkBody, async (b, request, now) => {
    const report = await load(deps.store, streams.report(b.reportId), reportDecider);
    const visible = report.state.exists && inScope(request, report.state.village);
    return {
      type: 'LinkReport',
      data: b,
      report: {
        exists: visible,
        village: report.state.exists ? report.state.village : '',
        linkedIncident: await deps.links.incidentOf(b.reportId),
      },
      now,
    };
  });
  command('unlinks', 'Unlink a report from the incident', LinkBody, (b, _r, now) => ({ type: 'UnlinkReport', data: b, now }));
  command('submissions', 'Send figures upward: initial (初报), daily (续报) or final (核报)', SubmissionBody, (b, _r, now) => ({
    type: 'SubmitFigures',
    data: { ...b, asOf: new Date(b.asOf).toISOString() },
    now,
  }));
  command('stabilization', 'The disaster has stabilized: starts the final-report clock', StabilizeBody, (b, _r, now) => ({
    type: 'StabilizeIncident',
    data: { at: b?.at ? new Date(b.at).toISOString() : now },
    now,
  }));
  command('closure', 'Close after the final report', CloseBody, (b, _r, now) => ({ type: 'CloseIncident', data: b, now }));
}
