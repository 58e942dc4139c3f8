import { randomUUID } from 'node:crypto';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { isDeepStrictEqual } from 'node:util';
import canonicalize from 'canonicalize';
import { v5 as uuidv5 } from 'uuid';
import { ALERTING_ACTOR } from '../../../domain/alerting.js';
import { streams, type DomainEvent, type EventData, type Household } from '../../../domain/events.js';
import { CASUALTIES, RELIEF_CLAIM_TTL_MS, completedFigures, filingDecider, reportDecider, type DuplicateOriginal, type FiledReport, type ReportCommand } from '../../../domain/report.js';
import { ancestorAt, unitLevel } from '../../../domain/units.js';
import { locationSuspicion, nearestCentre, suspicionWords, type KnownCentre, type Point } from '../../../domain/location.js';
import { beijingMinutes, beijingPair } from '../../../domain/time.js';
import { damageDetails, message, requestLanguage } from '../messages.js';
import { LOSS_COLUMNS } from '../forms.js';
import { ConcurrencyError, IdempotencyError, type RecordedEvent } from '../../../infra/eventstore/types.js';
import { CATEGORY_LABELS, CATEGORY_LABELS_EN, yuan } from '../../../domain/notice.js';
import { canonicalHouseholdId, HAZARD_LABELS, HAZARD_LABELS_EN, ROLE_NAMES_ZH, type Hazard, type Indicator, type IndicatorSet } from '../../../domain/vocabulary.js';
import { isLiveRow, type LedgerRow } from '../../../projections/ledger.js';
import { nameKey } from '../../../domain/allocation.js';
import { endedChainDetails, originalOf } from '../../commands/merged-reports.js';
import { DamagedStreamError, emptyStream, PreconditionFailedError, type Loaded, type StreamDamage } from '../../commands/execute.js';
import { inScope } from '../auth.js';
import { commandContext, ifMatch } from '../context.js';
import { commandRoute, historyRoute, integrityOf, localized, WarningSchema, type SaidWarning } from '../command-route.js';
import { grantName } from '../../../projections/access.js';
import type { ApiDeps } from '../deps.js';
import { outOfScope, HttpError, notFound } from '../errors.js';
import { DomainError } from '../../../domain/errors.js';
import {
  AmendReportBody,
  ArrivalBody,
  CloseBody,
  DismissBody,
  DispatchBody,
  EmptyBody,
  FileReportBody,
  usablePoint,
  IdParams,
  VerifyBody,
  WriteAnswer,
} from '../schemas.js';
import { reportView } from '../views.js';
import { answeredAlongWith } from '../../alerts/escalator.js';
import type { ReportRow } from '../../../projections/reports.js';
import { z } from 'zod';
import type { ReportState } from '../../../domain/report.js';

const FIELD_STAFF = ['officer', 'head'] as const;

/** POST /reports' answer (SPEC §4), with whether the phone's clock looked wrong (§3). */
const FiledAnswer = z.object({ reportId: z.uuid(), position: z.string(), revision: z.number(), clockSuspect: z.boolean(), warnings: z.array(WarningSchema).optional() });

/**
 * The warning beside a filing or a 续报 whose point cannot be where the hazard is (0,0, abroad, far
 * from the village; domain/location.ts), told to the one person who can say where it is. `centre`:
 * the nearest centre the register knows for the report's village (its own, its township's or its
 * county's), where alerts then send officers instead. `sentIn`: the filing or a 续报, named as such
 * (found by a newcomer: a 续报's point was called the report's). `kept`: a 续报's point, where the
 * report has a good one already: that one stays (domain/report.ts amendedPoint), and the words say so.
 */
function locationWarnings(point: Point | undefined, centre: KnownCentre | undefined, sentIn: 'report' | 'amendment' = 'report', kept = false): SaidWarning[] {
  const suspicion = point ? locationSuspicion(point, centre) : undefined;
  if (!suspicion) return [];
  const words = suspicionWords(suspicion);
  const goZh = kept ? '，报告原来的位置不变，值班人员仍按原位置出发' : centre ? `，值班人员会先按${{ village: '村', township: '乡镇', county: '县' }[centre.of]}中心位置出发` : '，值班人员没有地图位置可用';
  const goEn = kept ? ", so the report's earlier location stays and officers still set off for it" : centre ? `, so officers set off for the ${centre.of} centre` : ', so officers have no map location';
  return [
    {
      code: 'location_suspect',
      message: `已收到。但${sentIn === 'amendment' ? '续报' : '报告'}带的位置不可信（${words.zh}）${goZh}。请打电话或在续报里写清具体地点（如：村委会后山）`,
      en: `received; but the ${sentIn === 'amendment' ? "follow-up's" : "report's"} location cannot be trusted (${words.en})${goEn}. Phone, or say in a follow-up exactly where it is (e.g. the hill behind the village committee)`,
      problem: suspicion.problem,
      distanceKm: suspicion.distanceKm,
      ...(suspicion.nearer ? { nearer: suspicion.nearer } : {}),
    },
  ];
}
/**
 * A point sent that is no place (outside ±90 latitude or ±180 longitude: most often a fix with its
 * two numbers swapped), which the report or 续报 is taken without: said with the numbers, so the
 * sender can tell where it went wrong (schemas.ts LocationInput).
 */
function unusableWarnings(point: { lat: number; lon: number } | undefined, sentIn: 'report' | 'amendment' | 'arrival' = 'report'): SaidWarning[] {
  if (point === undefined || usablePoint(point)) return [];
  const swapped = usablePoint({ lat: point.lon, lon: point.lat }) !== undefined;
  return [
    {
      code: 'location_unusable',
      message:
        sentIn === 'arrival'
          ? `已记录到达。但手机报的位置不是有效的坐标（纬度 ${point.lat}，经度 ${point.lon}${swapped ? '，可能是纬度和经度填反了' : ''}），已按没有位置记下`
          : `已收到。但${sentIn === 'amendment' ? '续报' : '报告'}带的位置不是有效的坐标（纬度 ${point.lat}，经度 ${point.lon}；纬度应在 -90 到 90 之间，经度在 -180 到 180 之间${swapped ? '，可能是纬度和经度填反了' : ''}），已按没有位置记下，值班人员会先按村或乡镇中心位置出发。请打电话或在续报里写清具体地点`,
      en:
        sentIn === 'arrival'
          ? `arrival recorded; but the phone's location is not a valid point (latitude ${point.lat}, longitude ${point.lon}${swapped ? '; latitude and longitude may be swapped' : ''}), so it was recorded without one`
          : `received; but the ${sentIn === 'amendment' ? "follow-up's" : "report's"} location is not a valid point (latitude ${point.lat}, longitude ${point.lon}; latitude lies within ±90 and longitude within ±180${swapped ? '; latitude and longitude may be swapped' : ''}), so it was taken without one, and officers set off for the village or township centre. Phone, or say in a follow-up exactly where it is`,
      lat: point.lat,
      lon: point.lon,
    },
  ];
}

/** An arrival time up to this long ago (ms) reads as meant: a phone's clock, a time picked on the way. */
const ETA_PAST_MS = 10 * 60 * 1000;
/** An arrival time further ahead than this (ms) is not a trip within a township. */
const ETA_AHEAD_MS = 3 * 24 * 60 * 60 * 1000;

/**
 * The arrival time an officer gave, when colleagues would read nonsense in it: already past, or
 * days ahead (found by a newcomer: "arriving 01:47" shown at 02:17). Recorded as given — it is the
 * officer's word, and setting off is a fact — and said back, so they send it again as meant.
 */
function etaWarnings(eta: string | undefined, now: Date): SaidWarning[] {
  if (eta === undefined) return [];
  const t = Date.parse(eta);
  const when = beijingMinutes(new Date(t).toISOString());
  if (t < now.getTime() - ETA_PAST_MS) {
    return [{ code: 'eta_unlikely', problem: 'passed', message: `已记录出发。但预计到达时间（${when} 北京时间）已经过去，同事看到的就是这个时间：如填错了，请再点一次出发，填写正确的时间，或不填`, en: `recorded; but the arrival time given (${when} Beijing time) has passed, and colleagues read it as given: if it is wrong, set off again with the right time, or none` }];
  }
  if (t > now.getTime() + ETA_AHEAD_MS) {
    return [{ code: 'eta_unlikely', problem: 'days_ahead', message: `已记录出发。但预计到达时间（${when} 北京时间）在三天以后，同事看到的就是这个时间：如填错了，请再点一次出发，填写正确的时间，或不填`, en: `recorded; but the arrival time given (${when} Beijing time) is more than three days ahead, and colleagues read it as given: if it is wrong, set off again with the right time, or none` }];
  }
  return [];
}
const ANY_READER = ['contact', 'officer', 'head', 'auditor'] as const;
/** A filing appends at most this many events: the report, its first alert, an acknowledgement via a related report (domain/report.ts filingDecider). */
const FILING_EVENTS_MAX = 3;

/** Ids the server derives from an Idempotency-Key, so a retry of a request that died creates the same object. */
const DERIVED_ID_NAMESPACE = '0d7cf3a1-2f59-4a4b-8b1b-7b4f6f0f9e21';
export const idFor = (request: FastifyRequest, given: string | undefined): string =>
  given ?? (request.idempotencyKey ? uuidv5(request.idempotencyKey, DERIVED_ID_NAMESPACE) : randomUUID());

/** Ids of reports filed without a reportId, derived from what they say. */
const CONTENT_ID_NAMESPACE = '5b0e6c1d-93a4-4f0e-8d3e-2c7a1f4b9e60';
const canonical = canonicalize as unknown as (value: unknown) => string;

/**
 * A report's id: the one it was sent with; else one derived from the filing itself — its sender,
 * village, hazard, the moment observed (ms), estimate, place and words (`content`, the ReportFiled
 * data without its id, canonical JSON, RFC 8785). A phone that sends the same report again because
 * the answer never came files the same report, answered as the first time, instead of a second one
 * that wakes the officers again (found by a newcomer: one landslide, two alerts) — with or without
 * an Idempotency-Key, whichever key the resend carries: a header is transport, not what was said
 * (found by a newcomer: a phone that made a new key for its resend filed a second report). Two
 * reports of one hazard that say anything different, or were observed at another moment, or come
 * from another person, are two reports (SPEC §5 links them in one alert).
 */
export function reportIdFor(given: string | undefined, content: Omit<EventData<'ReportFiled'>, 'reportId'>): string {
  return given ?? uuidv5(canonical(content), CONTENT_ID_NAMESPACE);
}

/** 409 for a client-chosen id taken outside the caller's scope: nothing about that object is said (SPEC §2, §4). */
export const idUnavailable = () => new HttpError(409, 'id_unavailable', 'this id cannot be used; choose another');

export async function loadReportInScope(deps: ApiDeps, request: FastifyRequest, reportId: string): Promise<Loaded<ReportState> & { report: FiledReport }> {
  const loaded = await deps.commands.load(streams.report(reportId), reportDecider);
  // Outside the caller's scope a report does not exist, as far as the caller can tell.
  if (!loaded.state.exists || !inScope(request, loaded.state.village)) throw notFound('report');
  return { ...loaded, report: loaded.state };
}

/** Each indicator (SPEC §3 indicator set) as a person reads it, in the statistics rules' Chinese and in English, with its unit as held (yuan, not the forms' 万元). */
/** People dead, missing or hurt: the figures an estimate may know that a verification has not seen. */
const CASUALTY_SET: ReadonlySet<Indicator> = new Set(CASUALTIES);

/** Damage grades as the verification form names them. */
const DAMAGE_ZH: Record<Household['damage'], string> = { collapsed: '倒塌', severe: '严重损坏', moderate: '一般损坏', none: '未受损' };

const INDICATOR_WORDS: Record<Indicator, { zh: string; unitZh: string; en: string }> = {
  affectedPeople: { zh: '受灾人口', unitZh: '人', en: 'people affected' },
  dead: { zh: '死亡人口', unitZh: '人', en: 'dead' },
  missing: { zh: '失踪人口', unitZh: '人', en: 'missing' },
  injured: { zh: '受伤人口', unitZh: '人', en: 'injured' },
  evacuated: { zh: '紧急转移安置人口', unitZh: '人', en: 'people evacuated' },
  needEmergencyAid: { zh: '需紧急生活救助人口', unitZh: '人', en: 'people needing emergency aid' },
  roomsCollapsed: { zh: '倒塌房屋', unitZh: '间', en: 'rooms collapsed' },
  roomsSeverelyDamaged: { zh: '严重损坏房屋', unitZh: '间', en: 'rooms severely damaged' },
  roomsModeratelyDamaged: { zh: '一般损坏房屋', unitZh: '间', en: 'rooms moderately damaged' },
  cropAffectedHa: { zh: '农作物受灾面积', unitZh: '公顷', en: 'hectares of crops affected' },
  cropDamagedHa: { zh: '农作物成灾面积', unitZh: '公顷', en: 'hectares of crops damaged' },
  cropFailedHa: { zh: '农作物绝收面积', unitZh: '公顷', en: 'hectares of crops failed' },
  livestockLost: { zh: '死亡牲畜', unitZh: '头', en: 'livestock lost' },
  directLossYuan: { zh: '直接经济损失', unitZh: '元', en: 'yuan of direct loss' },
};

/** The indicators of `sent` lower than `original`'s, with both figures: what a 续报 through a duplicate does not lower. */
function notLowered(sent: IndicatorSet | undefined, original: IndicatorSet): Array<{ indicator: Indicator; sent: number; original: number }> {
  if (sent === undefined) return [];
  const out: Array<{ indicator: Indicator; sent: number; original: number }> = [];
  for (const [indicator, value] of Object.entries(sent) as Array<[Indicator, number | undefined]>) {
    const before = original[indicator];
    if (value !== undefined && before !== undefined && value < before) out.push({ indicator, sent: value, original: before });
  }
  return out;
}

/** Clocks of two nodes differ a little: a claim is waited for this much past its lifetime. */
const CLAIM_MARGIN_MS = 2_000;

/**
 * The report's revision once no relief claimed from it is in flight: every claim either has its
 * allocation written, or is past its lifetime (RELIEF_CLAIM_TTL_MS), after which the store refuses
 * to write that allocation at all.
 */
async function settledForDismissal(deps: ApiDeps, stream: string): Promise<number> {
  const started = Date.now();
  for (;;) {
    const { state, revision } = await deps.commands.load(stream, reportDecider);
    if (!state.exists || state.status === 'dismissed') return revision;
    let pending = false;
    const now = deps.now().getTime();
    for (const claim of state.reliefClaims) {
      if (now - Date.parse(claim.at) > RELIEF_CLAIM_TTL_MS + CLAIM_MARGIN_MS) continue;
      if ((await deps.store.readStream(streams.allocation(claim.allocationId), { max: 1 })).length === 0) pending = true;
    }
    if (!pending || Date.now() - started > RELIEF_CLAIM_TTL_MS + CLAIM_MARGIN_MS) return revision;
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

/**
 * The report a duplicate names, as the dismissal's rule needs it (DuplicateOriginal): read from its
 * stream, so a dismissal a moment ago is seen; `null` when it does not exist or lies outside the
 * caller's scope, which the caller cannot tell apart (a report outside one's scope is 404).
 */
async function duplicateOriginal(deps: ApiDeps, request: FastifyRequest, reportId: string, thisVillage: string): Promise<DuplicateOriginal | null> {
  let loaded: Loaded<ReportState>;
  try {
    loaded = await deps.commands.load(streams.report(reportId), reportDecider);
  } catch (error) {
    // An unreadable record: whether the caller may know of it is the read side's to say.
    const village = deps.runner.state('reports').rows.get(reportId)?.village;
    if (error instanceof DamagedStreamError && village !== undefined && inScope(request, village)) throw damagedOriginal(reportId, undefined, request);
    if (error instanceof DamagedStreamError) return null;
    throw error;
  }
  const { state, damage } = loaded;
  if (!state.exists || !inScope(request, state.village)) return null;
  // What is left of a damaged report may lack its own dismissal or merger: a duplicate is not
  // tied to it until it is restored (found by a newcomer: it was accepted as the original).
  if (damage) throw damagedOriginal(reportId, damage, request);
  const units = deps.runner.state('units').units;
  return {
    reportId,
    village: state.village,
    status: state.status,
    dismissal: state.dismissal,
    verified: state.verified !== undefined,
    hazard: state.hazard,
    reportedAt: state.reportedAt,
    estimate: state.estimate,
    verifiedFigures: state.verified?.figures,
    villageName: units.get(state.village)?.name,
    thisVillageName: units.get(thisVillage)?.name,
  };
}

/** 409 stream_damaged about the report named in `duplicateOf`, not the one being dismissed (messages.ts says which). */
function damagedOriginal(reportId: string, damage: StreamDamage | undefined, request: FastifyRequest): HttpError {
  return new HttpError(409, 'stream_damaged', `the report named in duplicateOf (${reportId}) is damaged in the store: until an operator restores it, no report can be dismissed as its duplicate; name another original, or dismiss for another reason`, {
    field: 'duplicateOf',
    reportId,
    ...(damage ? damageDetails(damage, requestLanguage(request)) : {}),
  });
}

/** A hazard in words (`滑坡`); a code the vocabulary lacks is shown as it is. */
const hazardName = (hazard: string): string => HAZARD_LABELS[hazard as Hazard] ?? hazard;

/** A ledger row's household as a warning names it: `户 hh-7（张三）`. */
const householdOf = (row: LedgerRow): string => `户 ${row.household.id}（${row.household.name}）`;
/** The same in English: the name too, as the Chinese has it (found by a newcomer: the English left it out). */
const householdOfEn = (row: LedgerRow): string => `household ${row.household.id} (${row.household.name})`;
/** A hazard in English words; a code the vocabulary lacks is shown as it is. */
const hazardNameEn = (hazard: string): string => HAZARD_LABELS_EN[hazard as Hazard] ?? hazard;

export async function reportRoutes(app: FastifyInstance, deps: ApiDeps): Promise<void> {
  const r = app.withTypeProvider<ZodTypeProvider>();

  r.post(
    '/reports',
    {
      config: { roles: ['contact', 'officer', 'head'], creates: true },
      schema: {
        tags: ['reports'],
        summary: 'File a hazard report (idempotent on reportId)',
        body: FileReportBody,
        // clockSuspect: the phone's clock looked wrong (SPEC §3), told to the one person who can set it right.
        response: { 201: FiledAnswer, 200: FiledAnswer },
      },
    },
    async (request, reply) => {
      const body = request.body;
      // A code that is not a village's (a contact's own township, most often) is the decider's to
      // refuse as `not_a_village`, which says what the code is; refused before anything is written,
      // so scope need not be asked first — 403 would invite the contact to try yet another code.
      if (unitLevel(body.village) === 'village' && !inScope(request, body.village)) throw outOfScope(body.village, request.user.scope, 'village', 'body.village');
      const { reportId: _omit, location: sentPoint, ...rest } = body;
      // A point that is no place is left out, and the report filed without it (said below).
      const point = usablePoint(sentPoint);
      const unusable = unusableWarnings(sentPoint);
      const content = {
        ...rest,
        ...(point ? { location: point } : {}),
        observedAt: new Date(body.observedAt).toISOString(),
        reporter: { id: request.user.sub, ...body.reporter },
        estimate: body.estimate ?? {},
      };
      const reportId = reportIdFor(body.reportId, content);
      const data: EventData<'ReportFiled'> = { ...content, reportId };
      // Units are never removed, so the register is re-read only when it does not know the village.
      if (!deps.units.get(body.village)) await deps.units.refresh();
      const village = deps.units.get(body.village);
      const context = commandContext(request, deps.now);
      const command: ReportCommand = { type: 'FileReport', data, unit: village ? { name: village.name } : undefined, now: context.now };
      const stream = streams.report(reportId);

      // The same reportId again: same body → the first answer; another body → 409; a report
      // outside the caller's scope → 409 that says nothing about it.
      const sameAsFiled = (first: RecordedEvent) => {
        const filed = first.data as EventData<'ReportFiled'>;
        if (!inScope(request, filed.village)) throw idUnavailable();
        // The flag is the server's, not the phone's: a resend of a report flagged for its clock is
        // the same body, and was answered 409 until the comparison left the flag out.
        const { clockSuspect: _flag, ...sent } = filed;
        if (first.type !== 'ReportFiled' || !isDeepStrictEqual(sent, JSON.parse(JSON.stringify(data)))) {
          // The same words from someone else (a head re-sending a contact's report): not "different
          // content", which sent them looking for a difference that is not there (found by a newcomer).
          const sameWords = first.type === 'ReportFiled' && isDeepStrictEqual({ ...sent, reporter: { ...sent.reporter, id: '' } }, JSON.parse(JSON.stringify({ ...data, reporter: { ...data.reporter, id: '' } })));
          if (sameWords) throw new HttpError(409, 'idempotency_mismatch', `report ${reportId} was filed with the same words by someone else: it is filed already; send a follow-up to add to it`, { field: 'body.reportId', reportId, why: 'other_sender' });
          throw new HttpError(409, 'idempotency_mismatch', `report ${reportId} was filed with a different body: a new report needs a new reportId`, { field: 'body.reportId', reportId });
        }
        const warnings = localized([...unusable, ...locationWarnings(filed.location, nearestCentre(filed.village, deps.units.lookup()))], requestLanguage(request));
        return { reportId, position: first.position, revision: 0, clockSuspect: filed.clockSuspect === true, ...(warnings.length > 0 ? { warnings } : {}) };
      };
      // A filing creates its stream: it is decided on the empty stream and appended only while the
      // stream is still empty (expected 'no_stream'), with no read first. The store refusing it is
      // how a retry — or the same id from elsewhere — is noticed, and only then is the stream read
      // (SPEC §3). A read per filing, on a connection whose page cache the writer thread's commits
      // keep emptying, was a tenth of the event loop's time in a burst (docs/decisions.md, session 25).
      try {
        // Filed with its first alert, in one append, where this node alerts (SPEC §5).
        const decider = deps.firstAlert ? filingDecider(context.now, (filed) => deps.firstAlert!(reportId, filed, context.now)) : reportDecider;
        // The filing is the contact's; what the policy decided with it is the policy's (SPEC §3).
        const filing = { ...context, actorOf: (event: DomainEvent) => (event.type === 'ReportFiled' ? context.actor : ALERTING_ACTOR) };
        const result = await deps.commands.execute(stream, decider, command, filing, { eventIds: [reportId], loaded: emptyStream(reportDecider) });
        if (result.written) {
          // The flag as the decider wrote it into the filing, so the answer cannot say other than the log.
          const filed = result.events.find((event) => event.type === 'ReportFiled') as { data: EventData<'ReportFiled'> } | undefined;
          const warnings = localized([...unusable, ...locationWarnings(data.location, nearestCentre(data.village, deps.units.lookup()))], requestLanguage(request));
          return reply.code(201).send({ reportId, position: result.position!, revision: result.revision, clockSuspect: filed?.data.clockSuspect === true, ...(warnings.length > 0 ? { warnings } : {}) });
        }
      } catch (error) {
        const taken = error instanceof ConcurrencyError || error instanceof IdempotencyError || (error instanceof DomainError && error.code === 'already_exists');
        if (!taken) throw error;
        const answer = await answerExisting();
        if (answer) return reply.code(answer.code).send(answer.body);
        throw error;
      }
      const answer = await answerExisting();
      if (!answer) throw new HttpError(503, 'unavailable', `report ${reportId} could not be filed now; send it again`);
      return reply.code(answer.code).send(answer.body);

      /**
       * The same reportId again: same body → the first answer; another body → 409; a report
       * outside the caller's scope → 409 that says nothing about it. Undefined when the stream is
       * empty after all.
       */
      async function answerExisting(): Promise<{ code: 200 | 201; body: z.infer<typeof FiledAnswer> } | undefined> {
        const loaded = await deps.commands.load(stream, reportDecider);
        const opening = loaded.revision >= 0 ? await deps.store.readStream(stream, { max: FILING_EVENTS_MAX }) : [];
        const existing = opening[0];
        if (!existing) return undefined;
        // The first answer named its append's last event: the filing, or what the policy decided
        // with it — the first alert, an acknowledgement via a related report (one request, one
        // correlation id). A retry gets that answer again, not a new one.
        const first = sameAsFiled(existing);
        // A retry of this very request whose first attempt died after writing, before its answer
        // was recorded: the answer that attempt gave (created, its append's last position), as
        // allocations do. Its events carry the key; a resend without it is answered 200.
        const mine = request.idempotencyKey ? loaded.keys.get(request.idempotencyKey) : undefined;
        if (mine) return { code: 201, body: { ...first, position: mine.position, revision: mine.revision } };
        let last = existing;
        for (const e of opening.slice(1)) {
          if (e.metadata.correlationId !== existing.metadata.correlationId) break;
          last = e;
        }
        return { code: 200, body: { ...first, position: last.position, revision: last.revision } };
      }
    },
  );

  r.get(
    '/reports/:id',
    { config: { roles: ANY_READER }, schema: { tags: ['reports'], summary: 'A report as it stands', params: IdParams } },
    async (request, reply) => {
      const { report, revision, damage } = await loadReportInScope(deps, request, request.params.id);
      await deps.units.refresh();
      const view = reportView(report, revision, deps.units, (sub) => grantName(deps.runner.state('access'), sub), deps.runner.state('reports').rows.get(report.reportId)?.relatedLater);
      return reply.header('etag', `"${revision}"`).send({ ...view, ...integrityOf(damage, request) });
    },
  );

  /** A report command route: role-checked, scope-checked (404), If-Match honoured. */
  const reports = {
    base: '/reports/:id',
    tag: 'reports',
    decider: reportDecider,
    stream: streams.report,
    loadInScope: (request: FastifyRequest, id: string) => loadReportInScope(deps, request, id),
  };
  historyRoute(app, deps, reports, 'reportId', ANY_READER);
  /** Facts from the field, recorded on a report whose history has a hole too (commandRoute's `despiteDamage`). */
  const FIELD_FACTS: ReadonlySet<string> = new Set(['amendments', 'acknowledgements', 'dispatches', 'arrivals']);
  /**
   * A fact from the field sent to a report dismissed as a duplicate is recorded on the report it
   * was merged into (followed through a chain of duplicates), while that one is open and in the
   * sender's scope: a contact does not know their report was merged, and news of injuries must not
   * bounce (found by a newcomer). Otherwise the refusal names the original (`report_dismissed`).
   */
  const toOriginal = async (request: FastifyRequest, asked: string, loaded: Loaded<ReportState>) => {
    const target = await originalOf(deps.commands, asked, loaded.state, (village) => inScope(request, village));
    if (target === undefined) return undefined;
    // Where the chain ends at a report closed, or dismissed for another reason, nothing open can
    // take the fact: the refusal names that report, says it is closed, and gives the township's
    // phone (found by a newcomer: told to send it to a report that then refused it too).
    if (target.kind === 'ended') {
      const details = endedChainDetails(target.reportId, target.report, deps.units.get(ancestorAt(target.report.village, 'township') ?? '')?.phones?.[0], request.user.role);
      throw new HttpError(422, 'report_dismissed', message('report_dismissed', 'en', details), details);
    }
    const kept = notLowered((request.body as { estimate?: IndicatorSet } | null | undefined)?.estimate, target.loaded.report.estimate);
    const keptZh = kept.map((k) => `${INDICATOR_WORDS[k.indicator].zh} ${k.sent}${INDICATOR_WORDS[k.indicator].unitZh}（原报告 ${k.original}）`).join('、');
    const keptEn = kept.map((k) => `${INDICATOR_WORDS[k.indicator].en} ${k.sent} (the original says ${k.original})`).join(', ');
    // Nothing written (the same acknowledgement again, or only lower figures): said as such, not
    // as a new record (found by a newcomer).
    const warning = (written: boolean): SaidWarning => ({
      code: 'sent_to_original',
      message: `报告 ${asked} 已作为重复报告撤销，${written ? '这一条已记到' : '这一条没有新内容，没有再记到'}它并入的报告 ${target.reportId} 上${written ? '，值班人员会看到' : ''}${kept.length > 0 ? `。其中 ${keptZh} 比原报告的数字小，没有改动原报告：如原报告的数字确实偏大，请告知值班人员核实` : ''}`,
      en: `report ${asked} was dismissed as a duplicate: ${written ? `this was recorded on report ${target.reportId}, which it was merged into, where the officers on duty see it` : `this adds nothing new to report ${target.reportId}, which it was merged into, so nothing was recorded`}${kept.length > 0 ? `. ${keptEn}: lower than the original's figures, which were left as they are; if the original's are too high, tell the officer on duty` : ''}`,
      reportId: target.reportId,
      duplicate: asked,
      ...(written ? {} : { unchanged: true }),
      ...(kept.length > 0 ? { notLowered: kept } : {}),
    });
    return { id: target.reportId, loaded: target.loaded as Loaded<ReportState>, warning };
  };
  /**
   * A 续报 sent to a duplicate and recorded on its original raises the original's figures and never
   * lowers them (found by a newcomer: a hail report's "3 affected", merged into a landslide report
   * of 12, set the landslide's to 3). Its reporter counted what they saw, which may be part of it,
   * or another hazard the officer merged; the original's own reporter and the officers correct it.
   * The figures left out are said back (`notLowered`); the notes, directions and place go through.
   */
  const onOriginal = (amendment: z.infer<typeof AmendReportBody>, asked: string, state: ReportState): z.infer<typeof AmendReportBody> => {
    if (!state.exists || state.reportId === asked || amendment.estimate === undefined) return amendment;
    const lower = new Set(notLowered(amendment.estimate, state.estimate).map((k) => k.indicator));
    if (lower.size === 0) return amendment;
    const estimate = Object.fromEntries(Object.entries(amendment.estimate).filter(([k]) => !lower.has(k as Indicator))) as IndicatorSet;
    const { estimate: _sent, ...rest } = amendment;
    return Object.keys(estimate).length > 0 ? { ...rest, estimate } : rest;
  };
  const command = <B extends z.ZodType>(
    path: string,
    summary: string,
    body: B,
    roles: ReadonlyArray<'contact' | 'officer' | 'head'>,
    toCommand: (b: z.infer<B>, request: FastifyRequest, now: string, state: ReportState) => ReportCommand,
    warnings?: (b: z.infer<B>, id: string) => SaidWarning[],
  ) =>
    commandRoute(app, deps, reports, {
      path,
      summary,
      body,
      roles,
      toCommand,
      ...(warnings ? { warnings } : {}),
      despiteDamage: FIELD_FACTS.has(path),
      ...(FIELD_FACTS.has(path) ? { redirect: toOriginal } : {}),
    });

  command(
    'amendments',
    'Follow-up (续报) to a report; `warnings` say when its location cannot be trusted (location_suspect)',
    AmendReportBody,
    ['contact', 'officer', 'head'],
    (b, request, now, state) => ({
      type: 'AmendReport',
      data: onOriginal(withUsablePoint(b), (request.params as { id: string }).id, state),
      centre: state.exists ? nearestCentre(state.village, deps.units.lookup()) : undefined,
      now,
    }),
    (b, id) => {
      const row = deps.runner.state('reports').rows.get(id);
      const centre = row === undefined ? undefined : nearestCentre(row.village, deps.units.lookup());
      // The report's own point, where it is one to go to: a suspect 续报 point leaves it in place.
      const kept = row?.location !== undefined && locationSuspicion(row.location, centre) === undefined;
      return [...unusableWarnings(b.location, 'amendment'), ...locationWarnings(usablePoint(b.location), centre, 'amendment', kept), ...graverThanVerified(b.estimate, row?.verified?.figures)];
    },
  );
  /** A 续报 without a point that is no place (said by unusableWarnings). */
  const withUsablePoint = (b: z.infer<typeof AmendReportBody>): z.infer<typeof AmendReportBody> => {
    if (b.location === undefined || usablePoint(b.location)) return b;
    const { location: _unusable, ...rest } = b;
    return rest;
  };
  /**
   * A 续报 whose figures exceed the report's household-by-household verification (a death found
   * after the officer left): the figures sent upward are the verified ones (SPEC §6), so these do
   * not count until someone verifies again — said to whoever sent it, with both figures (found by
   * a newcomer: 200, and the death never reached the forms).
   */
  const graverThanVerified = (estimate: IndicatorSet | undefined, verified: IndicatorSet | undefined): SaidWarning[] => {
    if (!estimate || !verified) return [];
    const more = (Object.keys(estimate) as Indicator[]).filter((k) => (estimate[k] ?? 0) > (verified[k] ?? 0) && INDICATOR_WORDS[k] !== undefined);
    if (more.length === 0) return [];
    const words = (k: Indicator, v: number | undefined) => `${INDICATOR_WORDS[k].zh} ${v ?? 0}${INDICATOR_WORDS[k].unitZh}`;
    return [
      {
        code: 'more_than_verified',
        message: `这份报告已入户核查，统计和上报按核查的数字计：续报的${more.map((k) => words(k, estimate[k])).join('、')}，比核查的（${more.map((k) => words(k, verified[k])).join('、')}）多，在重新核查之前不会计入。请乡镇干部尽快重新入户核查`,
        en: `this report was verified household by household, and its figures are the verified ones: this follow-up's ${more.map((k) => `${INDICATOR_WORDS[k].en} ${estimate[k]}`).join(', ')} exceed the verification's (${more.map((k) => `${INDICATOR_WORDS[k].en} ${verified[k] ?? 0}`).join(', ')}) and do not count until it is verified again: the township's officer should verify again soon`,
        indicators: more,
      },
    ];
  };
  commandRoute(app, deps, reports, {
    path: 'acknowledgements',
    summary: 'Acknowledge the alert; the first stops escalation. `warnings` say which related reports it answers too (also_answers) and which say more and are still alerted (related_graver)',
    body: EmptyBody,
    roles: FIELD_STAFF,
    toCommand: (_b, req, now) => ({ type: 'AcknowledgeAlert' as const, data: { by: req.user.sub }, now }),
    // Read before the acknowledgement is written: afterwards the read side may hold it already.
    prepare: async (_request, loaded) => (loaded.state.exists ? answeredAlongWith(deps.runner.state('reports'), loaded.state.reportId) : { answers: [], graver: [] }),
    warnings: (_b, _id, along) => relatedSaid(along),
    despiteDamage: true,
    redirect: toOriginal,
  });
  /** Related reports as the officer who acknowledges reads them: village, hazard and when filed (Beijing time). */
  const relatedSaid = (along: { answers: readonly ReportRow[]; graver: readonly ReportRow[] }): SaidWarning[] => {
    const named = (r: ReportRow) => ({
      zh: `${deps.units.get(r.village)?.name ?? r.village}${HAZARD_LABELS[r.hazard]}（北京时间 ${beijingMinutes(r.reportedAt)} 报）`,
      en: `${deps.units.get(r.village)?.name ?? r.village} ${HAZARD_LABELS_EN[r.hazard]} (filed ${beijingMinutes(r.reportedAt)} Beijing time)`,
    });
    const out: SaidWarning[] = [];
    if (along.answers.length > 0) {
      const list = along.answers.map(named);
      out.push({
        code: 'also_answers',
        message: `同一处同类灾情的相关报告也算您已确认，不再为它们叫人：${list.map((n) => n.zh).join('；')}`,
        en: `the related reports of the same hazard in the same place count as acknowledged by you too, and stop calling: ${list.map((n) => n.en).join('; ')}`,
        reportIds: along.answers.map((r) => r.reportId),
      });
    }
    if (along.graver.length > 0) {
      const list = along.graver.map(named);
      out.push({
        code: 'related_graver',
        message: `相关报告说的灾情更重（有人员伤亡、受灾人数更多或有人被困），仍按新报告叫人，请也确认：${list.map((n) => n.zh).join('；')}`,
        en: `related reports say more (people dead, missing or injured, more affected, or people in danger) and are still alerted as new: acknowledge them too: ${list.map((n) => n.en).join('; ')}`,
        reportIds: along.graver.map((r) => r.reportId),
      });
    }
    return out;
  };
  // The officer is the token's holder: nobody records a colleague as on the way (docs/decisions.md).
  commandRoute(app, deps, reports, {
    path: 'dispatches',
    summary: 'Record that you are on the way; `warnings` say when the arrival time given has passed or is days ahead (eta_unlikely), or you had arrived already (after_arrival)',
    body: DispatchBody,
    roles: FIELD_STAFF,
    toCommand: (b, req, now) => ({ type: 'DispatchOfficer' as const, data: { officer: req.user.sub, ...(b?.eta ? { eta: new Date(b.eta).toISOString() } : {}) }, now }),
    // When this officer last arrived, if they have not set off since: read before it is written.
    prepare: async (request, loaded) => {
      if (!loaded.state.exists) return undefined;
      const me = request.user.sub;
      const arrived = loaded.state.arrived.findLast((a) => a.officer === me);
      const left = loaded.state.dispatched.findLast((d) => d.officer === me);
      // The decider writes nothing for the same arrival time as the last setting off (a resend).
      return arrived && (!left || Date.parse(left.at) <= Date.parse(arrived.at)) ? { arrivedAt: arrived.at, lastEta: left ? (left.eta ?? null) : undefined } : undefined;
    },
    warnings: (b, _id, after) => [...etaWarnings(b?.eta, deps.now()), ...afterArrival(after, b?.eta ? new Date(b.eta).toISOString() : null)],
    despiteDamage: true,
    redirect: toOriginal,
  });
  /**
   * Setting off after one's own arrival is recorded (an officer may leave and come back) but said:
   * colleagues read "set off" after "arrived" (found by a newcomer: an ETA announced for an officer on site).
   */
  const afterArrival = (after: { arrivedAt: string; lastEta: string | null | undefined } | undefined, eta: string | null): SaidWarning[] => {
    if (after === undefined) return [];
    const { arrivedAt } = after;
    if (after.lastEta !== undefined && after.lastEta === eta) {
      return [{ code: 'after_arrival', message: `您已于北京时间 ${beijingMinutes(arrivedAt)} 到达现场，这次出发与之前的相同，没有再记下`, en: `you arrived on site at ${beijingMinutes(arrivedAt)} Beijing time; this setting off is the same as the one before, and was not recorded again`, arrivedAt }];
    }
    return [
      {
        code: 'after_arrival',
        message: `已记录出发。但您已于北京时间 ${beijingMinutes(arrivedAt)} 到达现场，同事会看到您又出发了：如是误点，请告知同事您仍在现场`,
        en: `set off recorded; but you arrived on site at ${beijingMinutes(arrivedAt)} Beijing time, and colleagues will read that you set off again: if it was a slip, tell them you are still there`,
        arrivedAt,
      },
    ];
  };
  command(
    'arrivals',
    'Record that you arrived on site; `warnings` say when the point sent cannot be where the report is (location_suspect) or is no place (location_unusable)',
    ArrivalBody,
    FIELD_STAFF,
    (b, req, now) => {
      const point = usablePoint(b?.location);
      return { type: 'RecordArrival', data: { officer: req.user.sub, ...(point ? { location: point } : {}) }, now };
    },
    (b, id) => [...unusableWarnings(b?.location, 'arrival'), ...arrivalSuspect(usablePoint(b?.location), id)],
  );
  /**
   * An arrival point that cannot be where the report is (0,0, abroad, far from its village),
   * judged as a report's point is: recorded as sent — it is the phone's word — and said, so the
   * officer knows the point kept as where they arrived is doubtful, and the report view marks it
   * for an auditor (found by a newcomer: 0,0 and Beijing taken in silence).
   */
  const arrivalSuspect = (point: Point | undefined, id: string): SaidWarning[] => {
    const row = deps.runner.state('reports').rows.get(id);
    if (!point || !row) return [];
    const suspicion = locationSuspicion(point, nearestCentre(row.village, deps.units.lookup()));
    if (!suspicion) return [];
    const words = suspicionWords(suspicion);
    return [
      {
        code: 'location_suspect',
        message: `已记录到达。但手机报的位置不可信（${words.zh}），记下的到达位置可能不对：查看记录的人会看到这个提示`,
        en: `arrival recorded; but the phone's location cannot be trusted (${words.en}), so the arrival point kept may be wrong: whoever reads the record is told so`,
        problem: suspicion.problem,
        distanceKm: suspicion.distanceKm,
      },
    ];
  };
  commandRoute(app, deps, reports, {
    path: 'verifications',
    summary:
      'Household-by-household verification (核查); a figure left out that the household list determines is counted from it (figures_from_households); `warnings` name estimate figures it leaves out (estimate_left_out), damaged households of the last verification it no longer lists (household_dropped), relief on a household it leaves out (relief_household_left_out), housing relief on a household it finds undamaged (relief_house_undamaged) and one name listed under two numbers (same_name_two_households)',
    body: VerifyBody,
    roles: FIELD_STAFF,
    toCommand: (b, req, now) => ({ type: 'VerifyDamage' as const, data: { verifier: req.user.sub, ...b }, now }),
    // The household list it replaces, read before it is written.
    prepare: async (_request, loaded) => (loaded.state.exists ? (loaded.state.verified?.households ?? []) : []),
    // Each verification replaces the report's household list (SPEC §3: the latest is the one that
    // counts). A household left out that holds live relief is said at once, to the officer who
    // left it out, not only later as a ledger flag (found by a newcomer: 200, nothing said).
    warnings: (b, id, previous) => {
      // The report's live relief, read once for the two warnings that need it (one pass over the ledger).
      const relief = [...deps.runner.state('ledger').rows.values()].filter((row) => row.reportId === id && isLiveRow(row));
      return [...filledFromHouseholds(b), ...estimateLeftOut(b, id), ...sameNameTwice(b.households), ...dropped(b, relief, previous), ...leftOut(b, relief), ...houseUndamaged(b, relief), ...afterFinal(id, 'verification')];
    },
  });
  /**
   * Damaged households of the verification this one replaces that it no longer lists, and that
   * hold no live relief (those are said by relief_household_left_out): from now on they are not
   * counted, nor on the 核报's household list, nor among households owed relief — said by number,
   * name and damage (found by a newcomer: 钱七 left the lists without a word).
   */
  const dropped = (b: { households: ReadonlyArray<{ householdId: string; name: string }> }, relief: readonly LedgerRow[], previous: readonly Household[]): SaidWarning[] => {
    const listed = new Set(b.households.map((h) => canonicalHouseholdId(h.householdId)));
    // One listed under the same name is taken for the same household under its number put right
    // (same_name_two_households asked for just that), not for one dropped.
    const names = new Set(b.households.map((h) => nameKey(h.name)));
    const relieved = new Set(relief.map((row) => canonicalHouseholdId(row.household.id)));
    const gone = previous.filter((h) => h.damage !== 'none' && !listed.has(canonicalHouseholdId(h.householdId)) && !names.has(nameKey(h.name)) && !relieved.has(canonicalHouseholdId(h.householdId)));
    if (gone.length === 0) return [];
    return [
      {
        code: 'household_dropped',
        message: `上次核查的受损户，这次的户表里没有：${gone.map((h) => `户 ${h.householdId}（${h.name}，${DAMAGE_ZH[h.damage]}）`).join('、')}。核查后按这次的户表计，这些户不再计入，也不在应救助的户里；如是漏填，请再核查一次列上`,
        en: `damaged households of the last verification that this one does not list: ${gone.map((h) => `${h.householdId} (${h.name}, ${h.damage})`).join(', ')}. From now on they are not counted, nor among households owed relief; if they were left out by mistake, verify again listing them`,
        householdIds: gone.map((h) => h.householdId),
      },
    ];
  };
  /**
   * Figures the report's estimate gives (more than 0) that the verification leaves out, even after
   * filling from its list: from now on the verified figures are the ones that count (SPEC §6), so
   * those are no longer counted — said with their values, people dead, missing and injured first
   * (found by a newcomer: an estimate of 2 dead, a verification giving only the affected, and the
   * deaths were gone from the 核报 without a word).
   */
  const estimateLeftOut = (b: { figures: IndicatorSet; households: ReadonlyArray<Household> }, id: string): SaidWarning[] => {
    const estimate = deps.runner.state('reports').rows.get(id)?.estimate;
    if (!estimate) return [];
    const { figures } = completedFigures(b.figures, b.households);
    const left = (Object.keys(INDICATOR_WORDS) as Indicator[]).filter((k) => (estimate[k] ?? 0) > 0 && figures[k] === undefined);
    if (left.length === 0) return [];
    return [
      {
        code: 'estimate_left_out',
        message: `报告估计有${left.map((k) => `${INDICATOR_WORDS[k].zh} ${estimate[k]} ${INDICATOR_WORDS[k].unitZh}`).join('、')}，这次核查没有填：核查后统计和上报按核查的数字计，这些不再计入。如确有，请再核查一次填上；确实没有，请填 0`,
        en: `the report's estimate gives ${left.map((k) => `${INDICATOR_WORDS[k].en} ${estimate[k]}`).join(', ')}, which this verification leaves out: from now on the verified figures count, and these no longer do. If they are so, verify again giving them; if not, give 0`,
        indicators: left,
        estimate: Object.fromEntries(left.map((k) => [k, estimate[k]])),
      },
    ];
  };
  /**
   * The figures the household list filled in (domain/report.ts completedFigures), said with their
   * values: the officer who left 倒塌房屋 blank reads what was counted, and where the list is not the
   * whole village, that the figure must be given (docs/decisions.md).
   */
  const filledFromHouseholds = (b: { figures: IndicatorSet; households: ReadonlyArray<Household> }): SaidWarning[] => {
    const { figures, filledIn } = completedFigures(b.figures, b.households);
    if (filledIn.length === 0) return [];
    const columns = filledIn.map((indicator) => LOSS_COLUMNS.find((c) => c.indicator === indicator)!);
    return [
      {
        code: 'figures_from_households',
        message: `核查数字没有填${columns.map((c) => `“${c.heading}”`).join('、')}，已按所列的户和所填的数字计为${columns.map((c) => `${c.heading} ${figures[c.indicator]} ${c.unit}`).join('、')}；如所列的户不是全部，请再核查一次，填上全部数字`,
        en: `the verification's figures left out ${filledIn.map((i) => INDICATOR_WORDS[i].en).join(', ')}; counted from the households listed and the figures given as ${filledIn.map((i) => `${INDICATOR_WORDS[i].en} ${figures[i]}`).join(', ')}. If the households listed are not all of them, verify again giving every figure`,
        filled: Object.fromEntries(filledIn.map((i) => [i, figures[i]])),
      },
    ];
  };
  /**
   * A verification of a report whose incident's 核报 has gone upward: the figures sent do not
   * follow it, and no submission can follow the 核报 (自然灾害情况统计调查制度: the 核报 is the last),
   * so the county must hear of it to explain it upward (found by a newcomer: 200, nothing said).
   */
  const afterFinal = (id: string, change: 'verification' | 'dismissal'): SaidWarning[] => {
    const incidentId = deps.runner.state('reports').rows.get(id)?.incident;
    const incident = incidentId === undefined ? undefined : deps.runner.state('incidents').rows.get(incidentId);
    const final = incident?.submissions.find((s) => s.stage === 'final');
    if (!incident || !final) return [];
    return [
      {
        code: 'after_final_report',
        message: `本灾害过程（${incident.title}）的核报已于北京时间 ${beijingMinutes(final.at)} 报送，核报之后不能再报：${change === 'verification' ? '这次核查改变的数字不会报上去' : '这份报告已计入报上去的核报，撤销不会从中扣除'}。请告知县民政局，由其按规定向上级书面说明`,
        en: `the incident's final report (核报, ${incident.title}) was sent at ${beijingMinutes(final.at)} Beijing time, and nothing can be sent after it: ${change === 'verification' ? 'the figures this verification changed will not go upward' : 'this report is counted in the 核报 sent, and dismissing it takes nothing out of it'}. Tell the county civil-affairs office, which explains it to the level above in writing`,
        incidentId: incident.incidentId,
      },
    ];
  };
  /**
   * Two households of one verification with one name (spaces, width and the middle dot aside):
   * said at the door, where a number typed two ways (3-12 and 12) is still easy to put right, and
   * not refused — two people of one name live in many villages (docs/decisions.md, "A household is
   * one key however its number is typed"). Later the ledger flags their relief for review.
   */
  const sameNameTwice = (households: ReadonlyArray<{ householdId: string; name: string }>): SaidWarning[] => {
    const byName = new Map<string, Array<{ householdId: string; name: string }>>();
    for (const h of households) byName.set(nameKey(h.name), [...(byName.get(nameKey(h.name)) ?? []), h]);
    return [...byName.values()]
      .filter((group) => group.length > 1)
      .map((group) => {
        const ids = group.map((h) => h.householdId);
        return {
          code: 'same_name_two_households',
          message: `户号 ${ids.join('、')} 的户主同名（${group[0]!.name}）：如是同一户，请只列一次，再核查一次；如是同名的不同户，不用处理`,
          en: `households ${ids.join(', ')} have the same name (${group[0]!.name}): if they are one household, verify again listing it once; if they are different people of one name, nothing to do`,
          householdIds: ids,
        };
      });
  };
  /** Live relief on this report to a household the verification no longer lists (SPEC §3: the latest verification is the one that counts). */
  const leftOut = (b: { households: ReadonlyArray<{ householdId: string }> }, relief: readonly LedgerRow[]): SaidWarning[] => {
    const listed = new Set(b.households.map((h) => canonicalHouseholdId(h.householdId)));
    return relief
      .filter((row) => !listed.has(canonicalHouseholdId(row.household.id)))
      .map((row) => ({
        code: 'relief_household_left_out',
        message: `${householdOf(row)}有${CATEGORY_LABELS[row.category]}${row.status === 'allocated' ? '待批准' : row.status === 'approved' ? '已批准' : '已发放'}，这次核查的户表里没有这一户：这笔救助已标记待复核，如是漏填请再核查一次`,
        en: `${householdOfEn(row)} has ${CATEGORY_LABELS_EN[row.category]} relief ${row.status === 'allocated' ? 'awaiting approval' : row.status}, and this verification does not list it: the relief is flagged for review; if it was left out by mistake, verify again`,
        householdId: row.household.id,
        allocationId: row.allocationId,
      }));
  };
  /**
   * Live housing relief on this report to a household this verification finds with no damage to
   * its house: the ledger holds it for review (no_housing_damage). Said to the verifier, as a
   * household left out is (found by a newcomer: the relief was put on hold and nobody was told).
   */
  const houseUndamaged = (b: { households: ReadonlyArray<{ householdId: string; damage: string }> }, relief: readonly LedgerRow[]): SaidWarning[] => {
    const undamaged = new Set(b.households.filter((h) => h.damage === 'none').map((h) => canonicalHouseholdId(h.householdId)));
    return relief
      .filter((row) => row.category === 'housing' && undamaged.has(canonicalHouseholdId(row.household.id)))
      .map((row) => ({
        code: 'relief_house_undamaged',
        message: `${householdOf(row)}有${CATEGORY_LABELS[row.category]}${row.status === 'allocated' ? '待批准' : row.status === 'approved' ? '已批准' : '已发放'}，这次核查认定其住房未受损：这笔救助已标记待复核，如核查有误请再核查一次`,
        en: `${householdOfEn(row)} has ${CATEGORY_LABELS_EN[row.category]} relief ${row.status === 'allocated' ? 'awaiting approval' : row.status}, and this verification finds the house undamaged: the relief is flagged for review; if that is a mistake, verify again`,
        householdId: row.household.id,
        allocationId: row.allocationId,
      }));
  };
  /**
   * What the officer who dismissed a report should know of its relief (docs/decisions.md, "Relief
   * a later link or a dismissal changed"): what was handed over stays given — a dismissal takes
   * nothing back — and what was not can no longer be approved or handed over: awaiting approval, a
   * head rejects it or it is cancelled; approved, it can only be cancelled. Said at once, beside
   * the 200, not only later as a ledger flag (found by a newcomer: a report with relief paid out
   * was dismissed and nothing was said).
   */
  const reliefOnDismissed = (id: string): SaidWarning[] =>
    [...deps.runner.state('ledger').rows.values()]
      .filter((row) => row.reportId === id && isLiveRow(row))
      .map((row) => {
        const who = `${householdOf(row)}的${CATEGORY_LABELS[row.category]}`;
        const common = { householdId: row.household.id, allocationId: row.allocationId };
        // Goods are named without quantities: the cash is what a person checks against the ledger.
        const goods = row.goods.length > 0 ? '及物资' : '';
        if (row.deliveries > 0) {
          const partly = row.status !== 'delivered';
          // What was handed over names goods only where goods were handed over (found by a newcomer: 及物资 for cash alone).
          const handedGoods = Object.values(row.deliveredGoods).some((q) => q > 0) ? '及物资' : '';
          const handed = partly ? `已发放一部分（现金 ${yuan(row.deliveredCashFen)} 元${handedGoods}，共分配 ${yuan(row.cashFen)} 元${goods}），余下部分不再发放` : `已发放（现金 ${yuan(row.deliveredCashFen)} 元${handedGoods}）`;
          return {
            code: 'relief_already_delivered',
            message: `${who}${handed}。撤销报告不会自动收回已发放的救助，它仍记为已发放，台账已标记待复核；如属误发，由负责人按规定处理`,
            en: `${householdOfEn(row)}'s ${CATEGORY_LABELS_EN[row.category]} relief was handed over${partly ? ` in part (cash ${yuan(row.deliveredCashFen)} of ${yuan(row.cashFen)} yuan); the rest will not be` : ` (cash ${yuan(row.deliveredCashFen)} yuan)`}. A dismissal takes nothing back: it stays recorded as delivered, and the ledger flags it for review`,
            ...common,
          };
        }
        // Only an allocation still awaiting approval can be rejected, by a head; any can be cancelled while nothing was delivered.
        return {
          code: 'relief_not_yet_delivered',
          message:
            row.status === 'allocated'
              ? `${who}（现金 ${yuan(row.cashFen)} 元${goods}）待批准，尚未发放：报告撤销后不能再批准或发放，请负责人驳回，或取消这笔分配`
              : `${who}（现金 ${yuan(row.cashFen)} 元${goods}）已批准，尚未发放：报告撤销后不能再发放，请取消这笔分配（干部或负责人均可）`,
          en:
            row.status === 'allocated'
              ? `${householdOfEn(row)}'s ${CATEGORY_LABELS_EN[row.category]} relief (cash ${yuan(row.cashFen)} yuan) awaits approval and was not handed over: it can no longer be approved or delivered; a head rejects it, or it is cancelled`
              : `${householdOfEn(row)}'s ${CATEGORY_LABELS_EN[row.category]} relief (cash ${yuan(row.cashFen)} yuan) was approved and not handed over: it can no longer be delivered; cancel it (an officer or a head can)`,
          ...common,
        };
      });
  /**
   * Two officers each dismissing the other's report as the duplicate, at the same instant, both
   * pass the rule (each saw the other standing) and the hazard then counts nowhere. The store
   * orders the two appends, so the later one's read here sees the earlier: it is said to whoever
   * made it, as nothing can undo a dismissal (docs/decisions.md).
   */
  const dismissedInTurn = async (id: string, originalId: string): Promise<SaidWarning[]> => {
    const { state } = await deps.commands.load(streams.report(originalId), reportDecider);
    if (!state.exists || state.status !== 'dismissed' || state.dismissal?.duplicateOf !== id) return [];
    return [
      {
        code: 'duplicate_of_each_other',
        message: `报告 ${originalId} 几乎同时被作为这份报告的重复撤销了：两份报告现在都不计入统计。撤销不能撤回，请重新上报这次灾情，并告知负责人`,
        en: `report ${originalId} was dismissed as a duplicate of this one at almost the same moment: neither report counts now. A dismissal cannot be undone: report the hazard again and tell the head`,
        reportId: originalId,
      },
    ];
  };

  /**
   * What this dismissal does to reports that went with this one (docs/decisions.md, "A duplicate
   * names a standing report"): reports dismissed as its duplicates counted only through it, so
   * dismissed as a false alarm or out of scope, the hazard they reported now counts nowhere. That
   * is right when they were the same false alarm, and a mistake otherwise; a dismissal cannot be
   * undone, so it is not refused, but said at once with the reports named (found by a newcomer:
   * 200, nothing said). Dismissed as a duplicate itself, the hazard counts with the report named.
   * Read from the reports projection (each report keeps its duplicates), so a duplicate dismissed
   * in the last moment may be missing.
   */
  const duplicatesLeft = (id: string, reason: EventData<'ReportDismissed'>['reason']): SaidWarning[] => {
    if (reason === 'duplicate') return [];
    const reports = deps.runner.state('reports').rows;
    const rows = (reports.get(id)?.duplicates ?? []).flatMap((d) => reports.get(d) ?? []).filter((row) => row.dismissal?.reason === 'duplicate' && row.dismissal.duplicateOf === id);
    if (rows.length === 0) return [];
    // A UUID alone tells an officer nothing (found by a newcomer): each with its hazard and when it was filed.
    const words = rows.map((row) => `报告 ${row.reportId}（${hazardName(row.hazard)}，${beijingMinutes(row.reportedAt)} 上报）`);
    return [
      {
        code: 'duplicates_count_nowhere',
        message: `${words.join('、')}是作为这份报告的重复撤销的，只随这份计入统计：这份撤销后，它们报的灾情也不再计入任何统计。如那些报告的灾情属实，请重新上报，并告知负责人`,
        en: `${rows.map((row) => `report ${row.reportId} (${hazardNameEn(row.hazard)}, filed ${beijingMinutes(row.reportedAt)} Beijing time)`).join(', ')} ${rows.length === 1 ? 'was' : 'were'} dismissed as a duplicate of this one and counted only through it: now that it is dismissed, the hazard reported there counts nowhere. If it was real, report it again and tell the head`,
        reportIds: rows.map((row) => row.reportId),
      },
    ];
  };
  /**
   * A duplicate filed under another hazard counts only under the original's (SPEC §6: a dismissed
   * report counts in no figure). Not refused: a contact cannot amend a report's hazard, and one
   * debris flow is reported as a landslide by one and a flood by another; said, so that two
   * different hazards are not merged unnoticed (found by a newcomer: accepted, nothing said).
   */
  const otherHazard = (report: FiledReport, original: DuplicateOriginal): SaidWarning[] =>
    original.hazard === undefined || original.hazard === report.hazard
      ? []
      : [
          {
            code: 'duplicate_of_other_hazard',
            message: `报告 ${original.reportId} 报的是${hazardName(original.hazard)}，这份报的是${hazardName(report.hazard)}：这份作为它的重复撤销后，只按${hazardName(original.hazard)}计入统计。如果是两次不同的灾害，请告知负责人并重新上报这一次`,
            en: `report ${original.reportId} was filed as ${hazardNameEn(original.hazard)}, this one as ${hazardNameEn(report.hazard)}: dismissed as its duplicate, this one counts only as ${hazardNameEn(original.hazard)}. If these were two different hazards, tell the head and report this one again`,
            reportId: original.reportId,
            hazard: original.hazard,
            thisHazard: report.hazard,
          },
        ];

  /**
   * A report verified household by household and dismissed for a reason other than a duplicate
   * takes its verified figures out of every tally (SPEC §6: a dismissed report counts in no
   * figure). That may be right (the verification found nothing); it is said, with the figures, so
   * that it is not done unnoticed (found by a newcomer: the village's verified figures fell to
   * nothing and no warning was given).
   */
  const verifiedDropped = (report: FiledReport, reason: EventData<'ReportDismissed'>['reason']): SaidWarning[] => {
    if (reason === 'duplicate' || report.verified === undefined) return [];
    const f = report.verified.figures;
    // Every figure the verification gave, in the statistics form's headings; hectares and the loss
    // in yuan as a person reads them (found by a newcomer: the loss and the crops were left out,
    // and the English said no figure at all).
    const given = (Object.keys(INDICATOR_WORDS) as Indicator[]).filter((k) => (f[k] ?? 0) > 0);
    const figures = given.map((k) => `${INDICATOR_WORDS[k].zh} ${f[k]} ${INDICATOR_WORDS[k].unitZh}`).join('、');
    const figuresEn = given.map((k) => `${INDICATOR_WORDS[k].en} ${f[k]}`).join(', ');
    const n = report.verified.households.length;
    return [
      {
        code: 'verified_figures_dropped',
        message: `这份报告已入户核查（${figures ? `${figures}；` : ''}核查了 ${n} 户）：撤销后这些核查结果不再计入任何统计。如灾情属实，撤销不能撤回，请重新上报并入户核查，并告知负责人`,
        en: `this report was verified household by household (${figuresEn ? `${figuresEn}; ` : ''}${n} household${n === 1 ? '' : 's'} visited): dismissed, its verified figures count in no tally any more. If the damage is real, a dismissal cannot be undone: report and verify it again, and tell the head`,
        households: report.verified.households.length,
      },
    ];
  };
  /**
   * The report named as the original was filed after this one. Usually the later of two reports
   * is the duplicate; keeping the later one may be right (it says more, or was verified), so it
   * is not refused, but a dismissal cannot be undone, so it is said at once with both times
   * (found by a newcomer: accepted, nothing said).
   */
  const originalLater = (report: FiledReport, original: DuplicateOriginal): SaidWarning[] => {
    if (original.reportedAt === undefined || Date.parse(original.reportedAt) <= Date.parse(report.reportedAt)) return [];
    const [then, now] = beijingPair(original.reportedAt, report.reportedAt);
    return [
      {
        code: 'duplicate_of_later_report',
        message: `报告 ${original.reportId} 是 ${then} 上报的，比这份（${now} 上报）晚：通常作为重复撤销的是后报的那份。这份撤销后只随报告 ${original.reportId} 计入统计。如果撤错了，撤销不能撤回，请告知负责人`,
        en: `report ${original.reportId} was filed at ${then}, after this one (${now}, Beijing time): usually the later report is the duplicate. Dismissed, this one counts only through report ${original.reportId}. If that was a mistake, a dismissal cannot be undone: tell the head`,
        reportId: original.reportId,
        reportedAt: original.reportedAt,
        thisReportedAt: report.reportedAt,
      },
    ];
  };
  /**
   * The duplicate's estimate says more than the original's on some figure (two dead against none):
   * merged, it counts only through the original, so those figures would count nowhere. Not
   * refused — the other report's estimate may simply be older — but said with both figures and
   * what to do: a 续报 on the original (found by a newcomer: the graver figures dropped in silence).
   */
  const graverHere = (report: FiledReport, original: DuplicateOriginal): SaidWarning[] => {
    const here = report.estimate as Record<string, number | undefined>;
    // What the original counts with: its verification once verified, else its estimate (SPEC §6).
    const verified = original.verifiedFigures !== undefined;
    const there = (original.verifiedFigures ?? original.estimate ?? {}) as Record<string, number | undefined>;
    // Against a verification, only people dead, missing or hurt: an estimate above a household
    // count is the usual order of things, a death the verification did not see is news.
    const graver = LOSS_COLUMNS.filter((c) => (!verified || CASUALTY_SET.has(c.indicator)) && (here[c.indicator] ?? 0) > (there[c.indicator] ?? 0));
    if (graver.length === 0) return [];
    const amount = (c: (typeof LOSS_COLUMNS)[number], v: number | undefined) => (c.kind === 'wanYuan' ? `${v ?? 0} 元` : `${v ?? 0} ${c.unit}`);
    return [
      {
        code: 'graver_figures_dropped',
        message: `这份报告估计的${graver.map((c) => `${c.heading} ${amount(c, here[c.indicator])}`).join('、')}，比报告 ${original.reportId} 的${verified ? '核查结果' : '估计'}（${graver.map((c) => `${c.heading} ${amount(c, there[c.indicator])}`).join('、')}）大：撤销后只按报告 ${original.reportId} 计入统计，这些数字不再计入。如属实，${verified ? `请对报告 ${original.reportId} 重新入户核查` : `请在报告 ${original.reportId} 上续报更正`}`,
        en: `this report's estimate of ${graver.map((c) => `${c.indicator} ${here[c.indicator] ?? 0}`).join(', ')} is more than report ${original.reportId}'s ${verified ? 'verified figures' : 'estimate'} (${graver.map((c) => `${c.indicator} ${there[c.indicator] ?? 0}`).join(', ')}): dismissed, it counts only through report ${original.reportId}, so these figures count nowhere. If they are right, ${verified ? `verify report ${original.reportId} again` : `send a follow-up (续报) on report ${original.reportId}`}`,
        reportId: original.reportId,
        indicators: graver.map((c) => c.indicator),
      },
    ];
  };
  /**
   * Both verified household by household: only the original's verification counts from now on
   * (SPEC §6); said, as the figures the township sees change with it.
   */
  const verificationLeft = (report: FiledReport, original: DuplicateOriginal): SaidWarning[] =>
    report.verified === undefined || original.verified !== true
      ? []
      : [
          {
            code: 'verification_not_counted',
            message: `这份报告的入户核查结果不再计入统计，统计按报告 ${original.reportId} 的核查结果计。如这份的核查更新、更全，请在报告 ${original.reportId} 上重新入户核查一次`,
            en: `this report's household-by-household verification no longer counts: the figures follow report ${original.reportId}'s. If this one's was newer or fuller, verify report ${original.reportId} again`,
            reportId: original.reportId,
          },
        ];

  /**
   * The same dismissal sent again — a retry whose answer was lost, or a second officer dismissing
   * what a colleague already had — writes nothing. Said with who recorded it and when, read from
   * the stream's own event (found by a newcomer: the second officer got a plain 200, as if theirs
   * had been recorded).
   */
  const alreadyDismissed = async (id: string): Promise<SaidWarning[]> => {
    const recent = await deps.store.readStream(streams.report(id), { direction: 'backwards', max: 100 });
    const dismissed = recent.find((e) => e.type === 'ReportDismissed');
    if (!dismissed) return [];
    const { id: by, role } = dismissed.metadata.actor;
    const name = grantName(deps.runner.state('access'), by);
    const who = name ?? `${ROLE_NAMES_ZH[role as keyof typeof ROLE_NAMES_ZH] ?? role}（${by}）`;
    return [
      {
        code: 'already_dismissed',
        message: `这份报告已由${who}于 ${beijingMinutes(dismissed.metadata.at)}（北京时间）以同样的理由撤销，这次没有再记录。如果那是您自己刚才发送的，已经成功了`,
        en: `this report was already dismissed for the same reason by ${name ?? `${role} ${by}`} at ${beijingMinutes(dismissed.metadata.at)} Beijing time; nothing new was recorded. If that was yours a moment ago, it went through`,
        by,
        byName: name ?? null,
        at: dismissed.metadata.at,
      },
    ];
  };

  app.withTypeProvider<ZodTypeProvider>().post(
    '/reports/:id/dismissal',
    {
      config: { roles: FIELD_STAFF },
      schema: {
        tags: ['reports'],
        summary: 'Dismiss a report (duplicate, false alarm, out of scope); `warnings` name the relief on it: handed over already, or still to be rejected or cancelled',
        params: IdParams,
        body: DismissBody,
        response: { 200: WriteAnswer.extend({ warnings: z.array(WarningSchema).optional() }) },
      },
    },
    async (request) => {
      const { id } = request.params;
      const { report } = await loadReportInScope(deps, request, id);
      const context = commandContext(request, deps.now);
      const given = ifMatch(request);
      const stream = streams.report(id);
      // SPEC §3: no allocation may follow a dismissal. An allocation claims the report first and
      // writes its own stream a moment later; the dismissal waits for claims in flight to land,
      // then is appended at exactly the revision it saw settled (docs/decisions.md).
      for (let attempt = 0; ; attempt++) {
        const revision = await settledForDismissal(deps, stream);
        const original = request.body.duplicateOf !== undefined ? await duplicateOriginal(deps, request, request.body.duplicateOf, report.village) : undefined;
        try {
          const result = await deps.commands.execute(stream, reportDecider, { type: 'DismissReport', data: request.body, original, now: context.now }, context, {
            ifMatch: given ?? { revisions: [revision] },
          });
          const warnings = localized([
            ...(result.written ? [] : await alreadyDismissed(id)),
            ...reliefOnDismissed(id),
            ...duplicatesLeft(id, request.body.reason),
            ...verifiedDropped(report, request.body.reason),
            ...(result.written ? afterFinal(id, 'dismissal') : []),
            ...(original ? [...otherHazard(report, original), ...graverHere(report, original), ...originalLater(report, original), ...verificationLeft(report, original), ...(await dismissedInTurn(id, original.reportId))] : []),
          ], requestLanguage(request));
          return { position: result.position, revision: result.revision, ...(warnings.length > 0 ? { warnings } : {}) };
        } catch (error) {
          if (given || !(error instanceof PreconditionFailedError) || attempt >= 8) throw error;
        }
      }
    },
  );
  command('closure', 'Close a verified report', CloseBody, FIELD_STAFF, (b, _r, now) => ({ type: 'CloseReport', data: b, now }));
}
