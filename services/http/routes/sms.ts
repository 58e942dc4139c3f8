import { timingSafeEqual } from 'node:crypto';
import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { ProviderError, type CallbackKind, type NotifyProvider } from '../../../infra/notify/types.js';
import type { InboxRow } from '../../../projections/inbox.js';
import type { SmsDesk } from '../../alerts/sms-desk.js';
import { readPrefix } from '../context.js';
import type { ApiDeps } from '../deps.js';
import { HttpError, notFound } from '../errors.js';
import { listQuery, page } from '../schemas.js';
import { UnitCode } from '../../../domain/vocabulary.js';

export interface SmsLine {
  provider: NotifyProvider;
  desk: SmsDesk;
  /** The path secret of the callback URLs the office registers with its provider (NOTIFY_CALLBACK_SECRET). */
  callbackSecret: string;
}

const KINDS: readonly CallbackKind[] = ['sms-report', 'voice-report', 'inbound'];

const sameSecret = (given: string, secret: string): boolean => {
  const a = Buffer.from(given);
  const b = Buffer.from(secret);
  return a.length === b.length && timingSafeEqual(a, b);
};

const InboxView = z.looseObject({ id: z.string(), from: z.string(), text: z.string(), outcome: z.enum(['filed', 'unparsed', 'unknown_sender']) });

const inboxView = (row: InboxRow) => ({
  id: row.id,
  provider: row.provider,
  from: row.from,
  text: row.text,
  receivedAt: row.receivedAt,
  sender: row.sender ?? null,
  village: row.village ?? null,
  township: row.township ?? null,
  outcome: row.outcome,
  problem: row.problem ?? null,
  reportId: row.reportId ?? null,
  answered: row.answered ?? null,
  position: row.position,
});

/**
 * The SMS line (SPEC §5): the provider's callbacks (delivery receipts, SMS sent to the office's
 * number), the inbox of inbound SMS for the officers who must read what could not be filed, and
 * the short link an alert SMS carries.
 */
export async function smsRoutes(app: FastifyInstance, deps: ApiDeps & { sms: SmsLine | undefined }): Promise<void> {
  const r = app.withTypeProvider<ZodTypeProvider>();
  const line = deps.sms;

  // Public: the provider cannot hold a token. The path carries a secret only the office and the
  // provider's console know (compared in constant time); any other path is 404, as if absent.
  r.post(
    '/callbacks/:provider/:secret/:kind',
    {
      config: { machineText: true },
      schema: {
        hide: true,
        params: z.strictObject({ provider: z.string().max(40), secret: z.string().max(200), kind: z.string().max(40) }),
      },
    },
    async (request, reply) => {
      const { provider, secret, kind } = request.params;
      if (!line || provider !== line.provider.name || !sameSecret(secret, line.callbackSecret) || !KINDS.includes(kind as CallbackKind)) throw notFound('callback');
      let parsed: ReturnType<NotifyProvider['parseCallback']>;
      try {
        parsed = line.provider.parseCallback(kind as CallbackKind, request.body);
      } catch (error) {
        if (error instanceof ProviderError) throw new HttpError(400, 'validation', `body: ${error.message}`, [{ path: 'body', message: error.message }]);
        throw error;
      }
      // Each is recorded before the provider hears 200: on a failure it pushes them again, and
      // receipts and messages are recorded once however often they come.
      for (const receipt of parsed.receipts) await line.desk.receipt(receipt);
      for (const sms of parsed.inbound) await line.desk.receive(sms);
      return reply.code(200).send(line.provider.callbackAnswer);
    },
  );

  r.get(
    '/inbox',
    {
      config: { roles: ['officer', 'head', 'auditor'] },
      schema: {
        tags: ['alerts'],
        summary: 'SMS sent to the office’s number: every one kept, with what came of it (filed, unparsed, unknown sender)',
        querystring: listQuery({ unit: UnitCode.optional(), outcome: z.enum(['filed', 'unparsed', 'unknown_sender']).optional() }),
        response: { 200: page(InboxView) },
      },
    },
    async (request) => {
      const q = request.query;
      const prefix = readPrefix(request, q.unit);
      const state = deps.runner.state('inbox');
      // A number nobody registered belongs to no township: its messages are shown to heads and
      // auditors of any scope, who can find out whose it is (docs/decisions.md).
      const seesUnknown = q.unit === undefined && (request.user.role === 'head' || request.user.role === 'auditor');
      const items: InboxRow[] = [];
      let started = q.after === undefined;
      for (let i = state.order.length - 1; i >= 0 && items.length < q.limit; i--) {
        const row = state.rows.get(state.order[i]!)!;
        if (!started) {
          if (row.id === q.after) started = true;
          continue;
        }
        if (q.outcome && row.outcome !== q.outcome) continue;
        if (row.village ? !row.village.startsWith(prefix) : !seesUnknown) continue;
        items.push(row);
      }
      const last = items.at(-1);
      return { items: items.map(inboxView), next: items.length === q.limit && last ? last.id : null };
    },
  );

  // The short link in an alert SMS. Public, like any link in a text message: it names a report and
  // holds nothing of it; the duty console, with the officer's token kept on the phone, opens it.
  // Eight hex digits are 32 bits: among a province's reports of a year, two ids sharing them are
  // to be expected, and such a link answered 404 to an officer on the road. It now opens the most
  // recently filed of them — the one whose alert is being sent, as an alert SMS goes out within
  // hours of its filing — found walking the filings back from the newest. A longer prefix, or the
  // whole id, is taken too.
  r.get(
    '/r/:short',
    { schema: { hide: true, params: z.strictObject({ short: z.string().regex(/^[0-9a-fA-F]{8}([0-9a-fA-F-]{0,28})$/, 'eight hexadecimal digits or more of a report id') }) } },
    async (request, reply) => {
      // A phone that shows the link in capitals, or a person who types it so, means the same report.
      const short = request.params.short.toLowerCase();
      const { order } = deps.runner.state('reports');
      let found: string | undefined;
      for (let i = order.length - 1; i >= 0 && found === undefined; i--) if (order[i]!.startsWith(short)) found = order[i];
      if (found === undefined) throw notFound('report');
      // The duty console opens the report; the fragment never reaches a server or a log.
      return reply.header('cache-control', 'no-store').redirect(`/#/duty/${found}`, 302);
    },
  );
}
