// The hash chain's core (SPEC §8) in plain JavaScript, so that the SQLite writer thread
// (sqlite-writer.worker.mjs) seals events with the very code the main thread and the EventStoreDB
// adapter use, without a TypeScript loader. Types and the rest of the chain: chain.ts.
import { createHash } from 'node:crypto';
import canonicalize from 'canonicalize';

export const GENESIS_HASH = '0'.repeat(64);

export function eventHash(stream, revision, type, data, metadataWithoutHash) {
  const text = canonicalize({ stream, revision, type, data, metadata: metadataWithoutHash });
  /* c8 ignore next */
  if (text === undefined) throw new TypeError('event is not JSON-serialisable');
  return createHash('sha256').update(text).digest('hex');
}

export function sortedKeys(value) {
  if (value === null || typeof value !== 'object') return value;
  if (Array.isArray(value)) return value.map(sortedKeys);
  // Defined, not assigned: `out["__proto__"] = …` would set the prototype and lose the key.
  const entries = [];
  for (const key of Object.keys(value).sort()) {
    const v = value[key];
    if (v !== undefined) entries.push([key, sortedKeys(v)]);
  }
  return Object.fromEntries(entries);
}

export function sealEvents(stream, head, events) {
  let revision = head ? head.revision : -1;
  let prevHash = head ? head.hash : GENESIS_HASH;
  return events.map((event) => {
    revision += 1;
    const { prevHash: _p, hash: _h, ...supplied } = event.metadata;
    // Stored with keys in canonical order, so a verifier's one native stringify is canonical (hashMatches).
    const withPrev = sortedKeys({ ...supplied, prevHash });
    const data = sortedKeys(event.data);
    // Not one native stringify of the sorted values: an object's integer-like keys ("0") are
    // always enumerated first, which is not JCS order (tests/infra/eventstore/chain.test.ts).
    const hash = eventHash(stream, revision, event.type, data, withPrev);
    prevHash = hash;
    return { id: event.id, type: event.type, revision, data, metadata: sortedKeys({ ...withPrev, hash }) };
  });
}
