import { statutoryClocks, type ClockRules, type ClockStatus } from '../domain/clocks.js';
import { incidentDecider, type IncidentEvent, type OpenedIncident } from '../domain/incident.js';
import { projection } from './projection.js';

export interface IncidentRow extends OpenedIncident {
  openedPosition: string;
  position: string;
}

export interface IncidentsState {
  rows: Map<string, IncidentRow>;
  /** Incident ids in the order they were opened. */
  order: string[];
}

/**
 * Incidents (灾害过程) with their linked reports and submissions (SPEC §6). The rules of the
 * incident's history are the decider's, so the read side folds with the decider's own `evolve`.
 */
export const incidentsProjection = projection({
  name: 'incidents',
  version: 1,
  eventTypes: ['IncidentOpened', 'ReportLinked', 'ReportUnlinked', 'FiguresSubmitted', 'IncidentStabilized', 'IncidentClosed', 'StatutoryClockAlerted'],
  initialState: (): IncidentsState => ({ rows: new Map(), order: [] }),
  evolve(state, event) {
    const id = event.id;
    const current = state.rows.get(id);
    const next = incidentDecider.evolve(current ?? incidentDecider.initialState(), { type: event.type, data: event.data, at: event.at } as IncidentEvent & { at: string });
    if (!next.exists) return state;
    if (!current) state.order.push(id);
    state.rows.set(id, { ...next, openedPosition: current?.openedPosition ?? event.position, position: event.position });
    return state;
  },
});

/** An incident's clocks as of `now` (SPEC §3 statutory clocks). */
export const incidentClocks = (row: IncidentRow, now: string, rules?: ClockRules): ClockStatus[] => statutoryClocks({ ...row, closed: row.closed !== undefined }, now, rules);

export interface IncidentFilter {
  prefix: string;
  overdue?: boolean | undefined;
  /** A previous page's `next`: incidents opened before this position. */
  after?: string | undefined;
  limit: number;
  now: string;
  /** The statutory clock rules in force (the office's working calendar). */
  rules?: ClockRules | undefined;
}

/** Incidents of counties under `prefix`, the most recently opened first. */
export function listIncidents(state: IncidentsState, filter: IncidentFilter): { items: IncidentRow[]; next: string | null } {
  const items: IncidentRow[] = [];
  for (let i = state.order.length - 1; i >= 0; i--) {
    const row = state.rows.get(state.order[i]!)!;
    if (filter.after !== undefined && row.openedPosition >= filter.after) continue;
    if (!row.county.startsWith(filter.prefix)) continue;
    if (filter.overdue !== undefined && incidentClocks(row, filter.now, filter.rules).some((c) => c.overdue) !== filter.overdue) continue;
    items.push(row);
    if (items.length === filter.limit) return { items, next: i > 0 ? row.openedPosition : null };
  }
  return { items, next: null };
}
