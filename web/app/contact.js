// A village contact's report form and the list of what they sent (issue 15). Built for a 360 px
// screen, a thumb and bad signal: the report is kept on the phone first and sent when it can be.
import { useEffect, useState } from 'preact/hooks';
import { api, uuid } from './api.js';
import { hazardName, localTime, t } from './i18n.js';
import * as outbox from './outbox.js';
import { callbackPhoneOk, countOf, textOf } from './rules.js';
import { html, Notice, Tel } from './ui.js';

const ESTIMATE = ['affectedPeople', 'dead', 'missing', 'injured', 'roomsCollapsed', 'roomsSeverelyDamaged'];
/** After this long unsent, the contact is told whom to ring instead. */
const CALL_AFTER_MS = 3 * 60_000;
const REPORTER = 'zhitong.reporter';
/** The longest notes or directions the server takes (LongText, domain/vocabulary.ts). */
const LONG_TEXT_MAX = 4000;

/** Beijing time with its offset, as the server reads it (SPEC §4: observedAt), `minutesAgo` before now. */
function observedAt(minutesAgo) {
  const d = new Date(Date.now() - minutesAgo * 60_000 + 8 * 3600_000);
  return `${d.toISOString().slice(0, 19)}+08:00`;
}

function useOutbox() {
  const [items, setItems] = useState(outbox.items());
  useEffect(() => {
    const off = outbox.subscribe(setItems);
    // What changed between the first render and this subscription (another tab) is read now.
    setItems(outbox.items());
    outbox.flush();
    return off;
  }, []);
  return items;
}

function useTick(ms) {
  const [now, setNow] = useState(Date.now());
  useEffect(() => {
    const id = setInterval(() => setNow(Date.now()), ms);
    return () => clearInterval(id);
  }, [ms]);
  return now;
}

export function CallInstead({ session }) {
  const people = (session.callInstead ?? []).flatMap((x) => x.people);
  return html`<div class="callinstead" role="alert">
    <p><strong>${t('callInstead')}</strong></p>
    ${people.length === 0 ? html`<p>${t('noPhones')}</p>` : html`<ul class="phones">${people.map((p) => html`<li><${Tel} phone=${p.phone} label=${p.name} /></li>`)}</ul>`}
  </div>`;
}

/** The reporter's name and phone as last typed on this phone: a contact types them once. */
function rememberedReporter() {
  try {
    return JSON.parse(localStorage.getItem(REPORTER) ?? '{}');
  } catch {
    return {};
  }
}

/** When it happened, as a person can say it without a clock: minutes before sending. */
const WHEN = [0, 30, 60, 120, 360];

export function ContactPage({ session }) {
  const blank = () => {
    const saved = rememberedReporter();
    return {
    village: session.villages.length === 1 ? session.villages[0].code : '',
    group: '',
    hazard: '',
    notes: '',
    directions: '',
    name: saved.name ?? session.name ?? '',
    phone: saved.phone ?? session.phone ?? '',
    estimate: {},
    location: null,
    minutesAgo: 0,
    };
  };
  const [form, setForm] = useState(blank);
  const [errors, setErrors] = useState([]);
  const [locating, setLocating] = useState(null);
  const [justQueued, setJustQueued] = useState(null);
  const items = useOutbox();
  const now = useTick(15_000);
  const set = (field) => (e) => setForm({ ...form, [field]: e.target.value });
  const setEstimate = (field) => (e) => setForm({ ...form, estimate: { ...form.estimate, [field]: e.target.value } });

  const locate = () => {
    if (!navigator.geolocation) return setLocating('failed');
    setLocating('busy');
    navigator.geolocation.getCurrentPosition(
      (p) => {
        setForm((f) => ({ ...f, location: { lat: Math.round(p.coords.latitude * 1e6) / 1e6, lon: Math.round(p.coords.longitude * 1e6) / 1e6 } }));
        setLocating('done');
      },
      () => setLocating('failed'),
      { enableHighAccuracy: true, timeout: 20_000, maximumAge: 60_000 },
    );
  };

  const submit = (e) => {
    e.preventDefault();
    const problems = [];
    if (!form.village) problems.push(t('village'));
    if (!form.hazard) problems.push(t('hazard'));
    // As the server will read them (textOf): a name of invisible characters is no name.
    const text = { name: textOf(form.name), group: textOf(form.group), notes: textOf(form.notes), directions: textOf(form.directions) };
    if (!text.name) problems.push(t('reporterName'));
    // A phone's keyboard in full-width mode types ０-９: digits all the same (the server reads them so, SPEC §4).
    // Checked as the server checks it, so a report queued offline is one the server will take.
    const phone = form.phone.normalize('NFKC').trim();
    if (!callbackPhoneOk(phone)) problems.push(`${t('reporterPhone')}${t('phoneRule')}`);
    // Said, not cut: a pasted text longer than the server takes is named with its length.
    for (const k of ['notes', 'directions']) {
      const n = text[k].length;
      if (n > LONG_TEXT_MAX) problems.push(`${t(k === 'notes' ? 'whatHappened' : 'directions')}${t('tooLong')(n, LONG_TEXT_MAX)}`);
    }
    const estimate = {};
    for (const k of ESTIMATE) {
      const n = countOf(form.estimate[k]);
      if (n === undefined) continue;
      if (n === null) problems.push(`${t(k)}${t('countRule')}`);
      else estimate[k] = n;
    }
    setErrors(problems);
    if (problems.length) return;
    localStorage.setItem(REPORTER, JSON.stringify({ name: text.name, phone }));
    const body = {
      reportId: uuid(),
      village: form.village,
      hazard: form.hazard,
      observedAt: observedAt(Number(form.minutesAgo) || 0),
      reporter: { name: text.name, phone },
      ...(text.group ? { group: text.group } : {}),
      ...(text.notes ? { notes: text.notes } : {}),
      ...(text.directions ? { directions: text.directions } : {}),
      ...(form.location ? { location: form.location } : {}),
      ...(Object.keys(estimate).length ? { estimate } : {}),
    };
    const village = session.villages.find((v) => v.code === form.village);
    const hazard = session.hazards.find((h) => h.code === form.hazard);
    outbox.enqueue(body, { village: village?.path.join(' ') ?? form.village, hazard: hazard?.label ?? form.hazard, hazardCode: form.hazard });
    setJustQueued(body.reportId);
    setForm(blank());
    setLocating(null);
    // The outcome is drawn at the top of the form: bring it into view, as the thumb was at the button.
    requestAnimationFrame(() => document.getElementById('outcome')?.scrollIntoView({ block: 'center' }));
  };

  const latest = justQueued && items.find((x) => x.reportId === justQueued);
  const stuck = needsCall(items, now);
  // A refused report back into the form, to be put right and sent again (as a new report: the
  // server never took the old one).
  const edit = (item) => {
    const b = item.body;
    setForm({
      ...blank(),
      village: b.village,
      hazard: b.hazard,
      group: b.group ?? '',
      notes: b.notes ?? '',
      directions: b.directions ?? '',
      name: b.reporter?.name ?? '',
      phone: b.reporter?.phone ?? '',
      estimate: Object.fromEntries(Object.entries(b.estimate ?? {}).map(([k, v]) => [k, String(v)])),
      location: b.location ?? null,
    });
    outbox.remove(item.reportId);
    setJustQueued(null);
    requestAnimationFrame(() => document.querySelector('form.report')?.scrollIntoView({ block: 'start' }));
  };

  return html`<section class="card">
    <h1>${t('tabReport')}</h1>
    ${stuck && html`<${CallInstead} session=${session} />`}
    <div id="outcome" tabindex="-1">${latest && html`<${Outcome} item=${latest} />`}</div>
    ${errors.length > 0 && html`<${Notice} kind="error">${t('formError')}${errors.join(t('sep'))}<//>`}
    <form class="report" onSubmit=${submit} novalidate>
      <label for="village">${t('village')} <em>${t('required')}</em></label>
      <select id="village" value=${form.village} onChange=${set('village')} required>
        ${session.villages.length !== 1 && html`<option value="">—</option>`}
        ${session.villages.map((v) => html`<option value=${v.code}>${v.path.slice(1).join(' ') || v.name}</option>`)}
      </select>
      <label for="group">${t('group')}</label>
      <input id="group" value=${form.group} onInput=${set('group')} maxlength="100" />
      <fieldset class="hazards">
        <legend>${t('hazard')} <em>${t('required')}</em></legend>
        ${session.hazards.map(
          (h) => html`<label class=${`chip ${form.hazard === h.code ? 'on' : ''}`}><input type="radio" name="hazard" value=${h.code} checked=${form.hazard === h.code} onChange=${set('hazard')} />${hazardName(h.code, h.label)}</label>`,
        )}
      </fieldset>
      <label for="when">${t('when')}</label>
      <select id="when" value=${form.minutesAgo} onChange=${set('minutesAgo')}>
        ${WHEN.map((m) => html`<option value=${m}>${t('whenAgo')(m)}</option>`)}
      </select>
      <label for="notes">${t('whatHappened')}</label>
      <textarea id="notes" rows="3" placeholder=${t('whatHappenedHint')} value=${form.notes} onInput=${set('notes')}></textarea>
      <label for="directions">${t('directions')}</label>
      <textarea id="directions" rows="2" value=${form.directions} onInput=${set('directions')}></textarea>
      <fieldset class="estimate">
        <legend>${t('estimate')}</legend>
        ${ESTIMATE.map((k) => html`<label class="num"><span>${t(k)}</span><input inputmode="numeric" pattern="[0-9]*" name=${k} value=${form.estimate[k] ?? ''} onInput=${setEstimate(k)} /></label>`)}
      </fieldset>
      ${isSecureContext && navigator.geolocation
        ? html`<button type="button" class="big" onClick=${locate} disabled=${locating === 'busy'}>${locating === 'busy' ? t('locating') : locating === 'done' ? `${t('locationAdded')} ${form.location.lat}, ${form.location.lon}` : t('useLocation')}</button>
            ${locating === 'failed' && html`<${Notice} kind="warn">${t('locationFailed')}<//>`}`
        : null}
      <label for="rname">${t('reporterName')} <em>${t('required')}</em></label>
      <input id="rname" value=${form.name} onInput=${set('name')} autocomplete="name" maxlength="100" />
      <label for="rphone">${t('reporterPhone')} <em>${t('required')}</em></label>
      <input id="rphone" type="tel" value=${form.phone} onInput=${set('phone')} autocomplete="tel" maxlength="40" />
      <button class="primary big" type="submit">${t('submit')}</button>
    </form>
  </section>
  <${SentList} session=${session} embedded=${true} onEdit=${edit} />`;
}

/**
 * Whom to ring instead: a report unsent for 3 minutes, one the server refused, or one that waits on
 * a token the server no longer takes — none of them will reach the township by waiting.
 */
const needsCall = (items, now) => items.some((x) => (x.status === 'pending' && (now - Date.parse(x.queuedAt) > CALL_AFTER_MS || x.httpStatus === 401)) || (x.status === 'refused' && now - Date.parse(x.queuedAt) < 6 * 3600_000));

/** The server's refusal with its field paths in the form's own words (`body.reporter.phone` → 报告人电话). */
function refusal(item) {
  const labels = { 'body.reporter.phone': 'reporterPhone', 'body.reporter.name': 'reporterName', 'body.notes': 'whatHappened', 'body.directions': 'directions', 'body.village': 'village', 'body.hazard': 'hazard', 'body.group': 'group' };
  let text = item.error ?? '';
  for (const path of Object.keys(labels).sort((a, b) => b.length - a.length)) text = text.replaceAll(path, t(labels[path]));
  return text.replace(/body\.estimate\.(\w+)/g, (_, k) => t(k)).replace(/body\.(\w+)/g, '$1');
}

function Outcome({ item }) {
  if (item.status === 'delivered') return html`<${Notice} kind="ok"><strong>${t('delivered')}</strong> · ${item.label?.hazard} · ${item.label?.village}<//>`;
  if (item.status === 'refused') return html`<${Notice} kind="error">${t('refused')}${t(':')}${refusal(item)}<//>`;
  return html`<${Notice} kind="warn">${t('queuedOffline')}<//>`;
}

/** What the server says of the reports filed in this scope (status, who answered), every minute. */
function useServerReports(session) {
  const [rows, setRows] = useState(null);
  useEffect(() => {
    let stop = false;
    const load = () =>
      api(`/reports?unit=${session.scope}&limit=50`).then(
        (r) => !stop && setRows(r.body.items),
        () => {},
      );
    load();
    const id = setInterval(load, 60_000);
    const off = outbox.subscribe(load);
    return () => {
      stop = true;
      clearInterval(id);
      off();
    };
  }, [session.scope]);
  return rows;
}

export function SentList({ session, embedded, onEdit }) {
  const items = useOutbox();
  const server = useServerReports(session);
  const now = useTick(15_000);
  const stuck = needsCall(items, now);
  const byId = new Map((server ?? []).map((r) => [r.reportId, r]));
  // Reports this contact filed from another phone (or before this one was reset) are theirs too.
  const local = new Set(items.map((x) => x.reportId));
  const elsewhere = (server ?? [])
    .filter((r) => r.reporter?.id === session.sub && !local.has(r.reportId))
    .map((r) => ({ reportId: r.reportId, status: 'delivered', queuedAt: r.reportedAt, label: { hazardCode: r.hazard, hazard: r.hazardLabel, village: r.village.path.join(' ') } }));
  const all = [...items, ...elsewhere].sort((a, b) => Date.parse(b.queuedAt) - Date.parse(a.queuedAt));
  return html`<section class="card sent" aria-labelledby="sent-h">
    <h2 id="sent-h">${t('sentList')}</h2>
    ${!embedded && stuck && html`<${CallInstead} session=${session} />`}
    ${all.length === 0 ? html`<p>${t('nothingSent')}</p>` : null}
    <ul class="outbox">
      ${all.map((x) => {
        const known = byId.get(x.reportId);
        return html`<li class=${`item ${x.status}`} data-report=${x.reportId} data-server-status=${known?.status}>
          <div><strong>${hazardName(x.label?.hazardCode, x.label?.hazard)}</strong> · ${x.label?.village}</div>
          <div class="meta">${t('reportedAt')} ${localTime(x.queuedAt)}</div>
          <div class="state">${
            x.status === 'delivered'
              ? html`✓ ${t('delivered')}${known ? html`<span class="answer"> · ${(known.status === 'dismissed' && t('contactDismissed')[known.dismissal?.reason]) || (t('contactStatus')[known.status] ?? known.status)}</span>` : ''}`
              : x.status === 'refused'
                ? html`${t('refused')}${t(':')}${refusal(x)}`
                : html`${x.httpStatus === 401 ? t('tokenDeadQueued') : t('pending')}${now - Date.parse(x.queuedAt) > 60_000 ? ` (${t('unsentFor')} ${Math.round((now - Date.parse(x.queuedAt)) / 60_000)} ${t('minutes')})` : ''}`
          }</div>
          ${(x.clockSuspect || known?.clockSuspect) && html`<${Notice} kind="warn">${t('phoneClockWrong')}<//>`}
          ${x.status === 'pending' && html`<button type="button" onClick=${() => outbox.retryNow()}>${t('retryNow')}</button>`}
          ${x.status === 'refused' && x.body && onEdit && html`<button type="button" class="primary" onClick=${() => onEdit(x)}>${t('fixAndResend')}</button>`}
        </li>`;
      })}
    </ul>
  </section>`;
}
