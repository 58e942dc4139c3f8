import type { EventData } from '../domain/events.js';
import { HAZARD_LABELS, type Hazard } from '../domain/vocabulary.js';
import { ancestry, unitLevel } from '../domain/units.js';

/**
 * What the WebSocket gateway sends, derived from the log alone (SPEC §5): each AlertRaised
 * becomes one `alert` frame for its recipients, each acknowledgement one `acknowledged` frame for
 * everyone alerted for that report, each overdue statutory clock one `alert` frame for the
 * county's heads. Pure: the same events give the same frames, which is what lets a client resume
 * from any position and get every alert exactly once.
 */
export interface FeedEvent {
  stream: string;
  type: string;
  data: unknown;
  position: string;
  metadata: { at: string };
}

interface UnitInfo {
  code: string;
  name: string;
  centre?: { lat: number; lon: number } | undefined;
  accessNotes?: string | undefined;
  phones?: string[] | undefined;
}

interface ReportInfo {
  filed: EventData<'ReportFiled'>;
  reportedAt: string;
  /** Everyone ever alerted for this report: they all hear about the acknowledgement. */
  alerted: Set<string>;
}

export interface AlertFeedView {
  units: Map<string, UnitInfo>;
  reports: Map<string, ReportInfo>;
  incidents: Map<string, { county: string; title: string; hazard: Hazard }>;
}

export interface AlertFrame {
  type: 'alert';
  position: string;
  reportId: string;
  step: number;
  reason: 'filed' | 'unacknowledged';
  hazard: Hazard;
  hazardLabel: string;
  unit: { code: string; name: string; path: string[] };
  location: { lat: number; lon: number; geoUri: string; source: 'report' | 'unit' } | null;
  directions: string | null;
  accessNotes: string | null;
  unitPhones: string[];
  reporter: { name: string; phone: string };
  estimate: Record<string, number>;
  observedAt: string;
  reportedAt: string;
  related: Array<{ reportId: string; observedAt: string; reporter: { name: string; phone: string } }>;
}

export interface AcknowledgedFrame {
  type: 'acknowledged';
  position: string;
  reportId: string;
  by: string;
}

export interface ClockFrame {
  type: 'clock_overdue';
  position: string;
  incidentId: string;
  title: string;
  clock: 'initial' | 'daily' | 'final';
  dueAt: string;
  county: { code: string; name: string };
}

export type FeedFrame = AlertFrame | AcknowledgedFrame | ClockFrame;

/** A frame and who it is for (user ids or role audiences), with the village it concerns for scope checks. */
export interface Delivery {
  frame: FeedFrame;
  recipients: string[];
  unitCode: string;
}

export const initialAlertFeed = (): AlertFeedView => ({ units: new Map(), reports: new Map(), incidents: new Map() });

export const geoUri = (lat: number, lon: number, label?: string) =>
  `geo:${lat},${lon}${label ? `?q=${lat},${lon}(${encodeURIComponent(label)})` : ''}`;

function unitPath(view: AlertFeedView, code: string): string[] {
  return ancestry(code)
    .filter((c) => ['county', 'township', 'village'].includes(unitLevel(c)))
    .map((c) => view.units.get(c)?.name ?? c);
}

/** Folds one event; returns what must be sent because of it. Mutates the view it is given. */
export function evolveAlertFeed(view: AlertFeedView, event: FeedEvent): Delivery[] {
  switch (event.type) {
    case 'UnitRegistered': {
      const d = event.data as EventData<'UnitRegistered'>;
      view.units.set(d.code, { code: d.code, name: d.name, centre: d.centre, accessNotes: d.accessNotes, phones: d.phones });
      return [];
    }
    case 'UnitUpdated': {
      const { code, ...changes } = event.data as EventData<'UnitUpdated'>;
      const unit = view.units.get(code);
      if (unit) view.units.set(code, { ...unit, ...changes });
      return [];
    }
    case 'ReportFiled': {
      const filed = event.data as EventData<'ReportFiled'>;
      view.reports.set(filed.reportId, { filed, reportedAt: event.metadata.at, alerted: new Set() });
      return [];
    }
    case 'ReportAmended': {
      const report = view.reports.get(reportIdOf(event.stream));
      if (!report) return [];
      const { estimate, directions, location, notes } = event.data as EventData<'ReportAmended'>;
      report.filed = {
        ...report.filed,
        ...(estimate ? { estimate: { ...report.filed.estimate, ...estimate } } : {}),
        ...(directions !== undefined ? { directions } : {}),
        ...(location ? { location } : {}),
        ...(notes !== undefined ? { notes } : {}),
      };
      return [];
    }
    case 'AlertRaised': {
      const reportId = reportIdOf(event.stream);
      const report = view.reports.get(reportId);
      if (!report) return [];
      const raised = event.data as EventData<'AlertRaised'>;
      for (const r of raised.recipients) report.alerted.add(r);
      const { filed } = report;
      const village = view.units.get(filed.village);
      const location = filed.location
        ? { ...filed.location, geoUri: geoUri(filed.location.lat, filed.location.lon, village?.name), source: 'report' as const }
        : village?.centre
          ? { ...village.centre, geoUri: geoUri(village.centre.lat, village.centre.lon, village.name), source: 'unit' as const }
          : null;
      const frame: AlertFrame = {
        type: 'alert',
        position: event.position,
        reportId,
        step: raised.step,
        reason: raised.reason,
        hazard: filed.hazard,
        hazardLabel: HAZARD_LABELS[filed.hazard],
        unit: { code: filed.village, name: village?.name ?? filed.village, path: unitPath(view, filed.village) },
        location,
        directions: filed.directions ?? null,
        accessNotes: village?.accessNotes ?? null,
        unitPhones: village?.phones ?? [],
        reporter: { name: filed.reporter.name, phone: filed.reporter.phone },
        estimate: filed.estimate as Record<string, number>,
        observedAt: filed.observedAt,
        reportedAt: report.reportedAt,
        related: (raised.related ?? []).flatMap((id) => {
          const other = view.reports.get(id);
          return other ? [{ reportId: id, observedAt: other.filed.observedAt, reporter: { name: other.filed.reporter.name, phone: other.filed.reporter.phone } }] : [];
        }),
      };
      return [{ frame, recipients: raised.recipients, unitCode: filed.village }];
    }
    case 'AlertAcknowledged': {
      const reportId = reportIdOf(event.stream);
      const report = view.reports.get(reportId);
      if (!report) return [];
      const { by } = event.data as EventData<'AlertAcknowledged'>;
      return [{ frame: { type: 'acknowledged', position: event.position, reportId, by }, recipients: [...report.alerted], unitCode: report.filed.village }];
    }
    case 'IncidentOpened': {
      const d = event.data as EventData<'IncidentOpened'>;
      view.incidents.set(d.incidentId, { county: d.county, title: d.title, hazard: d.hazard });
      return [];
    }
    case 'StatutoryClockAlerted': {
      const incidentId = event.stream.slice('incident-'.length);
      const incident = view.incidents.get(incidentId);
      if (!incident) return [];
      const d = event.data as EventData<'StatutoryClockAlerted'>;
      return [
        {
          frame: {
            type: 'clock_overdue',
            position: event.position,
            incidentId,
            title: incident.title,
            clock: d.clock,
            dueAt: d.dueAt,
            county: { code: incident.county, name: view.units.get(incident.county)?.name ?? incident.county },
          },
          recipients: d.recipients,
          unitCode: incident.county,
        },
      ];
    }
    default:
      return [];
  }
}

const reportIdOf = (stream: string) => stream.slice('report-'.length);
