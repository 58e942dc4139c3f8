import { auditDecider, unitOfStream } from '../../domain/audit.js';
import { DomainError } from '../../domain/errors.js';
import { streams, type EventData } from '../../domain/events.js';
import { SealTree, type Head } from '../../infra/audit/merkle.js';
import type { SealSigner } from '../../infra/audit/signing.js';
import { logPages } from '../../infra/eventstore/pages.js';
import { ConcurrencyError, type EventStore } from '../../infra/eventstore/types.js';
import type { Logger } from '../../infra/logging.js';
import { execute, type CommandContext } from '../commands/execute.js';

export interface SealOutcome {
  written: boolean;
  /** Why nothing was written: nothing changed, another node sealed first, or the log is known broken (`holdWhileBroken`). */
  reason?: 'nothing_changed' | 'sealed_elsewhere' | 'empty_log' | 'log_broken';
  seal?: EventData<'AuditSealed'>;
  position?: string;
}

type SealedHead = { unit: string | null; revision: number; hash: string };

const headsOf = (heads: ReadonlyMap<string, SealedHead>): Head[] => Array.from(heads, ([stream, h]) => ({ stream, revision: h.revision, hash: h.hash }));

/**
 * Writes seals (SPEC §8): `AuditSealed {upTo, streams, root, previousSeal, heads}` in stream
 * `audit`, the heads of the streams that changed since the previous seal and the RFC 6962 root
 * over every stream's head, signed when a key is configured. The heads of earlier seals are folded
 * from the `audit` stream (kept in memory between seals), so a seal reads only the log written
 * since the last one. A seal is appended at the revision of `audit` read: of several nodes sealing
 * at once one writes it.
 */
export class Sealer {
  #folded = new Map<string, SealedHead>();
  #auditRevision = -1;
  #last: { upTo: string; root: string } | undefined;
  /**
   * Every stream's head as of `revision` of the `audit` stream, in tree order with its leaf: a
   * seal then merges in what changed and hashes in slices (SealTree) instead of sorting and
   * hashing a province's ~220,000 heads at once, which held the event loop ~2 s.
   */
  #tree: { revision: number; tree: SealTree } | undefined;

  constructor(
    private readonly store: EventStore,
    private readonly logger: Logger,
    private readonly options: {
      signer?: SealSigner | undefined;
      everyMs?: number;
      now?: () => Date;
      /**
       * True while the node's last verification of the log found it changed behind its back
       * (services/audit/integrity.ts): no seal is written then. A seal — signed with the office's
       * key — over a log known to be tampered with would vouch for what was left, and the village
       * notice prints the latest seal as the anchor to check against (found by a newcomer: the
       * shutdown sealed the tampered log). The seals before the change still expose it; what is
       * written meanwhile stays unsealed until the log is restored and checked again.
       */
      holdWhileBroken?: () => boolean;
    } = {},
  ) {}

  get signed(): boolean {
    return this.options.signer !== undefined;
  }

  async #foldSeals(): Promise<void> {
    const events = await this.store.readStream(streams.audit, { from: this.#auditRevision + 1 });
    for (const event of events) {
      const data = event.data as EventData<'AuditSealed'>;
      for (const h of data.heads ?? []) this.#folded.set(h.stream, { unit: h.unit, revision: h.revision, hash: h.hash });
      this.#last = { upTo: data.upTo, root: data.root };
      this.#auditRevision = event.revision;
    }
  }

  /**
   * Seals the log as it stands. `periodic`: the hourly seal, which another node's recent seal makes
   * unnecessary. Never throws for a seal another node wrote first; throws when the store fails.
   */
  async seal(options: { periodic?: boolean } = {}): Promise<SealOutcome> {
    if (this.options.holdWhileBroken?.()) {
      this.logger.warn('日志校验未通过：恢复并重新校验之前不再封存 / the log failed verification: no seal until it is restored and verified again');
      return { written: false, reason: 'log_broken' };
    }
    const head = await this.store.headPosition();
    if (head === undefined) return { written: false, reason: 'empty_log' };
    // A seal names the heads that changed since the last one, and a store takes so much in one
    // append (EventStoreDB: 1 MiB by default): more changes than fit are sealed in consecutive
    // seals, each vouching for the log up to its own `upTo`.
    let outcome = await this.#sealOnce(head, options.periodic === true);
    for (let more = outcome; more.written && more.partial; ) {
      more = await this.#sealOnce(head, false);
      if (more.written) outcome = more;
    }
    return outcome;
  }

  async #sealOnce(head: string, periodic: boolean): Promise<SealOutcome & { partial?: boolean }> {
    await this.#foldSeals();
    const budget = this.store.guarantees.maxAppendBytes * 0.8;
    let bytes = 0;
    let partial = false;
    const changed = new Map<string, SealedHead>();
    let upTo: string | undefined;
    pages: for await (const page of logPages(this.store, this.#last?.upTo)) {
      for (const event of page) {
        if (event.position > head) break pages;
        if (event.stream !== streams.audit && !changed.has(event.stream)) {
          // A head in the seal's JSON: the stream's name, its unit, revision and hash.
          const size = event.stream.length + 140;
          if (bytes + size > budget && changed.size > 0) {
            partial = true;
            break pages;
          }
          bytes += size;
        }
        upTo = event.position;
        if (event.stream === streams.audit) continue;
        const known = changed.get(event.stream) ?? this.#folded.get(event.stream);
        let unit = known?.unit;
        if (unit === undefined) {
          const first = event.revision === 0 ? event : (await this.store.readStream(event.stream, { max: 1 }))[0];
          unit = unitOfStream(event.stream, first?.data);
        }
        changed.set(event.stream, { unit, revision: event.revision, hash: event.metadata.hash });
      }
    }
    if (changed.size === 0 || upTo === undefined) return { written: false, reason: 'nothing_changed' };
    // The heads folded from the seals read (rebuilt when another node sealed since, or at the first seal), then this seal's.
    const base = this.#tree?.revision === this.#auditRevision ? this.#tree.tree : await SealTree.of(headsOf(this.#folded));
    const tree = await base.with(headsOf(changed));
    const unsigned: EventData<'AuditSealed'> = {
      upTo,
      streams: tree.size,
      root: await tree.root(),
      previousSeal: this.#last?.root ?? null,
      heads: [...changed].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)).map(([stream, h]) => ({ stream, unit: h.unit, revision: h.revision, hash: h.hash })),
      ...(this.options.signer ? { keyId: this.options.signer.keyId } : {}),
    };
    const seal = this.options.signer ? { ...unsigned, signature: this.options.signer.sign(unsigned as unknown as Record<string, unknown>) } : unsigned;
    const now = (this.options.now ?? (() => new Date()))().toISOString();
    const context: CommandContext = { actor: { id: 'zhitong-audit', role: 'system' }, correlationId: `seal-${upTo}`, now };
    try {
      const result = await execute(
        this.store,
        streams.audit,
        auditDecider,
        { type: 'SealLog', data: seal, ...(periodic && this.options.everyMs !== undefined ? { everyMs: this.options.everyMs } : {}), now },
        context,
      );
      this.#tree = { revision: result.revision, tree };
      this.logger.info({ upTo, streams: seal.streams, changed: changed.size, root: seal.root }, 'log sealed');
      return { written: true, seal, partial, ...(result.position ? { position: result.position } : {}) };
    } catch (error) {
      if (error instanceof ConcurrencyError || error instanceof DomainError) return { written: false, reason: 'sealed_elsewhere' };
      throw error;
    }
  }
}
