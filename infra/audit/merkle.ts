import { hash } from 'node:crypto';

/**
 * The Merkle tree of a seal (SPEC §8): RFC 6962 §2.1's Merkle Tree Hash over the heads of every
 * stream, in stream-name order (UTF-16 code unit order, as JavaScript sorts). A leaf is the JCS
 * (RFC 8785) JSON of `[stream, revision, hash]`. docs/audit.md states it with an example.
 *
 *   MTH({})      = SHA-256()
 *   MTH({d})     = SHA-256(0x00 ‖ d)
 *   MTH(D[n])    = SHA-256(0x01 ‖ MTH(D[0:k]) ‖ MTH(D[k:n])), k the largest power of two < n
 */
export interface Head {
  stream: string;
  revision: number;
  hash: string;
}

const NODE = Buffer.from([1]);
const EMPTY = hash('sha256', Buffer.alloc(0), 'buffer');

// One-shot hashing (crypto.hash) into one reused input buffer: a seal over a log of a million
// events hashes ~430,000 nodes, and createHash().update().update().update().digest() cost ~40 %
// more per node (docs/decisions.md, "Session 28"). The buffer is filled and hashed synchronously.
const nodeInput = Buffer.alloc(65);
function nodeHash(left: Buffer, right: Buffer): Buffer {
  // A proof's node from outside may be any length; the tree's own are digests.
  if (left.length !== 32 || right.length !== 32) return hash('sha256', Buffer.concat([NODE, left, right]), 'buffer');
  nodeInput[0] = 1;
  nodeInput.set(left, 1);
  nodeInput.set(right, 33);
  return hash('sha256', nodeInput, 'buffer');
}

/**
 * A leaf's JCS text. For an array of two strings and a non-negative integer JCS is what
 * JSON.stringify writes: RFC 8785 serialises strings (§3.2.2.2) and numbers (§3.2.2.3) as
 * ECMAScript does, and an array keeps its order — the canonicaliser's walk over the value costs a
 * third of the leaves' time for nothing (tests/infra/merkle.test.ts holds the two equal).
 */
export const leafText = (head: Head): string => JSON.stringify([head.stream, head.revision, head.hash]);
/** SHA-256(0x00 ‖ leaf): the string is hashed as UTF-8, and U+0000 is the one byte 0x00. */
export const leafHash = (head: Head): Buffer => hash('sha256', `\u0000${leafText(head)}`, 'buffer');

/**
 * MTH computed level by level: pairs hashed left to right, an unpaired last node carried up as it
 * is — the same tree as the split at the largest power of two (RFC 6962 §2.1; the property test in
 * tests/infra/merkle.test.ts holds the two equal). Each level below the root is pushed to `levels`
 * when given (for audit paths). Yields after every `slice` hashes, so a caller
 * on the event loop can let other work run between slices (SealTree); `rootOfLeaves` never stops.
 */
function* rootSteps(leaves: readonly Buffer[], slice: number, levels?: Array<readonly Buffer[]>): Generator<void, Buffer, void> {
  if (leaves.length === 0) return EMPTY;
  let level: readonly Buffer[] = leaves;
  let hashed = 0;
  while (level.length > 1) {
    levels?.push(level);
    const next = new Array<Buffer>(Math.ceil(level.length / 2));
    for (let i = 0; i + 1 < level.length; i += 2) {
      next[i >> 1] = nodeHash(level[i]!, level[i + 1]!);
      if (++hashed % slice === 0) yield;
    }
    if (level.length % 2 === 1) next[next.length - 1] = level[level.length - 1]!;
    level = next;
  }
  return level[0]!;
}

const byStream = (a: Head, b: Head) => (a.stream < b.stream ? -1 : a.stream > b.stream ? 1 : 0);

/** Heads in the tree's order: by stream name. */
export const sortedHeads = (heads: Iterable<Head>): Head[] => [...heads].sort(byStream);

/** The root (hex) over these heads, whatever order they come in. */
export function merkleRoot(heads: Iterable<Head>): string {
  return rootOfLeaves(sortedHeads(heads).map(leafHash));
}

/** The root over leaf hashes already in tree order. */
export function rootOfLeaves(leaves: readonly Buffer[]): string {
  const steps = rootSteps(leaves, Number.MAX_SAFE_INTEGER);
  for (;;) {
    const step = steps.next();
    if (step.done) return step.value.toString('hex');
  }
}

/** Lets the event loop run other work; what SealTree awaits between slices. */
export type Pause = () => Promise<void>;
export const nextTurn: Pause = () => new Promise((resolve) => setImmediate(resolve));

/** Hashes or comparisons between pauses: a few milliseconds of work. */
const SLICE = 2_048;

/**
 * Every stream's head in tree order with its leaf hash, kept between seals by a node's sealer, so
 * a seal hashes only the leaves of streams that changed, merges them in without sorting the rest,
 * and works in slices with the event loop free between them. A province's log has ~220,000
 * streams: sorting, hashing and building the tree at once held the loop ~2 s per seal on the
 * development machine, and every alert due then waited (docs/decisions.md, "Session 30").
 */
export class SealTree {
  private constructor(
    readonly heads: readonly Head[],
    readonly leaves: readonly Buffer[],
  ) {}

  static readonly empty = new SealTree([], []);

  get size(): number {
    return this.heads.length;
  }

  /** A tree of these heads, any order: sorted in slices (runs of SLICE sorted, then merged), leaves hashed in slices. */
  static async of(heads: Iterable<Head>, pause: Pause = nextTurn): Promise<SealTree> {
    let runs: Head[][] = [];
    let run: Head[] = [];
    for (const head of heads) {
      run.push(head);
      if (run.length === SLICE) {
        runs.push(run.sort(byStream));
        run = [];
        await pause();
      }
    }
    if (run.length > 0) runs.push(run.sort(byStream));
    while (runs.length > 1) {
      const merged: Head[][] = [];
      for (let i = 0; i < runs.length; i += 2) merged.push(i + 1 < runs.length ? await mergeSorted(runs[i]!, runs[i + 1]!, pause) : runs[i]!);
      runs = merged;
    }
    const sorted = runs[0] ?? [];
    return new SealTree(sorted, await hashLeaves(sorted, pause));
  }

  /**
   * This tree with `changed` heads put in: replacing a stream's head or adding a stream, by
   * merging, with only the changed leaves hashed. This tree is left as it was.
   */
  async with(changed: Iterable<Head>, pause: Pause = nextTurn): Promise<SealTree> {
    const incoming = await SealTree.of(changed, pause);
    const heads: Head[] = [];
    const leaves: Buffer[] = [];
    let i = 0;
    let j = 0;
    let steps = 0;
    while (i < this.heads.length || j < incoming.heads.length) {
      const a = this.heads[i];
      const b = incoming.heads[j];
      if (b === undefined || (a !== undefined && a.stream < b.stream)) {
        heads.push(a!);
        leaves.push(this.leaves[i++]!);
      } else {
        if (a !== undefined && a.stream === b.stream) i++;
        heads.push(b);
        leaves.push(incoming.leaves[j++]!);
      }
      if (++steps % (SLICE * 4) === 0) await pause();
    }
    return new SealTree(heads, leaves);
  }

  /** The root (hex): MTH over the leaves, in slices. */
  async root(pause: Pause = nextTurn): Promise<string> {
    const steps = rootSteps(this.leaves, SLICE);
    for (;;) {
      const step = steps.next();
      if (step.done) return step.value.toString('hex');
      await pause();
    }
  }

  /**
   * RFC 6962 §2.1.1 audit paths of the leaves at `indexes` (hex hashes, nearest the leaf first),
   * from the tree's levels built in slices. In the level-by-level tree a leaf's path is its
   * sibling at each level where it has one (an unpaired last node is carried up and adds nothing),
   * so once the levels are built (n hashes) every path costs O(log n): a county's scoped export
   * proves thousands of streams for the price of one root.
   */
  async proofs(indexes: readonly number[], pause: Pause = nextTurn): Promise<string[][]> {
    const levels: Array<readonly Buffer[]> = [];
    const steps = rootSteps(this.leaves, SLICE, levels);
    while (!steps.next().done) await pause();
    return indexes.map((index) => {
      if (!Number.isInteger(index) || index < 0 || index >= this.leaves.length) throw new RangeError(`no leaf ${index} in a tree of ${this.leaves.length}`);
      const path: string[] = [];
      let i = index;
      for (const level of levels) {
        const sibling = i ^ 1;
        if (sibling < level.length) path.push(level[sibling]!.toString('hex'));
        i >>= 1;
      }
      return path;
    });
  }
}

async function mergeSorted(a: Head[], b: Head[], pause: Pause): Promise<Head[]> {
  const out = new Array<Head>(a.length + b.length);
  let i = 0;
  let j = 0;
  for (let k = 0; k < out.length; k++) {
    out[k] = j >= b.length || (i < a.length && byStream(a[i]!, b[j]!) <= 0) ? a[i++]! : b[j++]!;
    if (k % (SLICE * 4) === SLICE * 4 - 1) await pause();
  }
  return out;
}

async function hashLeaves(heads: readonly Head[], pause: Pause): Promise<Buffer[]> {
  const leaves = new Array<Buffer>(heads.length);
  for (let i = 0; i < heads.length; i++) {
    leaves[i] = leafHash(heads[i]!);
    if (i % SLICE === SLICE - 1) await pause();
  }
  return leaves;
}

/** Recomputes the root from a leaf, its index, the tree's size and its audit path (RFC 9162 §2.1.3.2). */
export function rootFromProof(head: Head, index: number, size: number, path: readonly string[]): string | undefined {
  if (index < 0 || index >= size) return undefined;
  let fn = index;
  let sn = size - 1;
  let r = leafHash(head);
  for (const p of path) {
    const node = Buffer.from(p, 'hex');
    if (sn === 0) return undefined;
    if (fn % 2 === 1 || fn === sn) {
      r = nodeHash(node, r);
      while (fn % 2 === 0 && fn !== 0) {
        fn >>= 1;
        sn >>= 1;
      }
    } else {
      r = nodeHash(r, node);
    }
    fn >>= 1;
    sn >>= 1;
  }
  return sn === 0 ? r.toString('hex') : undefined;
}
