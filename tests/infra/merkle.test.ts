import t from 'tap';
import fc from 'fast-check';
import { createHash } from 'node:crypto';
import { leafHash, leafText, merkleRoot, rootFromProof, rootOfLeaves, SealTree, sortedHeads, type Head } from '../../infra/audit/merkle.js';

/** RFC 6962 trees: the root of the docs' worked example, and every inclusion proof of trees of 1 to 33 leaves. */

t.test('the worked example of docs/audit.md', async (t) => {
  const report = { stream: 'report-2b8f3a6e-3c1d-4b7a-9a51-0c6f2d3e4a11', revision: 0, hash: '3ac9cb642abf800a106286e8c85dd7b4914f1c6a6f464c8c357613bc917d06a6' };
  const heads = [report, { stream: 'units', revision: 5, hash: 'a'.repeat(64) }, { stream: 'access', revision: 1, hash: 'b'.repeat(64) }];
  t.equal(merkleRoot(heads), '7940153db52d2b485e49e94423dd22be4e137e75a06b5bfce33175132ad77c7d');
  t.equal(leafHash(report).toString('hex'), '898d07beefe3da4bc8e2125fee2f466351c9bebeeea38e65d000a6312b0e7d04');
  t.equal(merkleRoot([]), 'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855', 'the empty tree: SHA-256 of nothing');
});

t.test('every inclusion proof is RFC 6962\u2019s PATH and leads to the root; a wrong leaf, index or path does not', async (t) => {
  const noPause = async () => undefined;
  for (let n = 1; n <= 70; n++) {
    const heads = sortedHeads(Array.from({ length: n }, (_, i) => ({ stream: `s-${String(i).padStart(3, '0')}`, revision: i, hash: String(i % 10).repeat(64) })));
    const tree = await SealTree.of(heads, noPause);
    const root = await tree.root(noPause);
    t.equal(root, merkleRoot(heads), `n=${n}: the tree's root is the root`);
    const leaves = heads.map(leafHash);
    const paths = await tree.proofs(heads.map((_, i) => i), noPause);
    for (let i = 0; i < n; i++) {
      const path = paths[i]!;
      if (path.join() !== pathAsWritten(i, leaves).map((b) => b.toString('hex')).join()) t.fail(`n=${n} i=${i}: not the path RFC 6962 writes`);
      if (rootFromProof(heads[i]!, i, n, path) !== root) t.fail(`n=${n} i=${i}: proof does not verify`);
      if (n > 1 && rootFromProof({ ...heads[i]!, revision: heads[i]!.revision + 1 }, i, n, path) === root) t.fail(`n=${n} i=${i}: a wrong head verifies`);
      if (n > 1 && rootFromProof(heads[i]!, (i + 1) % n, n, path) === root) t.fail(`n=${n} i=${i}: a wrong index verifies`);
    }
  }
  t.equal(rootFromProof({ stream: 'x', revision: 0, hash: '0'.repeat(64) }, 3, 2, []), undefined, 'an index past the tree');
  await t.rejects((await SealTree.of([], noPause)).proofs([0], noPause), RangeError, 'no proof of a leaf the tree does not have');
});

t.test('a leaf is hashed over its JCS text, for any stream name and revision', async (t) => {
  // leafText writes JSON.stringify's text; it must be RFC 8785's for every head, lone surrogates,
  // control characters and Chinese included, or a seal made here would not verify elsewhere.
  const { createHash } = await import('node:crypto');
  const jcs = (await import('canonicalize')).default as unknown as (value: unknown) => string;
  fc.assert(
    fc.property(fc.string({ unit: 'binary' }), fc.nat(), fc.stringMatching(/^[0-9a-f]{64}$/), (stream, revision, hash) => {
      const head = { stream, revision, hash };
      const text = jcs([stream, revision, hash]);
      return leafText(head) === text && leafHash(head).equals(createHash('sha256').update(Buffer.from([0])).update(text, 'utf8').digest());
    }),
    { numRuns: 2000 },
  );
  t.equal(leafText({ stream: '\ud800村\u0001', revision: 2 ** 40, hash: 'a' }), '["\\ud800村\\u0001",1099511627776,"a"]');
});

/** RFC 6962 §2.1 as written: split at the largest power of two below n. */
function mthAsWritten(leaves: Buffer[]): Buffer {
  if (leaves.length === 0) return createHash('sha256').digest();
  if (leaves.length === 1) return leaves[0]!;
  let k = 1;
  while (k * 2 < leaves.length) k *= 2;
  return createHash('sha256').update(Buffer.from([1])).update(mthAsWritten(leaves.slice(0, k))).update(mthAsWritten(leaves.slice(k))).digest();
}

/** RFC 6962 §2.1.1 PATH(m, D[n]) as written: recursive, split at the largest power of two below n. */
function pathAsWritten(m: number, leaves: Buffer[]): Buffer[] {
  const n = leaves.length;
  if (n <= 1) return [];
  let k = 1;
  while (k * 2 < n) k *= 2;
  return m < k ? [...pathAsWritten(m, leaves.slice(0, k)), mthAsWritten(leaves.slice(k))] : [...pathAsWritten(m - k, leaves.slice(k)), mthAsWritten(leaves.slice(0, k))];
}

t.test('the root computed level by level is RFC 6962\u2019s split at the largest power of two, for 0 to 300 leaves', async (t) => {
  for (let n = 0; n <= 300; n++) {
    const leaves = Array.from({ length: n }, (_, i) => createHash('sha256').update(`leaf ${i}`).digest());
    if (rootOfLeaves(leaves) !== mthAsWritten(leaves).toString('hex')) t.fail(`n=${n}: the roots differ`);
  }
  t.pass('all equal');
});

t.test('a SealTree built, then changed seal after seal, has the root of all its heads; large work is done in slices', async (t) => {
  const head = fc.record({ stream: fc.oneof(fc.constantFrom('units', 'access', 'audit'), fc.string({ unit: 'binary', maxLength: 6 }).map((s) => `report-${s}`)), revision: fc.nat({ max: 50 }), hash: fc.stringMatching(/^[0-9a-f]{64}$/) });
  const unique = (heads: Head[]) => [...new Map(heads.map((h) => [h.stream, h])).values()];
  const noPause = async () => undefined;
  await fc.assert(
    fc.asyncProperty(fc.array(head, { maxLength: 40 }), fc.array(fc.array(head, { maxLength: 10 }), { maxLength: 5 }), async (initial, seals) => {
      const all = new Map(unique(initial).map((h) => [h.stream, h]));
      let tree = await SealTree.of(all.values(), noPause);
      if ((await tree.root(noPause)) !== merkleRoot(all.values())) return false;
      for (const changed of seals) {
        const before = await tree.root(noPause);
        const next = await tree.with(unique(changed), noPause);
        if ((await tree.root(noPause)) !== before) return false; // the tree it came from is unchanged
        for (const h of unique(changed)) all.set(h.stream, h);
        tree = next;
        if (tree.size !== all.size || (await tree.root(noPause)) !== merkleRoot(all.values())) return false;
      }
      return true;
    }),
    { numRuns: 300 },
  );
  // A province-sized set: the event loop gets turns while it is sorted, hashed and rooted.
  const many = Array.from({ length: 20_000 }, (_, i) => ({ stream: `report-${(i * 7919) % 20_000}`, revision: i % 7, hash: String(i % 10).repeat(64) }));
  let pauses = 0;
  const counting = async () => void (pauses += 1);
  const big = await SealTree.of(many, counting);
  const built = pauses;
  t.ok(built >= 10, `building 20,000 heads paused ${built} times`);
  const root = await big.root(counting);
  t.ok(pauses - built >= 5, `its root paused ${pauses - built} times`);
  t.equal(root, merkleRoot(many), 'and is the root of those heads');
  t.equal(await (await big.with([{ stream: 'report-5', revision: 99, hash: 'f'.repeat(64) }], counting)).root(noPause), merkleRoot(many.map((h) => (h.stream === 'report-5' ? { ...h, revision: 99, hash: 'f'.repeat(64) } : h))), 'one stream changed');
});
