import type { EventStore, RecordedEvent, Subscription } from '../infra/eventstore/types.js';

/**
 * Which incident each report is linked to, kept by tailing the log. Linking checks it so that a
 * report belongs to at most one incident; the incident stream's own revision check covers races
 * within one incident, and `waitFor` lets a check see every link written before it.
 */
export class ReportLinks {
  #byReport = new Map<string, string>();
  #subscription: Subscription | undefined;

  constructor(private readonly store: EventStore) {}

  start(): void {
    this.#subscription = this.store.subscribe({ onEvents: (events) => events.forEach((e) => this.apply(e)) });
  }

  apply(event: RecordedEvent): void {
    if (!event.stream.startsWith('incident-')) return;
    const incidentId = event.stream.slice('incident-'.length);
    const data = event.data as { reportId?: string };
    if (event.type === 'ReportLinked' && data.reportId) this.#byReport.set(data.reportId, incidentId);
    if (event.type === 'ReportUnlinked' && data.reportId && this.#byReport.get(data.reportId) === incidentId) {
      this.#byReport.delete(data.reportId);
    }
  }

  /** The incident a report is linked to, once the index has caught up with the log's head. */
  async incidentOf(reportId: string): Promise<string | undefined> {
    const head = await this.store.headPosition();
    if (head && this.#subscription) await this.#subscription.waitFor(head, 5000);
    return this.#byReport.get(reportId);
  }

  async stop(): Promise<void> {
    await this.#subscription?.close();
  }
}
