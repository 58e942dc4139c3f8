import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { isDeepStrictEqual } from 'node:util';
import { z } from 'zod';
import { DomainError } from '../../../domain/errors.js';
import { streams, type EventData } from '../../../domain/events.js';
import { incidentDecider, type IncidentCommand, type IncidentState, type OpenedIncident } from '../../../domain/incident.js';
import { reportDecider, type ReportCommand, type ReportState } from '../../../domain/report.js';
import { ConcurrencyError } from '../../../infra/eventstore/types.js';
import { step, type CommandContext, type Loaded } from '../../commands/execute.js';
import { inScope } from '../auth.js';
import { commandContext, ifMatch } from '../context.js';
import { draftFor, type Draft } from '../../../projections/drafts.js';
import { afterFinal, draftChecks, draftFacts, type DraftFacts } from '../draft-checks.js';
import { householdsProjection, type HouseholdsState } from '../../../projections/households.js';
import { incidentsProjection, type IncidentsState } from '../../../projections/incidents.js';
import { ledgerProjection, type LedgerState } from '../../../projections/ledger.js';
import { reportsProjection, type ReportsState } from '../../../projections/reports.js';
import { HAZARD_LABELS, INDICATORS } from '../../../domain/vocabulary.js';
import { statutoryClocks, type ClockName, type ClockStatus } from '../../../domain/clocks.js';
import { formsCsv, formsHtml, formsXlsx, type NamedDraft } from '../forms.js';
import { rebuildUpTo } from '../../projection-runner.js';
import { sealAnchor } from '../../../projections/seals.js';
import { unitRef } from '../../../projections/units.js';
import type { ApiDeps } from '../deps.js';
import { outOfScope, HttpError, notFound } from '../errors.js';
import { CloseBody, IdParams, LinkBody, OpenIncidentBody, StabilizeBody, SubmissionBody, WriteAnswer } from '../schemas.js';
import { commandRoute, historyRoute, integrityOf, localized, WarningSchema, type SaidWarning } from '../command-route.js';
import { incidentView } from '../views.js';
import { logWarning, requestLanguage } from '../messages.js';
import { beijingMinutes } from '../../../domain/time.js';
import { idFor, idUnavailable } from './reports.js';

/** How far before an incident's start a report may have been observed and still be of it: phones' clocks, a start given to the hour. */
const BEFORE_START_MS = 6 * 60 * 60 * 1000;

/**
 * What a person linking `report` to `incident` should know (found by a newcomer: both taken in
 * silence): a report observed well before the disaster began is most likely of another; one
 * observed after the incident was stabilized tells of something the statistics rules no longer
 * owe a 续报 for, so if the disaster is developing again, that is for the county to decide.
 */
function linkWarnings(incident: OpenedIncident, report: ReportState): SaidWarning[] {
  if (!report.exists) return [];
  const observed = Date.parse(report.observedAt);
  const out: SaidWarning[] = [];
  if (!report.clockSuspect && observed < Date.parse(incident.startedAt) - BEFORE_START_MS) {
    out.push({
      code: 'observed_before_start',
      message: `已归入。但这份报告观察到的时间（北京时间 ${beijingMinutes(report.observedAt)}）比本灾害过程开始（${beijingMinutes(incident.startedAt)}）早了不止 6 小时：如不属本过程，请移出，归入它所属的过程`,
      en: `linked; but the report was observed (${beijingMinutes(report.observedAt)} Beijing time) more than 6 hours before the incident began (${beijingMinutes(incident.startedAt)}): if it is not of this incident, unlink it and link it to its own`,
    });
  }
  if (incident.stabilizedAt !== undefined && observed > Date.parse(incident.stabilizedAt)) {
    out.push({
      code: 'observed_after_stabilization',
      message: `已归入。但本灾害过程已于北京时间 ${beijingMinutes(incident.stabilizedAt)} 标记稳定，这份报告是之后观察到的${(report.estimate.dead ?? 0) + (report.estimate.missing ?? 0) + (report.estimate.injured ?? 0) > 0 ? '，并报有人员伤亡' : ''}：如灾情又有发展，请告知县民政局，由其按规定处理`,
      en: `linked; but the incident was marked stabilized at ${beijingMinutes(incident.stabilizedAt)} Beijing time, and this report was observed after it: if the disaster is developing again, tell the county civil-affairs office`,
    });
  }
  return out;
}

const STAGE_ZH: Record<ClockName, string> = { initial: '初报', daily: '续报', final: '核报' };
const STAGE_EN: Record<ClockName, string> = { initial: 'initial report (初报)', daily: 'daily report (续报)', final: 'final report (核报)' };

/** A span of time as a person says it: days, hours and minutes, the larger two. */
function spanWords(ms: number): { zh: string; en: string } {
  const minutes = Math.max(1, Math.round(ms / 60_000));
  const d = Math.floor(minutes / 1440);
  const h = Math.floor((minutes % 1440) / 60);
  const m = minutes % 60;
  if (d > 0) return { zh: `${d} 天${h > 0 ? ` ${h} 小时` : ''}`, en: `${d} day${d === 1 ? '' : 's'}${h > 0 ? ` ${h} h` : ''}` };
  if (h > 0) return { zh: `${h} 小时${m > 0 ? ` ${m} 分钟` : ''}`, en: `${h} h${m > 0 ? ` ${m} min` : ''}` };
  return { zh: `${m} 分钟`, en: `${m} min` };
}

/** The warning beside a submission sent after its clock's due time (`overdue`, as read before it was written). */
function lateBy(overdue: ClockStatus | undefined, now: string): SaidWarning[] {
  if (!overdue) return [];
  const span = spanWords(Date.parse(now) - Date.parse(overdue.dueAt));
  return [
    {
      code: 'late_submission',
      message: `已报送。但${STAGE_ZH[overdue.clock]}应在北京时间 ${beijingMinutes(overdue.dueAt)} 前报送，晚了 ${span.zh}：请按规定向上级说明迟报的原因`,
      en: `sent; but the ${STAGE_EN[overdue.clock]} was due by ${beijingMinutes(overdue.dueAt)} Beijing time, and is ${span.en} late: explain the delay to the level above as the rules ask`,
      clock: overdue.clock,
      dueAt: overdue.dueAt,
    },
  ];
}

async function loadIncidentInScope(deps: ApiDeps, request: FastifyRequest, id: string): Promise<Loaded<IncidentState> & { incident: OpenedIncident }> {
  const loaded = await deps.commands.load(streams.incident(id), incidentDecider);
  if (!loaded.state.exists || !inScope(request, loaded.state.county)) throw notFound('incident');
  return { ...loaded, incident: loaded.state };
}

/** A start this long before the incident is opened is said (`startedLongAgo`). */
const LONG_AGO_MS = 7 * 24 * 3600_000;

/**
 * The words for an incident opened with a start long past (found by a newcomer: a start years back,
 * a typo of the year, was taken without a word, and every statutory clock was overdue at once — the
 * clocks count from it, 自然灾害情况统计调查制度). Said, not refused: a process can be recorded late.
 */
function startedLongAgo(startedAt: string, now: string): SaidWarning[] {
  const days = Math.floor((Date.parse(now) - Date.parse(startedAt)) / 86_400_000);
  if (Date.parse(now) - Date.parse(startedAt) < LONG_AGO_MS) return [];
  return [
    {
      code: 'started_long_ago',
      message: `已建立。灾害开始时间填的是北京时间 ${beijingMinutes(startedAt)}，是 ${days} 天以前：初报、续报、核报的时限都从这个时间算，现在都已超时。如果填错了，请不要往这个灾害过程归入报告，另建一个开始时间正确的`,
      en: `opened; but it started ${beijingMinutes(startedAt)} Beijing time, ${days} days ago: every statutory clock counts from then, and all are overdue now. If that is a mistake, link no report to it and open another with the right start`,
      startedAt,
      days,
    },
  ];
}

/** A submission's number among the incident's submissions, 1 for the first sent (a 初报). */
const Submission = z.coerce.number().int().min(1).max(100_000).describe('a submission as it was sent: 1 for the first (初报), in the order sent');

export async function incidentRoutes(app: FastifyInstance, deps: ApiDeps): Promise<void> {
  const r = app.withTypeProvider<ZodTypeProvider>();

  r.post(
    '/incidents',
    {
      config: { roles: ['officer', 'head'], creates: true },
      schema: {
        tags: ['incidents'],
        summary: 'Open a disaster process (灾害过程) for a county; `warnings` say a start long past (started_long_ago: every statutory clock counts from it)',
        body: OpenIncidentBody,
        response: {
          201: z.object({ incidentId: z.uuid(), position: z.string(), revision: z.number(), warnings: z.array(WarningSchema).optional() }),
          200: z.object({ incidentId: z.uuid(), position: z.string(), revision: z.number(), warnings: z.array(WarningSchema).optional() }),
        },
      },
    },
    async (request, reply) => {
      const body = request.body;
      if (!inScope(request, body.county)) throw outOfScope(body.county, request.user.scope, 'county', 'body.county');
      const incidentId = idFor(request, body.incidentId);
      await deps.units.refresh();
      const context = commandContext(request, deps.now);
      const data: EventData<'IncidentOpened'> = { ...body, incidentId, startedAt: new Date(body.startedAt).toISOString() };
      const stream = streams.incident(incidentId);
      // The same incidentId again: same body → the first answer; another body → 409; an incident
      // outside the caller's scope → 409 that says nothing about it.
      const sameAsOpened = async () => {
        const [first] = await deps.store.readStream(stream, { max: 1 });
        const opened = first?.data as EventData<'IncidentOpened'> | undefined;
        if (!first || !opened || !inScope(request, opened.county)) throw idUnavailable();
        if (!isDeepStrictEqual(opened, JSON.parse(JSON.stringify(data)))) {
          throw new HttpError(409, 'idempotency_mismatch', `incident ${incidentId} was opened with a different body: a new incident needs a new incidentId`, { field: 'body.incidentId', incidentId });
        }
        // Answered as the first time, its words too: judged as of when it was opened.
        const warnings = localized(startedLongAgo(opened.startedAt, first.metadata.at), requestLanguage(request));
        return reply.code(200).send({ incidentId, position: first.position, revision: 0, ...(warnings.length > 0 ? { warnings } : {}) });
      };
      if ((await deps.commands.load(stream, incidentDecider)).state.exists) return sameAsOpened();
      try {
        const result = await deps.commands.execute(
          stream,
          incidentDecider,
          { type: 'OpenIncident', data, countyKnown: deps.units.get(body.county) !== undefined, now: context.now },
          context,
        );
        if (!result.written) return sameAsOpened();
        const warnings = localized(startedLongAgo(data.startedAt, context.now), requestLanguage(request));
        return reply.code(201).send({ incidentId, position: result.position!, revision: result.revision, ...(warnings.length > 0 ? { warnings } : {}) });
      } catch (error) {
        if (error instanceof ConcurrencyError || (error instanceof DomainError && error.code === 'already_exists')) return sameAsOpened();
        throw error;
      }
    },
  );

  r.get('/incidents/:id', { config: { roles: ['contact', 'officer', 'head', 'auditor'] }, schema: { tags: ['incidents'], summary: 'An incident as it stands, each statutory clock with its due time', params: IdParams } }, async (request, reply) => {
    const { incident, revision, damage } = await loadIncidentInScope(deps, request, request.params.id);
    return reply.header('etag', `"${revision}"`).send({ ...incidentView(incident, revision, deps.now().toISOString(), deps.clockRules), ...integrityOf(damage, request) });
  });

  r.get(
    '/incidents/:id/draft',
    {
      config: { roles: ['officer', 'head', 'auditor'] },
      schema: {
        tags: ['incidents'],
        summary: 'The figures the county would submit now (初报/续报/核报), per township and in total, each with where it came from; a submission already sent (submission=N, or stage=initial/final once sent) as it was sent',
        params: IdParams,
        querystring: z.strictObject({ stage: z.enum(['initial', 'daily', 'final']).optional(), submission: Submission.optional(), position: z.string().max(64).optional() }),
      },
    },
    async (request) => {
      const { incident } = await loadIncidentInScope(deps, request, request.params.id);
      const { generatedAt: _g, title: _t, hazardLabel: _h, ...draft } = await askedDraft(deps, incident, request.query);
      // A draft not yet sent says what the people who sign must check before sending it (draftChecks).
      const warnings = draft.submitted ? [] : localized(draftChecks(draftFacts(draft), 'before'), requestLanguage(request));
      return warnings.length > 0 ? { ...draft, warnings } : draft;
    },
  );

  r.get(
    '/incidents/:id/forms',
    {
      config: { roles: ['officer', 'head', 'auditor'] },
      schema: {
        tags: ['incidents'],
        summary: 'The statutory forms of the draft, or of a submission as it was sent (submission=N; the 初报 and 核报 once sent): CSV (UTF-8 with BOM), an Excel workbook, or a page to print',
        params: IdParams,
        querystring: z.strictObject({ stage: z.enum(['initial', 'daily', 'final']).optional(), submission: Submission.optional(), format: z.enum(['csv', 'xlsx', 'html']), position: z.string().max(64).optional() }),
      },
    },
    async (request, reply) => {
      const { incident } = await loadIncidentInScope(deps, request, request.params.id);
      const asked = await askedDraft(deps, incident, request.query);
      const broken = deps.brokenLog();
      const draft = broken ? { ...asked, logWarning: logWarning(broken, 'zh', 'paper') } : asked;
      const name = encodeURIComponent(`${incident.title}-${{ initial: '初报', daily: '续报', final: '核报' }[draft.stage]}`);
      void reply.header('cache-control', 'no-store');
      switch (request.query.format) {
        case 'csv':
          return reply.type('text/csv; charset=utf-8').header('content-disposition', `attachment; filename*=UTF-8''${name}.csv`).send(formsCsv(draft));
        case 'xlsx':
          return reply
            .type('application/vnd.openxmlformats-officedocument.spreadsheetml.sheet')
            .header('content-disposition', `attachment; filename*=UTF-8''${name}.xlsx`)
            .send(await formsXlsx(draft));
        case 'html':
          return reply.type('text/html; charset=utf-8').send(formsHtml(draft));
        default: {
          const never: never = request.query.format;
          return never;
        }
      }
    },
  );

  const incidents = {
    base: '/incidents/:id',
    tag: 'incidents',
    decider: incidentDecider,
    stream: streams.incident,
    loadInScope: (request: FastifyRequest, id: string) => loadIncidentInScope(deps, request, id),
  };
  historyRoute(app, deps, incidents, 'incidentId', ['contact', 'officer', 'head', 'auditor']);
  const command = <B extends z.ZodType>(
    path: string,
    summary: string,
    body: B,
    toCommand: (b: z.infer<B>, request: FastifyRequest, now: string) => IncidentCommand,
  ) => commandRoute(app, deps, incidents, { path, summary, body, roles: ['officer', 'head'], toCommand });

  /**
   * A report belongs to at most one incident (SPEC §3). The report owns that rule, so linking
   * writes the report's IncidentLinkClaimed first, at the revision read, then the incident's
   * ReportLinked; two links of one report racing collide on the report's stream. Unlinking goes
   * the other way: the incident lets go first, then the report's claim is released.
   */
  const linkRoute = (path: 'links' | 'unlinks', summary: string) =>
    app.withTypeProvider<ZodTypeProvider>().post(
      `/incidents/:id/${path}`,
      { config: { roles: ['officer', 'head'] }, schema: { tags: ['incidents'], summary, params: IdParams, body: LinkBody, response: { 200: WriteAnswer.extend({ warnings: z.array(WarningSchema).optional() }) } } },
      async (request) => {
        const { id } = request.params;
        const { reportId } = request.body;
        const { incident: opened } = await loadIncidentInScope(deps, request, id);
        if (ifMatch(request)) throw new HttpError(400, 'validation', 'If-Match is not taken here: linking is decided on the report and the incident together', [{ path: 'headers.if-match', message: 'not taken here' }]);
        const reportStream = streams.report(reportId);
        const incidentStream = streams.incident(id);
        const context = commandContext(request, deps.now);
        const reportFor = (states: ReadonlyMap<string, unknown>) => {
          const report = states.get(reportStream) as ReportState;
          // A report outside the caller's scope does not exist, as far as the caller can tell.
          const visible = report.exists && inScope(request, report.village);
          return { exists: visible, village: visible ? report.village : '', linkedIncident: visible ? report.incident : undefined };
        };
        const reportStep = step(reportStream, reportDecider, (states): ReportCommand | undefined =>
          reportFor(states).exists
            ? { type: path === 'links' ? 'ClaimIncidentLink' : 'ReleaseIncidentLink', data: { incidentId: id }, now: context.now }
            : undefined,
        );
        const incidentStep = step(incidentStream, incidentDecider, (states): IncidentCommand =>
          path === 'links'
            ? { type: 'LinkReport', data: { reportId }, report: reportFor(states), now: context.now }
            : { type: 'UnlinkReport', data: { reportId }, report: reportFor(states), now: context.now },
        );
        const results = await deps.commands.executeSteps(path === 'links' ? [reportStep, incidentStep] : [incidentStep, reportStep], context, {
          // The incident refused after the report's claim was written (closed meanwhile): let go of it.
          compensate: (written) => releaseClaim(deps, written, reportStream, id, context),
        });
        const incident = results.find((r) => r.stream === incidentStream)!;
        // Read again for what it says (an extra read: linking is rare, and the answer must be right).
        const report = path === 'links' ? (await deps.commands.load(reportStream, reportDecider)).state : undefined;
        const warnings = localized(report?.exists ? linkWarnings(opened, report) : [], requestLanguage(request));
        return { position: results.map((r) => r.position).filter((p) => p !== undefined).sort().at(-1), revision: incident.revision, ...(warnings.length > 0 ? { warnings } : {}) };
      },
    );
  linkRoute('links', 'Link a report to the incident');
  linkRoute('unlinks', 'Unlink a report from the incident');
  /**
   * A submission upward (issue 16). `fromDraft`: the draft as computed at `position` is what is sent
   * — with each township's figures, the relief-work figures and, at `final`, the roster's households
   * — and if the figures have changed since that position, 409 `draft_changed`: an officer never
   * sends numbers other than the ones they looked at. Typed by hand: the figures as typed, and the
   * difference from the draft of this moment, so an auditor sees what was changed by hand.
   */
  app.withTypeProvider<ZodTypeProvider>().post(
    '/incidents/:id/submissions',
    {
      config: { roles: ['officer', 'head'] },
      schema: { tags: ['incidents'], summary: 'Send figures upward: initial (初报), daily (续报) or final (核报), from the draft or typed by hand', params: IdParams, body: SubmissionBody, response: { 200: WriteAnswer.extend({ warnings: z.array(WarningSchema).optional() }) } },
    },
    async (request) => {
      const { id } = request.params;
      const { incident } = await loadIncidentInScope(deps, request, id);
      const b = request.body;
      const context = commandContext(request, deps.now);
      // "Now" is the whole log as it stands: the read side is brought to its head first, so a
      // change written a moment ago is not missed (503 not_caught_up if it cannot get there).
      const head = await deps.store.headPosition();
      if (head !== undefined) await deps.runner.require(head);
      const current = () => draftFor(incident, b.stage, deps.runner.state('reports'), deps.runner.state('households'), deps.runner.state('ledger'));
      const text = { ...(b.notes !== undefined ? { notes: b.notes } : {}), ...(b.explanation !== undefined ? { explanation: b.explanation } : {}) };
      let data: EventData<'FiguresSubmitted'>;
      // What the draft sent rests on, said with the answer (a submission typed by hand has no draft).
      let facts: DraftFacts | undefined;
      if (b.fromDraft) {
        const position = deps.store.parsePosition(b.position!);
        if (position === undefined) throw new HttpError(400, 'validation', 'body.position: not a position of this log', [{ path: 'body.position', message: 'not a position of this log' }]);
        await deps.runner.require(position);
        const draft = current();
        if (deps.runner.checkpoint !== position) {
          const { states } = await rebuildUpTo(deps.store, [incidentsProjection, reportsProjection, householdsProjection, ledgerProjection] as never, { position });
          const then = (states.get('incidents') as IncidentsState).rows.get(id);
          const before = then && draftFor(then, b.stage, states.get('reports') as ReportsState, states.get('households') as HouseholdsState, states.get('ledger') as LedgerState);
          const content = (d: Draft | undefined) => d && { total: d.total, townships: d.townships, relief: d.relief, roster: d.roster };
          if (!isDeepStrictEqual(content(before), content(draft))) {
            throw new HttpError(409, 'draft_changed', `the figures changed after position ${b.position}: load the draft again and check it before sending`, [{ path: 'body.position', message: 'the draft changed since' }]);
          }
        }
        facts = draftFacts(draft, (code) => deps.units.get(code)?.name);
        data = {
          stage: b.stage,
          figures: draft.total.figures,
          asOf: context.now,
          ...text,
          townships: draft.townships.map((x) => ({ unit: x.unit, figures: x.figures })),
          relief: draft.relief,
          ...(draft.roster ? { roster: draft.roster.map((e) => ({ village: e.village, householdId: e.householdId })) } : {}),
          source: { kind: 'draft', position },
          ...latestAnchor(deps),
        };
      } else {
        const draft = current();
        const figures = b.figures!;
        const differences = INDICATORS.filter((k) => (figures[k] ?? 0) !== (draft.total.figures[k] ?? 0)).map((k) => ({ indicator: k, draft: draft.total.figures[k] ?? 0, submitted: figures[k] ?? 0 }));
        data = {
          stage: b.stage,
          figures,
          asOf: new Date(b.asOf!).toISOString(),
          ...text,
          source: { kind: 'hand', draftPosition: deps.runner.checkpoint ?? null, differences },
          ...latestAnchor(deps),
        };
      }
      // Sent all the same — a statutory deadline does not wait for an audit — but the submission
      // records that the log was known broken, and the sender is told (found by a newcomer: 200,
      // nothing said, and the county page showed 已报送 in green).
      const broken = deps.brokenLog();
      if (broken) data = { ...data, logBroken: { problems: broken.problems, checkedAt: broken.checkedAt } };
      // Read before it is written: the clock this submission answers, if its time had passed.
      const overdue = statutoryClocks({ ...incident, closed: incident.closed !== undefined }, context.now, deps.clockRules).find((c) => c.clock === b.stage && c.overdue);
      const result = await deps.commands.execute(streams.incident(id), incidentDecider, { type: 'SubmitFigures', data, now: context.now }, context, { ifMatch: ifMatch(request) });
      // After the 核报 nothing more is sent (its rule refuses a submission): what to do about a
      // doubt is to explain it upward in writing, not "send a correction" (found by a newcomer).
      const correct = afterFinal(b.stage);
      const said: SaidWarning[] = [
        ...(facts ? draftChecks(facts, 'after') : []),
        ...(broken
          ? [
              {
                code: 'log_broken',
                message: `已报送，并记下了报送时日志校验未通过（北京时间 ${beijingMinutes(broken.checkedAt)} 查出 ${broken.problems} 处问题）：这些数字可能缺少记录或含有被改动的记录。请交审计人员核对，核对后如有出入，${correct ? correct.zh : '再报一次更正'}`,
                en: `sent, and recorded as sent while the log had failed verification (${broken.problems} problem(s) found at ${beijingMinutes(broken.checkedAt)}, Beijing time): these figures may lack records or hold altered ones. Have an auditor check; if they differ, ${correct ? correct.en : 'send a correction'}`,
                problems: broken.problems,
              },
            ]
          : []),
        // Sent after its statutory time (自然灾害情况统计调查制度): the clock records it late; the
        // sender is told at once, with by how much, as a reason is owed upward (found by a newcomer).
        ...lateBy(overdue, context.now),
      ];
      const warnings = localized(said, requestLanguage(request));
      return { position: result.position, revision: result.revision, ...(warnings.length > 0 ? { warnings } : {}) };
    },
  );
  commandRoute(app, deps, incidents, {
    path: 'stabilization',
    summary: 'The disaster has stabilized: starts the final-report clock. Sent again (an answer lost), it is answered as the first time',
    body: StabilizeBody,
    roles: ['officer', 'head'],
    // Without `at`, a stabilization sent again means the one recorded (its answer was lost on the
    // road): "now" would be another moment, refused as a second stabilization (found by a newcomer).
    toCommand: (b, _r, now, state) => ({
      type: 'StabilizeIncident' as const,
      data: { at: b?.at ? new Date(b.at).toISOString() : state.exists && state.stabilizedAt ? state.stabilizedAt : now },
      now,
    }),
  });
  command('closure', 'Close after the final report', CloseBody, (b, _r, now) => ({ type: 'CloseIncident', data: b, now }));
}

/**
 * The draft of `stage` (the one owed next when not given: the initial report until one is sent,
 * the final one once the disaster has stabilized, a daily follow-up in between), with the names a
 * form prints. Read from the read side as of its checkpoint (`asOf`).
 */
function namedDraft(deps: ApiDeps, incident: OpenedIncident, stage?: ClockName): NamedDraft {
  const owed = stage ?? (!incident.submissions.some((x) => x.stage === 'initial') ? 'initial' : incident.stabilizedAt ? 'final' : 'daily');
  const draft = draftFor(incident, owed, deps.runner.state('reports'), deps.runner.state('households'), deps.runner.state('ledger'));
  return withNames(deps, incident, draft, deps.runner.checkpoint ?? null);
}

/** `draft` with the names a form prints (units as they are named now). */
function withNames(deps: ApiDeps, incident: OpenedIncident, draft: Draft, asOf: string | null): NamedDraft {
  const units = deps.runner.state('units');
  const named = <T extends { unit: string }>(x: T) => ({ ...x, unit: unitRef(units, x.unit) });
  const { roster, ...rest } = draft;
  return {
    ...rest,
    asOf,
    generatedAt: deps.now().toISOString(),
    title: incident.title,
    hazardLabel: HAZARD_LABELS[incident.hazard],
    total: named(draft.total),
    townships: draft.townships.map(named),
    ...(roster ? { roster: roster.map((e) => ({ ...e, village: unitRef(units, e.village) })) } : {}),
  };
}

/**
 * What a draft or forms request asks for: the submission numbered `submission` (1 = the first
 * sent) as it was sent; a stage sent once and for all (初报, 核报) as it was sent, since what the
 * figures say now is not what went upward (found by a newcomer: a closed incident's 初报 form
 * printed today's money and households); otherwise the draft of `stage` or of the stage owed.
 * Throws 404 for a submission number the incident does not have.
 */
async function askedDraft(deps: ApiDeps, incident: OpenedIncident, query: { stage?: ClockName | undefined; submission?: number | undefined }): Promise<NamedDraft> {
  // Nothing follows the 核报: asked for no stage after it, the draft is the 核报 as sent, not a new
  // one (found by a newcomer: a fresh final draft, `submitted: null`, read as never sent).
  const stage = query.stage ?? (query.submission === undefined && incident.submissions.some((x) => x.stage === 'final') ? 'final' : undefined);
  const once = stage === 'initial' || stage === 'final' ? incident.submissions.findIndex((x) => x.stage === stage) : -1;
  const index = query.submission ?? (once >= 0 ? once + 1 : undefined);
  if (index === undefined) return namedDraft(deps, incident, stage);
  if (stage !== undefined && incident.submissions[index - 1]?.stage !== stage) throw notFound('submission');
  return submittedDraft(deps, incident, index);
}

/**
 * Submission number `index` (1-based) as it was sent. From the draft: that draft again, rebuilt as
 * of the position it was computed at (the submission was refused had it changed since, so this is
 * exactly what was looked at and sent). Typed by hand: the loss figures as typed, which is all such
 * a submission sends.
 */
async function submittedDraft(deps: ApiDeps, incident: OpenedIncident, index: number): Promise<NamedDraft> {
  const sent = (await deps.store.readStream(streams.incident(incident.incidentId))).filter((e) => e.type === 'FiguresSubmitted')[index - 1];
  if (!sent) throw notFound('submission');
  const data = sent.data as EventData<'FiguresSubmitted'>;
  const submitted = { index, at: sent.metadata.at, position: sent.position, source: data.source?.kind === 'draft' ? ('draft' as const) : ('hand' as const), asOf: data.asOf, ...(data.logBroken ? { logBroken: data.logBroken } : {}) };
  if (data.source?.kind === 'draft') {
    const { states } = await rebuildUpTo(deps.store, [incidentsProjection, reportsProjection, householdsProjection, ledgerProjection] as never, { position: data.source.position });
    const then = (states.get('incidents') as IncidentsState).rows.get(incident.incidentId);
    if (then) {
      const draft = draftFor(then, data.stage, states.get('reports') as ReportsState, states.get('households') as HouseholdsState, states.get('ledger') as LedgerState);
      return { ...withNames(deps, incident, draft, data.source.position), submitted };
    }
  }
  const previous = incident.submissions[index - 2];
  const { relief: _relief, ...named } = withNames(
    deps,
    incident,
    {
      incidentId: incident.incidentId,
      county: incident.county,
      stage: data.stage,
      total: { unit: incident.county, figures: data.figures, sources: {}, reports: { verified: 0, estimated: 0 } },
      townships: (data.townships ?? []).map((x) => ({ ...x, sources: {}, reports: { verified: 0, estimated: 0 } })),
      relief: { allocations: 0, households: 0, householdsReached: 0, cashAllocatedFen: 0, cashApprovedFen: 0, cashDeliveredFen: 0, goodsDelivered: [] },
      previous: previous ? { stage: previous.stage, at: previous.at, figures: previous.figures } : null,
      moved: [],
    },
    null,
  );
  return { ...named, ...(data.relief ? { relief: data.relief } : {}), submitted };
}

/** The latest seal, carried on every submission upward (SPEC §8). */
function latestAnchor(deps: ApiDeps): { sealAnchor?: string } {
  const latest = deps.runner.state('seals').latest;
  return latest ? { sealAnchor: sealAnchor(latest) } : {};
}

async function releaseClaim(deps: ApiDeps, written: string[], reportStream: string, incidentId: string, context: CommandContext): Promise<void> {
  if (!written.includes(reportStream)) return;
  await deps.commands.execute(reportStream, reportDecider, { type: 'ReleaseIncidentLink', data: { incidentId }, now: context.now }, context);
}
