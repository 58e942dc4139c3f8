import type { ServerResponse } from 'node:http';
import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { placedWithin, placeOfEvent, unitOfFirstEvent } from '../../../domain/audit.js';
import { streams, type EventData } from '../../../domain/events.js';
import { SealTree } from '../../../infra/audit/merkle.js';
import { UnitCode } from '../../../domain/vocabulary.js';
import { readPublicKey, type SealSigner } from '../../../infra/audit/signing.js';
import { LogVerifier, type SealProofs } from '../../../infra/audit/verify.js';
import { logPages } from '../../../infra/eventstore/pages.js';
import type { EventStore, RecordedEvent } from '../../../infra/eventstore/types.js';
import type { ApiDeps } from '../deps.js';
import { readPrefix } from '../context.js';
import { HttpError } from '../errors.js';
import { readQuery } from '../schemas.js';

/** Either store's position: SQLite's zero-padded rowid or EventStoreDB's commit/prepare. */
const Position = z.string().regex(/^\d{1,20}(\/\d{1,20})?$/, 'not a position');
const NDJSON = 'application/x-ndjson';

const drainedOrClosed = (raw: ServerResponse) =>
  new Promise<void>((resolve) => {
    const done = () => {
      raw.off('drain', done);
      raw.off('close', done);
      resolve();
    };
    raw.on('drain', done);
    raw.on('close', done);
  });

/**
 * The events after `after` that belong to units within `prefix`, a page at a time (SPEC §4: the
 * unit register and access events within scope included). Most streams belong to one unit, named
 * by their first event; a stream first met after its first event (paging starts mid-log) is placed
 * by reading that first event, and what is learned is kept for the request.
 */
async function* eventsInScope(store: EventStore, prefix: string, after: string | undefined): AsyncGenerator<RecordedEvent[]> {
  const owner = new Map<string, string | undefined>();
  const pages = logPages(store, after);
  for (;;) {
    let next: IteratorResult<RecordedEvent[]>;
    try {
      next = await pages.next();
    } catch (error) {
      // The syntax was checked; this is a position the other kind of store writes.
      if (error instanceof RangeError) throw new HttpError(400, 'validation', `after: ${error.message}`, [{ path: 'querystring.after', message: error.message }]);
      throw error;
    }
    if (next.done) return;
    const visible: RecordedEvent[] = [];
    for (const event of next.value) {
      const place = placeOfEvent(event.stream, event.type, event.data);
      if (place === 'of-its-stream' && !owner.has(event.stream)) {
        const first = event.revision === 0 ? event : (await store.readStream(event.stream, { max: 1 }))[0];
        owner.set(event.stream, first && unitOfFirstEvent(first.data));
      }
      if (placedWithin(place, owner.get(event.stream), (unit) => typeof unit === 'string' && unit.startsWith(prefix))) visible.push(event);
    }
    yield visible;
  }
}

/**
 * The latest seal and, for each stream the seals place within `prefix`, its sealed head's RFC 6962
 * inclusion proof in the seal's tree. Streams whose events belong each to their own unit (the unit
 * register, access) are not proven: they hold other scopes' events too.
 */
export async function sealProofs(store: EventStore, prefix: string): Promise<SealProofs | undefined> {
  const seals = await store.readStream(streams.audit);
  const latest = seals.at(-1);
  if (!latest) return undefined;
  const folded = new Map<string, { unit: string | null; revision: number; hash: string }>();
  for (const seal of seals) for (const h of (seal.data as EventData<'AuditSealed'>).heads ?? []) folded.set(h.stream, h);
  // Sorted, hashed and built in slices: a province's ~220,000 heads held the event loop ~2 s at once.
  const tree = await SealTree.of([...folded].map(([stream, h]) => ({ stream, revision: h.revision, hash: h.hash })));
  const indexes = tree.heads.flatMap((h, index) => (folded.get(h.stream)!.unit?.startsWith(prefix) ? [index] : []));
  const paths = await tree.proofs(indexes);
  return { seal: latest, size: tree.size, proofs: indexes.map((index, k) => ({ ...tree.heads[index]!, index, path: paths[k]! })) };
}

/** Where seals come from on this node: the sealer, and the signer when a key is configured. */
export interface AuditDeps {
  signer?: SealSigner;
  /** Seals the log now (the node's Sealer): a printed notice's anchor must cover the rows it shows. */
  sealNow?: () => Promise<{ written: boolean; position?: string | undefined; reason?: string | undefined }>;
}

export async function auditRoutes(app: FastifyInstance, deps: ApiDeps & { audit: AuditDeps | undefined }): Promise<void> {
  const r = app.withTypeProvider<ZodTypeProvider>();
  r.get(
    '/audit/events',
    {
      // The log exactly as recorded: hashes are recomputed from it, so nothing is added (no `…Local` twins).
      config: { roles: ['auditor'], verbatim: true },
      schema: {
        tags: ['audit'],
        summary: `The global log in order, paged by position; with Accept: ${NDJSON} the whole log after \`after\`, streamed`,
        description:
          'Only events of streams within your scope (reports and relief by village, incidents by county, rosters by township). ' +
          'Answers `{items, next}` like every list (SPEC §4). Page with `next`: it is the position to pass as `after`, and null once the log in scope is read to its end. ' +
          'As NDJSON: a first line `{"export": {"scope", "after"}}`, the events, and a last line `{"sealProofs", "scope"}` (docs/audit.md §1); a file without its last line was cut short.',
        querystring: readQuery({ after: Position.optional(), limit: z.coerce.number().int().min(1).max(10_000).default(1000) }),
      },
    },
    async (request, reply) => {
      const prefix = readPrefix(request, undefined);
      const { after, limit } = request.query;
      if (request.headers.accept?.includes(NDJSON)) {
        // Streamed with backpressure: an export of years of log must not sit in memory.
        reply.hijack();
        const raw = reply.raw;
        try {
          const pages = eventsInScope(deps.store, prefix, after);
          const first = await pages.next();
          raw.writeHead(200, { 'content-type': NDJSON, 'x-request-id': String(request.id) });
          // The first line says what the file is — this scope's, from where — so that one cut short
          // before its last line is told from a whole log (docs/audit.md §1).
          raw.write(`${JSON.stringify({ export: { scope: prefix, after: after ?? null } })}\n`);
          for (let result = first; !result.done; result = await pages.next()) {
            if (result.value.length === 0) continue;
            if (!raw.write(result.value.map((e) => JSON.stringify(e)).join('\n') + '\n')) await drainedOrClosed(raw);
            if (raw.destroyed) return; // the client went away
          }
          // The latest seal and the inclusion proof of every sealed stream head in scope: the export
          // verifies against the global seal without other counties' events (SPEC §8). Written
          // before the first seal too (null proofs), naming the scope: a file without it is read as
          // a whole log, whose skipped positions and partial unit register would read as deletions.
          const proofs = await sealProofs(deps.store, prefix);
          raw.write(JSON.stringify({ sealProofs: proofs ?? null, scope: prefix }) + '\n');
          raw.end();
        } catch (error) {
          if (raw.headersSent) raw.destroy(error instanceof Error ? error : undefined);
          else {
            const status = error instanceof HttpError ? error.statusCode : 500;
            const body = error instanceof HttpError ? { error: error.code, message: error.message, details: error.details } : { error: 'internal', message: 'internal error; the request id is in the logs' };
            if (status === 500) request.log.error({ err: error }, 'audit events stream failed');
            raw.writeHead(status, { 'content-type': 'application/json; charset=utf-8' }).end(JSON.stringify(body));
          }
        }
        return reply;
      }
      // One more than a page is read, so `next` is null exactly when the log in scope ends here:
      // an auditor's loop stops without asking for an empty page.
      const items: RecordedEvent[] = [];
      let more = false;
      for await (const page of eventsInScope(deps.store, prefix, after)) {
        for (const event of page) {
          if (items.length === limit) {
            more = true;
            break;
          }
          items.push(event);
        }
        if (more) break;
      }
      return { items, next: more ? items[items.length - 1]!.position : null };
    },
  );
  r.get(
    '/audit/verify',
    {
      config: { roles: ['auditor'] },
      schema: {
        tags: ['audit'],
        summary: 'Verify the log in scope (SPEC §8): chains, positions, seals, signatures; names the first thing wrong',
        querystring: readQuery({ unit: UnitCode.optional() }),
      },
    },
    async (request) => {
      const prefix = readPrefix(request, request.query.unit);
      // The whole log is read, in order, once: a stream's scope comes from the (signed) seals, or
      // its first event; problems in streams of other scopes are not reported to this auditor.
      const verifier = new LogVerifier({
        seals: await deps.store.readStream(streams.audit),
        contiguous: deps.store.guarantees.gapFreePositions,
        ...(deps.audit?.signer ? { publicKey: readPublicKey(deps.audit.signer.publicKeyPem) } : {}),
        inScope: (unit) => unit.startsWith(prefix),
      });
      for await (const page of logPages(deps.store)) for (const event of page) verifier.add(event);
      return verifier.finish();
    },
  );

  r.get(
    '/audit/seals/latest',
    {
      config: { roles: ['auditor', 'head'] },
      schema: { tags: ['audit'], summary: 'The latest seal: its root and position, to keep outside this server as an anchor (SPEC §8)' },
    },
    async () => {
      const [latest] = await deps.store.readStream(streams.audit, { direction: 'backwards', max: 1 });
      if (!latest) return { seal: null };
      const data = latest.data as { upTo: string; root: string; streams: number; keyId?: string };
      return { seal: { position: latest.position, upTo: data.upTo, root: data.root, streams: data.streams, keyId: data.keyId ?? null, anchor: `${data.root}@${data.upTo}`, at: latest.metadata.at } };
    },
  );
}
