import type { RecordedEvent } from '../infra/eventstore/types.js';
import { evolveOpenAlerts, initialOpenAlerts, openAlertsWithin, type OpenAlert } from '../projections/open-alerts.js';
import { NotCaughtUpError, type LogTailer } from './log-tailer.js';

/**
 * The open-alert board, fed by the node's log tailer. `within` first waits until the tailer has
 * handled the log up to its head, so an acknowledgement just written is never shown as open.
 */
export class OpenAlerts {
  readonly #view = initialOpenAlerts();
  #position: string | undefined;

  constructor(private readonly tailer: LogTailer) {}

  readonly handler = {
    event: (event: RecordedEvent): void => {
      evolveOpenAlerts(this.#view, event);
      this.#position = event.position;
    },
  };

  /** Throws NotCaughtUpError rather than answer from behind the log (SPEC §6). */
  async within(prefix: string): Promise<{ alerts: OpenAlert[]; asOf: string | null }> {
    if (!(await this.tailer.caughtUp())) throw new NotCaughtUpError();
    return { alerts: openAlertsWithin(this.#view, prefix), asOf: this.#position ?? null };
  }
}
