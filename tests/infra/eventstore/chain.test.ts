import fc from 'fast-check';
import t from 'tap';
import { GENESIS_HASH, eventHash, sealEvents, sortedKeys } from '../../../infra/eventstore/chain.js';
import { asciiJson, recordText } from '../../../infra/eventstore/sqlite-appender.mjs';

/**
 * SPEC §8: an event's hash is SHA-256 of the RFC 8785 (JCS) text of {stream, revision, type, data,
 * metadata}. Appends compute it with one native stringify of key-sorted values (issue 18); this
 * holds it to the canonicalize library's JCS for any JSON an event can carry.
 */
t.test('the append path\u2019s hash is the JCS hash, for any well-formed JSON data', async (t) => {
  // Keys JavaScript treats apart — integer-like ("0", "10", "9"), "__proto__", non-ASCII — mixed into generated JSON.
  const key = fc.oneof(fc.string(), fc.constantFrom('0', '9', '10', '01', '4294967295', '__proto__', '', '路', '\u{1F600}'));
  const tricky = fc.letrec((tie) => ({
    value: fc.oneof({ depthSize: 'small' }, fc.jsonValue({ maxDepth: 1 }), fc.array(tie('value'), { maxLength: 3 }), fc.dictionary(key, tie('value'), { maxKeys: 5 })),
  })).value;
  const json = fc.oneof(fc.jsonValue({ maxDepth: 4 }), tricky).filter((v) => !JSON.stringify(v).match(/\\ud[89ab][0-9a-f]{2}(?!\\ud[c-f])/i));
  fc.assert(
    fc.property(json, fc.string({ minLength: 1, maxLength: 20 }), (data, type) => {
      const metadata = { actor: { id: 'u-1', role: 'officer' }, at: '2026-07-01T00:00:00.000Z', correlationId: 'c', schemaVersion: 1, 名: '张*明' };
      const [sealed] = sealEvents('report-x', undefined, [{ id: 'e1', type, data, metadata }]);
      const { hash, ...withoutHash } = sealed!.metadata;
      // Stored key-sorted, the hash in its place: what the verifier's one-stringify check relies on.
      const sorted = JSON.stringify(sealed!.metadata) === JSON.stringify(sortedKeys(sealed!.metadata)) && JSON.stringify(sealed!.data) === JSON.stringify(sortedKeys(data));
      return sorted && hash === eventHash('report-x', 0, type, data, { ...withoutHash, prevHash: GENESIS_HASH });
    }),
    { numRuns: 2000 },
  );
  t.pass('2,000 generated events hash the same both ways');
});

t.test('the stored record built around the data’s text is the record stringified whole, for any JSON data', async (t) => {
  const key = fc.oneof(fc.string(), fc.constantFrom('0', '10', '__proto__', '路', 'data', 'metadata'));
  const tricky = fc.letrec((tie) => ({
    value: fc.oneof({ depthSize: 'small' }, fc.jsonValue({ maxDepth: 1 }), fc.array(tie('value'), { maxLength: 3 }), fc.dictionary(key, tie('value'), { maxKeys: 5 })),
  })).value;
  fc.assert(
    fc.property(fc.oneof(fc.jsonValue({ maxDepth: 4 }), tricky), fc.string({ minLength: 1, maxLength: 20 }), fc.string({ minLength: 1, maxLength: 30 }), (data, type, stream) => {
      const metadata = { actor: { id: 'u-1', role: 'officer' }, at: '2026-07-01T00:00:00.000Z', correlationId: 'cé', schemaVersion: 1 };
      const texts: Array<string | undefined> = [];
      const [e] = sealEvents(stream, undefined, [{ id: 'e1', type, data, metadata }], texts);
      const position = '0000000000000007';
      return recordText(e!.id, stream, e!.revision, position, e!.type, e!.data, texts[0], e!.metadata) === asciiJson({ id: e!.id, stream, revision: e!.revision, position, type: e!.type, data: e!.data, metadata: e!.metadata });
    }),
    { numRuns: 2000 },
  );
  t.pass('2,000 generated events, the same record text both ways');
});

t.test('an object with integer-like keys: its stringify is not JCS, and verification does not take it for the hash', async (t) => {
  const { hashMatches, jcsByStringify } = await import('../../../infra/eventstore/chain.js');
  const { createHash } = await import('node:crypto');
  const data = { '': 'a', '0': 1, '10': 2, '9': 3 };
  const metadata = { actor: { id: 'u-1', role: 'officer' }, at: '2026-07-01T00:00:00.000Z', correlationId: 'c', schemaVersion: 1, prevHash: GENESIS_HASH };
  const stringified = JSON.stringify({ data, metadata, revision: 0, stream: 's', type: 'T' });
  t.equal(jcsByStringify(stringified), false);
  const notJcs = createHash('sha256').update(stringified).digest('hex');
  t.not(notJcs, eventHash('s', 0, 'T', data, metadata), 'JavaScript puts "0", "9", "10" first; JCS puts "" first and "10" before "9"');
  t.equal(hashMatches('s', 0, 'T', data, metadata, notJcs), false, 'a hash over the stringify is not the event\u2019s hash');
  t.equal(hashMatches('s', 0, 'T', data, metadata, eventHash('s', 0, 'T', data, metadata)), true);
});
