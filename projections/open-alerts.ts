import type { Hazard } from '../domain/vocabulary.js';
import { projection } from './projection.js';

/**
 * The open-alert board (SPEC §6): every report that has been alerted and that nobody has answered
 * yet, with the step its escalation has reached. Acknowledging, dispatching or arriving answers it,
 * as it stops escalation (docs/decisions.md); a dismissed, verified or closed report is off the
 * board too.
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
  firstAlertAt: string;
  lastAlertAt: string;
  /** Who the latest step went to. */
  recipients: string[];
}

type Filed = Pick<OpenAlert, 'village' | 'hazard' | 'observedAt' | 'clockSuspect' | 'reportedAt' | 'reporter'>;

export interface OpenAlertsState {
  /** Reports filed and not yet answered: what an alert for them needs to say. */
  unanswered: Map<string, Filed>;
  open: Map<string, OpenAlert>;
}

export const openAlertsProjection = projection({
  name: 'open-alerts',
  version: 2,
  eventTypes: ['ReportFiled', 'AlertRaised', 'AlertAcknowledged', 'OfficerDispatched', 'OfficerArrived', 'DamageVerified', 'ReportDismissed', 'ReportClosed'],
  initialState: (): OpenAlertsState => ({ unanswered: new Map(), open: new Map() }),
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
        state.open.set(reportId, { reportId, ...filed, step: event.data.step, firstAlertAt, lastAlertAt: event.at, recipients: event.data.recipients });
        return state;
      }
      case 'AlertAcknowledged':
      case 'OfficerDispatched':
      case 'OfficerArrived':
      case 'DamageVerified':
      case 'ReportDismissed':
      case 'ReportClosed':
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

/** Open alerts in villages under `prefix`, the longest-waiting first. */
export function openAlertsWithin(state: OpenAlertsState, prefix: string): OpenAlert[] {
  return [...state.open.values()].filter((a) => a.village.startsWith(prefix)).sort((a, b) => a.firstAlertAt.localeCompare(b.firstAlertAt));
}
