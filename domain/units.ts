/**
 * China's 12-digit statistical division codes `PPCCDDTTTVVV` (SPEC §2). A code's level is given by
 * its trailing all-zero groups; its significant prefix is the code without them; its parent is the
 * code with its last significant group zeroed.
 */
export const UNIT_LEVELS = ['province', 'city', 'county', 'township', 'village'] as const;
export type UnitLevel = (typeof UNIT_LEVELS)[number];

/** Group boundaries: PP | CC | DD | TTT | VVV. */
const GROUP_ENDS = [2, 4, 6, 9, 12] as const;

const DIGITS_12 = /^\d{12}$/;

/** Index of the last non-zero group, or -1 for all zeros; undefined when a zero group is followed by a non-zero one. */
function lastSignificantGroup(code: string): number | undefined {
  let last = -1;
  let start = 0;
  for (let g = 0; g < GROUP_ENDS.length; g++) {
    const end = GROUP_ENDS[g]!;
    const zero = /^0+$/.test(code.slice(start, end));
    if (!zero) {
      if (last !== g - 1) return undefined;
      last = g;
    }
    start = end;
  }
  return last;
}

export function isUnitCode(code: unknown): code is string {
  if (typeof code !== 'string' || !DIGITS_12.test(code)) return false;
  const last = lastSignificantGroup(code);
  return last !== undefined && last >= 0;
}

export function unitLevel(code: string): UnitLevel {
  const last = lastSignificantGroup(code);
  if (!DIGITS_12.test(code) || last === undefined || last < 0) throw new RangeError(`not a unit code: ${code}`);
  return UNIT_LEVELS[last]!;
}

export function significantPrefix(code: string): string {
  return code.slice(0, GROUP_ENDS[UNIT_LEVELS.indexOf(unitLevel(code))]);
}

/** The parent unit's code, or undefined for a province. */
export function parentCode(code: string): string | undefined {
  const level = UNIT_LEVELS.indexOf(unitLevel(code));
  if (level === 0) return undefined;
  return code.slice(0, GROUP_ENDS[level - 1]).padEnd(12, '0');
}

/** The unit and its ancestors, province first. */
export function ancestry(code: string): string[] {
  const chain: string[] = [];
  for (let c: string | undefined = code; c !== undefined; c = parentCode(c)) chain.unshift(c);
  return chain;
}

/** The ancestor (or the unit itself) at `level`, or undefined when the unit is above that level. */
export function ancestorAt(code: string, level: UnitLevel): string | undefined {
  const index = UNIT_LEVELS.indexOf(level);
  if (UNIT_LEVELS.indexOf(unitLevel(code)) < index) return undefined;
  return code.slice(0, GROUP_ENDS[index]).padEnd(12, '0');
}

/**
 * A scope is a unit code, 12 digits or its significant prefix. Returns the prefix, or undefined
 * when the text is neither.
 */
export function scopePrefix(scope: string): string | undefined {
  if (scope.length === 12) return isUnitCode(scope) ? significantPrefix(scope) : undefined;
  if (!/^\d+$/.test(scope) || !(GROUP_ENDS as readonly number[]).includes(scope.length)) return undefined;
  const full = scope.padEnd(12, '0');
  if (!isUnitCode(full) || significantPrefix(full) !== scope) return undefined;
  return scope;
}

/** SPEC §2: a user may act on a unit iff the unit's code starts with the scope's significant prefix. */
export function withinScope(unitCode: string, scope: string): boolean {
  const prefix = scopePrefix(scope);
  return prefix !== undefined && unitCode.startsWith(prefix);
}

/** The 12-digit code a scope stands for. */
/**
 * Whether a token's scope reaches anyone: a registered unit, or a prefix some registered unit lies
 * within (a province's admin before its counties' codes are all in). A scope that is neither is
 * most often a typo, and its token would reach nothing (SPEC §2). `units`: the register by code.
 */
export function scopeIsRegistered(units: ReadonlyMap<string, unknown>, scope: string): boolean {
  const unit = scopeUnit(scope);
  if (unit !== undefined && units.has(unit)) return true;
  for (const code of units.keys()) if (code.startsWith(scope)) return true;
  return false;
}

export function scopeUnit(scope: string): string | undefined {
  const prefix = scopePrefix(scope);
  return prefix === undefined ? undefined : prefix.padEnd(12, '0');
}
