// Reports an officer may need with no signal, kept on the phone (SPEC §5 "without guesswork"):
// every report opened, and every one on the township's open-alert board, with its village (centre,
// access notes, phones). An officer alerted live has the frame; one who picked an alert off the
// board — a colleague's, an escalation they were not on — had nothing once in the valley (found by
// a newcomer). Bounded: the newest MAX reports per user, in localStorage (written synchronously).
const MAX = 60;
const keyOf = (sub) => `zhitong.kept.${sub}`;

function read(sub) {
  try {
    const v = JSON.parse(localStorage.getItem(keyOf(sub)) ?? '{}');
    return v && typeof v === 'object' ? v : {};
  } catch {
    return {};
  }
}

/** What was kept of `reportId`: `{report, unit, at}` (at: ms when kept), or undefined. */
export const keptReport = (sub, reportId) => read(sub)[reportId];

/** Keeps the report (GET /reports/{id}) and its village (GET /units/{code}, may be null). */
export function keepReport(sub, report, unit) {
  const all = read(sub);
  all[report.reportId] = { report, unit: unit ?? all[report.reportId]?.unit ?? null, at: Date.now() };
  const newest = Object.entries(all)
    .sort((a, b) => b[1].at - a[1].at)
    .slice(0, MAX);
  try {
    localStorage.setItem(keyOf(sub), JSON.stringify(Object.fromEntries(newest)));
  } catch {
    // A full storage keeps what it had: the live frames and the outbox matter more.
  }
}

/** The open-alert board as last read: `{items, at}`, for a phone that lost its signal. */
export const keptBoard = (sub) => {
  try {
    return JSON.parse(localStorage.getItem(`zhitong.board.${sub}`) ?? 'null');
  } catch {
    return null;
  }
};
export function keepBoard(sub, items) {
  try {
    localStorage.setItem(`zhitong.board.${sub}`, JSON.stringify({ items, at: Date.now() }));
  } catch {
    // as above
  }
}
