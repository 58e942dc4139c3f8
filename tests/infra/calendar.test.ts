// The working-calendar file (issue 16): checked whole at start, and the API's incident clocks
// follow it. Dates here are made up for the test, not an official schedule.
import t from 'tap';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { loadConfig, ConfigError } from '../../infra/config.js';
import { loadWorkingCalendar } from '../../infra/calendar.js';
import { startTestApp, KANG } from '../support/app.js';
import { testDir } from '../support/dirs.js';

t.test('the calendar file: checked whole at start, the example loads', async (t) => {
  const dir = testDir(t);
  const example = loadWorkingCalendar(join(import.meta.dirname, '../../docs/examples/working-calendar.example.json'));
  t.ok(example.holidays.size > 0 && example.workdays.size > 0, 'the labelled example file loads');
  const bad = (name: string, body: string) => {
    writeFileSync(join(dir, name), body);
    try {
      loadConfig({ DATA_DIR: join(dir, 'data'), WORKING_CALENDAR_FILE: join(dir, name) });
      return 'started';
    } catch (error) {
      t.type(error, ConfigError);
      return (error as Error).message;
    }
  };
  t.match(bad('a.json', '{"holidays":["2026-13-01"],"workdays":[]}'), /WORKING_CALENDAR_FILE: .*holidays\.0: a local date YYYY-MM-DD/, 'a bad date is named');
  t.match(bad('b.json', '{"holidays":["2026-12-03"],"workdays":["2026-12-03"]}'), /2026-12-03 is both a holiday and a working day/);
  t.match(bad('c.json', 'not json'), /not readable as JSON/);
  t.match(bad('d.json', '{"holidays":[],"workdays":[],"extra":1}'), /WORKING_CALENDAR_FILE/, 'unknown keys refused');
  t.equal(bad('e.json', '{"holidays":["2026-12-03"],"workdays":[]}'), 'started');
});

t.test('the API’s incident clocks use the configured calendar', async (t) => {
  const dir = testDir(t);
  writeFileSync(join(dir, 'calendar.json'), JSON.stringify({ holidays: ['2026-12-03', '2026-12-04'], workdays: ['2026-12-05'] }));
  mkdirSync(join(dir, 'data'));
  const app = await startTestApp(t, { dataDir: join(dir, 'data'), env: { WORKING_CALENDAR_FILE: join(dir, 'calendar.json') }, now: () => new Date('2026-12-06T00:00:00Z') });
  const head = app.token('head', KANG, 'head-k');
  const opened = await app.call('POST', '/incidents', { token: head, body: { county: KANG, hazard: 'hail', startedAt: '2026-11-30T00:00:00Z', title: '冰雹' } });
  const id = opened.json().incidentId;
  t.equal((await app.call('POST', `/incidents/${id}/stabilization`, { token: head, body: { at: '2026-12-02T10:00:00+08:00' } })).statusCode, 200);
  const final = (await app.call('GET', `/incidents/${id}`, { token: head })).json().clocks.find((c: { clock: string }) => c.clock === 'final');
  t.equal(final.dueAt, '2026-12-07T02:00:00.000Z', 'due Monday 10:00 Beijing time, not Friday');
  const listed = (await app.call('GET', `/incidents?unit=${KANG}`, { token: head })).json().items[0].clocks.find((c: { clock: string }) => c.clock === 'final');
  t.equal(listed.dueAt, final.dueAt, 'the list says the same');
});
