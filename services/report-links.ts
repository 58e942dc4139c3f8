import type { RecordedEvent } from '../infra/eventstore/types.js';
import { evolveReportLinks, incidentOfReport, initialReportLinks } from '../projections/report-links.js';
import type { LogTailer } from './log-tailer.js';

/**
 * The report-links projection, fed by the node's log tailer. Linking checks it so that a report
 * belongs to at most one incident; `incidentOf` first waits until the tailer has handled every
 * event up to the log's head, so it never answers from behind a link already written.
 */
export class ReportLinks {
  #view = initialReportLinks();

  constructor(private readonly tailer: LogTailer) {}

  readonly onEvents = (events: RecordedEvent[]): void => {
    for (const event of events) this.#view = evolveReportLinks(this.#view, event);
  };

  async incidentOf(reportId: string): Promise<string | undefined> {
    await this.tailer.caughtUp();
    return incidentOfReport(this.#view, reportId);
  }
}
