import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { hasZodFastifySchemaValidationErrors } from 'fastify-type-provider-zod';
import { ZodError } from 'zod';
import { DomainError, type DomainErrorCode } from '../../domain/errors.js';
import { ConcurrencyError, DeadlineError, IdempotencyError, StoreBusyError } from '../../infra/eventstore/types.js';
import { InvalidTokenError } from '../../infra/tokens.js';
import { DamagedStreamError, PreconditionFailedError } from '../commands/execute.js';
import { NotCaughtUpError } from '../projection-runner.js';

/** An HTTP answer a handler decided on: `{error, message, details?}` with its status (SPEC §9). */
export class HttpError extends Error {
  constructor(
    readonly statusCode: number,
    readonly code: string,
    message: string,
    readonly details?: unknown,
  ) {
    super(message);
    this.name = 'HttpError';
  }
}

export const notFound = (what = 'resource') => new HttpError(404, 'not_found', `no such ${what}`);
export const forbidden = (message = 'your role or scope does not allow this') => new HttpError(403, 'forbidden', message);

/** Domain refusals are 422 unless they are about existence or a clash with what exists. */
const DOMAIN_STATUS: Partial<Record<DomainErrorCode, number>> = {
  not_found: 404,
  already_exists: 409,
  report_already_linked: 409,
  in_progress: 409,
  duplicate_relief: 409,
};

interface ErrorBody {
  error: string;
  message: string;
  details?: unknown;
}

function classify(error: unknown): { status: number; body: ErrorBody } {
  if (error instanceof HttpError) {
    return { status: error.statusCode, body: { error: error.code, message: error.message, ...(error.details !== undefined ? { details: error.details } : {}) } };
  }
  if (hasZodFastifySchemaValidationErrors(error)) {
    const details = error.validation.map((v) => ({
      path: `${error.validationContext ?? 'body'}${v.instancePath.replaceAll('/', '.')}`.replace(/\.$/, ''),
      message: v.message ?? 'invalid',
    }));
    return { status: 400, body: { error: 'validation', message: details.map((d) => `${d.path}: ${d.message}`).join('; '), details } };
  }
  if (error instanceof ZodError) {
    const details = error.issues.map((i) => ({ path: i.path.join('.'), message: i.message }));
    return { status: 400, body: { error: 'validation', message: details.map((d) => `${d.path}: ${d.message}`).join('; '), details } };
  }
  if (error instanceof DomainError) {
    return { status: DOMAIN_STATUS[error.code] ?? 422, body: { error: error.code, message: error.message, ...(error.details ? { details: error.details } : {}) } };
  }
  if (error instanceof PreconditionFailedError) {
    return { status: 412, body: { error: 'precondition_failed', message: error.message, details: { currentRevision: error.actual } } };
  }
  if (error instanceof ConcurrencyError) {
    return {
      status: 409,
      body: { error: 'conflict', message: 'another write got there first; read again and retry', details: { currentRevision: error.actual } },
    };
  }
  if (error instanceof IdempotencyError) {
    return { status: 409, body: { error: 'idempotency_mismatch', message: error.message } };
  }
  if (error instanceof InvalidTokenError) {
    return { status: 401, body: { error: 'unauthorized', message: error.message } };
  }
  if (error instanceof StoreBusyError) return { status: 503, body: { error: 'busy', message: error.message } };
  if (error instanceof DeadlineError) return { status: 503, body: { error: 'busy', message: 'the write took too long and was not made; try again' } };
  if (error instanceof NotCaughtUpError) return { status: 503, body: { error: 'not_caught_up', message: error.message } };
  if (error instanceof DamagedStreamError) {
    return { status: 503, body: { error: 'stream_damaged', message: 'this record is damaged in the store; an operator must restore it from a backup' } };
  }
  const fastifyError = error as FastifyError;
  if (typeof fastifyError.statusCode === 'number' && fastifyError.statusCode >= 400 && fastifyError.statusCode < 500) {
    const code =
      fastifyError.statusCode === 413
        ? 'body_too_large'
        : fastifyError.statusCode === 415
          ? 'unsupported_media_type'
          : fastifyError.statusCode === 429
            ? 'rate_limited'
            : fastifyError.statusCode === 400
              ? 'bad_request'
              : 'client_error';
    return { status: fastifyError.statusCode, body: { error: code, message: fastifyError.message } };
  }
  return { status: 500, body: { error: 'internal', message: 'internal error; the request id is in the logs' } };
}

/** The one error handler: everything a client sends wrong is a 4xx JSON answer, never a 500. */
export function registerErrorHandling(app: FastifyInstance): void {
  app.setErrorHandler((error: unknown, request: FastifyRequest, reply: FastifyReply) => {
    const { status, body } = classify(error);
    if (status >= 500) request.log.error({ err: error, status, error: body.error }, 'request failed');
    else request.log.info({ status, error: body.error }, body.message);
    if (status === 503) void reply.header('retry-after', '1');
    if (status === 409 && body.details && typeof body.details === 'object' && 'currentRevision' in body.details) {
      void reply.header('etag', `"${String((body.details as { currentRevision: number }).currentRevision)}"`);
    }
    return reply.code(status).type('application/json').send(body);
  });
  app.setNotFoundHandler((request, reply) =>
    reply.code(404).send({ error: 'not_found', message: `no route ${request.method} ${request.url.split('?')[0]}` }),
  );
}
