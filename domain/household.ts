import type { Decider, Timed } from './decider.js';
import { assertNever, refuse } from './errors.js';
import type { EventData, EventOf } from './events.js';
import type { ReliefCategory } from './vocabulary.js';

/**
 * A household (its village code and its household number, stable across reports) as the
 * aggregate that owns "no double relief" (SPEC §3, 避免多头救助、重复救助): every allocation to it
 * is reserved in its stream first, at the revision the decision read, so two allocations racing
 * for one household collide there, whichever reports they come from (docs/decisions.md, "Rules
 * across two streams").
 */
export type HouseholdEvent = EventOf<'ReliefReserved'>;

export interface Reservation {
  allocationId: string;
  category: ReliefCategory;
  /** The incident the relief counts in: its id, or `report:{reportId}` for a report linked to none. */
  incident: string;
  reportId: string;
  at: string;
  repeatReason?: string | undefined;
}

export interface HouseholdState {
  reservations: Reservation[];
}

/** At most one live allocation per (household, category) within this many days of another (SPEC §3, configurable). */
export const DEFAULT_REPEAT_WINDOW_DAYS = 30;

/**
 * What the handler knows about each reserved allocation, read from its stream: whether it exists
 * and is live (allocated, approved or delivered). An allocation that is not there yet was reserved
 * by a request still writing it, or by one that died: within `claimTtlMs` of its reservation it
 * counts as live.
 */
export interface ReservedAllocation {
  exists: boolean;
  live: boolean;
  /** Its allocation time, when it exists (the window counts from the earlier allocation's time). */
  allocatedAt?: string | undefined;
  /**
   * The incident its report counts in now, when the handler read it: a report linked since the
   * reservation moved its relief into that incident (SPEC §3: one live allocation per incident).
   */
  incident?: string | undefined;
}

type Cmd<T extends string, D> = { type: T; data: D; now: string };
export type HouseholdCommand = Cmd<'ReserveRelief', EventData<'ReliefReserved'>> & {
  allocations: ReadonlyMap<string, ReservedAllocation>;
  windowDays: number;
  claimTtlMs: number;
  /**
   * Reservations kept in this household's streams under numbers typed before today's canonical
   * form (`canonicalHouseholdId`: `07` for `7`). Those streams take no new writes, so reading them
   * once before deciding keeps the rule race-free; their allocations are in `allocations` too.
   */
  earlier?: readonly Reservation[];
};

const DAY_MS = 24 * 60 * 60 * 1000;

/** The household's reservations that hold relief now: live allocations and ones still being written. */
export function liveReservations(state: HouseholdState, allocations: ReadonlyMap<string, ReservedAllocation>, now: string, claimTtlMs: number): Array<Reservation & { allocatedAt: string }> {
  const t = Date.parse(now);
  const out: Array<Reservation & { allocatedAt: string }> = [];
  for (const r of state.reservations) {
    const a = allocations.get(r.allocationId);
    if (a?.exists) {
      if (a.live) out.push({ ...r, incident: a.incident ?? r.incident, allocatedAt: a.allocatedAt ?? r.at });
    } else if (t - Date.parse(r.at) < claimTtlMs) {
      out.push({ ...r, allocatedAt: r.at });
    }
  }
  return out;
}

const initialState = (): HouseholdState => ({ reservations: [] });

function decide(command: HouseholdCommand, state: HouseholdState): HouseholdEvent[] {
  switch (command.type) {
    case 'ReserveRelief': {
      const { data } = command;
      // A reservation already made for this allocation is this request's own, from an attempt
      // that lost a race later on.
      if (state.reservations.some((r) => r.allocationId === data.allocationId)) return [];
      if (data.repeatReason === undefined) {
        const t = Date.parse(command.now);
        const all: HouseholdState = command.earlier?.length ? { reservations: [...command.earlier, ...state.reservations] } : state;
        const live = liveReservations(all, command.allocations, command.now, command.claimTtlMs).filter((r) => r.category === data.category);
        const sameIncident = live.find((r) => r.incident === data.incident);
        if (sameIncident) {
          refuse('duplicate_relief', `this household already has live relief of this category in this incident (${sameIncident.allocationId}); if it must be given again, send repeatReason saying why`, {
            allocationId: sameIncident.allocationId,
            rule: 'one_per_incident',
          });
        }
        const recent = live.find((r) => t - Date.parse(r.allocatedAt) < command.windowDays * DAY_MS);
        if (recent) {
          refuse('duplicate_relief', `this household had relief of this category within ${command.windowDays} days (${recent.allocationId}); if it must be given again, send repeatReason saying why`, {
            allocationId: recent.allocationId,
            rule: 'window',
            windowDays: command.windowDays,
          });
        }
      }
      return [{ type: 'ReliefReserved', data }];
    }
    default:
      return assertNever(command.type);
  }
}

function evolve(state: HouseholdState, event: Timed<HouseholdEvent>): HouseholdState {
  switch (event.type) {
    case 'ReliefReserved': {
      const { allocationId, category, incident, reportId, repeatReason } = event.data;
      return { reservations: [...state.reservations, { allocationId, category, incident, reportId, at: event.at, ...(repeatReason ? { repeatReason } : {}) }] };
    }
    default:
      return assertNever(event.type);
  }
}

export const householdDecider: Decider<HouseholdState, HouseholdCommand, HouseholdEvent> = { initialState, evolve, decide };
