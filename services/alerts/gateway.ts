import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { WebSocket } from 'ws';
import type {} from '@fastify/websocket';
import { z } from 'zod';
import { roleAudience } from '../../domain/alerting.js';
import { DomainError } from '../../domain/errors.js';
import { streams } from '../../domain/events.js';
import { reportDecider } from '../../domain/report.js';
import { findIllFormedText, TEXT_PROBLEM_MESSAGES } from '../../domain/text.js';
import { ancestorAt, scopePrefix, scopeUnit, withinScope } from '../../domain/units.js';
import { ConcurrencyError, type EventStore, type StoreEpoch } from '../../infra/eventstore/types.js';
import type { Logger } from '../../infra/logging.js';
import type { TokenClaims } from '../../infra/tokens.js';
import { isRevoked } from '../../projections/access.js';
import { framesFor, type Delivery } from '../../projections/alert-frames.js';
import type { ProjectedEvent } from '../../projections/projection.js';
import type { BackgroundTasks } from '../background.js';
import { ALERTING, commandHandler, type CommandHandler } from '../commands/execute.js';
import { endedChainDetails, originalOf } from '../commands/merged-reports.js';
import { projectedEvent, type ProjectionRunner } from '../projection-runner.js';
import { issueEn, issueZh, message, requestLanguage, type Lang } from '../http/messages.js';
import { Id } from '../http/schemas.js';
import type { NodeMetrics } from '../metrics.js';

export interface GatewayOptions {
  heartbeatMs?: number;
  /** Bytes a slow client may have waiting before it is closed with 1013 and must resume. */
  maxBufferedBytes?: number;
  /** A client that does not say `resume` within this time goes live from its `hello` position. */
  resumeGraceMs?: number;
  /** Frames kept in memory for clients resuming; older ones are read back from the log. */
  framesKept?: number;
  now?: () => Date;
  /** Where frames sent and report→alert latency are counted (server.ts gives the node's). */
  metrics?: NodeMetrics;
}

const ClientMessage = z.discriminatedUnion('type', [
  // A position as a JSON number (150) is the same position as its text ("150"): read, not refused (SPEC §5).
  z.strictObject({ type: z.literal('resume'), after: z.union([z.string().max(64), z.int().nonnegative().transform(String)]), epoch: z.string().max(64).optional() }),
  z.strictObject({ type: z.literal('ack'), reportId: Id }),
  /** The device shows the alert frame of this step: its holder needs no SMS for it (SPEC §5). */
  z.strictObject({ type: z.literal('received'), reportId: Id, step: z.int().nonnegative().max(10_000) }),
  z.strictObject({ type: z.literal('ping') }),
]);

interface StoredFrame {
  position: string;
  recipients: string[];
  unitCode: string;
  /** Serialized and UTF-8 encoded once, sent as is to every recipient (a text frame). */
  bytes: Buffer;
  type: string;
  /** A report's first alert: when the report was filed (epoch ms), for the report→alert latency. */
  filedAt?: number;
}

/** A refusal's reason for the socket: its own Chinese beside the English when the decider gave one (domain/errors.ts Reason). */
const reasonOf = (e: DomainError): string | { zh: string; en: string } => (e.zh === undefined ? e.message : { zh: e.zh, en: e.message });

function storedFrame(delivery: Delivery): StoredFrame {
  const frame = delivery.frame;
  return {
    position: frame.position,
    recipients: delivery.recipients,
    unitCode: delivery.unitCode,
    bytes: Buffer.from(JSON.stringify(frame)),
    type: frame.type,
    ...(frame.type === 'alert' && frame.step === 0 ? { filedAt: Date.parse(frame.reportedAt) } : {}),
  };
}

/**
 * How many ticks a heartbeat round of `heartbeatMs` is spread over: one a second, at most 30, so a
 * tick pings a thirtieth of the sockets; a round shorter than two seconds (tests) is one tick.
 */
export function heartbeatSlots(heartbeatMs: number): number {
  return Math.max(1, Math.min(30, Math.floor(heartbeatMs / 1000)));
}

class Connection {
  /** Position of the last frame sent: nothing at or before it is sent again. */
  lastSent: string;
  live = false;
  /** A `resume` was taken (or the grace period ended): a second one is refused. */
  resumed = false;
  alive = true;
  /** Which tick of the heartbeat's round pings this connection (AlertGateway #heartbeatTick). */
  heartbeatSlot = 0;
  graceTimer: NodeJS.Timeout | undefined;
  /** Bytes handed to the socket whose write has not completed: this client's buffer. */
  unflushed = 0;

  constructor(
    readonly socket: WebSocket,
    readonly user: TokenClaims,
    hello: string,
    /** The language of the client's error details (Accept-Language of the upgrade). */
    readonly lang: Lang = 'zh',
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

  /** The token's `exp` has passed: the session is over (SPEC §2). */
  expired(nowMs: number): boolean {
    return this.user.exp * 1000 <= nowMs;
  }

  wants(frame: StoredFrame): boolean {
    return frame.position > this.lastSent && frame.unitCode.startsWith(this.#scopePrefix) && frame.recipients.some((r) => this.audiences.has(r));
  }
}

/**
 * WebSocket push of alerts (SPEC §5). Frames are worked out from each event and the read models
 * (projections/alert-frames.ts), so a client that resumes from a position gets every frame for it
 * after that position, in order, once — the recent ones from memory, older ones read back from
 * the log — then live ones. Each frame is serialized once for all recipients.
 */
export class AlertGateway {
  /** The most recent frames, in position order; every frame after `#memoryFrom` is here. */
  #frames: StoredFrame[] = [];
  #memoryFrom = '';
  #byAudience = new Map<string, Set<Connection>>();
  #connections = new Set<Connection>();
  #heartbeat: NodeJS.Timeout | undefined;
  /** Connections are spread over this many ticks of a heartbeat round (heartbeatSlots). */
  #heartbeatSlots = 1;
  #heartbeatTick = 0;
  #attached = 0;
  #position = '';
  readonly #options: Required<Omit<GatewayOptions, 'now' | 'metrics'>> & { now: () => Date };
  readonly #metrics: NodeMetrics | undefined;
  readonly #commands: CommandHandler;

  constructor(
    private readonly store: EventStore,
    private readonly runner: ProjectionRunner,
    private readonly logger: Logger,
    private readonly tasks: BackgroundTasks,
    options: GatewayOptions = {},
  ) {
    this.#commands = commandHandler(store);
    for (const name of ['websocket-heartbeat', 'websocket-resume-grace', 'websocket-message']) tasks.declare(name);
    this.#options = {
      heartbeatMs: options.heartbeatMs ?? 30_000,
      maxBufferedBytes: options.maxBufferedBytes ?? 1024 * 1024,
      resumeGraceMs: options.resumeGraceMs ?? 2000,
      framesKept: options.framesKept ?? 20_000,
      now: options.now ?? (() => new Date()),
    };
    this.#metrics = options.metrics;
  }

  /** Called once the runner has loaded its state: frames up to here are in the log, not in memory. */
  /** The store's epoch, told in every `hello` (SPEC §5); set once the node has started. */
  #epoch: StoreEpoch = { id: '', startsAfter: '' };

  started(epoch: StoreEpoch): void {
    this.#epoch = epoch;
    this.#position = this.runner.checkpoint ?? '';
    this.#memoryFrom = this.#position;
  }

  #sources() {
    return { reports: this.runner.state('reports'), units: this.runner.state('units'), incidents: this.runner.state('incidents'), access: this.runner.state('access') };
  }

  /** LogTailer handler. */
  readonly handler = {
    event: (event: ProjectedEvent): void => {
      this.#position = event.position;
      // A revoked token's session ends the moment this node applies the revocation (SPEC §2).
      if (event.type === 'AccessRevoked') this.#endRevoked();
      // Nobody live (catching up after a start, or no officer connected): no frame is built, the
      // ones held are dropped, and a client that asks for them gets them read back from the log,
      // as for any frame older than memory. Building, stamping with Beijing times and serializing
      // frames for nobody was a tenth of the event loop in a burst of filings (docs/decisions.md,
      // "Session 31").
      if (!this.#anyLive()) {
        this.#memoryFrom = event.position;
        if (this.#frames.length > 0) this.#frames = [];
        return;
      }
      for (const delivery of framesFor(event, this.#sources())) this.#publish(delivery);
    },
  };

  #anyLive(): boolean {
    for (const c of this.#connections) if (c.live) return true;
    return false;
  }

  #publish(delivery: Delivery): void {
    const frame = storedFrame(delivery);
    this.#frames.push(frame);
    if (this.#frames.length > this.#options.framesKept) {
      // Bounded memory: the oldest frames go, and are read back from the log when asked for.
      const dropped = this.#frames.splice(0, this.#frames.length - this.#options.framesKept);
      this.#memoryFrom = dropped[dropped.length - 1]!.position;
    }
    const targets = new Set<Connection>();
    for (const recipient of delivery.recipients) for (const c of this.#byAudience.get(recipient) ?? []) targets.add(c);
    // The node's clock, the one the filing's `reportedAt` was taken by.
    const sentAt = this.#options.now().getTime();
    let sent = 0;
    for (const connection of targets) {
      if (connection.live && connection.wants(frame) && this.#send(connection, frame, sentAt)) {
        sent += 1;
        if (frame.filedAt !== undefined) this.#metrics?.reportToAlertSeconds.observe(Math.max(0, sentAt - frame.filedAt) / 1000);
      }
    }
    // Counted once per frame, not once per socket: a label lookup per send was measurable at 10,000 sends/s.
    if (sent > 0) this.#metrics?.framesSent.inc({ type: frame.type }, sent);
  }

  /** True when the frame was handed to the socket. */
  #send(connection: Connection, frame: StoredFrame, now = this.#options.now().getTime()): boolean {
    if (connection.socket.readyState !== connection.socket.OPEN) return false;
    if (connection.expired(now)) {
      this.#endExpired(connection);
      return false;
    }
    const bytes = frame.bytes.length;
    if (connection.unflushed + bytes > this.#options.maxBufferedBytes) {
      // Past the bound the client is closed rather than buffered without end; it resumes from
      // its last position and loses nothing, because frames are read back from the log.
      connection.live = false;
      connection.socket.close(1013, 'too slow: resume from your last position');
      return false;
    }
    connection.unflushed += bytes;
    connection.socket.send(frame.bytes, { binary: false }, () => (connection.unflushed -= bytes));
    connection.lastSent = frame.position;
    return true;
  }

  /**
   * Sends, in order, every frame for this connection after `after`, then makes it live. Frames
   * older than memory holds are read back from the log and worked out again.
   */
  async #catchUp(connection: Connection, after: string): Promise<void> {
    connection.lastSent = after;
    while (connection.lastSent < this.#memoryFrom) {
      const upTo = this.#memoryFrom;
      const page = await this.store.readAll({ ...(connection.lastSent ? { after: connection.lastSent } : {}), max: 500 });
      if (page.length === 0) break;
      const sources = this.#sources();
      for (const recorded of page) {
        if (recorded.position > upTo) break;
        const event = projectedEvent(recorded);
        if (typeof event !== 'string') {
          for (const delivery of framesFor(event, sources)) {
            const frame = storedFrame(delivery);
            if (connection.wants(frame) && this.#send(connection, frame)) this.#metrics?.framesSent.inc({ type: frame.type });
          }
        }
        if (connection.socket.readyState !== connection.socket.OPEN) return;
        connection.lastSent = recorded.position;
      }
    }
    // Frames are in position order; binary search for the first one after what was sent.
    let lo = 0;
    let hi = this.#frames.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (this.#frames[mid]!.position <= connection.lastSent) lo = mid + 1;
      else hi = mid;
    }
    for (let i = lo; i < this.#frames.length; i++) {
      const frame = this.#frames[i]!;
      if (connection.wants(frame) && this.#send(connection, frame)) this.#metrics?.framesSent.inc({ type: frame.type });
      if (connection.socket.readyState !== connection.socket.OPEN) return;
    }
    connection.live = true;
  }

  register(app: FastifyInstance): void {
    app.get('/alerts/ws', { websocket: true, config: { roles: ['officer', 'head'], tokenInQuery: true }, schema: { hide: true } }, (socket: WebSocket, request: FastifyRequest) =>
      this.#attach(socket, request),
    );
    // One round pings every connection once per heartbeatMs, a slot of them per tick: pinging
    // 5,000 sockets in one turn of the event loop held it ~100 ms every round, and every alert
    // due in that moment waited (the alert bench's latency by second showed the spike).
    this.#heartbeatSlots = heartbeatSlots(this.#options.heartbeatMs);
    this.#heartbeat = this.tasks.every('websocket-heartbeat', this.#options.heartbeatMs / this.#heartbeatSlots, () => {
      const slot = this.#heartbeatTick++ % this.#heartbeatSlots;
      const now = this.#options.now().getTime();
      for (const c of this.#connections) {
        if (c.heartbeatSlot !== slot) continue;
        if (!c.alive) {
          c.socket.terminate();
          continue;
        }
        if (c.expired(now)) {
          this.#endExpired(c);
          continue;
        }
        c.alive = false;
        c.socket.ping();
      }
    });
  }

  #endRevoked(): void {
    const access = this.runner.state('access');
    for (const c of this.#connections) {
      if (!isRevoked(access, c.user)) continue;
      c.live = false;
      if (c.socket.readyState !== c.socket.OPEN) continue;
      c.socket.send(JSON.stringify({ type: 'error', code: 'revoked', detail: message('revoked', c.lang, undefined) }));
      c.socket.close(1008, 'token revoked');
    }
  }

  /** A session whose token expired ends: the client must come back with a current token. */
  #endExpired(connection: Connection): void {
    connection.live = false;
    if (connection.socket.readyState !== connection.socket.OPEN) return;
    connection.socket.send(JSON.stringify({ type: 'error', code: 'token_expired', detail: message('token_expired', connection.lang, undefined) }));
    connection.socket.close(1008, 'token expired');
  }

  #attach(socket: WebSocket, request: FastifyRequest): void {
    const hello = this.#position;
    const connection = new Connection(socket, request.user, hello, requestLanguage(request));
    connection.heartbeatSlot = this.#attached++ % this.#heartbeatSlots;
    this.#connections.add(connection);
    for (const audience of connection.audiences) {
      let set = this.#byAudience.get(audience);
      if (!set) this.#byAudience.set(audience, (set = new Set()));
      set.add(connection);
    }
    socket.send(JSON.stringify({ type: 'hello', position: hello, epoch: this.#epoch.id }));
    connection.graceTimer = this.tasks.later('websocket-resume-grace', this.#options.resumeGraceMs, () => {
      if (connection.resumed) return;
      connection.resumed = true;
      return this.#catchUp(connection, hello);
    });
    socket.on('pong', () => (connection.alive = true));
    socket.on('message', (data, isBinary) => {
      // Handling a message is safe to repeat (ping, a resume once, an idempotent ack); if it
      // fails three times the client is told rather than left waiting.
      this.tasks.spawn('websocket-message', () => this.#onMessage(connection, isBinary ? null : data.toString()), {
        attempts: 3,
        minDelayMs: 100,
        onGiveUp: () => {
          if (connection.socket.readyState === connection.socket.OPEN) {
            connection.socket.send(JSON.stringify({ type: 'error', code: 'unavailable', detail: 'the message could not be handled now; send it again' }));
          }
        },
      });
    });
    socket.on('close', () => {
      this.tasks.cancel(connection.graceTimer);
      this.#connections.delete(connection);
      for (const audience of connection.audiences) this.#byAudience.get(audience)?.delete(connection);
    });
    socket.on('error', (error) => this.logger.debug({ err: error }, 'websocket error'));
  }

  /**
   * Every message is answered: with what it asked for, or with `error {code, detail}`. Nothing a
   * client sends is swallowed, and the connection stays open (SPEC §5, §9).
   */
  async #onMessage(connection: Connection, text: string | null): Promise<void> {
    connection.alive = true;
    // The detail in the client's language (SPEC §9); the English one said here is the specific one.
    const error = (code: string, detail: string | { zh: string; en: string }, extra: Record<string, unknown> = {}) => {
      if (connection.socket.readyState !== connection.socket.OPEN) return;
      const en = typeof detail === 'string' ? detail : detail.en;
      const zh = typeof detail === 'string' ? detail : detail.zh;
      const text = connection.lang === 'en' ? en : code === 'bad_message' ? `${message(code, 'zh', extra)}：${zh}` : message(code, 'zh', extra, en, typeof detail === 'string' ? undefined : zh);
      connection.socket.send(JSON.stringify({ type: 'error', code, detail: text, ...extra }));
    };
    if (connection.expired(this.#options.now().getTime())) return this.#endExpired(connection);
    let parsed: z.infer<typeof ClientMessage>;
    try {
      if (text === null) return error('bad_message', { zh: '消息须为 JSON 文本帧，不是二进制帧', en: 'messages are JSON text' });
      const json: unknown = JSON.parse(text);
      const bad = findIllFormedText(json);
      if (bad) return error('bad_message', { zh: `${bad.path || '消息'}：${TEXT_PROBLEM_MESSAGES[bad.problem].zh}`, en: `${bad.path || 'message'}: ${TEXT_PROBLEM_MESSAGES[bad.problem].en}` });
      const result = ClientMessage.safeParse(json);
      if (!result.success) {
        // Each field's problem as the HTTP API says it (SPEC §9): Chinese by default.
        const issues = result.error.issues.map((i) => ({ path: i.path.join('.'), issue: i as unknown as Record<string, unknown>, english: i.message }));
        return error('bad_message', {
          zh: issues.map((i) => `${i.path || '消息'}：${issueZh(i.issue, i.english)}`).join('；'),
          en: issues.map((i) => `${i.path || 'message'}: ${issueEn(i.issue, i.english)}`).join('; '),
        });
      }
      parsed = result.data;
    } catch {
      return error('bad_message', { zh: '不是 JSON', en: 'not JSON' });
    }
    switch (parsed.type) {
      case 'ping':
        connection.socket.send(JSON.stringify({ type: 'pong', position: this.#position }));
        return;
      case 'resume': {
        if (connection.resumed) return error('already_live', 'resume is sent once, right after connecting');
        connection.resumed = true;
        this.tasks.cancel(connection.graceTimer);
        const hello = connection.lastSent;
        // A position this store can read, in its form ("189" is position 189); one it cannot, or
        // one past the head of the log, is answered and the socket goes live from `hello`, so
        // it never sits open and silent.
        // An empty position is a client that has seen nothing yet: everything it may see, from the start.
        let after = parsed.after === '' ? '' : this.store.parsePosition(parsed.after);
        // A position from another epoch (before a restore) is only good up to where this store's
        // log and that one's are the same: from there on, what the client saw was another log.
        if (after !== undefined && parsed.epoch !== undefined && parsed.epoch !== this.#epoch.id && after > this.#epoch.startsAfter) after = this.#epoch.startsAfter;
        let head: string | undefined;
        try {
          head = after === undefined ? undefined : await this.store.headPosition();
        } catch {
          // The store cannot say where its head is now: live from hello, which is never past it.
          error('unavailable', 'could not check the position now; live from hello', { position: hello });
          return this.#catchUp(connection, hello);
        }
        if (after === undefined || after > (head ?? '')) {
          error('bad_position', after === undefined ? `${JSON.stringify(parsed.after)} is not a position of this log` : `${parsed.after} is past the end of the log`, {
            position: hello,
          });
          return this.#catchUp(connection, hello);
        }
        return this.#catchUp(connection, after);
      }
      case 'received': {
        const { reportId, step } = parsed;
        try {
          const loaded = await this.#commands.load(streams.report(reportId), reportDecider);
          if (!loaded.state.exists || !withinScope(loaded.state.village, connection.user.scope)) return error('not_found', 'no such report', { reportId });
          // A step this report never had is not confirmed as if recorded (found by a newcomer: echoed).
          const latest = loaded.state.alert?.step;
          if (latest === undefined || step > latest) {
            return error(
              'no_such_step',
              latest === undefined
                ? { zh: '这份报告还没有发出过告警，没有可以确认收到的', en: 'no alert was raised for this report yet: there is nothing to confirm' }
                : { zh: `这份报告的告警只到第 ${latest} 步，没有第 ${step} 步`, en: `this report's alert reached step ${latest}; there is no step ${step}` },
              { reportId, step, latest: latest ?? null },
            );
          }
          const now = this.#options.now().toISOString();
          await this.#commands.execute(
            streams.report(reportId),
            reportDecider,
            { type: 'RecordReceipt', data: { step, by: connection.user.sub }, now },
            { actor: { id: connection.user.sub, role: connection.user.role }, correlationId: `ws-${reportId}-${Date.now()}`, now },
            // A receipt and an acknowledgement are facts from the field: recorded on a report whose
            // history has a hole too, or its alert escalates for ever (found by a newcomer).
            ALERTING,
          );
        } catch (e) {
          if (e instanceof DomainError) return error(e.code, reasonOf(e), { ...e.details, reportId });
          if (e instanceof ConcurrencyError) return error('conflict', 'another write got there first; send received again', { reportId });
          this.logger.error({ err: e }, 'receipt failed');
          return error('unavailable', 'could not record the receipt now; send it again', { reportId });
        }
        if (connection.socket.readyState === connection.socket.OPEN) connection.socket.send(JSON.stringify({ type: 'received', reportId, step }));
        return;
      }
      case 'ack': {
        const asked = parsed.reportId;
        try {
          const loaded = await this.#commands.load(streams.report(asked), reportDecider);
          if (!loaded.state.exists || !withinScope(loaded.state.village, connection.user.scope)) return error('not_found', 'no such report', { reportId: asked });
          // An ack of a report merged as a duplicate is recorded on the report it was merged into,
          // as HTTP records it (services/commands/merged-reports.ts): the officer on the way is
          // the one who should stop the escalation, whichever of the two alerts they tapped.
          const target = await originalOf(this.#commands, asked, loaded.state, (village) => withinScope(village, connection.user.scope));
          if (target?.kind === 'ended') {
            const phones = this.runner.state('units').units.get(ancestorAt(target.report.village, 'township') ?? '')?.phones;
            const details = endedChainDetails(target.reportId, target.report, phones?.[0], connection.user.role);
            return error('report_dismissed', { zh: message('report_dismissed', 'zh', details), en: message('report_dismissed', 'en', details) }, { ...details, reportId: asked });
          }
          const reportId = target?.reportId ?? asked;
          const now = this.#options.now().toISOString();
          const result = await this.#commands.execute(
            streams.report(reportId),
            reportDecider,
            { type: 'AcknowledgeAlert', data: { by: connection.user.sub }, now },
            { actor: { id: connection.user.sub, role: connection.user.role }, correlationId: `ws-${reportId}-${Date.now()}`, now, ...(target ? { redirectedFrom: streams.report(asked) } : {}) },
            ALERTING,
          );
          // The same officer's ack again (a tap repeated, an answer lost on the road) writes nothing,
          // so no frame comes from the log: it is answered here, as HTTP answers it 200, so a phone
          // waiting for its confirmation is not left waiting. An ack sent on is answered here too,
          // under the id the phone asked about, naming where it was recorded.
          if ((result.events.length === 0 || target) && connection.socket.readyState === connection.socket.OPEN) {
            connection.socket.send(
              JSON.stringify({
                type: 'acknowledged',
                reportId: asked,
                by: connection.user.sub,
                ...(result.events.length === 0 ? { already: true } : {}),
                ...(target ? { recordedOn: reportId } : {}),
              }),
            );
          }
        } catch (e) {
          // The refusal's details (why, and a duplicate's original) choose its words, as over HTTP
          // (found by a newcomer: an ack of a merged report was told about relief).
          if (e instanceof DomainError) return error(e.code, reasonOf(e), { ...e.details, reportId: asked });
          if (e instanceof ConcurrencyError) return error('conflict', 'another write got there first; send ack again', { reportId: asked });
          this.logger.error({ err: e }, 'ack failed');
          return error('unavailable', 'could not record the acknowledgement now; send it again', { reportId: asked });
        }
        return;
      }
    }
  }

  get connectionCount(): number {
    return this.#connections.size;
  }

  close(): void {
    this.tasks.cancel(this.#heartbeat);
    for (const c of this.#connections) {
      this.tasks.cancel(c.graceTimer);
      c.socket.close(1001, 'server shutting down');
    }
  }
}
