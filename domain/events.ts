import { z } from 'zod';
import {
  DamageLevel,
  canonicalGoodsUnit,
  normalizePhone,
  Fen,
  GoodsLine,
  Hazard,
  IndicatorSet,
  Instant,
  Location,
  LongText,
  PersonName,
  Phone,
  RecipientConfirmation,
  ReliefCategory,
  ReviewFlagCode,
  Role,
  Scope,
  ShortText,
  UnitCode,
  UserId,
} from './vocabulary.js';

/** An alert recipient: a user id, or a role audience `head@620423101` (every head of exactly that scope). */
export const Recipient = z.string().min(1).max(160);

export const Household = z.strictObject({ householdId: z.string().trim().min(1).max(64), name: PersonName, damage: DamageLevel, people: z.int().nonnegative().max(1000) });
export type Household = z.infer<typeof Household>;

/** The escalation policy as it stood when an alert was raised: copied into the event (SPEC §5). */
export const EscalationPolicy = z.strictObject({
  delayMs: z.int().positive(),
  steps: z.array(z.array(Recipient)).min(1),
});
export type EscalationPolicy = z.infer<typeof EscalationPolicy>;

const StatutoryClock = z.enum(['initial', 'daily', 'final']);
const Sha256Hex = z.string().regex(/^[0-9a-f]{64}$/, 'a SHA-256 in hex');

/**
 * Every event type and its data schema (SPEC §3). This catalog is what the stores, the
 * projections and the API validate against: an event type not here, or data that fails its
 * schema, is never appended.
 */
export const EVENT_SCHEMAS = {
  // report-{reportId}
  ReportFiled: z.strictObject({
    reportId: z.uuid(),
    village: UnitCode,
    group: z.string().trim().min(1).max(100).optional(),
    hazard: Hazard,
    observedAt: Instant,
    location: Location.optional(),
    directions: LongText.optional(),
    reporter: z.strictObject({ id: UserId, name: PersonName, phone: Phone }),
    estimate: IndicatorSet,
    notes: LongText.optional(),
    /**
     * The phone's observedAt was ahead of the server's clock, or a year or more behind it (a reset
     * clock): stored as sent, and flagged (SPEC §3). Alerts and statutory clocks run on the
     * server's time of filing.
     */
    clockSuspect: z.literal(true).optional(),
  }),
  ReportAmended: z.strictObject({
    estimate: IndicatorSet.optional(),
    directions: LongText.optional(),
    location: Location.optional(),
    notes: LongText.optional(),
    /**
     * Why `location` could not be where the report is, judged by the decider against the
     * register's nearest centre when it was written (domain/location.ts locationSuspicion); absent
     * when it could. A suspect point never replaces the point the report has (SPEC §5: an officer
     * is not sent guessing): a phone with a stale fix 80 km away sent the officers to the
     * village's centre, throwing away a good point (found by a newcomer). Version 2.
     */
    locationSuspect: z
      .strictObject({
        problem: z.enum(['no_fix', 'outside_country', 'far_from_village', 'in_other_township']),
        distanceKm: z.number().nonnegative().nullable(),
        centreOf: z.enum(['village', 'township', 'county']).nullable(),
        /** in_other_township (version 3): the nearer unit of another township. */
        nearer: z.strictObject({ code: UnitCode, name: z.string().max(200), distanceKm: z.number().nonnegative() }).optional(),
      })
      .optional(),
  }),
  AlertRaised: z.strictObject({
    step: z.int().nonnegative(),
    recipients: z.array(Recipient),
    /** reopened: the acknowledgement through a related report lapsed (AlertReopened), and the alert starts again. */
    reason: z.enum(['filed', 'unacknowledged', 'reopened']),
    policy: EscalationPolicy,
    /** Earlier reports of the same hazard in the same village within the window, named in the same alert. */
    related: z.array(z.uuid()).optional(),
    /**
     * The policy's step whose recipients this alert goes to, when it is not `step`: after a reopening
     * the alert starts again from the policy's first step while `step` keeps counting (SPEC §5).
     */
    tier: z.int().nonnegative().optional(),
  }),
  AlertAcknowledged: z.strictObject({
    by: UserId,
    /** Acknowledged through a related report: whoever answered that one was told of this one (SPEC §5). */
    via: z.uuid().optional(),
  }),
  /**
   * An acknowledgement counted through a related report no longer stands (SPEC §5): that report was
   * dismissed, so nobody is on the way for this one; or this one now says something graver than it
   * (people dead, missing, injured, more affected), so it is alerted as new; or the person it named
   * can no longer be reached (`answerer_gone`: every grant they held for the township revoked or
   * expired). Written by the alerting policy; `answeredBy` is who the lapsed acknowledgement named.
   */
  AlertReopened: z.strictObject({
    via: z.uuid(),
    because: z.enum(['via_dismissed', 'graver', 'answerer_gone']),
    answeredBy: UserId,
  }),
  OfficerDispatched: z.strictObject({ officer: UserId, eta: Instant.optional() }),
  OfficerArrived: z.strictObject({ officer: UserId, location: Location.optional() }),
  DamageVerified: z.strictObject({
    verifier: UserId,
    figures: IndicatorSet,
    households: z.array(Household).max(5000),
    method: z.string().trim().min(1).max(200),
    notes: LongText.optional(),
    /**
     * The figures in `figures` the officer left out and the decider filled in, as the least the
     * household list and the figures given make them (domain/report.ts completedFigures); absent
     * when none. Version 2: a v1 verification reads as it is, its left-out figures left out.
     */
    filledIn: z.array(z.enum(['affectedPeople', 'roomsCollapsed', 'roomsSeverelyDamaged', 'roomsModeratelyDamaged'])).optional(),
  }),
  ReportDismissed: z.strictObject({
    reason: z.enum(['duplicate', 'false_alarm', 'out_of_scope']),
    duplicateOf: z.uuid().optional(),
    notes: LongText.optional(),
  }),
  ReportClosed: z.strictObject({ summary: LongText }),
  /**
   * Guards (docs/decisions.md, "Rules across two streams"): the report's side of a fact recorded
   * in another stream, written first and at the revision the decision read, so that a rule the
   * report owns (one incident per report; no relief after a dismissal) holds under concurrency.
   */
  IncidentLinkClaimed: z.strictObject({ incidentId: z.uuid() }),
  IncidentLinkReleased: z.strictObject({ incidentId: z.uuid() }),
  ReliefClaimed: z.strictObject({ allocationId: z.uuid(), householdId: z.string().trim().min(1).max(64), category: ReliefCategory }),

  // report-{reportId}: reaching a sleeping phone (SPEC §5)
  /** The device of `by` confirmed receipt of the alert frame of `step` (the gateway records it). */
  AlertReceived: z.strictObject({ step: z.int().nonnegative(), by: UserId }),
  /**
   * An attempt at one message of one alert step to one person, written before the provider is
   * called: a message is never sent twice, and one whose attempt died with its process is found
   * again (docs/decisions.md).
   */
  NotificationAttempted: z.strictObject({
    /** `{step}/{channel}/{to}`. */
    id: z.string().min(1).max(200),
    step: z.int().nonnegative(),
    to: UserId,
    channel: z.enum(['sms', 'voice']),
    phone: Phone,
    provider: z.string().min(1).max(40),
    attempt: z.int().positive(),
    leaseUntil: Instant,
  }),
  /** The provider took the message: its id (Alibaba BizId or CallId, Tencent SerialNo or CallId). */
  NotificationSent: z.strictObject({
    id: z.string().min(1).max(200),
    attempt: z.int().positive(),
    messageId: z.string().min(1).max(200),
    /** Found by asking the provider after an attempt whose answer was never recorded. */
    recovered: z.literal(true).optional(),
  }),
  /** The provider refused or did not answer; `final` when no attempt follows. */
  NotificationFailed: z.strictObject({
    id: z.string().min(1).max(200),
    attempt: z.int().positive(),
    code: z.string().min(1).max(100),
    message: z.string().max(500),
    final: z.boolean(),
  }),
  /** The provider's delivery receipt: whether the phone got it, as the carrier reported. */
  NotificationDelivered: z.strictObject({
    id: z.string().min(1).max(200),
    delivered: z.boolean(),
    code: z.string().max(100),
    reportedAt: Instant,
  }),

  // allocation-{allocationId}
  ReliefAllocated: z.strictObject({
    allocationId: z.uuid(),
    reportId: z.uuid(),
    village: UnitCode,
    household: z.strictObject({ id: z.string().trim().min(1).max(64), name: PersonName }),
    category: ReliefCategory,
    cashFen: Fen,
    goods: z.array(GoodsLine).max(50),
    fund: z.string().trim().min(1).max(64),
    allocatedBy: UserId,
    /** Why a second relief of this category is given anyway (SPEC §3); lifts the no-double-relief rules. */
    repeatReason: ShortText.min(1).optional(),
  }),
  AllocationApproved: z.strictObject({ approvedBy: UserId }),
  AllocationRejected: z.strictObject({ by: UserId, reason: ShortText.min(1) }),
  GoodsDelivered: z.strictObject({
    /** Chosen by the client: the same delivery sent again is one delivery (SPEC §3). */
    deliveryId: z.uuid(),
    deliveredBy: UserId,
    cashFen: Fen,
    goods: z.array(GoodsLine).max(50),
    confirmation: RecipientConfirmation,
  }),
  AllocationCancelled: z.strictObject({ by: UserId, reason: ShortText.min(1) }),
  /**
   * A head looked at the allocation's review flags and lets it go on (SPEC §3 review): each flag
   * with what it named — the other allocations (duplicate_in_incident), the other household
   * numbers (same_name_other_household). A flag that names anything more holds it again.
   */
  AllocationReviewed: z.strictObject({
    by: UserId,
    reason: ShortText.min(1),
    flags: z.array(z.strictObject({ flag: ReviewFlagCode, with: z.array(z.string().min(1).max(64)).max(100) })).min(1).max(20),
  }),

  // household-{village}-{householdId}: the household's side of every allocation (SPEC §3 no double relief)
  ReliefReserved: z.strictObject({
    village: UnitCode,
    householdId: z.string().trim().min(1).max(64),
    allocationId: z.uuid(),
    category: ReliefCategory,
    /** The incident it counts in: an incident id, or `report:{reportId}` for a report linked to none. */
    incident: z.string().min(1).max(80),
    reportId: z.uuid(),
    repeatReason: ShortText.min(1).optional(),
  }),

  // incident-{incidentId}
  IncidentOpened: z.strictObject({
    incidentId: z.uuid(),
    county: UnitCode,
    hazard: Hazard,
    startedAt: Instant,
    title: z.string().trim().min(1).max(200),
  }),
  ReportLinked: z.strictObject({ reportId: z.uuid() }),
  ReportUnlinked: z.strictObject({ reportId: z.uuid() }),
  FiguresSubmitted: z.strictObject({
    stage: z.enum(['initial', 'daily', 'final']),
    figures: IndicatorSet,
    asOf: Instant,
    notes: LongText.optional(),
    explanation: LongText.optional(),
    /** The latest seal as sent (`root@upTo`): the receiving office holds a copy of the history's fingerprint (SPEC §8). */
    sealAnchor: z.string().regex(/^[0-9a-f]{64}@\d{1,20}$/).optional(),
    /** v3 (issue 16): the whole submission, not only its total — each township's figures, */
    townships: z.array(z.strictObject({ unit: UnitCode, figures: IndicatorSet })).max(1000).optional(),
    /** the relief-work form's figures (cash in integer fen, goods in their units), */
    relief: z
      .strictObject({
        allocations: z.int().nonnegative(),
        households: z.int().nonnegative(),
        householdsReached: z.int().nonnegative(),
        cashAllocatedFen: z.int().nonnegative(),
        cashApprovedFen: z.int().nonnegative(),
        cashDeliveredFen: z.int().nonnegative(),
        goodsDelivered: z.array(z.strictObject({ item: z.string().max(100), quantity: z.number().nonnegative(), unit: z.string().max(20) })).max(1000),
      })
      .optional(),
    /** at `final`, the households of the roster (因灾倒塌损坏住房户台账) by village and number, */
    roster: z.array(z.strictObject({ village: UnitCode, householdId: z.string().trim().min(1).max(64) })).max(100_000).optional(),
    /**
     * and where the figures came from: the draft as computed at `position`, or typed by hand —
     * then what differs from the draft of that moment, so an auditor sees what was changed by hand.
     */
    source: z
      .discriminatedUnion('kind', [
        z.strictObject({ kind: z.literal('draft'), position: z.string().max(64) }),
        z.strictObject({
          kind: z.literal('hand'),
          draftPosition: z.string().max(64).nullable(),
          differences: z.array(z.strictObject({ indicator: z.string().max(40), draft: z.number(), submitted: z.number() })).max(100),
        }),
      ])
      .optional(),
    /**
     * v4: sent while the node's last verification had found the log changed behind its back — how
     * many problems, and when that check finished — so an auditor sees which figures went upward
     * from a log known to be broken. Absent: it was whole, or not yet checked.
     */
    logBroken: z.strictObject({ problems: z.int().positive(), checkedAt: Instant }).optional(),
  }),
  IncidentStabilized: z.strictObject({ at: Instant }),
  IncidentClosed: z.strictObject({ summary: LongText }),
  /** A statutory clock ran out and the county's heads were alerted; once per clock per due time. */
  StatutoryClockAlerted: z.strictObject({ clock: StatutoryClock, dueAt: Instant, recipients: z.array(Recipient) }),

  // roster-{townshipCode}
  OnCallAssigned: z.strictObject({
    township: UnitCode,
    officer: UserId,
    tier: z.enum(['primary', 'backup']),
    from: Instant.optional(),
    until: Instant.optional(),
  }),
  OnCallReleased: z.strictObject({ township: UnitCode, officer: UserId }),

  // units
  UnitRegistered: z.strictObject({
    code: UnitCode,
    name: z.string().trim().min(1).max(100),
    level: z.enum(['province', 'city', 'county', 'township', 'village']),
    parent: UnitCode.optional(),
    centre: Location.optional(),
    accessNotes: LongText.optional(),
    phones: z.array(Phone).max(20).optional(),
    /** The township office's complaint line, printed on the public notice (SPEC §8). */
    complaintPhone: Phone.optional(),
  }),
  /** A field given as `null` is cleared (SPEC §4 PATCH /units). */
  UnitUpdated: z.strictObject({
    code: UnitCode,
    name: z.string().trim().min(1).max(100).optional(),
    centre: Location.nullable().optional(),
    accessNotes: LongText.nullable().optional(),
    phones: z.array(Phone).max(20).nullable().optional(),
    complaintPhone: Phone.nullable().optional(),
  }),

  // idempotency-{key}: what a request sent with an Idempotency-Key did (SPEC §3)
  IdempotencyKeyClaimed: z.strictObject({
    /** `POST /reports/:id/acknowledgements`: the route pattern, never the key or the URL. */
    route: z.string().min(1).max(200),
    /** SHA-256 of the canonical JSON of the request's parameters and body. */
    requestHash: z.string().regex(/^[0-9a-f]{64}$/),
    /** After this instant an unfinished claim is taken to have died with its process. */
    leaseUntil: Instant,
  }),
  IdempotencyKeyCompleted: z.strictObject({ status: z.int().min(200).max(499), response: z.json() }),
  /** The request failed in a way a retry may not (503, a lost race): the key is free again. */
  IdempotencyKeyReleased: z.strictObject({ status: z.int().min(200).max(599) }),

  // access: who holds access (SPEC §2). Never the token itself: a log line of the access stream
  // read by an auditor must not be a credential.
  AccessGranted: z.strictObject({
    /** The token's id (`jti`): what a revocation names. */
    jti: z.uuid(),
    sub: UserId,
    role: Role,
    scope: Scope,
    /** The token's `iat` and `exp`, whole seconds. */
    issuedAt: Instant,
    exp: Instant,
    /** `admin-zhang`, or `cli:USER` for a token issued on the server's machine. */
    issuedBy: z.string().min(1).max(160),
    /** The holder's name and phone: how alerts reach them by SMS and voice, and how an inbound SMS is known to be theirs (SPEC §5). */
    name: PersonName.optional(),
    phone: Phone.optional(),
  }),
  /**
   * Access taken back: one token (`jti`) or every token granted to `sub` before this event, in
   * either case only tokens whose scope lies within `within` (the revoker's scope: a head revokes
   * within their township, never beyond it).
   */
  AccessRevoked: z.strictObject({
    sub: UserId.optional(),
    jti: z.uuid().optional(),
    reason: z.string().trim().min(1).max(500),
    within: Scope,
    revokedBy: z.string().min(1).max(160),
    /**
     * v2 (session 33): the scopes of the grants it took back, so the auditors of the holder's
     * units read it — an admin's revocation is `within` the province, and a county auditor's
     * export left it out, showing a grant never revoked (found by a newcomer).
     */
    scopes: z.array(Scope).max(1000).optional(),
  }),

  // inbound-{id}: an SMS a contact sent to the office's number (SPEC §5), kept whatever it says
  SmsReceived: z.strictObject({
    provider: z.string().min(1).max(40),
    /** The provider's id of the message: the stream is derived from it, so a callback sent again is one message. */
    messageId: z.string().min(1).max(200),
    from: Phone,
    text: z.string().max(1000),
    receivedAt: Instant,
    /** The registered contact who sent it, when the number is one. */
    sender: UserId.optional(),
    village: UnitCode.optional(),
    outcome: z.enum(['filed', 'unparsed', 'unknown_sender']),
    reportId: z.uuid().optional(),
    /** Why it could not be filed, for the officers who read it. */
    problem: z.string().max(200).optional(),
  }),
  /** The answer to the sender (the report number, or what to do instead). */
  SmsAnswered: z.strictObject({ ok: z.boolean(), messageId: z.string().max(200).optional(), code: z.string().max(100).optional() }),

  // audit
  AuditSealed: z.strictObject({
    /** The log as of this position (inclusive) is what the seal covers. */
    upTo: z.string().min(1).max(64),
    /** How many streams the log held as of `upTo` (the seal's own stream `audit` not counted). */
    streams: z.int().nonnegative(),
    /** RFC 6962 Merkle tree hash over every stream's head as of `upTo`, streams in name order (docs/audit.md). */
    root: Sha256Hex,
    /** The previous seal's root; null for the first seal: the seals chain to each other. */
    previousSeal: Sha256Hex.nullable(),
    /** The heads of the streams that changed since the previous seal, with the unit each belongs to. */
    heads: z.array(z.strictObject({ stream: z.string().min(1).max(200), unit: z.string().max(12).nullable(), revision: z.int().nonnegative(), hash: Sha256Hex })),
    /** Ed25519 over the canonical JSON of this data without `signature` (docs/audit.md); absent when no key is configured. */
    keyId: z.string().regex(/^[0-9a-f]{16}$/).optional(),
    signature: z.string().max(200).optional(),
  }),
} as const;

export type EventType = keyof typeof EVENT_SCHEMAS;
export const EVENT_TYPES = Object.keys(EVENT_SCHEMAS) as EventType[];
export type EventData<T extends EventType> = z.infer<(typeof EVENT_SCHEMAS)[T]>;

/** A domain event as deciders produce it; metadata is added when it is appended. */
export type DomainEvent = { [T in EventType]: { type: T; data: EventData<T> } }[EventType];
export type EventOf<T extends EventType> = Extract<DomainEvent, { type: T }>;

/**
 * Bumped when an event's data schema changes shape; `upcast` turns older versions into the
 * current one as they are read, so nothing stored is ever rewritten. tests/domain/events.test.ts
 * keeps a fingerprint of every schema and fails when one changes without its version.
 */
export const SCHEMA_VERSION: Record<EventType, number> = {
  ...(Object.fromEntries(EVENT_TYPES.map((t) => [t, 1])) as Record<EventType, number>),
  // 2: phones as digits; clockSuspect (issue 12).
  ReportFiled: 2,
  // 2: locationSuspect (session 53), optional: a v1 amendment reads as it is, judged by its point alone.
  // 3: locationSuspect in_other_township, with nearer (session 55), additions: a v2 amendment reads as it is.
  ReportAmended: 3,
  // 2: filledIn (session 54), optional: a v1 verification reads as it is.
  DamageVerified: 2,
  // 2: via (issue 12).
  AlertAcknowledged: 2,
  // 2: reason reopened, tier (session 55), both additions: a v1 alert reads as it is.
  AlertRaised: 2,
  // 2: phones as digits; complaintPhone; UnitUpdated clears with null (issue 12).
  UnitRegistered: 2,
  UnitUpdated: 2,
  // 2: goods units from the vocabulary, canonical (issue 10). 3: repeatReason, optional (issue 11).
  ReliefAllocated: 3,
  // 2: deliveryId, required, so a delivery sent again is one delivery (issue 9 B).
  // 3: goods units from the vocabulary, canonical (issue 10).
  GoodsDelivered: 3,
  // 2: sealAnchor (issue 14), optional: version 1 reads as it is.
  // 3: townships, relief, roster, source (issue 16), all optional: a v2 event reads as it is.
  // 4: logBroken (session 48), optional: a v3 event reads as it is.
  FiguresSubmitted: 4,
  // 2: previousSeal, heads, signature (issue 14); no version 1 seal was ever written.
  AuditSealed: 2,
  // 2: scopes (session 33), optional: a v1 revocation reads as it is, placed by `within` alone.
  AccessRevoked: 2,
};

/**
 * An event's data as the current schema has it, from the version it was written at. Pure.
 * GoodsDelivered v1 had no deliveryId: each such delivery was one delivery, so its event id is
 * its delivery id.
 */
export function upcast(type: string, version: number, data: unknown, eventId: string): unknown {
  let out = data;
  if (type === 'GoodsDelivered' && version < 2) out = { deliveryId: eventId, ...(out as object) };
  // Goods written before the vocabulary: a synonym becomes its canonical unit; a unit outside the
  // vocabulary stays as written (and the event then fails the catalog where it is checked).
  // Phones written before they were stored as digits (0939-0000103) are normalized.
  if (type === 'ReportFiled' && version < 2) {
    const filed = out as { reporter: { phone: string } };
    out = { ...filed, reporter: { ...filed.reporter, phone: normalizePhone(filed.reporter.phone) } };
  }
  if ((type === 'UnitRegistered' || type === 'UnitUpdated') && version < 2) {
    const unit = out as { phones?: string[] };
    if (unit.phones) out = { ...unit, phones: unit.phones.map(normalizePhone) };
  }
  if (type === 'AuditSealed' && version < 2) out = { previousSeal: null, heads: [], ...(out as object) };
  if ((type === 'GoodsDelivered' && version < 3) || (type === 'ReliefAllocated' && version < 2)) {
    const goods = (out as { goods?: Array<{ unit: string }> }).goods ?? [];
    out = { ...(out as object), goods: goods.map((g) => ({ ...g, unit: canonicalGoodsUnit(g.unit) ?? g.unit })) };
  }
  return out;
}

export const isEventType = (type: string): type is EventType => Object.hasOwn(EVENT_SCHEMAS, type);

/** Validates an event against the catalog; throws a ZodError naming the bad field. */
export function parseEvent(type: string, data: unknown): DomainEvent {
  if (!isEventType(type)) throw new TypeError(`unknown event type: ${type}`);
  return { type, data: EVENT_SCHEMAS[type].parse(data) } as DomainEvent;
}

/** Stream names: built here and parsed here (`parseStream`), nowhere else. */
export const streams = {
  report: (id: string) => `report-${id}`,
  allocation: (id: string) => `allocation-${id}`,
  incident: (id: string) => `incident-${id}`,
  roster: (township: string) => `roster-${township}`,
  /** One per Idempotency-Key (user, route, key), created with expected `no_stream` (SPEC §3). */
  idempotency: (id: string) => `idempotency-${id}`,
  /** One per household: its village code, then its household number. */
  household: (village: string, householdId: string) => `household-${village}-${householdId}`,
  /** One per inbound SMS, its id derived from the provider's message id. */
  inbound: (id: string) => `inbound-${id}`,
  units: 'units',
  /** Every grant and revocation of access, in one stream: a revocation by `sub` is decided after every grant before it. */
  access: 'access',
  audit: 'audit',
} as const;

export type StreamKind = Exclude<keyof typeof streams, 'units' | 'access' | 'audit'> | 'units' | 'access' | 'audit';

/** The kind of stream each event type is written to: an event anywhere else is not one zhitong wrote. */
export const EVENT_STREAM: Record<EventType, StreamKind> = {
  ReportFiled: 'report',
  ReportAmended: 'report',
  AlertRaised: 'report',
  AlertAcknowledged: 'report',
  AlertReopened: 'report',
  OfficerDispatched: 'report',
  OfficerArrived: 'report',
  DamageVerified: 'report',
  ReportDismissed: 'report',
  ReportClosed: 'report',
  IncidentLinkClaimed: 'report',
  IncidentLinkReleased: 'report',
  ReliefClaimed: 'report',
  AlertReceived: 'report',
  NotificationAttempted: 'report',
  NotificationSent: 'report',
  NotificationFailed: 'report',
  NotificationDelivered: 'report',
  SmsReceived: 'inbound',
  SmsAnswered: 'inbound',
  ReliefReserved: 'household',
  ReliefAllocated: 'allocation',
  AllocationApproved: 'allocation',
  AllocationRejected: 'allocation',
  GoodsDelivered: 'allocation',
  AllocationCancelled: 'allocation',
  AllocationReviewed: 'allocation',
  IncidentOpened: 'incident',
  ReportLinked: 'incident',
  ReportUnlinked: 'incident',
  FiguresSubmitted: 'incident',
  IncidentStabilized: 'incident',
  IncidentClosed: 'incident',
  StatutoryClockAlerted: 'incident',
  OnCallAssigned: 'roster',
  OnCallReleased: 'roster',
  UnitRegistered: 'units',
  UnitUpdated: 'units',
  IdempotencyKeyClaimed: 'idempotency',
  IdempotencyKeyCompleted: 'idempotency',
  IdempotencyKeyReleased: 'idempotency',
  AccessGranted: 'access',
  AccessRevoked: 'access',
  AuditSealed: 'audit',
};
const PREFIXED = ['report', 'allocation', 'incident', 'roster', 'idempotency', 'household', 'inbound'] as const;

/** The kind of a stream and the id in its name; undefined for a name zhitong does not write. */
export function parseStream(name: string): { kind: StreamKind; id: string } | undefined {
  if (name === streams.units) return { kind: 'units', id: '' };
  if (name === streams.audit) return { kind: 'audit', id: '' };
  if (name === streams.access) return { kind: 'access', id: '' };
  const dash = name.indexOf('-');
  if (dash < 0) return undefined;
  const kind = name.slice(0, dash);
  return (PREFIXED as readonly string[]).includes(kind) ? { kind: kind as StreamKind, id: name.slice(dash + 1) } : undefined;
}

/** What a stream name of each kind starts with (from PREFIXED); the single-stream kinds are their whole name. */
const STREAM_PREFIX = Object.fromEntries([
  ...PREFIXED.map((kind) => [kind, `${kind}-`]),
  ['units', streams.units],
  ['access', streams.access],
  ['audit', streams.audit],
]) as Record<StreamKind, string>;

/**
 * The id in a stream name of `kind` ('' for `units`, `access`, `audit`), or undefined when the
 * stream is of another kind. The same answer as `parseStream`'s when its kind is `kind`, without
 * building the pair: the read side asks this once per event of a replay (docs/decisions.md,
 * "Performance: where we stand").
 */
export function streamId(name: string, kind: StreamKind): string | undefined {
  const prefix = STREAM_PREFIX[kind];
  if (!prefix.endsWith('-')) return name === prefix ? '' : undefined;
  return name.startsWith(prefix) ? name.slice(prefix.length) : undefined;
}
