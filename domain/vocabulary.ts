import { z } from 'zod';
import { beijingDay, DATE_ONLY } from './time.js';
import { isUnitCode, scopePrefix } from './units.js';

/** Hazards with the labels a township officer reads on the alert. */
export const HAZARD_LABELS = {
  flash_flood: '山洪',
  landslide: '滑坡',
  debris_flow: '泥石流',
  hail: '冰雹',
  drought: '干旱',
  earthquake: '地震',
  snowstorm: '雪灾',
  windstorm: '风灾',
  fire: '火灾',
  other: '其他',
} as const;
export type Hazard = keyof typeof HAZARD_LABELS;
/** The same hazards in English words, for texts read in English (SPEC §9): not the codes (found by a newcomer). */
export const HAZARD_LABELS_EN: Record<Hazard, string> = {
  flash_flood: 'flash flood',
  landslide: 'landslide',
  debris_flow: 'debris flow',
  hail: 'hail',
  drought: 'drought',
  earthquake: 'earthquake',
  snowstorm: 'snowstorm',
  windstorm: 'windstorm',
  fire: 'fire',
  other: 'other hazard',
};
export const HAZARDS = Object.keys(HAZARD_LABELS) as [Hazard, ...Hazard[]];
export const Hazard = z.enum(HAZARDS);

/** What a village phone may send for a hazard: its name or its Chinese label (SPEC §4), and 大风 for 风灾. */
export const HAZARD_BY_LABEL: ReadonlyMap<string, Hazard> = new Map<string, Hazard>([...Object.entries(HAZARD_LABELS).map(([k, v]) => [v, k as Hazard] as const), ['大风', 'windstorm']]);
export const HazardInput = z
  .string()
  .trim()
  .transform((text, ctx) => {
    const hazard = (HAZARDS as string[]).includes(text) ? (text as Hazard) : HAZARD_BY_LABEL.get(text);
    if (hazard === undefined) {
      ctx.addIssue({ code: 'custom', message: `must be one of ${HAZARDS.join(', ')} or ${[...HAZARD_BY_LABEL.keys()].join('、')}` });
      return z.NEVER;
    }
    return hazard;
  });

const count = z.int().nonnegative().max(1_000_000_000);
const hectares = z.number().nonnegative().max(1e9).multipleOf(0.01);
const hectaresInput = hectares.transform((v) => Math.round(v * 100) / 100);

/** SPEC §3 indicator set (灾情指标): all optional, all non-negative; money in integer yuan. */
export const IndicatorSet = z.strictObject({
  affectedPeople: count.optional(),
  dead: count.optional(),
  missing: count.optional(),
  injured: count.optional(),
  evacuated: count.optional(),
  needEmergencyAid: count.optional(),
  roomsCollapsed: count.optional(),
  roomsSeverelyDamaged: count.optional(),
  roomsModeratelyDamaged: count.optional(),
  cropAffectedHa: hectares.optional(),
  cropDamagedHa: hectares.optional(),
  cropFailedHa: hectares.optional(),
  livestockLost: count.optional(),
  directLossYuan: z.int().nonnegative().max(Number.MAX_SAFE_INTEGER).optional(),
});
export type IndicatorSet = z.infer<typeof IndicatorSet>;
export type Indicator = keyof IndicatorSet;
export const INDICATORS = Object.keys(IndicatorSet.shape) as Indicator[];

/**
 * The indicator set as a person sends it: direct loss at most 1,000,000,000,000 yuan (一万亿元, more
 * than a year of the whole country's disaster losses) a figure, so that sums over thousands of
 * reports stay exact integers (below 2^53). The events keep the wider bound they were written
 * with, so no event already in a log reads as ill-formed (found by a newcomer: two figures of
 * 9,007,199,254,740,991 yuan summed to a total 3 yuan off).
 */
export const IndicatorInput = IndicatorSet.extend({
  directLossYuan: z.int().nonnegative().max(1_000_000_000_000).optional(),
  // Hundredths of a hectare as sent, without a float's tail (0.30000000000000004 is 0.3; found by a newcomer).
  cropAffectedHa: hectaresInput.optional(),
  cropDamagedHa: hectaresInput.optional(),
  cropFailedHa: hectaresInput.optional(),
});

/**
 * Pairs of indicators where the first is part of the second (自然灾害情况统计调查制度's checks
 * between indicators): people evacuated or needing emergency aid are affected people; crops
 * damaged (成灾) are among the crops affected (受灾), and crops failed (绝收) among those damaged.
 */
export const INDICATOR_PARTS: ReadonlyArray<readonly [part: Indicator, whole: Indicator]> = [
  ['evacuated', 'affectedPeople'],
  ['needEmergencyAid', 'affectedPeople'],
  ['cropDamagedHa', 'cropAffectedHa'],
  ['cropFailedHa', 'cropDamagedHa'],
];

/**
 * The first figure larger than the figure it is part of (`INDICATOR_PARTS`), both given, or
 * undefined (figures may be partial: a figure left out is not checked). Shape: `{indicator, given,
 * whole, wholeGiven}` (people; hectares).
 */
export function figuresInconsistent(figures: IndicatorSet): { indicator: Indicator; given: number; whole: Indicator; wholeGiven: number } | undefined {
  for (const [part, whole] of INDICATOR_PARTS) {
    const given = figures[part];
    const wholeGiven = figures[whole];
    if (given !== undefined && wholeGiven !== undefined && given > wholeGiven) return { indicator: part, given, whole, wholeGiven };
  }
  return undefined;
}

export const UnitCode = z
  .string()
  // The pattern (which JSON Schema carries, for reading the log back) and, past it, the grouping rule.
  .regex(/^\d{12}$/, { message: 'must be a 12-digit administrative division code', abort: true })
  .refine(isUnitCode, 'must be a 12-digit administrative division code');

/** A user's scope (SPEC §2): a unit code, 12 digits or its significant prefix. */
export const Scope = z
  .string()
  .regex(/^\d{2,12}$/, { message: 'must be a unit code or its significant prefix', abort: true })
  .refine((s) => scopePrefix(s) !== undefined, 'must be a unit code or its significant prefix');

export const Location = z.strictObject({
  lat: z.number().min(-90).max(90),
  lon: z.number().min(-180).max(180),
});
export type Location = z.infer<typeof Location>;

/** An instant as ISO-8601; stored in UTC. */
export const Instant = z.iso.datetime({ offset: true });

/**
 * An instant as a person's phone writes it: with an offset or `Z`, or without one, which in a
 * Chinese township is Beijing time (SPEC §4); a space may stand for the `T`, the seconds may be
 * left out and an offset may lack its colon. Normalized to UTC.
 */
export const LocalInstant = z
  .string()
  .trim()
  // As spreadsheets and phones write it: a space for the T (2026-07-01 11:40), no seconds, an
  // offset without its colon (+0800).
  .transform((text) =>
    text
      .replace(/^(\d{4}-\d\d-\d\d) (\d\d:\d\d)/, '$1T$2')
      // A `+08:00` typed into an address unencoded arrives as a space: a space before an offset
      // at the end can only have been that plus.
      .replace(/(T\d\d:\d\d(?::\d\d(?:\.\d+)?)?) (\d\d:?\d\d)$/, '$1+$2')
      .replace(/(T\d\d:\d\d(?::\d\d(?:\.\d+)?)?[+-]\d\d)(\d\d)$/, '$1:$2')
      .replace(/(T\d\d:\d\d)(?=$|Z|z|[+-])/, '$1:00'),
  )
  .transform((text) => (/(Z|[+-]\d\d:?\d\d)$/i.test(text) || !/T\d\d:\d\d/.test(text) ? text : `${text}+08:00`))
  .pipe(z.iso.datetime({ offset: true }))
  .transform((text) => new Date(text).toISOString());

/**
 * A time asked for in a query (a list's `since`, a tally's `asOf`): a LocalInstant, or a date
 * alone, read as that Beijing day's first (`start`) or last (`end`) millisecond — "since the 3rd"
 * starts at its midnight, "as of the 3rd" (截至 3 日) includes all of it.
 */
export const dayOrInstant = (edge: 'start' | 'end') =>
  z
    .string()
    .trim()
    .transform((text) => (DATE_ONLY.test(text) ? (beijingDay(text, edge) ?? text) : text))
    .pipe(LocalInstant);

/**
 * A time asked for, read as {@link dayOrInstant} reads it, saying which form it was written in:
 * `instant` is the ISO-8601 UTC millisecond meant; `dayStart` is the Beijing midnight that began
 * the day when a date alone was given (so "as of today", a day not yet over, can be told apart
 * from a time still to come), undefined for a time. Undefined when the text is neither.
 */
export function askedTime(text: string, edge: 'start' | 'end'): { instant: string; dayStart: string | undefined } | undefined {
  const parsed = dayOrInstant(edge).safeParse(text);
  if (!parsed.success) return undefined;
  const trimmed = text.trim();
  return { instant: parsed.data, dayStart: DATE_ONLY.test(trimmed) ? beijingDay(trimmed, 'start') : undefined };
}

/**
 * A user id (a token's `sub`, a roster entry). Never an `@`: `role@unit` names a role audience
 * (SPEC §5), and a user called `head@621224103` would receive the township heads' alerts.
 */
export const UserId = z
  .string()
  .min(1)
  .max(128)
  .regex(/^[^@\s]+$/, 'a user id has no @ and no spaces');
export const PersonName = z.string().trim().min(1).max(100);
/** A phone number as stored: digits only (SPEC §4), 3 (110) to 20 (an extension). */
export const Phone = z.string().regex(/^[0-9]{3,20}$/, 'must be a phone number');

/**
 * A phone number as people write Chinese numbers: spaces, dashes, dots, brackets around an area
 * code, a `+86` or `0086` prefix (dropped), full-width digits — normalized to digits.
 */
export function normalizePhone(text: string): string {
  const ascii = text.replace(/[０-９]/g, (d) => String.fromCharCode(d.charCodeAt(0) - 0xfee0)).replace(/[＋]/g, '+');
  const digits = ascii.replace(/[\s\u3000\-－—.。()（）]/g, '');
  // A provider's callback writes the sender with the country code and no `+` (8613811112222, found
  // by a newcomer: a registered contact's SMS refused as from an unknown number).
  return digits.replace(/^(\+86|0086)(?=\d{7,})/, '').replace(/^86(?=1[3-9]\d{9}$)/, '');
}
export const PhoneInput = z
  .string()
  .max(40)
  .transform(normalizePhone)
  .pipe(Phone);
/**
 * A number to call someone back on (a report's reporter, SPEC §4): once normalized, a mobile (11
 * digits starting 13–19), a landline with its area code (0, then 9–11 digits), or a local landline
 * (7–8 digits, not starting 0 or 1) — the numbering plan's shapes (YD/T 2694). "138" or a hotline
 * would leave the officer on the road with nobody to call.
 */
export const CallbackPhoneInput = z
  .string()
  .max(40)
  .transform(normalizePhone)
  .pipe(z.string().regex(/^(?:1[3-9][0-9]{9}|0[0-9]{9,11}|[2-9][0-9]{6,7})$/, 'must be a number to call back: a mobile (11 digits) or a landline (7–8 digits, or 10–12 with its area code)'));
/**
 * A mobile number, where an SMS or a call must reach someone (an access grant's phone, SPEC §5):
 * 11 digits starting 13–19 once normalized. A landline or a short number takes no SMS, and a grant
 * that held one would leave its holder silently unalerted.
 */
export const MobilePhoneInput = z
  .string()
  .max(40)
  .transform(normalizePhone)
  .pipe(z.string().regex(/^1[3-9][0-9]{9}$/, 'must be a mobile number (11 digits starting 13–19) that takes SMS'));
/** Why a household number with no letter or digit is refused, in both languages (SPEC §9). */
export const HOUSEHOLD_ID_MESSAGE = { zh: '户号须含数字或字母', en: 'a household number needs a digit or a letter' };

/**
 * A village's household number as it is kept, however the phone typed it: full-width letters and
 * digits as ASCII (NFKC), invisible characters dropped, every dash-like mark an input method
 * produces (any Unicode dash, `−`, `ー`, `─`, `_`, a doubled `——`) as one `-`, a space between two
 * letters or digits as `-` too and any other space dropped, no `-` at either end, letters in lower
 * case — `ｄ－１`, `D‐1`, ` d - 1 `, `d——1`, `d_1`, `d 1` are all `d-1`; `1 23` is `1-23`, not
 * `123` (on a register a space separates group from household). The register's own way of writing
 * it (`007`, `3组12户`) is kept, for the forms and rosters read beside the paper register; one
 * household is one key through `canonicalHouseholdId`.
 */
export function cleanHouseholdId(text: string): string {
  return text
    .normalize('NFKC')
    .replace(/\p{Cf}+/gu, '')
    .replace(/(?<=[A-Za-z0-9])\s+(?=[A-Za-z0-9])/g, '-')
    .replace(/\s+/g, '')
    .replace(/[\p{Pd}\u2212\u2043\u30fc\u2500\u2501_]+/gu, '-')
    .replace(/^-+|-+$/g, '')
    .toLowerCase();
}

/**
 * The key a village's household is known by, however its number was typed (SPEC §3: a household
 * is its village code plus its householdId; 避免重复救助): `cleanHouseholdId`, then the words a
 * register writes around the numbers folded (found by newcomers: `07`, `7号` and `7` were three
 * households, each given relief) — a digit run's leading zeros go (`07`, `007` are `7`; `0`
 * stays), `第` before a number and `号` or `户` after the last one go, and `组` between two numbers
 * is the group's `-`: `第7号` and `7号户` are `7`, `3组12户` and `3 组 012 户` are `3-12`. Chinese numerals
 * are read as digits first: `七号` is `7`, `三组十二户` is `3-12`. A dash between a letter and a
 * digit goes last (`hh-1`, `HH1` and `hh－01` are `hh1`); one between two digits is the group's.
 * Every comparison of two household numbers goes through it, on both sides, and so do the
 * household's stream name and its allocation ids; a number written in the log under an earlier
 * rule is folded the same way when read (projections/households.ts keeps where it was written).
 */
export function canonicalHouseholdId(text: string): string {
  if (PLAIN_HOUSEHOLD_ID.test(text)) return text;
  return registerFold(cleanHouseholdId(text).replace(PART_SEPARATORS, '-')).replace(LETTER_DIGIT_DASH, '');
}

/**
 * Marks a hand or an input method puts between a number's parts besides dashes, each one `-` in
 * the key: `hh.1`, `hh·1`, `hh/1`, `3、12`, `3，12`, `3:12`, `#7` (found by a newcomer: `hh·1`,
 * `hh.1`, `hh/1` and `hh-1` were four households, each given relief). After NFKC, so the
 * full-width ones (`．`, `／`, `：`) are these too.
 */
const PART_SEPARATORS = /[.\u00b7\u30fb\u2027\u2022\u3002/\\\u3001,:;#]+/gu;

/**
 * The names a household's stream was given under earlier rules, for the number `typed` (cleaned):
 * the number itself (before session 50 streams were named as typed); session 50's key, which
 * kept a dash between a letter and a digit (`hh-1`; found by a newcomer: `hh-1` and `HH1` were two
 * households, each paid); and the key from then to session 55, which kept `.`, `·`, `/` and the
 * like (`hh.1`; today's key is `hh1`). Those streams take no new writes; reading them keeps SPEC §3
 * no double relief across each change of the key.
 */
export function earlierHouseholdStreamIds(typed: string): string[] {
  const v1 = PLAIN_HOUSEHOLD_ID_V1.test(typed) ? typed : registerFold(typed);
  const v2 = PLAIN_HOUSEHOLD_ID.test(typed) ? typed : v1.replace(LETTER_DIGIT_DASH, '');
  return [...new Set([typed, v1, v2])];
}

/** The register's words folded (`cleanHouseholdId`, numerals, 第, 号, 户, 组, leading zeros): session 50's key. */
function registerFold(text: string): string {
  return cleanHouseholdId(text)
    .replace(CHINESE_NUMERAL_RUN, chineseNumeral)
    .replace(/第(?=\d)/g, '')
    .replace(/(?<=\d)(?:号户?|户)$/u, '')
    .replace(/(?<=\d)组(?=\d)/g, '-')
    .replace(/(?<!\d)0+(?=\d)/g, '')
    .replace(/-{2,}/g, '-')
    .replace(/^-+|-+$/g, '');
}

/** A dash between a letter and a digit, either way round: `hh-1` is `hh1` (a dash between two digits, `3-12`, is the group's and stays). */
const LETTER_DIGIT_DASH = /(?<=\p{L})-(?=\d)|(?<=\d)-(?=\p{L})/gu;

/** A run of Chinese numerals: 〇 and 零 to 九 (两 for 2), with 十, 百 and 千. */
const CHINESE_NUMERAL_RUN = /[〇零一二两三四五六七八九十百千]+/gu;
const CHINESE_DIGITS: Record<string, number> = { 〇: 0, 零: 0, 一: 1, 二: 2, 两: 2, 三: 3, 四: 4, 五: 5, 六: 6, 七: 7, 八: 8, 九: 9 };
const CHINESE_UNITS: Record<string, number> = { 十: 10, 百: 100, 千: 1000 };

/**
 * A run of Chinese numerals as digits, as a register written by hand has them (七号, 三组十二户):
 * read by place with 十/百/千 (十二 is 12, 一百零五 is 105), digit by digit without (一〇五 is 105).
 */
function chineseNumeral(run: string): string {
  if (![...run].some((c) => c in CHINESE_UNITS)) return [...run].map((c) => String(CHINESE_DIGITS[c] ?? '')).join('');
  let total = 0;
  let digit: number | undefined;
  for (const c of run) {
    const unit = CHINESE_UNITS[c];
    if (unit === undefined) digit = CHINESE_DIGITS[c] === 0 ? undefined : CHINESE_DIGITS[c];
    else {
      total += (digit ?? 1) * unit;
      digit = undefined;
    }
  }
  return String(total + (digit ?? 0));
}

/**
 * A number that is already its own key, the common case (a replay folds every household of every
 * verification): lower-case letters and digits in runs joined by single dashes, no digit run
 * starting with `0` unless it is `0`.
 */
const PLAIN_HOUSEHOLD_ID = /^(?!.*(?<!\d)0\d)(?!.*(?:[a-z]-\d|\d-[a-z]))[a-z0-9]+(?:-[a-z0-9]+)*$/;
/** Session 50's fast path, which let `hh-1` stand as its own key (`earlierHouseholdStreamIds`). */
const PLAIN_HOUSEHOLD_ID_V1 = /^(?!.*(?<!\d)0\d)[a-z0-9]+(?:-[a-z0-9]+)*$/;

/** A household number as kept (`cleanHouseholdId`), 1 to 64 characters, at least one letter or digit. */
export const HouseholdId = z
  .string()
  .max(200)
  .transform(cleanHouseholdId)
  // No `min(1)`: the letter-or-digit rule already refuses an empty number, with one message, not
  // two. The register's words (第, 号, 户, 组) alone are no number (found by a newcomer: 号, 户 and
  // 第户 were three households).
  .pipe(z.string().max(64).refine((id) => /[\p{L}\p{N}]/u.test(id.replace(/[第号户组]/gu, '')), HOUSEHOLD_ID_MESSAGE.en));
// The events keep their own schemas (domain/events.ts, versioned) and what was typed, cleaned.

export const ShortText = z.string().max(500);
export const LongText = z.string().max(4000);

export const DAMAGE_LEVELS = ['collapsed', 'severe', 'moderate', 'none'] as const;
export const DamageLevel = z.enum(DAMAGE_LEVELS);

export const RELIEF_CATEGORIES = ['emergency_living', 'housing', 'medical', 'winter', 'other'] as const;
export const ReliefCategory = z.enum(RELIEF_CATEGORIES);

/**
 * Why a head looks at an allocation before it is approved or handed over (the ledger's review
 * flags; SPEC §3 "the ledger flags the pair for review"): another live one of its category for the
 * household in one incident, a household the latest 核报 no longer lists, housing relief to a house
 * found undamaged or now lists under another name, one name under another household number. A
 * report dismissed is not among them:
 * that refuses approval and delivery outright.
 */
export const REVIEW_FLAGS = ['duplicate_in_incident', 'household_not_in_latest_verification', 'household_name_changed', 'no_housing_damage', 'same_name_other_household'] as const;
export type ReviewFlagCode = (typeof REVIEW_FLAGS)[number];
export const ReviewFlagCode = z.enum(REVIEW_FLAGS);
/** Each review flag as a head reads it in a refusal. */
export const REVIEW_FLAG_LABELS: Record<ReviewFlagCode, { zh: string; en: string }> = {
  duplicate_in_incident: { zh: '同一灾害过程中这一户已有同类救助', en: 'the household has other live relief of this category in the same incident' },
  household_not_in_latest_verification: { zh: '最新一次核查的户表里没有这一户', en: 'the latest verification does not list the household' },
  household_name_changed: { zh: '最新一次核查登记的户主不是这笔救助的户主', en: 'the latest verification lists the household under another name' },
  no_housing_damage: { zh: '核查认定这一户房屋未受损', en: 'the verification found the house undamaged' },
  same_name_other_household: { zh: '同名户主在另一户号下也有同类救助', en: 'the same name has relief of this category under another household number' },
};
export type ReliefCategory = z.infer<typeof ReliefCategory>;

/** Money is integer fen (分), never a float. */
export const Fen = z.int().nonnegative().max(Number.MAX_SAFE_INTEGER);

/**
 * The most one allocation or delivery may carry: 10,000,000 yuan (一千万元), far above any
 * household's relief, so that totals of millions of allocations stay exact integers of fen (below
 * 2^53). Without a bound, 9,007,199,254,740,991 fen were taken and the ledger's sums lost fen
 * (found by a newcomer; SPEC §3 "never money as a float").
 */
export const MAX_CASH_FEN = 1_000_000_000;
// The bound first, aborting: 1e20 is one problem (too large), not also "not a safe integer".
export const CashFen = z.number().nonnegative().max(MAX_CASH_FEN, { abort: true }).pipe(z.int());

/**
 * Units of relief goods (SPEC §3), with the synonyms people write for them. Goods are stored in
 * the canonical unit, so 25 kg and 20 千克 of rice add up to 45 公斤.
 */
export const GOODS_UNITS = {
  公斤: ['kg', 'KG', 'Kg', '千克', '公斤', 'kilogram', 'kilograms'],
  袋: ['袋', 'bag', 'bags'],
  件: ['件', 'piece', 'pieces', 'pcs'],
  床: ['床', 'quilt', 'quilts'],
  顶: ['顶', 'tent', 'tents'],
  箱: ['箱', 'box', 'boxes', 'carton', 'cartons'],
  桶: ['桶', 'barrel', 'barrels', 'bucket', 'buckets'],
  升: ['升', 'L', 'l', 'litre', 'litres', 'liter', 'liters'],
  套: ['套', 'set', 'sets'],
  个: ['个', 'pc', 'unit', 'units'],
} as const;
export type GoodsUnit = keyof typeof GOODS_UNITS;
export const GOODS_UNIT_NAMES = Object.keys(GOODS_UNITS) as [GoodsUnit, ...GoodsUnit[]];
/** A goods unit outside the vocabulary (SPEC §3), in English; the HTTP layer says it in Chinese. */
export const GOODS_UNIT_MESSAGE = `not a unit of relief goods; use one of ${GOODS_UNIT_NAMES.join(' ')}`;
const GOODS_SYNONYMS = new Map<string, GoodsUnit>(
  Object.entries(GOODS_UNITS).flatMap(([unit, names]) => names.map((name) => [name, unit as GoodsUnit] as const)),
);

/** The canonical unit for what a person wrote (`kg`, `千克` → 公斤), or undefined for a unit not in the vocabulary. */
export const canonicalGoodsUnit = (written: string): GoodsUnit | undefined => GOODS_SYNONYMS.get(written.trim());

/** Goods quantities allow up to three decimals (kg, L) and are summed in thousandths; the unit is canonical. */
export const GoodsLine = z.strictObject({
  item: z.string().trim().min(1).max(100),
  quantity: z.number().positive().max(1e9).multipleOf(0.001),
  unit: z.enum(GOODS_UNIT_NAMES),
});
export type GoodsLine = z.infer<typeof GoodsLine>;

/** A goods line as a request may write it: any unit of the vocabulary or its synonyms, stored canonical. */
export const GoodsLineInput = z.strictObject({
  item: z.string().trim().min(1).max(100),
  quantity: z.number().positive().max(1e9).multipleOf(0.001),
  unit: z
    .string()
    .trim()
    .min(1)
    .max(20)
    .transform((unit, ctx) => {
      const canonical = canonicalGoodsUnit(unit);
      if (canonical === undefined) {
        ctx.addIssue({ code: 'custom', message: GOODS_UNIT_MESSAGE });
        return z.NEVER;
      }
      return canonical;
    }),
});

/**
 * Goods with one line per item and unit, in the order first named: `25 kg` and `20 千克` of 大米 are
 * one line of 45 公斤 (a newcomer's allocation showed three lines of rice in the ledger). Summed
 * in thousandths, as the ledger counts goods, so no float error creeps in.
 */
export function mergedGoodsLines(lines: readonly GoodsLine[]): GoodsLine[] {
  const byKey = new Map<string, { line: GoodsLine; milli: number }>();
  for (const line of lines) {
    const key = `${line.item}\u0000${line.unit}`;
    const seen = byKey.get(key);
    if (seen) seen.milli += Math.round(line.quantity * 1000);
    else byKey.set(key, { line, milli: Math.round(line.quantity * 1000) });
  }
  return [...byKey.values()].map(({ line, milli }) => ({ ...line, quantity: milli / 1000 }));
}

// Resident ID numbers (居民身份证号码, GB 11643): 18 characters, the last a digit or X; the older
// 15-digit form. Full-width digits are folded first, so 620…1234 typed on a Chinese keyboard is caught.
// Resident ID numbers (居民身份证号码, GB 11643): 18 characters, the last a digit or X; the older
// 15-digit form. Written as one run, or grouped by spaces or hyphens (620523 19800101 1234); full-width
// digits are folded first, so a number typed on a Chinese keyboard is caught too.
const ID_NUMBER_RUN = /(?<![0-9A-Za-z])\d(?:[ \-]?\d){14}(?:(?:[ \-]?\d){2}[ \-]?[\dXx])?(?![0-9A-Za-z])/g;

/**
 * `text` with every resident ID number in it kept as its region (the first six digits) and its
 * last four, the rest as `*` (620000********1234), its grouping spaces or hyphens dropped. What an
 * officer checked in person is recorded, and the log, which is never edited (SPEC §8), does not
 * hold the whole number for ever (found by a newcomer; PIPL art. 28: an ID number is sensitive
 * personal information, kept no more than needed). A run of another length is left as it is.
 */
export function maskIdNumbers(text: string): string {
  return text
    .replace(/[０-９Ｘｘ]/g, (c) => String.fromCharCode(c.charCodeAt(0) - 0xfee0))
    .replace(ID_NUMBER_RUN, (match) => {
      const id = match.replace(/[ \-]/g, '');
      if (id.length !== 18 && id.length !== 15) return match;
      if (id.length === 15 && !/^\d{15}$/.test(id)) return match;
      return `${id.slice(0, 6)}${'*'.repeat(id.length - 10)}${id.slice(-4)}`;
    });
}

export const CONFIRMATION_METHODS = ['signature', 'thumbprint', 'id_check'] as const;
export const RecipientConfirmation = z.strictObject({
  method: z.enum(CONFIRMATION_METHODS),
  reference: z.string().trim().min(1).max(200),
});

export const ROLES = ['contact', 'officer', 'head', 'auditor', 'admin'] as const;
/** Each role as a township office names it (SPEC §2). */
export const ROLE_NAMES_ZH: Record<(typeof ROLES)[number], string> = { contact: '村联络员', officer: '乡镇值班干部', head: '负责人', auditor: '审计员', admin: '管理员' };
export type Role = (typeof ROLES)[number];
export const Role = z.enum(ROLES);

/** Who caused an event: a token holder, or zhitong itself (`system`, e.g. the alerting process). */
export const Actor = z.strictObject({ id: UserId, role: z.enum([...ROLES, 'system']) });
export type Actor = z.infer<typeof Actor>;
