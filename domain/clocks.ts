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
  dueAt: string;
  /** When a submission satisfied it, if one did. */
  satisfiedAt?: string;
  /** Not satisfied, and the due time has passed. */
  overdue: boolean;
  /** Satisfied, but after the due time. */
  late: boolean;
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

/** `days` working days (Mon–Fri) after `from`, at the same local time of day. */
export function addWorkingDays(from: number, days: number, utcOffsetMinutes: number): number {
  const offset = utcOffsetMinutes * 60 * 1000;
  let local = from + offset;
  let added = 0;
  while (added < days) {
    local += DAY_MS;
    const weekday = new Date(local).getUTCDay();
    if (weekday !== 0 && weekday !== 6) added++;
  }
  return local - offset;
}

export function statutoryClocks(incident: ClockInput, now: string, rules: ClockRules = DEFAULT_CLOCK_RULES): ClockStatus[] {
  const t = Date.parse(now);
  const started = Date.parse(incident.startedAt);
  // As of `now`: a submission made later does not exist yet (this is also what asOf queries need).
  const at = (stage: ClockName) =>
    incident.submissions.filter((s) => s.stage === stage && Date.parse(s.at) <= t).map((s) => Date.parse(s.at));
  const status = (clock: ClockName, due: number, satisfied: number | undefined): ClockStatus => ({
    clock,
    dueAt: new Date(due).toISOString(),
    ...(satisfied !== undefined ? { satisfiedAt: new Date(satisfied).toISOString() } : {}),
    overdue: satisfied === undefined && !incident.closed && t > due,
    late: satisfied !== undefined && satisfied > due,
  });

  const clocks: ClockStatus[] = [];
  const initialDue = started + rules.initialWithinMs;
  clocks.push(status('initial', initialDue, at('initial')[0]));

  // A daily is owed for each due time up to stabilization (or close); we list the past ones and
  // the next one to come. Any daily or final submission in the 24 h before a due time meets it.
  const followUps = [...at('daily'), ...at('final')];
  const stop = Math.min(
    incident.stabilizedAt !== undefined ? Date.parse(incident.stabilizedAt) : Infinity,
    incident.closed ? t : Infinity,
  );
  for (let due = firstDailyDue(started, rules); due <= stop; due += DAY_MS) {
    const satisfied = followUps.filter((s) => s > due - DAY_MS && s <= due).sort((a, b) => a - b)[0];
    // A missed daily is caught up (late) by the next follow-up sent after it, so it stops being
    // overdue; that same submission may also meet the following day's clock.
    const caughtUp = satisfied ?? followUps.filter((s) => s > due).sort((a, b) => a - b)[0];
    clocks.push(status('daily', due, caughtUp));
    if (due > t) break;
  }

  if (incident.stabilizedAt !== undefined) {
    const finalDue = addWorkingDays(Date.parse(incident.stabilizedAt), rules.finalWorkingDays, rules.utcOffsetMinutes);
    clocks.push(status('final', finalDue, at('final')[0]));
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
