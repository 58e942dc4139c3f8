import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import t from 'tap';
import { LIJIA, WANGBA, reportBody, startTestApp } from '../support/app.js';
import { AlertClient } from '../support/ws-client.js';

/**
 * Observability (issue): `/metrics` carries every family the operators were promised, named as
 * Prometheus names things, with no label that grows with the data, and Debian's promtool (what CI
 * installs from the prometheus package) finds nothing to lint in it.
 */

const PROMTOOL = process.env.PROMTOOL ?? '/usr/bin/promtool';

/** Family → type, for each family the issue lists (backups are the backup command's, checked when present). */
const PROMISED: Record<string, string> = {
  zhitong_http_requests_total: 'counter',
  zhitong_http_request_duration_seconds: 'histogram',
  zhitong_eventstore_appends_total: 'counter',
  zhitong_eventstore_appended_events_total: 'counter',
  zhitong_eventstore_append_duration_seconds: 'histogram',
  zhitong_alerts_raised_total: 'counter',
  zhitong_websocket_frames_sent_total: 'counter',
  zhitong_alert_notifications_total: 'counter',
  zhitong_report_to_alert_seconds: 'histogram',
  zhitong_alerts_open: 'gauge',
  zhitong_alerts_open_oldest_seconds: 'gauge',
  zhitong_alert_escalations_total: 'counter',
  zhitong_alert_acknowledgements_total: 'counter',
  zhitong_projection_lag_events: 'gauge',
  zhitong_projection_lag_seconds: 'gauge',
  zhitong_websocket_clients: 'gauge',
};

interface Exposition {
  types: Map<string, string>;
  helps: Map<string, string>;
  /** Every sample line's name (with _bucket/_sum/_count) → its values by label set. */
  samples: Array<{ name: string; labels: string; value: number }>;
}

function parse(text: string): Exposition {
  const types = new Map<string, string>();
  const helps = new Map<string, string>();
  const samples: Exposition['samples'] = [];
  for (const line of text.split('\n')) {
    const meta = /^# (TYPE|HELP) (\S+) (.*)$/.exec(line);
    if (meta) (meta[1] === 'TYPE' ? types : helps).set(meta[2]!, meta[3]!);
    const sample = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{.*\})? (\S+)$/.exec(line);
    if (sample) samples.push({ name: sample[1]!, labels: sample[2] ?? '', value: Number(sample[3]) });
  }
  return { types, helps, samples };
}

const total = (e: Exposition, name: string, labels?: RegExp) => e.samples.filter((s) => s.name === name && (!labels || labels.test(s.labels))).reduce((sum, s) => sum + s.value, 0);

t.test('/metrics has every promised family after real traffic, and promtool finds nothing to lint', async (t) => {
  const app = await startTestApp(t, { alerting: true, escalationDelayMs: 300 });
  const url = await app.app.listen({ port: 0, host: '127.0.0.1' });
  const officerId = 'officer-wangba-1';
  const officer = app.token('officer', WANGBA, officerId);

  // Live before the filing, so the first alert is a live delivery whose latency is observed.
  const ws = await AlertClient.connect(url, officer);
  t.teardown(() => ws.close());
  const hello = await ws.next((f) => f.type === 'hello');
  ws.send({ type: 'resume', after: hello.position });
  await ws.roundTrip();

  const filed = await app.call('POST', '/reports', { token: app.token('contact', LIJIA), body: reportBody() });
  t.equal(filed.statusCode, 201, filed.body);
  const { reportId } = filed.json() as { reportId: string };
  t.equal((await ws.next((f) => f.type === 'alert' && f.reportId === reportId && f.step === 0)).step, 0, 'the officer got the first alert live');
  t.equal((await ws.next((f) => f.type === 'alert' && f.reportId === reportId && f.step === 1, 10_000)).step, 1, 'nobody answered: the report escalated');
  // Escalations go on every 300 ms while nobody answers, so an AlertRaised may be appended between
  // the read side catching up and the scrape (seen in CI: lag 1). Scraped again, after catching up
  // again, until a scrape finds the read side at the head — a few times at most.
  let response: Response;
  let text: string;
  let e: Exposition;
  let scrapes = 0;
  do {
    await app.runner.caughtUp(5000);
    response = await fetch(`${url}/metrics`);
    text = await response.text();
    e = parse(text);
    scrapes += 1;
  } while (total(e, 'zhitong_projection_lag_events') !== 0 && scrapes < 5);
  t.comment(`${scrapes} scrape(s) to find the read side at the head`);
  t.equal(response.status, 200);
  t.match(response.headers.get('content-type'), /^text\/plain; version=0\.0\.4/, 'the Prometheus text format');

  for (const [family, type] of Object.entries(PROMISED)) {
    t.equal(e.types.get(family), type, `${family} is a ${type}`);
    t.ok((e.helps.get(family) ?? '').length > 10, `${family} says what it counts`);
  }
  for (const [family, type] of e.types) {
    if (!family.startsWith('zhitong_')) continue;
    t.equal(family.endsWith('_total'), type === 'counter', `${family}: _total on counters and only on counters`);
    t.notMatch(family, /_(ms|milliseconds|sec|secs|minutes|bytes_kb)(_|$)/, `${family}: base units`);
  }
  t.equal(e.types.get('zhitong_backups_total'), 'counter', 'backups are counted');
  t.equal(e.types.get('zhitong_backup_last_success_timestamp_seconds'), 'gauge', 'and the last good one is dated');

  t.ok(total(e, 'zhitong_http_requests_total', /route="\/reports"/) >= 1, 'the filing counted, by route pattern');
  t.ok(total(e, 'zhitong_eventstore_appends_total', /outcome="written"/) >= 2, 'appends counted');
  t.ok(total(e, 'zhitong_eventstore_append_duration_seconds_count') >= 2, 'appends timed');
  t.equal(total(e, 'zhitong_alerts_raised_total', /reason="filed"/), 1, 'one first alert raised');
  t.ok(total(e, 'zhitong_alert_escalations_total') >= 1, 'the escalation counted');
  t.ok(total(e, 'zhitong_websocket_frames_sent_total', /type="alert"/) >= 2, 'alert frames sent counted');
  t.equal(total(e, 'zhitong_report_to_alert_seconds_count'), 1, 'one report→alert latency observed: the live first alert, not the escalation');
  t.ok(total(e, 'zhitong_report_to_alert_seconds_sum') < 5, 'and it was short');
  t.equal(total(e, 'zhitong_alerts_open'), 1, 'the unanswered report is open');
  t.ok(total(e, 'zhitong_alerts_open_oldest_seconds') > 0, 'and has been waiting');
  t.equal(total(e, 'zhitong_websocket_clients'), 1, 'the officer\u2019s socket');
  t.equal(total(e, 'zhitong_projection_lag_events'), 0, 'the read side is current');
  t.equal(total(e, 'zhitong_projection_lag_seconds'), 0);
  for (const unbounded of [reportId, officerId, WANGBA, LIJIA]) t.notOk(text.includes(unbounded), `no label names ${unbounded}`);

  ws.send({ type: 'ack', reportId });
  await ws.next((f) => f.type === 'acknowledged' && f.reportId === reportId);
  ws.close();
  await ws.closed;
  await app.runner.caughtUp(5000);
  const after = parse(await (await fetch(`${url}/metrics`)).text());
  t.equal(total(after, 'zhitong_alerts_open'), 0, 'acknowledged: no longer open');
  t.equal(total(after, 'zhitong_alerts_open_oldest_seconds'), 0);
  t.equal(total(after, 'zhitong_alert_acknowledgements_total'), 1, 'the acknowledgement counted');
  t.equal(total(after, 'zhitong_websocket_clients'), 0, 'the socket closed');

  const acknowledged = await (await fetch(`${url}/metrics`)).text();
  const skip = existsSync(PROMTOOL) ? false : `promtool is not installed at ${PROMTOOL} (CI apt-installs Debian's prometheus package)`;
  await t.test('promtool check metrics', { skip }, async (t) => {
    for (const [label, body] of [['during the alert', text], ['after the acknowledgement', acknowledged]] as const) {
      const checked = spawnSync(PROMTOOL, ['check', 'metrics'], { input: body, encoding: 'utf8' });
      t.equal(checked.status, 0, `exits 0 (${label}): ${checked.stdout}${checked.stderr}`);
      t.equal(`${checked.stdout}${checked.stderr}`.trim(), '', `no lint problem (${label})`);
    }
  });
});

t.test('the projection lag counts what the read side has not applied yet', async (t) => {
  const app = await startTestApp(t);
  await app.runner.caughtUp(5000);
  t.same(await app.runner.lag(), { events: 0, seconds: 0 }, 'current');
  // The read side is stopped, then the log grows under it.
  await app.runner.stop();
  const filedAt = Date.now();
  for (let i = 0; i < 3; i++) await app.call('POST', '/reports', { token: app.token('contact', LIJIA), body: reportBody() });
  const lag = await app.runner.lag(filedAt + 4000);
  t.ok(lag.events >= 3, `${lag.events} events behind`);
  t.ok(lag.seconds >= 3 && lag.seconds < 10, `the oldest unapplied written ${lag.seconds} s before`);
  const text = (await app.call('GET', '/metrics')).body;
  t.match(text, /^zhitong_projection_lag_events [3-9]\d*$/m, 'and /metrics says so');
});
