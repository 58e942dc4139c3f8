import { hash as cryptoHash } from 'node:crypto';
import { GENESIS_HASH, eventHash, sealEvents, sortedKeys } from './chain-core.mjs';
import type { EventMetadata, EventMetadataInput, RecordedEvent } from './types.js';

/*
 * SPEC §8 hash chain. Computed once, for every store, so that verification never depends on which
 * store wrote an event. Canonical JSON is RFC 8785 (JCS): an auditor can recompute a hash years
 * later in any language without our code. Sealing and hashing live in chain-core.mjs, plain
 * JavaScript, because the SQLite writer thread runs them too; this module adds the types and the
 * verifier's checks.
 */
export { GENESIS_HASH, eventHash, sealEvents, sortedKeys };

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

export interface ChainBreak {
  stream: string;
  revision: number;
  position: string;
  eventId: string;
  reason: 'hash_mismatch' | 'prev_hash_mismatch' | 'revision_gap';
}

/** Checks one stream's events (in revision order); returns the first break, if any. */
export function verifyStreamChain(stream: string, events: readonly RecordedEvent[]): ChainBreak | undefined {
  let prev: { revision: number; hash: string } | undefined;
  for (const event of events) {
    const at = { stream, revision: event.revision, position: event.position, eventId: event.id };
    const link = linkBreak(event, prev);
    if (link) return { ...at, reason: link.kind === 'unchained' ? 'prev_hash_mismatch' : 'revision_gap' };
    const { hash, ...withoutHash } = event.metadata;
    if (!hashMatches(stream, event.revision, event.type, event.data, withoutHash, hash)) {
      return { ...at, reason: 'hash_mismatch' };
    }
    prev = { revision: event.revision, hash };
  }
  return undefined;
}

/** How an event fails to follow the one before it in its stream (`linkBreak`). */
export type LinkBreak = { kind: 'missing'; from: number; to: number } | { kind: 'order' } | { kind: 'unchained' };
/**
 * Where a stream's chain breaks at `event`'s link to the one before, read in order after `prev` (undefined for the first):
 * `missing` — revisions `from`..`to` are not there (deleted or moved); `order` — its revision is
 * not after `prev`'s; `unchained` — its `prevHash` is not `prev`'s hash (GENESIS_HASH for the
 * first). Undefined when it follows on. Cheap — no hash is computed — so every command's read of
 * a stream checks it (SPEC §8: a history with a hole is not decided on); the content check
 * (`recordedHashMatches`) is the verifier's and the history's.
 */
export function linkBreak(event: { revision: number; metadata: { prevHash?: string } }, prev: { revision: number; hash: string | undefined } | undefined): LinkBreak | undefined {
  const expected = prev === undefined ? 0 : prev.revision + 1;
  if (event.revision > expected) return { kind: 'missing', from: expected, to: event.revision - 1 };
  if (event.revision < expected) return { kind: 'order' };
  if (event.metadata.prevHash !== (prev === undefined ? GENESIS_HASH : prev.hash)) return { kind: 'unchained' };
  return undefined;
}
