import { readFileSync } from 'node:fs';
import { z } from 'zod';
import type { WorkingCalendar } from '../domain/clocks.js';
import { ConfigError } from './config-error.js';

const LocalDate = z.string().regex(/^\d{4}-(0[1-9]|1[0-2])-(0[1-9]|[12]\d|3[01])$/, 'a local date YYYY-MM-DD');

/**
 * The working-calendar file (issue 16): `{"holidays": ["YYYY-MM-DD", …], "workdays": [...],
 * "note"?: "…"}`, kept by the office from the State Council's yearly schedule (国务院办公厅关于
 * 部分节假日安排的通知). `holidays` are weekdays off; `workdays` are weekend days worked (调休).
 * @throws Error naming the file and the bad entry, so a typo stops the start rather than moves a
 *   statutory deadline.
 */
export const CalendarFile = z.strictObject({
  note: z.string().max(2000).optional(),
  holidays: z.array(LocalDate).max(5000),
  workdays: z.array(LocalDate).max(5000),
});

/** A calendar file's problem for the configuration's refusal (services/operator-text.ts prints it in both languages). */
const problem = (file: string, en: string, zh: string) => new ConfigError([{ field: 'WORKING_CALENDAR_FILE', en: `${file}: ${en}`, zh: `${file}：${zh}` }]);

/** Reads the office's working calendar (SPEC §3 "2 working days"). Throws ConfigError naming the file and the problem. */
export function loadWorkingCalendar(file: string): WorkingCalendar {
  let json: unknown;
  try {
    json = JSON.parse(readFileSync(file, 'utf8'));
  } catch (error) {
    const missing = (error as NodeJS.ErrnoException).code === 'ENOENT';
    throw problem(file, missing ? 'no such file' : `not readable as JSON (${(error as Error).message})`, missing ? '找不到文件' : `不是有效的 JSON（${(error as Error).message}）`);
  }
  const parsed = CalendarFile.safeParse(json);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    const where = `${file}: ${issue.path.join('.') || '(top)'}`;
    throw new ConfigError([{ field: 'WORKING_CALENDAR_FILE', en: `${where}: ${issue.message}`, where, issue: issue as unknown as Record<string, unknown> }]);
  }
  const both = parsed.data.holidays.filter((d) => parsed.data.workdays.includes(d));
  if (both.length > 0) throw problem(file, `${both[0]} is both a holiday and a working day`, `${both[0]} 既是节假日又是调休工作日`);
  return { holidays: new Set(parsed.data.holidays), workdays: new Set(parsed.data.workdays) };
}
