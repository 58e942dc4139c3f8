// The pages of zhitong, served by the server itself at `/` (issue 15): sign in with a token, then
// the page for the role — a village contact's report form, a duty officer's live alerts, the
// county's figures and deadlines. Routing is by the URL fragment, which never leaves the phone.
import { render } from 'preact';
import { useEffect, useState } from 'preact/hooks';
import { api, brokenLog, cachedSession, forget, keepSession, keptCallInstead, saveToken, serverReached, token } from './api.js';
import * as outbox from './outbox.js';
import { lang, localTime, setLang, t } from './i18n.js';
import { html, Notice } from './ui.js';
import { CallInstead, ContactPage, SentList } from './contact.js';
import { DutyPage } from './duty.js';
import { CountyPage } from './county.js';
import { AdminPage } from './admin.js';

// A sign-in link carries the token in the fragment (`#t=…`): browsers never send a fragment to a
// server or put it in a log. It is moved to the device at once and wiped from the address bar and
// the history, so a screenshot or a shared tab does not carry it.
{
  const m = /^#t=([^&]+)/.exec(location.hash);
  if (m) {
    saveToken(decodeURIComponent(m[1]));
    localStorage.removeItem('zhitong.session');
    history.replaceState(null, '', location.pathname + location.search);
  }
}

// The token is checked as the page starts, not after its first paint: on a cheap phone the first
// paint is a third of a second or more, and the duty page waits for this answer (bench/pages).
let firstCheck = token() ? api('/me') : null;
// Handled where App reads it; until then a failure must not count as an unhandled rejection.
firstCheck?.catch(() => {});

if ('serviceWorker' in navigator && isSecureContext) {
  // The page opens without a network (the queue of unsent reports lives on the phone).
  navigator.serviceWorker.register('/sw.js').catch(() => {});
}

const TABS = {
  contact: ['report', 'sent'],
  officer: ['duty', 'report', 'county'],
  head: ['duty', 'county', 'report'],
  auditor: ['county'],
  admin: ['admin'],
};
const TAB_LABEL = { report: 'tabReport', sent: 'tabSent', duty: 'tabDuty', county: 'tabCounty', admin: 'issueTitle' };

function route() {
  const [tab, id] = location.hash.replace(/^#\/?/, '').split('/');
  return { tab: tab || null, id: id || null };
}

function SignIn({ problem, onDone }) {
  const [value, setValue] = useState('');
  const [empty, setEmpty] = useState(false);
  const submit = (e) => {
    e.preventDefault();
    // What people paste: the token, "Bearer …", or the whole sign-in link they were sent.
    const text = value.trim();
    const fromLink = /#t=([^&\s]+)/.exec(text);
    const v = fromLink ? decodeURIComponent(fromLink[1]) : text.replace(/^Bearer\s+/i, '').replace(/\s+/g, '');
    if (!v) return setEmpty(true);
    setEmpty(false);
    saveToken(v);
    onDone();
  };
  // Reports still on the phone are not lost with the token: said, with whom to ring meanwhile.
  const unsent = outbox.items().filter((x) => x.status === 'pending').length;
  const call = keptCallInstead();
  return html`<section class="card signin">
    <h1>${t('appName')} · ${t('signInTitle')}</h1>
    <p>${t('signInHelp')}</p>
    ${problem && html`<${Notice} kind="error">${problem}<//>`}
    ${unsent > 0 && html`<${Notice} kind="warn">${t('unsentOnPhone')(unsent)}<//>`}
    ${unsent > 0 && call && html`<${CallInstead} session=${{ callInstead: call }} />`}
    ${empty && html`<${Notice} kind="error">${t('paste')}<//>`}
    <form onSubmit=${submit}>
      <label for="token">${t('tokenLabel')}</label>
      <textarea id="token" rows="4" autocomplete="off" autocapitalize="off" spellcheck="false" value=${value} onInput=${(e) => setValue(e.target.value)}></textarea>
      <button class="primary big" type="submit">${t('signIn')}</button>
    </form>
  </section>`;
}

function App() {
  const [session, setSession] = useState(() => (token() ? cachedSession() : null));
  // A token and no session kept on this phone yet (a sign-in link just opened): "signing in", not
  // the sign-in form flashed for the moment the check takes.
  const [checking, setChecking] = useState(() => Boolean(token()) && !cachedSession());
  const [problem, setProblem] = useState(null);
  const [where, setWhere] = useState(route());
  const [, setLangState] = useState(lang);
  const [online, setOnline] = useState(serverReached());
  const [log, setLog] = useState(brokenLog());

  useEffect(() => {
    const onHash = () => setWhere(route());
    const reach = () => setOnline(serverReached());
    addEventListener('hashchange', onHash);
    const onLog = () => setLog(brokenLog());
    addEventListener('zhitong-reach', reach);
    addEventListener('zhitong-log', onLog);
    return () => {
      removeEventListener('hashchange', onHash);
      removeEventListener('zhitong-reach', reach);
      removeEventListener('zhitong-log', onLog);
    };
  }, []);

  const loadSession = async () => {
    const started = firstCheck;
    firstCheck = null;
    if (!token()) {
      setChecking(false);
      return setSession(null);
    }
    try {
      const { body } = await (started ?? api('/me'));
      keepSession(body);
      setSession(body);
      setProblem(null);
    } catch (error) {
      if (error.status === 401) {
        forget();
        setSession(null);
        setProblem(error.code === 'revoked' ? t('revoked') : t('badToken'));
      } else if (!cachedSession()) {
        // No network and never signed in here: nothing to show but why.
        setProblem(error.status ? error.message : t('offlineNoSession'));
      }
    } finally {
      setChecking(false);
    }
  };
  useEffect(() => {
    loadSession();
  }, []);

  const signOut = () => {
    if (!confirm(t('signOutConfirm'))) return;
    forget();
    setSession(null);
    location.hash = '';
  };
  const toggleLang = () => {
    setLang(lang === 'en' ? 'zh' : 'en');
    setLangState(lang);
    if (token()) loadSession();
  };

  const header = html`<header class="bar">
    <strong class="brand">${t('appName')}</strong>
    <span class=${`net ${online ? 'on' : 'off'}`}>${online ? t('online') : t('offline')}</span>
    <span class="who">${session ? `${session.name ?? session.sub} · ${session.unit?.name ?? session.scope}` : ''}</span>
    <button class="link" onClick=${toggleLang} lang=${lang === 'en' ? 'zh-CN' : 'en'}>${t('language')}</button>
    ${session && html`<button class="link" onClick=${signOut}>${t('signOut')}</button>`}
  </header>`;

  if (!session && checking) return html`${header}<div class="page"><p class="boot" role="status">${t('signingIn')}</p></div>`;
  if (!session) {
    return html`${header}<div class="page"><${SignIn} problem=${problem} onDone=${loadSession} /></div>`;
  }
  const tabs = TABS[session.role] ?? [];
  const tab = tabs.includes(where.tab) ? where.tab : tabs[0];
  const secure = isSecureContext ? null : html`<${Notice} kind="warn">${t('insecure')}<//>`;
  // Not for a village contact: it tells who gives relief and sends figures what to do first.
  const tampered = log && session.role !== 'contact' && html`<div class="log-broken"><${Notice} kind="error">${t('logBroken')(log.problems, localTime(log.checkedAt))}<//></div>`;
  let page;
  switch (tab) {
    case 'report':
      page = html`<${ContactPage} session=${session} />`;
      break;
    case 'sent':
      page = html`<${SentList} session=${session} />`;
      break;
    case 'duty':
      page = html`<${DutyPage} session=${session} openId=${where.id} />`;
      break;
    case 'county':
      page = html`<${CountyPage} session=${session} />`;
      break;
    case 'admin':
      page = html`<${AdminPage} />`;
      break;
    default:
      page = html`<section class="card"><h1>${t('appName')}</h1><p>${t('adminHelp')}</p></section>`;
  }
  return html`${header}
    ${tabs.length > 1 && html`<nav class="tabs" aria-label=${t('appName')}>${tabs.map((x) => html`<a href=${`#/${x}`} class=${x === tab ? 'current' : ''} aria-current=${x === tab ? 'page' : undefined}>${t(TAB_LABEL[x])}</a>`)}</nav>`}
    ${tampered}
    ${secure}
    <div class="page">${page}</div>`;
}

const root = document.getElementById('app');
root.textContent = '';
render(html`<${App} />`, root);
dispatchEvent(new Event('zhitong:started'));
