import type { EventMetadataInput, NewEvent } from './types.js';
import type { SealedEvent, StreamHead } from './chain.js';

/** SHA-256 hash of the previous event in the stream for the first event of a stream (SPEC §8). */
export declare const GENESIS_HASH: string;

/**
 * SPEC §8: SHA-256 (hex) over RFC 8785 (JCS) canonical JSON of `{stream, revision, type, data,
 * metadata without hash}`. Throws TypeError for a value that is not JSON.
 */
export declare function eventHash(stream: string, revision: number, type: string, data: unknown, metadataWithoutHash: EventMetadataInput & { prevHash: string }): string;

/** A copy of a JSON value with the keys of every object in canonical (UTF-16 code unit) order. */
export declare function sortedKeys<T>(value: T): T;

/**
 * Gives each event its revision, prevHash and hash, continuing from the stream's head; data and
 * metadata come back key-sorted (`sortedKeys`). `dataTexts`, if given, receives each sealed
 * event's `JSON.stringify(data)`, in order (the SQLite store writes it into the record).
 */
export declare function sealEvents(stream: string, head: StreamHead | undefined, events: ReadonlyArray<NewEvent & { id: string }>, dataTexts?: Array<string | undefined>): SealedEvent[];
