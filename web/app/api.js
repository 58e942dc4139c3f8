// The token and the session kept on the device (SPEC §2: a bearer token; never in a URL sent to
// the server, except the WebSocket upgrade where browsers cannot set a header).
import { lang } from './i18n.js';

const TOKEN = 'zhitong.token';
const SESSION = 'zhitong.session';

export const token = () => localStorage.getItem(TOKEN);
export function saveToken(value) {
  localStorage.setItem(TOKEN, value);
}
/** Forgets the token and what came with it; a queued report stays (it is the contact's, not the token's). */
export function forget() {
  localStorage.removeItem(TOKEN);
  localStorage.removeItem(SESSION);
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
 * One request to the API with the device's token. Resolves with the parsed body of a 2xx answer;
 * rejects with ApiError for any other answer, or with a TypeError when the network is down.
 */
export async function api(path, { method = 'GET', body, accept = 'application/json', signal } = {}) {
  const headers = { accept, 'accept-language': lang === 'en' ? 'en' : 'zh-CN' };
  const t = token();
  if (t) headers.authorization = `Bearer ${t}`;
  if (body !== undefined) headers['content-type'] = 'application/json';
  const res = await fetch(path, { method, headers, body: body === undefined ? undefined : JSON.stringify(body), signal, cache: 'no-store' });
  const text = await res.text();
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
