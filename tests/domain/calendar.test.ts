// The 核报 clock follows the office's working calendar (issue 16): holidays on weekdays are not
// working days, 调休 weekend days are. Dates here are made up for the test, not an official schedule.
import t from 'tap';
import { addWorkingDays, statutoryClocks } from '../../domain/clocks.js';

const OFFSET = 8 * 60;
const at = (local: string) => Date.parse(`${local}+08:00`);
const local = (ms: number) => new Date(ms + 8 * 3600_000).toISOString().slice(0, 16);

t.test('working days: Monday to Friday, less holidays, plus 调休 working weekend days', async (t) => {
  // Wednesday 2026-12-02, 10:00 Beijing time.
  const from = at('2026-12-02T10:00');
  t.equal(local(addWorkingDays(from, 2, OFFSET)), '2026-12-04T10:00', 'no calendar: Thursday, Friday');
  t.equal(local(addWorkingDays(at('2026-12-04T10:00'), 2, OFFSET)), '2026-12-08T10:00', 'over a weekend: Monday, Tuesday');
  const calendar = { holidays: new Set(['2026-12-03', '2026-12-04']), workdays: new Set(['2026-12-05']) };
  t.equal(local(addWorkingDays(from, 2, OFFSET, calendar)), '2026-12-07T10:00', 'Thursday and Friday off, Saturday worked: Saturday, Monday');
  const clocks = statutoryClocks({ startedAt: '2026-11-30T00:00:00Z', submissions: [], stabilizedAt: new Date(from).toISOString(), closed: false }, '2026-12-06T00:00:00Z', {
    initialWithinMs: 7_200_000,
    dailyLocalHour: 9,
    finalWorkingDays: 2,
    utcOffsetMinutes: OFFSET,
    calendar,
  });
  const final = clocks.find((c) => c.clock === 'final')!;
  t.equal(local(Date.parse(final.dueAt)), '2026-12-07T10:00', 'the 核报 clock uses it');
  t.equal(final.overdue, false, 'not overdue on the Sunday, though Friday has passed');
});
