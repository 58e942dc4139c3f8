// County staff's page (issue 15): the tallies for their scope (reported beside verified, by child
// unit, by hazard), incidents with their statutory clocks counting down — overdue ones in red —
// the households verified as damaged and not yet helped, and each village's public notice to print.
import { useEffect, useState } from 'preact/hooks';
import { api } from './api.js';
import { hazardName, localTime, t } from './i18n.js';
import { html, Notice } from './ui.js';

// The gravest first: on a 360 px screen the first columns are the ones seen without scrolling.
const FIGURES = ['dead', 'missing', 'injured', 'affectedPeople', 'roomsCollapsed', 'roomsSeverelyDamaged'];
const CLOCK_LABEL = { initial: 'clockInitial', daily: 'clockDaily', final: 'clockFinal' };

function useApi(path, deps = []) {
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

function Incidents({ session, now }) {
  const { body, problem } = useApi(`/incidents?unit=${session.scope}&limit=50`);
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
    html`<ul class="missed">${body.items.map((h) => html`<li>${h.village.path.join(' ')} · ${t('household')} ${h.householdId} ${h.name} · ${t('damageLabel')[h.damage] ?? h.damage}</li>`)}</ul>`}
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
