import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { WebSocket } from 'ws';
import type {} from '@fastify/websocket';
import { z } from 'zod';
import { roleAudience } from '../../domain/alerting.js';
import { DomainError } from '../../domain/errors.js';
import { streams } from '../../domain/events.js';
import { reportDecider } from '../../domain/report.js';
import { scopePrefix, scopeUnit, withinScope } from '../../domain/units.js';
import { ConcurrencyError, type EventStore, type RecordedEvent } from '../../infra/eventstore/types.js';
import type { Logger } from '../../infra/logging.js';
import type { TokenClaims } from '../../infra/tokens.js';
import { evolveAlertFeed, initialAlertFeed, type Delivery } from '../../projections/alert-feed.js';
import { execute, load } from '../commands/execute.js';

export interface GatewayOptions {
  heartbeatMs?: number;
  /** Bytes a slow client may have waiting before it is closed with 1013 and must resume. */
  maxBufferedBytes?: number;
  /** A client that does not say `resume` within this time goes live from its `hello` position. */
  resumeGraceMs?: number;
  now?: () => Date;
}

const ClientMessage = z.discriminatedUnion('type', [
  z.strictObject({ type: z.literal('resume'), after: z.string().max(64) }),
  z.strictObject({ type: z.literal('ack'), reportId: z.uuid() }),
  z.strictObject({ type: z.literal('ping') }),
]);

interface StoredFrame {
  position: string;
  recipients: string[];
  unitCode: string;
  /** Serialized once, sent as is to every recipient. */
  text: string;
}

class Connection {
  /** Position of the last frame sent: nothing at or before it is sent again. */
  lastSent: string;
  live = false;
  alive = true;
  graceTimer: NodeJS.Timeout | undefined;
  /** Bytes handed to the socket whose write has not completed: this client's buffer. */
  unflushed = 0;

  constructor(
    readonly socket: WebSocket,
    readonly user: TokenClaims,
    hello: string,
  ) {
    this.lastSent = hello;
    // Worked out once per connection: a frame fans out to thousands of sockets.
    this.#scopePrefix = scopePrefix(user.scope) ?? '\u0000';
    const unit = scopeUnit(user.scope);
    this.audiences = new Set([user.sub, ...(unit && (user.role === 'head' || user.role === 'officer') ? [roleAudience(user.role, unit)] : [])]);
  }

  /** The recipient entries that name this user: its id and, for heads and officers, `role@scope`. */
  readonly audiences: ReadonlySet<string>;
  readonly #scopePrefix: string;

  wants(frame: StoredFrame): boolean {
    return frame.position > this.lastSent && frame.unitCode.startsWith(this.#scopePrefix) && frame.recipients.some((r) => this.audiences.has(r));
  }
}

/**
 * WebSocket push of alerts (SPEC §5). Frames come from the alert-feed projection over the log, so
 * a client that resumes from a position gets, from memory or the log, every frame for it after
 * that position, in order, once; then live ones. Each frame is serialized once for all
 * recipients.
 */
export class AlertGateway {
  #view = initialAlertFeed();
  #frames: StoredFrame[] = [];
  #byAudience = new Map<string, Set<Connection>>();
  #connections = new Set<Connection>();
  #heartbeat: NodeJS.Timeout | undefined;
  #position = '';
  readonly #options: Required<Omit<GatewayOptions, 'now'>> & { now: () => Date };

  constructor(
    private readonly store: EventStore,
    private readonly logger: Logger,
    options: GatewayOptions = {},
  ) {
    this.#options = {
      heartbeatMs: options.heartbeatMs ?? 30_000,
      maxBufferedBytes: options.maxBufferedBytes ?? 1024 * 1024,
      resumeGraceMs: options.resumeGraceMs ?? 2000,
      now: options.now ?? (() => new Date()),
    };
  }

  /** LogTailer handler. */
  readonly onEvents = (events: RecordedEvent[]): void => {
    for (const event of events) {
      for (const delivery of evolveAlertFeed(this.#view, event)) this.#publish(delivery);
      this.#position = event.position;
    }
  };

  #publish(delivery: Delivery): void {
    const frame: StoredFrame = {
      position: delivery.frame.position,
      recipients: delivery.recipients,
      unitCode: delivery.unitCode,
      text: JSON.stringify(delivery.frame),
    };
    this.#frames.push(frame);
    const targets = new Set<Connection>();
    for (const recipient of delivery.recipients) for (const c of this.#byAudience.get(recipient) ?? []) targets.add(c);
    for (const connection of targets) if (connection.live && connection.wants(frame)) this.#send(connection, frame);
  }

  #send(connection: Connection, frame: StoredFrame): void {
    if (connection.socket.readyState !== connection.socket.OPEN) return;
    const bytes = Buffer.byteLength(frame.text);
    if (connection.unflushed + bytes > this.#options.maxBufferedBytes) {
      // Past the bound the client is closed rather than buffered without end; it resumes from
      // its last position and loses nothing, because frames are read back from the log.
      connection.live = false;
      connection.socket.close(1013, 'too slow: resume from your last position');
      return;
    }
    connection.unflushed += bytes;
    connection.socket.send(frame.text, () => (connection.unflushed -= bytes));
    connection.lastSent = frame.position;
  }

  /** Sends, in order, every stored frame for this connection after its last position; then it is live. */
  #catchUp(connection: Connection, after: string): void {
    connection.lastSent = after;
    // Frames are in position order; binary search for the first one after `after`.
    let lo = 0;
    let hi = this.#frames.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (this.#frames[mid]!.position <= after) lo = mid + 1;
      else hi = mid;
    }
    for (let i = lo; i < this.#frames.length; i++) {
      const frame = this.#frames[i]!;
      if (connection.wants(frame)) this.#send(connection, frame);
      if (connection.socket.readyState !== connection.socket.OPEN) return;
    }
    connection.live = true;
  }

  register(app: FastifyInstance): void {
    app.get('/alerts/ws', { websocket: true, config: { roles: ['officer', 'head'] }, schema: { hide: true } }, (socket: WebSocket, request: FastifyRequest) =>
      this.#attach(socket, request),
    );
    this.#heartbeat = setInterval(() => {
      for (const c of this.#connections) {
        if (!c.alive) {
          c.socket.terminate();
          continue;
        }
        c.alive = false;
        c.socket.ping();
      }
    }, this.#options.heartbeatMs);
    this.#heartbeat.unref();
  }

  #attach(socket: WebSocket, request: FastifyRequest): void {
    const hello = this.#position;
    const connection = new Connection(socket, request.user, hello);
    this.#connections.add(connection);
    for (const audience of connection.audiences) {
      let set = this.#byAudience.get(audience);
      if (!set) this.#byAudience.set(audience, (set = new Set()));
      set.add(connection);
    }
    socket.send(JSON.stringify({ type: 'hello', position: hello }));
    connection.graceTimer = setTimeout(() => {
      if (!connection.live) this.#catchUp(connection, hello);
    }, this.#options.resumeGraceMs);
    socket.on('pong', () => (connection.alive = true));
    socket.on('message', (data, isBinary) => void this.#onMessage(connection, isBinary ? null : data.toString()));
    socket.on('close', () => {
      clearTimeout(connection.graceTimer);
      this.#connections.delete(connection);
      for (const audience of connection.audiences) this.#byAudience.get(audience)?.delete(connection);
    });
    socket.on('error', (error) => this.logger.debug({ err: error }, 'websocket error'));
  }

  async #onMessage(connection: Connection, text: string | null): Promise<void> {
    connection.alive = true;
    const error = (code: string, detail: string) => connection.socket.send(JSON.stringify({ type: 'error', code, detail }));
    let parsed: z.infer<typeof ClientMessage>;
    try {
      if (text === null) return error('bad_message', 'messages are JSON text');
      const result = ClientMessage.safeParse(JSON.parse(text));
      if (!result.success) return error('bad_message', result.error.issues.map((i) => `${i.path.join('.') || 'message'}: ${i.message}`).join('; '));
      parsed = result.data;
    } catch {
      return error('bad_message', 'not JSON');
    }
    switch (parsed.type) {
      case 'ping':
        connection.socket.send(JSON.stringify({ type: 'pong', position: this.#position }));
        return;
      case 'resume': {
        clearTimeout(connection.graceTimer);
        if (connection.live) return error('already_live', 'resume is sent once, right after connecting');
        this.#catchUp(connection, parsed.after);
        return;
      }
      case 'ack': {
        try {
          const loaded = await load(this.store, streams.report(parsed.reportId), reportDecider);
          if (!loaded.state.exists || !withinScope(loaded.state.village, connection.user.scope)) return error('not_found', 'no such report');
          const now = this.#options.now().toISOString();
          await execute(
            this.store,
            streams.report(parsed.reportId),
            reportDecider,
            { type: 'AcknowledgeAlert', data: { by: connection.user.sub }, now },
            { actor: { id: connection.user.sub, role: connection.user.role }, correlationId: `ws-${parsed.reportId}-${Date.now()}`, now },
            { loaded },
          );
        } catch (e) {
          if (e instanceof DomainError) return error(e.code, e.message);
          if (e instanceof ConcurrencyError) return error('conflict', 'another write got there first; send ack again');
          this.logger.error({ err: e }, 'ack failed');
          return error('internal', 'could not record the acknowledgement');
        }
        return;
      }
    }
  }

  get connectionCount(): number {
    return this.#connections.size;
  }

  close(): void {
    clearInterval(this.#heartbeat);
    for (const c of this.#connections) {
      clearTimeout(c.graceTimer);
      c.socket.close(1001, 'server shutting down');
    }
  }
}
