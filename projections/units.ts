import type { EventData } from '../domain/events.js';
import { ancestry, parentCode, unitLevel } from '../domain/units.js';
import { assertNever } from '../domain/errors.js';
import { withChanges } from '../domain/unit-register.js';
import { projection } from './projection.js';

export type UnitRow = EventData<'UnitRegistered'>;

/** The register of administrative units, with each unit's children (SPEC §2). */
export interface UnitsState {
  units: Map<string, UnitRow>;
  /** Children's codes by parent code, in the order they were registered. */
  children: Map<string, string[]>;
}

export const unitsProjection = projection({
  name: 'units',
  version: 2,
  eventTypes: ['UnitRegistered', 'UnitUpdated'],
  initialState: (): UnitsState => ({ units: new Map(), children: new Map() }),
  evolve(state, event) {
    switch (event.type) {
      case 'UnitRegistered': {
        const unit = event.data;
        if (!state.units.has(unit.code) && unit.parent) {
          const siblings = state.children.get(unit.parent);
          if (siblings) siblings.push(unit.code);
          else state.children.set(unit.parent, [unit.code]);
        }
        state.units.set(unit.code, { ...unit });
        return state;
      }
      case 'UnitUpdated': {
        const { code, ...changes } = event.data;
        const current = state.units.get(code);
        if (current) state.units.set(code, withChanges(current, changes));
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

export const childrenOf = (state: UnitsState, code: string): string[] => state.children.get(code) ?? [];

/** The township a village belongs to, as a registered unit (for its phones and complaint line). */
export function townshipOf(state: UnitsState, village: string): UnitRow | undefined {
  const township = parentCode(village);
  return township ? state.units.get(township) : undefined;
}
