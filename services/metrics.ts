import { Counter, Gauge, Histogram, Registry } from 'prom-client';
import { ConcurrencyError, type EventStore } from '../infra/eventstore/types.js';

/**
 * One node's instruments for `/metrics`, in one registry per node: the tests run several nodes in
 * one process, and prom-client's global registry would mix their counts (and refuse the second
 * node's metric names). What can be read from the node's state when scraped (open alerts,
 * WebSocket clients, projection lag) is collected in services/http/app.ts; what happens between
 * scrapes is counted here, by whoever sees it happen.
 *
 * Labels take a handful of values each (outcome, reason, channel, frame type): never a report,
 * user or unit id, which would make a series per report.
 */
export class NodeMetrics {
  readonly registry = new Registry();

  readonly appends = new Counter({
    name: 'zhitong_eventstore_appends_total',
    help: 'Appends to the event store by outcome: written, duplicate (an idempotent retry), conflict (the stream moved on), failed',
    labelNames: ['outcome'],
    registers: [this.registry],
  });

  readonly appendSeconds = new Histogram({
    name: 'zhitong_eventstore_append_duration_seconds',
    help: 'Time from asking the event store to append until it answered, queueing for the group commit included',
    buckets: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
    registers: [this.registry],
  });

  readonly appendedEvents = new Counter({
    name: 'zhitong_eventstore_appended_events_total',
    help: 'Events written to the event store by this node',
    registers: [this.registry],
  });

  readonly alertsRaised = new Counter({
    name: 'zhitong_alerts_raised_total',
    help: 'Alert steps written by this node: filed (step 0, with the report) or unacknowledged (an escalation step)',
    labelNames: ['reason'],
    registers: [this.registry],
  });

  readonly escalations = new Counter({
    name: 'zhitong_alert_escalations_total',
    help: 'Escalation steps (step 1 and later) written by this node because nobody acknowledged in time',
    registers: [this.registry],
  });

  readonly acknowledgements = new Counter({
    name: 'zhitong_alert_acknowledgements_total',
    help: 'Alert acknowledgements written by this node',
    registers: [this.registry],
  });

  readonly framesSent = new Counter({
    name: 'zhitong_websocket_frames_sent_total',
    help: 'Alert-channel frames sent to WebSocket clients, by frame type (alert, acknowledged, updated, clock_overdue, …)',
    labelNames: ['type'],
    registers: [this.registry],
  });

  readonly reportToAlertSeconds = new Histogram({
    name: 'zhitong_report_to_alert_seconds',
    help: "Time from a report's filing to its first alert frame being sent to each live on-call client (resumed deliveries not counted)",
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
    registers: [this.registry],
  });

  readonly notifications = new Counter({
    name: 'zhitong_alert_notifications_total',
    help: "Alert SMS and voice calls handed to the provider, by channel and outcome (sent, failed)",
    labelNames: ['channel', 'outcome'],
    registers: [this.registry],
  });

  readonly backups = new Counter({
    name: 'zhitong_backups_total',
    help: 'Scheduled backups by outcome: verified, unverified (made, but the copy does not verify: kept as evidence), failed (not made)',
    labelNames: ['outcome'],
    registers: [this.registry],
  });

  readonly backupLastSuccess = new Gauge({
    name: 'zhitong_backup_last_success_timestamp_seconds',
    help: 'When the last backup that verified was taken (Unix time); alert on its age',
    registers: [this.registry],
  });

  readonly backupDuration = new Gauge({
    name: 'zhitong_backup_last_duration_seconds',
    help: 'How long the last backup that verified took, copy and verification',
    registers: [this.registry],
  });
}

/** The node whose instruments a store's appends are counted in (the last to take the store). */
const metered = new WeakMap<EventStore, NodeMetrics>();

/**
 * Counts and times every append through `store`, whoever appends (routes, the escalator, the
 * gateway's acknowledgements, the sealer). The store is instrumented in place rather than wrapped,
 * because command handlers are cached per store object (services/commands/execute.ts). Alert steps
 * are counted here, where they are written, so a step is counted once across nodes, not once per
 * node that applies it.
 */
export function meterAppends(store: EventStore, metrics: NodeMetrics): EventStore {
  const already = metered.has(store);
  metered.set(store, metrics);
  if (already) return store;
  const append = store.append.bind(store);
  store.append = async (stream, events, expected, options) => {
    const m = metered.get(store)!;
    const end = m.appendSeconds.startTimer();
    try {
      const result = await append(stream, events, expected, options);
      m.appends.inc({ outcome: result.written ? 'written' : 'duplicate' });
      if (result.written) {
        m.appendedEvents.inc(events.length);
        for (const event of events) {
          if (event.type === 'AlertRaised') {
            const { step, reason } = event.data as { step: number; reason: string };
            m.alertsRaised.inc({ reason });
            if (step > 0) m.escalations.inc();
          } else if (event.type === 'AlertAcknowledged') {
            m.acknowledgements.inc();
          }
        }
      }
      return result;
    } catch (error) {
      m.appends.inc({ outcome: error instanceof ConcurrencyError ? 'conflict' : 'failed' });
      throw error;
    } finally {
      end();
    }
  };
  return store;
}
