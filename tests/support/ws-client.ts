import { WebSocket } from 'ws';

export interface Frame {
  type: string;
  position?: string;
  reportId?: string;
  step?: number;
  [key: string]: unknown;
}

/** A real WebSocket client that records every frame and lets a test wait for the ones it expects. */
export class AlertClient {
  readonly frames: Frame[] = [];
  closeCode: number | undefined;
  readonly opened: Promise<void>;
  readonly closed: Promise<number>;
  #waiters: Array<{ test: (f: Frame) => boolean; resolve: (f: Frame) => void }> = [];

  constructor(readonly socket: WebSocket) {
    this.opened = new Promise((resolve, reject) => {
      socket.once('open', () => resolve());
      socket.once('unexpected-response', (_req, res) => reject(new Error(`upgrade refused: ${res.statusCode}`)));
      socket.once('error', reject);
    });
    this.closed = new Promise((resolve) => socket.once('close', (code) => resolve((this.closeCode = code))));
    socket.on('message', (data) => {
      const frame = JSON.parse(data.toString()) as Frame;
      this.frames.push(frame);
      for (const w of [...this.#waiters]) {
        if (w.test(frame)) {
          this.#waiters.splice(this.#waiters.indexOf(w), 1);
          w.resolve(frame);
        }
      }
    });
  }

  /** `via`: how the token travels — the Authorization header, `?token=`, or the subprotocol the pages use. */
  static async connect(baseUrl: string, token: string, via: 'header' | 'query' | 'protocol' = 'header'): Promise<AlertClient> {
    const url = `${baseUrl.replace(/^http/, 'ws')}/alerts/ws${via === 'query' ? `?token=${encodeURIComponent(token)}` : ''}`;
    const socket =
      via === 'protocol' ? new WebSocket(url, ['zhitong', `bearer.${token}`]) : new WebSocket(url, via === 'header' ? { headers: { authorization: `Bearer ${token}` } } : {});
    const client = new AlertClient(socket);
    await client.opened;
    return client;
  }

  /** The first frame, already received or still to come, that passes `test`. */
  next(test: (f: Frame) => boolean, timeoutMs = 10_000): Promise<Frame> {
    const seen = this.frames.find(test);
    if (seen) return Promise.resolve(seen);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no matching frame within ${timeoutMs} ms; got ${JSON.stringify(this.frames.map((f) => f.type))}`)), timeoutMs);
      this.#waiters.push({ test, resolve: (f) => (clearTimeout(timer), resolve(f)) });
    });
  }

  /** Waits until `count` frames pass `test`. */
  async nextCount(test: (f: Frame) => boolean, count: number, timeoutMs = 15_000): Promise<Frame[]> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const matching = this.frames.filter(test);
      if (matching.length >= count) return matching;
      const seen = new Set(matching);
      await this.next((f) => test(f) && !seen.has(f), Math.max(1, deadline - Date.now()));
    }
  }

  send(message: unknown): void {
    this.socket.send(typeof message === 'string' ? message : JSON.stringify(message));
  }

  /** A ping/pong round trip: every frame the server sent before handling it has arrived. */
  async roundTrip(): Promise<void> {
    const before = this.frames.length;
    this.send({ type: 'ping' });
    await this.next((f) => f.type === 'pong' && this.frames.indexOf(f) >= before);
  }

  alerts(): Frame[] {
    return this.frames.filter((f) => f.type === 'alert');
  }

  close(): void {
    this.socket.close();
  }
}
