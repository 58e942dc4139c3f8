import type { Channel } from '../domain/notification.js';
import { projection } from './projection.js';

/** One SMS or call of one alert step to one person, as the read side keeps it. */
export interface NotificationRow {
  id: string;
  step: number;
  to: string;
  channel: Channel;
  phone: string;
  provider: string;
  attempts: number;
  lastAttemptAt: string;
  leaseUntil: string | undefined;
  status: 'pending' | 'sent' | 'failed';
  messageId: string | undefined;
  lastError: { code: string; message: string } | undefined;
  delivery: { delivered: boolean; code: string; at: string } | undefined;
}

export interface NotificationsState {
  /** Per report: its messages by id, and `{step}/{user}` receipts of devices. */
  reports: Map<string, { messages: Map<string, NotificationRow>; received: Set<string> }>;
  /** `{provider}:{messageId}` → the message, for delivery receipts that name only the provider's id. */
  byMessage: Map<string, { reportId: string; id: string }>;
}

/** SMS and voice messages of alert steps and what became of them (SPEC §5). */
export const notificationsProjection = projection({
  name: 'notifications',
  version: 1,
  eventTypes: ['AlertReceived', 'NotificationAttempted', 'NotificationSent', 'NotificationFailed', 'NotificationDelivered'],
  initialState: (): NotificationsState => ({ reports: new Map(), byMessage: new Map() }),
  evolve(state, event) {
    let report = state.reports.get(event.id);
    if (!report) state.reports.set(event.id, (report = { messages: new Map(), received: new Set() }));
    switch (event.type) {
      case 'AlertReceived':
        report.received.add(`${event.data.step}/${event.data.by}`);
        return state;
      case 'NotificationAttempted': {
        const d = event.data;
        const before = report.messages.get(d.id);
        report.messages.set(d.id, {
          id: d.id,
          step: d.step,
          to: d.to,
          channel: d.channel,
          phone: d.phone,
          provider: d.provider,
          attempts: d.attempt,
          lastAttemptAt: event.at,
          leaseUntil: d.leaseUntil,
          status: 'pending',
          messageId: undefined,
          lastError: before?.lastError,
          delivery: undefined,
        });
        return state;
      }
      case 'NotificationSent': {
        const row = report.messages.get(event.data.id);
        if (!row) return state;
        row.status = 'sent';
        row.messageId = event.data.messageId;
        row.leaseUntil = undefined;
        state.byMessage.set(`${row.provider}:${event.data.messageId}`, { reportId: event.id, id: row.id });
        return state;
      }
      case 'NotificationFailed': {
        const row = report.messages.get(event.data.id);
        if (!row) return state;
        row.status = event.data.final ? 'failed' : 'pending';
        row.leaseUntil = undefined;
        row.lastError = { code: event.data.code, message: event.data.message };
        return state;
      }
      case 'NotificationDelivered': {
        const row = report.messages.get(event.data.id);
        if (row) row.delivery = { delivered: event.data.delivered, code: event.data.code, at: event.data.reportedAt };
        return state;
      }
      default: {
        const never: never = event;
        return never;
      }
    }
  },
});

/** A report's messages in step order, for its view and history. */
export const messagesOf = (state: NotificationsState, reportId: string): NotificationRow[] =>
  [...(state.reports.get(reportId)?.messages.values() ?? [])].sort((a, b) => a.step - b.step || a.id.localeCompare(b.id));
