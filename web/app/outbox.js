// Reports kept on the phone until the server has them (issue 15, SPEC §4). Each keeps the reportId
// the phone chose, so sending it again — after a reload, a dropped connection, two tabs at once —
// files it once: the server answers 200 with the first answer for the same id and body.
//
// Kept in localStorage, which survives a reload and a closed browser and is written synchronously:
// a report is on the phone before "已保存" is shown.
import { api } from './api.js';

const KEY = 'zhitong.outbox';
const listeners = new Set();

function read() {
  try {
    const items = JSON.parse(localStorage.getItem(KEY) ?? '[]');
    return Array.isArray(items) ? items : [];
  } catch {
    return [];
  }
}
function write(items) {
  localStorage.setItem(KEY, JSON.stringify(items));
  for (const f of listeners) f(items);
}
function update(reportId, change) {
  write(read().map((x) => (x.reportId === reportId ? { ...x, ...change } : x)));
}

export const items = read;
export function subscribe(f) {
  listeners.add(f);
  return () => listeners.delete(f);
}
// Another tab sent or queued a report: show it here too.
addEventListener('storage', (e) => {
  if (e.key === KEY) for (const f of listeners) f(read());
});

/** Keeps a report for sending; `body` is the POST /reports body with its reportId. */
export function enqueue(body, label) {
  write([{ reportId: body.reportId, body, label, queuedAt: new Date().toISOString(), status: 'pending', attempts: 0 }, ...read()]);
  return flush();
}

let flushing = null;
let timer = null;
let delayMs = 5000;

/**
 * Sends every pending report, oldest first. A 201 or 200 is "delivered"; a refusal the sender can
 * do nothing about by waiting (400, 403, 404, 409, 422) is kept with the server's message; anything
 * else (no network, 5xx, 503 not ready, 429, a token the server refuses today) stays pending and
 * is tried again with backoff (5 s doubling to 2 min) and whenever the browser says it is online.
 */
export function flush() {
  if (flushing) return flushing;
  flushing = (async () => {
    let failed = false;
    for (const item of read().filter((x) => x.status === 'pending').reverse()) {
      try {
        const { status, body } = await api('/reports', { method: 'POST', body: item.body });
        update(item.reportId, { status: 'delivered', deliveredAt: new Date().toISOString(), position: body.position, httpStatus: status, clockSuspect: body.clockSuspect === true });
      } catch (error) {
        const status = error.status;
        if (status && [400, 403, 404, 409, 413, 415, 422].includes(status)) {
          update(item.reportId, { status: 'refused', error: error.message, code: error.code });
        } else {
          // A 401 waits on a new token, not on the network: the page says so (httpStatus).
          update(item.reportId, { attempts: item.attempts + 1, lastError: status ? `${status} ${error.message}` : 'network', httpStatus: status ?? null });
          failed = true;
          break;
        }
      }
    }
    return failed;
  })().finally(() => {
    flushing = null;
  });
  return flushing.then((failed) => {
    clearTimeout(timer);
    if (failed) {
      timer = setTimeout(flush, delayMs);
      delayMs = Math.min(delayMs * 2, 120_000);
    } else delayMs = 5000;
  });
}

/** Takes a refused report off the phone's list: the contact is putting it right in the form. */
export function remove(reportId) {
  write(read().filter((x) => x.reportId !== reportId));
}

/** Retry now (a button, the `online` event): resets the backoff. */
export function retryNow() {
  delayMs = 5000;
  clearTimeout(timer);
  return flush();
}
addEventListener('online', retryNow);
