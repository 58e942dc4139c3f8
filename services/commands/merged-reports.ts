import { streams } from '../../domain/events.js';
import { reportDecider, type FiledReport, type ReportState } from '../../domain/report.js';
import type { CommandHandler, Loaded } from './execute.js';

/** Where a fact from the field sent to a report merged as a duplicate goes (`originalOf`). */
export type MergedReportTarget =
  /** The open report it was merged into, followed through a chain of duplicates: record it there. */
  | { kind: 'original'; reportId: string; loaded: Loaded<ReportState> & { report: FiledReport } }
  /** The chain ends at a report closed, or dismissed for another reason: nothing open can take it. */
  | { kind: 'ended'; reportId: string; report: FiledReport };

/**
 * Where a fact from the field (a 续报, an acknowledgement, a dispatch, an arrival) sent to report
 * `asked` belongs when `state` is that report dismissed as a duplicate (SPEC §3 `ReportDismissed
 * {duplicateOf}`): a contact does not know their report was merged, and news of injuries must not
 * bounce (docs/decisions.md, "What a newcomer found in session 49"). One rule for HTTP and the
 * WebSocket's `ack`.
 *
 * Returns undefined where `asked` is not such a report, or where its chain leaves what
 * `inScope(villageCode)` allows or loops: the fact is then decided on `asked` itself, whose rules
 * say why not. Reads each report of the chain once; throws what the store throws.
 */
export async function originalOf(commands: CommandHandler, asked: string, state: ReportState, inScope: (village: string) => boolean): Promise<MergedReportTarget | undefined> {
  const seen = new Set([asked]);
  for (;;) {
    if (!state.exists || state.status !== 'dismissed' || state.dismissal?.reason !== 'duplicate' || state.dismissal.duplicateOf === undefined) return undefined;
    const reportId = state.dismissal.duplicateOf;
    if (seen.has(reportId)) return undefined;
    seen.add(reportId);
    const loaded = await commands.load(streams.report(reportId), reportDecider);
    const report = loaded.state;
    if (!report.exists || !inScope(report.village)) return undefined;
    if (report.status === 'closed' || (report.status === 'dismissed' && report.dismissal?.reason !== 'duplicate')) return { kind: 'ended', reportId, report };
    if (report.status !== 'dismissed') return { kind: 'original', reportId, loaded: { ...loaded, report } };
    state = report;
  }
}

/**
 * The details of the `report_dismissed` refusal where a merged report's chain ended (`kind:
 * 'ended'`): the report it ended at, its status, and the township's phone to call instead (found
 * by a newcomer: told to send the fact to a report that then refused it too). `sender` is the
 * role of whoever sent it: an officer is the township, and is told to file anew, not to phone it.
 */
export function endedChainDetails(duplicateOf: string, report: FiledReport, townshipPhone: string | undefined, sender: string) {
  return { reason: 'duplicate', action: 'field_work', duplicateOf, originalStatus: report.status, sender, ...(townshipPhone ? { townshipPhone } : {}) };
}
