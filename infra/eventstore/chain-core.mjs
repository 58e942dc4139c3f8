// The hash chain's core (SPEC §8) in plain JavaScript, so that the SQLite writer thread
// (sqlite-writer.worker.mjs) seals events with the very code the main thread and the EventStoreDB
// adapter use, without a TypeScript loader. Types and the rest of the chain: chain.ts.
import { createHash, hash as oneShotHash } from 'node:crypto';
import canonicalize from 'canonicalize';

export const GENESIS_HASH = '0'.repeat(64);

export function eventHash(stream, revision, type, data, metadataWithoutHash) {
  const text = canonicalize({ stream, revision, type, data, metadata: metadataWithoutHash });
  /* c8 ignore next */
  if (text === undefined) throw new TypeError('event is not JSON-serialisable');
  return createHash('sha256').update(text).digest('hex');
}

// An integer-like key is enumerated first by JavaScript, whatever order it was defined in, so a
// stringify holding one is not the JCS text (chain.ts jcsByStringify; the verifier's check too).
const INTEGER_KEY = /[{,]"(?:0|[1-9]\d*)":/;

/**
 * The hash of an event whose data and metadata are key-sorted at every level (`sortedKeys`), given
 * its data's JSON text: one native stringify is then its RFC 8785 text — JCS takes ECMAScript's
 * own string and number serialisation — unless an object has an integer-like key, when the
 * canonicaliser runs in full. Equal to `eventHash` for any JSON (tests/infra/eventstore/chain.test.ts,
 * a property test); the canonicaliser was about a tenth of the writer thread's time (issue 18,
 * session 29). The text is built around `dataJson` — exactly what JSON.stringify of the whole
 * object gives, with keys in JCS order (data, metadata, revision, stream, type) — so that the
 * store writes the same data text into its record without stringifying it twice.
 */
function sortedEventHash(stream, revision, type, data, dataJson, metadataWithoutHash) {
  if (dataJson !== undefined) {
    const text = `{"data":${dataJson},"metadata":${JSON.stringify(metadataWithoutHash)},"revision":${revision},"stream":${JSON.stringify(stream)},"type":${JSON.stringify(type)}}`;
    if (!INTEGER_KEY.test(text)) return oneShotHash('sha256', text, 'hex');
  }
  return eventHash(stream, revision, type, data, metadataWithoutHash);
}

/** `sorted` (keys in order) with `key` set to `value` at its place in that order; `key` not already in it. */
function withSortedKey(sorted, key, value) {
  const out = {};
  let placed = false;
  for (const k in sorted) {
    if (!placed && k > key) {
      out[key] = value;
      placed = true;
    }
    if (k === '__proto__') Object.defineProperty(out, k, { value: sorted[k], enumerable: true, writable: true, configurable: true });
    else out[k] = sorted[k];
  }
  if (!placed) out[key] = value;
  return out;
}

export function sortedKeys(value) {
  if (value === null || typeof value !== 'object') return value;
  if (Array.isArray(value)) return value.map(sortedKeys);
  const keys = Object.keys(value).sort();
  const out = {};
  for (let i = 0; i < keys.length; i++) {
    const key = keys[i];
    const v = value[key];
    if (v === undefined) continue;
    // Defined, not assigned: `out["__proto__"] = …` would set the prototype and lose the key.
    if (key === '__proto__') Object.defineProperty(out, key, { value: sortedKeys(v), enumerable: true, writable: true, configurable: true });
    else out[key] = sortedKeys(v);
  }
  return out;
}

export function sealEvents(stream, head, events, dataTexts) {
  let revision = head ? head.revision : -1;
  let prevHash = head ? head.hash : GENESIS_HASH;
  return events.map((event) => {
    revision += 1;
    const { prevHash: _p, hash: _h, ...supplied } = event.metadata;
    // Stored with keys in canonical order, so a verifier's one native stringify is canonical (hashMatches).
    const withPrev = sortedKeys({ ...supplied, prevHash });
    const data = sortedKeys(event.data);
    const dataJson = JSON.stringify(data);
    const hash = sortedEventHash(stream, revision, event.type, data, dataJson, withPrev);
    prevHash = hash;
    // For a store that writes the record as text (sqlite-appender.mjs): the data's text, made once.
    dataTexts?.push(dataJson);
    return { id: event.id, type: event.type, revision, data, metadata: withSortedKey(withPrev, 'hash', hash) };
  });
}
