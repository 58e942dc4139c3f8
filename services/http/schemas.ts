import { z } from 'zod';
import { EVENT_SCHEMAS, Household } from '../../domain/events.js';
import {
  CashFen,
  GoodsLine,
  mergedGoodsLines,
  HouseholdId,
  GoodsLineInput,
  HazardInput,
  IndicatorInput,
  LocalInstant,
  CallbackPhoneInput,
  Location,
  LongText,
  PersonName,
  RecipientConfirmation,
  maskIdNumbers,
  ShortText,
  UserId,
  CONFIRMATION_METHODS,
  DAMAGE_LEVELS,
  RELIEF_CATEGORIES,
} from '../../domain/vocabulary.js';
import { CATEGORY_LABELS } from '../../domain/notice.js';
import { scopePrefix, scopeUnit, unitLevel } from '../../domain/units.js';

/** Request shapes of SPEC §4. Field names are the contract; unknown fields are rejected. */

/**
 * A unit as a request names it: the 12-digit code or its significant prefix (SPEC §4: every
 * `?unit=` and `{code}` takes either), as the 12-digit code.
 */
/**
 * An id a client sends (a report, allocation, delivery, incident, token): a UUID, compared by
 * value, so `0E9B…` and `0e9b…` are the same report — kept lower-case, as EventStoreDB prints them
 * and every stream name is built (docs/decisions.md, "What each store guarantees"). The nil and max
 * UUIDs name nothing and EventStoreDB cannot store them.
 */
export const Id = z
  .uuid()
  .refine((id) => !/^(0{8}-0{4}-0{4}-0{4}-0{12}|f{8}-f{4}-f{4}-f{4}-f{12})$/i.test(id), 'must not be the nil or max UUID')
  .overwrite((id) => id.toLowerCase());

/** A unit code as a person types it: full-width digits (６２１２…) and spaces folded (found by a newcomer: refused). */
const foldCode = (s: string) => s.normalize('NFKC').replace(/\s+/gu, '');

export const UnitRef = z
  .string()
  .refine((s) => scopePrefix(foldCode(s)) !== undefined, 'must be a 12-digit division code or its significant prefix')
  .transform((s) => scopeUnit(foldCode(s))!);

/**
 * A village named in a path (a household's, a notice's — SPEC §2): its 12-digit code, or that
 * code's significant prefix, whose village part is not 000. A township's code is a bad field,
 * refused before scope is considered: a contact who sends their township's code is told what a
 * village code looks like, not that it is outside their scope. (A filing's `village` is the
 * report decider's to refuse, as 422 `not_a_village` naming the unit's level and name.)
 */
export const VillageRef = UnitRef.refine((code) => unitLevel(code) === 'village', 'must be a village: a 12-digit code whose last three digits are not 000');

/**
 * What a village phone sends is taken as meant (SPEC §4): a hazard's Chinese label, a phone with
 * spaces, brackets, +86 or full-width digits, a time without an offset (Beijing time), a village
 * by its significant prefix.
 */
/**
 * A point as a phone sends it: any two numbers. One outside the ranges (latitude ±90, longitude
 * ±180: a fix with its two numbers swapped, most often) is no place, but the report it comes with
 * must not be lost for it (found by a newcomer: the whole filing refused 400): the route files it
 * without the point and says so (`usablePoint`, location_unusable).
 */
export const LocationInput = z.strictObject({ lat: z.number(), lon: z.number() });

/** `point` when it is a place (domain Location's ranges), else undefined. */
export const usablePoint = (point: { lat: number; lon: number } | undefined): { lat: number; lon: number } | undefined =>
  point !== undefined && Location.safeParse(point).success ? point : undefined;

export const FileReportBody = z.strictObject({
  reportId: Id.optional(),
  village: UnitRef,
  group: z.string().trim().min(1).max(100).optional(),
  hazard: HazardInput,
  observedAt: LocalInstant,
  location: LocationInput.optional(),
  directions: LongText.optional(),
  reporter: z.strictObject({ name: PersonName, phone: CallbackPhoneInput }),
  estimate: IndicatorInput.optional(),
  notes: LongText.optional(),
});

/**
 * A 续报's notes or directions of blanks alone (spaces, an ideographic space, nothing) say nothing:
 * taken as absent, so they neither replace the news before them nor wake the officers with an
 * empty update (found by a newcomer: "  " hid "发现一名遇难者"). With nothing else sent, the
 * amendment changes nothing and is refused, naming what it may change.
 */
export const AmendReportBody = EVENT_SCHEMAS.ReportAmended.omit({ locationSuspect: true }).extend({ estimate: IndicatorInput.optional(), location: LocationInput.optional() }).transform(({ notes, directions, ...rest }) => ({
  ...rest,
  ...(notes !== undefined && notes.trim() !== '' ? { notes } : {}),
  ...(directions !== undefined && directions.trim() !== '' ? { directions } : {}),
})).refine((b) => Object.values(b).some((v) => v !== undefined), 'an amendment changes at least one of estimate, directions, location, notes');
/** Bodies a client may leave out entirely (no content at all, or `{}`). */
export const EmptyBody = z.strictObject({}).nullish();
export const DispatchBody = z.strictObject({ eta: LocalInstant.optional() }).nullish();
export const ArrivalBody = z.strictObject({ location: LocationInput.optional() }).nullish();
/**
 * A code, or the words an office writes for it (as a hazard or a dismissal's reason may be given):
 * found by a newcomer, 倒塌, 住房 and 签字 were refused while 滑坡 and 误报 were taken.
 */
function codeOrWords<T extends string>(codes: readonly T[], words: ReadonlyArray<readonly [string, T]>, describe: string) {
  const byWord = new Map(words);
  return z
    .string()
    .trim()
    .transform((text, ctx) => {
      const code = (codes as readonly string[]).includes(text) ? (text as T) : byWord.get(text);
      if (code === undefined) {
        ctx.addIssue({ code: 'custom', message: `must be one of ${codes.join(', ')} or ${[...byWord.keys()].join('、')}` });
        return z.NEVER;
      }
      return code;
    })
    .describe(describe);
}
const DamageInput = codeOrWords(
  DAMAGE_LEVELS,
  [['倒塌', 'collapsed'], ['严重损坏', 'severe'], ['一般损坏', 'moderate'], ['未损坏', 'none'], ['无损坏', 'none']],
  'collapsed, severe, moderate or none; or in words: 倒塌, 严重损坏, 一般损坏, 未损坏 (无损坏)',
);
const CategoryInput = codeOrWords(
  RELIEF_CATEGORIES,
  [...RELIEF_CATEGORIES.map((c) => [CATEGORY_LABELS[c], c] as const), ['住房', 'housing'], ['医疗', 'medical'], ['冬春', 'winter'], ['其他', 'other']],
  'emergency_living, housing, medical, winter or other; or as the notice names them (应急期生活救助 …), or 住房, 医疗, 冬春, 其他',
);
const MethodInput = codeOrWords(
  CONFIRMATION_METHODS,
  [['签字', 'signature'], ['签名', 'signature'], ['手印', 'thumbprint'], ['按手印', 'thumbprint'], ['身份证', 'id_check'], ['身份证核验', 'id_check']],
  'signature, thumbprint or id_check; or in words: 签字 (签名), 手印 (按手印), 身份证 (身份证核验)',
);

export const VerifyBody = z.strictObject({
  figures: IndicatorInput,
  households: z.array(Household.extend({ householdId: HouseholdId, damage: DamageInput })).max(5000),
  method: z.string().trim().min(1).max(200),
  notes: LongText.optional(),
});
/**
 * Why a report is dismissed, as a code or in the words an officer uses (重复上报 or 重复, 误报,
 * 不属本辖区), as a hazard may be given in Chinese (found by a newcomer: the labels were refused).
 */
const DISMISSAL_REASON_BY_LABEL = new Map<string, 'duplicate' | 'false_alarm' | 'out_of_scope'>([
  ['重复上报', 'duplicate'],
  ['重复', 'duplicate'],
  ['误报', 'false_alarm'],
  ['不属本辖区', 'out_of_scope'],
]);
const DismissalReasonInput = z
  .string()
  .trim()
  .transform((text, ctx) => {
    const reason = EVENT_SCHEMAS.ReportDismissed.shape.reason.safeParse(text).data ?? DISMISSAL_REASON_BY_LABEL.get(text);
    if (reason === undefined) {
      ctx.addIssue({ code: 'custom', message: `must be one of duplicate, false_alarm, out_of_scope or ${[...DISMISSAL_REASON_BY_LABEL.keys()].join('、')}` });
      return z.NEVER;
    }
    return reason;
  })
  .describe('duplicate, false_alarm or out_of_scope; or in words: 重复上报 (重复), 误报, 不属本辖区');
// The original's id as any UUID is written, capitals too (found by a newcomer: refused), kept in lower case.
export const DismissBody = EVENT_SCHEMAS.ReportDismissed.extend({ reason: DismissalReasonInput, duplicateOf: Id.optional() });
export const CloseBody = z.strictObject({ summary: LongText.trim().min(1) });

export const AllocateBody = z.strictObject({
  reportId: Id,
  household: z.strictObject({ id: HouseholdId, name: PersonName }),
  category: CategoryInput,
  cashFen: CashFen,
  // One line per item and unit, however often the phone listed it (the merged line checked again: it may now be too large).
  goods: z.array(GoodsLineInput).max(50).transform(mergedGoodsLines).pipe(z.array(GoodsLine)),
  fund: z.string().trim().min(1).max(64),
  /** Why a second relief of this category is given anyway (SPEC §3): lifts the no-double-relief rules. */
  repeatReason: ShortText.trim().min(1).optional(),
});
// Trimmed: a reason of spaces says nothing (found by a newcomer: "   " recorded as a review's reason).
export const ReasonBody = z.strictObject({ reason: ShortText.trim().min(1) });
/**
 * How the recipient confirmed, as an officer sends it: a resident ID number in the reference is
 * kept as its first six and last four digits (domain/vocabulary.ts `maskIdNumbers`).
 */
const DeliveryConfirmation = RecipientConfirmation.extend({
  method: MethodInput,
  reference: RecipientConfirmation.shape.reference.transform(maskIdNumbers).describe('What the recipient signed, the thumbprint sheet, or the ID checked; an ID number is kept as its first 6 and last 4 digits'),
});
export const DeliveryBody = z.strictObject({ deliveryId: Id.describe('A UUID the phone chooses before sending: the same delivery sent again is one delivery (SPEC §3)'), cashFen: CashFen, goods: z.array(GoodsLineInput).max(50), confirmation: DeliveryConfirmation });

export const OpenIncidentBody = z.strictObject({
  incidentId: Id.optional(),
  county: UnitRef,
  hazard: HazardInput,
  startedAt: LocalInstant,
  title: z.string().trim().min(1).max(200),
});
export const LinkBody = z.strictObject({ reportId: Id });
// The seal anchor is the server's to add (SPEC §8), never the client's.
/**
 * A submission upward (issue 16): the draft as it stood at `position` (`fromDraft: true`), or
 * figures typed by hand (`figures`, `asOf`). What the server computes — townships, relief, roster,
 * source, the seal anchor — is never taken from the client.
 */
export const SubmissionBody = EVENT_SCHEMAS.FiguresSubmitted.pick({ stage: true, notes: true, explanation: true })
  .extend({
    figures: IndicatorInput.optional(),
    asOf: LocalInstant.optional(),
    fromDraft: z.literal(true).optional(),
    position: z.string().min(1).max(64).optional(),
  })
  .superRefine((b, ctx) => {
    if (b.fromDraft) {
      if (b.figures !== undefined) ctx.addIssue({ code: 'custom', path: ['figures'], message: 'not taken with fromDraft: the draft\u2019s own figures are sent' });
      if (b.position === undefined) ctx.addIssue({ code: 'custom', path: ['position'], message: 'required with fromDraft: the position the draft was computed at' });
    } else {
      if (b.figures === undefined) ctx.addIssue({ code: 'custom', path: ['figures'], message: 'required unless fromDraft is true' });
      if (b.asOf === undefined) ctx.addIssue({ code: 'custom', path: ['asOf'], message: 'required unless fromDraft is true' });
    }
  });
export const StabilizeBody = z.strictObject({ at: LocalInstant.optional() }).nullish();

export const RosterBody = z.strictObject({
  entries: z
    .array(z.strictObject({ officer: UserId, tier: z.enum(['primary', 'backup']), from: LocalInstant.optional(), until: LocalInstant.optional() }))
    .max(100),
});

export const IdParams = z.strictObject({ id: Id });
export const TownshipParams = z.strictObject({ townshipCode: UnitRef });

/** `?position=`: answer only once the read side has reached this write (SPEC §6 read-your-writes). */
export const PositionParam = z.string().min(1).max(64);

/** A list's query: its own filters, `?limit=&after=` paging and `?position=` (SPEC §4). */
export const listQuery = <S extends z.ZodRawShape>(shape: S) =>
  z.strictObject({
    ...shape,
    limit: z.coerce.number().int().min(1).max(1000).default(100),
    after: z.string().min(1).max(64).optional(),
    position: PositionParam.optional(),
  });

/** A read's query that is not a list: its filters and `?position=`. */
export const readQuery = <S extends z.ZodRawShape>(shape: S) => z.strictObject({ ...shape, position: PositionParam.optional() });

/** Every list answers `{items, next}`: `next` is the `after` of the following page, null at the end. */
export const page = <T extends z.ZodType>(item: T) => z.object({ items: z.array(item), next: z.string().nullable() });

export const UnitView = z.object({ code: z.string(), name: z.string(), path: z.array(z.string()) });
export const PositionQuery = z.object({ position: z.string().max(64).optional() });

export const WriteAnswer = z.object({ position: z.string().optional(), revision: z.number() });

