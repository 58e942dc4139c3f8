/**
 * Which incident each report is linked to (a report belongs to at most one). Pure: the same
 * events always give the same view.
 */
export interface ReportLinksView {
  byReport: Map<string, string>;
}

export interface LinkEvent {
  stream: string;
  type: string;
  data: unknown;
}

export const initialReportLinks = (): ReportLinksView => ({ byReport: new Map() });

/** Updates the view's map in place (it is rebuilt from the log, never shared). */
export function evolveReportLinks(view: ReportLinksView, event: LinkEvent): ReportLinksView {
  if (!event.stream.startsWith('incident-')) return view;
  const incidentId = event.stream.slice('incident-'.length);
  const { reportId } = event.data as { reportId?: string };
  if (!reportId) return view;
  if (event.type === 'ReportLinked') view.byReport.set(reportId, incidentId);
  else if (event.type === 'ReportUnlinked' && view.byReport.get(reportId) === incidentId) view.byReport.delete(reportId);
  return view;
}

export const incidentOfReport = (view: ReportLinksView, reportId: string): string | undefined => view.byReport.get(reportId);
