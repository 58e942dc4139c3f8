'use strict';
// Worker thread behind readForVerification (verify-reader.ts). Plain CommonJS so that it loads
// without the parent's TypeScript loader.
//
// For one range of positions it parses each record and checks its hash the fast way (events are
// stored with their keys in canonical order, so JSON.stringify of the hashed body is its JCS text;
// infra/eventstore/chain.ts), and answers a compact row per event: what the verifier's one pass
// needs, the data only where it places a stream (a first event, a seal, the unit register, access),
// the whole metadata only when the fast check failed and the main thread must canonicalise in full.
const { parentPort, workerData } = require('node:worker_threads');
const { hash } = require('node:crypto');
const INTEGER_KEY = /[{,]"(?:0|[1-9]\d*)":/;
const Database = require('better-sqlite3');

const db = new Database(workerData.file, { readonly: true, fileMustExist: true });
db.pragma('busy_timeout = 10000');
const rows = db.prepare('SELECT position, record FROM events WHERE position > ? AND position <= ? ORDER BY position').raw();

parentPort.on('message', (request) => {
  try {
    const out = [];
    for (const [column, record] of rows.iterate(request.after, request.upTo)) {
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
        // An integer-like key is enumerated first by JavaScript, so such a text is not JCS (chain.ts jcsByStringify).
        const text = JSON.stringify({ data: e.data, metadata: m, revision: e.revision, stream: e.stream, type: e.type });
        ok = typeof h === 'string' && !INTEGER_KEY.test(text) && hash('sha256', text, 'hex') === h;
      } catch {
        ok = false;
      }
      m.hash = h;
      const needsData = e.revision === 0 || e.type === 'AuditSealed' || e.stream === 'units' || e.stream === 'access';
      out.push([e.position, e.stream, e.revision, e.type, h, m.prevHash, ok, e.id, needsData || !ok ? e.data : null, ok ? null : m]);
    }
    parentPort.postMessage({ id: request.id, out });
  } catch (error) {
    parentPort.postMessage({ id: request.id, error: error instanceof Error ? error.message : String(error) });
  }
});
