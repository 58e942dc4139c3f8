import { createHash } from 'node:crypto';
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
    const withPrev = { ...supplied, prevHash };
    const hash = eventHash(stream, revision, event.type, event.data, withPrev);
    prevHash = hash;
    return { id: event.id, type: event.type, revision, data: event.data, metadata: { ...withPrev, hash } };
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
    if (eventHash(stream, event.revision, event.type, event.data, withoutHash) !== hash) {
      return { ...at, reason: 'hash_mismatch' };
    }
    prevHash = hash;
    expectedRevision += 1;
  }
  return undefined;
}
