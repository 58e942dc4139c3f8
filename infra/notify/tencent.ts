import { createHash } from 'node:crypto';
import { CommonClient } from 'tencentcloud-sdk-nodejs-common';
import { sms } from 'tencentcloud-sdk-nodejs-sms';
import { ProviderError, type AlertParams, type CallbackKind, type DeliveryReceipt, type InboundSms, type NotifyProvider, type ReplyParams } from './types.js';

export interface TencentSettings {
  secretId: string;
  secretKey: string;
  region: string;
  /** SmsSdkAppId. */
  smsAppId: string;
  signName: string;
  alertTemplate: string;
  replyTemplate: string;
  /** The TTS template of 语音消息 (VMS SendTtsVoice) and its VoiceSdkAppid; no calls without them. */
  voiceTemplate: string | undefined;
  voiceAppId: string | undefined;
  /** `host[:port]` (default sms.tencentcloudapi.com, vms.tencentcloudapi.com), with its protocol. */
  smsEndpoint?: string | undefined;
  voiceEndpoint?: string | undefined;
  protocol?: 'https://' | 'http://';
  timeoutMs?: number;
}

const cn = (phone: string) => `+86${phone}`;
/**
 * Whether a refusal may go away if the same request is sent again (Tencent Cloud API 3.0 error
 * codes): internal errors, request-rate and per-number frequency limits do; a template or sign not
 * approved, a bad number or parameter, no balance, a key refused do not, and are recorded as
 * failed at once.
 */
export const tencentRetryable = (code: string): boolean =>
  code.startsWith('InternalError') || code.startsWith('RequestLimitExceeded') || code.startsWith('LimitExceeded') || code === 'ResourceUnavailable' || code === 'FailedOperation.FailResolvePacket';

/** Tencent Cloud's callback times: `2015-10-17 08:03:04`, Beijing time; or seconds since the epoch. */
/** The provider's Beijing time as ISO-8601 UTC; undefined when it cannot be read (the receiver then uses its own clock). */
const beijingTime = (text: unknown): string | undefined => {
  if (typeof text === 'number' || /^\d+$/.test(String(text))) return new Date(Number(text) * 1000).toISOString();
  const m = /^(\d{4}-\d\d-\d\d) (\d\d:\d\d:\d\d)$/.exec(String(text ?? ''));
  return m ? new Date(`${m[1]}T${m[2]}+08:00`).toISOString() : undefined;
};
const beijing = (text: unknown): string => beijingTime(text) ?? new Date(0).toISOString();

/**
 * Tencent Cloud SMS (API 3.0, 2021-01-11: SendSms, PullSmsSendStatusByPhoneNumber) through
 * Tencent's own SDK, and 语音消息 (VMS 2020-09-02: SendTtsVoice) through its common client, both
 * signed TC3-HMAC-SHA256. Callbacks are the documented 短信下发状态回调, 短信回复回调 and the voice
 * status callback.
 */
export function tencentProvider(settings: TencentSettings): NotifyProvider {
  const profile = (endpoint: string | undefined) => ({
    httpProfile: { ...(endpoint ? { endpoint } : {}), protocol: settings.protocol ?? 'https://', reqTimeout: Math.ceil((settings.timeoutMs ?? 10_000) / 1000) },
  });
  const credential = { secretId: settings.secretId, secretKey: settings.secretKey };
  const smsClient = new sms.v20210111.Client({ credential, region: settings.region, profile: profile(settings.smsEndpoint) });
  const vmsClient = new CommonClient(settings.voiceEndpoint ?? 'vms.tencentcloudapi.com', '2020-09-02', { credential, region: settings.region, profile: profile(settings.voiceEndpoint) });

  async function guarded<T>(work: () => Promise<T>): Promise<T> {
    try {
      return await work();
    } catch (error) {
      if (error instanceof ProviderError) throw error;
      const e = error as { code?: string; httpCode?: number; message?: string };
      if (e.code) throw new ProviderError(e.code, e.message ?? e.code, tencentRetryable(e.code));
      const code = e.httpCode ? `http_${e.httpCode}` : /timeout|aborted/i.test(e.message ?? '') ? 'timeout' : 'unreachable';
      throw new ProviderError(code, (e.message ?? String(error)).slice(0, 300), true);
    }
  }

  const sendSms = (phone: string, template: string, params: string[], reference: string) =>
    guarded(async () => {
      const answer = await smsClient.SendSms({
        PhoneNumberSet: [cn(phone)],
        SmsSdkAppId: settings.smsAppId,
        SignName: settings.signName,
        TemplateId: template,
        TemplateParamSet: params,
        SessionContext: reference,
      });
      const status = answer.SendStatusSet?.[0];
      // The request can succeed while the one number in it fails: that number's code says why.
      if (!status) throw new ProviderError('bad_answer', 'SendSms answered without a status', true);
      if (status.Code !== 'Ok') throw new ProviderError(status.Code ?? 'failed', status.Message ?? 'refused', tencentRetryable(status.Code ?? ''));
      if (!status.SerialNo) throw new ProviderError('bad_answer', 'SendSms answered without a SerialNo', true);
      return status.SerialNo;
    });

  return {
    name: 'tencent',
    voice: settings.voiceTemplate !== undefined && settings.voiceAppId !== undefined,
    // Tencent templates take their values in order: {1} hazard, {2} place, {3} phone, {4} link.
    sendAlert: (phone, p: AlertParams, reference) => sendSms(phone, settings.alertTemplate, [p.hazard, p.place, p.phone, p.link], reference),
    sendReply: (phone, p: ReplyParams, reference) => sendSms(phone, settings.replyTemplate, [p.number, p.status], reference),
    call: (phone, p: AlertParams, reference) =>
      guarded(async () => {
        if (!settings.voiceTemplate || !settings.voiceAppId) throw new ProviderError('voice_not_configured', 'no voice template is configured', false);
        const answer = (await vmsClient.request('SendTtsVoice', {
          TemplateId: settings.voiceTemplate,
          TemplateParamSet: [p.hazard, p.place, p.phone],
          CalledNumber: cn(phone),
          VoiceSdkAppid: settings.voiceAppId,
          PlayTimes: 2,
          SessionContext: reference,
        })) as { SendStatus?: { CallId?: string } };
        const callId = answer.SendStatus?.CallId;
        if (!callId) throw new ProviderError('bad_answer', 'SendTtsVoice answered without a CallId', true);
        return callId;
      }),
    findSms: (phone, reference, since) =>
      guarded(async () => {
        const answer = await smsClient.PullSmsSendStatusByPhoneNumber({
          BeginTime: Math.floor(since.getTime() / 1000) - 60,
          Offset: 0,
          Limit: 100,
          PhoneNumber: cn(phone),
          SmsSdkAppId: settings.smsAppId,
        });
        return answer.PullSmsSendStatusSet?.find((s) => s.SessionContext === reference)?.SerialNo;
      }),
    parseCallback(kind: CallbackKind, body: unknown) {
      const receipts: DeliveryReceipt[] = [];
      const inbound: InboundSms[] = [];
      if (kind === 'sms-report') {
        if (!Array.isArray(body)) throw new ProviderError('bad_callback', 'the status callback is a JSON array', false);
        for (const r of body as Array<Record<string, unknown>>) {
          receipts.push({
            channel: 'sms',
            messageId: String(r.sid ?? ''),
            reference: undefined,
            delivered: r.report_status === 'SUCCESS',
            code: String(r.errmsg ?? r.report_status ?? ''),
            reportedAt: beijing(r.user_receive_time),
          });
        }
      } else if (kind === 'voice-report') {
        const r = (body as { voiceprompt_callback?: Record<string, unknown> } | null)?.voiceprompt_callback;
        if (!r) throw new ProviderError('bad_callback', 'the voice callback has no voiceprompt_callback', false);
        // result 0: the callee answered; anything else is a call not taken.
        receipts.push({ channel: 'voice', messageId: String(r.callid ?? ''), reference: undefined, delivered: String(r.result) === '0', code: String(r.result ?? ''), reportedAt: beijing(r.end_calltime ?? r.accept_time) });
      } else {
        const r = body as Record<string, unknown> | null;
        if (!r || typeof r !== 'object' || Array.isArray(r)) throw new ProviderError('bad_callback', 'the reply callback is a JSON object', false);
        const from = String(r.mobile ?? '').replace(/\D/g, '');
        // Tencent gives a reply no id: the number, the second and the text stand for one (two
        // messages from one phone in one second differ in their text; one pushed twice does not).
        const text = String(r.text ?? '');
        inbound.push({ messageId: `${from}@${String(r.time ?? '')}#${createHash('sha256').update(text).digest('hex').slice(0, 16)}`, from, text, receivedAt: beijingTime(r.time) });
      }
      return { receipts, inbound };
    },
    callbackAnswer: { result: 0, errmsg: 'OK' },
  };
}
