import type { EventData } from '../domain/events.js';
import type { Hazard } from '../domain/vocabulary.js';

/**
 * The open-alert board (SPEC §6): every report that has been alerted and that nobody has answered
 * yet, with the step its escalation has reached. Acknowledging, dispatching an officer or arriving
 * answers it, as it stops escalation (docs/decisions.md); a dismissed, verified or closed report is
 * off the board too. Pure: the same events always give the same board.
 */
export interface OpenAlertEvent {
  stream: string;
  type: string;
  data: unknown;
  position: string;
  metadata: { at: string };
}

export interface OpenAlert {
  reportId: string;
  village: string;
  hazard: Hazard;
  observedAt: string;
  reportedAt: string;
  reporter: { name: string; phone: string };
  step: number;
  firstAlertAt: string;
  lastAlertAt: string;
  /** Who the latest step went to. */
  recipients: string[];
}

interface Filed {
  village: string;
  hazard: Hazard;
  observedAt: string;
  reportedAt: string;
  reporter: { name: string; phone: string };
}

export interface OpenAlertsView {
  /** Reports filed and not yet answered: what an alert for them needs to say. */
  unanswered: Map<string, Filed>;
  open: Map<string, OpenAlert>;
}

export const initialOpenAlerts = (): OpenAlertsView => ({ unanswered: new Map(), open: new Map() });

const ANSWERS = new Set(['AlertAcknowledged', 'OfficerDispatched', 'OfficerArrived', 'DamageVerified', 'ReportDismissed', 'ReportClosed']);

/** Folds one event into the view, in place (it is rebuilt from the log, never shared). */
export function evolveOpenAlerts(view: OpenAlertsView, event: OpenAlertEvent): OpenAlertsView {
  if (!event.stream.startsWith('report-')) return view;
  const reportId = event.stream.slice('report-'.length);
  if (event.type === 'ReportFiled') {
    const d = event.data as EventData<'ReportFiled'>;
    view.unanswered.set(reportId, {
      village: d.village,
      hazard: d.hazard,
      observedAt: d.observedAt,
      reportedAt: event.metadata.at,
      reporter: { name: d.reporter.name, phone: d.reporter.phone },
    });
  } else if (event.type === 'AlertRaised') {
    const filed = view.unanswered.get(reportId);
    if (!filed) return view;
    const { step, recipients } = event.data as EventData<'AlertRaised'>;
    const firstAlertAt = view.open.get(reportId)?.firstAlertAt ?? event.metadata.at;
    view.open.set(reportId, { reportId, ...filed, step, firstAlertAt, lastAlertAt: event.metadata.at, recipients });
  } else if (ANSWERS.has(event.type)) {
    view.unanswered.delete(reportId);
    view.open.delete(reportId);
  }
  return view;
}

/** Open alerts in villages under `prefix`, the longest-waiting first. */
export function openAlertsWithin(view: OpenAlertsView, prefix: string): OpenAlert[] {
  return [...view.open.values()].filter((a) => a.village.startsWith(prefix)).sort((a, b) => a.firstAlertAt.localeCompare(b.firstAlertAt));
}
