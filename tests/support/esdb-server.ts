/**
 * A protocol-level EventStoreDB for the tests: a gRPC server built from the client's own generated
 * protocol definitions (`@eventstore/db-client/generated`), implementing the calls our adapter
 * makes — Streams.Read (streams, $all, subscriptions), Streams.Append, Streams.BatchAppend and
 * ServerFeatures.GetSupportedMethods — with the server's documented semantics. Each behaviour cites
 * the file of EventStore/EventStore (tag v24.10.0, checked against oss-v23.10.0) it follows.
 *
 * What it proves: that the adapter, through the real client and the real wire protocol, keeps the
 * contract given a server that behaves as those files say, including system events in $all, the
 * idempotency rules, the append size limit, an HTTP/2 stream limit, followers and elections.
 * What it cannot prove: anything the server does that these files do not show (timing, storage,
 * replication, scavenging, authentication), and that we read those files right. Against a real
 * server the same suite runs whenever EVENTSTORE_URL is set.
 *
 * Several nodes may share one `EsdbTestLog` to stand for a cluster: one is the leader; a follower
 * serves reads from what it has replicated (`lag` events behind) and answers NotLeader where
 * the leader is required.
 */
import { createRequire } from 'node:module';
import { once } from 'node:events';
import * as grpc from '@grpc/grpc-js';

const require = createRequire(import.meta.url);
/* eslint-disable @typescript-eslint/no-explicit-any -- generated protobuf classes, untyped here */
const streamsGrpc = require('@eventstore/db-client/generated/streams_grpc_pb.js') as any;
const pb = require('@eventstore/db-client/generated/streams_pb.js') as any;
const shared = require('@eventstore/db-client/generated/shared_pb.js') as any;
const featuresGrpc = require('@eventstore/db-client/generated/serverfeatures_grpc_pb.js') as any;
const featuresPb = require('@eventstore/db-client/generated/serverfeatures_pb.js') as any;
const statusPb = require('@eventstore/db-client/generated/status_pb.js') as any;
const anyPb = require('google-protobuf/google/protobuf/any_pb.js') as any;
const gossipGrpc = require('@eventstore/db-client/generated/gossip_grpc_pb.js') as any;
const gossipPb = require('@eventstore/db-client/generated/gossip_pb.js') as any;
const emptyPb = require('google-protobuf/google/protobuf/empty_pb.js') as any;

/** One event as the test server stores it. */
export interface StoredEvent {
  stream: string;
  revision: number;
  commit: bigint;
  prepare: bigint;
  /** Lower-case: the server keeps a Guid and prints it lower-case (Uuid.cs). */
  id: string;
  type: string;
  contentType: string;
  data: Uint8Array;
  metadata: Uint8Array;
}

type Expected = { kind: 'any' } | { kind: 'no_stream' } | { kind: 'stream_exists' } | { kind: 'revision'; revision: number };

type WriteOutcome =
  | { kind: 'written'; last: StoredEvent }
  | { kind: 'idempotent'; last: StoredEvent }
  | { kind: 'wrong'; current: number };

/** A fault to answer the next append or read with, as the server does in that situation. */
export type Fault =
  /** NotHandled(NotReady): during an election or start (RpcExceptions.ServerNotReady, Streams.BatchAppend.cs). */
  | 'not_ready'
  /** NotHandled(TooBusy). */
  | 'busy'
  /** CommitTimeout after the write was committed anyway (OperationResult.CommitTimeout → RpcExceptions.Timeout). */
  | 'timeout_committed'
  /** CommitTimeout, and the write was lost. */
  | 'timeout_lost';

const NIL_UUID = '00000000-0000-0000-0000-000000000000';

/** The log several test nodes share. */
export class EsdbTestLog {
  readonly events: StoredEvent[] = [];
  readonly #streams = new Map<string, number[]>();
  /** IndexWriter._committedEvents: event id → where it was written (IndexWriter.cs). */
  readonly #committed = new Map<string, { stream: string; revision: number; index: number }>();
  #nextPosition = 1_000n;
  readonly #listeners = new Set<() => void>();

  streamEvents(stream: string, visible = this.events.length): StoredEvent[] {
    return (this.#streams.get(stream) ?? []).filter((i) => i < visible).map((i) => this.events[i]!);
  }

  /** Hard-deleted streams (Streams.Tombstone): reads and appends are StreamDeleted from then on. */
  readonly tombstoned = new Set<string>();

  currentRevision(stream: string): number {
    const list = this.#streams.get(stream);
    return list ? list.length - 1 : -1;
  }

  onAppend(listener: () => void): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  /**
   * IndexWriter.CheckCommit (src/EventStore.Core/Services/Storage/ReaderIndex/IndexWriter.cs):
   * - `any` / `stream_exists`: ids looked up in the committed-events cache; all found in this
   *   stream → idempotent; the first not found → written (later ones not found → corrupted
   *   idempotency, answered as wrong expected version); ids are never checked otherwise;
   * - an exact revision (or `no_stream`, which is -1) behind the stream: checked positionally, the
   *   events after it must carry the same ids → idempotent, else wrong expected version;
   * - an exact revision equal to the stream's: written, with no id check at all (so a reused id
   *   is written again);
   * - ahead of the stream: wrong expected version.
   */
  write(stream: string, expected: Expected, events: Array<Omit<StoredEvent, 'stream' | 'revision' | 'commit' | 'prepare'>>): WriteOutcome {
    const current = this.currentRevision(stream);
    const ids = events.map((e) => e.id);
    if (expected.kind === 'stream_exists' && current < 0) return { kind: 'wrong', current };
    if (expected.kind === 'any' || expected.kind === 'stream_exists') {
      const found = ids.map((id) => this.#committed.get(id));
      if (found.length > 0 && found.every((f) => f !== undefined && f.stream === stream)) {
        return { kind: 'idempotent', last: this.events[found[found.length - 1]!.index]! };
      }
      if (found[0] !== undefined && found[0].stream === stream) return { kind: 'wrong', current }; // corrupted idempotency
      return this.#commit(stream, events);
    }
    const want = expected.kind === 'no_stream' ? -1 : expected.revision;
    if (want < current) {
      const list = this.#streams.get(stream)!;
      for (let i = 0; i < ids.length; i++) {
        const at = list[want + 1 + i];
        if (at === undefined || this.events[at]!.id !== ids[i]) return { kind: 'wrong', current };
      }
      return { kind: 'idempotent', last: this.events[list[want + ids.length]!]! };
    }
    if (want > current) return { kind: 'wrong', current };
    return this.#commit(stream, events);
  }

  /** Appends behind every check: a system event ($-stream, $-type), as the server's own subsystems write them. */
  appendSystem(count: number): void {
    for (let i = 0; i < count; i++) {
      const data = Buffer.from(JSON.stringify({ node: 'test', collected: i }));
      this.#commit('$stats-127.0.0.1:2113', [{ id: crypto.randomUUID(), type: '$statsCollected', contentType: 'application/json', data, metadata: new Uint8Array() }]);
    }
  }

  #commit(stream: string, events: Array<Omit<StoredEvent, 'stream' | 'revision' | 'commit' | 'prepare'>>): WriteOutcome {
    let list = this.#streams.get(stream);
    if (!list) this.#streams.set(stream, (list = []));
    let last: StoredEvent | undefined;
    for (const e of events) {
      // A log position is a byte offset in the transaction file: it grows with the record's size.
      const position = this.#nextPosition;
      this.#nextPosition += 128n + BigInt(e.data.length + e.metadata.length);
      last = { ...e, stream, revision: list.length, commit: position, prepare: position };
      const index = this.events.push(last) - 1;
      list.push(index);
      this.#committed.set(e.id, { stream, revision: last.revision, index });
    }
    for (const listener of this.#listeners) listener();
    return { kind: 'written', last: last! };
  }
}

export interface EsdbTestNodeOptions {
  log?: EsdbTestLog;
  /** ClusterVNodeOptions.MaxAppendSize: 1 MiB by default, counting data bytes (Event.SizeOnDisk). */
  maxAppendSize?: number;
  /** HTTP/2 SETTINGS_MAX_CONCURRENT_STREAMS; Kestrel's default is 100 per connection. */
  maxConcurrentStreams?: number;
  /** Whether GetSupportedMethods lists BatchAppend (every 21.10+ server does). */
  batchAppend?: boolean;
  role?: 'leader' | 'follower';
}

/** One node of a test cluster (or a single-node server). */
export class EsdbTestNode {
  readonly log: EsdbTestLog;
  role: 'leader' | 'follower';
  /** The members gossip reports, when this node is one of a test cluster. */
  cluster: EsdbTestNode[] | undefined;
  /** Where NotLeader points the client (RpcExceptions.LeaderInfo). */
  leader: { host: string; port: number } | undefined;
  /** How many of the log's newest events a follower has not replicated yet. */
  lag = 0;
  readonly #server = new grpc.Server({ 'grpc.max_concurrent_streams': 100 });
  readonly #options: Required<Omit<EsdbTestNodeOptions, 'log' | 'role'>>;
  #port = 0;
  #appendFaults: Fault[] = [];
  #readFaults: Fault[] = [];
  readonly #idle: Array<() => void> = [];
  /** The node's user may not read $all (the `$all` stream's ACL): such reads are PermissionDenied (RpcExceptions.AccessDenied). */
  denyAll = false;
  /** Reads are accepted and never answered, as from a node stuck in a long GC or a half-open connection. */
  stallReads = false;
  /** Read calls the server is serving now, and the most at once. */
  openReads = 0;
  maxOpenReads = 0;
  reads = 0;
  appends = 0;
  /** BatchAppend calls opened (the client keeps one open per connection). */
  batchAppendCalls = 0;

  constructor(options: EsdbTestNodeOptions = {}) {
    this.log = options.log ?? new EsdbTestLog();
    this.role = options.role ?? 'leader';
    this.#options = { maxAppendSize: options.maxAppendSize ?? 1024 * 1024, maxConcurrentStreams: options.maxConcurrentStreams ?? 100, batchAppend: options.batchAppend ?? true };
    this.#server = new grpc.Server({ 'grpc.max_concurrent_streams': this.#options.maxConcurrentStreams });
    this.#server.addService(streamsGrpc.StreamsService, {
      read: (call: grpc.ServerWritableStream<any, any>) => void this.#read(call),
      append: (call: grpc.ServerReadableStream<any, any>, callback: grpc.sendUnaryData<any>) => void this.#append(call, callback),
      batchAppend: (call: grpc.ServerDuplexStream<any, any>) => this.#batchAppend(call),
    });
    // Gossip.Read (GossipService, cluster discovery): every member with its state, as the cluster sees it.
    this.#server.addService(gossipGrpc.GossipService, {
      read: (_call: unknown, callback: grpc.sendUnaryData<any>) => {
        const info = new gossipPb.ClusterInfo();
        info.setMembersList(
          (this.cluster ?? [this]).map((member, i) => {
            const m = new gossipPb.MemberInfo();
            const id = new shared.UUID();
            id.setString(`00000000-0000-4000-8000-${String(i + 1).padStart(12, '0')}`);
            m.setInstanceId(id);
            m.setTimeStamp(String(Date.now()));
            m.setState(member.role === 'leader' ? 8 : 6);
            m.setIsAlive(true);
            const endpoint = new gossipPb.EndPoint();
            endpoint.setAddress('127.0.0.1');
            endpoint.setPort(member.port);
            m.setHttpEndPoint(endpoint);
            return m;
          }),
        );
        callback(null, info);
      },
    });
    this.#server.addService(featuresGrpc.ServerFeaturesService, {
      getSupportedMethods: (_call: unknown, callback: grpc.sendUnaryData<any>) => {
        const methods = ['read', 'append', ...(this.#options.batchAppend ? ['batchappend'] : [])].map((name) => {
          const m = new featuresPb.SupportedMethod();
          m.setServiceName('event_store.client.streams.streams');
          m.setMethodName(name);
          return m;
        });
        const out = new featuresPb.SupportedMethods();
        out.setMethodsList(methods);
        out.setEventStoreServerVersion('24.10.0');
        callback(null, out);
      },
    });
  }

  async start(port = 0): Promise<number> {
    this.#port = await new Promise<number>((resolve, reject) =>
      this.#server.bindAsync(`127.0.0.1:${port}`, grpc.ServerCredentials.createInsecure(), (error, bound) => (error ? reject(error) : resolve(bound))),
    );
    return this.#port;
  }

  get port(): number {
    return this.#port;
  }

  /** A connection string for this node alone. */
  get url(): string {
    return `esdb://127.0.0.1:${this.#port}?tls=false`;
  }

  /** The next `count` appends (or reads) fail with `fault`. */
  failAppends(fault: Fault, count = 1): void {
    for (let i = 0; i < count; i++) this.#appendFaults.push(fault);
  }

  failReads(fault: Fault, count = 1): void {
    for (let i = 0; i < count; i++) this.#readFaults.push(fault);
  }

  /** Resolves once the server serves no read call at all (every one ended or was cancelled by its client). */
  whenNoReads(): Promise<void> {
    if (this.openReads === 0) return Promise.resolve();
    return new Promise((resolve) => this.#idle.push(resolve));
  }

  async stop(): Promise<void> {
    this.#server.forceShutdown();
  }

  /** Events this node can serve: a follower has not replicated the last `lag` yet. */
  #visible(requiresLeader: boolean): number {
    return this.role === 'follower' && !requiresLeader ? Math.max(0, this.log.events.length - this.lag) : this.log.events.length;
  }

  /** RpcExceptions.LeaderInfo: NotFound with the leader's endpoint in the trailers. */
  #notLeader(): grpc.ServiceError {
    const metadata = new grpc.Metadata();
    metadata.set('exception', 'not-leader');
    metadata.set('leader-endpoint-host', this.leader?.host ?? '127.0.0.1');
    metadata.set('leader-endpoint-port', String(this.leader?.port ?? this.#port));
    return Object.assign(new Error('Leader info available'), { code: grpc.status.NOT_FOUND, details: 'Leader info available', metadata });
  }

  /** RpcExceptions.ServerNotReady / ServerBusy / Timeout. */
  #faultError(fault: Fault): grpc.ServiceError {
    const [code, details] =
      fault === 'not_ready' ? [grpc.status.UNAVAILABLE, 'Server Is Not Ready'] : fault === 'busy' ? [grpc.status.UNAVAILABLE, 'Server Is Too Busy'] : [grpc.status.ABORTED, 'Operation timed out: Commit timed out.'];
    return Object.assign(new Error(details), { code, details, metadata: new grpc.Metadata() });
  }

  /** Streams.Read.cs: one enumerator per request shape; a follower needs the leader when asked (requires-leader header). */
  async #read(call: grpc.ServerWritableStream<any, any>): Promise<void> {
    this.reads += 1;
    this.openReads += 1;
    this.maxOpenReads = Math.max(this.maxOpenReads, this.openReads);
    let cancelled = false;
    let stopLive: (() => void) | undefined;
    let wake: (() => void) | undefined;
    call.on('cancelled', () => {
      cancelled = true;
      stopLive?.();
      wake?.();
    });
    try {
      const requiresLeader = call.metadata.get('requires-leader')[0] === 'true';
      if (this.role === 'follower' && requiresLeader) {
        call.emit('error', this.#notLeader());
        return;
      }
      const fault = this.#readFaults.shift();
      if (fault) {
        call.emit('error', this.#faultError(fault));
        return;
      }
      const options = call.request.getOptions();
      if (this.denyAll && options.hasAll()) {
        const metadata = new grpc.Metadata();
        metadata.set('exception', 'access-denied');
        call.emit('error', Object.assign(new Error('Access Denied'), { code: grpc.status.PERMISSION_DENIED, details: 'Access Denied', metadata }));
        return;
      }
      if (this.stallReads) {
        await once(call, 'cancelled');
        return;
      }
      const send = async (resp: unknown) => {
        // Flow control: the server waits for the client to read (HTTP/2 windows), it does not buffer without end.
        if (call.write(resp)) return;
        const done = new AbortController();
        await Promise.race([once(call, 'drain', { signal: done.signal }), once(call, 'cancelled', { signal: done.signal })]).finally(() => done.abort());
      };
      const count = options.hasCount() ? BigInt(options.getCount()) : undefined;
      if (options.hasStream()) {
        const s = options.getStream();
        const stream = Buffer.from(s.getStreamIdentifier().getStreamName_asU8()).toString('utf8');
        if (this.log.tombstoned.has(stream)) {
          call.emit('error', streamDeleted(stream));
          return;
        }
        const events = this.log.streamEvents(stream, this.#visible(requiresLeader));
        if (events.length === 0) {
          // ReadResponse.StreamNotFound → ReadResp.StreamNotFound (Streams.Read.cs).
          const nf = new pb.ReadResp.StreamNotFound();
          nf.setStreamIdentifier(s.getStreamIdentifier());
          const resp = new pb.ReadResp();
          resp.setStreamNotFound(nf);
          await send(resp);
          call.end();
          return;
        }
        const backwards = options.getReadDirection() === 1;
        const from = s.hasStart() ? (backwards ? -1 : 0) : s.hasEnd() ? (backwards ? events.length - 1 : events.length) : Number(s.getRevision());
        const picked = backwards ? events.filter((e) => e.revision <= from).reverse() : events.filter((e) => e.revision >= from);
        let sent = 0n;
        for (const e of picked) {
          if (cancelled || (count !== undefined && sent >= count)) break;
          await send(readEvent(e, false));
          sent += 1n;
        }
        call.end();
        return;
      }
      // $all: system events are in it; a position is inclusive forwards and exclusive backwards
      // (Enumerator.ReadAllForwards / ReadAllBackwards); `count` counts every event read, matching
      // the filter or not, unless the read is filtered (ReadAllForwardsFiltered counts matches).
      const all = options.getAll();
      const filter = options.hasFilter() ? eventFilter(options.getFilter()) : undefined;
      const visible = this.log.events.slice(0, this.#visible(requiresLeader));
      const at = (e: StoredEvent) => [e.commit, e.prepare] as const;
      const cmp = (a: readonly [bigint, bigint], b: readonly [bigint, bigint]) => (a[0] === b[0] ? (a[1] < b[1] ? -1 : a[1] > b[1] ? 1 : 0) : a[0] < b[0] ? -1 : 1);
      const position = all.hasPosition() ? ([BigInt(all.getPosition().getCommitPosition()), BigInt(all.getPosition().getPreparePosition())] as const) : undefined;
      if (options.hasSubscription()) {
        // Subscriptions start after the position (Enumerator.AllSubscription): confirmation, catch-up, CaughtUp, then live.
        const confirmation = new pb.ReadResp.SubscriptionConfirmation();
        confirmation.setSubscriptionId(crypto.randomUUID());
        const first = new pb.ReadResp();
        first.setConfirmation(confirmation);
        await send(first);
        let next = all.hasEnd() ? this.log.events.length : position ? visible.findIndex((e) => cmp(at(e), position) > 0) : 0;
        if (next < 0) next = this.log.events.length;
        let caughtUp = false;
        stopLive = this.log.onAppend(() => wake?.());
        while (!cancelled) {
          while (next < this.log.events.length && !cancelled) {
            const e = this.log.events[next++]!;
            if (!filter || filter(e)) await send(readEvent(e, true));
          }
          if (!caughtUp) {
            caughtUp = true;
            const resp = new pb.ReadResp();
            resp.setCaughtUp(new pb.ReadResp.CaughtUp());
            await send(resp);
          }
          if (cancelled) break;
          await new Promise<void>((resolve) => (wake = resolve));
        }
        return;
      }
      const backwards = options.getReadDirection() === 1;
      const picked = backwards
        ? visible.filter((e) => !position || cmp(at(e), position) < 0).reverse()
        : visible.filter((e) => !position || cmp(at(e), position) >= 0);
      let sent = 0n;
      for (const e of all.hasEnd() && !backwards ? [] : picked) {
        if (cancelled || (count !== undefined && sent >= count)) break;
        if (filter && !filter(e)) continue;
        await send(readEvent(e, true));
        sent += 1n;
      }
      call.end();
    } catch (error) {
      if (!cancelled) call.emit('error', error as Error);
    } finally {
      stopLive?.();
      this.openReads -= 1;
      if (this.openReads === 0) for (const resolve of this.#idle.splice(0)) resolve();
    }
  }

  /** Streams.Append.cs: options, then proposed messages; the size checked as they arrive. */
  async #append(call: grpc.ServerReadableStream<any, any>, callback: grpc.sendUnaryData<any>): Promise<void> {
    this.appends += 1;
    let options: any;
    const proposed: any[] = [];
    let size = 0;
    let failed = false;
    call.on('data', (req: any) => {
      if (failed) return;
      if (req.hasOptions()) options = req.getOptions();
      else {
        const m = req.getProposedMessage();
        // Event.SizeOnDisk as written: `data?.Length ?? 0 + metadata?.Length ?? 0 + …` binds as the data's length alone.
        size += m.getData_asU8().length;
        if (size > this.#options.maxAppendSize) {
          failed = true;
          const metadata = new grpc.Metadata();
          metadata.set('exception', 'maximum-append-size-exceeded');
          metadata.set('maximum-append-size', String(this.#options.maxAppendSize));
          callback(Object.assign(new Error(`Maximum Append Size of ${this.#options.maxAppendSize} Exceeded.`), { code: grpc.status.INVALID_ARGUMENT, details: `Maximum Append Size of ${this.#options.maxAppendSize} Exceeded.`, metadata }));
          return;
        }
        proposed.push(m);
      }
    });
    await once(call, 'end').catch(() => undefined);
    if (failed) return;
    const requiresLeader = call.metadata.get('requires-leader')[0] === 'true';
    // Writes always go to the leader; a follower forwards them unless the client asked for the leader itself.
    if (this.role === 'follower' && requiresLeader) return callback(this.#notLeader());
    const stream = Buffer.from(options.getStreamIdentifier().getStreamName_asU8()).toString('utf8');
    const expected: Expected = options.hasRevision() ? { kind: 'revision', revision: Number(options.getRevision()) } : options.hasNoStream() ? { kind: 'no_stream' } : options.hasStreamExists() ? { kind: 'stream_exists' } : { kind: 'any' };
    const events = proposed.map(toIncoming);
    if (events.some((e) => e.id === NIL_UUID)) {
      // Event's constructor: ArgumentException("Empty eventId provided.") → an unhandled exception in the handler.
      return callback(Object.assign(new Error('Exception was thrown by handler.'), { code: grpc.status.UNKNOWN, details: 'Exception was thrown by handler.', metadata: new grpc.Metadata() }));
    }
    if (this.log.tombstoned.has(stream)) return callback(streamDeleted(stream));
    const fault = this.#appendFaults.shift();
    if (fault === 'not_ready' || fault === 'busy' || fault === 'timeout_lost') return callback(this.#faultError(fault));
    const outcome = this.log.write(stream, expected, events);
    if (fault === 'timeout_committed') return callback(this.#faultError(fault));
    callback(null, appendResp(outcome, expected));
  }

  /** Streams.BatchAppend.cs: one bidirectional call carries many appends, each answered by correlation id. */
  #batchAppend(call: grpc.ServerDuplexStream<any, any>): void {
    this.batchAppendCalls += 1;
    const pending = new Map<string, { stream: any; expected: Expected; events: any[]; size: number }>();
    call.on('data', (req: any) => {
      const correlation = req.getCorrelationId();
      const key = correlation.getString();
      const o = req.getOptions();
      if (o) {
        const expected: Expected = o.hasStreamPosition() ? { kind: 'revision', revision: Number(o.getStreamPosition()) } : o.hasNoStream() ? { kind: 'no_stream' } : o.hasStreamExists() ? { kind: 'stream_exists' } : { kind: 'any' };
        pending.set(key, { stream: o.getStreamIdentifier(), expected, events: [], size: 0 });
      }
      const write = pending.get(key);
      if (!write) return;
      for (const m of req.getProposedMessagesList()) {
        write.events.push(m);
        write.size += m.getData_asU8().length;
      }
      const resp = new pb.BatchAppendResp();
      resp.setCorrelationId(correlation);
      resp.setStreamIdentifier(write.stream);
      if (write.size > this.#options.maxAppendSize) {
        pending.delete(key);
        const detail = new shared.MaximumAppendSizeExceeded();
        detail.setMaxappendsize(this.#options.maxAppendSize);
        resp.setError(rpcStatus(3, 'MaximumAppendSizeExceeded', detail, 'event_store.client.MaximumAppendSizeExceeded'));
        call.write(resp);
        return;
      }
      if (!req.getIsFinal()) return;
      pending.delete(key);
      this.appends += 1;
      if (this.role === 'follower' && call.metadata.get('requires-leader')[0] === 'true') {
        // NotHandled(NotLeader) with leader info throws out of the whole call (Streams.BatchAppend.cs ConvertMessage).
        call.emit('error', this.#notLeader());
        return;
      }
      const stream = Buffer.from(write.stream.getStreamName_asU8()).toString('utf8');
      const events = write.events.map(toIncoming);
      if (this.log.tombstoned.has(stream)) {
        const detail = new shared.StreamDeleted();
        detail.setStreamIdentifier(write.stream);
        resp.setError(rpcStatus(5, 'StreamDeleted', detail, 'event_store.client.StreamDeleted'));
        call.write(resp);
        return;
      }
      const fault = this.#appendFaults.shift();
      if (fault === 'not_ready' || fault === 'busy') {
        // NotHandled: Details = Any.Pack(new Empty()), no code, the reason only in the message.
        resp.setError(rpcStatus(0, fault === 'not_ready' ? 'Server Is Not Ready' : 'Server Is Busy', new emptyPb.Empty(), 'google.protobuf.Empty'));
        call.write(resp);
        return;
      }
      if (fault === 'timeout_lost') {
        resp.setError(rpcStatus(4, 'Timeout', new shared.Timeout(), 'event_store.client.Timeout'));
        call.write(resp);
        return;
      }
      const outcome = this.log.write(stream, write.expected, events);
      if (fault === 'timeout_committed') {
        resp.setError(rpcStatus(4, 'Timeout', new shared.Timeout(), 'event_store.client.Timeout'));
      } else if (outcome.kind === 'wrong') {
        const detail = new shared.WrongExpectedVersion();
        if (outcome.current < 0) detail.setCurrentNoStream(new emptyPb.Empty());
        else detail.setCurrentStreamRevision(String(outcome.current));
        if (write.expected.kind === 'revision') detail.setExpectedStreamPosition(String(write.expected.revision));
        else if (write.expected.kind === 'no_stream') detail.setExpectedNoStream(new emptyPb.Empty());
        else if (write.expected.kind === 'stream_exists') detail.setExpectedStreamExists(new emptyPb.Empty());
        else detail.setExpectedAny(new emptyPb.Empty());
        resp.setError(rpcStatus(6, 'WrongExpectedVersion', detail, 'event_store.client.WrongExpectedVersion'));
      } else {
        const success = new pb.BatchAppendResp.Success();
        success.setCurrentRevision(String(outcome.last.revision));
        const position = new shared.AllStreamPosition();
        position.setCommitPosition(String(outcome.last.commit));
        position.setPreparePosition(String(outcome.last.prepare));
        success.setPosition(position);
        resp.setSuccess(success);
      }
      call.write(resp);
    });
    call.on('end', () => call.end());
    call.on('error', () => undefined);
  }
}

/** RpcExceptions.StreamDeleted: FailedPrecondition with the stream in the trailers. */
function streamDeleted(stream: string): grpc.ServiceError {
  const metadata = new grpc.Metadata();
  metadata.set('exception', 'stream-deleted');
  metadata.set('stream-name', stream);
  return Object.assign(new Error(`Event stream '${stream}' is deleted.`), { code: grpc.status.FAILED_PRECONDITION, details: `Event stream '${stream}' is deleted.`, metadata });
}

function toIncoming(m: any): Omit<StoredEvent, 'stream' | 'revision' | 'commit' | 'prepare'> {
  const id = m.getId();
  const metadata = m.getMetadataMap();
  return {
    id: (id.hasString() ? id.getString() : NIL_UUID).toLowerCase(),
    type: metadata.get('type'),
    contentType: metadata.get('content-type'),
    data: m.getData_asU8(),
    metadata: m.getCustomMetadata_asU8(),
  };
}

function readEvent(e: StoredEvent, withPosition: boolean): unknown {
  const rec = new pb.ReadResp.ReadEvent.RecordedEvent();
  const uuid = new shared.UUID();
  uuid.setString(e.id);
  rec.setId(uuid);
  const sid = new shared.StreamIdentifier();
  sid.setStreamName(Buffer.from(e.stream, 'utf8'));
  rec.setStreamIdentifier(sid);
  rec.setStreamRevision(String(e.revision));
  rec.setPreparePosition(String(e.prepare));
  rec.setCommitPosition(String(e.commit));
  rec.getMetadataMap().set('type', e.type).set('content-type', e.contentType).set('created', '0');
  rec.setCustomMetadata(e.metadata);
  rec.setData(e.data);
  const read = new pb.ReadResp.ReadEvent();
  read.setEvent(rec);
  if (withPosition) read.setCommitPosition(String(e.commit));
  else read.setNoPosition(new shared.Empty());
  const resp = new pb.ReadResp();
  resp.setEvent(read);
  return resp;
}

function appendResp(outcome: WriteOutcome, expected: Expected): unknown {
  const resp = new pb.AppendResp();
  if (outcome.kind === 'wrong') {
    const wrong = new pb.AppendResp.WrongExpectedVersion();
    if (outcome.current < 0) wrong.setCurrentNoStream(new shared.Empty());
    else wrong.setCurrentRevision(String(outcome.current));
    if (expected.kind === 'revision') wrong.setExpectedRevision(String(expected.revision));
    else if (expected.kind === 'no_stream') wrong.setExpectedNoStream(new shared.Empty());
    else if (expected.kind === 'stream_exists') wrong.setExpectedStreamExists(new shared.Empty());
    else wrong.setExpectedAny(new shared.Empty());
    resp.setWrongExpectedVersion(wrong);
    return resp;
  }
  const success = new pb.AppendResp.Success();
  success.setCurrentRevision(String(outcome.last.revision));
  const position = new pb.AppendResp.Position();
  position.setCommitPosition(String(outcome.last.commit));
  position.setPreparePosition(String(outcome.last.prepare));
  success.setPosition(position);
  resp.setSuccess(success);
  return resp;
}

/** google.rpc.Status with its details packed as the server packs them (Status.cs). */
function rpcStatus(code: number, message: string, detail: { serializeBinary(): Uint8Array }, typeName: string): unknown {
  const status = new statusPb.Status();
  status.setCode(code);
  status.setMessage(message);
  const any = new anyPb.Any();
  any.pack(detail.serializeBinary(), typeName);
  status.setDetails(any);
  return status;
}

/** The read filter (ConvertToEventFilter): a regex or prefixes on the stream name or the event type. */
function eventFilter(options: any): (e: StoredEvent) => boolean {
  const onStream = options.hasStreamIdentifier();
  const expression = onStream ? options.getStreamIdentifier() : options.getEventType();
  const prefixes: string[] = expression.getPrefixList();
  const regex = expression.getRegex() ? new RegExp(expression.getRegex()) : undefined;
  return (e) => {
    const subject = onStream ? e.stream : e.type;
    if (prefixes.length > 0) return prefixes.some((p) => subject.startsWith(p));
    return regex ? regex.test(subject) : true;
  };
}

/** Three nodes on one log: one leader, two followers; `failover()` elects another leader. */
export class EsdbTestCluster {
  readonly log = new EsdbTestLog();
  readonly nodes = [0, 1, 2].map((i) => new EsdbTestNode({ log: this.log, role: i === 0 ? 'leader' : 'follower' }));

  async start(): Promise<void> {
    for (const node of this.nodes) {
      await node.start();
      node.cluster = this.nodes;
    }
    this.#point();
  }

  get leader(): EsdbTestNode {
    return this.nodes.find((n) => n.role === 'leader')!;
  }

  /** Every node listed, leader preferred: the connection string README gives a city. */
  get url(): string {
    return `esdb://${this.nodes.map((n) => `127.0.0.1:${n.port}`).join(',')}?tls=false&nodePreference=leader`;
  }

  /** The leader steps down and the next node leads; the old leader is a follower `lag` events behind. */
  failover(lag = 0): EsdbTestNode {
    const old = this.leader;
    const next = this.nodes[(this.nodes.indexOf(old) + 1) % this.nodes.length]!;
    old.role = 'follower';
    old.lag = lag;
    next.role = 'leader';
    next.lag = 0;
    this.#point();
    return next;
  }

  #point(): void {
    for (const node of this.nodes) node.leader = { host: '127.0.0.1', port: this.leader.port };
  }

  async stop(): Promise<void> {
    await Promise.all(this.nodes.map((n) => n.stop()));
  }
}
