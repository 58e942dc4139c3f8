import { randomUUID } from 'node:crypto';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import t from 'tap';
import { reportDecider, type ReportCommand } from '../domain/report.js';
import { SqliteEventStore, sqlitePosition } from '../infra/eventstore/sqlite.js';
import { KANG, LIJIA, WANGBA, reportBody, startTestApp, type TestApp } from './support/app.js';
import { AlertClient } from './support/ws-client.js';
import { FakeProviders } from './support/fake-providers.js';
import { testDir } from './support/dirs.js';

/**
 * Issue 9 F: background work never kills the node or freezes it. Every timer, fire-and-forget
 * promise and loop runs through one registry (services/background.ts); this walks it and makes
 * each task fail once; then the other ways a node used to die or go quiet.
 */

async function officerOnline(app: TestApp, url: string) {
  const client = await AlertClient.connect(url, app.token('officer', WANGBA, 'officer-wangba-1'));
  client.send({ type: 'resume', after: (await client.next((f) => f.type === 'hello')).position });
  await client.roundTrip();
  return client;
}

t.test('sweep: every background task, made to fail once, is counted, logged and done anyway; the node lives', async (t) => {
  // With an SMS provider (a local server speaking Alibaba Cloud's API), so its tasks are swept too.
  const fake = await FakeProviders.start();
  t.teardown(() => fake.close());
  const env = {
    PUBLIC_URL: 'https://zt.example.cn',
    NOTIFY_PROVIDER: 'aliyun',
    NOTIFY_KEY_ID: fake.keys.id,
    NOTIFY_KEY_SECRET: fake.keys.secret,
    NOTIFY_SIGN_NAME: '康县民政',
    NOTIFY_ALERT_TEMPLATE: 'SMS_1',
    NOTIFY_REPLY_TEMPLATE: 'SMS_2',
    NOTIFY_SMS_ENDPOINT: fake.url,
    NOTIFY_CALLBACK_SECRET: 'cb-secret-0123456789abcdef',
    AUDIT_SEAL_INTERVAL_MS: '1000',
    VERIFY_EVERY: '1000',
  };
  const app = await startTestApp(t, { alerting: true, escalationDelayMs: 60_000, smsAfterMs: 50, env, gateway: { heartbeatMs: 50, resumeGraceMs: 50 } });
  const granted = await app.call('POST', '/tokens', { token: app.token('admin', '620000000000', 'admin'), body: { tokens: [{ sub: 'officer-wangba-1', role: 'officer', scope: WANGBA, phone: '13900000001' }] } });
  t.equal(granted.statusCode, 201);
  const url = await app.app.listen({ port: 0, host: '127.0.0.1' });
  const names = app.tasks.names();
  // A filed report's SMS to the primary (no device confirms the frame) still goes out.
  const texted = async () => {
    const { reportId } = (await app.call('POST', '/reports', { token: app.token('contact', LIJIA), body: reportBody() })).json();
    await fake.next((m) => m.reference.startsWith(reportId) && m.phone === '13900000001');
    // …and its job ends by recording so, which the read side then shows.
    while (app.runner.state('notifications').reports.get(reportId)?.messages.get('0/sms/officer-wangba-1')?.status !== 'sent') await new Promise((resolve) => setTimeout(resolve, 5)); // polled: the job's end has no event to wait on
  };
  const triggers: Record<string, () => Promise<void>> = {
    // The periodic seal: the next tick seals what changed.
    'audit-seal': async () => {
      const before = (await app.store.readStream('audit')).length;
      await app.call('POST', '/reports', { token: app.token('contact', LIJIA), body: reportBody() });
      while ((await app.store.readStream('audit')).length === before) await new Promise((resolve) => setTimeout(resolve, 50)); // polled: a timer's tick
    },
    // The node's verification of the log: the next tick verifies again.
    'integrity-check': async () => undefined,
    'schedule-notifications': texted,
    notification: texted,
    // Scheduling a filed report's alert, and the alert step itself: the alert still arrives.
    // (A report filed over HTTP carries its first alert; scheduling its next step is what fails.)
    'schedule-alert-jobs': async () => {
      const client = await officerOnline(app, url);
      const recovered = new Promise<void>((resolve) => app.tasks.on('recovered', (task) => task === 'schedule-alert-jobs' && resolve()));
      const { reportId } = (await app.call('POST', '/reports', { token: app.token('contact', LIJIA), body: reportBody() })).json();
      await client.next((f) => f.type === 'alert' && f.reportId === reportId);
      await recovered;
      client.close();
    },
    // A report filed without its first alert (as the SMS desk files one): the escalator's step.
    'escalation-step': async () => {
      const client = await officerOnline(app, url);
      const reportId = randomUUID();
      const now = new Date().toISOString();
      const data = { ...reportBody(), reportId, observedAt: now, reporter: { id: 'contact-sms', name: '王建国', phone: '13800000000' } };
      await app.commands.execute(`report-${reportId}`, reportDecider, { type: 'FileReport', data, unit: { name: '李家村' }, now } as ReportCommand, { actor: { id: 'contact-sms', role: 'contact' }, correlationId: 'sms', now });
      await client.next((f) => f.type === 'alert' && f.reportId === reportId);
      client.close();
    },
    // An overdue statutory clock: the county head still hears of it.
    'statutory-clock': async () => {
      const head = await AlertClient.connect(url, app.token('head', KANG, 'head-kang'));
      head.send({ type: 'resume', after: (await head.next((f) => f.type === 'hello')).position });
      const startedAt = new Date(Date.now() - 3 * 3600_000).toISOString();
      const { incidentId } = (await app.call('POST', '/incidents', { token: app.token('head', KANG), body: { county: KANG, hazard: 'hail', startedAt, title: `t-${randomUUID()}` } })).json();
      await head.next((f) => f.type === 'clock_overdue' && f.incidentId === incidentId);
      head.close();
    },
    // The heartbeat: the next tick pings again.
    'websocket-heartbeat': async () => {
      const client = await officerOnline(app, url);
      let pings = 0;
      await new Promise<void>((resolve) => client.socket.on('ping', () => ++pings === 2 && resolve()));
      client.close();
    },
    // A client that never says resume still goes live.
    'websocket-resume-grace': async () => {
      const client = await AlertClient.connect(url, app.token('officer', WANGBA, 'officer-wangba-1'));
      await client.next((f) => f.type === 'hello');
      const { reportId } = (await app.call('POST', '/reports', { token: app.token('contact', LIJIA), body: reportBody() })).json();
      await client.next((f) => f.type === 'alert' && f.reportId === reportId);
      client.close();
    },
    // A client's message is still answered.
    'websocket-message': async () => {
      const client = await officerOnline(app, url);
      await client.roundTrip();
      client.close();
    },
  };
  t.same([...names].sort(), Object.keys(triggers).sort(), 'the sweep knows every task the node registered');
  for (const name of names) {
    const before = app.tasks.health().get(name)!.failures;
    // What the trigger waits for may come from another run of the same task (an incident with two
    // clocks due has two jobs): the task's own recovery is awaited, not guessed from the frame.
    const recovered = new Promise<void>((resolve) => app.tasks.on('recovered', (task) => task === name && resolve()));
    app.tasks.injectFault(name);
    await triggers[name]!();
    await recovered;
    const health = app.tasks.health().get(name)!;
    t.equal(health.failures, before + 1, `${name}: the failure was counted`);
    t.equal(health.failingFor, 0, `${name}: and it succeeded since`);
  }
  const metrics = (await app.call('GET', '/metrics')).body;
  t.match(metrics, /zhitong_background_task_failures\{task="escalation-step"\} 1/);
  t.equal((await app.call('GET', '/ready')).statusCode, 200);
});

t.test('another process holds the write lock: /health stays quick, a write is 503 busy, not ready meanwhile; due work goes out after', async (t) => {
  const dataDir = testDir(t);
  const app = await startTestApp(t, {
    dataDir,
    alerting: true,
    store: (dir) => new SqliteEventStore({ file: join(dir, 'events.sqlite'), busyDeadlineMs: 300 }),
  });
  const url = await app.app.listen({ port: 0, host: '127.0.0.1' });
  const officer = await officerOnline(app, url);
  t.teardown(() => officer.close());

  const other = new Database(join(dataDir, 'events.sqlite'));
  t.teardown(() => other.close());
  other.exec('BEGIN IMMEDIATE'); // the write lock, held

  const health = await app.call('GET', '/health');
  t.equal(health.statusCode, 200, 'the event loop is not stuck in SQLite\u2019s busy handler');
  const contact = app.token('contact', LIJIA);
  const busy = await app.call('POST', '/reports', { token: contact, body: reportBody(), headers: { 'idempotency-key': 'during-lock' } });
  t.equal(busy.statusCode, 503);
  t.equal(busy.json().error, 'busy');
  t.equal(busy.headers['retry-after'], '1');
  const ready = await app.call('GET', '/ready');
  t.equal(ready.statusCode, 503, 'not ready while writes are refused');
  t.match(ready.json().details, { eventStore: /busy/ });

  other.exec('ROLLBACK');
  t.equal((await app.call('GET', '/ready')).statusCode, 200, 'ready again once the lock is free');
  const retried = await app.call('POST', '/reports', { token: contact, body: reportBody(), headers: { 'idempotency-key': 'during-lock' } });
  t.equal(retried.statusCode, 201, 'the 503 freed its Idempotency-Key: the retry is done, not replayed');
  await officer.next((f) => f.type === 'alert' && f.reportId === retried.json().reportId);
});

t.test('the lock held while an escalation step is due: the step is retried and raised once the lock is free', async (t) => {
  const dataDir = testDir(t);
  const app = await startTestApp(t, {
    dataDir,
    alerting: true,
    escalationDelayMs: 1000,
    store: (dir) => new SqliteEventStore({ file: join(dir, 'events.sqlite'), busyDeadlineMs: 200 }),
  });
  const url = await app.app.listen({ port: 0, host: '127.0.0.1' });
  const officer = await officerOnline(app, url);
  t.teardown(() => officer.close());
  const { reportId } = (await app.call('POST', '/reports', { token: app.token('contact', LIJIA), body: reportBody() })).json();
  await officer.next((f) => f.type === 'alert' && f.reportId === reportId && f.step === 0);
  const other = new Database(join(dataDir, 'events.sqlite'));
  t.teardown(() => other.close());
  other.exec('BEGIN IMMEDIATE');
  // Wait until step 1 has failed at least once on the lock, then let go.
  await new Promise<void>((resolve) => app.tasks.on('failure', (task) => task === 'escalation-step' && resolve()));
  t.equal((await app.call('GET', '/health')).statusCode, 200);
  other.exec('ROLLBACK');
  const step1 = await officer.next((f) => f.type === 'alert' && f.reportId === reportId && f.step === 1);
  t.equal(step1.step, 1, 'raised after the lock was released');
});

t.test('a record that does not parse, or an event not in the catalog, is quarantined: later reports still alert; /ready says so', async (t) => {
  const dataDir = testDir(t);
  const app = await startTestApp(t, { dataDir, alerting: true });
  const url = await app.app.listen({ port: 0, host: '127.0.0.1' });
  const officer = await officerOnline(app, url);
  t.teardown(() => officer.close());
  await app.runner.caughtUp();
  const file = new Database(join(dataDir, 'events.sqlite'));
  t.teardown(() => file.close());
  const insert = (record: (position: string, stream: string) => string, type: string) => {
    const head = (file.prepare('SELECT max(position) AS p FROM events').get() as { p: number }).p;
    const stream = `report-${randomUUID()}`;
    file.prepare('INSERT INTO events (position, id, stream, revision, type, hash, record) VALUES (?, ?, ?, 0, ?, ?, ?)').run(head + 1, randomUUID(), stream, type, '0'.repeat(64), record(sqlitePosition(head + 1), stream));
  };
  const recorded = (type: string, fields: Record<string, unknown> = {}) => (position: string, stream: string) =>
    JSON.stringify({ id: randomUUID(), stream, revision: 0, position, type, data: {}, metadata: { at: new Date().toISOString() }, ...fields });
  insert(() => '{"id": "broken', 'ReportFiled');
  insert(recorded('SomethingElse'), 'SomethingElse');
  // A record that says another position than its row's: as unreadable as one that does not parse.
  insert(recorded('ReportFiled', { position: 'ignored' }), 'ReportFiled');
  // The read side takes them before the next report, so that a batch ends with the damaged row:
  // its record's own "position" once became the checkpoint and stopped every later read (seen in CI).
  t.ok(await app.runner.caughtUp(), 'the read side has read past them');
  t.equal(app.runner.status().checkpoint, await app.store.headPosition(), 'its checkpoint is the last row’s position');

  const { reportId } = (await app.call('POST', '/reports', { token: app.token('contact', LIJIA), body: reportBody() })).json();
  await officer.next((f) => f.type === 'alert' && f.reportId === reportId);
  const ready = await app.call('GET', '/ready');
  t.equal(ready.statusCode, 200, 'still ready: the node works');
  t.equal(ready.json().projections.quarantined, 3);
  t.match(ready.json(), { status: 'degraded', problems: [/^读模型搁置了 3 条无法读取的事件：详见 quarantine 和节点日志$/] }, 'and not all well');
  t.match((await app.call('GET', '/ready', { headers: { 'accept-language': 'en' } })).json().problems, [/^3 unreadable event\(s\) set aside by the read side/], 'in English on request');
  t.match(ready.json().quarantine, [
    { handler: 'catalog', reason: /cannot be read/ },
    { handler: 'catalog', type: 'SomethingElse', reason: /not in the catalog/ },
    { handler: 'catalog', reason: /cannot be read/ },
  ]);
  t.match((await app.call('GET', '/metrics')).body, /zhitong_quarantined_events 3/);
});
