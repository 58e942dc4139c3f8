/**
 * SMS and voice through a cloud provider (SPEC §5): one small interface, one adapter per provider
 * an office in China contracts (Alibaba Cloud, Tencent Cloud), chosen by configuration.
 */

/** The values of the alert SMS template: hazard label, place, reporter's phone, short link. */
export interface AlertParams {
  hazard: string;
  place: string;
  phone: string;
  link: string;
}

/** The values of the answer to an inbound SMS: the report number, or what went wrong, in a few words. */
export interface ReplyParams {
  /** 报告编号, or empty when nothing was filed. */
  number: string;
  /** A short Chinese sentence: 已收到 / 未能识别，请按 "灾种 组 情况" 重发 / 号码未登记. */
  status: string;
}

/** A provider refused or failed; `retryable` when the same request may succeed later. */
export class ProviderError extends Error {
  constructor(
    readonly code: string,
    message: string,
    readonly retryable: boolean,
  ) {
    super(message);
    this.name = 'ProviderError';
  }
}

/** A carrier's report on one message, from the provider's callback. */
export interface DeliveryReceipt {
  channel: 'sms' | 'voice';
  /** The provider's message id (BizId, SerialNo, CallId). */
  messageId: string;
  /** Our reference, when the provider echoes it (Alibaba's out_id). */
  reference: string | undefined;
  delivered: boolean;
  code: string;
  /** ISO-8601 UTC. */
  reportedAt: string;
}

/** An SMS a phone sent to the office's number, from the provider's callback. */
export interface InboundSms {
  /** Unique per message at the provider (a sequence id, or phone and time where it has none). */
  messageId: string;
  /** Digits, no country code. */
  from: string;
  text: string;
  /** ISO-8601 UTC; undefined when the provider's time could not be read (found by a newcomer: a report of 1970). */
  receivedAt: string | undefined;
}

export type CallbackKind = 'sms-report' | 'voice-report' | 'inbound';

export interface NotifyProvider {
  readonly name: 'aliyun' | 'tencent';
  /** Whether calls are configured (a voice template); SMS always is. */
  readonly voice: boolean;
  /** Sends the alert SMS; resolves with the provider's message id. Throws ProviderError. */
  sendAlert(phone: string, params: AlertParams, reference: string): Promise<string>;
  /** Sends the answer to an inbound SMS. Throws ProviderError. */
  sendReply(phone: string, params: ReplyParams, reference: string): Promise<string>;
  /** Places the voice call of a repeated last step. Throws ProviderError. */
  call(phone: string, params: AlertParams, reference: string): Promise<string>;
  /**
   * Whether the provider took an SMS with this reference to this phone since `since`: how an
   * attempt whose answer was never recorded (the process died) is settled without sending twice.
   * Resolves with its message id, or undefined when it was not taken; throws ProviderError when
   * the provider cannot say.
   */
  findSms(phone: string, reference: string, since: Date): Promise<string | undefined>;
  /** Reads a callback body as documented by the provider. Throws ProviderError (`bad_callback`). */
  parseCallback(kind: CallbackKind, body: unknown): { receipts: DeliveryReceipt[]; inbound: InboundSms[] };
  /** The answer the provider's callback expects on success. */
  readonly callbackAnswer: unknown;
}
