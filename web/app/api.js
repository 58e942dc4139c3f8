// The token and the session kept on the device (SPEC §2: a bearer token; never in a URL sent to
// the server, except the WebSocket upgrade where browsers cannot set a header).
import { lang, t } from './i18n.js';

const TOKEN = 'zhitong.token';
const SESSION = 'zhitong.session';
const CALL = 'zhitong.callInstead';

export const token = () => localStorage.getItem(TOKEN);
export function saveToken(value) {
  localStorage.setItem(TOKEN, value);
}
/**
 * Forgets the token and what came with it; a queued report stays (it is the contact's, not the
 * token's), and so do the numbers to ring instead: a report stuck behind an expired token is
 * phoned in from the sign-in page (found by a newcomer).
 */
export function forget() {
  const people = cachedSession()?.callInstead;
  if (people) localStorage.setItem(CALL, JSON.stringify(people));
  localStorage.removeItem(TOKEN);
  localStorage.removeItem(SESSION);
}
/** The township's numbers to ring, as the last session had them (or null). */
export function keptCallInstead() {
  try {
    return JSON.parse(localStorage.getItem(CALL) ?? 'null');
  } catch {
    return null;
  }
}
export function cachedSession() {
  try {
    return JSON.parse(localStorage.getItem(SESSION) ?? 'null');
  } catch {
    return null;
  }
}
export const keepSession = (session) => localStorage.setItem(SESSION, JSON.stringify(session));

export class ApiError extends Error {
  constructor(status, body) {
    super(body?.message ?? `HTTP ${status}`);
    this.status = status;
    this.code = body?.error ?? 'http';
    this.body = body;
  }
}

/**
 * No answer: no network, a link that swallows bytes, or an answer that did not come in time. Its
 * message is in the reader's language — the browser's own ("Failed to fetch") is not.
 */
export class NetworkError extends Error {
  constructor(timedOut) {
    super(t(timedOut ? 'networkSlow' : 'networkDown'));
    this.timedOut = timedOut;
  }
}

/**
 * Whether zhitong answered lately: what the header's 在线/离线 says. `navigator.onLine` alone
 * stays true on a weak line, a stalled one or a captive portal, and the header said 在线 while
 * every request failed (found by a newcomer). An answer carrying the server's `x-request-id`, or
 * the live line up, counts as reached; no answer, a timeout, a closed live line, or the browser's
 * `offline`, as not. Listen for `zhitong-reach` on window.
 *
 * An answer only says "reached" for the time it was asked: one to a request sent before the line
 * was last found lost is old news. The browser hands over a fetch's answer and the live line's
 * close on separate channels, so an answer that came in just before the line was cut could be read
 * just after, and the header went back to 在线 on a cut line (found by CI). Such an answer asks
 * the server again at once instead, and that fresh answer decides.
 */
let reached = navigator.onLine !== false;
/** Counts the times the line was found lost: a request's mark (`reachMark()` when it was sent) older than this is stale. */
let losses = 0;
export const serverReached = () => reached;
/** Taken when a request or a live line is started; passed back to `noteReached` with its outcome. */
export const reachMark = () => losses;
/**
 * Notes what a request found: `value` true for an answer from zhitong, false for none. `mark` is
 * `reachMark()` from when it was sent; an answer sent before the last loss does not count.
 */
export function noteReached(value, mark = losses) {
  if (value && mark !== losses) return void probe();
  if (!value) losses++;
  if (value === reached) return;
  reached = value;
  dispatchEvent(new Event('zhitong-reach'));
  if (!reached) probeSoon();
}
addEventListener('offline', () => noteReached(false));
addEventListener('online', () => probe());

/** While not reached, the server is asked every PROBE_MS (GET /health, a few bytes) whether it answers again. */
const PROBE_MS = 15_000;
let probeTimer;
let probing = false;
function probeSoon() {
  clearTimeout(probeTimer);
  probeTimer = setTimeout(probe, PROBE_MS);
}
async function probe() {
  if (probing) return;
  probing = true;
  clearTimeout(probeTimer);
  const mark = reachMark();
  try {
    const res = await fetch('/health', { cache: 'no-store', signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS) });
    probing = false;
    noteReached(res.headers.has('x-request-id'), mark);
    noteLogIntegrity(res);
  } catch {
    probing = false;
    noteReached(false);
  }
  if (!reached) probeSoon();
}

/**
 * What the server's last verification of its log found, from the header every answer carries
 * while it is broken (`zhitong-log-integrity: broken; problems=N; checked-at=ISO`): `{problems,
 * checkedAt}`, or null while it holds. A page shows it above everything: the lists and figures are
 * folded from what is left in the log (SPEC §8). Listen for `zhitong-log` on window.
 */
let logDamage = null;
export const brokenLog = () => logDamage;
function noteLogIntegrity(res) {
  if (!res.headers.has('x-request-id')) return;
  const said = res.headers.get('zhitong-log-integrity');
  const problems = said && /problems=(\d+)/.exec(said);
  const next = problems ? { problems: Number(problems[1]), checkedAt: /checked-at=([^;\s]+)/.exec(said)?.[1] ?? '' } : null;
  if (JSON.stringify(next) === JSON.stringify(logDamage)) return;
  logDamage = next;
  dispatchEvent(new Event('zhitong-log'));
}

/** How long a request may take before it counts as not sent (a 2G upload of a report takes seconds, not this). */
export const REQUEST_TIMEOUT_MS = 20_000;

/**
 * One request to the API with the device's token. Resolves with the parsed body of a 2xx answer;
 * rejects with ApiError for any other answer, or with NetworkError when no answer came — also when
 * none came within `timeoutMs`: a stalled link (bytes accepted, nothing answered) otherwise held a
 * report, an acknowledgement or a page load for as long as the browser kept the socket (found by a
 * newcomer on a phone with bad signal).
 */
export async function api(path, { method = 'GET', body, accept = 'application/json', signal, timeoutMs = REQUEST_TIMEOUT_MS } = {}) {
  const headers = { accept, 'accept-language': lang === 'en' ? 'en' : 'zh-CN' };
  const tk = token();
  if (tk) headers.authorization = `Bearer ${tk}`;
  if (body !== undefined) headers['content-type'] = 'application/json';
  const timeout = AbortSignal.timeout(timeoutMs);
  const mark = reachMark();
  let res;
  let text;
  try {
    res = await fetch(path, { method, headers, body: body === undefined ? undefined : JSON.stringify(body), signal: signal ? AbortSignal.any([signal, timeout]) : timeout, cache: 'no-store' });
    text = await res.text();
  } catch (error) {
    // The caller's own abort stays an abort; anything else is the network's.
    if (signal?.aborted) throw error;
    noteReached(false);
    throw new NetworkError(timeout.aborted);
  }
  // A page a captive portal or a proxy answers with is not zhitong's.
  noteReached(res.headers.has('x-request-id'), mark);
  noteLogIntegrity(res);
  let parsed = text;
  if ((res.headers.get('content-type') ?? '').includes('json')) {
    try {
      parsed = JSON.parse(text);
    } catch {
      parsed = null;
    }
  }
  if (!res.ok) throw new ApiError(res.status, typeof parsed === 'object' ? parsed : null);
  return { status: res.status, body: parsed };
}

/** A random UUID (v4) chosen by the phone, so a report sent twice is filed once (SPEC §4). */
export function uuid() {
  if (crypto.randomUUID) return crypto.randomUUID();
  const b = crypto.getRandomValues(new Uint8Array(16));
  b[6] = (b[6] & 0x0f) | 0x40;
  b[8] = (b[8] & 0x3f) | 0x80;
  const h = [...b].map((x) => x.toString(16).padStart(2, '0')).join('');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
}
