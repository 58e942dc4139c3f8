/**
 * One copy of each recurring value a read model keeps: unit codes, user ids and names, phones,
 * hazards and other vocabulary, funds, goods items. Every event is parsed into fresh strings, so
 * a province's reports would otherwise hold the same village code and officer id once per report
 * (docs/decisions.md, "Replay memory"). The table is bounded: past its size a value is kept as it
 * came, which changes memory only, never a state's value.
 */
const table = new Map<string, string>();
const LIMIT = 200_000;

/** The shared copy of `value` (the same string, by value). */
export function intern<T extends string | undefined>(value: T): T {
  if (value === undefined) return value;
  const known = table.get(value);
  if (known !== undefined) return known as T;
  if (table.size < LIMIT) table.set(value, value);
  return value;
}

/** A list of recurring values (recipients, households named), each shared. */
export const internAll = <T extends string>(values: readonly T[]): T[] => values.map(intern);
