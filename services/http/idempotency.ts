import { createHash } from 'node:crypto';
import canonicalize from 'canonicalize';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import fp from 'fastify-plugin';
import { v5 as uuidv5 } from 'uuid';
import { DomainError } from '../../domain/errors.js';
import { streams } from '../../domain/events.js';
import { idempotencyDecider } from '../../domain/idempotency.js';
import type { CommandHandler } from '../commands/execute.js';
import { commandContext } from './context.js';
import { HttpError } from './errors.js';

declare module 'fastify' {
  interface FastifyContextConfig {
    /**
     * A route whose answer must not be stored as sent (POST /tokens: a token is a credential, and
     * the key stream is read by auditors): `stored` is what the key stream keeps, `replayed`
     * rebuilds the answer a retry gets from it.
     */
    idempotentAnswer?: { stored(answer: unknown): unknown; replayed(stored: unknown): unknown };
  }
}

/** Namespace for key-stream ids derived from (user, route, key). */
const KEY_NAMESPACE = 'b3f0a3f2-8c1e-4f4e-9d55-1f0e6c2a7d90';
/** A claim not completed within this time is taken to have died with its process. */
const DEFAULT_LEASE_MS = 30_000;
/** How long a retry waits for the first request with its key to finish before answering 409. */
const DEFAULT_WAIT_MS = 3_000;

const canonical = canonicalize as unknown as (value: unknown) => string;
const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** The key stream of (user, route, key): one stream per key, so claiming it is creating it. */
export const keyStream = (sub: string, route: string, key: string): string =>
  streams.idempotency(uuidv5(`${sub}\u0000${route}\u0000${key}`, KEY_NAMESPACE));

/** What makes two requests the same request: the route's parameters and the body, as canonical JSON. */
export const requestHash = (params: unknown, body: unknown): string =>
  createHash('sha256').update(canonical({ params: params ?? {}, body: body ?? null })).digest('hex');

/** The draft's sf-string (`"abc"`) or the bare key; printable ASCII, 1–255 characters. */
function parseKey(header: string | string[]): string {
  const text = Array.isArray(header) ? header.join(',') : header;
  const m = /^\s*"?([\x21\x23-\x7e]{1,255})"?\s*$/.exec(text);
  if (!m) {
    throw new HttpError(400, 'validation', 'Idempotency-Key must be 1 to 255 printable ASCII characters', [
      { path: 'headers.idempotency-key', message: 'must be 1 to 255 printable ASCII characters' },
    ]);
  }
  return m[1]!;
}

/** Answers a retry may not be given again: the same request could succeed next time. */
function transient(status: number, payload: unknown): boolean {
  if (status >= 500 || status === 429) return true;
  if (status !== 409) return false;
  try {
    return (JSON.parse(String(payload)) as { error?: string }).error === 'conflict';
  } catch {
    return false;
  }
}

/**
 * `Idempotency-Key` on every POST (SPEC §3, draft-ietf-httpapi-idempotency-key-header). Runs after
 * authentication and validation, before the handler:
 *   - the key is claimed by creating its stream, one per (user, route, key);
 *   - the handler runs with the key in its command context, so every event it writes carries it;
 *   - its answer is recorded in the key stream when it is sent (`onSend`), and a retry with the
 *     same parameters and body gets that answer again (`Idempotent-Replayed: true`), a retry with
 *     others 422 `idempotency_mismatch`, a retry while the first is still running waits for it,
 *     then 409; an answer a retry might improve on (5xx, 429, a lost race) frees the key instead.
 * Keys live in the log, so they hold across restarts and nodes, on either store, for ever.
 */
export const idempotencyPlugin = fp(
  async (app: FastifyInstance, options: { commands: CommandHandler; now: () => Date; leaseMs?: number; waitMs?: number }) => {
    const { commands, now } = options;
    const leaseMs = options.leaseMs ?? DEFAULT_LEASE_MS;
    const waitMs = options.waitMs ?? DEFAULT_WAIT_MS;
    app.decorateRequest('idempotencyKey', undefined);

    app.addHook('preHandler', async (request: FastifyRequest, reply: FastifyReply) => {
      const header = request.headers['idempotency-key'];
      if (request.method !== 'POST' || header === undefined || !request.user) return;
      const key = parseKey(header);
      const route = `${request.method} ${request.routeOptions.url ?? request.url}`;
      const stream = keyStream(request.user.sub, route, key);
      const hash = requestHash(request.params, request.body);
      const started = Date.now();
      for (let attempt = 0; ; attempt++) {
        const { state } = await commands.load(stream, idempotencyDecider);
        if (state.status !== 'unused' && state.requestHash !== hash) {
          throw new HttpError(422, 'idempotency_mismatch', 'this Idempotency-Key was used with another request', { field: 'headers.idempotency-key' });
        }
        if (state.status === 'completed') {
          const custom = request.routeOptions.config.idempotentAnswer;
          const response = custom && state.httpStatus < 300 ? custom.replayed(state.response) : state.response;
          return reply.code(state.httpStatus).header('idempotent-replayed', 'true').type('application/json').send(response);
        }
        const at = now();
        if (state.status === 'claimed' && Date.parse(state.leaseUntil) > at.getTime()) {
          if (Date.now() - started >= waitMs) throw new HttpError(409, 'conflict', 'a request with this Idempotency-Key is still being processed; retry later');
          await sleep(Math.min(25 * 2 ** attempt, 250));
          continue;
        }
        try {
          await commands.execute(
            stream,
            idempotencyDecider,
            { type: 'ClaimKey', data: { route, requestHash: hash, leaseUntil: new Date(at.getTime() + leaseMs).toISOString() }, now: at.toISOString() },
            commandContext(request, () => at),
          );
        } catch (error) {
          // Another request claimed or finished it first: look again.
          if (error instanceof DomainError && (error.code === 'in_progress' || error.code === 'already_exists')) continue;
          throw error;
        }
        request.idempotencyKey = stream;
        return;
      }
    });

    app.addHook('onSend', async (request: FastifyRequest, reply: FastifyReply, payload: unknown) => {
      const stream = request.idempotencyKey;
      if (!stream) return payload;
      request.idempotencyKey = undefined;
      const status = reply.statusCode;
      const at = now();
      const context = { actor: { id: request.user.sub, role: request.user.role }, correlationId: request.id, now: at.toISOString() };
      try {
        if (transient(status, payload)) {
          await commands.execute(stream, idempotencyDecider, { type: 'ReleaseKey', data: { status }, now: context.now }, context);
        } else {
          const custom = request.routeOptions.config.idempotentAnswer;
          const sent: unknown = typeof payload === 'string' && payload.length > 0 ? JSON.parse(payload) : null;
          const response = custom && status < 300 ? custom.stored(sent) : sent;
          await commands.execute(stream, idempotencyDecider, { type: 'CompleteKey', data: { status, response: response as never }, now: context.now }, context);
        }
      } catch (error) {
        // The answer still goes out. The key stays claimed until its lease ends; a retry then
        // takes it over and finds, in the events' metadata, what this request already did.
        request.log.warn({ err: error }, 'could not record the Idempotency-Key outcome');
      }
      return payload;
    });
  },
  { name: 'zhitong-idempotency' },
);
