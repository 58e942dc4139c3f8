import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { scopeUnit } from '../../domain/units.js';
import { hasZodFastifySchemaValidationErrors } from 'fastify-type-provider-zod';
import { ZodError } from 'zod';
import { DomainError, type DomainErrorCode } from '../../domain/errors.js';
import { ConcurrencyError, DeadlineError, DiskFullError, EventTooLargeError, IdempotencyError, StoreBusyError, StoreUnavailableError, StreamDeletedError } from '../../infra/eventstore/types.js';
import { InvalidTokenError } from '../../infra/tokens.js';
import { DamagedStreamError, PreconditionFailedError } from '../commands/execute.js';
import { parseStream } from '../../domain/events.js';
import { NotCaughtUpError } from '../projection-runner.js';
import { damageDetails, issueEn, issueZh, message, requestLanguage, type ErrorCode, type Lang } from './messages.js';

/** An HTTP answer a handler decided on: `{error, message, details?}` with its status (SPEC §9). */
export class HttpError extends Error {
  constructor(
    readonly statusCode: number,
    /** From the catalog (messages.ts), so every code a client can meet has its Chinese message. */
    readonly code: ErrorCode,
    message: string,
    readonly details?: unknown,
  ) {
    super(message);
    this.name = 'HttpError';
  }
}

export const notFound = (what = 'resource') => new HttpError(404, 'not_found', `no such ${what}`);
/**
 * 403 for a unit the request names outside the caller's scope (SPEC §2), saying which unit and
 * what the caller's scope is, in either language: "not yours" alone sent a contact guessing.
 * `what`: the unit's kind in the English message (village, township, …); `field`: the request field.
 */
export const outOfScope = (unit: string, scope: string, what = 'unit', field?: string) =>
  new HttpError(403, 'forbidden', `${what} ${unit} is outside your scope (${scope})`, { unit, scope, ...(field !== undefined ? { field } : {}) });

/** 403 for a role the route is not for (SPEC §2), naming the role. */
/** A role the route does not allow, naming the roles it does (found by a newcomer: an officer trying to approve was told only "not your role"). */
export const forbiddenRole = (role: string, allowed: readonly string[] = []) =>
  new HttpError(403, 'forbidden', `role ${role} may not do this${allowed.length > 0 ? `; ${allowed.join(' or ')} may` : ''}`, { role, ...(allowed.length > 0 ? { allowed: [...allowed] } : {}) });

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

interface Detail {
  path: string;
  message: string;
}

function validationBody(all: Detail[], lang: Lang): ErrorBody {
  const lead = message('validation', lang, undefined);
  // Two rules broken the same way (a number past both its maximum and the safe integers) say one
  // thing twice once translated: each field's problem is told once.
  const seen = new Set<string>();
  const details = all.filter((d) => {
    const key = `${d.path}\u0000${d.message}`;
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
  const fields = details.map((d) => `${d.path}: ${d.message}`).join('; ');
  return { error: 'validation', message: lang === 'en' ? `${lead}: ${fields}` : `${lead}：${fields}`, details };
}

const isDetail = (d: unknown): d is Detail => typeof d === 'object' && d !== null && typeof (d as Detail).path === 'string' && typeof (d as Detail).message === 'string';

/** `{record: {kind, id}}` for a damaged stream of an object a client names (a report, an allocation, an incident…); nothing for others. */
function damagedRecord(stream: string): { record?: { kind: string; id: string } } {
  const parsed = parseStream(stream);
  return parsed && parsed.id !== '' ? { record: { kind: parsed.kind, id: parsed.id } } : {};
}

/** An error as the HTTP answer it is (SPEC §9): status, code, a message in the client's language, details. */
export function classify(error: unknown, lang: Lang = 'zh'): { status: number; body: ErrorBody } {
  const answer = (status: number, code: string, english: string | undefined, details?: unknown, chinese?: string) => ({
    status,
    body: { error: code, message: message(code, lang, details, english, chinese), ...(details !== undefined ? { details } : {}) },
  });
  if (error instanceof HttpError) {
    if (error.code === 'validation' && Array.isArray(error.details)) {
      const details = (error.details as Detail[]).map((d) => ({ path: d.path, message: lang === 'en' ? d.message : issueZh({ code: 'custom' }, d.message) }));
      return { status: error.statusCode, body: validationBody(details, lang) };
    }
    // Any other answer's field list speaks the client's language too (a body that is not JSON).
    const details = Array.isArray(error.details) && lang === 'zh' ? (error.details as unknown[]).map((d) => (isDetail(d) ? { ...d, message: issueZh({ code: 'custom' }, d.message) } : d)) : error.details;
    return answer(error.statusCode, error.code, error.message, details);
  }
  if (hasZodFastifySchemaValidationErrors(error)) {
    const details = error.validation.map((v) => ({
      path: `${error.validationContext ?? 'body'}${v.instancePath.replaceAll('/', '.')}`.replace(/\.$/, ''),
      message: lang === 'en' ? issueEn({ code: v.keyword, ...(v.params as Record<string, unknown>) }, v.message ?? 'invalid') : issueZh({ code: v.keyword, ...(v.params as Record<string, unknown>) }, v.message ?? 'invalid'),
    }));
    return { status: 400, body: validationBody(details, lang) };
  }
  if (error instanceof ZodError) {
    const details = error.issues.map((i) => ({ path: i.path.join('.'), message: lang === 'en' ? issueEn(i as unknown as Record<string, unknown>, i.message) : issueZh(i as unknown as Record<string, unknown>, i.message) }));
    return { status: 400, body: validationBody(details, lang) };
  }
  if (error instanceof DomainError) return answer(DOMAIN_STATUS[error.code] ?? 422, error.code, error.message, error.details, error.zh);
  if (error instanceof PreconditionFailedError) return answer(412, 'precondition_failed', error.message, { currentRevision: error.actual });
  if (error instanceof ConcurrencyError) return answer(409, 'conflict', undefined, { currentRevision: error.actual });
  if (error instanceof IdempotencyError) return answer(409, 'idempotency_mismatch', error.message);
  if (error instanceof InvalidTokenError) return error.reason === 'expired' ? answer(401, 'token_expired', undefined) : answer(401, 'unauthorized', undefined, { reason: error.reason });
  if (error instanceof StoreBusyError || error instanceof DeadlineError) return answer(503, 'busy', undefined);
  if (error instanceof NotCaughtUpError) return answer(503, 'not_caught_up', undefined);
  if (error instanceof DamagedStreamError && error.damage) {
    // Which record, which revision and why, for the operator restoring it; the history (`GET …/history`)
    // marks the same event. The record is named: a link of a report to an incident is refused for the
    // report's hole (found by a newcomer: "this record" read as the incident).
    return answer(409, 'stream_damaged', undefined, { ...damagedRecord(error.stream), ...damageDetails(error.damage, lang) });
  }
  // 409, not 503: the record's state forbids it and waiting will not mend it, so no Retry-After, and
  // a phone's outbox keeps it as refused with this message instead of sending it again for ever
  // (found by a newcomer). SPEC §9's 503 is for "not ready or busy".
  if (error instanceof DamagedStreamError || error instanceof StreamDeletedError) return answer(409, 'stream_damaged', undefined, damagedRecord(error.stream));
  if (error instanceof DiskFullError) return answer(503, 'disk_full', undefined);
  if (error instanceof StoreUnavailableError) return answer(503, 'store_unavailable', undefined);
  if (error instanceof EventTooLargeError) return answer(413, 'event_too_large', undefined, { bytes: error.bytes, limit: error.limit });
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
    return answer(fastifyError.statusCode, code, fastifyError.message);
  }
  return answer(500, 'internal', undefined);
}

/**
 * A scope refusal (`outOfScope`) with the register's names beside the codes (`unitName`,
 * `scopeName`, where the register has them): an officer told "621299102001 不在您的管辖范围内（您
 * 的范围是 621299101）" cannot tell which village that was (found by a newcomer). `name` looks a
 * 12-digit code up; a scope's prefix is looked up as its unit's code (domain/units.ts scopeUnit).
 */
export function withUnitNames(error: unknown, name: (code: string) => string | undefined): unknown {
  if (!(error instanceof HttpError) || error.code !== 'forbidden' || typeof error.details !== 'object' || error.details === null) return error;
  const details = error.details as { unit?: unknown; scope?: unknown };
  if (typeof details.unit !== 'string' || typeof details.scope !== 'string') return error;
  const lookup = (code: string) => {
    const unit = scopeUnit(code);
    return unit === undefined ? undefined : name(unit);
  };
  const unitName = lookup(details.unit);
  const scopeName = lookup(details.scope);
  if (unitName === undefined && scopeName === undefined) return error;
  const said = (code: string, named: string | undefined) => (named === undefined ? code : `${named} (${code})`);
  return new HttpError(
    error.statusCode,
    error.code,
    error.message.replace(`${details.unit} is outside your scope (${details.scope})`, `${said(details.unit, unitName)} is outside your scope (${said(details.scope, scopeName)})`),
    { ...details, ...(unitName !== undefined ? { unitName } : {}), ...(scopeName !== undefined ? { scopeName } : {}) },
  );
}

/**
 * A refusal of field work on a dismissed report with who sent it (`sender`: the role), where the
 * decider could not know: what to do next differs for a village contact (tell the township) and for
 * an officer or a head (file a new report; found by a newcomer: an officer was told to tell the
 * township, as a contact is).
 */
function withSender(error: unknown, role: string | undefined): unknown {
  // A unit outside a village contact's scope: said as a village that is not theirs, not in the words
  // of an office's jurisdiction and a field path (found by a newcomer).
  if (error instanceof HttpError && error.code === 'forbidden' && role === 'contact' && typeof error.details === 'object' && error.details !== null && 'unit' in error.details) {
    return new HttpError(error.statusCode, error.code, error.message, { ...(error.details as object), sender: role });
  }
  if (!(error instanceof DomainError) || error.code !== 'report_dismissed' || role === undefined) return error;
  const details = error.details ?? {};
  if (details.action !== 'field_work' || details.sender !== undefined) return error;
  return new DomainError(error.code, error.zh === undefined ? error.message : { en: error.message, zh: error.zh }, { ...details, sender: role });
}

/**
 * The one error handler: everything a client sends wrong is a 4xx JSON answer, never a 500.
 * `unitName`: the register's name of a 12-digit unit code, for refusals that name units.
 */
export function registerErrorHandling(app: FastifyInstance, unitName: (code: string) => string | undefined = () => undefined): void {
  app.setErrorHandler((raw: unknown, request: FastifyRequest, reply: FastifyReply) => {
    const error = withSender(withUnitNames(raw, unitName), (request as { user?: { role?: string } }).user?.role);
    const { status, body } = classify(error, requestLanguage(request));
    if (status >= 500) request.log.error({ err: error, status, error: body.error }, 'request failed');
    else request.log.info({ status, error: body.error }, body.message);
    if (status === 503) void reply.header('retry-after', '1');
    if (status === 409 && body.details && typeof body.details === 'object' && 'currentRevision' in body.details) {
      void reply.header('etag', `"${String((body.details as { currentRevision: number }).currentRevision)}"`);
    }
    return reply.code(status).type('application/json').send(body);
  });
  app.setNotFoundHandler((request, reply) =>
    reply.code(404).send({ error: 'not_found', message: requestLanguage(request) === 'en' ? `no route ${request.method} ${request.url.split('?')[0]}` : `没有这个接口：${request.method} ${request.url.split('?')[0]}` }),
  );
}
