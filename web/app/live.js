// The duty officer's live line (SPEC §5): one WebSocket, resumed from the last position it saw
// after a reconnect or a reload, reconnecting on its own with backoff. Alerts seen are kept on the
// device with that position, so a reload shows them again and asks the server only for what came after.
import { noteReached, reachMark, token } from './api.js';

const MAX_KEPT = 200;
/**
 * A link can stall without closing (bytes swallowed on a weak cell, a NAT that forgot us): the
 * socket stays "open" and nothing arrives. The server's own pings are answered by the browser
 * where the page cannot see them, so the page asks too — a `ping` after this long without a
 * frame — and takes a line that has not answered within SILENCE_MS as dead: it connects again
 * and resumes from its last position (found by a newcomer: 已连接 shown for minutes with alerts
 * missing).
 */
const QUIET_MS = 25_000;
const SILENCE_MS = 10_000;

export class LiveAlerts {
  constructor(sub) {
    this.key = `zhitong.live.${sub}`;
    const kept = (() => {
      try {
        return JSON.parse(localStorage.getItem(this.key) ?? 'null');
      } catch {
        return null;
      }
    })();
    this.position = kept?.position ?? null;
    this.epoch = kept?.epoch ?? null;
    /** reportId → the alert as the officer sees it: the latest frame, acknowledgements, updates. */
    this.alerts = new Map((kept?.alerts ?? []).map((a) => [a.reportId, a]));
    this.status = 'connecting';
    this.listeners = new Set();
    this.onAlert = null;
    this.delay = 1000;
    this.closed = false;
    this.connectedAt = null;
    this.reconnects = 0;
    // Back online: a line that says it is live is asked at once whether it still is.
    addEventListener('online', () => (this.status === 'live' ? this.#probe(this.socket, true) : this.#retrySoon()));
    // The browser knows the network is gone: the line is down, whatever the socket says.
    addEventListener('offline', () => this.socket && this.#drop(this.socket));
    this.lastFrameAt = 0;
    this.#connect();
  }

  subscribe(f) {
    this.listeners.add(f);
    return () => this.listeners.delete(f);
  }
  /**
   * Newest report first, by when it was filed: a report's later steps must not bury the reports
   * that came in while the phone was out of signal under repeated escalations (found by a newcomer).
   */
  list() {
    const filed = (a) => a.reportedAt ?? '';
    return [...this.alerts.values()].sort((a, b) => (filed(a) < filed(b) ? 1 : filed(a) > filed(b) ? -1 : a.position < b.position ? 1 : a.position > b.position ? -1 : 0));
  }
  close() {
    this.closed = true;
    clearTimeout(this.timer);
    clearInterval(this.watchdog);
    this.socket?.close();
  }
  /** Sends `ack` over the socket when it is open; the caller falls back to HTTP otherwise. */
  send(message) {
    if (this.socket?.readyState !== WebSocket.OPEN) return false;
    this.socket.send(JSON.stringify(message));
    return true;
  }

  #emit() {
    localStorage.setItem(this.key, JSON.stringify({ position: this.position, epoch: this.epoch, alerts: this.list().slice(0, MAX_KEPT) }));
    for (const f of this.listeners) f();
  }
  #retrySoon() {
    if (this.closed || this.status === 'live') return;
    clearTimeout(this.timer);
    this.delay = 1000;
    this.#connect();
  }
  #connect() {
    if (this.closed) return;
    const scheme = location.protocol === 'https:' ? 'wss' : 'ws';
    let socket;
    try {
      // The token goes as a subprotocol, not in the URL: URLs end up in proxies' logs.
      socket = new WebSocket(`${scheme}://${location.host}/alerts/ws`, ['zhitong', `bearer.${token() ?? ''}`]);
    } catch {
      return this.#schedule();
    }
    this.socket = socket;
    const mark = reachMark();
    socket.onmessage = (e) => this.#onFrame(e.data, mark);
    clearInterval(this.watchdog);
    this.watchdog = setInterval(() => this.#probe(socket, false), SILENCE_MS);
    socket.onclose = () => {
      if (this.socket !== socket || this.closed) return;
      noteReached(false);
      this.status = 'down';
      this.#emit();
      this.#schedule();
    };
  }
  /** Asks a quiet line for a `pong` (`now`: whatever the quiet), and drops it when none comes in time. */
  #probe(socket, now) {
    if (this.socket !== socket || socket.readyState !== WebSocket.OPEN || this.probing) return;
    if (!now && Date.now() - this.lastFrameAt < QUIET_MS) return;
    const asked = Date.now();
    this.probing = true;
    socket.send(JSON.stringify({ type: 'ping' }));
    setTimeout(() => {
      this.probing = false;
      if (this.socket === socket && this.lastFrameAt < asked) this.#drop(socket);
    }, SILENCE_MS);
  }
  /** The line is dead: forget the socket (its late events are ignored) and connect again soon. */
  #drop(socket) {
    if (this.socket !== socket) return;
    this.socket = null;
    clearInterval(this.watchdog);
    try {
      socket.close();
    } catch {
      /* closing a stalled socket may itself fail */
    }
    noteReached(false);
    this.status = 'down';
    this.#emit();
    this.delay = 1000;
    clearTimeout(this.timer);
    if (navigator.onLine !== false) this.#schedule();
  }
  #schedule() {
    if (this.closed) return;
    // Backoff with jitter, so a township's phones do not all knock at once when the server returns.
    const wait = this.delay * (0.5 + Math.random() / 2);
    this.delay = Math.min(this.delay * 2, 30_000);
    this.timer = setTimeout(() => this.#connect(), wait);
  }
  #advance(position) {
    if (typeof position === 'string' && (this.position === null || position > this.position)) this.position = position;
  }
  #onFrame(text, mark) {
    this.lastFrameAt = Date.now();
    let frame;
    try {
      frame = JSON.parse(text);
    } catch {
      return;
    }
    switch (frame.type) {
      case 'hello': {
        // A restored store has another epoch: our position may name events it does not have.
        // Saying which epoch it came from lets the server resume from where the two logs were
        // still the same, so no alert is skipped (SPEC §5).
        const previous = this.epoch;
        if (frame.epoch) this.epoch = frame.epoch;
        const resume = { type: 'resume', after: this.position ?? frame.position };
        if (previous && this.position !== null) resume.epoch = previous;
        this.socket.send(JSON.stringify(resume));
        if (this.position === null) this.position = frame.position;
        noteReached(true, mark);
        this.status = 'live';
        if (this.connectedAt !== null) this.reconnects++;
        this.connectedAt = Date.now();
        this.delay = 1000;
        break;
      }
      case 'alert': {
        this.#advance(frame.position);
        const before = this.alerts.get(frame.reportId);
        // Alerted again after an answer through a related report lapsed (SPEC §5): nobody answers it now.
        const lapsed = frame.reason === 'reopened' ? { acknowledgedBy: [], going: {} } : {};
        this.alerts.set(frame.reportId, { acknowledgedBy: [], updates: [], ...before, ...frame, ...lapsed, frames: (before?.frames ?? 0) + 1, receivedAt: before?.receivedAt ?? Date.now() });
        // Tell the server this device shows it: no SMS is needed for this step (SPEC §5). Once per
        // step on this device; the server ignores a repeat anyway.
        if (before?.step !== frame.step || !before) this.send({ type: 'received', reportId: frame.reportId, step: frame.step });
        this.onAlert?.(frame, Boolean(before) && frame.reason !== 'reopened');
        break;
      }
      case 'acknowledged': {
        this.#advance(frame.position);
        const a = this.alerts.get(frame.reportId);
        if (a && !a.acknowledgedBy.includes(frame.by)) a.acknowledgedBy = [...a.acknowledgedBy, frame.by];
        // Names as the grants give them, for the cards (a colleague's login id told nobody who went).
        if (a && frame.byName) a.names = { ...a.names, [frame.by]: frame.byName };
        // Answered by setting off (with when they expect to be there) or by arriving.
        if (a && frame.going) a.going = { ...a.going, [frame.by]: frame.going };
        break;
      }
      case 'updated': {
        this.#advance(frame.position);
        const a = this.alerts.get(frame.reportId);
        if (a) {
          a.updates = [...(a.updates ?? []).filter((u) => u.position !== frame.position), frame];
          if (frame.estimate) a.estimate = frame.estimate;
          if (frame.directions) a.directions = frame.directions;
          // A 续报's new point, as the server placed it (the village's centre where the point is suspect).
          if (frame.location) {
            a.location = frame.location;
            a.locationSuspect = frame.locationSuspect ?? null;
            a.pointPassedOver = frame.pointPassedOver ?? null;
          }
          if (frame.change === 'dismissed' || frame.change === 'closed' || frame.change === 'verified') a.state = frame.change;
          // A colleague on the road or there: who, and when they expect to arrive.
          if ((frame.change === 'dispatched' || frame.change === 'arrived') && frame.by) {
            a.going = { ...a.going, [frame.by]: { change: frame.change, eta: frame.eta ?? null } };
            if (frame.byName) a.names = { ...a.names, [frame.by]: frame.byName };
          }
        }
        break;
      }
      case 'error':
        if (frame.code === 'bad_position') this.position = null;
        if (frame.code === 'revoked' || frame.code === 'token_expired') this.closed = true;
        this.lastError = frame;
        break;
      default:
        return;
    }
    this.#emit();
  }
}
