/** Lists up to this long grow by copying, to exactly their length; longer ones in place. */
const EXACT_UP_TO = 8;

/**
 * `list` with `item` appended: the same array or a new one, to be stored back where `list` was.
 * Short lists — most: a household named by one or two reports, given relief once or twice — are
 * copied to exactly their length, since a pushed-to empty array reserves 17 slots and a province
 * keeps hundreds of thousands of them (docs/decisions.md "Replay memory"). A long list is pushed
 * to in place, so that a list grown n times costs O(n), not O(n²): a household named again and
 * again, season after season, made copying its lists 9 % of a replay (session 40: the households
 * projection's evolve 959 ms of 10.4 s, its households named by ~180 reports each).
 */
export function appended<T>(list: T[], item: T): T[] {
  if (list.length < EXACT_UP_TO) return [...list, item];
  list.push(item);
  return list;
}
