import { refuse } from './errors.js';
import type { EventData } from './events.js';
import { HAZARD_LABELS, type Hazard } from './vocabulary.js';

/**
 * Reaching a sleeping phone (SPEC §5): every alert step also goes out as an SMS, and the last step,
 * when it repeats, as a voice call. What is owed, and what happened to each message, lives in the
 * report's own stream, so a notification is decided against the report as it stands: an
 * acknowledgement appended first stops every send not yet under way.
 */
export type Channel = 'sms' | 'voice';

/** A device that confirmed receipt of the frame within this time makes that person's SMS unnecessary. */
export const SMS_AFTER_MS = 30_000;
/**
 * Attempts at one message before it is recorded as finally failed; with the notifier's backoff
 * (2 s doubling to a minute, services/alerts/scheduler.ts) they span about four minutes, so a
 * provider's short outage does not cost an officer their SMS.
 */
export const MAX_NOTIFICATION_ATTEMPTS = 8;
/** An attempt not answered within this time is taken to have died with its process. */
export const NOTIFICATION_LEASE_MS = 30_000;

/** One message owed for one alert step to one person on one channel. */
export interface NotificationRecord {
  /** `{step}/{channel}/{to}`: unique within the report. */
  id: string;
  step: number;
  to: string;
  channel: Channel;
  phone: string;
  provider: string;
  attempts: number;
  /** While an attempt is under way: when it is taken to have died. */
  leaseUntil: string | undefined;
  status: 'pending' | 'sent' | 'failed';
  messageId: string | undefined;
  lastError: { code: string; message: string } | undefined;
  delivery: { delivered: boolean; code: string; at: string } | undefined;
}

/** What a report's notifications look like to the rules: per message, and device receipts per step. */
export interface NotificationState {
  notifications: Record<string, NotificationRecord>;
  /** `{step}/{user}`: that user's device confirmed receipt of that step's frame. */
  received: string[];
}

export const notificationId = (step: number, channel: Channel, to: string): string => `${step}/${channel}/${to}`;

/**
 * The provider's reference for a message (Alibaba `OutId`, Tencent `SessionContext`): the report
 * and the message, so a delivery receipt or a lookup after a crash finds its way back.
 */
export const providerReference = (reportId: string, id: string): string => `${reportId}/${id}`;

export function parseProviderReference(ref: string): { reportId: string; id: string } | undefined {
  const m = /^([0-9a-f-]{36})\/(\d+\/(?:sms|voice)\/.+)$/.exec(ref);
  return m ? { reportId: m[1]!, id: m[2]! } : undefined;
}

export type NotificationCommand =
  | {
      type: 'AttemptNotification';
      data: { step: number; to: string; channel: Channel; phone: string; provider: string };
      now: string;
    }
  | { type: 'RecordNotificationSent'; data: { id: string; attempt: number; messageId: string; recovered?: boolean }; now: string }
  | { type: 'RecordNotificationFailed'; data: { id: string; attempt: number; code: string; message: string; retryable: boolean }; now: string }
  | { type: 'RecordDelivery'; data: { id: string; delivered: boolean; code: string; reportedAt: string }; now: string }
  | { type: 'RecordReceipt'; data: { step: number; by: string }; now: string };

export type NotificationEvent = { type: 'AlertReceived'; data: EventData<'AlertReceived'> }
  | { type: 'NotificationAttempted'; data: EventData<'NotificationAttempted'> }
  | { type: 'NotificationSent'; data: EventData<'NotificationSent'> }
  | { type: 'NotificationFailed'; data: EventData<'NotificationFailed'> }
  | { type: 'NotificationDelivered'; data: EventData<'NotificationDelivered'> };

/** What the rules need of the report itself. */
export interface AlertFacts {
  /** Step of the last AlertRaised; undefined before the first. */
  step: number | undefined;
  acknowledged: boolean;
  finished: boolean;
}

/**
 * Decides one notification command on a report (SPEC §5). Throws DomainError:
 * `already_acknowledged` (the alert was answered, or the report closed or dismissed: nothing more
 * goes out), `stale_escalation` (a later step superseded this one), `already_exists` (the message
 * went, or finally failed), `in_progress` (an attempt is under way and its lease has not run out),
 * `not_found` (no such message). Receipts and delivery reports of what is already known decide
 * nothing.
 */
export function decideNotification(command: NotificationCommand, facts: AlertFacts, state: NotificationState): NotificationEvent[] {
  switch (command.type) {
    case 'AttemptNotification': {
      const { step, to, channel, phone, provider } = command.data;
      if (facts.acknowledged || facts.finished) refuse('already_acknowledged', { en: 'the alert was answered, or the report is closed: nothing more goes out', zh: '已有人接警，或报告已结案：不再发送通知' });
      if (facts.step !== step) refuse('stale_escalation', { en: `step ${step} is not the report's current step (${facts.step})`, zh: `第 ${step} 步不是该报告当前的升级步骤（当前为第 ${facts.step} 步）` });
      const id = notificationId(step, channel, to);
      const record = state.notifications[id];
      if (record && record.status !== 'pending') refuse('already_exists', { en: `${id} was ${record.status}`, zh: `通知 ${id} 已处理过（${record.status}）` });
      if (record?.leaseUntil && Date.parse(record.leaseUntil) > Date.parse(command.now)) refuse('in_progress', { en: `${id} is being sent`, zh: `通知 ${id} 正在发送，请稍后重试` });
      const attempt = (record?.attempts ?? 0) + 1;
      const leaseUntil = new Date(Date.parse(command.now) + NOTIFICATION_LEASE_MS).toISOString();
      return [{ type: 'NotificationAttempted', data: { id, step, to, channel, phone, provider, attempt, leaseUntil } }];
    }
    case 'RecordNotificationSent': {
      const record = state.notifications[command.data.id];
      if (!record) return refuse('not_found', `no notification ${command.data.id}`);
      if (record.status === 'sent') return [];
      const { id, attempt, messageId, recovered } = command.data;
      return [{ type: 'NotificationSent', data: { id, attempt, messageId, ...(recovered ? { recovered: true } : {}) } }];
    }
    case 'RecordNotificationFailed': {
      const record = state.notifications[command.data.id];
      if (!record) return refuse('not_found', `no notification ${command.data.id}`);
      if (record.status !== 'pending') return [];
      const { id, attempt, code, message, retryable } = command.data;
      const final = !retryable || attempt >= MAX_NOTIFICATION_ATTEMPTS;
      return [{ type: 'NotificationFailed', data: { id, attempt, code: code.slice(0, 100), message: message.slice(0, 500), final } }];
    }
    case 'RecordDelivery': {
      const record = state.notifications[command.data.id];
      if (!record) return refuse('not_found', `no notification ${command.data.id}`);
      if (record.delivery?.delivered === command.data.delivered && record.delivery.code === command.data.code) return [];
      return [{ type: 'NotificationDelivered', data: command.data }];
    }
    case 'RecordReceipt': {
      const key = `${command.data.step}/${command.data.by}`;
      if (state.received.includes(key) || facts.step === undefined || command.data.step > facts.step) return [];
      return [{ type: 'AlertReceived', data: command.data }];
    }
    default: {
      const never: never = command;
      return never;
    }
  }
}

export function evolveNotification(state: NotificationState, event: NotificationEvent & { at: string }): NotificationState {
  const update = (id: string, change: (r: NotificationRecord) => NotificationRecord): NotificationState => {
    const record = state.notifications[id];
    return record ? { ...state, notifications: { ...state.notifications, [id]: change(record) } } : state;
  };
  switch (event.type) {
    case 'AlertReceived':
      return { ...state, received: [...state.received, `${event.data.step}/${event.data.by}`] };
    case 'NotificationAttempted': {
      const d = event.data;
      const before = state.notifications[d.id];
      const record: NotificationRecord = {
        id: d.id,
        step: d.step,
        to: d.to,
        channel: d.channel,
        phone: d.phone,
        provider: d.provider,
        attempts: d.attempt,
        leaseUntil: d.leaseUntil,
        status: 'pending',
        messageId: undefined,
        lastError: before?.lastError,
        delivery: undefined,
      };
      return { ...state, notifications: { ...state.notifications, [d.id]: record } };
    }
    case 'NotificationSent':
      return update(event.data.id, (r) => ({ ...r, status: 'sent', messageId: event.data.messageId, leaseUntil: undefined }));
    case 'NotificationFailed':
      return update(event.data.id, (r) => ({
        ...r,
        status: event.data.final ? 'failed' : 'pending',
        leaseUntil: undefined,
        lastError: { code: event.data.code, message: event.data.message },
      }));
    case 'NotificationDelivered':
      return update(event.data.id, (r) => ({ ...r, delivery: { delivered: event.data.delivered, code: event.data.code, at: event.data.reportedAt } }));
    default: {
      const never: never = event;
      return never;
    }
  }
}

/**
 * Whether an alert at the policy's step `tier` (AlertRaised `tier`, else its step) repeats the
 * policy's last step: the one that also places a voice call (SPEC §5).
 */
export const callsAtStep = (tier: number, policySteps: number): boolean => tier >= policySteps;

/** Characters in one SMS in Chinese (UCS-2), the sign included; a longer text is split and billed as several. */
export const SMS_CHARS = 70;
/** The fixed text of the recommended alert template: `：`, `，报告人`, `，详情`. */
export const ALERT_TEMPLATE_FIXED_CHARS = 8;

/**
 * The values of the alert SMS template (SPEC §5): hazard, place, reporter's phone and a short
 * link, cut so that the recommended template — `【签名】${hazard}：${place}，报告人${phone}，详情
 * ${link}` — fits one SMS (SMS_CHARS with the sign; README, "SMS and voice"). The link and the
 * phone are kept whole, being what the officer acts on; the place gives way: township and village,
 * else the village alone, else the village's name cut.
 */
export function alertSmsParams(input: { hazard: Hazard; path: string[]; reporterPhone: string; link: string; signName: string }): { hazard: string; place: string; phone: string; link: string } {
  const hazard = HAZARD_LABELS[input.hazard];
  const phone = input.reporterPhone.slice(0, 20);
  const link = input.link;
  const room = Math.max(2, SMS_CHARS - (input.signName.length + 2) - ALERT_TEMPLATE_FIXED_CHARS - hazard.length - phone.length - link.length);
  const names = input.path.slice(-2);
  const both = names.join('');
  const village = names.at(-1) ?? '';
  const place = both.length <= room ? both : village.length <= room ? village : village.slice(0, room);
  return { hazard, place, phone, link };
}
