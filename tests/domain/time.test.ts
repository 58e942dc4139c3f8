import t from 'tap';
import fc from 'fast-check';
import { beijingDay, beijingPair, beijingTime, withLocalTimes } from '../../domain/time.js';

/** The conversion in full: parse, shift eight hours, print to the second (a six-digit year too). */
function plain(iso: string): string {
  const t = Date.parse(iso);
  if (Number.isNaN(t)) return iso;
  return `${new Date(t + 8 * 3_600_000).toISOString().replace(/\.\d{3}Z$/, '')}+08:00`;
}

t.test('Beijing time is UTC plus eight hours, across midnight, month and year ends and leap days', async (t) => {
  t.equal(beijingTime('2026-07-01T03:40:00.000Z'), '2026-07-01T11:40:00+08:00');
  t.equal(beijingTime('2026-12-31T16:00:00Z'), '2027-01-01T00:00:00+08:00', 'New Year in Beijing while it is still 31 December in UTC');
  t.equal(beijingTime('2028-02-28T20:59:59.999Z'), '2028-02-29T04:59:59+08:00', 'a leap day');
  t.equal(beijingTime('2026-02-28T16:30:00Z'), '2026-03-01T00:30:00+08:00', 'no leap day');
  t.equal(beijingTime('2026-07-01T03:99:00Z'), '2026-07-01T03:99:00Z', 'minutes out of range: returned as it is');
  t.equal(beijingTime('2026-07-01T24:00:05Z'), '2026-07-01T24:00:05Z', 'hour 24 past midnight: returned as it is');
  t.equal(beijingTime('2026-13-01T03:00:00Z'), '2026-13-01T03:00:00Z', 'a month out of range: returned as it is');
  t.equal(beijingTime('not a time'), 'not a time');
});

t.test('a Beijing calendar day: its first and last millisecond, for any date; none for a day that does not exist', async (t) => {
  t.equal(beijingDay('2026-12-03', 'start'), '2026-12-02T16:00:00.000Z');
  t.equal(beijingDay('2026-12-03', 'end'), '2026-12-03T15:59:59.999Z');
  for (const text of ['2026-02-29', '2026-02-30', '2026-13-01', '2026-00-10', '2026-12-3', '2026-12-03T00:00', '昨天']) t.equal(beijingDay(text, 'end'), undefined, text);
  t.equal(beijingDay('2028-02-29', 'start'), '2028-02-28T16:00:00.000Z', 'a leap day exists');
  fc.assert(
    fc.property(fc.date({ min: new Date('1971-01-01'), max: new Date('9998-12-31'), noInvalidDate: true }), (d) => {
      const date = d.toISOString().slice(0, 10);
      const start = beijingDay(date, 'start')!;
      const end = beijingDay(date, 'end')!;
      return beijingTime(start) === `${date}T00:00:00+08:00` && beijingTime(end) === `${date}T23:59:59+08:00` && Date.parse(end) - Date.parse(start) === 86_400_000 - 1;
    }),
  );
});

t.test('the hour-by-hour conversion equals the plain one for any instant and any text', async () => {
  const instants = fc.date({ min: new Date(Date.UTC(0, 0, 1)), max: new Date(Date.UTC(9999, 11, 31, 23, 59, 59)), noInvalidDate: true }).map((d) => d.toISOString());
  fc.assert(fc.property(instants, (iso) => beijingTime(iso) === plain(iso)), { numRuns: 20_000 });
  fc.assert(fc.property(instants.map((iso) => iso.replace('.000Z', 'Z')), (iso) => beijingTime(iso) === plain(iso)), { numRuns: 2_000 });
  const digits = (n: number) => fc.stringMatching(new RegExp(`^\\d{${n}}$`));
  const lookalike = fc.tuple(digits(4), digits(2), digits(2), digits(2), digits(2), digits(2)).map(([y, mo, d, h, mi, s]) => `${y}-${mo}-${d}T${h}:${mi}:${s}Z`);
  fc.assert(fc.property(fc.oneof(lookalike, fc.string()), (text) => beijingTime(text) === plain(text)), { numRuns: 20_000 });
});

t.test('every instant under a time key gets its twin, at any depth', async (t) => {
  t.same(withLocalTimes({ reportedAt: '2026-07-01T03:40:00.000Z', list: [{ dueAt: '2026-07-01T16:00:00Z' }], note: '2026-07-01T03:40:00Z' }), {
    reportedAt: '2026-07-01T03:40:00.000Z',
    reportedAtLocal: '2026-07-01T11:40:00+08:00',
    list: [{ dueAt: '2026-07-01T16:00:00Z', dueAtLocal: '2026-07-02T00:00:00+08:00' }],
    note: '2026-07-01T03:40:00Z',
  });
});

// Found by a newcomer: "filed at 06:01, later than this one (06:01)" read as a mistake.
t.test('beijingPair: two instants to the minute, or to the second when they share the minute', async (t) => {
  t.same(beijingPair('2026-07-01T02:00:00.000Z', '2026-07-01T02:21:30.000Z'), ['2026-07-01 10:00', '2026-07-01 10:21'], 'different minutes: to the minute');
  t.same(beijingPair('2026-07-01T02:01:05.100Z', '2026-07-01T02:01:41.900Z'), ['2026-07-01 10:01:05', '2026-07-01 10:01:41'], 'the same minute: to the second');
  t.same(beijingPair('2026-07-01T15:59:59.000Z', '2026-07-01T16:00:01.000Z'), ['2026-07-01 23:59', '2026-07-02 00:00'], 'across midnight, Beijing time');
  t.same(beijingPair('yesterday', 'yesterday'), ['yesterday', 'yesterday'], 'text that is not a time is given as it is');
  // The sweep: instants a second or more apart never read the same.
  fc.assert(
    fc.property(fc.integer({ min: Date.UTC(2020, 0, 1) / 1000, max: Date.UTC(2040, 0, 1) / 1000 }), fc.integer({ min: 1, max: 7_200 }), (s, gap) => {
      const [x, y] = beijingPair(new Date(s * 1000).toISOString(), new Date((s + gap) * 1000).toISOString());
      return x !== y;
    }),
  );
  t.pass('instants a second or more apart never read the same');
  t.same(beijingPair('2026-07-01T02:01:05.100Z', '2026-07-01T02:01:05.900Z'), ['2026-07-01 10:01:05.100', '2026-07-01 10:01:05.900'], 'the same second: to the millisecond (found by a newcomer)');
  t.same(beijingPair('2026-07-01T02:01:05.100Z', '2026-07-01T02:01:05.100Z'), ['2026-07-01 10:01:05', '2026-07-01 10:01:05'], 'the same instant reads the same');
  fc.assert(
    fc.property(fc.integer({ min: Date.UTC(2020, 0, 1), max: Date.UTC(2040, 0, 1) }), fc.integer({ min: 1, max: 7_200_000 }), (ms, gap) => {
      const [x, y] = beijingPair(new Date(ms).toISOString(), new Date(ms + gap).toISOString());
      return x !== y;
    }),
  );
  t.pass('sweep: instants a millisecond or more apart never read the same');
});

t.test('past year 9999 and before year 0 the year is six digits with its sign, and the seconds are kept (found by a newcomer: +010000-01-01T07:59+08:00)', async (t) => {
  t.equal(beijingTime('9999-12-31T23:59:59Z'), '+010000-01-01T07:59:59+08:00');
  t.equal(beijingTime('9999-12-31T23:59:59.000Z'), '+010000-01-01T07:59:59+08:00');
  t.equal(beijingTime('9999-12-31T15:59:59.000Z'), '9999-12-31T23:59:59+08:00');
  t.equal(beijingTime('-000001-06-01T00:00:00.000Z'), '-000001-06-01T08:00:00+08:00');
});
