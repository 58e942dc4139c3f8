import { normalizePhone } from '../../domain/vocabulary.js';
import fc from 'fast-check';
import t from 'tap';
import type { EventData } from '../../domain/events.js';
import { inboundDecider, parseSmsReport } from '../../domain/inbound.js';
import { alertSmsParams, ALERT_TEMPLATE_FIXED_CHARS, MAX_NOTIFICATION_ATTEMPTS, SMS_CHARS, parseProviderReference, providerReference } from '../../domain/notification.js';
import { reportDecider, type ReportCommand } from '../../domain/report.js';
import { HAZARDS } from '../../domain/vocabulary.js';
import { spec } from '../support/decider-spec.js';
import { filedData, REPORT_ID } from '../support/fixtures.js';

const T0 = '2026-07-01T04:00:00.000Z';
const at = (ms: number) => new Date(Date.parse(T0) + ms).toISOString();
const policy = { delayMs: 600_000, steps: [['officer-1'], ['officer-1', 'officer-2'], ['officer-1', 'officer-2', 'head@621299']] };
const filed = { type: 'ReportFiled' as const, data: filedData(), at: T0 };
const raised = (step: number, ms = step * 600_000) => ({ type: 'AlertRaised' as const, data: { step, recipients: ['officer-1'], reason: step === 0 ? ('filed' as const) : ('unacknowledged' as const), policy }, at: at(ms) });
const attempt = (over: Partial<EventData<'NotificationAttempted'>> = {}, ms = 30_000) => ({
  type: 'NotificationAttempted' as const,
  data: { id: '0/sms/officer-1', step: 0, to: 'officer-1', channel: 'sms' as const, phone: '13900000001', provider: 'aliyun', attempt: 1, leaseUntil: at(ms + 30_000), ...over },
  at: at(ms),
});
const claim = (ms: number, over: Partial<{ step: number; to: string; channel: 'sms' | 'voice' }> = {}): ReportCommand => ({
  type: 'AttemptNotification',
  data: { step: 0, to: 'officer-1', channel: 'sms', phone: '13900000001', provider: 'aliyun', ...over },
  now: at(ms),
});

t.test('a message is claimed once: a lease stands, a sent or finally failed message is not claimed again', async (t) => {
  const s = spec(t, reportDecider);
  const decided = (e: ReturnType<typeof attempt>) => ({ type: e.type, data: e.data });
  s.given(filed, raised(0)).when(claim(30_000)).then([decided(attempt())]);
  s.given(filed, raised(0), attempt()).when(claim(40_000)).thenThrows('in_progress', 'another attempt holds the lease');
  s.given(filed, raised(0), attempt()).when(claim(60_000)).then([decided(attempt({ attempt: 2, leaseUntil: at(90_000) }, 60_000))], 'a lease run out: the next attempt');
  const sent = { type: 'NotificationSent' as const, data: { id: '0/sms/officer-1', attempt: 1, messageId: 'biz-1' }, at: at(31_000) };
  s.given(filed, raised(0), attempt(), sent).when(claim(90_000)).thenThrows('already_exists', 'sent: never again');
  const failedFinal = { type: 'NotificationFailed' as const, data: { id: '0/sms/officer-1', attempt: 1, code: 'isv.SMS_TEMPLATE_ILLEGAL', message: 'x', final: true }, at: at(31_000) };
  s.given(filed, raised(0), attempt(), failedFinal).when(claim(90_000)).thenThrows('already_exists', 'finally failed: not again');
  const failedOnce = { ...failedFinal, data: { ...failedFinal.data, final: false } };
  s.given(filed, raised(0), attempt(), failedOnce).when(claim(32_000)).then([decided(attempt({ attempt: 2, leaseUntil: at(62_000) }, 32_000))], 'a retryable failure frees the message at once');
});

t.test('nothing goes out for an answered, closed or superseded alert', async (t) => {
  const s = spec(t, reportDecider);
  const ack = { type: 'AlertAcknowledged' as const, data: { by: 'officer-1' }, at: at(10_000) };
  s.given(filed, raised(0), ack).when(claim(30_000)).thenThrows('already_acknowledged');
  s.given(filed, raised(0), raised(1)).when(claim(600_030)).thenThrows('stale_escalation', 'step 0 after step 1 was raised');
  s.given(filed).when(claim(30_000)).thenThrows('stale_escalation', 'before any step');
});

t.test('failures: final after the fifth attempt or at once when not retryable; receipts and deliveries recorded once', async (t) => {
  const s = spec(t, reportDecider);
  const fail = (attemptNo: number, retryable: boolean): ReportCommand => ({ type: 'RecordNotificationFailed', data: { id: '0/sms/officer-1', attempt: attemptNo, code: 'x', message: 'm', retryable }, now: at(31_000) });
  s.given(filed, raised(0), attempt()).when(fail(1, true)).then([{ type: 'NotificationFailed', data: { id: '0/sms/officer-1', attempt: 1, code: 'x', message: 'm', final: false } }]);
  const last = MAX_NOTIFICATION_ATTEMPTS;
  s.given(filed, raised(0), attempt({ attempt: last - 1 })).when(fail(last - 1, true)).then([{ type: 'NotificationFailed', data: { id: '0/sms/officer-1', attempt: last - 1, code: 'x', message: 'm', final: false } }]);
  s.given(filed, raised(0), attempt({ attempt: last })).when(fail(last, true)).then([{ type: 'NotificationFailed', data: { id: '0/sms/officer-1', attempt: last, code: 'x', message: 'm', final: true } }]);
  s.given(filed, raised(0), attempt()).when(fail(1, false)).then([{ type: 'NotificationFailed', data: { id: '0/sms/officer-1', attempt: 1, code: 'x', message: 'm', final: true } }]);
  const receipt: ReportCommand = { type: 'RecordReceipt', data: { step: 0, by: 'officer-1' }, now: at(5_000) };
  s.given(filed, raised(0)).when(receipt).then([{ type: 'AlertReceived', data: { step: 0, by: 'officer-1' } }]);
  s.given(filed, raised(0), { type: 'AlertReceived', data: { step: 0, by: 'officer-1' }, at: at(5_000) }).when(receipt).then([], 'a receipt again: nothing');
  s.given(filed).when(receipt).then([], 'a receipt of a step not raised: nothing');
  const delivery: ReportCommand = { type: 'RecordDelivery', data: { id: '0/sms/officer-1', delivered: true, code: 'DELIVERED', reportedAt: at(33_000) }, now: at(34_000) };
  s.given(filed, raised(0), attempt()).when(delivery).then([{ type: 'NotificationDelivered', data: delivery.data as EventData<'NotificationDelivered'> }]);
  s.given(filed, raised(0), attempt(), { type: 'NotificationDelivered', data: delivery.data as EventData<'NotificationDelivered'>, at: at(34_000) }).when(delivery).then([], 'the same receipt again: nothing');
  s.given(filed, raised(0)).when(delivery).thenThrows('not_found', 'a receipt for no message');
});

t.test('the provider reference finds its way back', async (t) => {
  t.same(parseProviderReference(providerReference(REPORT_ID, '3/voice/head-1')), { reportId: REPORT_ID, id: '3/voice/head-1' });
  t.equal(parseProviderReference('test'), undefined);
  t.equal(parseProviderReference(`inbound/${REPORT_ID}`), undefined);
});

t.test('the alert SMS fits one SMS whatever the names, sign and link', async (t) => {
  fc.assert(
    fc.property(
      fc.constantFrom(...HAZARDS),
      fc.array(fc.string({ minLength: 1, maxLength: 30, unit: fc.constantFrom('王', '坝', '镇', '李', '家', '村', '（', '示', '例', '）') }), { minLength: 1, maxLength: 5 }),
      fc.stringMatching(/^1[3-9]\d{9}$/),
      fc.string({ minLength: 1, maxLength: 8, unit: fc.constantFrom('康', '县', '民', '政') }),
      fc.webUrl({ validSchemes: ['https'] }).map((u) => `${u.slice(0, 25)}/r/2b8f3a6e`),
      (hazard, path, phone, signName, link) => {
        const p = alertSmsParams({ hazard, path, reporterPhone: phone, link, signName });
        const length = signName.length + 2 + ALERT_TEMPLATE_FIXED_CHARS + p.hazard.length + p.place.length + p.phone.length + p.link.length;
        return length <= SMS_CHARS && p.link === link && p.phone === phone && p.place.length > 0;
      },
    ),
  );
  const p = alertSmsParams({ hazard: 'landslide', path: ['甘肃省', '陇南市', '康县', '王坝镇', '李家村'], reporterPhone: '13800000000', link: 'https://zt.example.cn/r/2b8f3a6e', signName: '康县民政' });
  t.same(p, { hazard: '滑坡', place: '王坝镇李家村', phone: '13800000000', link: 'https://zt.example.cn/r/2b8f3a6e' }, 'township and village when they fit');
});

t.test('the short SMS format: hazard label, group, what happened — in any order, any punctuation, full width or not', async (t) => {
  const cases: Array<[string, Partial<ReturnType<typeof parseSmsReport>>]> = [
    ['滑坡 三组 后山塌方，死亡1人 受灾12人', { ok: true, hazard: 'landslide', group: '三组', notes: '后山塌方，死亡1人 受灾12人', estimate: { dead: 1, affectedPeople: 12 } }],
    ['三组滑坡', { ok: true, hazard: 'landslide', group: '三组' }],
    // The words whole, the hazard and group read out of them (found by a newcomer: "后山 ， 有人被埋").
    ['后山滑坡，3组有人被埋', { ok: true, hazard: 'landslide', group: '3组', notes: '后山滑坡，3组有人被埋' }],
    ['救命 山洪来了 二组被淹', { ok: true, hazard: 'flash_flood', group: '二组', notes: '救命 山洪来了 二组被淹' }],
    ['三组滑坡了房子倒了两间', { ok: true, hazard: 'landslide', group: '三组', notes: '三组滑坡了房子倒了两间' }],
    ['山洪，2社：冲毁便桥。', { ok: true, hazard: 'flash_flood', group: '2社', notes: '冲毁便桥' }],
    ['【康县民政】山洪 ２社 冲毁便桥 受伤３人', { ok: true, hazard: 'flash_flood', group: '2社', notes: '冲毁便桥 受伤3人', estimate: { injured: 3 } }],
    ['后山泥石流了！失踪2人', { ok: true, hazard: 'debris_flow', estimate: { missing: 2 } }],
    ['大风 刮倒房屋', { ok: true, hazard: 'windstorm' }],
    ['冰雹', { ok: true, hazard: 'hail', group: undefined, notes: undefined, estimate: {} }],
    ['快来人啊 房子裂了', { ok: false, problem: 'no_hazard' }],
    ['   ', { ok: false, problem: 'empty' }],
    ['', { ok: false, problem: 'empty' }],
  ];
  for (const [text, expected] of cases) t.match(parseSmsReport(text), expected, JSON.stringify(text));
  t.equal(normalizePhone('8613811112222'), '13811112222', 'a callback\u2019s sender with the country code and no + (found by a newcomer: refused as unknown)');
  t.equal(normalizePhone('86123456'), '86123456', 'a local number starting 86 is left alone');
  t.notOk(parseSmsReport('泥石流').ok === false, 'a label that contains another (泥石流 ⊃ 石流) is read whole');
  t.equal((parseSmsReport('泥石流') as { hazard: string }).hazard, 'debris_flow');
  fc.assert(fc.property(fc.string({ maxLength: 300 }), (text) => typeof parseSmsReport(text).ok === 'boolean'), { numRuns: 500 });
});

t.test('an inbound SMS is kept once and answered once', async (t) => {
  const s = spec(t, inboundDecider);
  const data: EventData<'SmsReceived'> = { provider: 'aliyun', messageId: 'm-1', from: '13900000009', text: '滑坡', receivedAt: T0, outcome: 'unknown_sender' };
  s.given().when({ type: 'ReceiveSms', data, now: T0 }).then([{ type: 'SmsReceived', data }]);
  s.given({ type: 'SmsReceived', data }).when({ type: 'ReceiveSms', data, now: T0 }).then([], 'pushed again: nothing');
  s.given({ type: 'SmsReceived', data }).when({ type: 'RecordSmsAnswer', data: { ok: true, messageId: 'r-1' }, now: T0 }).then([{ type: 'SmsAnswered', data: { ok: true, messageId: 'r-1' } }]);
  s.given({ type: 'SmsReceived', data }, { type: 'SmsAnswered', data: { ok: true } }).when({ type: 'RecordSmsAnswer', data: { ok: true }, now: T0 }).then([], 'answered once');
});
