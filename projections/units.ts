import type { EventData } from '../domain/events.js';
import { ancestry, parentCode, unitLevel } from '../domain/units.js';
import type { NearbyCentre, Point, UnitLookup } from '../domain/location.js';
import { assertNever } from '../domain/errors.js';
import { withChanges } from '../domain/unit-register.js';
import { projection } from './projection.js';

export type UnitRow = EventData<'UnitRegistered'>;

/** The register of administrative units, with each unit's children (SPEC §2). */
export interface UnitsState {
  units: Map<string, UnitRow>;
  /** Children's codes by parent code, in the order they were registered. */
  children: Map<string, string[]>;
  /**
   * Villages and townships with a centre, by the 0.1° cell their centre is in (`cellOf`): which
   * units are near a point, without a look at every one of a province's 19,224 (`nearbyCentres`).
   */
  cells: Map<string, string[]>;
}

/** A cell of 0.1° (about 11 km north–south) that a point is in. */
const CELL_DEG = 0.1;
const cellOf = (p: Point) => `${Math.floor(p.lat / CELL_DEG)}|${Math.floor(p.lon / CELL_DEG)}`;
const indexed = (unit: UnitRow) => unit.centre !== undefined && (unitLevel(unit.code) === 'village' || unitLevel(unit.code) === 'township');

function place(state: UnitsState, before: UnitRow | undefined, after: UnitRow): void {
  const was = before && indexed(before) ? cellOf(before.centre!) : undefined;
  const now = indexed(after) ? cellOf(after.centre!) : undefined;
  if (was === now) return;
  if (was !== undefined) {
    const codes = state.cells.get(was)?.filter((c) => c !== after.code) ?? [];
    if (codes.length > 0) state.cells.set(was, codes);
    else state.cells.delete(was);
  }
  if (now !== undefined) state.cells.set(now, [...(state.cells.get(now) ?? []), after.code]);
}

/**
 * The registered villages' and townships' centres within `km` of `point` (and a few a little
 * beyond: the cells that reach that far), any order: for domain/location.ts `in_other_township`.
 */
export function* nearbyCentres(state: UnitsState, point: Point, km: number): Iterable<NearbyCentre> {
  const rows = Math.ceil(km / 111 / CELL_DEG);
  const cols = Math.ceil(km / (111 * Math.max(0.1, Math.cos((point.lat * Math.PI) / 180))) / CELL_DEG);
  const lat0 = Math.floor(point.lat / CELL_DEG);
  const lon0 = Math.floor(point.lon / CELL_DEG);
  for (let i = lat0 - rows; i <= lat0 + rows; i++) {
    for (let j = lon0 - cols; j <= lon0 + cols; j++) {
      for (const code of state.cells.get(`${i}|${j}`) ?? []) {
        const unit = state.units.get(code);
        if (unit?.centre) yield { code, name: unit.name, centre: unit.centre };
      }
    }
  }
}

export const unitsProjection = projection({
  name: 'units',
  // 3: cells (nearbyCentres).
  version: 3,
  eventTypes: ['UnitRegistered', 'UnitUpdated'],
  initialState: (): UnitsState => ({ units: new Map(), children: new Map(), cells: new Map() }),
  evolve(state, event) {
    switch (event.type) {
      case 'UnitRegistered': {
        const unit = event.data;
        if (!state.units.has(unit.code) && unit.parent) {
          const siblings = state.children.get(unit.parent);
          if (siblings) siblings.push(unit.code);
          else state.children.set(unit.parent, [unit.code]);
        }
        place(state, state.units.get(unit.code), unit);
        state.units.set(unit.code, { ...unit });
        return state;
      }
      case 'UnitUpdated': {
        const { code, ...changes } = event.data;
        const current = state.units.get(code);
        if (current) {
          const after = withChanges(current, changes);
          place(state, current, after);
          state.units.set(code, after);
        }
        return state;
      }
      default:
        return assertNever(event);
    }
  },
});

/** The unit's path of names from its county down (an alert's and a list's way of saying where). */
export function unitPathNames(state: UnitsState, code: string): string[] {
  return ancestry(code)
    .filter((c) => ['county', 'township', 'village'].includes(unitLevel(c)))
    .map((c) => state.units.get(c)?.name ?? c);
}

/** `{code, name, path}` for a response; the name is the code when the unit is not registered. */
export function unitRef(state: UnitsState, code: string): { code: string; name: string; path: string[] } {
  return { code, name: state.units.get(code)?.name ?? code, path: unitPathNames(state, code) };
}

/** The register read for a point's judgement (domain/location.ts): units by code, and the centres near a point. */
export function unitLookup(state: UnitsState): UnitLookup<UnitRow> {
  return Object.assign((code: string) => state.units.get(code), { nearby: (point: Point, km: number) => nearbyCentres(state, point, km) });
}

export const childrenOf = (state: UnitsState, code: string): string[] => state.children.get(code) ?? [];

/** The township a village belongs to, as a registered unit (for its phones and complaint line). */
export function townshipOf(state: UnitsState, village: string): UnitRow | undefined {
  const township = parentCode(village);
  return township ? state.units.get(township) : undefined;
}
