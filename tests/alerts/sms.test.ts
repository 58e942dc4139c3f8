import type { AddressInfo } from 'node:net';
import t, { type Test } from 'tap';
import { streams } from '../../domain/events.js';
import { MAX_NOTIFICATION_ATTEMPTS } from '../../domain/notification.js';
import { reportDecider } from '../../domain/report.js';
import { handRig, type HandRig } from '../support/hand-scheduler.js';
import { KANG, LIJIA, WANGBA, reportBody, startTestApp, type TestApp } from '../support/app.js';
import { FakeProviders, type SentMessage } from '../support/fake-providers.js';
import { AlertClient } from '../support/ws-client.js';
import { testDir } from '../support/dirs.js';

/**
 * Issue 13: every alert step also reaches a sleeping phone by SMS, the repeated last step by a
 * call, through each provider's real client code talking to a local server that speaks its API.
 */

const CALLBACK_SECRET = 'cb-secret-0123456789abcdef';
const PUBLIC_URL = 'https://zt.example.cn';
const PHONES = {
  'officer-wangba-1': '13900000001',
  'officer-wangba-2': '13900000002',
  'head-wangba': '13900000003',
  'head-kangxian': '13900000004',
  'contact-lijia': '13900000009',
} as const;
const PROVIDERS = ['aliyun', 'tencent'] as const;
type ProviderName = (typeof PROVIDERS)[number];

function notifyEnv(provider: ProviderName, fake: FakeProviders): Record<string, string> {
  return {
    PUBLIC_URL,
    NOTIFY_PROVIDER: provider,
    NOTIFY_KEY_ID: fake.keys.id,
    NOTIFY_KEY_SECRET: fake.keys.secret,
    NOTIFY_SIGN_NAME: '康县民政',
    NOTIFY_ALERT_TEMPLATE: provider === 'aliyun' ? 'SMS_100001' : '100001',
    NOTIFY_REPLY_TEMPLATE: provider === 'aliyun' ? 'SMS_100002' : '100002',
    NOTIFY_VOICE_TEMPLATE: provider === 'aliyun' ? 'TTS_100003' : '100003',
    NOTIFY_SMS_ENDPOINT: fake.url,
    NOTIFY_VOICE_ENDPOINT: fake.url,
    NOTIFY_CALLBACK_SECRET: CALLBACK_SECRET,
    NOTIFY_TIMEOUT_MS: '800',
    ...(provider === 'tencent' ? { NOTIFY_SMS_APP_ID: '1400000001', NOTIFY_VOICE_APP_ID: '1400000002' } : {}),
  };
}

interface Rig extends HandRig {
  fake: FakeProviders;
  sms(phone: string): SentMessage[];
  calls(phone: string): SentMessage[];
}

async function rig(t: Test, provider: ProviderName, options: { dataDir?: string; fake?: FakeProviders; clock?: { ms: number } } = {}): Promise<Rig> {
  const fake = options.fake ?? (await FakeProviders.start());
  if (!options.fake) t.teardown(() => fake.close());
  const hand = await handRig(t, { ...options, env: notifyEnv(provider, fake) });
  return {
    ...hand,
    fake,
    sms: (phone) => fake.sent.filter((m) => m.phone === phone && m.action === 'SendSms' && m.reference !== '' && !m.reference.startsWith('inbound/')),
    calls: (phone) => fake.sent.filter((m) => m.phone === phone && m.action !== 'SendSms'),
  };
}

/** Records every demo user's grant with a phone, as an admin does with POST /tokens. */
async function grantPhones(app: TestApp, phones: Partial<Record<keyof typeof PHONES, string>> = PHONES): Promise<void> {
  const scopes: Record<string, { role: string; scope: string }> = {
    'officer-wangba-1': { role: 'officer', scope: WANGBA },
    'officer-wangba-2': { role: 'officer', scope: WANGBA },
    'head-wangba': { role: 'head', scope: WANGBA },
    'head-kangxian': { role: 'head', scope: KANG },
    'contact-lijia': { role: 'contact', scope: LIJIA },
  };
  const tokens = Object.entries(phones).map(([sub, phone]) => ({ sub, ...scopes[sub]!, phone, name: sub === 'contact-lijia' ? '李德明' : undefined }));
  const res = await app.call('POST', '/tokens', { token: app.token('admin', '620000000000', 'admin'), body: { tokens: tokens.map((x) => Object.fromEntries(Object.entries(x).filter(([, v]) => v !== undefined))) } });
  if (res.statusCode !== 201) throw new Error(`grants: ${res.statusCode} ${res.body}`);
}

async function fileReport(app: TestApp): Promise<string> {
  const res = await app.call('POST', '/reports', { token: app.token('contact', LIJIA, 'contact-lijia'), body: reportBody({ reporter: { name: '王建国', phone: '13800000000' } }) });
  if (res.statusCode !== 201) throw new Error(`file: ${res.statusCode} ${res.body}`);
  return (res.json() as { reportId: string }).reportId;
}

const history = async (app: TestApp, reportId: string) =>
  ((await app.call('GET', `/reports/${reportId}/history`, { token: app.token('head', KANG) })).json() as { items: Array<{ type: string; data: Record<string, unknown> }> }).items;

const MINUTE = 60_000;
const DELAY = 10 * MINUTE;

for (const provider of PROVIDERS) {
  t.test(`${provider}: step 0 SMS to the primary at 30 s, step 1 to backups and head, the repeated last step calls, an acknowledgement stops it all`, async (t) => {
    const r = await rig(t, provider);
    await grantPhones(r.app);
    const reportId = await fileReport(r.app);
    await r.advance(0);
    t.same(r.sms(PHONES['officer-wangba-1']), [], 'nothing before 30 s: the page may confirm receipt first');
    await r.advance(29_000);
    t.same(r.sms(PHONES['officer-wangba-1']), [], 'still nothing at 29 s');
    await r.advance(1_000);
    const [first, ...more] = r.sms(PHONES['officer-wangba-1']);
    t.ok(first, 'at 30 s without a receipt the primary gets an SMS');
    t.same(more, []);
    t.same(r.sms(PHONES['officer-wangba-2']), [], 'step 0 is the primary only');
    const params = provider === 'aliyun' ? (first!.params as Record<string, string>) : Object.fromEntries(['hazard', 'place', 'phone', 'link'].map((k, i) => [k, (first!.params as string[])[i]!]));
    t.equal(params.hazard, '滑坡');
    t.match(params.place, /李家村/, 'the village');
    t.equal(params.phone, '13800000000', 'the reporter to call');
    t.equal(params.link, `${PUBLIC_URL}/r/${reportId.slice(0, 8)}`, 'the short link to the alert');
    const page = await r.app.call('GET', `/r/${reportId.slice(0, 8)}`);
    t.equal(page.statusCode, 302, 'the link opens the duty console');
    t.equal(page.headers.location, `/#/duty/${reportId}`, 'at this report, named in the fragment only');
    t.notMatch(page.body, '13800000000', 'holding nothing of it: the officer\u2019s token fetches the report');
    t.equal((await r.app.call('GET', '/r/ffffffff')).statusCode, 404);
    t.equal((await r.app.call('GET', '/r/zz')).statusCode, 400);
    t.equal(first!.template, provider === 'aliyun' ? 'SMS_100001' : '100001');

    // Step 1 after the delay: primary again, backup and the township's head; 30 s later their SMS.
    await r.advance(DELAY - 30_000);
    await r.advance(30_000);
    for (const who of ['officer-wangba-1', 'officer-wangba-2', 'head-wangba'] as const) t.equal(r.sms(PHONES[who]).length, who === 'officer-wangba-1' ? 2 : 1, `${who}: step 1 SMS`);
    t.same(r.sms(PHONES['head-kangxian']), [], 'the county head comes at step 2');
    t.same(r.calls(PHONES['officer-wangba-1']), [], 'no call before the last step repeats');

    await r.advance(DELAY - 30_000);
    await r.advance(30_000);
    t.equal(r.sms(PHONES['head-kangxian']).length, 1, 'step 2 reaches the county head');
    t.same(r.calls(PHONES['head-kangxian']), [], 'step 2 is the last step, not yet a repeat');

    // Step 3 repeats the last step: everyone named is called at once, and texted at 30 s.
    await r.advance(DELAY - 30_000);
    for (const who of ['officer-wangba-1', 'officer-wangba-2', 'head-wangba', 'head-kangxian'] as const) t.equal(r.calls(PHONES[who]).length, 1, `${who}: called`);
    const call = r.calls(PHONES['head-kangxian'])[0]!;
    t.equal(call.template, provider === 'aliyun' ? 'TTS_100003' : '100003');

    const sentBefore = r.fake.sent.length;
    const ack = await r.app.call('POST', `/reports/${reportId}/acknowledgements`, { token: r.app.token('officer', WANGBA, 'officer-wangba-2'), body: {} });
    t.equal(ack.statusCode, 200, ack.body);
    await r.advance(30_000);
    await r.advance(DELAY * 3);
    t.equal(r.fake.sent.length, sentBefore, 'after the acknowledgement nothing more is sent: the step-3 SMS due at 30 s is not');
    t.same(r.scheduler.pending('escalate'), [], 'escalation stopped');

    const events = await history(r.app, reportId);
    const sent = events.filter((e) => e.type === 'NotificationSent');
    const attempted = events.filter((e) => e.type === 'NotificationAttempted');
    t.equal(sent.length, attempted.length, 'every attempt answered');
    t.equal(new Set(attempted.map((e) => e.data.id)).size, attempted.length, 'never twice for one step, channel and person');
    t.equal(sent.length, 1 + 3 + 4 + 4, 'SMS at steps 0–2 (1 + 3 + 4) and the step-3 calls (4)');
    const view = (await r.app.call('GET', `/reports/${reportId}`, { token: r.app.token('head', KANG) })).json() as { notifications: Array<{ status: string }> };
    t.ok(view.notifications.every((n) => n.status === 'sent'), 'the report says what was sent');
    t.same(r.fake.signatureFailures, [], 'every request signed as documented');
  });

  t.test(`${provider}: a device that confirmed receipt of the frame spares its holder the SMS; nobody else`, async (t) => {
    const r = await rig(t, provider);
    await grantPhones(r.app);
    await r.app.app.listen({ port: 0, host: '127.0.0.1' });
    const url = `http://127.0.0.1:${(r.app.app.server.address() as AddressInfo).port}`;
    const primary = await AlertClient.connect(url, r.app.token('officer', WANGBA, 'officer-wangba-1'));
    t.teardown(() => primary.close());
    primary.send({ type: 'resume', after: (await primary.next((f) => f.type === 'hello')).position });
    const reportId = await fileReport(r.app);
    await r.advance(0);
    const alert = await primary.next((f) => f.type === 'alert' && f.reportId === reportId);
    primary.send({ type: 'received', reportId, step: alert.step });
    t.match(await primary.next((f) => f.type === 'received'), { reportId, step: 0 }, 'the receipt is confirmed');
    primary.send({ type: 'received', reportId: '00000000-0000-4000-8000-000000000000', step: 0 });
    t.match(await primary.next((f) => f.type === 'error'), { code: 'not_found' }, 'a receipt for no report is answered');
    primary.send({ type: 'received', reportId, step: 7 });
    t.match(await primary.next((f) => f.type === 'error' && f.code === 'no_such_step'), { reportId, step: 7, latest: 0, detail: '这份报告的告警只到第 0 步，没有第 7 步' }, 'a receipt of a step never raised is refused, not echoed (found by a newcomer)');
    await r.advance(30_000);
    t.same(r.sms(PHONES['officer-wangba-1']), [], 'the primary saw it: no SMS');
    await r.advance(DELAY);
    await r.advance(30_000);
    t.equal(r.sms(PHONES['officer-wangba-2']).length, 1, 'the backup, whose device said nothing, is texted at step 1');
    t.equal(r.sms(PHONES['officer-wangba-1']).length, 1, 'and the primary too: a receipt of step 0 is not one of step 1');
    const events = await history(r.app, reportId);
    t.match(events.find((e) => e.type === 'AlertReceived'), { data: { step: 0, by: 'officer-wangba-1' } }, 'the receipt is in the history');
  });

  t.test(`${provider}: an acknowledgement before 30 s stops the pending SMS; a user without a phone gets none`, async (t) => {
    const r = await rig(t, provider);
    await grantPhones(r.app, { 'officer-wangba-2': PHONES['officer-wangba-2'] });
    const reportId = await fileReport(r.app);
    await r.advance(0);
    t.equal(r.scheduler.pending('notify').length, 0, 'the primary has no phone on record: no SMS is owed');
    await r.advance(DELAY);
    t.equal(r.scheduler.pending('notify').length, 1, 'step 1 owes the backup one');
    const ack = await r.app.call('POST', `/reports/${reportId}/acknowledgements`, { token: r.app.token('officer', WANGBA, 'officer-wangba-1'), body: {} });
    t.equal(ack.statusCode, 200);
    await r.advance(30_000);
    t.same(r.fake.sent, [], 'nothing sent');
    t.same(r.scheduler.pending('notify'), [], 'and nothing left pending');
  });

  t.test(`${provider}: a provider that fails is retried, then recorded as failed in the alert's history; the WebSocket is unaffected`, async (t) => {
    const r = await rig(t, provider);
    await grantPhones(r.app, { 'officer-wangba-1': PHONES['officer-wangba-1'], 'officer-wangba-2': PHONES['officer-wangba-2'] });
    await r.app.app.listen({ port: 0, host: '127.0.0.1' });
    const url = `http://127.0.0.1:${(r.app.app.server.address() as AddressInfo).port}`;
    const backup = await AlertClient.connect(url, r.app.token('officer', WANGBA, 'officer-wangba-2'));
    t.teardown(() => backup.close());
    backup.send({ type: 'resume', after: (await backup.next((f) => f.type === 'hello')).position });

    const action = 'SendSms'; // the action both providers name it by
    r.fake.failNext(action, { kind: 'http500' });
    r.fake.failNext(action, { kind: 'timeout', ms: 3000 });
    const reportId = await fileReport(r.app);
    await r.advance(0);
    t.ok((await r.advance(30_000)).length > 0, 'the first attempt fails');
    t.same(r.sms(PHONES['officer-wangba-1']), [], 'a 5xx: not sent');
    t.ok((await r.advance(0)).length > 0, 'the job fails and is retried');
    t.same(r.sms(PHONES['officer-wangba-1']), [], 'a timeout: not sent');
    await r.advance(0);
    t.equal(r.sms(PHONES['officer-wangba-1']).length, 1, 'the third attempt goes through');
    let events = await history(r.app, reportId);
    t.match(
      events.filter((e) => e.type.startsWith('Notification')).map((e) => [e.type, e.data.attempt, e.data.final]),
      [
        ['NotificationAttempted', 1],
        ['NotificationFailed', 1, false],
        ['NotificationAttempted', 2],
        ['NotificationFailed', 2, false],
        ['NotificationAttempted', 3],
        ['NotificationSent', 3],
      ],
    );

    // A refused template is final at once; five failures in a row are final too.
    const code = provider === 'aliyun' ? 'isv.SMS_TEMPLATE_ILLEGAL' : 'FailedOperation.TemplateIncorrectOrUnapproved';
    r.fake.failNext(action, { kind: 'refuse', code, message: '模板不合法' });
    await r.advance(DELAY);
    const alert = await backup.next((f) => f.type === 'alert' && f.reportId === reportId && f.step === 1);
    t.ok(alert, 'the step-1 frame reached the backup whatever the SMS did');
    r.fake.failNext(action, { kind: 'http500' }, MAX_NOTIFICATION_ATTEMPTS);
    for (let i = 0; i <= MAX_NOTIFICATION_ATTEMPTS; i++) await r.advance(i === 0 ? 30_000 : 0);
    events = await history(r.app, reportId);
    const failed = events.filter((e) => e.type === 'NotificationFailed' && e.data.final === true);
    t.equal(failed.length, 2, 'both step-1 messages finally failed');
    t.ok(failed.some((e) => e.data.code === code && e.data.attempt === 1), 'the refused template after one attempt, its code kept');
    t.ok(failed.some((e) => e.data.attempt === MAX_NOTIFICATION_ATTEMPTS), `the 5xx after ${MAX_NOTIFICATION_ATTEMPTS}`);
    t.same(r.scheduler.pending('notify'), [], 'nothing more is tried');
    const view = (await r.app.call('GET', `/reports/${reportId}`, { token: r.app.token('head', KANG) })).json() as { notifications: Array<{ step: number; status: string; lastError: unknown }> };
    t.same(view.notifications.filter((n) => n.step === 1).map((n) => n.status), ['failed', 'failed'], 'the report says the SMS failed');
  });

  t.test(`${provider}: a restart mid-escalation neither loses nor doubles a message`, async (t) => {
    const dataDir = testDir(t);
    const fake = await FakeProviders.start();
    t.teardown(() => fake.close());
    const clock = { ms: Math.floor(Date.now() / 1000) * 1000 };
    const before = await rig(t, provider, { dataDir, fake, clock });
    await grantPhones(before.app);
    const reportId = await fileReport(before.app);
    await before.advance(0);
    const stream = streams.report(reportId);
    const context = { actor: { id: 'zhitong-alerting', role: 'system' as const }, correlationId: 'crash', now: new Date(clock.ms + 30_000).toISOString() };
    // Node A claimed the primary's SMS and the provider took it, then A died before recording so.
    await before.app.commands.execute(stream, reportDecider, { type: 'AttemptNotification', data: { step: 0, to: 'officer-wangba-1', channel: 'sms', phone: PHONES['officer-wangba-1'], provider }, now: context.now }, context);
    await before.app.notifier!.provider.sendAlert(PHONES['officer-wangba-1'], { hazard: '滑坡', place: '李家村', phone: '13800000000', link: 'x' }, `${reportId}/0/sms/officer-wangba-1`);
    await before.app.close();
    const sentAtCrash = fake.sent.length;

    // Node B starts on the same log, with nothing in its timers: it derives what is owed.
    clock.ms += 30_000;
    const after = await rig(t, provider, { dataDir, fake, clock });
    await after.settle();
    t.equal(after.scheduler.pending('notify').length, 1, 'the primary\u2019s SMS is owed again after the restart');
    t.ok((await after.advance(0)).some((e) => /being sent/.test(e)), 'while A\u2019s lease stands, B waits');
    await after.advance(30_000);
    t.equal(fake.sent.length, sentAtCrash, 'the lease ran out: B asked the provider, found it, and did not send it again');
    let events = await history(after.app, reportId);
    t.match(events.find((e) => e.type === 'NotificationSent'), { data: { id: '0/sms/officer-wangba-1', recovered: true } });

    // A claim that died before the provider saw it: sent once, after the lease.
    await after.advance(DELAY - 60_000);
    const at = new Date(clock.ms + 30_000).toISOString();
    await after.app.commands.execute(stream, reportDecider, { type: 'AttemptNotification', data: { step: 1, to: 'head-wangba', channel: 'sms', phone: PHONES['head-wangba'], provider }, now: at }, { ...context, now: at });
    await after.app.close();
    const third = await rig(t, provider, { dataDir, fake, clock });
    await third.advance(30_000);
    await third.advance(30_000);
    t.equal(third.sms(PHONES['head-wangba']).length, 1, 'the head\u2019s step-1 SMS, claimed by a node that died before sending, is sent once');
    t.equal(third.sms(PHONES['officer-wangba-2']).length, 1, 'the backup\u2019s step-1 SMS, never claimed, is sent once');
    t.equal(third.sms(PHONES['officer-wangba-1']).length, 2, 'the primary: once for step 0, once for step 1');
    events = await history(third.app, reportId);
    const ids = events.filter((e) => e.type === 'NotificationSent').map((e) => e.data.id);
    t.equal(new Set(ids).size, ids.length, 'no message recorded as sent twice');
  });

  t.test(`${provider}: delivery receipts from the provider's callback are recorded; a bad path is 404`, async (t) => {
    const r = await rig(t, provider);
    await grantPhones(r.app, { 'officer-wangba-1': PHONES['officer-wangba-1'] });
    await r.app.app.listen({ port: 0, host: '127.0.0.1' });
    const base = `http://127.0.0.1:${(r.app.app.server.address() as AddressInfo).port}`;
    const reportId = await fileReport(r.app);
    await r.advance(0);
    await r.advance(30_000);
    const [sms] = r.sms(PHONES['officer-wangba-1']);
    const answer = await r.fake.pushReceipts(`${base}/callbacks/${provider}/${CALLBACK_SECRET}/sms-report`, [sms!]);
    t.equal(answer.status, 200);
    t.same(answer.body, provider === 'aliyun' ? { code: 0, msg: '成功' } : { result: 0, errmsg: 'OK' }, 'answered as the provider documents');
    const again = await r.fake.pushReceipts(`${base}/callbacks/${provider}/${CALLBACK_SECRET}/sms-report`, [sms!]);
    t.equal(again.status, 200, 'pushed again: answered the same');
    const events = await history(r.app, reportId);
    t.match(events.filter((e) => e.type === 'NotificationDelivered'), [{ data: { id: '0/sms/officer-wangba-1', delivered: true } }], 'recorded once');
    const view = (await r.app.call('GET', `/reports/${reportId}`, { token: r.app.token('head', KANG) })).json() as { notifications: Array<{ delivery: { delivered: boolean } | null }> };
    t.equal(view.notifications[0]!.delivery?.delivered, true, 'the report shows the officer\u2019s phone got it');

    const wrong = await r.fake.pushReceipts(`${base}/callbacks/${provider}/not-the-secret-0123456789/sms-report`, [sms!]);
    t.equal(wrong.status, 404, 'a wrong secret: as if no such path');
    const other = await r.fake.pushReceipts(`${base}/callbacks/${provider === 'aliyun' ? 'tencent' : 'aliyun'}/${CALLBACK_SECRET}/sms-report`, [sms!]);
    t.equal(other.status, 404, 'another provider\u2019s path: 404');
    const garbage = await fetch(`${base}/callbacks/${provider}/${CALLBACK_SECRET}/sms-report`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '"nonsense"' });
    t.equal(garbage.status, 400, 'a body not in the documented shape: 400');
    t.match(await garbage.json(), { error: 'validation' });
  });

  t.test(`${provider}: an SMS in the short format files a report that alerts like any other; a garbled one is kept and shown`, async (t) => {
    const r = await rig(t, provider);
    await grantPhones(r.app);
    await r.app.app.listen({ port: 0, host: '127.0.0.1' });
    const base = `http://127.0.0.1:${(r.app.app.server.address() as AddressInfo).port}`;
    const inbound = `${base}/callbacks/${provider}/${CALLBACK_SECRET}/inbound`;
    const officer = await AlertClient.connect(base, r.app.token('officer', WANGBA, 'officer-wangba-1'));
    t.teardown(() => officer.close());
    officer.send({ type: 'resume', after: (await officer.next((f) => f.type === 'hello')).position });

    const pushed = await r.fake.pushInbound(inbound, provider, PHONES['contact-lijia'], '滑坡 三组 后山塌方，受伤2人 受灾12人');
    t.equal(pushed.status, 200);
    await r.advance(0);
    const alert = await officer.next((f) => f.type === 'alert');
    t.match(alert, { hazard: 'landslide', group: '三组', reporter: { name: '李德明', phone: PHONES['contact-lijia'] }, estimate: { injured: 2, affectedPeople: 12 } }, 'alerted like any report');
    const reply = await r.fake.next((m) => m.phone === PHONES['contact-lijia'] && m.reference.startsWith('inbound/'));
    const replyParams = provider === 'aliyun' ? (reply.params as Record<string, string>) : { number: (reply.params as string[])[0] };
    t.equal(replyParams.number, (alert.reportId as string).slice(0, 8), 'answered with the report number');

    const garbled = await r.fake.pushInbound(inbound, provider, PHONES['contact-lijia'], '快来人啊 房子裂了');
    t.equal(garbled.status, 200);
    await r.settle();
    const shown = await officer.next((f) => f.type === 'inbound_sms');
    t.match(shown, { text: '快来人啊 房子裂了', from: PHONES['contact-lijia'], unit: { code: LIJIA } }, 'the township\u2019s officers see it at once');
    const stranger = await r.fake.pushInbound(inbound, provider, '13700000000', '泥石流 一组');
    t.equal(stranger.status, 200);
    await r.settle();
    const inbox = (await r.app.call('GET', '/inbox', { token: r.app.token('officer', WANGBA) })).json() as { items: Array<{ text: string; outcome: string }> };
    t.same(inbox.items.map((i) => [i.outcome, i.text]), [['unparsed', '快来人啊 房子裂了'], ['filed', '滑坡 三组 后山塌方，受伤2人 受灾12人']], 'the officer\u2019s inbox: newest first, nothing dropped');
    const headInbox = (await r.app.call('GET', '/inbox?outcome=unknown_sender', { token: r.app.token('head', KANG) })).json() as { items: Array<{ from: string }> };
    t.same(headInbox.items.map((i) => i.from), ['13700000000'], 'an unregistered number is shown to heads');
    const reports = (await r.app.call('GET', `/reports?unit=${LIJIA}`, { token: r.app.token('head', KANG) })).json() as { items: unknown[] };
    t.equal(reports.items.length, 1, 'only the parsed one filed a report');

    // The provider pushes a message again when it did not hear 200 in time: one message, one answer.
    const at = Date.now();
    for (let i = 0; i < 2; i++) t.equal((await r.fake.pushInbound(inbound, provider, PHONES['contact-lijia'], '冰雹 二组', at, 424242)).status, 200);
    await r.settle();
    const after = (await r.app.call('GET', '/inbox', { token: r.app.token('officer', WANGBA) })).json() as { items: Array<{ text: string }> };
    t.same(after.items.map((i) => i.text).filter((x) => x === '冰雹 二组'), ['冰雹 二组'], 'a message pushed twice is kept once');
    t.equal(r.fake.sent.filter((m) => m.reference.startsWith('inbound/') && m.phone === PHONES['contact-lijia']).length, 3, 'and answered once (three messages, three answers)');
    const filedReports = (await r.app.call('GET', `/reports?unit=${LIJIA}`, { token: r.app.token('head', KANG) })).json() as { items: unknown[] };
    t.equal(filedReports.items.length, 2, 'and files one report');
  });
}

for (const provider of ['aliyun', 'tencent'] as const) {
  t.test(`${provider}: an SMS is never turned away for the characters in it: kept, with what cannot be stored or shown replaced`, async (t) => {
    const r = await rig(t, provider);
    await grantPhones(r.app);
    await r.app.app.listen({ port: 0, host: '127.0.0.1' });
    const base = `http://127.0.0.1:${(r.app.app.server.address() as AddressInfo).port}`;
    const inbound = `${base}/callbacks/${provider}/${CALLBACK_SECRET}/inbound`;
    const sent = [
      ['a control character (a phone\u2019s stray BEL)', '滑坡 三组\u0007 后山塌方', '滑坡 三组\ufffd 后山塌方'],
      ['a lone surrogate (a cut emoji)', '冰雹 二组 砸坏了\ud83d', '冰雹 二组 砸坏了\ufffd'],
      ['a right-to-left override', '泥石流 一组 \u202e人2伤', '泥石流 一组 \ufffd人2伤'],
      ['only zero-width spaces', '\u200b\u200b', '\ufffd\ufffd'],
    ] as const;
    for (const [label, text] of sent) {
      const pushed = await r.fake.pushInbound(inbound, provider, PHONES['contact-lijia'], text);
      t.equal(pushed.status, 200, `${label}: the provider hears 200, so it is not pushed again for ever`);
    }
    await r.settle();
    const inbox = (await r.app.call('GET', '/inbox', { token: r.app.token('officer', WANGBA) })).json() as { items: Array<{ text: string; outcome: string }> };
    t.same(inbox.items.map((i) => i.text).reverse(), sent.map(([, , kept]) => kept), 'each kept, readable, in the inbox');
    t.same(inbox.items.map((i) => i.outcome).reverse(), ['filed', 'filed', 'filed', 'unparsed'], 'the three reports are filed: a stray character does not lose a report');
  });
}

t.test('no provider configured: WebSocket only, and /ready says so', async (t) => {
  const app = await startTestApp(t);
  const ready = (await app.call('GET', '/ready')).json() as { notifications: { channels: string[]; warning?: string } };
  t.same(ready.notifications.channels, ['websocket']);
  t.match(ready.notifications.warning, /^仅 WebSocket：未配置短信服务商/);
  // One language at a time (found by a newcomer: both in one string).
  t.notMatch(ready.notifications.warning, /websocket only/);
  t.match((await app.call('GET', '/ready', { headers: { 'accept-language': 'en' } })).json().notifications.warning, /^websocket only: no SMS provider is configured/, 'in English on request');
  t.equal(app.notifier, undefined);
  t.equal((await app.call('POST', `/callbacks/aliyun/${CALLBACK_SECRET}/inbound`, { body: [] })).statusCode, 404, 'no callbacks without a provider');
});

t.test('with a provider: /ready names it and its channels', async (t) => {
  const r = await rig(t, 'aliyun');
  const ready = (await r.app.call('GET', '/ready')).json() as { notifications: unknown };
  t.same(ready.notifications, { channels: ['websocket', 'sms', 'voice'], provider: 'aliyun' });
});

t.test('a short link whose eight digits two reports share opens the one filed last, never 404 (found by a newcomer)', async (t) => {
  const app = await startTestApp(t);
  const contact = app.token('contact', LIJIA);
  const older = '2b8f3a6e-0000-4000-8000-000000000001';
  const newer = '2b8f3a6e-0000-4000-8000-000000000002';
  for (const reportId of [older, newer]) t.equal((await app.call('POST', '/reports', { token: contact, body: reportBody({ reportId }) })).statusCode, 201);
  await app.runner.caughtUp();
  const open = async (short: string) => (await app.call('GET', `/r/${short}`)).headers.location;
  t.equal(await open('2b8f3a6e'), `/#/duty/${newer}`, 'the report whose alert is being sent: the newest');
  t.equal(await open(older), `/#/duty/${older}`, 'the whole id names one');
  t.equal((await app.call('GET', '/r/2b8f3a6f')).statusCode, 404, 'no report: 404');
  t.equal(await open('2B8F3A6E'), `/#/duty/${newer}`, 'in capitals, the same link');
});
