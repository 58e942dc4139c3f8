import type { Hazard } from '../domain/vocabulary.js';
import { projection } from './projection.js';

/**
 * The open-alert board (SPEC §4, §6: "unacknowledged and unattended reports"): every report that has
 * been alerted and that nobody has answered yet, with the step its escalation has reached, and every
 * report acknowledged that nobody has yet gone to (`acknowledged`, escalation stopped): a head must
 * see the report of a death someone tapped 确认 on and nobody left for. Dispatching or arriving takes
 * a report off — and with it the reports acknowledged through it (the same trip, SPEC §5) — as do a
 * verification, a dismissal or a closure.
 */
export interface OpenAlert {
  reportId: string;
  village: string;
  hazard: Hazard;
  observedAt: string;
  /** The phone's clock looked wrong at filing (SPEC §3). */
  clockSuspect: boolean;
  reportedAt: string;
  reporter: { name: string; phone: string };
  step: number;
  /** The policy's step the latest alert went to (AlertRaised `tier`, else its step). */
  tier: number;
  firstAlertAt: string;
  lastAlertAt: string;
  /** Who the latest step went to. */
  recipients: string[];
  /** Acknowledged and nobody on the way yet: who answered first, when, and through which related report. */
  acknowledged?: { by: string; at: string; via?: string } | undefined;
}

type Filed = Pick<OpenAlert, 'village' | 'hazard' | 'observedAt' | 'clockSuspect' | 'reportedAt' | 'reporter'>;

export interface OpenAlertsState {
  /**
   * Reports filed and not yet answered in person: what an alert for them needs to say. One answered
   * only through a related report stays, for its alert starts again should that answer lapse.
   */
  unanswered: Map<string, Filed>;
  open: Map<string, OpenAlert>;
  /** Report → the reports acknowledged through it (SPEC §5): attended when it is. */
  answeredVia: Map<string, string[]>;
}

export const openAlertsProjection = projection({
  name: 'open-alerts',
  // 5: AlertReopened, tier.
  version: 5,
  eventTypes: ['ReportFiled', 'AlertRaised', 'AlertAcknowledged', 'AlertReopened', 'OfficerDispatched', 'OfficerArrived', 'DamageVerified', 'ReportDismissed', 'ReportClosed'],
  initialState: (): OpenAlertsState => ({ unanswered: new Map(), open: new Map(), answeredVia: new Map() }),
  evolve(state, event) {
    const reportId = event.id;
    switch (event.type) {
      case 'ReportFiled': {
        const d = event.data;
        state.unanswered.set(reportId, { village: d.village, hazard: d.hazard, observedAt: d.observedAt, clockSuspect: d.clockSuspect === true, reportedAt: event.at, reporter: { name: d.reporter.name, phone: d.reporter.phone } });
        return state;
      }
      case 'AlertRaised': {
        const filed = state.unanswered.get(reportId);
        if (!filed) return state;
        const firstAlertAt = state.open.get(reportId)?.firstAlertAt ?? event.at;
        // Written out rather than spread from `filed`: one shape for every row, built once per alert step of a replay.
        state.open.set(reportId, {
          reportId,
          village: filed.village,
          hazard: filed.hazard,
          observedAt: filed.observedAt,
          clockSuspect: filed.clockSuspect,
          reportedAt: filed.reportedAt,
          reporter: filed.reporter,
          step: event.data.step,
          tier: event.data.tier ?? event.data.step,
          firstAlertAt,
          lastAlertAt: event.at,
          recipients: event.data.recipients,
          acknowledged: undefined,
        });
        return state;
      }
      case 'AlertAcknowledged': {
        if (event.data.via === undefined) state.unanswered.delete(reportId);
        const alert = state.open.get(reportId);
        if (!alert || alert.acknowledged) return state;
        const { by, via } = event.data;
        // Answered through a report someone has already gone to (it is off the board): the same trip.
        if (via && !state.open.has(via)) {
          state.open.delete(reportId);
          return state;
        }
        alert.acknowledged = { by, at: event.at, ...(via ? { via } : {}) };
        if (via) state.answeredVia.set(via, [...(state.answeredVia.get(via) ?? []), reportId]);
        return state;
      }
      case 'AlertReopened': {
        // The answer through `via` no longer stands (SPEC §5): the alert raised next puts it back.
        const through = state.answeredVia.get(event.data.via);
        if (through) state.answeredVia.set(event.data.via, through.filter((id) => id !== reportId));
        const alert = state.open.get(reportId);
        if (alert) alert.acknowledged = undefined;
        return state;
      }
      case 'OfficerDispatched':
      case 'OfficerArrived':
      case 'DamageVerified':
      case 'ReportClosed':
        // Someone is on it: this report, and those answered through it.
        for (const other of state.answeredVia.get(reportId) ?? []) state.open.delete(other);
        state.answeredVia.delete(reportId);
        state.unanswered.delete(reportId);
        state.open.delete(reportId);
        return state;
      case 'ReportDismissed':
        // A false alarm attends nothing: reports answered through it stay until someone goes.
        state.answeredVia.delete(reportId);
        state.unanswered.delete(reportId);
        state.open.delete(reportId);
        return state;
      default: {
        const never: never = event;
        return never;
      }
    }
  },
});

/** The board in villages under `prefix`: unacknowledged first, then acknowledged with nobody on the way; each the longest-waiting first. */
export function openAlertsWithin(state: OpenAlertsState, prefix: string): OpenAlert[] {
  return [...state.open.values()]
    .filter((a) => a.village.startsWith(prefix))
    .sort((a, b) => Number(a.acknowledged !== undefined) - Number(b.acknowledged !== undefined) || a.firstAlertAt.localeCompare(b.firstAlertAt));
}

/** Alerts nobody has acknowledged yet (what escalates). */
export function* unacknowledgedAlerts(state: OpenAlertsState): Iterable<OpenAlert> {
  for (const a of state.open.values()) if (a.acknowledged === undefined) yield a;
}
