import type { EventStore, Subscription } from '../infra/eventstore/types.js';
import { evolveReportLinks, incidentOfReport, initialReportLinks } from '../projections/report-links.js';

/**
 * The report-links projection kept current by tailing the log. Linking checks it so that a
 * report belongs to at most one incident; `incidentOf` first waits until the projection has seen
 * every event up to the log's head, so it never answers from behind a link already written.
 */
export class ReportLinks {
  #view = initialReportLinks();
  #subscription: Subscription | undefined;

  constructor(private readonly store: EventStore) {}

  start(): void {
    this.#subscription = this.store.subscribe({
      onEvents: (events) => {
        for (const event of events) this.#view = evolveReportLinks(this.#view, event);
      },
    });
  }

  async incidentOf(reportId: string): Promise<string | undefined> {
    const head = await this.store.headPosition();
    if (head && this.#subscription) await this.#subscription.waitFor(head, 5000);
    return incidentOfReport(this.#view, reportId);
  }

  async stop(): Promise<void> {
    await this.#subscription?.close();
  }
}
