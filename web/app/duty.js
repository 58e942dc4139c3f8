// The duty officer's page (issue 15, SPEC §5): live alerts newest first, each opening where to go,
// how, and whom to call, with the buttons that record acknowledgement, departure and arrival; the
// township's open-alert board beneath.
import { useEffect, useRef, useState } from 'preact/hooks';
import { api } from './api.js';
import { ago, hazardName, localTime, t } from './i18n.js';
import { keepBoard, keepReport, keptBoard, keptReport } from './kept.js';
import { LiveAlerts } from './live.js';
import { html, Notice, Tel } from './ui.js';

let live = null;
function liveFor(sub) {
  if (!live || live.sub !== sub) {
    live?.close();
    live = new LiveAlerts(sub);
    live.sub = sub;
  }
  return live;
}

let audio = null;
/** A short two-tone alarm; browsers allow sound only after the page has been touched once. */
function beep() {
  try {
    audio ??= new AudioContext();
    const now = audio.currentTime;
    for (const [i, f] of [880, 660, 880].entries()) {
      const o = audio.createOscillator();
      const g = audio.createGain();
      o.frequency.value = f;
      g.gain.setValueAtTime(0.3, now + i * 0.25);
      g.gain.exponentialRampToValueAtTime(0.001, now + i * 0.25 + 0.22);
      o.connect(g).connect(audio.destination);
      o.start(now + i * 0.25);
      o.stop(now + i * 0.25 + 0.23);
    }
  } catch {
    /* no sound on this browser */
  }
}
addEventListener('pointerdown', () => audio?.resume?.(), { once: true });

async function notify(frame) {
  if (!('Notification' in window) || Notification.permission !== 'granted') return;
  const title = `${frame.hazardLabel} · ${frame.unit.path.join(' ')}`;
  const body = [frame.reporter?.name, frame.reporter?.phone, frame.notes].filter(Boolean).join(' · ');
  try {
    const reg = await navigator.serviceWorker?.getRegistration();
    // Android's Chrome shows notifications only through a service worker.
    if (reg) await reg.showNotification(title, { body, tag: frame.reportId, data: { url: `/#/duty/${frame.reportId}` } });
    else new Notification(title, { body, tag: frame.reportId });
  } catch {
    /* the browser refused; the page and the SMS still carry the alert */
  }
}

function useLive(session) {
  const line = liveFor(session.sub);
  const [, setVersion] = useState(0);
  useEffect(() => {
    line.onAlert = (frame, seen) => {
      if (!seen && document.hidden) {
        beep();
        notify(frame);
      }
    };
    const off = line.subscribe(() => setVersion((v) => v + 1));
    // A frame may have come between the first render and this subscription (the hello, on a fast
    // link): render once more so the page shows the line as it is, not as it was.
    setVersion((v) => v + 1);
    return off;
  }, [line]);
  return line;
}

const geoUri = (loc) => loc.geoUri ?? `geo:${loc.lat},${loc.lon}`;

function AlertCard({ alert, now }) {
  const acked = alert.acknowledgedBy?.length > 0;
  return html`<li class=${`alert ${acked ? 'acked' : 'open'} ${alert.state ?? ''}`} data-report=${alert.reportId} data-frames=${alert.frames}>
    <a href=${`#/duty/${alert.reportId}`} class="alert-link">
      <span class="hazard">${hazardName(alert.hazard, alert.hazardLabel)}</span>
      ${alert.reason === 'casualties' && html`<span class="graver">${t(alert.casualtiesFrom === 'filing' ? 'casualtiesFiled' : 'casualtiesRaised')}</span>`}
      ${alert.reason === 'reopened' && alert.reopened && html`<span class="graver">${t('reopened')[alert.reopened.because]}</span>`}
      <span class="path">${alert.unit?.path?.join(' ')}</span>
      <span class="meta">${ago(now - Date.parse(alert.reportedAt))} · ${t('stepN')(alert.tier ?? alert.step)}${alert.group ? ` · ${alert.group}` : ''}${alert.reporter?.name ? ` · ${alert.reporter.name}` : ''}</span>
      <span class="ack">${acked ? `${t('acknowledged')}${t(':')}${alert.acknowledgedBy.map((by) => alert.names?.[by] ?? by).join(t('sep'))}` : t('statusLabel').filed}${alert.state ? ` · ${t('changed')[alert.state]}` : ''}</span>
      ${Object.keys(alert.going ?? {}).length > 0 && html`<span class="going">${Object.entries(alert.going).map(([by, g]) => t('goingBy')(alert.names?.[by] ?? by, g.change, g.eta ? localTime(g.eta) : null)).join(t('sep'))}</span>`}
    </a>
  </li>`;
}

function Estimate({ estimate }) {
  const entries = Object.entries(estimate ?? {});
  if (entries.length === 0) return null;
  return html`<dl class="figures">${entries.map(([k, v]) => html`<div><dt>${t(`stat_${k}`)}</dt><dd data-figure=${k}>${v}</dd></div>`)}</dl>`;
}

function Detail({ id, session, frame, line }) {
  const [report, setReport] = useState(null);
  const [unit, setUnit] = useState(null);
  const [updates, setUpdates] = useState([]);
  // Two things go wrong apart: reading the report (no signal: shown from the phone, read again when
  // the network is back) and an action (said until the next action).
  const [problem, setProblem] = useState(null);
  const [unreadable, setUnreadable] = useState(null);
  const [done, setDone] = useState(null);
  /** What the server said beside the last write it took (a hole in the report's history, …). */
  const [said, setSaid] = useState([]);
  const [busy, setBusy] = useState(false);
  const load = async () => {
    try {
      const { body } = await api(`/reports/${id}`);
      setReport(body);
      keepReport(session.sub, body);
      if (!frame)
        api(`/units/${body.village}`).then(
          (r) => (setUnit(r.body), keepReport(session.sub, body, r.body)),
          () => {},
        );
      // Follow-ups (续报) as recorded, each with what it changed.
      if (body.amendments > 0) api(`/reports/${id}/history`).then((r) => setUpdates(r.body.items.filter((e) => e.type === 'ReportAmended')), () => {});
    } catch (error) {
      setUnreadable(error.message);
      return;
    }
    setUnreadable(null);
  };
  // The network back (the browser says so, or a look every 15 s while unreadable): read it again,
  // so "no network" does not stay on a page that has one (found by a newcomer).
  useEffect(() => {
    const again = () => load();
    addEventListener('online', again);
    const timer = unreadable ? setInterval(again, 15_000) : null;
    return () => {
      removeEventListener('online', again);
      if (timer) clearInterval(timer);
    };
  }, [id, unreadable !== null]);
  useEffect(() => {
    load();
  }, [id, frame?.position, frame?.acknowledgedBy?.length, frame?.updates?.length]);
  // Another report: what was said of the last one does not belong here.
  useEffect(() => {
    setDone(null);
    setSaid([]);
    setProblem(null);
    setUnreadable(null);
    setReport(null);
    setUpdates([]);
  }, [id]);

  const act = async (path, body, label) => {
    setBusy(true);
    setDone(null);
    try {
      const answer = await api(`/reports/${id}/${path}`, { method: 'POST', body });
      setDone(label);
      setSaid((answer.body?.warnings ?? []).map((w) => w.message));
      setProblem(null);
      await load();
    } catch (error) {
      // A refusal (an answer with a status) is not mended by trying again: only no answer is.
      setProblem(`${error.status ? t('actionRefused') : t('actionFailed')}${error.message}`);
    } finally {
      setBusy(false);
    }
  };
  const arrive = () => {
    const send = (location) => act('arrivals', location ? { location } : {}, t('arrived'));
    if (!isSecureContext || !navigator.geolocation) return send(null);
    navigator.geolocation.getCurrentPosition((p) => send({ lat: Math.round(p.coords.latitude * 1e6) / 1e6, lon: Math.round(p.coords.longitude * 1e6) / 1e6 }), () => send(null), { timeout: 10_000, maximumAge: 60_000 });
  };

  // No signal: what the alert frame kept on the phone says — where, how to get there, whom to call
  // (SPEC §5 "without guesswork"). An officer opening an alert in a valley saw only "离线" (found by a newcomer).
  // Without a frame (picked off the board, not alerted live): the report as kept when last read.
  const offline = unreadable !== null && !report;
  const kept = offline && !frame ? keptReport(session.sub, id) : undefined;
  const r = report ?? (offline ? (frame ? fromFrame(frame) : (kept?.report ?? null)) : null);
  const u = unit ?? kept?.unit ?? null;
  const f = frame ?? {};
  // A reported point that cannot be where the hazard is (0,0, abroad, far from the village) is not
  // where an officer is sent: the village's centre is, and the point is shown beside it as doubtful.
  const suspect = f.location ? (f.locationSuspect ?? null) : (r?.locationSuspect ?? null);
  // A 续报's point that was not taken: said apart, beside the point officers are still sent to.
  const passedOver = f.location ? (f.pointPassedOver ?? null) : (r?.pointPassedOver ?? null);
  // The server's answer first (the frame's `location`, the report's `goTo`): a suspect point with no
  // centre known is no place at all, never a map link to 0,0.
  const location =
    f.location !== undefined ? f.location : r?.goTo !== undefined ? r.goTo : r?.location && !suspect ? { ...r.location, source: 'report' } : u?.centre ? { ...u.centre, source: 'unit' } : null;
  const accessNotes = f.accessNotes ?? u?.accessNotes ?? null;
  const unitPhones = f.unitPhones ?? u?.phones ?? [];
  const mine = r?.acknowledgements?.includes(session.sub);
  const others = (r?.acknowledgements ?? []).filter((x) => x !== session.sub);
  const iSetOff = r?.dispatched?.some((d) => d.officer === session.sub);
  const iArrived = r?.arrived?.some((a) => a.officer === session.sub);
  const who = (list) => [...new Set(list.map((x) => x.officer))].filter((x) => x !== session.sub).map((x) => name(x));
  // Colleagues by the names on their grants, where they have one.
  const name = (sub) => r?.people?.[sub] ?? sub;
  // Who sent a 续报: the reporter by name, anyone else by what their grant calls them (found by a
  // newcomer: a 续报 from another contact read as the reporter's).
  const sender = (sub) => (sub === undefined ? '' : sub === r?.reporter?.id ? r.reporter.name : name(sub));
  // The filing's own words stay where they were read first; each 续报's are under 续报 (found by a
  // newcomer: the first notes were replaced by the latest 续报's). Offline, the frame's notes.
  const filedNotes = r?.noteTrail ? r.noteTrail.find((n) => n.at === r.reportedAt)?.notes : r?.notes;
  const status = r?.status;
  const closed = status === 'closed' || status === 'dismissed';
  return html`<section class="card detail" aria-labelledby="detail-h">
    <p><a href="#/duty">← ${t('back')}</a></p>
    ${problem && html`<${Notice} kind="error">${problem}<//>`}
    ${offline && html`<${Notice} kind="warn">${unreadable}${r ? html`<br />${t('fromPhone')}` : ''}<//>`}
    ${done && html`<${Notice} kind="ok">${t('actionDone')}${t(':')}${done}<//>`}
    ${done && said.map((m) => html`<${Notice} kind="warn">${m}<//>`)}
    ${!r && !offline && html`<p>${t('loading')}</p>`}
    ${r &&
    html`<h1 id="detail-h">${hazardName(r.hazard, r.hazardLabel)} · ${r.unit.path.join(' ')}${r.group ? ` ${r.group}` : ''}</h1>
      <p class="status">${t('statusLabel')[status] ?? status}${r.escalationStep !== null ? ` · ${t('stepN')(r.escalationTier ?? r.escalationStep)}` : ''}${r.acknowledgements.length ? ` · ${t('ackBy')}${t(':')}${r.acknowledgements.map(name).join(t('sep'))}` : ''}</p>
      ${r.intact === false && html`<${Notice} kind="warn">${t('reportDamaged')(r.damage?.problem ?? '')}<//>`}
      ${who(r.dispatched ?? []).length > 0 && html`<p class="meta">${t('departed')}${t(':')}${who(r.dispatched).join(t('sep'))}</p>`}
      ${who(r.arrived ?? []).length > 0 && html`<p class="meta">${t('arrived')}${t(':')}${who(r.arrived).join(t('sep'))}</p>`}
      <div class="actions">
        ${!mine && !closed && html`<button class=${others.length ? 'big' : 'primary big'} disabled=${busy} onClick=${() => act('acknowledgements', {}, t('acknowledged'))}>${others.length ? t('mineToo') : t('acknowledge')}</button>`}
        ${!closed && html`<button class="big" disabled=${busy} onClick=${() => act('dispatches', {}, t('departed'))}>${t('depart')}${iSetOff ? ' ✓' : ''}</button>`}
        ${!closed && html`<button class="big" disabled=${busy} onClick=${arrive}>${t('arrive')}${iArrived ? ' ✓' : ''}</button>`}
      </div>
      <h2>${t('location')}</h2>
      ${location
        ? html`<p><a class="big map" href=${geoUri(location)}>${t('openMap')}</a></p>
            <p>${t('coordinates')}${t(':')}<span class="num">${location.lat}, ${location.lon}</span></p>
            <p class="meta">${location.source === 'unit' ? (suspect ? t('locationFromUnitInstead') : t('locationFromUnit')) : t('locationFromReport')}</p>`
        : html`<p>${t('noLocation')}</p>`}
      ${suspect && html`<${Notice} kind="warn">${t('locationSuspect')(suspect.problem, suspect.distanceKm, suspect.nearer)}${t(':')}<span class="num">${suspect.reported.lat}, ${suspect.reported.lon}</span><//>`}
      ${passedOver && html`<${Notice} kind="warn">${t('pointPassedOver')(passedOver.problem, passedOver.distanceKm)}${t(':')}<span class="num">${passedOver.reported.lat}, ${passedOver.reported.lon}</span><//>`}
      ${r.directions && html`<h2>${t('directions')}</h2><p class="text">${r.directions}</p>`}
      ${accessNotes && html`<h2>${t('accessNotes')}</h2><p class="text">${accessNotes}</p>`}
      <h2>${t('reporter')}</h2>
      <p><${Tel} phone=${r.reporter.phone} label=${`${t('call')} ${r.reporter.name}`} /></p>
      ${unitPhones.length > 0 && html`<h2>${t('unitPhones')}</h2><ul class="phones">${unitPhones.map((p) => html`<li><${Tel} phone=${p} /></li>`)}</ul>`}
      ${filedNotes && html`<h2>${t('notes')}</h2><p class="text filed-notes">${filedNotes}</p>`}
      ${r.verified &&
      html`<h2>${t('verifiedFigures')}</h2><div class="verified-figures"><${Estimate} estimate=${r.verified.figures} /></div>
        <p class="meta">${t('verifiedHow')(name(r.verified.verifier), r.verified.method, localTime(r.verified.at), r.verified.households?.length ?? 0)}</p>`}
      ${Object.keys(r.estimate ?? {}).length > 0 && html`<h2>${r.verified ? t('estimateAtFirst') : t('estimateShort')}</h2><div class="estimate"><${Estimate} estimate=${r.estimate} /></div>`}
      <p class="meta">${t('observed')} ${localTime(r.observedAt)}${r.clockSuspect ? ' ⚠' : ''} · ${t('reportedAt')} ${localTime(r.reportedAt)}</p>
      ${r.clockSuspect && html`<${Notice} kind="warn">${t('clockSuspect')}<//>`}
      ${r.related?.length > 0 && html`<h2>${t('related')}</h2><ul>${r.related.map((x) => html`<li><a href=${`#/duty/${x}`}>${t('relatedReport')} ${x.slice(0, 8)}</a></li>`)}</ul>`}
      ${updates.length > 0 &&
      html`<h2>${t('updates')}</h2><ol class="updates">${updates.map((e) => html`<li><span class="meta">${localTime(e.metadata.at)} · ${sender(e.metadata.actor?.id)}</span> ${e.data.notes ?? ''} ${e.data.directions ?? ''} <${Estimate} estimate=${e.data.estimate} /></li>`)}</ol>`}`}
  </section>`;
}

/** The report as its latest alert frame has it, for reading without a network. */
function fromFrame(frame) {
  return {
    hazard: frame.hazard,
    hazardLabel: frame.hazardLabel,
    unit: frame.unit,
    status: frame.state ?? (frame.acknowledgedBy?.length ? 'acknowledged' : 'filed'),
    escalationStep: frame.step ?? null,
    acknowledgements: frame.acknowledgedBy ?? [],
    dispatched: [],
    arrived: [],
    location: frame.location,
    locationSuspect: frame.locationSuspect ?? null,
    pointPassedOver: frame.pointPassedOver ?? null,
    directions: frame.directions,
    reporter: frame.reporter ?? {},
    notes: frame.notes,
    estimate: frame.estimate,
    observedAt: frame.observedAt,
    reportedAt: frame.reportedAt,
    clockSuspect: frame.clockSuspect === true,
    related: (frame.related ?? []).map((x) => x.reportId),
  };
}

/**
 * Reads and keeps each board report not kept yet (and its village), one at a time, so one picked
 * off the board opens with no signal too. At most a few per look: the board is read every 20 s.
 */
async function keepBoardReports(session, items) {
  const units = new Map();
  let fetched = 0;
  for (const item of items) {
    if (fetched >= 5) return;
    if (keptReport(session.sub, item.reportId)?.unit) continue;
    fetched += 1;
    try {
      const { body } = await api(`/reports/${item.reportId}`);
      if (!units.has(body.village)) units.set(body.village, (await api(`/units/${body.village}`).catch(() => ({ body: null }))).body);
      keepReport(session.sub, body, units.get(body.village));
    } catch {
      return;
    }
  }
}

function OpenBoard({ session, version }) {
  const [board, setBoard] = useState(null);
  const [problem, setProblem] = useState(null);
  const [keptAt, setKeptAt] = useState(null);
  const shown = useRef(false);
  useEffect(() => {
    let stop = false;
    const load = () =>
      api(`/alerts/open?unit=${session.scope}&limit=50`).then(
        (r) => {
          if (stop) return;
          shown.current = true;
          setBoard(r.body.items);
          setProblem(null);
          setKeptAt(null);
          keepBoard(session.sub, r.body.items);
          keepBoardReports(session, r.body.items);
        },
        (e) => {
          if (stop) return;
          setProblem(e.message);
          // No signal: the board as last read, said to be so.
          const kept = keptBoard(session.sub);
          if (kept && !shown.current) {
            shown.current = true;
            setBoard(kept.items);
            setKeptAt(kept.at);
          }
        },
      );
    load();
    // Someone else's acknowledgement reaches this officer only if they were alerted too: look again often.
    const id = setInterval(load, 20_000);
    return () => {
      stop = true;
      clearInterval(id);
    };
  }, [session.scope, version]);
  return html`<section class="card" aria-labelledby="board-h">
    <h2 id="board-h">${t('openBoard')}</h2>
    ${problem && html`<${Notice} kind="warn">${t('loadFailed')}${problem}<//>`}
    ${board === null && !problem && html`<p class="meta" role="status">${t('loading')}</p>`}
    ${keptAt && html`<p class="meta kept">${t('boardKept')(localTime(new Date(keptAt).toISOString()))}</p>`}
    ${board && board.length === 0 && html`<p>${t('noAlerts')}</p>`}
    ${board &&
    html`<ul class="board">${board.map(
      (a) => html`<li data-report=${a.reportId} data-acknowledged=${a.acknowledged ? 'yes' : 'no'}><a href=${`#/duty/${a.reportId}`}>${hazardName(a.hazard, a.hazardLabel)} · ${a.village.path.join(' ')}</a>
        <span class="meta">${ago(a.ageSeconds * 1000)} · ${a.acknowledged ? t('nobodyGoing')(a.acknowledged.name ?? a.acknowledged.by) : t('stepN')(a.tier ?? a.step)} · ${a.reporter.name}</span>${a.intact === false ? html` <span class="damaged">⚠ ${t('rowDamaged')}</span>` : ''}</li>`,
    )}</ul>`}
  </section>`;
}

export function DutyPage({ session, openId }) {
  const line = useLive(session);
  const [now, setNow] = useState(Date.now());
  const [perm, setPerm] = useState(() => ('Notification' in window ? Notification.permission : 'unsupported'));
  const ready = useRef(false);
  useEffect(() => {
    const id = setInterval(() => setNow(Date.now()), 30_000);
    return () => clearInterval(id);
  }, []);
  useEffect(() => {
    // The moment the page can be used: the benchmark in the browser test reads this mark.
    if (!ready.current) {
      ready.current = true;
      performance.mark('zhitong-interactive');
      document.body.dataset.ready = 'duty';
    }
  }, []);
  const alerts = line.list();
  if (openId) return html`<${Detail} id=${openId} session=${session} frame=${line.alerts.get(openId)} line=${line} />`;
  const acks = alerts.reduce((n, a) => n + (a.acknowledgedBy?.length ?? 0), 0);
  return html`<section class="card" aria-labelledby="live-h">
      <h1 id="live-h">${t('liveAlerts')}</h1>
      <p class=${`conn ${line.status}`} role="status">${line.status === 'live' ? `● ${t('connected')}` : line.status === 'connecting' ? t('connecting') : t('reconnecting')}</p>
      ${perm === 'default' && isSecureContext &&
      html`<button class="big" onClick=${() => Notification.requestPermission().then(setPerm)}>${t('enableNotifications')}</button>`}
      ${alerts.length === 0 ? html`<p>${t('liveEmpty')}</p>` : html`<ul class="alerts">${alerts.map((a) => html`<${AlertCard} key=${a.reportId} alert=${a} now=${now} />`)}</ul>`}
    </section>
    <${OpenBoard} session=${session} version=${`${alerts.length}/${acks}`} />`;
}
