import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { Decider } from '../../domain/decider.js';
import type { DomainEvent } from '../../domain/events.js';
import type { Role } from '../../domain/vocabulary.js';
import type { Loaded, StreamDamage } from '../commands/execute.js';
import { commandContext, ifMatch } from './context.js';
import type { ApiDeps } from './deps.js';
import { IdParams, listQuery, WriteAnswer } from './schemas.js';
import { damageDetails, linkBreakWords, requestLanguage, type Lang } from './messages.js';
import { linkBreak, recordedHashMatches } from '../../infra/eventstore/chain.js';
import type { RecordedEvent } from '../../infra/eventstore/types.js';

export interface AggregateRoutes<S, C, E extends DomainEvent> {
  /** e.g. `/reports/:id` */
  base: string;
  tag: string;
  decider: Decider<S, C, E>;
  stream: (id: string) => string;
  /** Loads the aggregate, answering 404 when it is absent or outside the caller's scope. */
  loadInScope: (request: FastifyRequest, id: string) => Promise<Loaded<S>>;
}

/**
 * `POST {base}/{path}`: the shape every command on an existing aggregate shares — role check
 * (by the auth hook), scope check (404), If-Match, one `execute` (decided again on the new state
 * when another writer came first), answer `{position, revision}`.
 */
export function commandRoute<S, C, E extends DomainEvent, B extends z.ZodType, P = undefined>(
  app: FastifyInstance,
  deps: ApiDeps,
  aggregate: AggregateRoutes<S, C, E>,
  route: {
    path: string;
    summary: string;
    body: B;
    roles: readonly Role[];
    /**
     * What this command needs besides the aggregate's own state (another stream's, the read
     * side's), read once before deciding and handed to `toCommand` and `warnings`: a command that
     * needs nothing of it (a rejection, a cancellation) declares none, so it never waits on it.
     */
    prepare?: (request: FastifyRequest, loaded: Loaded<S>) => Promise<P>;
    toCommand: (body: z.infer<B>, request: FastifyRequest, now: string, state: S, prepared: P) => C;
    /** What the person who sent it should know of what it did, beside the answer (never a refusal). */
    warnings?: (body: z.infer<B>, id: string, prepared: P) => SaidWarning[];
    /**
     * Recorded even when the stream's history has a hole (`Loaded.damage`), with a warning saying
     * so: a fact from the field that must not be lost — an acknowledgement, an officer on the way
     * or on site, a 续报. Found by a newcomer: a report whose alert was deleted from the file went
     * on escalating while every acknowledgement was refused. What decides relief or ends a record
     * (verification, dismissal, closure, approval, delivery) still waits for the restore (409).
     */
    despiteDamage?: boolean;
    /**
     * Another aggregate this command is recorded on instead of `id`, with the warning that says so
     * (a 续报 to a report dismissed as a duplicate goes to the report it was merged into), or
     * undefined to record it on `id`. Not asked when the request carries If-Match: that condition
     * names `id`'s revision, so such a request is decided on `id` as sent.
     */
    redirect?: (request: FastifyRequest, id: string, loaded: Loaded<S>) => Promise<{ id: string; loaded: Loaded<S>; warning: (written: boolean) => SaidWarning } | undefined>;
  },
): void {
  app.withTypeProvider<ZodTypeProvider>().post(
    `${aggregate.base}/${route.path}`,
    {
      config: { roles: route.roles },
      schema: { tags: [aggregate.tag], summary: route.summary, params: IdParams, body: route.body, response: { 200: WriteAnswer.extend({ warnings: z.array(WarningSchema).optional() }) } },
    },
    async (request) => {
      const asked = (request.params as { id: string }).id;
      const askedLoaded = await aggregate.loadInScope(request, asked);
      const redirected = route.redirect && ifMatch(request) === undefined ? await route.redirect(request, asked, askedLoaded) : undefined;
      const { id, loaded } = redirected ?? { id: asked, loaded: askedLoaded };
      const prepared = (route.prepare ? await route.prepare(request, loaded) : undefined) as P;
      const context = { ...commandContext(request, deps.now), ...(redirected ? { redirectedFrom: aggregate.stream(asked) } : {}) };
      const result = await deps.commands.execute(
        aggregate.stream(id),
        aggregate.decider,
        (state: S) => route.toCommand(request.body as z.infer<B>, request, context.now, state, prepared),
        context,
        { ifMatch: ifMatch(request), despiteDamage: route.despiteDamage === true },
      );
      const said = [...(redirected ? [redirected.warning(result.events.length > 0)] : []), ...(route.despiteDamage && loaded.damage ? [recordedDespiteDamage(loaded.damage)] : []), ...(route.warnings?.(request.body as z.infer<B>, id, prepared) ?? [])];
      const warnings = localized(said, requestLanguage(request));
      return { position: result.position, revision: result.revision, ...(warnings.length > 0 ? { warnings } : {}) };
    },
  );
}

/** The warning beside a fact recorded on a stream whose history has a hole (`despiteDamage`). */
function recordedDespiteDamage(damage: StreamDamage): SaidWarning {
  const words = linkBreakWords(damage.link, damage.revision, damage.prevRevision);
  return {
    code: 'stream_damaged',
    message: `已记录。但这条记录的历史在存储中有缺损（${words.message}），请告知审计人员，由运维人员从备份恢复`,
    en: `recorded; but this record's history is damaged in the store (${words.en}): tell an auditor, so an operator restores it from a backup`,
    revision: damage.revision,
  };
}

/** A note beside a write that was taken: a code, what a person reads (Chinese by default, SPEC §9), and its data. */
export const WarningSchema = z.object({ code: z.string(), message: z.string() }).catchall(z.unknown());
export type Warning = z.infer<typeof WarningSchema>;
/** A warning as a route writes it: `message` in Chinese and `en` beside it, until `localized` picks one. */
export type SaidWarning = Warning & { en: string };

/**
 * The warnings in the client's language (`Accept-Language`, as errors are): `message` is the
 * English where asked for, and `en` is never sent (found by a newcomer: warnings stayed Chinese
 * beside English errors).
 */
export function localized(warnings: ReadonlyArray<Warning | SaidWarning>, lang: Lang): Warning[] {
  return warnings.map((w) => {
    const { en, ...rest } = w as SaidWarning;
    return lang === 'en' && typeof en === 'string' ? { ...rest, message: en } : rest;
  });
}

/**
 * `GET {base}/history`: every event of the aggregate's stream in order, with actors and hashes
 * (SPEC §8: an auditor reads any stream's history), 404 outside the caller's scope as the object is.
 * `key` names the id in the answer (`allocationId`, `incidentId`).
 */
/** A stream's history, paged by revision: `after` is the last revision read (SPEC §4 paging). */
const HistoryQuery = listQuery({}).extend({
  limit: z.coerce.number().int().min(1).max(10_000).default(1000),
  after: z.string().regex(/^\d{1,10}$/, 'must be a revision (a whole number)').optional(),
});

/**
 * Why an event of a stream's history is not intact, in words an auditor reads (SPEC §8, §9: in
 * Chinese), or undefined when it is: its content no longer matches its hash, revisions are missing
 * before it (`missingRevisions`, first and last), it comes out of order, or it does not chain to
 * the event before it. Found by a newcomer: `intact: false` alone did not say which revision was
 * missing. `prev` is the event listed before it, undefined for the first.
 */
export function historyProblem(e: RecordedEvent, prev: RecordedEvent | undefined): { message: string; en: string; missingRevisions?: [number, number] } | undefined {
  if (!recordedHashMatches(e)) return { message: `这条事件的内容与它记录的哈希不符：它被改动过（修订号 ${e.revision}）`, en: `this event's content does not match its recorded hash: it was changed (revision ${e.revision})` };
  const broken = linkBreak(e, prev && { revision: prev.revision, hash: prev.metadata.hash });
  return broken && linkBreakWords(broken, e.revision, prev?.revision);
}

/**
 * What a view of an aggregate adds when its stream's chain breaks (`Loaded.damage`): `intact: false`,
 * the revision, why, in the reader's language, and the missing revisions if that is why. Nothing
 * when it is whole. Found by a newcomer: a report whose verification was deleted from the store
 * read `verified: null` with nothing to say the history had a hole (SPEC §8).
 */
export function integrityOf(damage: StreamDamage | undefined, request: FastifyRequest): { intact?: false; damage?: { revision: number; problem: string; missingRevisions?: [number, number] } } {
  return damage ? { intact: false, damage: damageDetails(damage, requestLanguage(request)) } : {};
}

export function historyRoute<S, C, E extends DomainEvent>(app: FastifyInstance, deps: ApiDeps, aggregate: AggregateRoutes<S, C, E>, key: string, roles: readonly Role[]): void {
  app.withTypeProvider<ZodTypeProvider>().get(
    `${aggregate.base}/history`,
    {
      config: { roles },
      schema: {
        tags: [aggregate.tag, 'audit'],
        summary: `Every event of the ${aggregate.tag.replace(/s$/, '')}'s stream, with actors and hashes`,
        description: 'Paged like every list: `{items, next}`; `next` is the revision to pass as `after`, null at the end.',
        params: IdParams,
        querystring: HistoryQuery,
      },
    },
    async (request) => {
      const id = (request.params as { id: string }).id;
      const { limit, after } = request.query as z.infer<typeof HistoryQuery>;
      await aggregate.loadInScope(request, id);
      // One aggregate's stream is short: read whole, so each page's `intact` still checks the
      // chain from the event before it.
      const events = await deps.store.readStream(aggregate.stream(id));
      // Each event says whether it still matches its hash and chains to the one before: an auditor
      // reading an edited history sees where, without running a verification (found by a newcomer).
      const lang = requestLanguage(request);
      const items = events.map((e, i) => {
        const problem = historyProblem(e, events[i - 1]);
        return {
          revision: e.revision,
          position: e.position,
          type: e.type,
          data: e.data,
          metadata: e.metadata,
          intact: problem === undefined,
          ...(problem ? { problem: lang === 'en' ? problem.en : problem.message, ...(problem.missingRevisions ? { missingRevisions: problem.missingRevisions } : {}) } : {}),
        };
      });
      // A list answers `{items, next}` (SPEC §4), paged by revision (a stream's own order, the same
      // in either store); `events`, the same list again under its first name, is gone (session 37).
      const from = after === undefined ? 0 : Number(after) + 1;
      const page = items.filter((e) => e.revision >= from).slice(0, limit + 1);
      const more = page.length > limit;
      const shown = more ? page.slice(0, limit) : page;
      return { [key]: id, items: shown, next: more ? String(shown.at(-1)!.revision) : null };
    },
  );
}
