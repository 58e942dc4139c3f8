import { escapeHtml } from '../html.js';
import { beijingTime } from '../../../domain/time.js';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { CATEGORY_LABELS, maskDigitRuns, maskName, yuan } from '../../../domain/notice.js';
import { unitLevel, withinScope } from '../../../domain/units.js';
import { canonicalHouseholdId, HazardInput, HouseholdId, HAZARD_LABELS, RELIEF_CATEGORIES, type GoodsUnit, type Hazard as HazardName } from '../../../domain/vocabulary.js';
import { goodsTotals, holdsRelief } from '../../../domain/allocation.js';
import { householdKey, missedRelief } from '../../../projections/households.js';
import { incidentClocks, listIncidents } from '../../../projections/incidents.js';
import { goodsView, heldFlag, ledgerRows, reviewOf, ledgerTotals, reviewFlags, type LedgerRow, type LedgerStatus, type LedgerTotals, type ReviewFlag } from '../../../projections/ledger.js';
import { listReports, type ReportRow } from '../../../projections/reports.js';
import { talliesProjection, tallyOf, tallyView, type TalliesState } from '../../../projections/tallies.js';
import { childrenOf, townshipOf, unitRef, unitsProjection, type UnitsState } from '../../../projections/units.js';
import { rebuildUpTo } from '../../projection-runner.js';
import { readPrefix } from '../context.js';
import type { ApiDeps } from '../deps.js';
import { outOfScope, HttpError, notFound } from '../errors.js';
import { DISMISSAL_ZH, logWarning, requestLanguage, type Lang } from '../messages.js';
import { assertNever } from '../../../domain/errors.js';
import { askedTime, dayOrInstant } from '../../../domain/vocabulary.js';
import { Id, listQuery, page, readQuery, UnitRef, UnitView, VillageRef } from '../schemas.js';
import { sealAnchor } from '../../../projections/seals.js';
import { positionForPeople } from '../../../domain/audit.js';

const READERS = ['contact', 'officer', 'head', 'auditor'] as const;
const STAFF_READERS = ['officer', 'head', 'auditor'] as const;
const STATUSES = ['filed', 'acknowledged', 'on_site', 'verified', 'dismissed', 'closed'] as const;
const LEDGER_STATUSES = ['allocated', 'approved', 'delivered', 'rejected', 'cancelled'] as const;

const Indicators = z.record(z.string(), z.number());

/** A cursor the client got from `next`: a position of this store. */
function cursor(deps: ApiDeps, after: string | undefined): string | undefined {
  if (after === undefined) return undefined;
  const position = deps.store.parsePosition(after);
  if (position === undefined) throw new HttpError(400, 'validation', 'querystring.after: not a page cursor', [{ path: 'querystring.after', message: 'not a page cursor' }]);
  return position;
}

const reportItem = (units: UnitsState, row: ReportRow) => ({
  reportId: row.reportId,
  status: row.status,
  village: unitRef(units, row.village),
  group: row.group ?? null,
  hazard: row.hazard,
  hazardLabel: HAZARD_LABELS[row.hazard],
  observedAt: row.observedAt,
  clockSuspect: row.clockSuspect,
  reportedAt: row.reportedAt,
  reporter: { id: row.reporter.id, name: row.reporter.name, phone: row.reporter.phone },
  estimate: row.estimate,
  verified: row.verified ? { figures: row.verified.figures, at: row.verified.at, households: row.verified.households } : null,
  escalationStep: row.alert?.step ?? null,
  acknowledgedBy: row.acknowledgedBy[0] ?? null,
  incident: row.incident ?? null,
  // Why it was dismissed: a contact reads "merged, it was reported already", not "withdrawn".
  dismissal: row.dismissal ? { reason: row.dismissal.reason, duplicateOf: row.dismissal.duplicateOf ?? null } : null,
  position: row.position,
});

const goodsLines = (thousandths: Record<string, number>) => goodsView(thousandths).map((g) => ({ item: g.item, quantity: g.quantity, unit: g.unit as string }));

/**
 * The rest of an allocation whose report was dismissed is never handed over (deliveries are
 * refused from the dismissal on), so the ledger owes nothing more on it: its review flag says why.
 */
const remainderVoid = (flags: ReadonlyMap<string, ReviewFlag[]>) => (row: LedgerRow) => row.remainderCancelled === true || flags.get(row.allocationId)?.some((f) => f.flag === 'report_dismissed') === true;

/**
 * What a head reads beside a flagged row (SPEC §9: in Chinese), the flag's code and data kept beside
 * it for programs. Each says what to check; none says the relief is wrong (SPEC §3: flagged, not refused).
 */
export function reviewMessage(flag: ReviewFlag, row?: LedgerRow): string {
  switch (flag.flag) {
    case 'duplicate_in_incident':
      // A repeat whose reason was given for another incident, linked into this one since: its
      // reason no longer explains it (found by a newcomer: "另有 1 笔未说明重复原因" read as wrong).
      return row?.repeatReason !== undefined
        ? `这笔救助写了重复原因（"${row.repeatReason}"），但那是针对另一个灾害过程写的；现在它和这一户的另外 ${flag.with.length} 笔同类救助在同一灾害过程中：请核对是否重复发放`
        : `同一灾害过程中，这一户同类救助另有 ${flag.with.length} 笔未说明重复原因：请核对是否重复发放`;
    case 'household_not_in_latest_verification':
      return '报告最新一次核查的户表里已没有这一户：请核对这一户是否受灾';
    case 'report_dismissed': {
      // What is left to do depends on where the allocation stood (found by a newcomer: one text
      // for all, and a head could not tell which still needed rejecting or cancelling).
      const why = `报告已撤销（${DISMISSAL_ZH[flag.reason] ?? flag.reason}）`;
      if (row?.status === 'allocated') return `${why}：这笔待批准的救助不能再批准或发放，请负责人驳回，或取消这笔分配`;
      if (row?.status === 'approved' && row.deliveries === 0) return `${why}：这笔已批准的救助不能再发放，请取消这笔分配（干部或负责人均可）`;
      if (row?.status === 'approved') return `${why}：已发放的部分请核对，余下部分不再发放`;
      if (row?.status === 'delivered') return `${why}：这笔救助已全部发放，请核对`;
      return `${why}：不能再批准或发放，已发放的部分请核对`;
    }
    case 'household_name_changed':
      return `报告最新一次核查（第 ${flag.verification} 次）登记这一户的户主是"${flag.verifiedName}"，不是"${row?.household.name ?? ''}"：请核对救助该给谁`;
    case 'no_housing_damage':
      return '报告最新一次核查认定这一户住房未受损：倒损住房恢复重建救助请核对';
    case 'same_name_other_household':
      return `同村同名户主在户号 ${flag.households.join('、')} 下另有同类救助（同一灾害过程，或相隔不到 ${flag.windowDays} 天）：请核对是否同一户`;
    default:
      return assertNever(flag);
  }
}

/** `reviewMessage` in English, for a client that asks for it (Accept-Language: en). */
export function reviewMessageEn(flag: ReviewFlag, row?: LedgerRow): string {
  switch (flag.flag) {
    case 'duplicate_in_incident':
      return row?.repeatReason !== undefined
        ? `this allocation gave a reason for the repeat ("${row.repeatReason}"), but for another incident; it is now in one incident with ${flag.with.length} other allocation(s) of this category to the household: check it is not paid twice`
        : `in the same incident this household has ${flag.with.length} other allocation(s) of this category with no reason given for the repeat: check it is not paid twice`;
    case 'household_not_in_latest_verification':
      return 'the latest verification of the report no longer lists this household: check it was affected';
    case 'report_dismissed':
      return row?.status === 'delivered' ? `the report was dismissed (${flag.reason}): this relief was handed over in full; check it` : `the report was dismissed (${flag.reason}): nothing more is approved or handed over on it`;
    case 'household_name_changed':
      return `the report's latest verification (no. ${flag.verification}) lists this household under ${flag.verifiedName}, not ${row?.household.name ?? ''}: check who the relief is for`;
    case 'no_housing_damage':
      return 'the latest verification found this household\u2019s house undamaged: check the housing relief';
    case 'same_name_other_household':
      return `a household head of the same name in this village has relief of this category under household number(s) ${flag.households.join(', ')} (in the same incident, or within ${flag.windowDays} days): check it is not one household`;
    default:
      return assertNever(flag);
  }
}

/** A ledger row as people read it: cash in fen, goods in their units, and why to review it. */
export function ledgerItem(units: UnitsState, row: LedgerRow, flags: ReviewFlag[] = [], lang: Lang = 'zh') {
  const voided = row.remainderCancelled === true || flags.some((f) => f.flag === 'report_dismissed');
  const t = ledgerTotals([row], () => voided);
  const allocatedGoods = row.goods.reduce<Record<string, number>>((acc, g) => {
    const key = `${g.item}|${g.unit}`;
    acc[key] = (acc[key] ?? 0) + Math.round(g.quantity * 1000);
    return acc;
  }, {});
  return {
    allocationId: row.allocationId,
    reportId: row.reportId,
    village: unitRef(units, row.village),
    household: row.household,
    category: row.category,
    categoryLabel: CATEGORY_LABELS[row.category],
    fund: row.fund,
    status: row.status,
    cash: { allocatedFen: row.cashFen, deliveredFen: row.deliveredCashFen, outstandingFen: t.outstandingFen, voidedFen: t.voidedFen },
    goods: { allocated: goodsLines(allocatedGoods), delivered: goodsLines(row.deliveredGoods), outstanding: goodsLines(t.goods.outstanding), voided: goodsLines(t.goods.voided) },
    /** Its report was dismissed: what was not yet handed over never will be (`cash.voidedFen`, `goods.voided`). */
    remainderVoided: voided && row.status === 'approved',
    allocatedBy: row.allocatedBy,
    allocatedAt: row.allocatedAt,
    approvedBy: row.approvedBy ?? null,
    approvedAt: row.approvedAt ?? null,
    deliveries: row.deliveries,
    lastDeliveredAt: row.lastDeliveredAt ?? null,
    repeatReason: row.repeatReason ?? null,
    // In the reader's language, as a write's warnings are (found by a newcomer: Chinese under Accept-Language: en).
    review: flags.map((f) => reviewed(f, row, lang === 'en' ? reviewMessageEn(f, row) : reviewMessage(f, row), lang)),
    position: row.position,
  };
}

const totalsView = (t: LedgerTotals) => ({
  allocations: t.allocations,
  allocatedFen: t.allocatedFen,
  approvedFen: t.approvedFen,
  deliveredFen: t.deliveredFen,
  outstandingFen: t.outstandingFen,
  voidedFen: t.voidedFen,
  goods: { allocated: goodsLines(t.goods.allocated), approved: goodsLines(t.goods.approved), delivered: goodsLines(t.goods.delivered), outstanding: goodsLines(t.goods.outstanding), voided: goodsLines(t.goods.voided) },
});

function groupTotals<K extends string>(rows: LedgerRow[], key: (row: LedgerRow) => K, voided: (row: LedgerRow) => boolean) {
  const groups = new Map<K, LedgerRow[]>();
  for (const row of rows) {
    const k = key(row);
    const list = groups.get(k);
    if (list) list.push(row);
    else groups.set(k, [row]);
  }
  return [...groups].map(([k, list]) => ({ key: k, rows: list, totals: totalsView(ledgerTotals(list, voided)) }));
}

/**
 * The point a tally answers for: `requested`, the `asOf` asked for (a position as the store
 * writes it, a time as a UTC instant; null for the live tally), so an answer read later still says
 * what was asked; `position` and `at`, the last event applied (null when the point is before the
 * first event).
 */
interface TalliesAsOf {
  requested: string | null;
  position: string | null;
  at: string | null;
}

/** `asOf` with the Beijing-time twins a person reads (SPEC §4): of `at`, and of `requested` when it is a time. */
function asOfView(asOf: TalliesAsOf) {
  const local = (text: string | null) => (text !== null && /^\d{4}-\d\d-\d\dT/.test(text) ? beijingTime(text) : null);
  return { requested: asOf.requested, requestedLocal: local(asOf.requested), position: asOf.position, at: asOf.at, atLocal: local(asOf.at) };
}

/**
 * The tally of `unit` and each registered child, as SPEC §4 shapes it. Children are the units
 * registered as of the answer (`units`); a name comes from that register, else from today's
 * (`current`: an asOf before a unit was imported still names it), else is the code.
 */
function talliesAnswer(tallies: TalliesState, units: UnitsState, unit: string, hazard: HazardName | undefined, asOf: TalliesAsOf, current: UnitsState = units) {
  const one = (code: string) => ({ unit: { code, name: units.units.get(code)?.name ?? current.units.get(code)?.name ?? code }, ...tallyView(tallyOf(tallies, code, hazard)) });
  return {
    ...one(unit),
    asOf: asOfView(asOf),
    hazard: hazard ?? null,
    children: unitLevel(unit) === 'village' ? [] : childrenOf(units, unit).map(one),
  };
}

export async function readRoutes(app: FastifyInstance, deps: ApiDeps): Promise<void> {
  const r = app.withTypeProvider<ZodTypeProvider>();
  const state = <N extends Parameters<typeof deps.runner.state>[0]>(name: N) => deps.runner.state(name);

  r.get(
    '/reports',
    {
      config: { roles: READERS },
      schema: {
        tags: ['reports'],
        summary: 'Reports in scope, newest first by filing, with the village\u2019s full path',
        querystring: listQuery({ unit: UnitRef.optional(), status: z.enum(STATUSES).optional(), hazard: HazardInput.optional(), since: dayOrInstant('start').optional().describe('Filed at or after this time (ISO-8601; without an offset, Beijing time), or a date (from its Beijing midnight)') }),
        response: { 200: page(z.looseObject({ reportId: z.uuid(), status: z.enum(STATUSES), village: UnitView, hazard: z.string(), observedAt: z.string(), clockSuspect: z.boolean(), reportedAt: z.string(), estimate: Indicators })) },
      },
    },
    async (request) => {
      const q = request.query;
      const units = state('units');
      const { items, next } = listReports(state('reports'), {
        prefix: readPrefix(request, q.unit),
        status: q.status,
        hazard: q.hazard,
        since: q.since,
        after: cursor(deps, q.after),
        limit: q.limit,
      });
      return { items: items.map((row) => reportItem(units, row)), next };
    },
  );

  r.get(
    '/tallies',
    {
      config: { roles: READERS },
      schema: {
        tags: ['tallies'],
        summary: 'Damage tallies for a unit and each child unit: reported and verified side by side, report counts by status; asOf a time or a position',
        querystring: readQuery({ unit: UnitRef.optional(), hazard: HazardInput.optional(), asOf: z.string().min(1).max(64).optional().describe('A position of the log (as a write answered it), a time (ISO-8601; without an offset, Beijing time), or a date (that whole Beijing day). A point the log has not reached is 400.') }),
        response: {
          200: z.object({
            unit: z.object({ code: z.string(), name: z.string() }),
            asOf: z.object({ requested: z.string().nullable(), requestedLocal: z.string().nullable(), position: z.string().nullable(), at: z.string().nullable(), atLocal: z.string().nullable() }),
            hazard: z.string().nullable(),
            reported: Indicators,
            verified: Indicators,
            reports: z.object({ total: z.number(), byStatus: z.record(z.string(), z.number()) }),
            children: z.array(z.object({ unit: z.object({ code: z.string(), name: z.string() }), reported: Indicators, verified: Indicators, reports: z.object({ total: z.number(), byStatus: z.record(z.string(), z.number()) }) })),
          }),
        },
      },
    },
    async (request) => {
      const q = request.query;
      const prefix = readPrefix(request, q.unit);
      const unit = prefix.padEnd(12, '0');
      if (q.asOf === undefined) {
        const checkpoint = deps.runner.checkpoint ?? null;
        return talliesAnswer(state('tallies'), state('units'), unit, q.hazard, { requested: null, position: checkpoint, at: deps.runner.checkpointAt ?? null });
      }
      // asOf: exactly what the live tally said then — replayed up to that point (SPEC §6).
      const position = deps.store.parsePosition(q.asOf);
      const asked = position === undefined ? askedTime(q.asOf, 'end') : undefined;
      const time = asked?.instant;
      const refuse = (message: string) => new HttpError(400, 'validation', `querystring.asOf: ${message}`, [{ path: 'querystring.asOf', message }]);
      if (position === undefined && time === undefined) throw refuse('a time (e.g. 2026-07-01T11:40:00+08:00, or a date 2026-07-01) or a position of the log');
      // What the tally will say at a point not yet reached is unknown: an answer for it would be
      // the current tally under a later label, and would change when asked again. Today's date
      // (截至今天) is the common case, and is told apart.
      if (time !== undefined && Date.parse(time) > deps.now().getTime()) {
        const today = asked?.dayStart !== undefined && Date.parse(asked.dayStart) <= deps.now().getTime();
        throw refuse(today ? 'a day not yet over (Beijing time): leave out asOf for the figures now, or give a time' : 'a time still to come');
      }
      if (position !== undefined && position > ((await deps.store.headPosition()) ?? '')) throw refuse('past the end of the log');
      const { states, last } = await rebuildUpTo(deps.store, [unitsProjection, talliesProjection] as never, position !== undefined ? { position } : { time: time! });
      const requested = position ?? time!;
      return talliesAnswer(states.get('tallies') as TalliesState, states.get('units') as UnitsState, unit, q.hazard, { requested, position: last?.position ?? null, at: last?.at ?? null }, state('units'));
    },
  );

  r.get(
    '/incidents',
    {
      config: { roles: READERS },
      schema: {
        tags: ['incidents'],
        summary: 'Incidents in scope, the most recently opened first, each statutory clock with its due time and whether it is overdue',
        querystring: listQuery({ unit: UnitRef.optional(), overdue: z.enum(['true', 'false']).optional() }),
        response: { 200: page(z.looseObject({ incidentId: z.uuid(), county: UnitView, status: z.string(), clocks: z.array(z.looseObject({ clock: z.string(), dueAt: z.string(), overdue: z.boolean() })) })) },
      },
    },
    async (request) => {
      const q = request.query;
      const now = deps.now().toISOString();
      const units = state('units');
      const { items, next } = listIncidents(state('incidents'), {
        prefix: readPrefix(request, q.unit),
        overdue: q.overdue === undefined ? undefined : q.overdue === 'true',
        after: cursor(deps, q.after),
        limit: q.limit,
        now,
        rules: deps.clockRules,
      });
      return {
        next,
        items: items.map((i) => ({
          incidentId: i.incidentId,
          county: unitRef(units, i.county),
          hazard: i.hazard,
          hazardLabel: HAZARD_LABELS[i.hazard],
          title: i.title,
          startedAt: i.startedAt,
          status: i.closed ? 'closed' : i.stabilizedAt ? 'stabilized' : 'open',
          reports: i.reports,
          submissions: i.submissions,
          clocks: incidentClocks(i, now, deps.clockRules).map((c) => ({ ...c })),
          overdue: incidentClocks(i, now, deps.clockRules).some((c) => c.overdue),
          position: i.position,
        })),
      };
    },
  );

  r.get(
    '/allocations',
    {
      config: { roles: READERS },
      schema: {
        tags: ['relief'],
        summary: 'The relief ledger: allocated / approved / delivered / outstanding per allocation, with totals per household, report, fund and village',
        querystring: listQuery({
          unit: UnitRef.optional(),
          report: Id.optional(),
          // `{villageCode}/{householdId}` or a household number alone, as the household is keyed however it was typed.
          household: z
            .string()
            .min(1)
            .max(200)
            .transform((v) => (/^\d{12}\//.test(v) ? `${v.slice(0, 13)}${canonicalHouseholdId(v.slice(13))}` : canonicalHouseholdId(v)))
            .pipe(z.string().min(1).max(80))
            .optional(),
          fund: z.string().min(1).max(64).optional(),
          status: z.enum(LEDGER_STATUSES).optional(),
          // What is still to be handed over: approved, not all delivered, and its report not dismissed.
          // `status` is the allocation's own step, so an approved one whose rest will never be given
          // (remainderVoided) is still `approved` there (found by a newcomer).
          outstanding: z.enum(['true', 'false']).optional().describe('true: only what is still to be handed over (approved, not all delivered, its report not dismissed); false: only what is not'),
          // What waits for a head's review before it is approved or handed over (SPEC §3 review).
          held: z.enum(['true', 'false']).optional().describe('true: only what a review flag holds (a head reviews it before approval or delivery); false: only what nothing holds'),
        }),
        response: {
          200: page(z.looseObject({ allocationId: z.uuid(), status: z.enum(LEDGER_STATUSES), cash: z.object({ allocatedFen: z.number(), deliveredFen: z.number(), outstandingFen: z.number(), voidedFen: z.number() }) })).extend({
            totals: z.looseObject({ overall: z.looseObject({ allocatedFen: z.number() }) }),
          }),
        },
      },
    },
    async (request) => {
      const q = request.query;
      const units = state('units');
      const prefix = readPrefix(request, q.unit);
      const listed = ledgerRows(state('ledger'), { prefix, report: q.report, household: q.household, fund: q.fund, status: q.status as LedgerStatus | undefined });
      const flags = flagsFor(deps, ledgerRows(state('ledger'), { prefix }));
      const voided = remainderVoid(flags);
      const outstanding = q.outstanding === undefined ? listed : listed.filter((row) => (row.status === 'approved' && !voided(row)) === (q.outstanding === 'true'));
      // Held: a flag that stops approval or delivery, unreviewed, on relief still to be approved or handed over.
      const isHeld = (row: LedgerRow) => (row.status === 'allocated' || row.status === 'approved') && (flags.get(row.allocationId) ?? []).some((f) => heldFlag(f) !== undefined && reviewOf(f, row) === undefined);
      const rows = q.held === undefined ? outstanding : outstanding.filter((row) => isHeld(row) === (q.held === 'true'));
      const after = cursor(deps, q.after);
      const from = after === undefined ? 0 : rows.findIndex((row) => row.allocatedPosition > after);
      const slice = from < 0 ? [] : rows.slice(from, from + q.limit);
      return {
        items: slice.map((row) => ({ ...ledgerItem(units, row, flags.get(row.allocationId), requestLanguage(request)), held: isHeld(row) })),
        next: from >= 0 && from + slice.length < rows.length ? slice.at(-1)!.allocatedPosition : null,
        totals: {
          overall: totalsView(ledgerTotals(rows, voided)),
          // One line per household however its number was typed (canonicalHouseholdId), under the first spelling.
          byHousehold: groupTotals(rows, (row) => `${row.village}/${canonicalHouseholdId(row.household.id)}`, voided).map((g) => ({ village: g.rows[0]!.village, householdId: g.rows[0]!.household.id, name: g.rows.at(-1)!.household.name, ...g.totals })),
          byReport: groupTotals(rows, (row) => row.reportId, voided).map((g) => ({ reportId: g.key, ...g.totals })),
          byFund: groupTotals(rows, (row) => row.fund, voided).map((g) => ({ fund: g.key, ...g.totals })),
          byVillage: groupTotals(rows, (row) => row.village, voided).map((g) => ({ village: unitRef(units, g.key), ...g.totals })),
        },
      };
    },
  );

  r.get(
    '/households/:villageCode/:householdId',
    {
      config: { roles: STAFF_READERS },
      schema: {
        tags: ['relief'],
        summary: 'One household across every report: damage verified, relief allocated and delivered, by category and incident',
        params: z.strictObject({ villageCode: VillageRef, householdId: HouseholdId }),
        querystring: readQuery({}),
      },
    },
    async (request) => {
      const { villageCode, householdId } = request.params;
      if (!withinScope(villageCode, request.user.scope)) throw notFound('household');
      const household = state('households').households.get(householdKey(villageCode, householdId));
      if (!household) throw notFound('household');
      const units = state('units');
      const reports = state('reports');
      const ledger = state('ledger');
      const allocations = household.allocations.map((id) => ledger.rows.get(id)).filter((row): row is LedgerRow => row !== undefined);
      const incidentOf = (reportId: string) => reports.rows.get(reportId)?.incident ?? null;
      const flags = flagsFor(deps, allocations);
      const voided = remainderVoid(flags);
      return {
        village: unitRef(units, villageCode),
        // As the register writes it (first typed), whichever way it was asked for.
        householdId: household.householdId,
        names: [...new Set(household.verifications.map((v) => v.name))],
        verifications: household.verifications.map((v) => ({
          reportId: v.reportId,
          incident: incidentOf(v.reportId),
          damage: v.damage,
          people: v.people,
          name: v.name,
          at: v.at,
          reportStatus: reports.rows.get(v.reportId)?.status ?? null,
        })),
        // Verifications a later one of the same report replaced or left out: what relief paid
        // before then rested on, for an auditor (projections/households.ts `superseded`).
        earlierVerifications: (household.superseded ?? []).map((v) => ({ reportId: v.reportId, damage: v.damage, people: v.people, name: v.name, at: v.at, supersededAt: v.supersededAt })),
        allocations: allocations.map((row) => ({ ...ledgerItem(units, row, flags.get(row.allocationId), requestLanguage(request)), incident: incidentOf(row.reportId) })),
        byCategory: RELIEF_CATEGORIES.map((category) => ({ category, categoryLabel: CATEGORY_LABELS[category], ...totalsView(ledgerTotals(allocations.filter((a) => a.category === category), voided)) })).filter(
          (c) => c.allocations > 0,
        ),
        // A report linked to no incident counts as its own incident (SPEC §3).
        byIncident: groupTotals(allocations, (row) => incidentOf(row.reportId) ?? `report:${row.reportId}`, voided).map((g) => ({ incident: g.key.startsWith('report:') ? null : g.key, reportId: g.key.startsWith('report:') ? g.key.slice(7) : null, ...g.totals })),
      };
    },
  );

  r.get(
    '/relief/missed',
    {
      config: { roles: STAFF_READERS },
      schema: {
        tags: ['relief'],
        summary: 'Verified households with damage (collapsed, severe, moderate) and no live relief yet (遗漏救助)',
        querystring: listQuery({ unit: UnitRef.optional() }),
        response: { 200: page(z.looseObject({ village: UnitView, householdId: z.string(), name: z.string(), damage: z.string() })) },
      },
    },
    async (request) => {
      const q = request.query;
      const units = state('units');
      const all = missedRelief(state('households'), state('ledger'), readPrefix(request, q.unit));
      const start = q.after ? all.findIndex((h) => `${h.village}/${h.householdId}` === q.after) + 1 : 0;
      const slice = all.slice(start, start + q.limit);
      return {
        items: slice.map((h) => ({ ...h, village: unitRef(units, h.village) })),
        next: start + slice.length < all.length ? `${slice.at(-1)!.village}/${slice.at(-1)!.householdId}` : null,
      };
    },
  );

  r.get(
    '/notices/:villageCode',
    {
      config: { roles: READERS },
      schema: {
        tags: ['relief'],
        summary: 'Public notice (公示) of approved and delivered relief in a village, names masked; Accept: text/html for a page to print',
        params: z.strictObject({ villageCode: VillageRef }),
        querystring: readQuery({}),
      },
    },
    async (request, reply) => {
      const { villageCode } = request.params;
      if (!withinScope(villageCode, request.user.scope)) throw outOfScope(villageCode, request.user.scope, 'village', 'params.villageCode');
      const units = state('units');
      const village = units.units.get(villageCode);
      if (!village) throw notFound('village');
      const reports = state('households').reports;
      const villageRows = [...state('ledger').rows.values()].filter((row) => row.village === villageCode);
      // The anchor printed on the board must cover every row on it (SPEC §8): an hourly seal left a
      // notice with rows newer than its root, or with none before the first seal (found by a
      // newcomer). So the node seals first when it must, as the CLI's `seal` does.
      const build = () => publicNotice(units, villageRows, villageCode, deps.runner.checkpoint ?? null, deps.now(), state('seals').latest, (reportId) => reports.get(reportId)?.dismissed === true);
      let notice = build();
      if (!notice.sealCoversAll && deps.sealNow) {
        const sealed = await deps.sealNow().catch((error: unknown) => void request.log.warn({ err: error }, 'the notice could not seal the log'));
        if (sealed?.written && sealed.position) await deps.runner.require(sealed.position);
        // Another node sealed first: its seal is in the log; read up to it. A seal held (the log
        // is broken) waits for nothing: the notice says its root does not cover every row.
        else if (sealed?.reason === 'sealed_elsewhere') await deps.runner.caughtUp(2000);
        notice = build();
      }
      const broken = deps.brokenLog();
      return wantsHtml(request) ? reply.type('text/html; charset=utf-8').send(noticeHtml(notice, broken && logWarning(broken, 'zh', 'paper'))) : notice;
    },
  );
}

/**
 * One allocation's review flags, each with its Chinese message, as the ledger shows them (its
 * village's rows are enough: every flag's group lies within a village). For the head about to
 * approve it (found by a newcomer: the flags were on the ledger only).
 */
export function reviewOfAllocation(deps: ApiDeps, allocationId: string, village: string, lang: Lang = 'zh'): Array<ReviewFlag & { message: string; reviewed: boolean }> {
  const row = deps.runner.state('ledger').rows.get(allocationId);
  return reviewWords(deps, allocationId, village).map(({ en, message, ...flag }) => reviewed(flag, row, lang === 'en' ? en : message, lang));
}

/**
 * A flag as a head reads it: whether it was reviewed, and if so by whom, when and why, said first
 * in its message (found by a newcomer: `reviewed: true` and the words still asked to check it).
 */
function reviewed<F extends ReviewFlag>(flag: F, row: LedgerRow | undefined, message: string, lang: Lang): F & { reviewed: boolean; message: string; reviewedBy?: string; reviewedAt?: string; reviewReason?: string } {
  const review = reviewOf(flag, row);
  if (!review) return { ...flag, reviewed: false, message };
  const said = lang === 'en' ? `Reviewed by ${review.by} (${review.reason}). ` : `已由 ${review.by} 复核（${review.reason}）。`;
  return { ...flag, reviewed: true, reviewedBy: review.by, reviewedAt: review.at, reviewReason: review.reason, message: said + message };
}

/** `reviewOfAllocation` with each flag's English beside its Chinese (`en`), for a write's warnings. */
export function reviewWords(deps: ApiDeps, allocationId: string, village: string): Array<ReviewFlag & { message: string; en: string }> {
  const flags = flagsFor(deps, ledgerRows(deps.runner.state('ledger'), { prefix: village })).get(allocationId) ?? [];
  const row = deps.runner.state('ledger').rows.get(allocationId);
  return flags.map((f) => ({ ...f, message: reviewMessage(f, row), en: reviewMessageEn(f, row) }));
}

/** Review flags over `rows`, with incidents from the reports projection and verifications from the households one. */
function flagsFor(deps: ApiDeps, rows: readonly LedgerRow[]) {
  const reports = deps.runner.state('reports');
  const households = deps.runner.state('households');
  return reviewFlags(
    rows,
    (reportId) => reports.rows.get(reportId)?.incident ?? `report:${reportId}`,
    (reportId) => {
      const listed = households.reports.get(reportId)?.households;
      return listed === undefined ? undefined : { verification: reports.rows.get(reportId)?.verifications ?? 0, households: listed };
    },
    (reportId) => reports.rows.get(reportId)?.dismissal?.reason,
    (row) => verifiedEntry(row)?.damage === 'none',
    deps.reliefWindowDays,
    (row) => verifiedEntry(row)?.name,
  );
  /** The household as its report's latest verification found it. */
  function verifiedEntry(row: LedgerRow) {
    return households.households.get(householdKey(row.village, row.household.id))?.verifications.find((v) => v.reportId === row.reportId);
  }
}

const wantsHtml = (request: FastifyRequest) => /text\/html/.test(request.headers.accept ?? '');

export interface Notice {
  village: { code: string; name: string; path: string[] };
  title: string;
  items: Array<{
    household: string;
    category: string;
    categoryLabel: string;
    cashYuan: string;
    goods: Array<{ item: string; quantity: number; unit: GoodsUnit | string }>;
    fund: string;
    status: 'approved' | 'delivered';
    /** Cash handed over so far, in yuan: a part paid shows as paid, not as merely approved. */
    deliveredCashYuan: string;
    /** Goods handed over so far. */
    deliveredGoods: Array<{ item: string; quantity: number; unit: GoodsUnit | string }>;
    /**
     * What is approved and not yet handed over: cash in yuan, and goods. A row paid in cash with
     * its goods still to come is posted as partly handed over and says which (found by a
     * newcomer: 部分发放（已发 50.00 元） read as cash half paid when the cash was all paid).
     */
    outstanding: { cashYuan: string; goods: Array<{ item: string; quantity: number; unit: GoodsUnit | string }> };
    /** The row's state as the printed board says it (已审批, 部分发放（已发 …；待发 …）, 已发放). */
    statusText: string;
    allocatedAt: string;
    approvedAt: string | null;
    /** The last delivery's time, as soon as anything was delivered. */
    deliveredAt: string | null;
    /**
     * True when the report was dismissed after part was handed over: the rest is never given, so
     * the row posts what was handed over (cash and goods) as the amount, not what was approved.
     */
    remainderVoided: boolean;
    /** The rest was cancelled (not a report dismissed): said so on the board. */
    remainderCancelled?: true;
  }>;
  totalYuan: string;
  complaintPhone: string | null;
  /** The latest seal's root, and as an anchor (`root@upTo`) an auditor can check the log against. */
  sealRoot: string | null;
  sealAnchor: string | null;
  /**
   * Whether that seal covers every row of the village's ledger, posted or not (a cancellation since
   * the seal changes the board too). False where the node could not seal (the log failed
   * its check, or this node does not seal): the board then says the anchor does not vouch for them all.
   */
  sealCoversAll: boolean;
  asOf: string | null;
  generatedAt: string;
}

/**
 * Whether `seal` covers every one of `rows` (SPEC §8: the root printed on a notice vouches for
 * what it lists): none of them is newer than its `upTo` (positions, zero-padded, compare as
 * text). No rows: covered, with or without a seal.
 */
export function sealCovers(rows: Iterable<{ position: string }>, seal: { upTo: string } | undefined): boolean {
  for (const row of rows) if (seal === undefined || row.position > seal.upTo) return false;
  return true;
}

/**
 * The notice of a village (SPEC §8): approved and delivered relief only, names masked, amounts in
 * yuan, free text with digit runs masked, no phone or ID numbers, the township's complaint line.
 */
export function publicNotice(
  units: UnitsState,
  rows: Iterable<LedgerRow>,
  villageCode: string,
  asOf: string | null,
  now: Date,
  seal?: { root: string; upTo: string },
  reportDismissed: (reportId: string) => boolean = () => false,
): Notice {
  const items: Notice['items'] = [];
  // Every row of the village, posted or not: one cancelled or rejected since the seal changed the
  // board too (found by a newcomer: a row gone, the old root still printed as covering it).
  const village: LedgerRow[] = [];
  let total = 0;
  for (const row of rows) {
    if (row.village !== villageCode) continue;
    village.push(row);
    if (row.status !== 'approved' && row.status !== 'delivered') continue;
    // Relief on a report dismissed before anything was handed over will never be given: not posted.
    if (!holdsRelief(true, reportDismissed(row.reportId), row.deliveries)) continue;
    // Posted as handed over when the rest will never be: the board must not promise it.
    const voided = row.status === 'approved' && (row.remainderCancelled === true || reportDismissed(row.reportId));
    const cashFen = voided ? row.deliveredCashFen : row.cashFen;
    total += cashFen;
    const item: Omit<Notice['items'][number], 'statusText'> = {
      household: maskName(row.household.name),
      category: row.category,
      categoryLabel: CATEGORY_LABELS[row.category],
      cashYuan: yuan(cashFen),
      goods: voided ? goodsView(row.deliveredGoods).map((g) => ({ item: maskDigitRuns(g.item), quantity: g.quantity, unit: g.unit })) : row.goods.map((g) => ({ item: maskDigitRuns(g.item), quantity: g.quantity, unit: g.unit })),
      fund: maskDigitRuns(row.fund),
      status: voided ? 'delivered' : row.status,
      remainderVoided: voided,
      ...(row.remainderCancelled ? { remainderCancelled: true } : {}),
      deliveredCashYuan: yuan(row.deliveredCashFen),
      deliveredGoods: goodsView(row.deliveredGoods).map((g) => ({ item: maskDigitRuns(g.item), quantity: g.quantity, unit: g.unit })),
      outstanding: voided
        ? { cashYuan: yuan(0), goods: [] }
        : { cashYuan: yuan(Math.max(0, row.cashFen - row.deliveredCashFen)), goods: goodsView(outstandingGoods(row)).map((g) => ({ item: maskDigitRuns(g.item), quantity: g.quantity, unit: g.unit })) },
      allocatedAt: row.allocatedAt,
      approvedAt: row.approvedAt ?? null,
      deliveredAt: row.lastDeliveredAt ?? null,
    };
    items.push({ ...item, statusText: noticeStatus(item) });
  }
  const township = townshipOf(units, villageCode);
  const ref = unitRef(units, villageCode);
  return {
    village: ref,
    title: `${ref.path.join(' ')} 救灾救助资金物资发放公示`,
    items,
    totalYuan: yuan(total),
    complaintPhone: township?.complaintPhone ?? township?.phones?.[0] ?? null,
    sealRoot: seal?.root ?? null,
    sealAnchor: seal ? sealAnchor(seal) : null,
    sealCoversAll: sealCovers(village, seal),
    asOf,
    generatedAt: now.toISOString(),
  };
}

const beijingDate = (iso: string | null) => (iso ? beijingTime(iso).slice(0, 10) : '—');

/** Goods approved and not yet handed over, in thousandths under the ledger's keys. */
function outstandingGoods(row: LedgerRow): Record<string, number> {
  const left: Record<string, number> = {};
  for (const [key, q] of Object.entries(goodsTotals(row.goods))) {
    const rest = q - (row.deliveredGoods[key] ?? 0);
    if (rest > 0) left[key] = rest;
  }
  return left;
}

const goodsText = (goods: ReadonlyArray<{ item: string; quantity: number; unit: string }>) => goods.map((g) => `${g.item} ${g.quantity}${g.unit}`);

/** A row's state on the board, in the words a villager reads: what was handed over, and what is still to come. */
function noticeStatus(i: Omit<Notice['items'][number], 'statusText'>): string {
  if (i.remainderVoided) return i.remainderCancelled ? '已发放（余下部分已取消，不再发放）' : '已发放（报告已撤销，余下部分不再发放）';
  if (i.status === 'delivered') return '已发放';
  if (!i.deliveredAt) return '已审批';
  const given = [...(Number(i.deliveredCashYuan) > 0 ? [`${i.deliveredCashYuan} 元`] : []), ...goodsText(i.deliveredGoods)];
  const toCome = [...(Number(i.outstanding.cashYuan) > 0 ? [`${i.outstanding.cashYuan} 元`] : []), ...goodsText(i.outstanding.goods)];
  return `部分发放（已发 ${given.join('、') || '—'}；待发 ${toCome.join('、') || '—'}）`;
}

/**
 * The notice as a page to print and post on the village board. `warning`: the log's verification
 * failed (services/http/messages.ts `logWarning`), printed above the table so a notice from a
 * tampered log is not posted unread.
 */
export function noticeHtml(notice: Notice, warning?: string): string {
  const rows = notice.items
    .map(
      (i, n) =>
        `<tr><td>${n + 1}</td><td>${escapeHtml(i.household)}</td><td>${escapeHtml(i.categoryLabel)}</td><td class="num">${i.cashYuan}</td><td>${escapeHtml(
          i.goods.map((g) => `${g.item} ${g.quantity}${g.unit}`).join('，') || '—',
        )}</td><td>${escapeHtml(i.fund)}</td><td>${escapeHtml(i.statusText)}</td><td>${beijingDate(i.approvedAt)}</td><td>${beijingDate(i.deliveredAt)}</td></tr>`,
    )
    .join('\n');
  return `<!doctype html>
<html lang="zh-CN"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1"><title>${escapeHtml(notice.title)}</title>
<style>body{font-family:"Noto Sans CJK SC","Microsoft YaHei",sans-serif;margin:1em}table{border-collapse:collapse;width:100%}th,td{border:1px solid #333;padding:4px 8px}td.num{text-align:right}.wide{overflow-x:auto}.warning{border:2px solid #b00;padding:6px 10px;color:#b00}@media print{body{margin:1cm}}</style>
</head><body>
<h1>${escapeHtml(notice.title)}</h1>
${warning ? `<p class="warning" role="alert"><strong>注意：</strong>${escapeHtml(warning)}</p>\n` : ''}<p>根据救灾资金物资管理规定，现将本村救助资金物资审批和发放情况公示如下。公示期内如有异议，请拨打监督电话：<strong>${escapeHtml(notice.complaintPhone ?? '（请向乡镇民政办询问）')}</strong>。</p>
<div class="wide"><table><thead><tr><th>序号</th><th>户主</th><th>救助类别</th><th>金额（元）</th><th>物资</th><th>资金来源</th><th>状态</th><th>审批日期</th><th>发放日期</th></tr></thead>
<tbody>
${rows || '<tr><td colspan="9">暂无已审批或已发放的救助</td></tr>'}
</tbody>
<tfoot><tr><td colspan="3">合计</td><td class="num">${notice.totalYuan}</td><td colspan="5"></td></tr></tfoot></table></div>
<p>生成于 ${beijingDate(notice.generatedAt)}（数据截至记录第 ${escapeHtml(notice.asOf ? positionForPeople(notice.asOf) : '—')} 条）。${notice.sealAnchor ? `审计封存根（可用于核验）：${escapeHtml(notice.sealAnchor)}` : '日志尚未封存，本公示没有可核验的封存根。'}${notice.sealAnchor && !notice.sealCoversAll ? '（注意：表中有记录晚于这次封存，封存根不能为这些记录作证。）' : ''}</p>
</body></html>
`;
}


