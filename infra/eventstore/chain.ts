import { createHash, hash as cryptoHash } from 'node:crypto';
import canonicalize from 'canonicalize';
import type { EventMetadata, EventMetadataInput, NewEvent, RecordedEvent } from './types.js';

/**
 * SPEC §8 hash chain. Computed here, once, for every store, so that verification never depends
 * on which store wrote an event. Canonical JSON is RFC 8785 (JCS): an auditor can recompute a
 * hash years later in any language without our code.
 */
export const GENESIS_HASH = '0'.repeat(64);

export interface StreamHead {
  revision: number;
  hash: string;
}

export interface SealedEvent {
  id: string;
  type: string;
  revision: number;
  data: unknown;
  metadata: EventMetadata;
}

const canonical = canonicalize as unknown as (value: unknown) => string | undefined;

export function eventHash(
  stream: string,
  revision: number,
  type: string,
  data: unknown,
  metadataWithoutHash: EventMetadataInput & { prevHash: string },
): string {
  const text = canonical({ stream, revision, type, data, metadata: metadataWithoutHash });
  /* c8 ignore next */
  if (text === undefined) throw new TypeError('event is not JSON-serialisable');
  return createHash('sha256').update(text).digest('hex');
}

/**
 * Whether a recorded event's `hash` is its hash (SPEC §8), the fast way first. Events are stored
 * with their keys in canonical order (`sortedKeys`), and JSON.stringify of an object whose keys are
 * sorted at every level is its JCS form (RFC 8785 takes ECMAScript's string and number
 * serialisation) — unless an object has an integer-like key ("0", "12"), which JavaScript always
 * enumerates first, so such a text never counts (`jcsByStringify`). Otherwise one native stringify
 * does; an event stored otherwise (written before, or its keys reordered) is canonicalised in full
 * before it is called altered.
 */
export function hashMatches(stream: string, revision: number, type: string, data: unknown, metadataWithoutHash: EventMetadataInput & { prevHash: string }, hash: string): boolean {
  const fast = JSON.stringify({ data, metadata: metadataWithoutHash, revision, stream, type });
  // One-shot crypto.hash: no Hash object per event (a verification hashes a million of them).
  if (jcsByStringify(fast) && oneShotSha256(fast) === hash) return true;
  return eventHash(stream, revision, type, data, metadataWithoutHash) === hash;
}

/** The hash of a recorded event as stored, checked without copying its metadata (the verifier's hot path). */
export function recordedHashMatches(event: { stream: string; revision: number; type: string; data: unknown; metadata: EventMetadata }): boolean {
  const metadata = event.metadata as Omit<EventMetadata, 'hash'> & { hash: string | undefined };
  const hash = event.metadata.hash;
  // JSON.stringify leaves out a key whose value is undefined: the metadata without its hash, in place.
  metadata.hash = undefined;
  try {
    const fast = JSON.stringify({ data: event.data, metadata, revision: event.revision, stream: event.stream, type: event.type });
    if (jcsByStringify(fast) && oneShotSha256(fast) === hash) return true;
  } finally {
    metadata.hash = hash;
  }
  const { hash: _h, ...withoutHash } = event.metadata;
  return eventHash(event.stream, event.revision, event.type, event.data, withoutHash) === hash;
}

const oneShotSha256 = (text: string): string => cryptoHash('sha256', text, 'hex');

/**
 * Whether a stringify of key-sorted values can be the JCS text: no object key in it is
 * integer-like. A quote after `{` or `,` opens a key (inside a string a quote is escaped).
 */
export const jcsByStringify = (text: string): boolean => !INTEGER_KEY.test(text);
const INTEGER_KEY = /[{,]"(?:0|[1-9]\d*)":/;

/** A copy of a JSON value with the keys of every object in canonical (UTF-16 code unit) order. */
export function sortedKeys<T>(value: T): T {
  if (value === null || typeof value !== 'object') return value;
  if (Array.isArray(value)) return value.map(sortedKeys) as T;
  // Defined, not assigned: `out["__proto__"] = …` would set the prototype and lose the key.
  const entries: Array<[string, unknown]> = [];
  for (const key of Object.keys(value).sort()) {
    const v = (value as Record<string, unknown>)[key];
    if (v !== undefined) entries.push([key, sortedKeys(v)]);
  }
  return Object.fromEntries(entries) as T;
}

/** Gives each event its revision, prevHash and hash, continuing from the stream's head. */
export function sealEvents(
  stream: string,
  head: StreamHead | undefined,
  events: ReadonlyArray<NewEvent & { id: string }>,
): SealedEvent[] {
  let revision = head ? head.revision : -1;
  let prevHash = head ? head.hash : GENESIS_HASH;
  return events.map((event) => {
    revision += 1;
    const { prevHash: _p, hash: _h, ...supplied } = event.metadata as EventMetadataInput & Partial<EventMetadata>;
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

export interface ChainBreak {
  stream: string;
  revision: number;
  position: string;
  eventId: string;
  reason: 'hash_mismatch' | 'prev_hash_mismatch' | 'revision_gap';
}

/** Checks one stream's events (in revision order); returns the first break, if any. */
export function verifyStreamChain(stream: string, events: readonly RecordedEvent[]): ChainBreak | undefined {
  let prevHash = GENESIS_HASH;
  let expectedRevision = 0;
  for (const event of events) {
    const at = { stream, revision: event.revision, position: event.position, eventId: event.id };
    if (event.revision !== expectedRevision) return { ...at, reason: 'revision_gap' };
    const { hash, ...withoutHash } = event.metadata;
    if (withoutHash.prevHash !== prevHash) return { ...at, reason: 'prev_hash_mismatch' };
    if (!hashMatches(stream, event.revision, event.type, event.data, withoutHash, hash)) {
      return { ...at, reason: 'hash_mismatch' };
    }
    prevHash = hash;
    expectedRevision += 1;
  }
  return undefined;
}
