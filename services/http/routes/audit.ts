import type { ServerResponse } from 'node:http';
import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { parseStream } from '../../../domain/events.js';
import { scopeUnit } from '../../../domain/units.js';
import { UnitCode } from '../../../domain/vocabulary.js';
import { verifyStreamChain, type ChainBreak } from '../../../infra/eventstore/chain.js';
import { logPages } from '../../../infra/eventstore/pages.js';
import type { EventStore, RecordedEvent } from '../../../infra/eventstore/types.js';
import type { ApiDeps } from '../deps.js';
import { readPrefix } from '../context.js';
import { HttpError } from '../errors.js';

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
      let unit = unitOfEvent(event);
      if (unit === OF_ITS_STREAM) {
        if (!owner.has(event.stream)) {
          const first = event.revision === 0 ? event : (await store.readStream(event.stream, { max: 1 }))[0];
          owner.set(event.stream, first && (unitOfStreamFirst(first) as string | undefined));
        }
        unit = owner.get(event.stream);
      }
      if (typeof unit === 'string' && unit.startsWith(prefix)) visible.push(event);
    }
    yield visible;
  }
}

const OF_ITS_STREAM = Symbol('the unit of its stream');

/**
 * The unit an event belongs to: its own (a unit's registration, a grant's scope, a revocation's
 * reach), the one its stream's name carries, OF_ITS_STREAM when the stream's first event names
 * it, or undefined for an event of no unit (Idempotency-Key records, seals).
 */
function unitOfEvent(event: RecordedEvent): string | undefined | typeof OF_ITS_STREAM {
  const stream = parseStream(event.stream);
  if (!stream) return undefined;
  const data = event.data as { code?: string; scope?: string; within?: string };
  switch (stream.kind) {
    case 'report':
    case 'allocation':
    case 'incident':
    case 'inbound':
      return OF_ITS_STREAM;
    case 'roster':
      return stream.id;
    case 'household':
      return stream.id.slice(0, 12);
    case 'units':
      return data.code;
    case 'access':
      return scopeUnit(event.type === 'AccessRevoked' ? (data.within ?? '') : (data.scope ?? ''));
    case 'idempotency':
    case 'audit':
      return undefined;
    default: {
      const never: never = stream.kind;
      return never;
    }
  }
}

function unitOfStreamFirst(first: RecordedEvent): string | undefined {
  const data = first.data as { village?: string; county?: string };
  return data.village ?? data.county;
}

export async function auditRoutes(app: FastifyInstance, deps: ApiDeps): Promise<void> {
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
          'Page with `next`: it is the position to pass as `after`, and null once the log is read to its end.',
        querystring: z.strictObject({ after: Position.optional(), limit: z.coerce.number().int().min(1).max(10_000).default(1000) }),
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
          for (let result = first; !result.done; result = await pages.next()) {
            if (result.value.length === 0) continue;
            if (!raw.write(result.value.map((e) => JSON.stringify(e)).join('\n') + '\n')) await drainedOrClosed(raw);
            if (raw.destroyed) return; // the client went away
          }
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
      const events: RecordedEvent[] = [];
      let next: string | null = null;
      for await (const page of eventsInScope(deps.store, prefix, after)) {
        for (const event of page) {
          events.push(event);
          if (events.length === limit) break;
        }
        if (events.length === limit) {
          next = events[events.length - 1]!.position;
          break;
        }
      }
      return { events, next };
    },
  );
  r.get(
    '/audit/verify',
    {
      config: { roles: ['auditor'] },
      schema: {
        tags: ['audit'],
        summary: 'Recompute every hash chain in scope (SPEC §8)',
        querystring: z.strictObject({ unit: UnitCode.optional() }),
      },
    },
    async (request) => {
      const prefix = readPrefix(request, request.query.unit);
      // The log is read once, in order, to find the streams in scope; then each chain is read whole.
      const inScope = new Set<string>();
      let events = 0;
      for await (const page of eventsInScope(deps.store, prefix, undefined)) {
        for (const e of page) inScope.add(e.stream);
        events += page.length;
      }
      let firstBreak: ChainBreak | undefined;
      for (const stream of inScope) {
        firstBreak = verifyStreamChain(stream, await deps.store.readStream(stream));
        if (firstBreak) break;
      }
      return { ok: firstBreak === undefined, streams: inScope.size, events, ...(firstBreak ? { firstBreak } : {}) };
    },
  );
}
