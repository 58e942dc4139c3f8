import type { Decider, Timed } from './decider.js';
import { assertNever, refuse } from './errors.js';
import type { EventData, EventOf } from './events.js';
import { parentCode, unitLevel } from './units.js';
import { centreSuspicion } from './location.js';
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
  complaintPhone?: string | undefined;
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
  complaintPhone?: string | undefined;
}

/** What a head changes about a unit: a field given is set, `null` clears it (SPEC §4 PATCH /units). */
export interface UnitChanges {
  centre?: Location | null | undefined;
  accessNotes?: string | null | undefined;
  phones?: string[] | null | undefined;
  complaintPhone?: string | null | undefined;
}

export type UnitCommand =
  | { type: 'ImportUnits'; data: { units: UnitInput[] }; now: string }
  | { type: 'UpdateUnit'; data: { code: string; changes: UnitChanges }; now: string };

const initialState = (): UnitRegisterState => ({ units: new Map() });

const FIELDS = ['name', 'centre', 'accessNotes', 'phones', 'complaintPhone'] as const;
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
          if (known.has(u.code)) refuse('already_exists', { en: `unit ${u.code} is listed twice`, zh: `单位 ${u.code} 在文件中出现了两次` }, { field: `${i}.code` });
          // A root whose parent is absent is accepted as the file's first entry only: a county
          // office's file need not carry the province above it (SPEC §7).
          const root = i === 0 && known.size === 0;
          if (parent !== undefined && !known.has(parent) && !root) {
            refuse('parent_not_found', `unit ${u.code}: parent ${parent} is neither registered nor listed before it`, { field: `${i}.code`, parent });
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
    case 'UpdateUnit': {
      const { code, changes } = command.data;
      const unit = state.units.get(code);
      if (!unit) return refuse('unit_not_found', `unit ${code} is not registered`, { field: 'code', code });
      // Only what differs is recorded; clearing what is not there is no change.
      const changed = (Object.keys(changes) as Array<keyof UnitChanges>).filter((f) => changes[f] !== undefined && !equal(changes[f] ?? undefined, unit[f]));
      if (changed.length === 0) return [];
      const centre = changed.includes('centre') ? changes.centre : undefined;
      const suspect = centre ? centreSuspicion(code, centre, (c) => state.units.get(c)) : undefined;
      if (suspect) {
        const of = suspect.centreOf === null ? null : ({ village: '该村', township: '所在乡镇', county: '所在县' } as const)[suspect.centreOf];
        refuse(
          'implausible_centre',
          suspect.problem === 'far_from_village'
            ? { en: `the centre is ${suspect.distanceKm} km from its ${suspect.centreOf}'s centre: not within the unit`, zh: `中心点离${of}中心 ${suspect.distanceKm} 公里，不在本单位范围内：请核对经纬度（如${of}的中心点有误，请先更正它）` }
            : suspect.problem === 'no_fix'
              ? { en: 'the centre is 0,0', zh: '中心点是 0,0：请填写实际的经纬度' }
              : { en: 'the centre is outside China', zh: '中心点不在国内：请核对经纬度，纬度在前、经度在后' },
          { field: 'centre', ...suspect },
        );
      }
      return [{ type: 'UnitUpdated', data: { code, ...Object.fromEntries(changed.map((f) => [f, changes[f]])) } }];
    }
    default:
      return assertNever(command);
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
      if (current) units.set(code, withChanges(current, changes));
      return { units };
    }
    default:
      return assertNever(event);
  }
}

/** A unit with changes applied: a value sets a field, `null` clears it. */
export function withChanges<U extends object>(unit: U, changes: Record<string, unknown>): U {
  const next = { ...unit } as Record<string, unknown>;
  for (const [key, value] of Object.entries(changes)) {
    if (value === null) delete next[key];
    else if (value !== undefined) next[key] = value;
  }
  return next as U;
}

export const unitRegisterDecider: Decider<UnitRegisterState, UnitCommand, UnitEvent> = { initialState, evolve, decide, cacheable: false };
