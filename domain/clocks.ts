import type { IndicatorSet, Indicator } from './vocabulary.js';
import { INDICATORS } from './vocabulary.js';

/**
 * Statutory reporting clocks (SPEC §3): initial figures (初报) within 2 h of the start; a daily
 * follow-up (续报) by 09:00 local time every day until the incident stabilizes, even when nothing
 * changed; final figures (核报) within 2 working days of stabilization. Pure functions of the
 * incident's history and a time.
 */
export interface ClockRules {
  initialWithinMs: number;
  dailyLocalHour: number;
  finalWorkingDays: number;
  /** Asia/Shanghai has been UTC+8 without daylight saving since 1991. */
  utcOffsetMinutes: number;
  /** The official calendar: without it, Monday to Friday are the working days. */
  calendar?: WorkingCalendar | undefined;
}

/**
 * The State Council's holiday schedule as the office keeps it (issue 16): local dates
 * (`YYYY-MM-DD`, Beijing time) that are public holidays although weekdays, and weekend dates that
 * are working days (调休). Any other date is a working day iff it is Monday to Friday.
 */
export interface WorkingCalendar {
  holidays: ReadonlySet<string>;
  workdays: ReadonlySet<string>;
}

export const DEFAULT_CLOCK_RULES: ClockRules = {
  initialWithinMs: 2 * 60 * 60 * 1000,
  dailyLocalHour: 9,
  finalWorkingDays: 2,
  utcOffsetMinutes: 8 * 60,
};

export type ClockName = 'initial' | 'daily' | 'final';

export interface ClockStatus {
  clock: ClockName;
  /**
   * The due time this status is about. For the daily clock: while it is overdue, the first due
   * time missed since the last follow-up (one overdue run, however many days it has lasted);
   * otherwise the next due time.
   */
  dueAt: string;
  /** When a submission satisfied it, if one did. */
  satisfiedAt?: string;
  /** Not satisfied, and the due time has passed. */
  overdue: boolean;
  /** Satisfied, but after the due time. */
  late: boolean;
  /** Daily clock only: due times missed in the current overdue run (0 when not overdue). */
  missed?: number;
  /** Daily clock only, while overdue: the most recent due time missed. */
  lastMissedAt?: string;
}

export interface ClockInput {
  startedAt: string;
  submissions: ReadonlyArray<{ stage: ClockName; at: string }>;
  stabilizedAt?: string | undefined;
  closed: boolean;
}

const DAY_MS = 24 * 60 * 60 * 1000;

/** The first daily due time: the configured hour, local time, on the local day after the start. */
function firstDailyDue(startedAt: number, rules: ClockRules): number {
  const offset = rules.utcOffsetMinutes * 60 * 1000;
  const localMidnight = Math.floor((startedAt + offset) / DAY_MS) * DAY_MS;
  return localMidnight + DAY_MS + rules.dailyLocalHour * 60 * 60 * 1000 - offset;
}

/**
 * `days` working days after `from` (ms since the epoch), at the same local time of day: Monday to
 * Friday, except the calendar's holidays, plus its 调休 working weekend days.
 */
export function addWorkingDays(from: number, days: number, utcOffsetMinutes: number, calendar?: WorkingCalendar): number {
  const offset = utcOffsetMinutes * 60 * 1000;
  let local = from + offset;
  let added = 0;
  while (added < days) {
    local += DAY_MS;
    const date = new Date(local);
    const day = date.toISOString().slice(0, 10);
    const weekday = date.getUTCDay();
    const working = calendar?.workdays.has(day) || (weekday !== 0 && weekday !== 6 && !calendar?.holidays.has(day));
    if (working) added++;
  }
  return local - offset;
}

/**
 * The statutory clocks of an incident as of `now`: the initial report, the daily follow-up and,
 * once stabilized, the final report. At most three entries, and the work is linear in the number
 * of submissions whatever the incident's age (a drought runs for months): a daily clock left
 * unmet for many days is one overdue run, not one entry per day.
 */
export function statutoryClocks(incident: ClockInput, now: string, rules: ClockRules = DEFAULT_CLOCK_RULES): ClockStatus[] {
  const t = Date.parse(now);
  const started = Date.parse(incident.startedAt);
  // As of `now`: a submission made later does not exist yet (this is also what asOf queries need).
  // Daily follow-ups are owed at each due time up to stabilization (or close).
  const stop = Math.min(
    incident.stabilizedAt !== undefined ? Date.parse(incident.stabilizedAt) : Infinity,
    incident.closed ? t : Infinity,
  );
  let initialAt: number | undefined;
  let finalAt: number | undefined;
  let lastFollowUp: number | undefined;
  for (const s of incident.submissions) {
    const at = Date.parse(s.at);
    if (at > t) continue;
    if (s.stage === 'initial') initialAt = initialAt === undefined ? at : Math.min(initialAt, at);
    else {
      if (s.stage === 'final') finalAt = finalAt === undefined ? at : Math.min(finalAt, at);
      // Any daily or final submission before the dailies stop is a follow-up for the daily clock.
      if (at <= stop) lastFollowUp = lastFollowUp === undefined ? at : Math.max(lastFollowUp, at);
    }
  }
  const status = (clock: ClockName, due: number, satisfied: number | undefined): ClockStatus => ({
    clock,
    dueAt: new Date(due).toISOString(),
    ...(satisfied !== undefined ? { satisfiedAt: new Date(satisfied).toISOString() } : {}),
    overdue: satisfied === undefined && !incident.closed && t > due,
    late: satisfied !== undefined && satisfied > due,
  });

  const clocks: ClockStatus[] = [status('initial', started + rules.initialWithinMs, initialAt)];

  // A follow-up meets the first due time at or after it; the due times after that are owed again.
  const first = firstDailyDue(started, rules);
  const dueAtOrAfter = (at: number) => (at <= first ? first : first + Math.ceil((at - first) / DAY_MS) * DAY_MS);
  const met = lastFollowUp !== undefined && lastFollowUp > first - DAY_MS ? dueAtOrAfter(lastFollowUp) : undefined;
  const owedFrom = met === undefined ? first : met + DAY_MS;
  if (owedFrom <= stop) {
    if (owedFrom < t && !incident.closed) {
      const lastPast = Math.min(t, stop);
      const missed = Math.floor((lastPast - owedFrom) / DAY_MS) + 1;
      clocks.push({ ...status('daily', owedFrom, undefined), missed, lastMissedAt: new Date(owedFrom + (missed - 1) * DAY_MS).toISOString() });
    } else {
      // Not overdue: the next due time, met in advance when the last follow-up fell in its window.
      const next = dueAtOrAfter(t);
      const meets = met !== undefined && met === next;
      if (next <= stop || meets) clocks.push({ ...status('daily', next, meets ? lastFollowUp : undefined), missed: 0 });
    }
  } else if (met !== undefined && met <= stop) {
    clocks.push({ ...status('daily', met, lastFollowUp), missed: 0 });
  }

  if (incident.stabilizedAt !== undefined) {
    const finalDue = addWorkingDays(Date.parse(incident.stabilizedAt), rules.finalWorkingDays, rules.utcOffsetMinutes, rules.calendar);
    clocks.push(status('final', finalDue, finalAt));
  }
  return clocks;
}

/** A figure moving by more than this share against the previous submission needs an explanation. */
export const JUMP_THRESHOLD = 0.5;

/**
 * Indicators that moved by more than 50 % against the previous submission. A figure appearing
 * from zero counts as a jump: a first death or a first collapsed room must be explained upward.
 */
export function jumpedIndicators(previous: IndicatorSet, next: IndicatorSet): Indicator[] {
  return INDICATORS.filter((k) => {
    const before = previous[k] ?? 0;
    const after = next[k] ?? 0;
    if (before === after) return false;
    if (before === 0) return true;
    return Math.abs(after - before) / before > JUMP_THRESHOLD;
  });
}
