import type { AlertTrack } from './alerting.js';
import type { Decider, Timed } from './decider.js';
import { assertNever, refuse } from './errors.js';
import type { EventData, EventOf, EscalationPolicy, Household } from './events.js';
import { canonicalHouseholdId, figuresInconsistent, INDICATOR_PARTS, type Indicator, type IndicatorSet, type Location } from './vocabulary.js';
import { unitLevel, type UnitLevel } from './units.js';
import { locationSuspicion, replacesPoint, type KnownCentre } from './location.js';
import { decideNotification, evolveNotification, type NotificationCommand, type NotificationEvent, type NotificationState } from './notification.js';

export type ReportStatus = 'filed' | 'acknowledged' | 'on_site' | 'verified' | 'dismissed' | 'closed';

export type ReportEvent = EventOf<
  | 'ReportFiled'
  | 'ReportAmended'
  | 'AlertRaised'
  | 'AlertAcknowledged'
  | 'AlertReopened'
  | 'OfficerDispatched'
  | 'OfficerArrived'
  | 'DamageVerified'
  | 'ReportDismissed'
  | 'ReportClosed'
  | 'IncidentLinkClaimed'
  | 'IncidentLinkReleased'
  | 'ReliefClaimed'
  | 'AlertReceived'
  | 'NotificationAttempted'
  | 'NotificationSent'
  | 'NotificationFailed'
  | 'NotificationDelivered'
>;

export interface Verification {
  verifier: string;
  at: string;
  figures: IndicatorSet;
  households: Household[];
  method: string;
  notes?: string | undefined;
  /** The figures filled in from the household list (completedFigures), where any were. */
  filledIn?: HouseholdIndicator[] | undefined;
}

export interface FiledReport {
  exists: true;
  reportId: string;
  village: string;
  group?: string | undefined;
  hazard: EventData<'ReportFiled'>['hazard'];
  observedAt: string;
  /** The phone's clock looked wrong at filing (observedClockSuspect): its observedAt is not to be trusted. */
  clockSuspect?: true | undefined;
  reportedAt: string;
  location?: Location | undefined;
  directions?: string | undefined;
  reporter: EventData<'ReportFiled'>['reporter'];
  estimate: IndicatorSet;
  /**
   * The latest 续报's point when it did not replace the report's (amendedPoint), with the
   * judgement written in its event and when; cleared by a later 续报 whose point is taken.
   */
  passedOver?: { point: Location; suspicion?: EventData<'ReportAmended'>['locationSuspect']; at: string } | undefined;
  /** The latest notes: the filing's, or the last 续报's that had any. */
  notes?: string | undefined;
  /**
   * Every notes text the report was given, oldest first, with when (the filing's time, or the
   * 续报's, and who wrote it, where the event says): a 续报's notes replace the earlier ones as `notes`, while the news they carried
   * ("2人受伤", then "又塌了一间") stays to be read in order (found by newcomers: the view showed
   * only the latest). Absent on a state built before it was kept (none is stored).
   */
  noteTrail?: Array<{ at: string; notes: string; by?: string | undefined }>;
  status: ReportStatus;
  amendments: number;
  /** Everyone who acknowledged, first first; the first one stopped escalation. */
  acknowledgedBy: string[];
  /**
   * The related report the acknowledgement came through (SPEC §5), while nobody has answered this
   * one in person (acknowledged, set off or arrived): such an answer lapses (AlertReopened).
   */
  answeredVia?: string | undefined;
  /** Every answer through a related report that lapsed (AlertReopened), oldest first, with when. */
  lapsedAnswers?: Array<EventData<'AlertReopened'> & { at: string }>;
  /**
   * `step` counts every alert raised; `tier` is the policy's step whose recipients it went to, which
   * starts again from 0 after a reopening (`reopened`, until the next alert is raised: when, and
   * whose answer lapsed: they are told again).
   */
  alert:
    | { step: number; tier: number; lastRaisedAt: string; reopened?: { at: string; answeredBy: string; because: EventData<'AlertReopened'>['because'] } | undefined; policy: EscalationPolicy; alerted: string[]; related: string[] }
    | undefined;
  dispatched: Array<{ officer: string; eta?: string | undefined; at: string }>;
  arrived: Array<{ officer: string; at: string; location?: Location | undefined }>;
  verified: Verification | undefined;
  verifications: number;
  /**
   * People dead, missing or injured that a 续报 after the latest verification reports above it
   * (indicator → the 续报's figure); cleared by the next verification. A report is not closed over
   * them: the figures that count are the verified ones (SPEC §6), and after closure no
   * verification can add the death a 续报 told of (found by a newcomer).
   */
  newsAfterVerification?: Partial<Record<Casualty, number>> | undefined;
  /** The dismissal, with when it was recorded (server time) and by whom (the actor's id). */
  dismissal: (EventData<'ReportDismissed'> & { at: string; by?: string | undefined }) | undefined;
  closure: { summary: string; at: string } | undefined;
  /** The incident this report is linked to (a report belongs to at most one). */
  incident: string | undefined;
  /** Allocations claimed from this report, with when (server time). */
  reliefClaims: Array<{ allocationId: string; at: string }>;
  /** SMS and voice messages of its alert steps, and devices' receipts (SPEC §5). */
  notify: NotificationState;
}

export type ReportState = { exists: false } | FiledReport;

type Cmd<T extends string, D> = { type: T; data: D; now: string };
export type ReportCommand =
  /**
   * `unit`: the units register's answer about the code given as the village (its name), undefined
   * where none is registered — the decider does no lookups; the level is the code's own (SPEC §2).
   */
  | (Cmd<'FileReport', EventData<'ReportFiled'>> & { unit: { name: string } | undefined })
  /**
   * `centre`: the nearest centre the register knows for the report's village (domain/location.ts
   * nearestCentre), undefined where none: a point far from it does not replace the report's.
   * `locationSuspect` in `data` is the decider's to write, never the sender's.
   */
  | (Cmd<'AmendReport', EventData<'ReportAmended'>> & { centre?: KnownCentre | undefined })
  /**
   * `answeredBy`: the report is a related one whose earlier report was acknowledged, so the alert
   * goes to whoever acknowledged that one and counts as acknowledged by them (SPEC §5).
   */
  | (Cmd<'RaiseAlert', EventData<'AlertRaised'>> & { answeredBy?: { by: string; via: string } | undefined })
  | Cmd<'AcknowledgeAlert', EventData<'AlertAcknowledged'>>
  /** The acknowledgement through `via` lapsed (SPEC §5; written by the alerting policy, services/alerts/escalator.ts). */
  | Cmd<'ReopenAlert', { via: string; because: EventData<'AlertReopened'>['because'] }>
  | Cmd<'DispatchOfficer', EventData<'OfficerDispatched'>>
  | Cmd<'RecordArrival', EventData<'OfficerArrived'>>
  | Cmd<'VerifyDamage', EventData<'DamageVerified'>>
  | (Cmd<'DismissReport', EventData<'ReportDismissed'>> & { original?: DuplicateOriginal | null | undefined })
  | Cmd<'CloseReport', EventData<'ReportClosed'>>
  | Cmd<'ClaimIncidentLink', EventData<'IncidentLinkClaimed'>>
  | Cmd<'ReleaseIncidentLink', EventData<'IncidentLinkReleased'>>
  | Cmd<'ClaimRelief', EventData<'ReliefClaimed'>>
  /** SMS and voice messages of alert steps, and devices' receipts (domain/notification.ts). */
  | NotificationCommand;

/**
 * A relief claim (ReliefClaimed) holds for this long: its allocation must be written within it or
 * not at all (the store refuses it after), and a dismissal waits at most this long for it
 * (docs/decisions.md, "Rules across two streams").
 */
export const RELIEF_CLAIM_TTL_MS = 10_000;

/** The claim on `allocationId` still in force at `now`, if any. */
export function liveReliefClaim(report: FiledReport, allocationId: string, now: string): { allocationId: string; at: string } | undefined {
  const t = Date.parse(now);
  return report.reliefClaims.findLast((c) => c.allocationId === allocationId && t - Date.parse(c.at) < RELIEF_CLAIM_TTL_MS);
}

/** Phones' clocks drift; an observation further ahead of server time than this is flagged `clockSuspect`. */
export const OBSERVED_AT_SKEW_MS = 5 * 60 * 1000;

/**
 * A cheap phone whose battery ran flat starts again at 1970, 2000 or its build date: an
 * observation further behind server time than this (ms; a year) is a reset clock, not a late
 * report, and is flagged `clockSuspect` too (docs/decisions.md, "A report's clock is flagged").
 */
export const OBSERVED_AT_PAST_LIMIT_MS = 365 * 24 * 60 * 60 * 1000;

/**
 * Whether a phone's `observedAt` (ISO-8601) cannot be what its clock should say at server time
 * `now`: more than OBSERVED_AT_SKEW_MS ahead, or more than OBSERVED_AT_PAST_LIMIT_MS behind (SPEC §3).
 */
export function observedClockSuspect(observedAt: string, now: string): boolean {
  const gap = Date.parse(observedAt) - Date.parse(now);
  return gap > OBSERVED_AT_SKEW_MS || gap < -OBSERVED_AT_PAST_LIMIT_MS;
}

/** The figures a household list determines (核查), as `householdFigures` counts them. */
export const HOUSEHOLD_INDICATORS = ['affectedPeople', 'roomsCollapsed', 'roomsSeverelyDamaged', 'roomsModeratelyDamaged'] as const satisfies readonly Indicator[];
export type HouseholdIndicator = (typeof HOUSEHOLD_INDICATORS)[number];

/**
 * The least each of HOUSEHOLD_INDICATORS can be, from a verification's household list: the people
 * of every damaged household are affected people, and a house graded collapsed, severely or
 * moderately damaged has at least one room so graded. Shape: people; rooms.
 */
export function householdFigures(households: readonly Household[]): Record<HouseholdIndicator, number> {
  const implied = { affectedPeople: 0, roomsCollapsed: 0, roomsSeverelyDamaged: 0, roomsModeratelyDamaged: 0 };
  for (const h of households) {
    switch (h.damage) {
      case 'collapsed':
        implied.roomsCollapsed += 1;
        break;
      case 'severe':
        implied.roomsSeverelyDamaged += 1;
        break;
      case 'moderate':
        implied.roomsModeratelyDamaged += 1;
        break;
      case 'none':
        continue;
      default:
        assertNever(h.damage);
    }
    implied.affectedPeople += h.people;
  }
  return implied;
}

/**
 * The first verified figure that is less than the household list makes it (核查), or undefined.
 * A figure left out is not compared here (`completedFigures` fills it); a list may be partial, so
 * only "less than" is refused. Shape: `{indicator, given, implied}` (people; rooms).
 */
export function figuresBelowHouseholds(figures: IndicatorSet, households: readonly Household[]): { indicator: Indicator; given: number; implied: number } | undefined {
  const implied = householdFigures(households);
  for (const indicator of HOUSEHOLD_INDICATORS) {
    const given = figures[indicator];
    if (given !== undefined && given < implied[indicator]) return { indicator, given, implied: implied[indicator] };
  }
  return undefined;
}

/**
 * A verification's figures with each of HOUSEHOLD_INDICATORS the officer left out filled in with
 * the least the rest of the verification makes it, and which were filled (`filledIn`, in
 * HOUSEHOLD_INDICATORS order): rooms from the houses so graded, affected people from the people of
 * damaged households and from the evacuated and those needing emergency aid, who are affected
 * people too (INDICATOR_PARTS). Left out, such a figure counted 0: a collapsed house listed with
 * 倒塌房屋 blank went upward as 0 collapsed rooms, and 12 evacuated of 0 affected (found by
 * newcomers). Other figures stay left out (a verification may be partial); a figure is filled only
 * where its least is more than 0, so filling never makes the figures inconsistent
 * (docs/decisions.md, "A verification's figures cover its household list").
 */
export function completedFigures(figures: IndicatorSet, households: readonly Household[]): { figures: IndicatorSet; filledIn: HouseholdIndicator[] } {
  const implied = householdFigures(households);
  const out: IndicatorSet = { ...figures };
  const filledIn: HouseholdIndicator[] = [];
  for (const indicator of HOUSEHOLD_INDICATORS) {
    if (figures[indicator] !== undefined) continue;
    let least = implied[indicator];
    for (const [part, whole] of INDICATOR_PARTS) if (whole === indicator) least = Math.max(least, figures[part] ?? 0);
    if (least === 0) continue;
    out[indicator] = least;
    filledIn.push(indicator);
  }
  return { figures: out, filledIn };
}

const LEVEL_NAMES: Record<UnitLevel, string> = { province: 'a province', city: 'a city', county: 'a county', township: 'a township', village: 'a village' };

const initialState = (): ReportState => ({ exists: false });

/**
 * The report a dismissal as `duplicate` names, as the command handler read it; `null` when there
 * is no such report the caller can see. A duplicate's counts and its households' relief go with
 * the report it names, so that report must stand and be the same village's (docs/decisions.md,
 * "A duplicate names a standing report of its own village").
 */
export interface DuplicateOriginal {
  reportId: string;
  village: string;
  status: ReportStatus;
  dismissal?: { reason: string; duplicateOf?: string | undefined } | undefined;
  /** Whether it was verified household by household (undefined: not known, as for a caller that does not say). */
  verified?: boolean | undefined;
  /** Its hazard, for the officer's warning only: a duplicate may be filed under another hazard (docs/decisions.md). */
  hazard?: string | undefined;
  /** When it was filed (server time), for the officer's warning only: usually the later of two reports is the duplicate. */
  reportedAt?: string | undefined;
  /** Its estimate as it stands, for the officer's warning only: the duplicate may have said more. */
  estimate?: IndicatorSet | undefined;
  /** Its verified figures, when verified: what it counts with (SPEC §6), for the warning only. */
  verifiedFigures?: IndicatorSet | undefined;
  /** The villages' names from the register, for the message only. */
  villageName?: string | undefined;
  thisVillageName?: string | undefined;
}

/** Reason, original and notes alike (who dismissed is the metadata's, not the fact's). */
function sameDismissal(a: EventData<'ReportDismissed'> | undefined, b: EventData<'ReportDismissed'>): boolean {
  return a !== undefined && a.reason === b.reason && a.duplicateOf === b.duplicateOf && (a.notes ?? '') === (b.notes ?? '');
}

function existing(state: ReportState): FiledReport {
  if (!state.exists) return refuse('not_found', { en: 'no such report', zh: '未找到这份报告，或它不在您的管辖范围内' });
  return state;
}

/** Still open to field work: not closed, not dismissed. */
function open(state: ReportState, action?: 'ack' | 'amend'): FiledReport {
  const report = existing(state);
  // An acknowledgement changes nothing of the report: its refusal says there is nothing to answer.
  if (report.status === 'closed') refuse('report_closed', action === 'ack' ? 'the report is closed: there is no alert left to acknowledge' : action === 'amend' ? 'the report is closed: file a new report for new damage' : 'the report is closed', action ? { action } : undefined);
  if (report.status === 'dismissed') {
    // A duplicate names the report it was merged into: where news of it belongs (found by a newcomer:
    // a contact's 续报 of injuries bounced off a report they did not know had been merged).
    const duplicateOf = report.dismissal?.reason === 'duplicate' ? report.dismissal.duplicateOf : undefined;
    refuse(
      'report_dismissed',
      duplicateOf
        ? `the report was dismissed as a duplicate of report ${duplicateOf}: send follow-ups, acknowledgements and dispatches to that report; if it is closed or dismissed too, phone the township for anything urgent`
        : 'the report was dismissed',
      { reason: report.dismissal?.reason, action: 'field_work', ...(duplicateOf ? { duplicateOf } : {}) },
    );
  }
  return report;
}

function decide(command: ReportCommand, state: ReportState): ReportEvent[] {
  switch (command.type) {
    case 'FileReport': {
      if (state.exists) refuse('already_exists', { en: 'a report with this id exists', zh: '这个报告编号已经有报告了' }, { reportId: state.reportId });
      const { unit } = command;
      // The level is in the code itself (SPEC §2), so a code above a village is refused as that,
      // registered or not: "not a village" tells a contact what to send instead.
      const level = unitLevel(command.data.village);
      if (level !== 'village') {
        const named = unit ? ` (${unit.name})` : '';
        refuse('not_a_village', `${command.data.village} is ${LEVEL_NAMES[level]}${named}, not a village`, { field: 'village', code: command.data.village, level, name: unit?.name ?? null });
      }
      if (!unit) refuse('unit_not_found', `village ${command.data.village} is not registered`, { field: 'village', code: command.data.village });
      // A report is never refused for the phone's clock (SPEC §3): one ahead of ours, or reset
      // years back, is stored as sent and flagged; alerts and clocks run on the server's time of filing.
      const { clockSuspect: _given, ...data } = command.data;
      return [{ type: 'ReportFiled', data: observedClockSuspect(data.observedAt, command.now) ? { ...data, clockSuspect: true } : data }];
    }
    case 'AmendReport': {
      const report = open(state, 'amend');
      const { locationSuspect: _given, ...sent } = command.data;
      const suspect = sent.location ? locationSuspicion(sent.location, command.centre) : undefined;
      const data = suspect ? { ...sent, locationSuspect: suspect } : sent;
      // A follow-up that changes nothing (a phone resending it) is not a follow-up.
      if (!amendmentChanges(report, data)) return [];
      return [{ type: 'ReportAmended', data }];
    }
    case 'RaiseAlert': {
      const report = open(state);
      if (report.acknowledgedBy.length > 0) refuse('already_acknowledged', { en: 'the alert was acknowledged; escalation has stopped', zh: '已有人接警，升级已停止' });
      const expected = report.alert === undefined ? 0 : report.alert.step + 1;
      if (command.data.step !== expected) {
        refuse('stale_escalation', { en: `step ${command.data.step} is not the next step (${expected})`, zh: `第 ${command.data.step} 步不是下一个升级步骤（应为第 ${expected} 步）` }, { expected });
      }
      if (command.answeredBy) {
        return [
          { type: 'AlertRaised', data: command.data },
          { type: 'AlertAcknowledged', data: { by: command.answeredBy.by, via: command.answeredBy.via } },
        ];
      }
      return [{ type: 'AlertRaised', data: command.data }];
    }
    case 'AcknowledgeAlert': {
      const report = open(state, 'ack');
      // SPEC §3: a repeat by the same person writes nothing; other people's are recorded.
      if (report.acknowledgedBy.includes(command.data.by)) return [];
      // Counted via a related report only while nobody has answered this one: someone who did is
      // on it already, and a second node deciding the same is answered with nothing (SPEC §5).
      if (command.data.via !== undefined && report.acknowledgedBy.length > 0) return [];
      return [{ type: 'AlertAcknowledged', data: command.data }];
    }
    case 'ReopenAlert': {
      const report = open(state);
      // Only an answer through that very report lapses: one in person, or through another report
      // since, stands; a second node deciding the same finds nothing to reopen.
      if (report.answeredVia !== command.data.via || report.acknowledgedBy.length === 0) return [];
      return [{ type: 'AlertReopened', data: { via: command.data.via, because: command.data.because, answeredBy: report.acknowledgedBy[0]! } }];
    }
    case 'DispatchOfficer': {
      const report = open(state);
      const last = report.dispatched.findLast((d) => d.officer === command.data.officer);
      if (last && last.eta === command.data.eta) return [];
      return [{ type: 'OfficerDispatched', data: command.data }];
    }
    case 'RecordArrival': {
      const report = open(state);
      const last = report.arrived.findLast((a) => a.officer === command.data.officer);
      if (last && (command.data.location === undefined || sameLocation(last.location, command.data.location))) return [];
      return [{ type: 'OfficerArrived', data: command.data }];
    }
    case 'VerifyDamage': {
      const report = open(state);
      const seen = new Map<string, string>();
      // Compared by the canonical key, so a command that did not come through HTTP's input schema
      // (or an id written before the key changed) still cannot list one household twice. The
      // refusal names both entries (`as`): `7号` beside `07` is one household written two ways,
      // which an officer looking for a line typed twice would not find (found by a newcomer).
      for (const [index, h] of command.data.households.entries()) {
        const key = canonicalHouseholdId(h.householdId);
        const first = seen.get(key);
        if (first !== undefined) {
          refuse(
            'duplicate_household',
            first === h.householdId ? `household ${h.householdId} is listed twice` : `households ${first} and ${h.householdId} are one household (one number written two ways): list it once`,
            { field: `households.${index}.householdId`, householdId: first, as: h.householdId },
          );
        }
        seen.set(key, h.householdId);
      }
      const short = figuresBelowHouseholds(command.data.figures, command.data.households);
      if (short) {
        refuse('figures_below_households', `${short.indicator} is ${short.given}, but the households listed make it at least ${short.implied}`, { field: `figures.${short.indicator}`, ...short });
      }
      const odd = figuresInconsistent(command.data.figures);
      if (odd) refuse('figures_inconsistent', `${odd.indicator} (${odd.given}) is more than ${odd.whole} (${odd.wholeGiven}), of which it is part`, { field: `figures.${odd.indicator}`, ...odd });
      // The decider's to write, never the sender's: what the list filled in, recorded as such.
      const { filledIn: _given, ...sent } = command.data;
      const { figures, filledIn } = completedFigures(sent.figures, sent.households);
      const data = filledIn.length > 0 ? { ...sent, figures, filledIn } : sent;
      // The same verification by the same officer again (a phone resending it, its answer lost on
      // the road) is not a second one: nothing changed, and after a 核报 it was said to change the
      // figures sent upward (found by a newcomer).
      if (report.verified && sameVerification(report.verified, data)) return [];
      return [{ type: 'DamageVerified', data }];
    }
    case 'DismissReport': {
      // The same dismissal again (a retry whose answer was lost on a bad line) is answered as the
      // first was and writes nothing, as a repeated acknowledgement does (SPEC §3); a different
      // one is refused by open(): a dismissal is never rewritten.
      if (state.exists && state.status === 'dismissed') {
        if (sameDismissal(state.dismissal, command.data)) return [];
        // Said as what it is, a dismissal that cannot be changed, not as the field work open() names.
        refuse('report_dismissed', 'the report was dismissed, and a dismissal is never changed or undone', {
          reason: state.dismissal?.reason,
          action: 'dismiss',
          ...(state.dismissal?.duplicateOf ? { duplicateOf: state.dismissal.duplicateOf } : {}),
        });
      }
      const report = open(state);
      if (command.data.reason === 'duplicate') {
        if (!command.data.duplicateOf) refuse('duplicate_of_required', 'a duplicate must name the report it duplicates', { field: 'duplicateOf' });
        if (command.data.duplicateOf === report.reportId) refuse('duplicate_of_self', 'duplicateOf: a report cannot duplicate itself', { field: 'duplicateOf' });
        const unknown = () => refuse('duplicate_of_unknown', `duplicateOf: no report ${command.data.duplicateOf} you can see`, { field: 'duplicateOf', reportId: command.data.duplicateOf });
        const original = command.original && command.original.reportId === command.data.duplicateOf ? command.original : unknown();
        // Dismissed as a duplicate of a dismissed report, the hazard would count nowhere (SPEC §6).
        // The named report was itself dismissed as a duplicate of this one: this report is the one that stands.
        if (original.status === 'dismissed' && original.dismissal?.duplicateOf === report.reportId) {
          refuse('duplicate_of_each_other', `duplicateOf: report ${original.reportId} was already dismissed as a duplicate of this one; this report is the one that stands and counts`, { field: 'duplicateOf', reportId: original.reportId });
        }
        if (original.status === 'dismissed') {
          refuse('duplicate_of_dismissed', original.dismissal?.duplicateOf
            ? `duplicateOf: report ${original.reportId} was itself dismissed as a duplicate of ${original.dismissal.duplicateOf}; name that one`
            : `duplicateOf: report ${original.reportId} was dismissed (${original.dismissal?.reason ?? 'dismissed'}) and counts nowhere; name a report that stands`, {
            field: 'duplicateOf',
            reportId: original.reportId,
            reason: original.dismissal?.reason,
            ...(original.dismissal?.duplicateOf ? { duplicateOf: original.dismissal.duplicateOf } : {}),
          });
        }
        // A household-by-household verification counts only through its own report (SPEC §6: a
        // dismissed report counts in no figure), so dismissing it for an unverified one would drop
        // the verified figures for an estimate (found by a newcomer); the other way round loses nothing.
        if (report.verified !== undefined && original.verified === false) {
          refuse('duplicate_of_unverified', `duplicateOf: this report was verified household by household and report ${original.reportId} was not; dismiss that one as a duplicate of this`, { field: 'duplicateOf', reportId: original.reportId });
        }
        // Relief is allocated only in the report's own village (ReliefAllocated's rule), so a
        // duplicate across villages would leave this village's households no report to be helped from.
        if (original.village !== report.village) {
          refuse('duplicate_of_other_village', `duplicateOf: report ${original.reportId} is in village ${original.village}, this one in ${report.village}; each village's report stands for its households' relief`, {
            field: 'duplicateOf',
            reportId: original.reportId,
            village: original.village,
            thisVillage: report.village,
            ...(original.villageName !== undefined ? { villageName: original.villageName } : {}),
            ...(original.thisVillageName !== undefined ? { thisVillageName: original.thisVillageName } : {}),
          });
        }
      } else if (command.data.duplicateOf !== undefined) {
        refuse('duplicate_of_unexpected', `duplicateOf: given only when the reason is duplicate, not ${command.data.reason}`, { field: 'duplicateOf', reason: command.data.reason });
      }
      return [{ type: 'ReportDismissed', data: command.data }];
    }
    case 'CloseReport': {
      // The same closure again (a retry whose answer was lost) is answered as the first was.
      if (state.exists && state.status === 'closed' && state.closure?.summary === command.data.summary) return [];
      const report = open(state);
      if (!report.verified) refuse('not_verified', { en: 'a report is closed only after the damage was verified', zh: '须先入户核查灾损，才能结案' });
      const news = Object.entries(report.newsAfterVerification ?? {}) as Array<[Casualty, number]>;
      if (news.length > 0) {
        refuse('verification_outdated', `a follow-up after the verification reports ${news.map(([k, v]) => `${k} ${v} (verified ${report.verified!.figures[k] ?? 0})`).join(', ')}: verify again before closing, or they never count`, {
          news: news.map(([indicator, reported]) => ({ indicator, reported, verified: report.verified!.figures[indicator] ?? 0, words: `${CASUALTY_WORDS[indicator]} ${reported} 人（核查 ${report.verified!.figures[indicator] ?? 0} 人）` })),
        });
      }
      return [{ type: 'ReportClosed', data: command.data }];
    }
    case 'ClaimIncidentLink': {
      const report = existing(state);
      if (report.incident === command.data.incidentId) return [];
      // A dismissed report counts in no figure (SPEC §6), so linking it would only put a false
      // alarm or a duplicate on the incident's list; one linked before its dismissal stays linked.
      if (report.status === 'dismissed') refuse('report_dismissed', 'a dismissed report is not linked to an incident', { reason: report.dismissal?.reason, action: 'link' });
      if (report.incident !== undefined) {
        refuse('report_already_linked', 'a report belongs to at most one incident', { incidentId: report.incident });
      }
      return [{ type: 'IncidentLinkClaimed', data: command.data }];
    }
    case 'ReleaseIncidentLink': {
      const report = existing(state);
      if (report.incident !== command.data.incidentId) return [];
      return [{ type: 'IncidentLinkReleased', data: command.data }];
    }
    case 'ClaimRelief': {
      const report = existing(state);
      // A claim still in force is this request's own, written by an attempt that lost a race later.
      if (liveReliefClaim(report, command.data.allocationId, command.now)) return [];
      // SPEC §3: relief follows verification, and no allocation may follow a dismissal. Relief
      // goes on after a report is closed, in its own streams.
      if (report.status === 'dismissed') refuse('report_dismissed', { en: 'relief cannot follow a dismissed report', zh: '该报告已被撤销，不能据此分配救助' });
      if (!report.verified) refuse('not_verified', { en: 'relief follows household-by-household verification', zh: '须先入户核查，才能分配救助' });
      return [{ type: 'ReliefClaimed', data: command.data }];
    }
    case 'AttemptNotification':
    case 'RecordNotificationSent':
    case 'RecordNotificationFailed':
    case 'RecordDelivery':
    case 'RecordReceipt': {
      const report = existing(state);
      const facts = { step: report.alert?.step, acknowledged: report.acknowledgedBy.length > 0, finished: report.status === 'closed' || report.status === 'dismissed' };
      return decideNotification(command, facts, report.notify);
    }
    default:
      return assertNever(command);
  }
}

function evolve(state: ReportState, event: Timed<ReportEvent>): ReportState {
  if (event.type === 'ReportFiled') {
    return {
      exists: true,
      ...event.data,
      reportedAt: event.at,
      noteTrail: event.data.notes?.trim() ? [{ at: event.at, notes: event.data.notes, ...(event.by ? { by: event.by } : {}) }] : [],
      status: 'filed',
      amendments: 0,
      acknowledgedBy: [],
      alert: undefined,
      dispatched: [],
      arrived: [],
      verified: undefined,
      verifications: 0,
      dismissal: undefined,
      closure: undefined,
      incident: undefined,
      reliefClaims: [],
      notify: { notifications: {}, received: [] },
    };
  }
  if (!state.exists) return state;
  switch (event.type) {
    case 'ReportAmended': {
      const { estimate, directions, notes } = event.data;
      const location = amendedPoint(event.data, state.location);
      const sent = event.data.location;
      const passedOver = !sent ? state.passedOver : sameLocation(location, sent) ? undefined : { point: sent, ...(event.data.locationSuspect ? { suspicion: event.data.locationSuspect } : {}), at: event.at };
      const news = state.verified && estimate ? casualtyNews(state.newsAfterVerification, estimate, state.verified.figures) : state.newsAfterVerification;
      return {
        ...state,
        passedOver,
        newsAfterVerification: news,
        amendments: state.amendments + 1,
        ...(estimate ? { estimate: { ...state.estimate, ...estimate } } : {}),
        ...(directions !== undefined ? { directions } : {}),
        ...(location !== state.location ? { location } : {}),
        ...(notes !== undefined ? { notes } : {}),
        ...(notes?.trim() && notes !== state.notes ? { noteTrail: [...(state.noteTrail ?? []), { at: event.at, notes, ...(event.by ? { by: event.by } : {}) }] } : {}),
      };
    }
    case 'AlertRaised':
      return {
        ...state,
        alert: {
          step: event.data.step,
          tier: event.data.tier ?? event.data.step,
          lastRaisedAt: event.at,
          policy: event.data.policy,
          alerted: [...new Set([...(state.alert?.alerted ?? []), ...event.data.recipients])],
          related: [...new Set([...(state.alert?.related ?? []), ...(event.data.related ?? [])])],
        },
      };
    case 'AlertAcknowledged':
      return {
        ...state,
        acknowledgedBy: [...state.acknowledgedBy, event.data.by],
        answeredVia: state.acknowledgedBy.length === 0 ? event.data.via : event.data.via === undefined ? undefined : state.answeredVia,
        status: statusAfter(state.status, event.type),
      };
    case 'AlertReopened':
      return {
        ...state,
        acknowledgedBy: [],
        answeredVia: undefined,
        lapsedAnswers: [...(state.lapsedAnswers ?? []), { ...event.data, at: event.at }],
        status: statusAfter(state.status, event.type),
        ...(state.alert ? { alert: { ...state.alert, reopened: { at: event.at, answeredBy: event.data.answeredBy, because: event.data.because } } } : {}),
      };
    case 'OfficerDispatched':
      return {
        ...state,
        answeredVia: undefined,
        dispatched: [...state.dispatched, { officer: event.data.officer, eta: event.data.eta, at: event.at }],
        // Dispatching someone answers the alert as surely as pressing "acknowledge".
        status: statusAfter(state.status, event.type),
        acknowledgedBy: state.acknowledgedBy.length > 0 ? state.acknowledgedBy : [event.data.officer],
      };
    case 'OfficerArrived':
      return {
        ...state,
        answeredVia: undefined,
        arrived: [...state.arrived, { officer: event.data.officer, at: event.at, location: event.data.location }],
        status: statusAfter(state.status, event.type),
        acknowledgedBy: state.acknowledgedBy.length > 0 ? state.acknowledgedBy : [event.data.officer],
      };
    case 'DamageVerified':
      return {
        ...state,
        status: statusAfter(state.status, event.type),
        verifications: state.verifications + 1,
        verified: { ...event.data, at: event.at },
        newsAfterVerification: undefined,
      };
    case 'ReportDismissed':
      return { ...state, status: statusAfter(state.status, event.type), dismissal: { ...event.data, at: event.at, by: event.by } };
    case 'ReportClosed':
      return { ...state, status: statusAfter(state.status, event.type), closure: { summary: event.data.summary, at: event.at } };
    case 'IncidentLinkClaimed':
      return { ...state, incident: event.data.incidentId };
    case 'IncidentLinkReleased':
      return state.incident === event.data.incidentId ? { ...state, incident: undefined } : state;
    case 'ReliefClaimed':
      return { ...state, reliefClaims: [...state.reliefClaims, { allocationId: event.data.allocationId, at: event.at }] };
    case 'AlertReceived':
    case 'NotificationAttempted':
    case 'NotificationSent':
    case 'NotificationFailed':
    case 'NotificationDelivered':
      return { ...state, notify: evolveNotification(state.notify, event as NotificationEvent & { at: string }) };
    default:
      return assertNever(event);
  }
}

/**
 * A report's status after one of its events (SPEC §4 statuses): the one rule the decider and every
 * read model follow. Answering (acknowledging, dispatching) moves `filed` on; arriving moves it to
 * `on_site`; verification, dismissal and closure set theirs. Only a lapsed acknowledgement through a
 * related report (AlertReopened) moves `acknowledged` back to `filed`: nobody answers it any more.
 */
export function statusAfter(status: ReportStatus, type: ReportEvent['type']): ReportStatus {
  switch (type) {
    case 'ReportFiled':
      return 'filed';
    case 'AlertAcknowledged':
    case 'OfficerDispatched':
      return status === 'filed' ? 'acknowledged' : status;
    case 'OfficerArrived':
      return status === 'filed' || status === 'acknowledged' ? 'on_site' : status;
    case 'AlertReopened':
      return status === 'acknowledged' ? 'filed' : status;
    case 'DamageVerified':
      return 'verified';
    case 'ReportDismissed':
      return 'dismissed';
    case 'ReportClosed':
      return 'closed';
    case 'ReportAmended':
    case 'AlertRaised':
    case 'IncidentLinkClaimed':
    case 'IncidentLinkReleased':
    case 'ReliefClaimed':
    case 'AlertReceived':
    case 'NotificationAttempted':
    case 'NotificationSent':
    case 'NotificationFailed':
    case 'NotificationDelivered':
      return status;
    default:
      return assertNever(type);
  }
}

/**
 * Whether a report's own words tell of people in danger — buried, trapped, swept away, hurt, dead,
 * missing, calling for help — which an SMS or a hurried note says in words, not figures. Such a
 * report is alerted as new, never folded into an answered one (SPEC §5; the safe side: an officer
 * who gets it twice loses a minute, one who never gets it loses a life).
 */
export function mentionsPeopleInDanger(text: string | undefined): boolean {
  return text !== undefined && PEOPLE_IN_DANGER.test(text);
}
const PEOPLE_IN_DANGER = /埋|压住|压着|压在|被困|困住|困在|冲走|卷走|落水|溺|死|亡|遇难|失踪|失联|找不到人|受伤|伤了|伤者|重伤|昏迷|救命|救人|求救|被淹|淹了人/u;

/**
 * A related report is alerted as new when it says something the earlier one did not (SPEC §5):
 * people dead, missing or injured beyond the earlier report's, or more people affected.
 */
export function reportsWorse(later: IndicatorSet, earlier: IndicatorSet): boolean {
  return casualtiesRaised(later, earlier) || (later.affectedPeople ?? 0) > (earlier.affectedPeople ?? 0);
}

/** Whether `data` says what `had` says, by the same officer: figures, households in order, method and notes. */
function sameVerification(had: Verification, data: EventData<'DamageVerified'>): boolean {
  return (
    had.verifier === data.verifier &&
    had.method === data.method &&
    (had.notes ?? '') === (data.notes ?? '') &&
    JSON.stringify(sortedFigures(had.figures)) === JSON.stringify(sortedFigures(data.figures)) &&
    JSON.stringify(had.households.map(householdKey)) === JSON.stringify(data.households.map(householdKey))
  );
}
const sortedFigures = (f: IndicatorSet) => Object.entries(f).sort(([a], [b]) => a.localeCompare(b));
const householdKey = (h: Household) => [h.householdId, h.name, h.damage, h.people];

/** People dead, missing or injured: the figures a death toll is told in (SPEC §5 "graver"). */
export const CASUALTIES = ['dead', 'missing', 'injured'] as const;
export type Casualty = (typeof CASUALTIES)[number];

/** Whether `later` tells of more people dead, missing or injured than `earlier`. */
export const casualtiesRaised = (later: IndicatorSet, earlier: IndicatorSet): boolean => CASUALTIES.some((k) => (later[k] ?? 0) > (earlier[k] ?? 0));

const CASUALTY_WORDS: Record<Casualty, string> = { dead: '死亡', missing: '失踪', injured: '受伤' };

/**
 * The casualties reported above `verified` after a 续报 of `estimate` (people): each casualty the
 * 续报 names is news while above the verified figure, and no longer when it says the verified one
 * or less (a contact correcting "3 dead" back to 2); the others stay as they were. Undefined when none.
 */
export function casualtyNews(had: FiledReport['newsAfterVerification'], estimate: IndicatorSet, verified: IndicatorSet): FiledReport['newsAfterVerification'] {
  const out = { ...had };
  for (const k of CASUALTIES) {
    const said = estimate[k];
    if (said === undefined) continue;
    if (said > (verified[k] ?? 0)) out[k] = said;
    else delete out[k];
  }
  return Object.keys(out).length > 0 ? out : undefined;
}

const sameLocation = (a: Location | undefined, b: Location | undefined) => a?.lat === b?.lat && a?.lon === b?.lon;

/**
 * The point a report has after a 续报 (`amended`) when it had `had`: the 续报's, unless it is
 * suspect — judged when written (`locationSuspect`, version 2) or, for a version 1 amendment, by
 * the point alone (0,0, abroad: `replacesPoint`) — and the report has one. A report without a point
 * takes even a suspect one, as its filing would have (SPEC §5: the alert says where, and why it is
 * not to be trusted). The read models follow the same rule (projections/reports.ts).
 */
export function amendedPoint(amended: Pick<EventData<'ReportAmended'>, 'location' | 'locationSuspect'>, had: Location | undefined): Location | undefined {
  const { location, locationSuspect } = amended;
  if (!location) return had;
  if (had === undefined) return location;
  return locationSuspect === undefined && replacesPoint(location) ? location : had;
}

function amendmentChanges(report: FiledReport, amendment: EventData<'ReportAmended'>): boolean {
  const { estimate, directions, location, notes } = amendment;
  if (estimate && Object.entries(estimate).some(([k, v]) => report.estimate[k as keyof IndicatorSet] !== v)) return true;
  if (directions !== undefined && directions !== report.directions) return true;
  // A suspect point does not replace the report's (`amendedPoint`), so alone it changes nothing:
  // resent, it is not written twice.
  if (location && !sameLocation(amendedPoint(amendment, report.location), report.location)) return true;
  return notes !== undefined && notes !== report.notes;
}

export const reportDecider: Decider<ReportState, ReportCommand, ReportEvent> = { initialState, evolve, decide };

/**
 * A filing and its first alert decided together, for one append (SPEC §5): `firstAlert` is given
 * the report as the filing makes it and answers the RaiseAlert of step 0, or nothing. The alert is
 * then as durable as the report the moment the phone hears 201, and the officers' phones ring
 * without waiting for a second write (docs/decisions.md, "Intake"). `now` is the filing's time,
 * which is the time its events are recorded with. Any other command is the report decider's.
 */
export function filingDecider(now: string, firstAlert: (filed: FiledReport) => ReportCommand | undefined): Decider<ReportState, ReportCommand, ReportEvent> {
  return {
    initialState,
    evolve,
    cacheable: false,
    decide(command, state) {
      const filed = decide(command, state);
      if (command.type !== 'FileReport' || filed.length === 0) return filed;
      const after = filed.reduce((s, e) => evolve(s, { ...e, at: now }), state);
      if (!after.exists) return filed;
      const alert = firstAlert(after);
      return alert ? [...filed, ...decide(alert, after)] : filed;
    },
  };
}

/** What the alerting policy needs to know about a report. */
export function alertTrack(report: FiledReport): AlertTrack {
  return {
    step: report.alert?.step,
    tier: report.alert?.tier,
    lastRaisedAt: report.alert?.lastRaisedAt,
    reopenedAt: report.alert?.reopened?.at,
    delayMs: report.alert?.policy.delayMs,
    acknowledged: report.acknowledgedBy.length > 0,
    finished: report.status === 'closed' || report.status === 'dismissed',
    reportedAt: report.reportedAt,
  };
}
