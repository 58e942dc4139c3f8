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

const split = (n: number) => 2 ** Math.floor(Math.log2(n - 1));

function mth(leaves: readonly Buffer[], from: number, to: number): Buffer {
  const n = to - from;
  if (n === 0) return EMPTY;
  if (n === 1) return leaves[from]!;
  const k = split(n);
  return nodeHash(mth(leaves, from, from + k), mth(leaves, from + k, to));
}

/** Heads in the tree's order: by stream name. */
export const sortedHeads = (heads: Iterable<Head>): Head[] => [...heads].sort((a, b) => (a.stream < b.stream ? -1 : a.stream > b.stream ? 1 : 0));

/** The root (hex) over these heads, whatever order they come in. */
export function merkleRoot(heads: Iterable<Head>): string {
  return rootOfLeaves(sortedHeads(heads).map(leafHash));
}

/** The root over leaf hashes already in tree order. */
export const rootOfLeaves = (leaves: readonly Buffer[]): string => mth(leaves, 0, leaves.length).toString('hex');

/**
 * A tree over leaves in order, its subtree hashes kept as computed: the root and any number of
 * inclusion proofs cost O(n) hashes in all, not O(n) each (a county's scoped export proves
 * thousands of streams against one seal).
 */
export class MerkleTree {
  readonly #cache = new Map<string, Buffer>();

  constructor(readonly leaves: readonly Buffer[]) {}

  #hash(from: number, to: number): Buffer {
    const n = to - from;
    if (n === 0) return EMPTY;
    if (n === 1) return this.leaves[from]!;
    const key = `${from}:${to}`;
    let h = this.#cache.get(key);
    if (!h) {
      const k = split(n);
      h = nodeHash(this.#hash(from, from + k), this.#hash(from + k, to));
      this.#cache.set(key, h);
    }
    return h;
  }

  root(): string {
    return this.#hash(0, this.leaves.length).toString('hex');
  }

  /** RFC 6962 §2.1.1 audit path of leaf `index` (hex hashes, nearest the leaf first). */
  proof(index: number): string[] {
    const path: Buffer[] = [];
    const walk = (from: number, to: number, m: number) => {
      const n = to - from;
      if (n <= 1) return;
      const k = split(n);
      if (m < k) {
        walk(from, from + k, m);
        path.push(this.#hash(from + k, to));
      } else {
        walk(from + k, to, m - k);
        path.push(this.#hash(from, from + k));
      }
    };
    walk(0, this.leaves.length, index);
    return path.map((b) => b.toString('hex'));
  }
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
