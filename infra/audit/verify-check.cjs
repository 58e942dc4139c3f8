'use strict';
// The per-event check of a verification read (verify-reader.ts), shared by its worker threads and
// by the main thread when a log is too small to be worth starting them. Plain CommonJS so that it
// loads without the parent's TypeScript loader.
//
// Each record is parsed and its hash checked the fast way (events are stored with their keys in
// canonical order, so JSON.stringify of the hashed body is its JCS text; infra/eventstore/chain.ts),
// and answered as a compact row: what the verifier's one pass needs, the data only where it places
// a stream (a first event, a seal, the unit register, access), the whole metadata only when the
// fast check failed and the main thread must canonicalise in full.
const { hash } = require('node:crypto');

// An integer-like key is enumerated first by JavaScript, so such a text is not JCS (chain.ts jcsByStringify).
const INTEGER_KEY = /[{,]"(?:0|[1-9]\d*)":/;

/** Rows `[position column, record text]` → the verifier's rows (verify-reader.ts `Row`). */
function checkRecords(rows) {
  const out = [];
  for (const [column, record] of rows) {
    let e;
    try {
      e = JSON.parse(record);
    } catch {
      out.push([String(column).padStart(16, '0'), null]);
      continue;
    }
    const m = e.metadata || {};
    const h = m.hash;
    m.hash = undefined;
    let ok = false;
    try {
      const text = JSON.stringify({ data: e.data, metadata: m, revision: e.revision, stream: e.stream, type: e.type });
      ok = typeof h === 'string' && !INTEGER_KEY.test(text) && hash('sha256', text, 'hex') === h;
    } catch {
      ok = false;
    }
    m.hash = h;
    const needsData = e.revision === 0 || e.type === 'AuditSealed' || e.stream === 'units' || e.stream === 'access';
    out.push([e.position, e.stream, e.revision, e.type, h, m.prevHash, ok, e.id, needsData || !ok ? e.data : null, ok ? null : m]);
  }
  return out;
}

/** The statement every reader of a range uses: rows of positions after `after`, up to `upTo`. */
const RANGE_SQL = 'SELECT position, record FROM events WHERE position > ? AND position <= ? ORDER BY position';

/**
 * A reader's SQLite page cache: 2 MB, not the build's 16. The log is read once, in order, so a
 * page is never wanted again, and every page of a growing cache is memory touched for the first
 * time: a page fault cost ~6 µs on the 2-core machine (a cold read of a province's register took
 * 112 ms with 16 MB of cache, 52 ms with 2 MB; docs/decisions.md "Session 38").
 */
const CACHE_PRAGMA = 'cache_size = -2048';

module.exports = { checkRecords, RANGE_SQL, CACHE_PRAGMA };
