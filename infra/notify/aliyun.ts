import { createRequire } from 'node:module';
import type RPCClientType from '@alicloud/pop-core';
import { ProviderError, type AlertParams, type CallbackKind, type DeliveryReceipt, type InboundSms, type NotifyProvider, type ReplyParams } from './types.js';

const require = createRequire(import.meta.url);
const RPCClient = require('@alicloud/pop-core') as typeof RPCClientType;

export interface AliyunSettings {
  accessKeyId: string;
  accessKeySecret: string;
  signName: string;
  alertTemplate: string;
  replyTemplate: string;
  /** The TTS template of the voice call (语音通知); no calls without it. */
  voiceTemplate: string | undefined;
  /** The number the call shows (CalledShowNumber); the public pool when absent. */
  voiceCaller: string | undefined;
  /** Default https://dysmsapi.aliyuncs.com and https://dyvmsapi.aliyuncs.com. */
  smsEndpoint?: string | undefined;
  voiceEndpoint?: string | undefined;
  timeoutMs?: number;
}

/** Codes after which the same request cannot succeed (a number the carrier will never take). */
/**
 * Whether a refusal may go away if the same request is sent again (Alibaba Cloud's SMS and voice
 * error codes): the platform's own failures (isp.*, but not a permission refused) and flow control
 * do; a refusal of the request itself (isv.*: template, sign, number, parameters, balance, account)
 * and a key or signature the provider does not accept do not, and are recorded as failed at once.
 */
export const aliyunRetryable = (code: string): boolean =>
  code === 'isv.BUSINESS_LIMIT_CONTROL' || code.startsWith('Throttling') || code === 'ServiceUnavailable' || code === 'InternalError' || (code.startsWith('isp.') && code !== 'isp.RAM_PERMISSION_DENY');

/** Alibaba Cloud's callback times: `2017-01-01 00:00:00`, Beijing time. */
/** The provider's Beijing time as ISO-8601 UTC; undefined when it cannot be read (the receiver then uses its own clock). */
const beijingTime = (text: unknown): string | undefined => {
  const m = /^(\d{4}-\d\d-\d\d) (\d\d:\d\d:\d\d)$/.exec(String(text ?? ''));
  return m ? new Date(`${m[1]}T${m[2]}+08:00`).toISOString() : undefined;
};
const beijing = (text: unknown): string => beijingTime(text) ?? new Date(0).toISOString();
const yyyymmdd = (d: Date) => new Date(d.getTime() + 8 * 3_600_000).toISOString().slice(0, 10).replaceAll('-', '');

/**
 * Alibaba Cloud SMS (Dysmsapi 2017-05-25: SendSms, QuerySendDetails) and voice notification
 * (Dyvmsapi 2017-05-25: SingleCallByTts), through Alibaba's own RPC client (`@alicloud/pop-core`,
 * HMAC-SHA1 signature v1), always by POST so no signature or key id ends up in a URL or an error.
 * Callbacks are the HTTP batch pushes of SmsReport, SmsUp and VoiceReport.
 */
export function aliyunProvider(settings: AliyunSettings): NotifyProvider {
  const client = (endpoint: string) =>
    new RPCClient({ accessKeyId: settings.accessKeyId, accessKeySecret: settings.accessKeySecret, endpoint, apiVersion: '2017-05-25' });
  const sms = client(settings.smsEndpoint ?? 'https://dysmsapi.aliyuncs.com');
  const vms = client(settings.voiceEndpoint ?? 'https://dyvmsapi.aliyuncs.com');
  const timeout = settings.timeoutMs ?? 10_000;

  async function request<T>(api: InstanceType<typeof RPCClientType>, action: string, params: Record<string, unknown>): Promise<T> {
    try {
      return await api.request<T>(action, params, { method: 'POST', timeout });
    } catch (error) {
      const e = error as { code?: string; name?: string; message?: string; data?: { Message?: string } };
      if (typeof e.code === 'string' && e.data) {
        // The provider answered with a refusal: its code (isv.*, isp.*, Throttling…) and message.
        throw new ProviderError(e.code, e.data.Message ?? e.code, aliyunRetryable(e.code));
      }
      // No answer, a 5xx page that is not JSON, a timeout: the same request may succeed later.
      const code = /timeout/i.test(`${e.name} ${e.message}`) ? 'timeout' : e instanceof SyntaxError ? 'bad_answer' : 'unreachable';
      throw new ProviderError(code, (e.message ?? String(error)).replace(/URL: \S+/, '').slice(0, 300), true);
    }
  }

  const sendSms = async (phone: string, template: string, params: object, reference: string) => {
    const answer = await request<{ BizId?: string }>(sms, 'SendSms', {
      PhoneNumbers: phone,
      SignName: settings.signName,
      TemplateCode: template,
      TemplateParam: JSON.stringify(params),
      OutId: reference,
    });
    if (!answer.BizId) throw new ProviderError('bad_answer', 'SendSms answered without a BizId', true);
    return answer.BizId;
  };

  return {
    name: 'aliyun',
    voice: settings.voiceTemplate !== undefined,
    sendAlert: (phone, params: AlertParams, reference) => sendSms(phone, settings.alertTemplate, params, reference),
    sendReply: (phone, params: ReplyParams, reference) => sendSms(phone, settings.replyTemplate, params, reference),
    async call(phone, params, reference) {
      if (!settings.voiceTemplate) throw new ProviderError('voice_not_configured', 'no voice template is configured', false);
      const answer = await request<{ CallId?: string }>(vms, 'SingleCallByTts', {
        ...(settings.voiceCaller ? { CalledShowNumber: settings.voiceCaller } : {}),
        CalledNumber: phone,
        TtsCode: settings.voiceTemplate,
        TtsParam: JSON.stringify(params),
        PlayTimes: 2,
        OutId: reference,
      });
      if (!answer.CallId) throw new ProviderError('bad_answer', 'SingleCallByTts answered without a CallId', true);
      return answer.CallId;
    },
    async findSms(phone, reference, since) {
      // QuerySendDetails reads one day at a time; a lease is 30 s, so the day it began and today.
      const days = [...new Set([yyyymmdd(since), yyyymmdd(new Date())])];
      for (const day of days) {
        for (let page = 1; page <= 20; page++) {
          const answer = await request<{ TotalCount?: number; SmsSendDetailDTOs?: { SmsSendDetailDTO?: Array<{ OutId?: string }> } }>(sms, 'QuerySendDetails', {
            PhoneNumber: phone,
            SendDate: day,
            PageSize: 50,
            CurrentPage: page,
          });
          const rows = answer.SmsSendDetailDTOs?.SmsSendDetailDTO ?? [];
          // The details carry our OutId but not the BizId: the reference stands for it.
          if (rows.some((r) => r.OutId === reference)) return `out:${reference}`;
          if (page * 50 >= (answer.TotalCount ?? 0)) break;
        }
      }
      return undefined;
    },
    parseCallback(kind: CallbackKind, body: unknown) {
      if (!Array.isArray(body)) throw new ProviderError('bad_callback', 'Alibaba Cloud pushes a JSON array', false);
      const rows = body as Array<Record<string, unknown>>;
      const receipts: DeliveryReceipt[] = [];
      const inbound: InboundSms[] = [];
      for (const r of rows) {
        if (kind === 'sms-report') {
          receipts.push({
            channel: 'sms',
            messageId: String(r.biz_id ?? ''),
            reference: typeof r.out_id === 'string' && r.out_id ? r.out_id : undefined,
            delivered: r.success === true || r.success === 'true',
            code: String(r.err_code ?? ''),
            reportedAt: beijing(r.report_time),
          });
        } else if (kind === 'voice-report') {
          receipts.push({
            channel: 'voice',
            messageId: String(r.call_id ?? ''),
            reference: typeof r.out_id === 'string' && r.out_id ? r.out_id : undefined,
            // 200000: the callee listened to the message; anything else is a call not taken.
            delivered: String(r.status_code) === '200000',
            code: String(r.status_code ?? ''),
            reportedAt: beijing(r.end_time ?? r.start_time),
          });
        } else {
          inbound.push({
            messageId: String(r.sequence_id ?? `${String(r.phone_number)}@${String(r.send_time)}`),
            from: String(r.phone_number ?? '').replace(/\D/g, ''),
            text: String(r.content ?? ''),
            receivedAt: beijingTime(r.send_time),
          });
        }
      }
      return { receipts, inbound };
    },
    callbackAnswer: { code: 0, msg: '成功' },
  };
}
