import type { KeyObject } from 'node:crypto';
import { placedWithin, placeOfEvent, positionForPeople, unitOfStream } from '../../domain/audit.js';
import { streams as streamNames } from '../../domain/events.js';
import { ancestry } from '../../domain/units.js';
import { GENESIS_HASH, recordedHashMatches } from '../eventstore/chain.js';
import type { RecordedEvent } from '../eventstore/types.js';
import { merkleRoot, rootFromProof, type Head } from './merkle.js';
import { verifySeal } from './signing.js';

/**
 * Verification of a log (SPEC §8), in one pass over its events in position order, the same for
 * the store (HTTP, `cli verify`) and for an export file (`cli verify --file`): every stream's hash
 * chain, the position sequence where it has no gaps (the embedded store, a whole export), each
 * seal's heads against the streams' heads as of its `upTo`, the seals' chain, signatures and the
 * latest root, and an anchor held elsewhere. The first thing wrong is named in words an auditor
 * understands: which stream, which revision or position, and what — edited, deleted, reordered,
 * tail removed, stream removed, seal edited.
 */

export type ProblemKind =
  | 'edited'
  | 'deleted'
  | 'reordered'
  | 'tail_removed'
  | 'stream_removed'
  | 'position_gap'
  | 'seal_edited'
  | 'seal_signature'
  | 'seal_chain'
  | 'anchor_mismatch'
  | 'anchor_unverifiable'
  | 'unplaceable'
  | 'not_sealed'
  | 'cut_short';

export interface AuditProblem {
  kind: ProblemKind;
  /** What an auditor reads, in Chinese (SPEC §9), and the same in English. */
  message: string;
  messageEn: string;
  stream?: string;
  /** The unit the stream belongs to (whose auditors must hear of it), when known. */
  unit?: string | null;
  revision?: number;
  position?: string;
  /** The seal that shows it, by its position. */
  seal?: string;
}

export interface SealSummary {
  position: string;
  upTo: string;
  root: string;
}

export interface VerifyReport {
  ok: boolean;
  streams: number;
  events: number;
  seals: { count: number; latest: SealSummary | null; signatures: 'checked' | 'not checked: no public key given' | 'none signed' };
  /** Events after the latest seal (or behind zhitong's back): not broken, just not yet sealed. */
  unsealed: { events: number; streams: number };
  anchor?: { position: string; root: string; matches: boolean };
  /**
   * An export of the log after a position (`export --after`): its events' hashes, each stream's
   * chain from its first event in the file, and the positions from the next one on were checked;
   * what came before, and so the seals, were not.
   */
  partial?: { after: string };
  firstProblem?: AuditProblem;
  /** At most MAX_PROBLEMS, in the order found. */
  problems: AuditProblem[];
}

export const MAX_PROBLEMS = 100;

export interface VerifyOptions {
  /** The `audit` stream's events, in revision order (read first, so each seal is checked as the pass reaches its `upTo`). */
  seals: readonly RecordedEvent[];
  /** Positions run 1, 2, 3… with no gap: the embedded store, or a whole-log export. */
  contiguous: boolean;
  /** The events may begin anywhere (an export `--after` a position); without it the first must be position 1. */
  startAnywhere?: boolean;
  /**
   * The file holds the log after this position only (`export --after`, which says so in its first
   * line): positions run on from the next one, a stream may begin mid-chain (its first event's
   * prevHash is taken as the chain so far), and seals, which vouch for the whole log, are not checked.
   */
  after?: string;
  publicKey?: { key: KeyObject; keyId: string };
  anchor?: { root: string; position: string };
  /** An auditor's scope: only streams and events of units for which this is true are counted and reported. */
  inScope?: (unit: string) => boolean;
  /**
   * An auditor's scoped export (`GET /audit/events`): its positions skip other scopes' events, and
   * the streams placed per event (the unit register, access) hold only this scope's revisions.
   * Implied by `proofs`; without them (nothing sealed yet) it is all that is known of the file.
   */
  scoped?: boolean;
  /**
   * A scoped export's proofs (SPEC §8): the latest seal and, for each stream of the scope it
   * records, the Merkle inclusion proof of its head — checked instead of the seal's heads, which
   * name streams of other scopes that are not in the file.
   */
  proofs?: SealProofs;
  /**
   * The file says in its first line that it is this scope's export, and its last line — the
   * seal's proofs, which every such export ends with — is missing: it was cut short on its way
   * (a dropped connection, a full disk). What is there is checked as the scope's; the streams'
   * tails and the seal cannot be.
   */
  cutShort?: { scope: string };
}

/** What a scoped export ends with: the latest seal, and an RFC 6962 inclusion proof per stream head in scope. */
export interface SealProofs {
  seal: RecordedEvent;
  /** Leaves in the seal's tree: every stream. */
  size: number;
  proofs: Array<{ stream: string; revision: number; hash: string; index: number; path: string[] }>;
}

/**
 * One stream as the pass has seen it so far. Its head is `next - 1` and `prevHash`, not an object
 * of its own: a fresh head per event outlived the young generation for every one of a province's
 * streams and was most of the pass's garbage collection.
 */
interface StreamState {
  stream: string;
  next: number;
  prevHash: string;
  unit: string | null | undefined;
  /** Revisions skipped so far: deleted, unless they turn up later (reordered). */
  missing: Set<number> | undefined;
  events: number;
  /** Any of its events belongs to the auditor's scope (the unit register and access: per event). */
  seen: boolean;
  /** Written since the last seal the pass checked (then in `#changed`): a flag, not a Set of names, one hash lookup fewer per event. */
  changed: boolean;
  /** The position of its head as a number, where positions run without gaps; else 0. */
  headAt: number;
}

/**
 * Events of one stream found missing — revisions `from`–`to`, which lay between positions `after`
 * and `before` — so that the gaps in the position sequence they left can be told as theirs.
 */
interface Deletion {
  stream: string;
  from: number;
  to: number;
  after: number;
  before: number;
  /** Found by the chain (revisions skipped, said at the end) or by a seal (a tail or a whole stream removed, said already). */
  by: 'chain' | 'seal';
  /** The problem the seal's check kept, to say where the removed events were; none when not this auditor's. */
  problem?: AuditProblem | undefined;
}

interface Seal {
  event: RecordedEvent;
  data: { upTo: string; streams: number; root: string; previousSeal: string | null; heads: Array<{ stream: string; unit: string | null; revision: number; hash: string }>; keyId?: string; signature?: string };
}

const headOf = (st: StreamState | undefined): Head | undefined => st && { stream: st.stream, revision: st.next - 1, hash: st.prevHash };

/** Ascending positions as a person reads them: `12、13、40`, a run of three or more as `12–15`; at most 20 runs, then `more`. */
function listPositions(positions: number[], separator: string, more: string): string {
  const runs: string[] = [];
  for (let i = 0; i < positions.length; ) {
    let j = i;
    while (j + 1 < positions.length && positions[j + 1] === positions[j]! + 1) j++;
    runs.push(j - i >= 2 ? `${positions[i]}–${positions[j]}` : j > i ? `${positions[i]}${separator}${positions[j]}` : `${positions[i]}`);
    i = j + 1;
  }
  return runs.length > 20 ? `${runs.slice(0, 20).join(separator)}${more}` : runs.join(separator);
}

const pad = (position: string) => (/^\d+$/.test(position) ? position.padStart(16, '0') : position);

export class LogVerifier {
  readonly #streams = new Map<string, StreamState>();
  readonly #problems: AuditProblem[] = [];
  #problemCount = 0;
  readonly #seals: Seal[];
  #nextSeal = 0;
  #previousRoot: string | null = null;
  readonly #sealedHeads = new Map<string, { unit: string | null; revision: number; hash: string }>();
  /** The streams written since the last seal boundary the pass crossed, in the order first written. */
  #changed: StreamState[] = [];
  #lastPosition: string | undefined;
  readonly #missingPositions = new Set<number>();
  #events = 0;
  #unsealedEvents = 0;
  readonly #unsealedStreams = new Set<string>();
  #anchorResult: VerifyReport['anchor'];
  readonly #sealedUnit = new Map<string, string | null>();
  /** Each unit's name as the register in the log gives it (latest wins): a problem says where, in words. */
  readonly #unitNames = new Map<string, string>();
  /** The position up to which some seal vouches for the log; events after it are unsealed. */
  readonly #sealedUpTo: string;
  #proofsChecked = false;
  readonly #deletions: Deletion[] = [];

  constructor(private readonly options: VerifyOptions) {
    this.#seals = options.seals.filter((e) => e.type === 'AuditSealed').map((event) => ({ event, data: event.data as Seal['data'] }));
    // A stream's unit as the (signed) seals record it: an auditor's scope never rests on an event
    // that could itself have been tampered with.
    for (const seal of this.#seals) for (const h of seal.data.heads ?? []) if (h.unit !== null) this.#sealedUnit.set(h.stream, h.unit);
    const upTos = [...this.#seals.map((seal) => pad(seal.data.upTo)), ...(options.proofs ? [pad((options.proofs.seal.data as Seal['data']).upTo)] : [])];
    this.#sealedUpTo = upTos.sort().at(-1) ?? '';
    if (options.cutShort) {
      const scope = options.cutShort.scope;
      this.#report(
        { kind: 'cut_short' },
        `文件不完整：这是辖区 ${scope} 的导出，却缺少每个这样的导出都有的最后一行（封存证明）——导出在传输中断了。下面只核验了文件里已有的部分；各流的结尾和封存无法核验。请重新导出`,
        `the file is incomplete: it is the export of ${scope}, but the last line every such export ends with (the seal's proofs) is missing — the export was cut short on its way. Only what the file holds was checked; the streams' tails and the seal could not be. Export it again`,
      );
    }
  }

  #inScope(unit: string | null | undefined): boolean {
    if (!this.options.inScope) return true;
    return typeof unit === 'string' && this.options.inScope(unit);
  }

  /** Counts a problem and keeps it while under MAX_PROBLEMS; returns what was kept, to be added to (`#placeDeletions`). */
  #report(problem: Omit<AuditProblem, 'message' | 'messageEn'>, zh: string, en: string): AuditProblem | undefined {
    // A problem in a stream of another scope is not this auditor's; one of no known unit is everyone's.
    if (problem.stream !== undefined && problem.unit !== undefined && problem.unit !== null && !this.#inScope(problem.unit)) return undefined;
    this.#problemCount += 1;
    if (this.#problems.length >= MAX_PROBLEMS) return undefined;
    const kept = { ...problem, message: zh, messageEn: en };
    this.#problems.push(kept);
    return kept;
  }

  /** Feeds the next event of the log (position order); `hashOk` when its hash was checked already (verify-reader.ts). */
  add(event: RecordedEvent, hashOk?: boolean): void {
    const position = pad(event.position);
    if (event.stream === streamNames.units) this.#noteUnitName(event);
    while (this.#nextSeal < this.#seals.length && position > pad(this.#seals[this.#nextSeal]!.data.upTo)) this.#checkSeal(this.#seals[this.#nextSeal++]!);
    if (this.options.anchor && !this.#anchorResult && position > pad(this.options.anchor.position)) this.#checkAnchor();
    if (this.options.proofs && !this.#proofsChecked && position > pad((this.options.proofs.seal.data as Seal['data']).upTo)) this.#checkProofs();
    // Only integer positions run without gaps (the embedded store's); EventStoreDB's are byte
    // offsets, and an export of such a log is checked by its chains and seals alone.
    const at = this.options.contiguous && /^\d+$/.test(event.position) ? Number(position) : -1;
    if (at >= 0) {
      const expected = this.#lastPosition === undefined ? (this.options.after !== undefined && /^\d+$/.test(this.options.after) ? Number(this.options.after) + 1 : this.options.startAnywhere ? at : 1) : Number(this.#lastPosition) + 1;
      if (at > expected) {
        // Missing, unless they turn up further on (two events swapped): settled at the end.
        for (let p = expected; p < at && this.#missingPositions.size < 1_000_000; p++) this.#missingPositions.add(p);
      } else if (at < expected) {
        const came = this.#missingPositions.delete(at);
        this.#report(
          { kind: 'reordered', position },
          came ? `位置 ${at} 的事件出现在位置 ${expected - 1} 之后：顺序被调换` : `位置 ${at} 出现了两次：被改动`,
          came ? `the event at position ${at} comes after position ${expected - 1}: reordered` : `position ${at} appears twice: altered`,
        );
      }
    }
    if (this.#lastPosition === undefined || position > this.#lastPosition) this.#lastPosition = position;
    this.#apply(event, position, Math.max(at, 0), hashOk);
  }

  #apply(event: RecordedEvent, position: string, at: number, checked: boolean | undefined): void {
    const stream = event.stream;
    let st = this.#streams.get(stream);
    const hash = event.metadata.hash;
    // Checked already and right, or checked here: the fast way, then in full (chain.ts).
    const hashOk = checked === true || (event.metadata.actor !== undefined && recordedHashMatches(event));
    if (!st) {
      const sealed = this.#sealedUnit.get(stream);
      const unit = sealed !== undefined ? sealed : event.revision === 0 && hashOk ? unitOfStream(stream, event.data) : undefined;
      // In an export after a position, a stream met mid-chain began before the file did.
      const midChain = this.options.after !== undefined && event.revision > 0;
      st = { stream, next: midChain ? event.revision : 0, prevHash: midChain ? event.metadata.prevHash : GENESIS_HASH, unit, missing: undefined, events: 0, seen: false, changed: false, headAt: 0 };
      this.#streams.set(stream, st);
      if (unit === undefined && !midChain && !(event.revision === 0 && hashOk) && this.#needsUnit(stream)) {
        this.#report(
          { kind: 'unplaceable', stream, unit: null, position },
          `${stream} 的首条事件缺失或被改动，无法确定它属于哪个单位，请所有审计员核查`,
          `${stream}: its first event is missing or altered, so the unit it belongs to cannot be known; every auditor should look at it`,
        );
      }
    }
    const unit = st.unit;
    const place = placeOfEvent(stream, event.type, event.data);
    const eventUnit = place === 'of-its-stream' ? unit : place.unit;
    const inScope = !this.options.inScope || placedWithin(place, unit, (u) => this.#inScope(u));
    if (inScope) {
      this.#events += 1;
      st.seen = true;
    }
    st.events += 1;
    const what = { stream, unit: eventUnit ?? unit ?? null, revision: event.revision, position };
    const isSeal = stream === streamNames.audit;

    if (event.revision === st.next) {
      if (hashOk && event.metadata.prevHash !== st.prevHash && st.next > 0) {
        this.#report(
          { ...what, kind: isSeal ? 'seal_edited' : 'edited', revision: event.revision - 1 },
          `${stream} 第 ${event.revision} 条事件（修订号 ${event.revision - 1}）被改动且重算了哈希：下一条事件记录的前一哈希与之不符`,
          `${stream} revision ${event.revision - 1} was changed and its hash recomputed: the next event's prevHash disagrees`,
        );
      }
    } else if (event.revision > st.next) {
      st.missing ??= new Set();
      for (let r = st.next; r < event.revision; r++) st.missing.add(r);
      if (at > 0) this.#deletions.push({ stream, from: st.next, to: event.revision - 1, after: st.headAt, before: at, by: 'chain' });
    } else if (st.missing?.delete(event.revision)) {
      this.#report(
        { ...what, kind: 'reordered' },
        `${stream} 第 ${event.revision + 1} 条事件（修订号 ${event.revision}，位置 ${positionForPeople(position)}）出现在后面的事件之后：顺序被调换`,
        `${stream} revision ${event.revision} (position ${positionForPeople(position)}) comes after later events: reordered`,
      );
    } else {
      this.#report({ ...what, kind: 'edited' }, `${stream} 第 ${event.revision + 1} 条事件（修订号 ${event.revision}）出现了两次（位置 ${positionForPeople(position)}）：被改动`, `${stream} revision ${event.revision} appears twice (position ${positionForPeople(position)}): altered`);
    }
    if (!hashOk) {
      this.#report(
        { ...what, kind: isSeal ? 'seal_edited' : 'edited' },
        isSeal ? `位置 ${positionForPeople(position)} 的封存被改动：哈希不符` : `${stream} 第 ${event.revision + 1} 条事件（修订号 ${event.revision}，位置 ${positionForPeople(position)}）被改动：内容与其哈希不符`,
        isSeal ? `the seal at position ${positionForPeople(position)} was edited: its hash does not match` : `${stream} revision ${event.revision} (position ${positionForPeople(position)}) was edited: its content does not match its hash`,
      );
    }
    if (event.revision >= st.next) {
      st.next = event.revision + 1;
      st.prevHash = hash;
      st.headAt = at;
    }
    if (!isSeal) {
      if (!st.changed) {
        st.changed = true;
        this.#changed.push(st);
      }
      if (inScope && position > this.#sealedUpTo) {
        this.#unsealedEvents += 1;
        this.#unsealedStreams.add(stream);
      }
    }
  }

  /** Streams whose events are placed by their stream (not per event, not of no unit). */
  #needsUnit(stream: string): boolean {
    return unitOfStream(stream, { village: 'x' }) !== null;
  }

  #checkSignature(seal: Seal): void {
    const { data, event } = seal;
    const at = { seal: event.position, position: event.position };
    if (this.options.publicKey) {
      const valid = data.signature !== undefined && data.keyId === this.options.publicKey.keyId && verifySeal(data as unknown as Record<string, unknown>, data.signature, this.options.publicKey.key);
      if (!valid) {
        this.#report(
          { kind: 'seal_signature', ...at },
          data.signature === undefined ? `位置 ${positionForPeople(event.position)} 的封存没有签名` : `位置 ${positionForPeople(event.position)} 的封存签名无效：不是持有签名密钥的人写的，日志可能被整体重算`,
          data.signature === undefined ? `the seal at position ${positionForPeople(event.position)} is not signed` : `the seal at position ${positionForPeople(event.position)} has an invalid signature: not written by the key's holder; the log may have been recomputed`,
        );
      }
    }
  }

  /** A scoped export: each proven head against the stream in the file, each proof against the seal's root. */
  #checkProofs(): void {
    this.#proofsChecked = true;
    const { seal: event, size, proofs } = this.options.proofs!;
    const seal: Seal = { event, data: event.data as Seal['data'] };
    this.#checkSignature(seal);
    for (const p of proofs) {
      const actual = headOf(this.#streams.get(p.stream));
      const unit = this.#sealedUnit.get(p.stream) ?? this.#streams.get(p.stream)?.unit ?? null;
      this.#compareHead({ stream: p.stream, unit, revision: p.revision, hash: p.hash }, actual, event.position);
      if (rootFromProof({ stream: p.stream, revision: p.revision, hash: p.hash }, p.index, size, p.path) !== seal.data.root) {
        this.#report(
          { kind: 'seal_edited', stream: p.stream, unit, seal: event.position, position: event.position },
          `${p.stream} 的封存证明推不出位置 ${positionForPeople(event.position)} 的封存根：证明或封存被改动`,
          `the inclusion proof of ${p.stream} does not lead to the root of the seal at position ${positionForPeople(event.position)}: the proof or the seal was altered`,
        );
      }
    }
  }

  #checkSeal(seal: Seal): void {
    const { data, event } = seal;
    const at = { seal: event.position, position: event.position };
    this.#checkSignature(seal);
    if ((data.previousSeal ?? null) !== this.#previousRoot) {
      this.#report({ kind: 'seal_chain', ...at }, `位置 ${positionForPeople(event.position)} 的封存没有接上前一个封存`, `the seal at position ${positionForPeople(event.position)} does not follow the previous seal`);
    }
    this.#previousRoot = data.root;
    for (const h of data.heads ?? []) {
      const st = this.#streams.get(h.stream);
      const actual = headOf(st);
      const problem = this.#compareHead(h, actual, event.position);
      // Removed events lay after the stream's head as the pass has it and up to the seal's `upTo`.
      const first = actual && actual.revision >= 0 ? actual.revision + 1 : 0;
      if (first <= h.revision && /^\d+$/.test(data.upTo) && this.options.contiguous) {
        this.#deletions.push({ stream: h.stream, from: first, to: h.revision, after: st?.headAt ?? 0, before: Number(data.upTo) + 1, by: 'seal', problem });
      }
      if (st) st.changed = false;
      this.#sealedHeads.set(h.stream, { unit: h.unit, revision: h.revision, hash: h.hash });
    }
    for (const st of this.#changed) {
      if (!st.changed) continue;
      st.changed = false;
      const stream = st.stream;
      this.#report(
        { kind: 'not_sealed', stream, unit: st.unit ?? null, revision: st.next - 1, seal: event.position },
        `${stream} 第 ${st.next} 条事件（修订号 ${st.next - 1}）排在位置 ${positionForPeople(event.position)} 的封存之前，却不在封存之内：绕过系统写入`,
        `${stream} revision ${st.next - 1} lies before the seal at position ${positionForPeople(event.position)} but is not in it: written behind zhitong's back`,
      );
    }
    this.#changed = [];
    if (seal === this.#seals.at(-1)) {
      // The latest seal's root over every head the seals record: an edited seal, or heads dropped from it, show here.
      const root = merkleRoot([...this.#sealedHeads].map(([stream, h]) => ({ stream, revision: h.revision, hash: h.hash })));
      if (root !== data.root || data.streams !== this.#sealedHeads.size) {
        this.#report({ kind: 'seal_edited', ...at }, `位置 ${positionForPeople(event.position)} 的封存被改动：它的根与各封存记录的流头不符`, `the seal at position ${positionForPeople(event.position)} was edited: its root does not match the heads the seals record`);
      }
    }
  }

  /** A head a seal records against the stream's actual head as the pass reaches the seal's `upTo`. */
  #compareHead(h: { stream: string; unit: string | null; revision: number; hash: string }, actual: Head | undefined, sealPosition: string): AuditProblem | undefined {
    const ref = { stream: h.stream, unit: h.unit, seal: sealPosition };
    if (!actual || actual.revision < 0) {
      return this.#report(
        { kind: 'stream_removed', ...ref, revision: h.revision },
        `${h.stream} 整条被删除：位置 ${positionForPeople(sealPosition)} 的封存记录它有 ${h.revision + 1} 条事件`,
        `${h.stream} was removed whole: the seal at position ${positionForPeople(sealPosition)} records ${h.revision + 1} event(s)`,
      );
    } else if (actual.revision < h.revision) {
      return this.#report(
        { kind: 'tail_removed', ...ref, revision: actual.revision + 1 },
        `${h.stream} 末尾被删除：位置 ${positionForPeople(sealPosition)} 的封存记录到第 ${h.revision + 1} 条（修订号 ${h.revision}），现只到第 ${actual.revision + 1} 条`,
        `${h.stream}: its tail was removed: the seal at position ${positionForPeople(sealPosition)} records revision ${h.revision}, the stream now ends at ${actual.revision}`,
      );
    } else if (actual.revision === h.revision && actual.hash !== h.hash) {
      return this.#report(
        { kind: 'edited', ...ref, revision: h.revision },
        `${h.stream} 第 ${h.revision + 1} 条事件（修订号 ${h.revision}）与位置 ${positionForPeople(sealPosition)} 的封存不符：被改动`,
        `${h.stream} revision ${h.revision} differs from the seal at position ${positionForPeople(sealPosition)}: edited`,
      );
    } else if (actual.revision > h.revision) {
      return this.#report(
        { kind: 'not_sealed', ...ref, revision: h.revision + 1 },
        `${h.stream} 第 ${h.revision + 2} 条（修订号 ${h.revision + 1}）起的事件排在位置 ${positionForPeople(sealPosition)} 的封存之前，却不在封存之内：绕过系统写入`,
        `${h.stream} revision ${h.revision + 1} on lies before the seal at position ${positionForPeople(sealPosition)} but is not in it: written behind zhitong's back`,
      );
    }
    return undefined;
  }

  /**
   * Which gaps in the position sequence the missing events of a stream left, where that is certain:
   * a stream's missing revisions lay between its neighbours' positions, so when exactly as many
   * positions are missing there as revisions, those positions were theirs, in order. Anything less
   * certain (two deletions sharing a stretch, an event that turned up elsewhere) stays as it was
   * found: the revisions and the gap each said on their own. Returns each placed deletion's
   * positions (as numbers), and adds them to what the tail's or the whole stream's problem says.
   * Found by a newcomer: one event deleted read as two problems, the gap "of no known unit".
   */
  #placeDeletions(gaps: number[]): Map<Deletion, number[]> {
    const placed = new Map<Deletion, number[]>();
    if (gaps.length === 0) return placed;
    const firstAbove = (position: number) => {
      let lo = 0;
      let hi = gaps.length;
      while (lo < hi) {
        const mid = (lo + hi) >> 1;
        if (gaps[mid]! <= position) lo = mid + 1;
        else hi = mid;
      }
      return lo;
    };
    const claims = new Map<number, number>();
    for (const d of this.#deletions) {
      const st = this.#streams.get(d.stream);
      // A revision that turned up later (reordered) was not deleted.
      if (d.by === 'chain' && st?.missing !== undefined) {
        let all = true;
        for (let r = d.from; r <= d.to && all; r++) all = st.missing.has(r);
        if (!all) continue;
      }
      const within = gaps.slice(firstAbove(d.after), firstAbove(d.before - 1));
      if (within.length !== d.to - d.from + 1) continue;
      placed.set(d, within);
      for (const p of within) claims.set(p, (claims.get(p) ?? 0) + 1);
    }
    for (const [d, positions] of placed) if (positions.some((p) => claims.get(p)! > 1)) placed.delete(d);
    for (const [d, positions] of placed) {
      if (!d.problem) continue;
      d.problem.message += `；被删除的事件原在位置 ${listPositions(positions, '、', ' 等')}`;
      d.problem.messageEn += `; the events removed were at ${positions.length === 1 ? 'position' : 'positions'} ${listPositions(positions, ', ', ', …')}`;
    }
    return placed;
  }

  #checkAnchor(): void {
    const anchor = this.options.anchor!;
    if (this.options.scoped || this.options.proofs) {
      // A scope's export holds its own streams only: a root over every stream's head cannot be
      // computed from it. What it carries is the latest seal with its proofs, checked above; an
      // anchor that is that seal is checked by them, any other cannot be, and is not said to
      // have been rewritten (found by a newcomer: an older anchor "rewrote history").
      const latest = this.options.proofs?.seal.data as Seal['data'] | undefined;
      const matches = latest !== undefined && pad(latest.upTo) === pad(anchor.position) && latest.root === anchor.root;
      this.#anchorResult = { position: pad(anchor.position), root: anchor.root, matches };
      if (!matches) {
        this.#report(
          { kind: 'anchor_unverifiable', position: pad(anchor.position) },
          `这是一个辖区的导出文件，只能核验它所带的最新封存${latest ? `（位置 ${positionForPeople(latest.upTo)}）` : ''}；位置 ${positionForPeople(anchor.position)} 的锚点无法用它核验，这不说明历史被改写：请用完整导出（zhitong export）核验这个锚点`,
          `this is one scope's export: it can check only the latest seal it carries${latest ? ` (up to ${positionForPeople(latest.upTo)})` : ''}; the anchor at position ${positionForPeople(anchor.position)} cannot be checked with it, which says nothing of history being rewritten: check that anchor against a whole export (zhitong export)`,
        );
      }
      return;
    }
    const heads = [...this.#streams.values()].filter((s) => s.stream !== streamNames.audit && s.next > 0).map((s) => headOf(s)!);
    const root = merkleRoot(heads);
    this.#anchorResult = { position: pad(anchor.position), root: anchor.root, matches: root === anchor.root };
    if (root !== anchor.root) {
      this.#report(
        { kind: 'anchor_mismatch', position: pad(anchor.position) },
        `与外部保存的锚点不符：位置 ${positionForPeople(anchor.position)} 时的根应为 ${anchor.root}，日志算得 ${root}；此前的历史被改写过`,
        `the log does not match the anchor held elsewhere: at position ${positionForPeople(anchor.position)} the root should be ${anchor.root}, the log gives ${root}; history before it was rewritten`,
      );
    }
  }

  #noteUnitName(event: RecordedEvent): void {
    const data = event.data as { code?: unknown; name?: unknown } | null;
    if ((event.type === 'UnitRegistered' || event.type === 'UnitUpdated') && typeof data?.code === 'string' && typeof data.name === 'string') this.#unitNames.set(data.code, data.name);
  }

  /**
   * The problem with the place of its unit before its words: `康县王坝镇王家村（621299103201）：…`.
   * An auditor reads villages, not stream ids (found by a newcomer: "report-2b8f… revision 3 is
   * missing" said nothing of where to go and ask). Names come from the unit register in the log,
   * each ancestor's that it holds; a unit it does not name is given by its code.
   */
  #placed(problem: AuditProblem): AuditProblem {
    const unit = problem.unit;
    if (typeof unit !== 'string') return problem;
    const names = ancestry(unit)
      .map((code) => this.#unitNames.get(code))
      .filter((name): name is string => name !== undefined)
      .join('');
    return names === ''
      ? { ...problem, message: `单位 ${unit}：${problem.message}`, messageEn: `unit ${unit}: ${problem.messageEn}` }
      : { ...problem, message: `${names}（${unit}）：${problem.message}`, messageEn: `${names} (${unit}): ${problem.messageEn}` };
  }

  /** Ends the pass: seals whose `upTo` lies past the last event, revisions never seen, the anchor. */
  finish(): VerifyReport {
    while (this.#nextSeal < this.#seals.length) this.#checkSeal(this.#seals[this.#nextSeal++]!);
    if (this.options.proofs && !this.#proofsChecked) this.#checkProofs();
    if (this.options.anchor && !this.#anchorResult) {
      if (this.#lastPosition !== undefined && pad(this.options.anchor.position) > this.#lastPosition) {
        this.#anchorResult = { position: pad(this.options.anchor.position), root: this.options.anchor.root, matches: false };
        this.#report(
          { kind: 'anchor_mismatch', position: pad(this.options.anchor.position) },
          `日志在锚点位置 ${positionForPeople(this.options.anchor.position)} 之前就结束了：末尾被删除`,
          `the log ends before the anchor's position ${positionForPeople(this.options.anchor.position)}: its tail was removed`,
        );
      } else this.#checkAnchor();
    }
    const allGaps = [...this.#missingPositions].sort((a, b) => a - b);
    const placed = this.#placeDeletions(allGaps);
    const explained = new Set<number>();
    const positionOf = new Map<string, Map<number, number>>();
    for (const [d, positions] of placed) {
      for (const p of positions) explained.add(p);
      if (d.by === 'seal') continue;
      const revisions = positionOf.get(d.stream) ?? new Map<number, number>();
      positions.forEach((p, i) => revisions.set(d.from + i, p));
      positionOf.set(d.stream, revisions);
    }
    let streams = 0;
    for (const [stream, st] of this.#streams) {
      if (st.seen) streams += 1;
      // A scoped export holds only its scope's events of the streams placed per event (the unit
      // register, access): their other revisions are other scopes', not deleted ones.
      if ((this.options.scoped || this.options.proofs) && !this.#needsUnit(stream)) continue;
      for (const r of st.missing ?? []) {
        const at = positionOf.get(stream)?.get(r);
        this.#report(
          { kind: 'deleted', stream, unit: st.unit ?? null, revision: r, ...(at !== undefined ? { position: String(at).padStart(16, '0') } : {}) },
          `${stream} 缺少第 ${r + 1} 条事件（修订号 ${r}${at !== undefined ? `，原在位置 ${at}` : ''}）：被删除`,
          `${stream} revision ${r}${at !== undefined ? ` (position ${at})` : ''} is missing: deleted`,
        );
      }
    }
    // Gaps in the position sequence, as ranges: those a stream's missing events left are said with them.
    const gaps = allGaps.filter((p) => !explained.has(p));
    for (let i = 0; i < gaps.length; ) {
      let j = i;
      while (j + 1 < gaps.length && gaps[j + 1] === gaps[j]! + 1) j++;
      const [from, to] = [gaps[i]!, gaps[j]!];
      this.#report(
        { kind: 'position_gap', position: String(from).padStart(16, '0') },
        // A gap's events cannot be placed: an auditor of one scope is told they may be another's.
        `${from === to ? `位置 ${from} 的事件不见了：被删除` : `位置 ${from} 至 ${to} 的 ${to - from + 1} 条事件不见了：被删除`}${this.options.inScope ? '（无法判断属于哪个单位，可能在您的辖区以外：请与上级审计员核对）' : ''}`,
        `${from === to ? `the event at position ${from} is missing: deleted` : `${to - from + 1} events at positions ${from}–${to} are missing: deleted`}${this.options.inScope ? ' (whose unit cannot be known: it may be outside your scope; check with an auditor above you)' : ''}`,
      );
      i = j + 1;
    }
    // A scoped export carries no seal events, only the latest seal with its proofs: that one is the latest.
    const latest = this.#seals.at(-1) ?? (this.options.proofs ? { event: this.options.proofs.seal, data: this.options.proofs.seal.data as Seal['data'] } : undefined);
    const signed = this.#seals.some((s) => s.data.signature !== undefined);
    const problems = this.#problems.map((p) => this.#placed(p));
    return {
      ok: this.#problemCount === 0,
      streams,
      events: this.#events,
      seals: {
        count: this.#seals.length || (this.options.proofs ? 1 : 0),
        latest: latest ? { position: latest.event.position, upTo: latest.data.upTo, root: latest.data.root } : null,
        signatures: this.options.publicKey ? 'checked' : signed || this.options.proofs?.seal ? 'not checked: no public key given' : 'none signed',
      },
      unsealed: { events: this.#unsealedEvents, streams: this.#unsealedStreams.size },
      ...(this.#anchorResult ? { anchor: this.#anchorResult } : {}),
      ...(this.options.after !== undefined ? { partial: { after: pad(this.options.after) } } : {}),
      ...(problems[0] ? { firstProblem: problems[0] } : {}),
      problems,
    };
  }
}

const count = (n: number) => n.toLocaleString('en-US');

/**
 * What a person reads under `verify`'s JSON (SPEC §8, §9): whether the log held, what was checked
 * and what was not — the seals unsigned or their signatures unchecked, events after the latest
 * seal, the end of the log unprovable without an anchor. `{ zh, en }`, one line each; the problems
 * themselves (at most MAX_PROBLEMS, each in both languages) are the caller's to list after it.
 */
export function verifySummary(report: VerifyReport): { zh: string; en: string } {
  const { events, streams, seals, unsealed, anchor } = report;
  const found = report.problems.length;
  const head = report.ok
    ? { zh: `核验通过：${count(events)} 条事件、${count(streams)} 个流，哈希链完好`, en: `verified: ${count(events)} events in ${count(streams)} streams, every hash chain intact` }
    : {
        zh: `核验未通过：${count(events)} 条事件、${count(streams)} 个流中发现 ${found >= MAX_PROBLEMS ? `至少 ${MAX_PROBLEMS}` : found} 个问题`,
        en: `verification FAILED: ${found >= MAX_PROBLEMS ? `at least ${MAX_PROBLEMS} problems` : found === 1 ? '1 problem' : `${found} problems`} in ${count(events)} events of ${count(streams)} streams`,
      };
  // A scope's export cut short lost its last line, the seal's proofs, with it: not "nothing sealed".
  const cutShort = report.problems.some((p) => p.kind === 'cut_short');
  const sealed = cutShort
    ? { zh: '封存证明在缺失的最后一行里，封存无法核验（不是没有封存）', en: "the seal's proofs were in the missing last line: the seal could not be checked (which does not mean nothing was sealed)" }
    : seals.latest === null
      ? { zh: '还没有封存', en: 'nothing sealed yet' }
      : { zh: `${count(seals.count)} 次封存，最新一次封存到位置 ${positionForPeople(seals.latest.upTo)}`, en: `${count(seals.count)} ${seals.count === 1 ? 'seal' : 'seals'}, the latest up to position ${positionForPeople(seals.latest.upTo)}` };
  const signatures = (() => {
    switch (seals.signatures) {
      case 'checked':
        return { zh: '签名已核对', en: 'signatures checked' };
      case 'not checked: no public key given':
        return { zh: '签名没有核对（没有给公钥 --public-key）', en: 'signatures not checked: no public key given (--public-key)' };
      case 'none signed':
        // Without a signature a seal vouches for nothing against whoever can rewrite the file (SPEC §8).
        return seals.latest === null ? undefined : { zh: '封存没有签名：能改写文件的人可以连哈希带封存一起重算', en: 'the seals are not signed: whoever can rewrite the file can recompute the hashes and the seals with them' };
      default: {
        const never: never = seals.signatures;
        return never;
      }
    }
  })();
  const parts = [head, ...(report.partial ? [] : [sealed]), ...(signatures && !report.partial ? [signatures] : [])];
  if (unsealed.events > 0 && !report.partial && seals.latest !== null)
    parts.push({ zh: `最新封存之后还有 ${count(unsealed.events)} 条事件（${count(unsealed.streams)} 个流）尚未封存`, en: `${count(unsealed.events)} events in ${count(unsealed.streams)} streams came after the latest seal and are not sealed yet` });
  // The log's end removed whole (its last seal with it) leaves nothing behind to show: only an
  // anchor kept elsewhere does (SPEC §8, docs/audit.md).
  if (!anchor && !report.partial) parts.push({ zh: '没有核对锚点（--anchor）：日志末尾整段被删，从日志本身查不出来', en: 'no anchor checked (--anchor): an end of the log removed whole cannot be seen from the log itself' });
  if (anchor) parts.push(anchor.matches ? { zh: `与位置 ${positionForPeople(anchor.position)} 的锚点一致`, en: `matches the anchor at position ${positionForPeople(anchor.position)}` } : { zh: `与位置 ${positionForPeople(anchor.position)} 的锚点不符`, en: `does NOT match the anchor at position ${positionForPeople(anchor.position)}` });
  return { zh: parts.map((p) => p.zh).join('；'), en: parts.map((p) => p.en).join('; ') };
}
