import { roleAudience } from '../domain/alerting.js';
import { locationSuspicion, nearestCentre, placeToGo, type LocationSuspicion, type Point, type UnitLookup } from '../domain/location.js';
import { ancestorAt } from '../domain/units.js';
import { HAZARD_LABELS, type Hazard } from '../domain/vocabulary.js';
import { withLocalTimes } from '../domain/time.js';
import { grantName, type AccessState } from './access.js';
import type { IncidentsState } from './incidents.js';
import type { ProjectedEvent } from './projection.js';
import { lapsedAnswer, type ReportRow, type ReportsState } from './reports.js';
import { unitLookup, unitPathNames, type UnitsState } from './units.js';

/**
 * What the WebSocket gateway sends (SPEC §5), worked out from an event and the read models: each
 * AlertRaised is one `alert` frame for its recipients, each acknowledgement one `acknowledged`
 * frame for everyone alerted for that report (and a first answer by setting off or arriving too), each overdue statutory clock one `clock_overdue`
 * frame for the county's heads. Pure: the same event and states give the same frames, which is
 * what lets a client resume from any position, from memory or from the log.
 */
export interface AlertFrame {
  type: 'alert';
  position: string;
  reportId: string;
  step: number;
  /** The policy's step whose recipients the alert went to (AlertRaised `tier`): after a reopening it starts again from 0 while `step` counts on. */
  tier?: number;
  /**
   * casualties: a 续报 told of more people dead, missing or injured, alerted to the heads
   * (`casualtiesRaised`). reopened: the acknowledgement through a related report lapsed
   * (`reopened` says why), and the report is alerted as new (SPEC §5).
   */
  reason: 'filed' | 'unacknowledged' | 'casualties' | 'reopened';
  hazard: Hazard;
  hazardLabel: string;
  unit: { code: string; name: string; path: string[] };
  /** Where to go: the reported point, or the village's centre where that point is suspect (`locationSuspect`) or missing. */
  location: { lat: number; lon: number; geoUri: string; source: 'report' | 'unit' } | null;
  /** The reported point could not be where the hazard is (domain/location.ts): why, and the point as sent. */
  locationSuspect: SuspectPoint | null;
  directions: string | null;
  accessNotes: string | null;
  unitPhones: string[];
  reporter: { name: string; phone: string };
  group: string | null;
  notes: string | null;
  estimate: Record<string, number>;
  observedAt: string;
  /** The reporting phone's clock looked wrong (SPEC §3): observedAt is not to be trusted. */
  clockSuspect: boolean;
  reportedAt: string;
  related: Array<{ reportId: string; observedAt: string; clockSuspect: boolean; reporter: { name: string; phone: string } }>;
  /**
   * reason casualties: who has answered the report already (an officer may be on the way); none
   * where the answer was through a related report and this news ends it (`lapsedAnswer`).
   */
  acknowledgedBy?: string[];
  /** reason casualties: told by the report as filed, or by a 续报. */
  casualtiesFrom?: 'filing' | 'follow_up';
  /**
   * reason reopened: the related report the answer came through (`via`), why it no longer answers
   * this one (via_dismissed: that report was dismissed; graver: this one says more; answerer_gone:
   * the person it named can no longer be reached), and whose answer it was, with the name on their grant.
   */
  reopened?: { because: 'via_dismissed' | 'graver' | 'answerer_gone'; via: string; answeredBy: string; answeredByName: string | null };
}

export interface AcknowledgedFrame {
  type: 'acknowledged';
  position: string;
  reportId: string;
  by: string;
  /** The name on `by`'s grant, when it has one: what a colleague's card shows. */
  byName: string | null;
  /** Acknowledged through this related report: its acknowledger was told of this one (SPEC §5). */
  via: string | null;
  /** The answer was setting off (with the arrival time they gave, if any) or arriving, not a tap on 确认. */
  going?: OnTheWay;
}

/** An officer setting off for the report (`eta`: when they expect to be there, ISO) or there. */
export interface OnTheWay {
  change: 'dispatched' | 'arrived';
  eta: string | null;
  /** arrived: where the officer's phone put them, and whether that point can be where the report is (`arrivalPoint`). */
  point?: ArrivalPoint | null;
}

/** An arrival's point as colleagues read it: a map link, and why it is doubtful where it is. */
export type ArrivalPoint = { lat: number; lon: number; geoUri: string; suspect: LocationSuspicion | null };

/**
 * Where an officer's phone put them on arrival (`point`), judged against the report's village as a
 * report's point is (domain/location.ts): colleagues deciding whether to go too, and an auditor
 * reading the record, see where and whether to trust it (found by a newcomer: 0,0 said nothing).
 */
export function arrivalPoint(point: Point | undefined, villageCode: string, unit: UnitLookup<{ name: string; centre?: Point | undefined }>): ArrivalPoint | null {
  if (!point) return null;
  return { lat: point.lat, lon: point.lon, geoUri: geoUri(point.lat, point.lon), suspect: locationSuspicion(point, nearestCentre(villageCode, unit)) ?? null };
}

/**
 * A 续报, a verification, a dismissal or a closure, to everyone alerted for the report (SPEC §5):
 * the officer on the road learns of a new estimate or new directions, or that the trip is off.
 */
export interface UpdatedFrame {
  type: 'updated';
  position: string;
  reportId: string;
  change: 'amended' | 'verified' | 'dismissed' | 'closed' | 'dispatched' | 'arrived';
  status: string;
  /** dispatched, arrived: who, by their grant's name where it has one, and when they expect to be there. */
  by?: string;
  byName?: string | null;
  eta?: string | null;
  /** arrived: where, as `OnTheWay.point`. */
  point?: ArrivalPoint | null;
  estimate?: Record<string, number>;
  directions?: string | null;
  location?: { lat: number; lon: number; geoUri: string; source: 'report' | 'unit' } | null;
  /** As on the alert: the point the report has could not be where the hazard is (the view's `locationSuspect`). */
  locationSuspect?: SuspectPoint | null;
  /** amended: the 续报's point, not taken because it could not be where the hazard is (`passedOverPoint`); null when it was taken. */
  pointPassedOver?: SuspectPoint | null;
  notes?: string | null;
  figures?: Record<string, number>;
  reason?: string;
  duplicateOf?: string | null;
  summary?: string;
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

/**
 * An SMS from a registered contact that could not be filed (SPEC §5): kept, and shown at once to
 * the township's officers and heads, who call the sender back.
 */
export interface InboundFrame {
  type: 'inbound_sms';
  position: string;
  inboundId: string;
  from: string;
  text: string;
  problem: string | null;
  unit: { code: string; name: string; path: string[] };
  receivedAt: string;
}

export type FeedFrame = AlertFrame | AcknowledgedFrame | UpdatedFrame | ClockFrame | InboundFrame;

/** A frame and who it is for (user ids or role audiences), with the unit it concerns for scope checks. */
export interface Delivery {
  frame: FeedFrame;
  recipients: string[];
  unitCode: string;
}

export const geoUri = (lat: number, lon: number, label?: string) =>
  `geo:${lat},${lon}${label ? `?q=${lat},${lon}(${encodeURIComponent(label)})` : ''}`;

/** A reported point passed over or doubted: why, its distance from the village's centre (km), and the point as the phone sent it. */
export type SuspectPoint = LocationSuspicion & { reported: { lat: number; lon: number; geoUri: string } };

/**
 * Where a frame sends an officer for a report point in a village (domain/location.ts `placeToGo`,
 * from the nearest centre the register knows): the map link is labelled with the village's name,
 * and a suspect point goes beside it, never in it. `unit` looks a unit up by its code.
 */
export function frameLocation(reported: Point | undefined, villageCode: string, unit: UnitLookup<{ name: string; centre?: Point | undefined }>): { location: AlertFrame['location']; locationSuspect: SuspectPoint | null } {
  const village = unit(villageCode);
  const place = placeToGo(reported, nearestCentre(villageCode, unit));
  const location = place ? { ...place.point, geoUri: geoUri(place.point.lat, place.point.lon, village?.name), source: place.source } : null;
  const locationSuspect = place?.suspicion && reported ? { ...place.suspicion, reported: { lat: reported.lat, lon: reported.lon, geoUri: geoUri(reported.lat, reported.lon) } } : null;
  return { location, locationSuspect };
}

/**
 * A 续报's point that did not replace the report's (domain/report.ts amendedPoint), as a frame and
 * the report view say it: why, by the judgement written in the event (`suspicion`, version 2) or,
 * for an older event, judged now against the register; null when the point was taken. Kept apart
 * from `locationSuspect`, which is about the point officers are sent to: one field for two points
 * told an officer holding a good point that the report's location could not be trusted (found by a
 * newcomer: the live card and the report view disagreed).
 */
export function passedOverPoint(
  sent: Point | undefined,
  suspicion: LocationSuspicion | undefined,
  current: Point | undefined,
  villageCode: string,
  unit: UnitLookup<{ name: string; centre?: Point | undefined }>,
): SuspectPoint | null {
  if (!sent || (current !== undefined && current.lat === sent.lat && current.lon === sent.lon)) return null;
  return suspicion ? { ...suspicion, reported: { lat: sent.lat, lon: sent.lon, geoUri: geoUri(sent.lat, sent.lon) } } : frameLocation(sent, villageCode, unit).locationSuspect;
}

export interface FrameSources {
  reports: ReportsState;
  units: UnitsState;
  incidents: IncidentsState;
  /** Grants, for the name a person's grant gives them (a card said "已确认：officer-wangba-1"). */
  access?: AccessState | undefined;
}

/**
 * The alert frame for `report` as it stands (SPEC §5 "without guesswork": where, how to get there,
 * what, whom to call), at `position`, for alert step `step` and `reason`, naming the `related`
 * reports.
 */
function alertFrame(report: ReportRow, sources: FrameSources, position: string, step: number, reason: AlertFrame['reason'], related: readonly string[]): AlertFrame {
  const village = sources.units.units.get(report.village);
  const { location, locationSuspect } = frameLocation(report.location, report.village, unitLookup(sources.units));
  return {
    type: 'alert',
    position,
    reportId: report.reportId,
    step,
    reason,
    hazard: report.hazard,
    hazardLabel: HAZARD_LABELS[report.hazard],
    unit: { code: report.village, name: village?.name ?? report.village, path: unitPathNames(sources.units, report.village) },
    location,
    locationSuspect,
    directions: report.directions ?? null,
    accessNotes: village?.accessNotes ?? null,
    unitPhones: village?.phones ?? [],
    reporter: { name: report.reporter.name, phone: report.reporter.phone },
    group: report.group ?? null,
    notes: report.notes ?? null,
    estimate: report.estimate as Record<string, number>,
    observedAt: report.observedAt,
    clockSuspect: report.clockSuspect,
    reportedAt: report.reportedAt,
    related: related.flatMap((id) => {
      const other = sources.reports.rows.get(id);
      return other ? [{ reportId: id, observedAt: other.observedAt, clockSuspect: other.clockSuspect, reporter: { name: other.reporter.name, phone: other.reporter.phone } }] : [];
    }),
  };
}

/** The heads of the report's township and county (role audiences). */
function headsOf(village: string): string[] {
  return [ancestorAt(village, 'township'), ancestorAt(village, 'county')].flatMap((code) => (code === undefined ? [] : [roleAudience('head', code)]));
}

/** The heads of the report's township and county not alerted for it and not among those who answered it. */
function headsToTell(report: ReportRow): string[] {
  const along = alertedOrAnswered(report);
  return headsOf(report.village).filter((r) => !along.includes(r));
}

/**
 * The full alert to the heads for people dead, missing or injured (reason casualties), with who
 * answered the report — none where that answer came through a related report and ends now (the
 * alerting policy reopens it: it must not read 已确认 to a head while nobody answers it).
 */
function casualtiesAlert(report: ReportRow, sources: FrameSources, position: string, from: 'filing' | 'follow_up'): AlertFrame {
  const answered = lapsedAnswer(sources.reports, report) ? [] : [...report.acknowledgedBy];
  return { ...alertFrame(report, sources, position, report.alert?.step ?? 0, 'casualties', []), acknowledgedBy: answered, casualtiesFrom: from };
}

/** Where an amended frame sends an officer, how far that point is to be trusted, and the 续报's point if it was passed over. */
function amendedPlace(
  amended: { location?: Point | undefined; locationSuspect?: LocationSuspicion | undefined },
  report: { location?: Point | undefined; village: string },
  unit: UnitLookup<{ name: string; centre?: Point | undefined }>,
): Pick<UpdatedFrame, 'location' | 'locationSuspect' | 'pointPassedOver'> {
  const { location, locationSuspect } = frameLocation(report.location, report.village, unit);
  return { location, locationSuspect, pointPassedOver: passedOverPoint(amended.location, amended.locationSuspect, report.location, report.village, unit) };
}

/** The frames an event causes, built from the read models as they stand; every time with its Beijing twin. */
export function framesFor(event: ProjectedEvent, sources: FrameSources): Delivery[] {
  return deliveries(event, sources).map((d) => ({ ...d, frame: withLocalTimes(d.frame) }));
}

function deliveries(event: ProjectedEvent, sources: FrameSources): Delivery[] {
  const updated = (change: UpdatedFrame['change'], fields: Partial<UpdatedFrame>): Delivery[] => {
    const report = sources.reports.rows.get(event.id);
    if (!report?.alert) return [];
    const frame: UpdatedFrame = { type: 'updated', position: event.position, reportId: event.id, change, status: report.status, ...fields };
    return [{ frame, recipients: following(report), unitCode: report.village }];
  };
  switch (event.type) {
    case 'ReportAmended': {
      const report = sources.reports.rows.get(event.id);
      // More people dead, missing or injured: the township's and the county's heads are alerted
      // with the report as it now stands, whoever answered it (found by two newcomers: a 续报 of
      // two dead reached only the officer on the way, and never a head). The rest hear the update.
      const heads = report?.alert && report.casualtiesRaised?.includes(event.position) ? headsToTell(report) : [];
      const told = updated('amended', {
        estimate: (report?.estimate ?? {}) as Record<string, number>,
        ...(event.data.directions !== undefined ? { directions: event.data.directions } : {}),
        // Where to go as the report now stands (a failed fix keeps the earlier point), and why the
        // point sent was passed over, if it was.
        ...(event.data.location && report ? amendedPlace(event.data, report, unitLookup(sources.units)) : {}),
        ...(event.data.notes !== undefined ? { notes: event.data.notes } : {}),
      });
      if (heads.length === 0 || !report) return told;
      // The heads get the alert, not the update: one frame per position reaches a connection.
      const toFollowers = told.map((d) => ({ ...d, recipients: d.recipients.filter((r) => !heads.includes(r)) }));
      return [...toFollowers, { frame: casualtiesAlert(report, sources, event.position, 'follow_up'), recipients: heads, unitCode: report.village }];
    }
    case 'DamageVerified':
      return updated('verified', { figures: event.data.figures as Record<string, number> });
    case 'ReportDismissed':
      return updated('dismissed', { reason: event.data.reason, duplicateOf: event.data.duplicateOf ?? null });
    case 'ReportClosed':
      return updated('closed', { summary: event.data.summary });
    case 'AlertRaised': {
      const report = sources.reports.rows.get(event.id);
      if (!report) return [];
      const frame = alertFrame(report, sources, event.position, event.data.step, event.data.reason, event.data.related ?? []);
      frame.tier = event.data.tier ?? event.data.step;
      const lapse = event.data.reason === 'reopened' ? report.reopened : undefined;
      if (lapse) {
        const answeredByName = (sources.access && grantName(sources.access, lapse.answeredBy)) ?? null;
        frame.reopened = { because: lapse.because, via: lapse.via, answeredBy: lapse.answeredBy, answeredByName };
      }
      const delivered: Delivery[] = [{ frame, recipients: event.data.recipients, unitCode: report.village }];
      // A report filed telling of people dead, missing or injured reaches the township's and the
      // county's heads with its first alert, as a 续报 telling of them does (found by a newcomer:
      // three dead reached no head for the escalation's ten and twenty minutes).
      const heads = event.data.step === 0 && report.casualtiesRaised?.includes(report.filedPosition) ? headsToTell(report) : [];
      if (heads.length > 0) delivered.push({ frame: casualtiesAlert(report, sources, event.position, 'filing'), recipients: heads, unitCode: report.village });
      return delivered;
    }
    case 'AlertAcknowledged': {
      const reportId = event.id;
      const report = sources.reports.rows.get(reportId);
      if (!report) return [];
      return [
        {
          frame: { type: 'acknowledged', position: event.position, reportId, by: event.data.by, byName: (sources.access && grantName(sources.access, event.data.by)) ?? null, via: event.data.via ?? null },
          recipients: following(report),
          unitCode: report.village,
        },
      ];
    }
    case 'OfficerDispatched':
    case 'OfficerArrived': {
      // Setting off or arriving oneself answers the alert (docs/decisions.md), so colleagues hear it
      // as an acknowledgement: found by a newcomer, an officer who went without tapping 确认 left the
      // card unanswered on every other phone. Said when this event is the report's first answer
      // (`answeredRevision`, fixed once set, so a frame worked out again on resume is the same).
      // Anyone else setting off or arriving is said too, as `updated`, with the time they expect to
      // be there: a colleague deciding whether to go as well needs to know who is already on the
      // road (found by a newcomer: the second officer to set off was heard by nobody). One frame
      // per event: the gateway sends each position once.
      const reportId = event.id;
      const report = sources.reports.rows.get(reportId);
      if (!report?.alert) return [];
      const by = event.data.officer;
      const byName = (sources.access && grantName(sources.access, by)) ?? null;
      const going: OnTheWay =
        event.type === 'OfficerDispatched'
          ? { change: 'dispatched', eta: event.data.eta ?? null }
          : { change: 'arrived', eta: null, point: arrivalPoint(event.data.location, report.village, unitLookup(sources.units)) };
      // The event that answered the report is its acknowledgement; whatever comes after, by the
      // same officer too (setting off again, arriving), is an update (found by a newcomer).
      const frame: AcknowledgedFrame | UpdatedFrame =
        report.answeredRevision === event.revision
          ? { type: 'acknowledged', position: event.position, reportId, by, byName, via: null, going }
          : { type: 'updated', position: event.position, reportId, change: going.change, status: report.status, by, byName, eta: going.eta, ...(going.change === 'arrived' ? { point: going.point ?? null } : {}) };
      return [{ frame, recipients: following(report), unitCode: report.village }];
    }
    case 'StatutoryClockAlerted': {
      const incidentId = event.id;
      const incident = sources.incidents.rows.get(incidentId);
      if (!incident) return [];
      return [
        {
          frame: {
            type: 'clock_overdue',
            position: event.position,
            incidentId,
            title: incident.title,
            clock: event.data.clock,
            dueAt: event.data.dueAt,
            county: { code: incident.county, name: sources.units.units.get(incident.county)?.name ?? incident.county },
          },
          recipients: event.data.recipients,
          unitCode: incident.county,
        },
      ];
    }
    case 'SmsReceived': {
      const { village, outcome } = event.data;
      const township = village ? ancestorAt(village, 'township') : undefined;
      if (outcome !== 'unparsed' || !village || !township) return [];
      const frame: InboundFrame = {
        type: 'inbound_sms',
        position: event.position,
        inboundId: event.id,
        from: event.data.from,
        text: event.data.text,
        problem: event.data.problem ?? null,
        unit: { code: village, name: sources.units.units.get(village)?.name ?? village, path: unitPathNames(sources.units, village) },
        receivedAt: event.data.receivedAt,
      };
      return [{ frame, recipients: [roleAudience('officer', township), roleAudience('head', township)], unitCode: village }];
    }
    default:
      return [];
  }
}

/**
 * Who hears what becomes of a report: everyone alerted for it, and everyone who answered it — an
 * officer who set off before their step came is on the road too (found by a newcomer: the backup
 * on site never heard of the 续报 saying one more was missing).
 */
function alertedOrAnswered(report: { alert?: { alerted: readonly string[] } | undefined; acknowledgedBy: readonly string[] }): string[] {
  const alerted = report.alert?.alerted ?? [];
  const more = report.acknowledgedBy.filter((by) => !alerted.includes(by));
  return more.length === 0 ? [...alerted] : [...alerted, ...more];
}

/**
 * Everyone who hears of a report's every change: those alerted at any step, those who answered it,
 * and the heads told of its casualties (found by a newcomer: a head told of a death never heard who
 * answered it).
 */
function following(report: ReportRow): string[] {
  const base = alertedOrAnswered(report);
  if (!report.casualtiesRaised?.length) return base;
  const heads = headsOf(report.village).filter((h) => !base.includes(h));
  return heads.length === 0 ? base : [...base, ...heads];
}
