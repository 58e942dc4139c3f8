import type { RecordedEvent } from '../infra/eventstore/types.js';
import { evolveOpenAlerts, initialOpenAlerts, openAlertsWithin, type OpenAlert } from '../projections/open-alerts.js';
import type { LogTailer } from './log-tailer.js';

/**
 * The open-alert board, fed by the node's log tailer. `within` first waits until the tailer has
 * handled the log up to its head, so an acknowledgement just written is never shown as open.
 */
export class OpenAlerts {
  readonly #view = initialOpenAlerts();
  #position: string | undefined;

  constructor(private readonly tailer: LogTailer) {}

  readonly onEvents = (events: RecordedEvent[]): void => {
    for (const event of events) evolveOpenAlerts(this.#view, event);
    this.#position = events[events.length - 1]?.position ?? this.#position;
  };

  async within(prefix: string): Promise<{ alerts: OpenAlert[]; asOf: string | null }> {
    await this.tailer.caughtUp();
    return { alerts: openAlertsWithin(this.#view, prefix), asOf: this.#position ?? null };
  }
}
