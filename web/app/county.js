// County staff's page (issue 15): the tallies for their scope (reported beside verified, by child
// unit, by hazard), incidents with their statutory clocks counting down — overdue ones in red —
// the households verified as damaged and not yet helped, and each village's public notice to print.
import { useEffect, useState } from 'preact/hooks';
import { api, NetworkError, token } from './api.js';
import { hazardName, lang, localTime, t } from './i18n.js';
import { html, Notice } from './ui.js';

// The gravest first: on a 360 px screen the first columns are the ones seen without scrolling.
const FIGURES = ['dead', 'missing', 'injured', 'affectedPeople', 'roomsCollapsed', 'roomsSeverelyDamaged'];
/**
 * Every figure of the statistical form, in its order (services/http/forms.ts LOSS_COLUMNS): the
 * draft shows each one 报送 sends (found by a newcomer: three columns on the page, fourteen sent).
 */
const DRAFT_FIGURES = ['affectedPeople', 'dead', 'missing', 'injured', 'evacuated', 'needEmergencyAid', 'roomsCollapsed', 'roomsSeverelyDamaged', 'roomsModeratelyDamaged', 'cropAffectedHa', 'cropDamagedHa', 'cropFailedHa', 'livestockLost', 'directLossYuan'];
const CLOCK_LABEL = { initial: 'clockInitial', daily: 'clockDaily', final: 'clockFinal' };

function useApi(path, deps = []) {
  // `deps`: anything else whose change means asking again (a submission sent, a draft refused).
  const [state, setState] = useState({ body: null, problem: null });
  useEffect(() => {
    let stop = false;
    api(path).then(
      (r) => !stop && setState({ body: r.body, problem: null }),
      (e) => !stop && setState({ body: null, problem: e.message }),
    );
    return () => {
      stop = true;
    };
  }, [path, ...deps]);
  return state;
}

function remaining(ms) {
  const m = Math.round(Math.abs(ms) / 60_000);
  return t('duration')(Math.floor(m / 60), m % 60);
}

function Tallies({ session }) {
  const [hazard, setHazard] = useState('');
  const { body, problem } = useApi(`/tallies?unit=${session.scope}${hazard ? `&hazard=${hazard}` : ''}`, []);
  const rows = body ? [...body.children.map((c) => ({ ...c, total: false })), { unit: body.unit, reported: body.reported, verified: body.verified, reports: body.reports, total: true }] : [];
  return html`<section class="card" aria-labelledby="tallies-h">
    <h2 id="tallies-h">${t('tallies')}</h2>
    <label for="hazard-filter">${t('byHazard')}</label>
    <select id="hazard-filter" value=${hazard} onChange=${(e) => setHazard(e.target.value)}>
      <option value="">${t('allHazards')}</option>
      ${session.hazards.map((h) => html`<option value=${h.code}>${hazardName(h.code, h.label)}</option>`)}
    </select>
    ${problem && html`<${Notice} kind="error">${t('loadFailed')}${problem}<//>`}
    ${body &&
    html`<div class="scroll" tabindex="0" role="region" aria-labelledby="tallies-h"><table class="tally" data-unit=${body.unit.code}>
      <caption>${body.unit.name}</caption>
      <thead>
        <tr><th scope="col">${t('unit')}</th><th scope="col">${t('reports')}</th>${FIGURES.map((f) => html`<th scope="col">${t(f)}<br /><span class="meta">${t('reportedShort')} / ${t('verifiedShort')}</span></th>`)}</tr>
      </thead>
      <tbody>
        ${rows.map(
          (row) => html`<tr class=${row.total ? 'total' : ''} data-unit=${row.unit.code}>
            <th scope="row">${row.unit.name}</th><td class="num" data-figure="reports">${row.reports.total}</td>
            ${FIGURES.map((f) => html`<td class="num"><span data-figure=${`reported.${f}`}>${row.reported[f] ?? 0}</span> / <span data-figure=${`verified.${f}`} class="verified">${row.verified[f] ?? 0}</span></td>`)}
          </tr>`,
        )}
      </tbody>
    </table></div>`}
  </section>`;
}

const STAGE_LABEL = { initial: 'clockInitial', daily: 'clockDaily', final: 'clockFinal' };

/** A source as a person reads it: "3 核实 + 2 估计". */
const sourceText = (s) => (s ? [s.verified ? `${s.verified} ${t('verifiedShort')}` : '', s.estimated ? `${s.estimated} ${t('estimatedShort')}` : ''].filter(Boolean).join(' + ') : '');

/**
 * The submission owed next, as zhitong would compute it (issue 16): the figures by township with
 * where each came from, the figures that moved and need a word of explanation, and the button that
 * sends exactly what is shown (the position it was computed at goes with it).
 */
function Draft({ incident, session, onSent }) {
  const [version, setVersion] = useState(0);
  const { body: draft, problem } = useApi(`/incidents/${incident.incidentId}/draft`, [version]);
  const [explanation, setExplanation] = useState('');
  const [notes, setNotes] = useState('');
  const [outcome, setOutcome] = useState(null);
  const [busy, setBusy] = useState(false);
  const send = async () => {
    setBusy(true);
    setOutcome(null);
    try {
      const answer = await api(`/incidents/${incident.incidentId}/submissions`, {
        method: 'POST',
        body: { stage: draft.stage, fromDraft: true, position: draft.asOf, ...(explanation.trim() ? { explanation: explanation.trim() } : {}), ...(notes.trim() ? { notes: notes.trim() } : {}) },
      });
      // Sent while the log had failed its check: said, not a plain green "sent".
      const warnings = (answer.body?.warnings ?? []).map((w) => w.message);
      setOutcome(warnings.length ? { kind: 'warn', text: warnings.join(' ') } : { kind: 'ok', text: t('submittedOk') });
      onSent();
    } catch (error) {
      setOutcome({ kind: 'error', text: error.message });
      if (error.code === 'draft_changed') setVersion((v) => v + 1);
    } finally {
      setBusy(false);
    }
  };
  if (problem) return html`<${Notice} kind="error">${t('loadFailed')}${problem}<//>`;
  if (!draft) return html`<p>${t('loading')}</p>`;
  const canSend = session.role === 'officer' || session.role === 'head';
  // Each figure the submission would carry, and any other a township has, so nothing is sent unseen.
  const figures = DRAFT_FIGURES.filter((f) => draft.total.figures[f] !== undefined || draft.total.sources[f] || draft.townships.some((row) => row.figures[f] !== undefined));
  return html`<div class="draft" data-stage=${draft.stage}>
    <h3>${t('draftOf')} ${t(STAGE_LABEL[draft.stage])}</h3>
    <div class="scroll" tabindex="0" role="region" aria-label=${t('draftOf')}><table class="tally draft-table">
      <thead><tr><th scope="col">${t('unit')}</th>${figures.map((f) => html`<th scope="col">${t(`stat_${f}`)}</th>`)}</tr></thead>
      <tbody>
        ${[...draft.townships, { ...draft.total, total: true }].map(
          (row) => html`<tr class=${row.total ? 'total' : ''} data-unit=${row.unit.code}><th scope="row">${row.unit.name}</th>
            ${figures.map((f) => html`<td class="num" data-figure=${f}><span class="value">${row.figures[f] ?? 0}</span><br /><span class="meta">${sourceText(row.sources[f])}</span></td>`)}</tr>`,
        )}
      </tbody>
    </table></div>
    <p class="meta">${t('reportsCounted')}${t(':')}${draft.total.reports.verified} ${t('verifiedShort')}, ${draft.total.reports.estimated} ${t('estimatedShort')}</p>
    ${draft.unlinked?.length > 0 && !draft.submitted && html`<${Notice} kind="warn">${t('unlinkedReports')(draft.unlinked.length)}<//>`}
    ${(draft.warnings ?? []).filter((w) => w.code !== 'reports_not_linked').map((w) => html`<${Notice} kind="warn"><span data-check=${w.code}>${w.message}</span><//>`)}
    ${draft.moved.length > 0 &&
    html`<${Notice} kind="warn">${t('movedNeedExplanation')}${draft.moved.map((m) => `${t(m.indicator)} ${m.previous} → ${m.now}`).join(t('sep'))}<//>`}
    ${canSend &&
    html`<label for=${`exp-${incident.incidentId}`}>${t('explanation')}${draft.moved.length > 0 ? html` <em>${t('required')}</em>` : ''}</label>
      <textarea id=${`exp-${incident.incidentId}`} rows="2" value=${explanation} onInput=${(e) => setExplanation(e.target.value)}></textarea>
      <label for=${`notes-${incident.incidentId}`}>${t('accountNotes')}</label>
      <textarea id=${`notes-${incident.incidentId}`} rows="3" value=${notes} onInput=${(e) => setNotes(e.target.value)}></textarea>
      <button class="primary big" disabled=${busy} onClick=${send}>${t('sendUpward')} ${t(STAGE_LABEL[draft.stage])}</button>`}
    ${outcome && html`<${Notice} kind=${outcome.kind}>${outcome.text}<//>`}
    <div class="exports">
      ${['xlsx', 'csv', 'html'].map((format) => html`<button type="button" onClick=${() => downloadForms(incident, draft.stage, format)}>${t(`export_${format}`)}</button>`)}
    </div>
  </div>`;
}

/** The forms fetched with the token and handed to the phone as a file (or opened to print). */
async function downloadForms(incident, stage, format) {
  const win = format === 'html' ? window.open('', '_blank') : null;
  try {
    const res = await fetch(`/incidents/${incident.incidentId}/forms?stage=${stage}&format=${format}`, { headers: { authorization: `Bearer ${token()}`, 'accept-language': lang === 'en' ? 'en' : 'zh-CN' } }).catch(() => {
      throw new NetworkError(false);
    });
    if (!res.ok) throw new Error((await res.json().catch(() => ({}))).message ?? `HTTP ${res.status}`);
    const url = URL.createObjectURL(await res.blob());
    if (win) {
      win.location = url;
      return;
    }
    const a = document.createElement('a');
    a.href = url;
    a.download = `${incident.title}-${stage}.${format}`;
    a.click();
    setTimeout(() => URL.revokeObjectURL(url), 60_000);
  } catch (error) {
    win?.close();
    alert(`${t('loadFailed')}${error.message}`);
  }
}

function Incidents({ session, now }) {
  const [version, setVersion] = useState(0);
  const [open, setOpen] = useState(null);
  const { body, problem } = useApi(`/incidents?unit=${session.scope}&limit=50`, [version]);
  const items = body?.items.filter((i) => i.status !== 'closed') ?? [];
  return html`<section class="card" aria-labelledby="incidents-h">
    <h2 id="incidents-h">${t('incidents')}</h2>
    ${problem && html`<${Notice} kind="error">${t('loadFailed')}${problem}<//>`}
    ${body && items.length === 0 && html`<p>${t('noIncidents')}</p>`}
    <ul class="incidents">
      ${items.map(
        (i) => html`<li data-incident=${i.incidentId}>
          <strong>${i.title}</strong> · ${hazardName(i.hazard, i.hazardLabel)} · ${i.county.name}
          <div class="meta">${t('started')} ${localTime(i.startedAt)}</div>
          <ul class="clocks">
            ${i.clocks.map((c) => {
              const left = Date.parse(c.dueAt) - now;
              const state = c.satisfiedAt ? 'done' : c.overdue ? 'overdue' : 'running';
              return html`<li class=${`clock ${state}`} data-clock=${c.clock}>
                <span class="name">${t(CLOCK_LABEL[c.clock])}</span>
                ${state === 'done'
                  ? html` ${t('submitted')} ${localTime(c.satisfiedAt)}`
                  : state === 'overdue'
                    ? html` <strong>${t('overdue')}</strong> ${remaining(left)} · ${t('due')} ${localTime(c.dueAt)}`
                    : html` ${t('remaining')} ${remaining(left)} · ${t('due')} ${localTime(c.dueAt)}`}
              </li>`;
            })}
          </ul>
          ${session.role !== 'contact' &&
          (open === i.incidentId
            ? html`<${Draft} incident=${i} session=${session} onSent=${() => setVersion((v) => v + 1)} />`
            : html`<button class="big" onClick=${() => setOpen(i.incidentId)}>${t('showDraft')}</button>`)}
        </li>`,
      )}
    </ul>
  </section>`;
}

function Missed({ session }) {
  const { body, problem } = useApi(`/relief/missed?unit=${session.scope}&limit=100`);
  return html`<section class="card" aria-labelledby="missed-h">
    <h2 id="missed-h">${t('missed')}</h2>
    ${problem && html`<${Notice} kind="error">${t('loadFailed')}${problem}<//>`}
    ${body && body.items.length === 0 && html`<p>${t('noMissed')}</p>`}
    ${body &&
    body.items.length > 0 &&
    html`<ul class="missed">${body.items.map((h) => html`<li>${h.village.path.join(' ')} · ${t('household')} ${h.householdId} ${h.name} · ${t('damageLabel')[h.damage] ?? h.damage}${h.intact === false ? html` <span class="damaged">⚠ ${t('rowDamaged')}</span>` : ''}</li>`)}</ul>`}
  </section>`;
}

/** Opens the village's notice as its own page to print: fetched with the token, shown from memory. */
async function openNotice(code) {
  const win = window.open('', '_blank');
  try {
    const { body } = await api(`/notices/${code}`, { accept: 'text/html' });
    const url = URL.createObjectURL(new Blob([body], { type: 'text/html;charset=utf-8' }));
    if (win) win.location = url;
    else location.href = url;
  } catch (error) {
    win?.close();
    alert(`${t('loadFailed')}${error.message}`);
  }
}

function Notices({ session }) {
  const villages = session.villages;
  if (villages.length === 0) return null;
  return html`<section class="card" aria-labelledby="notices-h">
    <h2 id="notices-h">${t('notices')}</h2>
    <ul class="notices">${villages.slice(0, 100).map((v) => html`<li><button class="link" onClick=${() => openNotice(v.code)}>${v.path.slice(1).join(' ') || v.name}</button></li>`)}</ul>
  </section>`;
}

export function CountyPage({ session }) {
  const [now, setNow] = useState(Date.now());
  useEffect(() => {
    const id = setInterval(() => setNow(Date.now()), 30_000);
    return () => clearInterval(id);
  }, []);
  return html`<h1 class="visually-hidden">${t('tabCounty')}</h1>
    <${Incidents} session=${session} now=${now} />
    <${Tallies} session=${session} />
    ${session.role !== 'contact' && html`<${Missed} session=${session} />`}
    <${Notices} session=${session} />`;
}
