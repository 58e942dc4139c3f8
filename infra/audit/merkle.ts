import { createHash } from 'node:crypto';
import canonicalize from 'canonicalize';

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

const canonical = canonicalize as unknown as (value: unknown) => string;
const sha = (...parts: Buffer[]) => {
  const h = createHash('sha256');
  for (const p of parts) h.update(p);
  return h.digest();
};
const LEAF = Buffer.from([0]);
const NODE = Buffer.from([1]);

export const leafData = (head: Head): Buffer => Buffer.from(canonical([head.stream, head.revision, head.hash]), 'utf8');
export const leafHash = (head: Head): Buffer => sha(LEAF, leafData(head));

const split = (n: number) => 2 ** Math.floor(Math.log2(n - 1));

function mth(leaves: readonly Buffer[], from: number, to: number): Buffer {
  const n = to - from;
  if (n === 0) return sha();
  if (n === 1) return leaves[from]!;
  const k = split(n);
  return sha(NODE, mth(leaves, from, from + k), mth(leaves, from + k, to));
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
    if (n === 0) return sha();
    if (n === 1) return this.leaves[from]!;
    const key = `${from}:${to}`;
    let h = this.#cache.get(key);
    if (!h) {
      const k = split(n);
      h = sha(NODE, this.#hash(from, from + k), this.#hash(from + k, to));
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
      r = sha(NODE, node, r);
      while (fn % 2 === 0 && fn !== 0) {
        fn >>= 1;
        sn >>= 1;
      }
    } else {
      r = sha(NODE, r, node);
    }
    fn >>= 1;
    sn >>= 1;
  }
  return sn === 0 ? r.toString('hex') : undefined;
}
