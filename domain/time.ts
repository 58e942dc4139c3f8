/**
 * Times for people (SPEC §4, §5): every instant in a response or a frame is ISO-8601 UTC, with a
 * `…Local` twin in Asia/Shanghai (+08:00, no daylight saving since 1991) wherever a person reads it.
 */
const BEIJING_MS = 8 * 60 * 60 * 1000;
const ISO_UTC = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z$/;

/** `2026-07-01T03:40:00.000Z` → `2026-07-01T11:40:00+08:00`. */
export function beijingTime(iso: string): string {
  const t = Date.parse(iso);
  if (Number.isNaN(t)) return iso;
  return `${new Date(t + BEIJING_MS).toISOString().slice(0, 19)}+08:00`;
}

/** Whether a key names an instant people read: `…At`, `asOf`, `exp`, `since`, `eta`, `from`, `until`. */
const isTimeKey = (key: string) => key.endsWith('At') || key === 'asOf' || key === 'exp' || key === 'eta' || key === 'from' || key === 'until' || key === 'since';

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
