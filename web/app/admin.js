// An admin's page (SPEC §2: admins issue tokens): a token for one person, handed over as a sign-in
// link or its QR code, scanned by the person's own phone. The token is in the link's fragment,
// which the phone's browser never sends to a server.
import { useState } from 'preact/hooks';
import { api } from './api.js';
import { t } from './i18n.js';
import { html, Notice } from './ui.js';

const ROLES = ['contact', 'officer', 'head', 'auditor'];

export function AdminPage() {
  const [form, setForm] = useState({ sub: '', role: 'contact', scope: '', name: '', phone: '' });
  const [issued, setIssued] = useState(null);
  const [problem, setProblem] = useState(null);
  const [busy, setBusy] = useState(false);
  const set = (k) => (e) => setForm({ ...form, [k]: e.target.value });
  const submit = async (e) => {
    e.preventDefault();
    setBusy(true);
    setProblem(null);
    setIssued(null);
    try {
      const request = { sub: form.sub.trim(), role: form.role, scope: form.scope.trim(), ...(form.name.trim() ? { name: form.name.trim() } : {}), ...(form.phone.trim() ? { phone: form.phone.trim() } : {}) };
      const { body } = await api('/tokens', { method: 'POST', body: { tokens: [request] } });
      const token = body.tokens[0];
      const link = `${location.origin}/#t=${token.token}`;
      // The QR library is loaded only here: no other page pays for it.
      const { generate } = await import('lean-qr');
      setIssued({ ...token, link, qr: generate(link).toDataURL({ scale: 5 }) });
    } catch (error) {
      setProblem(error.message);
    } finally {
      setBusy(false);
    }
  };
  return html`<section class="card">
    <h1>${t('issueTitle')}</h1>
    ${problem && html`<${Notice} kind="error">${problem}<//>`}
    <form class="issue" onSubmit=${submit}>
      <label for="sub">${t('subLabel')}</label>
      <input id="sub" value=${form.sub} onInput=${set('sub')} required autocapitalize="off" />
      <label for="role">${t('roleLabel')}</label>
      <select id="role" value=${form.role} onChange=${set('role')}>${ROLES.map((r) => html`<option value=${r}>${t('roleName')[r]}</option>`)}</select>
      <label for="scope">${t('scopeLabel')}</label>
      <input id="scope" value=${form.scope} onInput=${set('scope')} inputmode="numeric" required />
      <label for="pname">${t('personName')}</label>
      <input id="pname" value=${form.name} onInput=${set('name')} />
      <label for="pphone">${t('mobileLabel')}</label>
      <input id="pphone" type="tel" value=${form.phone} onInput=${set('phone')} />
      <button class="primary big" type="submit" disabled=${busy}>${t('issue')}</button>
    </form>
    ${issued &&
    html`<div class="issued">
      <${Notice} kind="ok">${t('issuedFor')} ${issued.sub}${t(':')}${t('handOver')}<//>
      <img class="qr" src=${issued.qr} alt=${t('qrAlt')} width="250" height="250" />
      <label for="link">${t('linkLabel')}</label>
      <textarea id="link" readonly rows="3" value=${issued.link}></textarea>
      <button class="big" type="button" onClick=${() => navigator.clipboard?.writeText(issued.link)}>${t('copy')}</button>
    </div>`}
    <p class="meta">${t('adminHelp')}</p>
  </section>`;
}
