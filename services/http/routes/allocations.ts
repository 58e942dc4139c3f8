import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { v5 as uuidv5 } from 'uuid';
import { z } from 'zod';
import { allocationDecider, holdsRelief, isLive, type AllocationCommand, type AllocationState, type ExistingAllocation, type ReportForRelief, type Standing } from '../../../domain/allocation.js';
import { DomainError } from '../../../domain/errors.js';
import { streams, type EventData } from '../../../domain/events.js';
import { liveReliefClaim, RELIEF_CLAIM_TTL_MS, reportDecider, type ReportCommand, type ReportState } from '../../../domain/report.js';
import { householdDecider, type HouseholdCommand, type Reservation, type ReservedAllocation } from '../../../domain/household.js';
import { DamagedStreamError, step, type Loaded } from '../../commands/execute.js';
import { inScope } from '../auth.js';
import { commandContext } from '../context.js';
import { commandRoute, historyRoute, integrityOf, localized, WarningSchema, type SaidWarning } from '../command-route.js';
import { requestLanguage } from '../messages.js';
import type { ApiDeps } from '../deps.js';
import { HttpError, notFound } from '../errors.js';
import { AllocateBody, DeliveryBody, EmptyBody, IdParams, ReasonBody } from '../schemas.js';
import { allocationView } from '../views.js';
import { loadReportInScope } from './reports.js';
import { reviewOfAllocation, reviewWords } from './reads.js';
import { NotCaughtUpError } from '../../projection-runner.js';
import { householdKey } from '../../../projections/households.js';
import { heldFlag, isLiveRow, isReviewed } from '../../../projections/ledger.js';
import { CATEGORY_LABELS, CATEGORY_LABELS_EN, yuan } from '../../../domain/notice.js';
import { beijingMinutes } from '../../../domain/time.js';
import { canonicalHouseholdId, earlierHouseholdStreamIds } from '../../../domain/vocabulary.js';

/** Namespace for allocation ids derived from (report, household, category, generation). */
const ALLOCATION_NAMESPACE = '6f1c1e52-5d0b-4c8e-9a57-3b6a0f9d2e41';

/**
 * One live allocation per (report, household, category), race-free without a lock: the n-th
 * allocation for that triple lives in a stream whose id is derived from the triple and n, and is
 * created with expected revision "no stream". Two concurrent requests derive the same stream and
 * exactly one append succeeds. Only when generation n was rejected or cancelled may n+1 exist.
 */
export const allocationIdFor = (reportId: string, householdId: string, category: string, generation: number) =>
  uuidv5(`${reportId}\u0000${householdId}\u0000${category}\u0000${generation}`, ALLOCATION_NAMESPACE);

const MAX_GENERATIONS = 1000;

async function loadAllocationInScope(deps: ApiDeps, request: FastifyRequest, id: string): Promise<Loaded<AllocationState> & { allocation: ExistingAllocation }> {
  const loaded = await deps.commands.load(streams.allocation(id), allocationDecider);
  if (!loaded.state.exists || !inScope(request, loaded.state.village)) throw notFound('allocation');
  return { ...loaded, allocation: loaded.state };
}

const reportForRelief = (report: ReportState): ReportForRelief =>
  report.exists
    ? { exists: true, village: report.village, status: report.status, verified: report.verified !== undefined, verifiedHouseholds: report.verified?.households ?? [] }
    : { exists: false, village: '', status: 'filed', verified: false, verifiedHouseholds: [] };

/**
 * The household's reservations in streams named under earlier rules — by a number as typed
 * (`007`), or by session 50's key (`hh-1`), before today's key (`7`, `hh1`;
 * `canonicalHouseholdId`, `earlierHouseholdStreamIds`): found
 * through the households projection, which folds every number in the log and keeps each typed
 * one. SPEC §3 no double relief holds across the change; those streams take no new writes. A
 * typed number whose stream was never written reads as empty.
 */
async function earlierReservations(deps: ApiDeps, village: string, key: string): Promise<Reservation[]> {
  const spellings = deps.runner.state('households').households.get(householdKey(village, key))?.spellings ?? [];
  const out: Reservation[] = [];
  const names = new Set(spellings.flatMap(earlierHouseholdStreamIds));
  names.delete(key);
  for (const name of names) out.push(...(await deps.commands.load(streams.household(village, name), householdDecider)).state.reservations);
  return out;
}

/**
 * The new allocation's review flags (the same name under another household number, a household
 * the latest 核报 left out …), said to the officer who allocates, as to the head who approves
 * (found by a newcomer: a second allocation under another number was taken in silence). They are
 * the ledger's, so the read side is waited for up to 1 s (ms as a rule); past that the answer goes
 * without them and the ledger still shows them.
 */
async function reviewOnceRead(deps: ApiDeps, allocationId: string, village: string, position: string): Promise<SaidWarning[]> {
  try {
    await deps.runner.require(position, 1000);
  } catch {
    return [];
  }
  return [...repeatSaid(deps, allocationId), ...reviewSaid(reviewWords(deps, allocationId, village), deps.runner.state('ledger').rows.get(allocationId))];
}

/**
 * A `duplicate_relief` refusal with the allocation it names as the ledger has it: the household's
 * number and name as written there, when, and how much (found by a newcomer: the answer named it by
 * a UUID only, and an officer who typed `hh.1` could not tell it had matched household `hh-1`).
 */
function withEarlierRelief(deps: ApiDeps, error: DomainError, typed: string): DomainError {
  const row = deps.runner.state('ledger').rows.get(String(error.details?.allocationId ?? ''));
  if (!row) return error;
  const details = { ...error.details, typed, household: { id: row.household.id, name: row.household.name }, cashFen: row.cashFen, allocatedAt: row.allocatedAt, status: row.status };
  return new DomainError('duplicate_relief', error.zh === undefined ? error.message : { en: error.message, zh: error.zh }, details);
}

/**
 * A repeat given with its reason (SPEC §3 `repeatReason` lifts the no-double-relief rules) said with
 * the household's other live relief of the same category: to the officer who allocates it, and to
 * the head who approves and the officer who hands it over — the second pair of eyes reads what it
 * repeats where it acts (found by a newcomer: four payments of one relief to one household, each
 * with a new reason, each approved with nothing said). Empty for an allocation that is no repeat,
 * or whose household has no other live relief of the category.
 */
function repeatSaid(deps: ApiDeps, allocationId: string): SaidWarning[] {
  const ledger = deps.runner.state('ledger');
  const row = ledger.rows.get(allocationId);
  if (!row?.repeatReason) return [];
  const ids = deps.runner.state('households').households.get(householdKey(row.village, row.household.id))?.allocations ?? [];
  const others = ids.flatMap((id) => {
    const other = id === allocationId ? undefined : ledger.rows.get(id);
    return other && other.category === row.category && isLiveRow(other) ? [other] : [];
  });
  if (others.length === 0) return [];
  const listZh = others.map((o) => `北京时间 ${beijingMinutes(o.allocatedAt)} 分配的 ${yuan(o.cashFen)} 元${o.deliveries > 0 ? '（已发放）' : ''}`).join('、');
  const listEn = others.map((o) => `${yuan(o.cashFen)} yuan allocated ${beijingMinutes(o.allocatedAt)} Beijing time${o.deliveries > 0 ? ' (delivered)' : ''}`).join(', ');
  return [
    {
      code: 'repeat_allocation',
      message: `这是重复救助（重复原因：${row.repeatReason}）：户 ${row.household.id}（${row.household.name}）另有 ${others.length} 笔${CATEGORY_LABELS[row.category]}仍有效：${listZh}。请核实确需再发`,
      en: `this is a repeat (reason: ${row.repeatReason}): household ${row.household.id} (${row.household.name}) has ${others.length} other live ${CATEGORY_LABELS_EN[row.category]} allocation(s): ${listEn}. Check that it must be given again`,
      allocations: others.map((o) => o.allocationId),
    },
  ];
}

/** An allocation's review flags (`reviewWords`) as a write's warnings (code `review`), Chinese with English beside; those a head has reviewed (on `row`) are not said again. */
const reviewSaid = (words: ReturnType<typeof reviewWords>, row: Parameters<typeof isReviewed>[1]): SaidWarning[] =>
  words.filter((f) => !isReviewed(f, row)).map(({ flag, message, en, ...data }) => ({ code: 'review', flag, message, en, ...data }));

/**
 * Each allocation as its stream and its report's stream have it now: whether it exists and holds
 * relief (live, and not on a report dismissed before anything was handed over), when it was made,
 * and the incident its report is linked to now — a link made after the reservation counts.
 */
async function reservedAllocations(deps: ApiDeps, ids: string[]): Promise<Map<string, ReservedAllocation>> {
  const out = new Map<string, ReservedAllocation>();
  const reports = new Map<string, ReportState>();
  for (const id of ids) {
    const { state } = await deps.commands.load(streams.allocation(id), allocationDecider);
    if (!state.exists) {
      out.set(id, { exists: false, live: false });
      continue;
    }
    let report = reports.get(state.reportId);
    if (!report) reports.set(state.reportId, (report = (await deps.commands.load(streams.report(state.reportId), reportDecider)).state));
    const dismissed = report.exists && report.status === 'dismissed';
    out.set(id, {
      exists: true,
      live: holdsRelief(isLive(state), dismissed, state.deliveries),
      allocatedAt: state.allocatedAt,
      incident: (report.exists ? report.incident : undefined) ?? `report:${state.reportId}`,
    });
  }
  return out;
}

export async function allocationRoutes(app: FastifyInstance, deps: ApiDeps): Promise<void> {
  const r = app.withTypeProvider<ZodTypeProvider>();

  r.post(
    '/allocations',
    {
      config: { roles: ['officer', 'head'], creates: true },
      schema: {
        tags: ['relief'],
        summary: 'Allocate relief to a verified household',
        description:
          'A repeat (repeatReason) sent again with the same contents is answered 200 with the allocation it made, not given twice. `warnings` carry the new allocation\u2019s review flags (code `review`: the same name under another household number, a household the latest 核报 left out).',
        body: AllocateBody,
        response: { 201: AllocatedAnswer, 200: AllocatedAnswer },
      },
    },
    async (request, reply) => {
      const sent = request.body;
      const { report, state: reportState, damage } = await loadReportInScope(deps, request, sent.reportId);
      // The household under the number its verification wrote (the register's `07`), however it
      // was typed here (`7号`): one household is one line of the ledger (found by a newcomer: three
      // lines, 7号, 07 and 第7户, for one family). A number the verification lacks stays as sent,
      // and the decider refuses it.
      const householdKeyId = canonicalHouseholdId(sent.household.id);
      const verifiedAs = report.verified?.households.find((h) => canonicalHouseholdId(h.householdId) === householdKeyId)?.householdId;
      const body = verifiedAs === undefined || verifiedAs === sent.household.id ? sent : { ...sent, household: { ...sent.household, id: verifiedAs } };
      const context = commandContext(request, deps.now);
      const reportStream = streams.report(body.reportId);
      // The report's rules are asked below before anything is written: on a history with a hole
      // they answered from what was left ("not verified" for a report whose verification was
      // deleted, found by a newcomer). The damage is what to say.
      if (damage) throw new DamagedStreamError(reportStream, damage.position, damage);
      // Named by the household's key, so 007, 7号 and 7 meet in one stream (SPEC §3 no double relief).
      const householdStream = streams.household(report.village, householdKeyId);
      for (let generation = 0; generation < MAX_GENERATIONS; generation++) {
        const allocationId = allocationIdFor(body.reportId, householdKeyId, body.category, generation);
        const stream = streams.allocation(allocationId);
        const existing = await deps.commands.load(stream, allocationDecider);
        if (existing.state.exists) {
          // A retry of this very request whose first attempt died after writing: its answer.
          const mine = context.idempotencyKey ? existing.keys.get(context.idempotencyKey) : undefined;
          if (mine) return reply.code(201).send({ allocationId, position: mine.position, revision: mine.revision });
          if (isLive(existing.state)) {
            // A repeat with its reason lifts both no-double-relief rules (SPEC §3), so it takes the
            // next generation — unless this very repeat is already there: a phone resending what
            // it sent is answered as the first time, never given relief twice.
            if (body.repeatReason === undefined) throw duplicate(allocationId, body.reportId);
            if (sameAllocation(existing.state as ExistingAllocation, body, request.user.sub)) return reply.code(200).send({ allocationId, position: existing.position!, revision: existing.revision });
          }
          continue;
        }
        // About to write: the report's own rules first (dismissed, not verified, a household it does
        // not name or names otherwise) — a household refused as a duplicate on a report that cannot
        // give relief at all was told to add a repeatReason that would not have helped (found by a
        // newcomer). Asked here, after a retry has found its own allocation above, so a retry is
        // answered as its first attempt was. The decider is pure; it is asked again in the append.
        allocationDecider.decide(
          { type: 'AllocateRelief', data: { allocationId, village: report.village, allocatedBy: request.user.sub, ...body }, report: reportForRelief(reportState), now: context.now },
          allocationDecider.initialState(),
        );
        // What became of the household's earlier allocations of this category, read from their own
        // streams: a rejected or cancelled one frees its slot, a delivered one does not (SPEC §3).
        const household = await deps.commands.load(householdStream, householdDecider);
        const earlier = await earlierReservations(deps, report.village, householdKeyId);
        const allocations = await reservedAllocations(deps, [...earlier, ...household.state.reservations].filter((r) => r.category === body.category).map((r) => r.allocationId));
        const data: EventData<'ReliefAllocated'> = { allocationId, village: report.village, allocatedBy: request.user.sub, ...body };
        try {
          // Three writes, each at the revision read (docs/decisions.md, "Rules across two streams"):
          // the household's reservation (no double relief, across reports), the report's claim (no
          // relief after a dismissal), then the allocation itself, within the claims' lifetime.
          const [, , allocated] = await deps.commands.executeSteps(
            [
              step(householdStream, householdDecider, (states): HouseholdCommand => {
                const r = states.get(reportStream) as ReportState;
                return {
                  type: 'ReserveRelief',
                  data: {
                    village: report.village,
                    householdId: body.household.id,
                    allocationId,
                    category: body.category,
                    // A report linked to no incident counts as its own incident (SPEC §3).
                    incident: (r.exists ? r.incident : undefined) ?? `report:${body.reportId}`,
                    reportId: body.reportId,
                    ...(body.repeatReason ? { repeatReason: body.repeatReason } : {}),
                  },
                  allocations,
                  earlier,
                  windowDays: deps.reliefWindowDays,
                  claimTtlMs: RELIEF_CLAIM_TTL_MS,
                  now: context.now,
                };
              }),
              step(reportStream, reportDecider, (): ReportCommand => ({
                type: 'ClaimRelief',
                data: { allocationId, householdId: body.household.id, category: body.category },
                now: context.now,
              })),
              step(
                stream,
                allocationDecider,
                (states): AllocationCommand => ({
                  type: 'AllocateRelief',
                  data,
                  report: reportForRelief(states.get(reportStream) as ReportState),
                  now: context.now,
                }),
                // Written within the claims' lifetime or not at all, so that a dismissal that
                // waited the claim out is never followed by this allocation.
                (states) => {
                  const r = states.get(reportStream) as ReportState;
                  const claim = r.exists ? liveReliefClaim(r, allocationId, context.now) : undefined;
                  const left = claim ? RELIEF_CLAIM_TTL_MS - (Date.parse(context.now) - Date.parse(claim.at)) : RELIEF_CLAIM_TTL_MS;
                  return Date.now() + left;
                },
              ),
            ],
            context,
          );
          const position = allocated!.position!;
          const warnings = localized(await reviewOnceRead(deps, allocationId, report.village, position), requestLanguage(request));
          return reply.code(201).send({ allocationId, position, revision: allocated!.revision, ...(warnings.length > 0 ? { warnings } : {}) });
        } catch (error) {
          // A concurrent request created this generation first: look at it again.
          if (error instanceof DomainError && error.code === 'already_exists') {
            generation--;
            continue;
          }
          if (error instanceof DomainError && error.code === 'duplicate_relief') throw withEarlierRelief(deps, error, body.household.id);
          throw error;
        }
      }
      throw new HttpError(409, 'conflict', 'too many allocations for this household and category');
    },
  );

  r.get('/allocations/:id', { config: { roles: ['contact', 'officer', 'head', 'auditor'] }, schema: { tags: ['relief'], summary: 'An allocation as it stands: approval, deliveries and what is outstanding', params: IdParams } }, async (request, reply) => {
    const { allocation, revision, damage } = await loadAllocationInScope(deps, request, request.params.id);
    const report = (await deps.commands.load(streams.report(allocation.reportId), reportDecider)).state;
    return reply
      .header('etag', `"${revision}"`)
      .send({ ...allocationView(allocation, revision, report.exists && report.status === 'dismissed'), review: reviewOfAllocation(deps, request.params.id, allocation.village, requestLanguage(request)), ...integrityOf(damage, request) });
  });

  const allocations = {
    base: '/allocations/:id',
    tag: 'relief',
    decider: allocationDecider,
    stream: streams.allocation,
    loadInScope: (request: FastifyRequest, id: string) => loadAllocationInScope(deps, request, id),
  };
  /**
   * What approval, delivery and review read once before deciding: whether the report is dismissed
   * (a dismissal racing an approval by milliseconds is a fact beside a fact, and the ledger flags
   * any relief left live on a dismissed report for review), and the allocation's review flags, with
   * the read side caught up with the log (or 503): a flag the read side has not seen yet would hold
   * nothing. The flags are read once and serve both the decision (`flags`, what holds it) and the
   * answer (`said`, those not yet reviewed, in words). Rejection and cancellation read none of it,
   * so they never wait on the read side: they are how relief is undone.
   */
  const held = async (_request: FastifyRequest, loaded: Loaded<AllocationState>): Promise<Held> => {
    const state = loaded.state;
    if (!state.exists) return { report: { dismissed: false }, flags: [], said: [] };
    const report = (await deps.commands.load(streams.report(state.reportId), reportDecider)).state;
    if (!(await deps.runner.caughtUp(2000))) throw new NotCaughtUpError();
    const words = reviewWords(deps, state.allocationId, state.village);
    return {
      report: { dismissed: report.exists && report.status === 'dismissed' },
      flags: words.flatMap((f) => heldFlag(f) ?? []),
      said: [...repeatSaid(deps, state.allocationId), ...reviewSaid(words, deps.runner.state('ledger').rows.get(state.allocationId))],
    };
  };
  // Not a contact's: its deliveries carry the recipient's confirmation (an ID number masked to its
  // first six and last four digits). The village's contact reads the public notice (SPEC §8).
  historyRoute(app, deps, allocations, 'allocationId', ['officer', 'head', 'auditor']);
  const standing = (h: Held): Standing => ({ report: h.report, flags: h.flags });
  /**
   * The allocation's review flags (the ledger's: the same name under another household number, a
   * household the latest 核报 left out, a repeat in one incident), in the answer to the head who
   * approves and the officer who hands it over: the second pair of eyes reads them where it acts
   * (found by a newcomer: one household paid three times, every flag on the ledger only).
   */
  const reviewWarnings = (_b: unknown, _id: string, h: Held): SaidWarning[] => h.said;

  commandRoute(app, deps, allocations, {
    path: 'approval',
    summary: 'Approve (a head, never the allocator); `warnings` carry the allocation\u2019s review flags (code `review`)',
    body: EmptyBody,
    roles: ['head'],
    prepare: held,
    toCommand: (_b, req, now, _state, h): AllocationCommand => ({ type: 'ApproveAllocation', data: { approvedBy: req.user.sub }, ...standing(h), now }),
    warnings: reviewWarnings,
  });
  commandRoute(app, deps, allocations, {
    path: 'rejection',
    summary: 'Reject (a head, never the allocator)',
    body: ReasonBody,
    roles: ['head'],
    toCommand: (b, req, now): AllocationCommand => ({ type: 'RejectAllocation', data: { by: req.user.sub, reason: b.reason }, now }),
  });
  commandRoute(app, deps, allocations, {
    path: 'deliveries',
    summary: 'Record a (partial) delivery with the recipient\u2019s confirmation; the same deliveryId again is the same delivery; `warnings` carry the allocation\u2019s review flags',
    body: DeliveryBody,
    roles: ['officer', 'head'],
    prepare: held,
    toCommand: (b, req, now, _state, h): AllocationCommand => ({ type: 'RecordDelivery', data: { deliveredBy: req.user.sub, ...b }, ...standing(h), now }),
    warnings: reviewWarnings,
  });
  commandRoute(app, deps, allocations, {
    path: 'review',
    summary: 'A head (never the allocator) reviews the allocation\u2019s review flags with the reason, so it can be approved and delivered; a flag raised later holds it again (SPEC §3)',
    body: ReasonBody,
    roles: ['head'],
    prepare: held,
    toCommand: (b, req, now, _state, h): AllocationCommand => ({ type: 'ReviewAllocation', data: { by: req.user.sub, reason: b.reason, flags: [...h.flags] }, now }),
  });
  commandRoute(app, deps, allocations, {
    path: 'cancellation',
    summary: 'Cancel: the whole allocation while nothing was delivered; after a delivery, the rest (what was handed over stays given, nothing more is)',
    body: ReasonBody,
    roles: ['officer', 'head'],
    toCommand: (b, req, now): AllocationCommand => ({ type: 'CancelAllocation', data: { by: req.user.sub, reason: b.reason }, now }),
  });
}

/** `Standing` as approval, delivery and review read it, with the flags not yet reviewed in words for the answer. */
type Held = Standing & { said: SaidWarning[] };

const AllocatedAnswer = z.object({ allocationId: z.uuid(), position: z.string(), revision: z.number(), warnings: z.array(WarningSchema).optional() });

/** The allocation `body` asks for, by this user, is the one `a` already holds (a resend of a repeat). */
const sameAllocation = (a: ExistingAllocation, body: z.infer<typeof AllocateBody>, by: string): boolean =>
  a.allocatedBy === by &&
  a.household.id === body.household.id &&
  a.household.name === body.household.name &&
  a.category === body.category &&
  a.fund === body.fund &&
  a.cashFen === body.cashFen &&
  a.repeatReason === body.repeatReason &&
  JSON.stringify(a.goods) === JSON.stringify(body.goods);

// The same (report, household, category) allocated again: the one-per-incident rule, met where it
// is plainest, so the answer names the report (its Chinese said 本次灾害过程, its English "this
// report"; found by a newcomer).
const duplicate = (allocationId: string, reportId: string) =>
  new HttpError(409, 'duplicate_relief', `this household already has live relief of this category from this report (${allocationId}); if it must be given again, send repeatReason saying why`, { allocationId, rule: 'one_per_incident', reportId });
