/**
 * Times for people (SPEC §4, §5): every instant in a response or a frame is ISO-8601 UTC, with a
 * `…Local` twin in Asia/Shanghai (+08:00, no daylight saving since 1991) wherever a person reads it.
 */
const BEIJING_MS = 8 * 60 * 60 * 1000;
const ISO_UTC = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z$/;

/** Beijing's date and hour for a UTC `YYYY-MM-DDTHH`, the most recent hours kept. */
const hours = new Map<string, string>();
const HOURS_KEPT = 4_096;
const YEAR_10000 = Date.UTC(10_000, 0, 1);
/** A UTC instant whose hour, minutes and seconds are in range: only its date and hour need reading. */
const MINUTES_VALID = /^\d{4}-\d\d-\d\dT([01]\d|2[0-3]):[0-5]\d:[0-5]\d(\.\d+)?Z$/;

/**
 * `2026-07-01T03:40:00.000Z` → `2026-07-01T11:40:00+08:00`. Any other text Date.parse reads is
 * converted too; text it cannot read is returned as it is.
 */
export function beijingTime(iso: string): string {
  // The shift is whole hours, so minutes and seconds are copied and only the date and hour are
  // worked out, once an hour: every frame and every response stamps its instants, and
  // Date.parse with toISOString was 2 % of the event loop in a burst of filings.
  if (MINUTES_VALID.test(iso)) {
    const hour = iso.slice(0, 13);
    let local = hours.get(hour);
    if (local === undefined) {
      const t = Date.parse(`${hour}:00:00Z`);
      // '' for an hour Date.parse cannot read or past year 9999 (six-digit years): the general path below.
      local = Number.isNaN(t) || t + BEIJING_MS >= YEAR_10000 ? '' : new Date(t + BEIJING_MS).toISOString().slice(0, 13);
      if (hours.size >= HOURS_KEPT) hours.clear();
      hours.set(hour, local);
    }
    if (local !== '') return `${local}${iso.slice(13, 19)}+08:00`;
  }
  const t = Date.parse(iso);
  if (Number.isNaN(t)) return iso;
  // Cut at the fraction, not at a fixed width: past year 9999 the year has six digits and a sign
  // (`+010000-01-01T07:59:59`), and a fixed slice dropped the seconds (found by a newcomer).
  return `${new Date(t + BEIJING_MS).toISOString().replace(/\.\d{3}Z$/, '')}+08:00`;
}

/**
 * An instant as a person reads it on a form or in a message: `2026-07-01T03:40:00.000Z` →
 * `2026-07-01 11:40` (Beijing time, to the minute; the caller says 北京时间 where it is not a
 * column's heading). Text Date.parse cannot read is returned as it is.
 */
export function beijingMinutes(iso: string): string {
  const t = Date.parse(iso);
  if (Number.isNaN(t)) return iso;
  return beijingTime(new Date(t).toISOString()).slice(0, 16).replace('T', ' ');
}

/**
 * Two instants to be compared by a reader, Beijing time (`beijingMinutes`), to the second when
 * they fall in the same minute, and to the millisecond when in the same second: "10:01 is later
 * than 10:01" reads as a mistake (found by newcomers, at the minute and then at the second).
 */
export function beijingPair(a: string, b: string): [string, string] {
  const [ma, mb] = [beijingMinutes(a), beijingMinutes(b)];
  if (ma !== mb || Number.isNaN(Date.parse(a)) || Number.isNaN(Date.parse(b))) return [ma, mb];
  const seconds = (iso: string) => beijingTime(new Date(Date.parse(iso)).toISOString()).slice(0, 19).replace('T', ' ');
  const millis = (iso: string) => `${seconds(iso)}.${String(((Date.parse(iso) % 1000) + 1000) % 1000).padStart(3, '0')}`;
  const [sa, sb] = [seconds(a), seconds(b)];
  return sa !== sb || Date.parse(a) === Date.parse(b) ? [sa, sb] : [millis(a), millis(b)];
}

/** A calendar date alone, `YYYY-MM-DD`: what a person types for "since the 3rd" or "as of the 3rd". */
export const DATE_ONLY = /^\d{4}-\d\d-\d\d$/;

/**
 * The first (`start`) or last (`end`) millisecond of the Beijing calendar day `date`
 * (`YYYY-MM-DD`), as ISO-8601 UTC: `2026-12-03`, end → `2026-12-03T15:59:59.999Z`. Undefined for
 * text that is not such a date or a day that does not exist (`2026-02-30`).
 */
export function beijingDay(date: string, edge: 'start' | 'end'): string | undefined {
  if (!DATE_ONLY.test(date)) return undefined;
  const midnight = Date.parse(`${date}T00:00:00Z`);
  // Date.parse rolls 2026-02-30 over to March: a day that does not exist comes back as another.
  if (Number.isNaN(midnight) || new Date(midnight).toISOString().slice(0, 10) !== date) return undefined;
  const start = midnight - BEIJING_MS;
  return new Date(edge === 'start' ? start : start + 24 * 60 * 60 * 1000 - 1).toISOString();
}

/** Whether a key names an instant people read: `…At`, `at` (an event's metadata), `asOf`, `exp`, `since`, `eta`, `from`, `until`. */
const isTimeKey = (key: string) => key.endsWith('At') || key === 'at' || key === 'asOf' || key === 'exp' || key === 'eta' || key === 'from' || key === 'until' || key === 'since';

/** `value` with a `…Local` twin beside every UTC instant under a time key, at any depth. */
export function withLocalTimes<T>(value: T): T {
  if (Array.isArray(value)) return value.map(withLocalTimes) as T;
  if (value === null || typeof value !== 'object') return value;
  const out: Record<string, unknown> = {};
  for (const key of Object.keys(value)) {
    const item = (value as Record<string, unknown>)[key];
    out[key] = withLocalTimes(item);
    if (typeof item === 'string' && isTimeKey(key) && ISO_UTC.test(item) && !(`${key}Local` in value)) out[`${key}Local`] = beijingTime(item);
  }
  return out as T;
}
