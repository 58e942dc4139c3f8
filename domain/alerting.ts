import type { EscalationPolicy } from './events.js';
import { ancestorAt, scopePrefix, significantPrefix } from './units.js';

/**
 * Who is alerted, and when the alert climbs (SPEC §5). Pure: the roster and the time come in.
 *
 *   step 0  the township's on-call primaries
 *   step 1  + the on-call backups and the township's heads
 *   step 2  + the county's heads
 *   step n  past the last step the last step repeats until someone acknowledges
 *
 * When nobody is on call as primary, step 0 goes to the township's heads at once: an alert that
 * reaches nobody is the failure this system exists to prevent.
 */
/**
 * Who writes what the alerting policy decides (SPEC §3: alerts are "written by the alerting policy,
 * not by users"): every AlertRaised, and an acknowledgement counted via a related report, even when
 * it is decided with a filing and appended with it. The user whose request it was is in the
 * correlation, never in the actor, so an auditor never reads a contact acknowledging an alert.
 */
export const ALERTING_ACTOR = { id: 'zhitong-alerting', role: 'system' } as const;

export const DEFAULT_ESCALATION_DELAY_MS = 10 * 60 * 1000;
/** Two reports of one hazard from one village within this window are one event on the ground. */
export const RELATED_REPORT_WINDOW_MS = 2 * 60 * 60 * 1000;

export interface RosterEntry {
  officer: string;
  tier: 'primary' | 'backup';
  from?: string | undefined;
  until?: string | undefined;
}

export const roleAudience = (role: 'head' | 'officer', unitCode: string): string => `${role}@${significantPrefix(unitCode)}`;

export function isOnCall(entry: RosterEntry, now: string): boolean {
  const t = Date.parse(now);
  return (entry.from === undefined || Date.parse(entry.from) <= t) && (entry.until === undefined || t < Date.parse(entry.until));
}

export function onCall(entries: readonly RosterEntry[], tier: RosterEntry['tier'], now: string): string[] {
  return [...new Set(entries.filter((e) => e.tier === tier && isOnCall(e, now)).map((e) => e.officer))];
}

/**
 * The policy in force for a report in `village`, to be copied into AlertRaised (SPEC §5): step 0
 * the primaries on call, step 1 with the backups and the township's heads, step 2 with the
 * county's heads. Step 0 goes to the township's heads when nobody is primary now, and to them as
 * well when no primary on call can be reached (`reachable`: holds a live officer's or head's token
 * for the township: domain/roster.ts unreachedBecause, the roster warnings' rule) — an alert that reaches nobody for the first
 * escalation's ten minutes is the failure zhitong exists to prevent (docs/decisions.md "Nobody on
 * call: step 0 goes to the township heads"). Where the township's heads cannot be reached either
 * (`audienceReached`: someone holds live access as that audience), step 0 goes to the county's
 * heads as well.
 */
export function escalationPolicy(
  village: string,
  roster: readonly RosterEntry[],
  now: string,
  delayMs: number = DEFAULT_ESCALATION_DELAY_MS,
  reachable: (officer: string) => boolean = () => true,
  audienceReached: (audience: string) => boolean = () => true,
): EscalationPolicy {
  const township = ancestorAt(village, 'township');
  const county = ancestorAt(village, 'county');
  const townshipHeads = township ? [roleAudience('head', township)] : [];
  const countyHeads = county ? [roleAudience('head', county)] : [];
  const primaries = onCall(roster, 'primary', now);
  // The unreachable primaries stay named: a token issued meanwhile makes them reached after all.
  const primaryReached = primaries.some(reachable);
  const step0 = primaries.length === 0 ? townshipHeads : primaryReached ? primaries : union(primaries, townshipHeads);
  // Nobody on call reached and the township has no head to reach either: the county's heads at once,
  // not at the second escalation twenty minutes on (found by a newcomer: a debris flow reached nobody).
  if (!primaryReached && !townshipHeads.some(audienceReached)) {
    const withCounty = union(step0, countyHeads);
    const step1 = union(withCounty, onCall(roster, 'backup', now), townshipHeads);
    return { delayMs, steps: [withCounty, step1, union(step1, countyHeads)] };
  }
  const step1 = union(step0, onCall(roster, 'backup', now), townshipHeads);
  const step2 = union(step1, countyHeads);
  return { delayMs, steps: [step0, step1, step2] };
}

export function recipientsAt(policy: EscalationPolicy, step: number): string[] {
  return policy.steps[Math.min(step, policy.steps.length - 1)]!;
}

export interface AlertTrack {
  /** Step of the last AlertRaised, or undefined when none was raised yet. */
  step: number | undefined;
  /** The policy's step the last AlertRaised went to (its `tier`, else its step). */
  tier?: number | undefined;
  lastRaisedAt: string | undefined;
  /** When an acknowledgement through a related report lapsed (AlertReopened), until the next alert is raised. */
  reopenedAt?: string | undefined;
  /** The delay of the policy copied into the last AlertRaised. */
  delayMs: number | undefined;
  acknowledged: boolean;
  /** Closed or dismissed: nothing more to alert. */
  finished: boolean;
  reportedAt: string;
}

/**
 * The next alert a report is owed, or undefined when escalation has stopped (SPEC §5). `step`
 * counts every alert raised for the report; `tier` is the policy's step whose recipients it goes to
 * (recipientsAt). After an acknowledgement through a related report lapsed (`reopenedAt`) the
 * report is alerted as new, at once: the policy's first step again, under the next step number, and
 * the escalation climbs from there.
 */
export function nextEscalation(track: AlertTrack): { step: number; tier: number; dueAt: string; reason: 'filed' | 'unacknowledged' | 'reopened' } | undefined {
  if (track.acknowledged || track.finished) return undefined;
  if (track.step === undefined || track.delayMs === undefined || track.lastRaisedAt === undefined) {
    return { step: 0, tier: 0, dueAt: track.reportedAt, reason: 'filed' };
  }
  if (track.reopenedAt !== undefined) {
    return { step: track.step + 1, tier: 0, dueAt: track.reopenedAt, reason: 'reopened' };
  }
  return {
    step: track.step + 1,
    tier: (track.tier ?? track.step) + 1,
    dueAt: new Date(Date.parse(track.lastRaisedAt) + track.delayMs).toISOString(),
    reason: 'unacknowledged',
  };
}

/** Does a recipient entry name this user? User ids match exactly; `role@prefix` matches the role with exactly that scope. */
export function addresses(recipient: string, user: { id: string; role: string; scope: string }): boolean {
  const at = recipient.indexOf('@');
  if (at < 0) return recipient === user.id;
  return recipient.slice(0, at) === user.role && recipient.slice(at + 1) === scopePrefix(user.scope);
}

export interface ReportSighting {
  reportId: string;
  village: string;
  hazard: string;
  /** When it was filed (server time), epoch ms: the read side keeps sightings as numbers. */
  t: number;
}

/** An alert names at most this many related reports, the most recent first. */
export const MAX_RELATED_REPORTS = 5;

/**
 * Earlier reports of the same hazard in the same village within the window before `report` (ms),
 * most recent first (SPEC §5). A hazard of `other` names none: two reports of "something else" are
 * not known to be one thing (found by a newcomer: a fallen wall answered through a sick cow).
 */
export function relatedReports(
  report: ReportSighting,
  earlier: readonly ReportSighting[],
  windowMs: number = RELATED_REPORT_WINDOW_MS,
): string[] {
  if (report.hazard === 'other') return [];
  return earlier
    .filter((r) => r.reportId !== report.reportId && r.village === report.village && r.hazard === report.hazard && r.t <= report.t && report.t - r.t <= windowMs)
    .sort((a, b) => b.t - a.t)
    .slice(0, MAX_RELATED_REPORTS)
    .map((r) => r.reportId);
}

function union(...lists: string[][]): string[] {
  // Not `new Set(lists.flat())`: flat() was most of the policy's cost, decided with every filing.
  const seen = new Set<string>();
  for (const list of lists) for (const item of list) seen.add(item);
  return [...seen];
}
