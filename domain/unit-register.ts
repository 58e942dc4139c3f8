import type { Decider, Timed } from './decider.js';
import { assertNever, refuse } from './errors.js';
import type { EventData, EventOf } from './events.js';
import { parentCode, unitLevel } from './units.js';
import type { Location } from './vocabulary.js';

export type UnitEvent = EventOf<'UnitRegistered' | 'UnitUpdated'>;

export interface Unit {
  code: string;
  name: string;
  level: EventData<'UnitRegistered'>['level'];
  parent?: string | undefined;
  centre?: Location | undefined;
  accessNotes?: string | undefined;
  phones?: string[] | undefined;
}

/** The register of administrative units: one stream, `units`. */
export interface UnitRegisterState {
  units: Map<string, Unit>;
}

export interface UnitInput {
  code: string;
  name: string;
  centre?: Location | undefined;
  accessNotes?: string | undefined;
  phones?: string[] | undefined;
}

export type UnitCommand = { type: 'ImportUnits'; data: { units: UnitInput[] }; now: string };

const initialState = (): UnitRegisterState => ({ units: new Map() });

const FIELDS = ['name', 'centre', 'accessNotes', 'phones'] as const;
const equal = (a: unknown, b: unknown) => JSON.stringify(a) === JSON.stringify(b);

/**
 * Importing registers new units and updates changed ones; an unchanged unit produces nothing, so
 * the same file imported twice writes nothing the second time. Parents come before children.
 */
function decide(command: UnitCommand, state: UnitRegisterState): UnitEvent[] {
  switch (command.type) {
    case 'ImportUnits': {
      const known = new Set(state.units.keys());
      const events: UnitEvent[] = [];
      command.data.units.forEach((u, i) => {
        const level = unitLevel(u.code);
        const parent = parentCode(u.code);
        const existing = state.units.get(u.code);
        if (!existing) {
          if (known.has(u.code)) refuse('already_exists', `unit ${u.code} is listed twice`, { field: `${i}.code` });
          if (parent !== undefined && !known.has(parent)) {
            refuse('parent_not_found', `unit ${u.code}: parent ${parent} is neither registered nor listed before it`, { field: `${i}.code` });
          }
          known.add(u.code);
          events.push({ type: 'UnitRegistered', data: { ...u, level, ...(parent ? { parent } : {}) } });
          return;
        }
        const changed = FIELDS.filter((f) => u[f] !== undefined && !equal(u[f], existing[f]));
        if (changed.length > 0) {
          events.push({ type: 'UnitUpdated', data: { code: u.code, ...Object.fromEntries(changed.map((f) => [f, u[f]])) } });
        }
      });
      return events;
    }
    default:
      return assertNever(command.type);
  }
}

/**
 * The register holds thousands of units and is folded at every start; copying the map per event
 * would make that quadratic, so evolve updates the map it was given and returns a new state over it.
 */
function evolve(state: UnitRegisterState, event: Timed<UnitEvent>): UnitRegisterState {
  const units = state.units;
  switch (event.type) {
    case 'UnitRegistered': {
      units.set(event.data.code, { ...event.data });
      return { units };
    }
    case 'UnitUpdated': {
      const { code, ...changes } = event.data;
      const current = units.get(code);
      if (current) units.set(code, { ...current, ...changes });
      return { units };
    }
    default:
      return assertNever(event);
  }
}

export const unitRegisterDecider: Decider<UnitRegisterState, UnitCommand, UnitEvent> = { initialState, evolve, decide, cacheable: false };

/** The unit and its ancestors' names, county first, as an alert shows them. */
export function unitPath(units: ReadonlyMap<string, Unit>, code: string): string[] {
  const names: string[] = [];
  for (let c: string | undefined = code; c !== undefined; c = parentCode(c)) {
    const unit = units.get(c);
    if (unit) names.unshift(unit.name);
    if (unitLevel(c) === 'county') break;
  }
  return names;
}
