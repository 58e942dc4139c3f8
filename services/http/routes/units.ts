import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { streams } from '../../../domain/events.js';
import { unitRegisterDecider } from '../../../domain/unit-register.js';
import { unitLevel, withinScope } from '../../../domain/units.js';
import { Location, LongText, PhoneInput } from '../../../domain/vocabulary.js';
import { childrenOf, unitRef, type UnitRow, type UnitsState } from '../../../projections/units.js';
import { inScope } from '../auth.js';
import { commandContext, ifMatch, readPrefix } from '../context.js';
import type { ApiDeps } from '../deps.js';
import { outOfScope, notFound } from '../errors.js';
import { listQuery, page, readQuery, UnitRef, WriteAnswer } from '../schemas.js';

const READERS = ['contact', 'officer', 'head', 'auditor'] as const;

/** SPEC §4 PATCH /units/{code}: a field given is set, `null` clears it. */
const UnitPatch = z
  .strictObject({
    centre: Location.nullable().optional(),
    accessNotes: LongText.nullable().optional(),
    phones: z.array(PhoneInput).max(20).nullable().optional(),
    complaintPhone: PhoneInput.nullable().optional(),
  })
  .refine((b) => Object.values(b).some((v) => v !== undefined), 'a change names at least one of centre, accessNotes, phones, complaintPhone');

const unitView = (units: UnitsState, unit: UnitRow) => ({
  ...unitRef(units, unit.code),
  level: unit.level,
  parent: unit.parent ?? null,
  centre: unit.centre ?? null,
  accessNotes: unit.accessNotes ?? null,
  phones: unit.phones ?? [],
  complaintPhone: unit.complaintPhone ?? null,
  children: childrenOf(units, unit.code).length,
});

const UnitResponse = z.looseObject({ code: z.string(), name: z.string(), path: z.array(z.string()), level: z.string(), children: z.number() });

export async function unitRoutes(app: FastifyInstance, deps: ApiDeps): Promise<void> {
  const r = app.withTypeProvider<ZodTypeProvider>();

  r.patch(
    '/units/:code',
    {
      config: { roles: ['head'] },
      schema: {
        tags: ['units'],
        summary: 'Keep a unit\u2019s centre, access notes, phones and complaint line current (null clears): what every alert and notice is built from',
        params: z.strictObject({ code: UnitRef }),
        body: UnitPatch,
        response: { 200: WriteAnswer },
      },
    },
    async (request) => {
      const { code } = request.params;
      if (!inScope(request, code)) throw outOfScope(code, request.user.scope);
      await deps.units.refresh();
      if (!deps.units.get(code)) throw notFound('unit');
      const context = commandContext(request, deps.now);
      const result = await deps.commands.execute(streams.units, unitRegisterDecider, { type: 'UpdateUnit', data: { code, changes: request.body }, now: context.now }, context, {
        ifMatch: ifMatch(request),
      });
      return { position: result.position, revision: result.revision };
    },
  );

  r.get(
    '/units/:code',
    {
      config: { roles: READERS },
      schema: { tags: ['units'], summary: 'A unit with its path and what an alert says of it', params: z.strictObject({ code: UnitRef }), querystring: readQuery({}), response: { 200: UnitResponse } },
    },
    async (request) => {
      const { code } = request.params;
      const units = deps.runner.state('units');
      const unit = units.units.get(code);
      // A unit above the caller's scope is readable when it is on the way down to it (a village
      // contact sees their county's name), but only units within scope are shown whole.
      if (!unit || !withinScope(code, request.user.scope)) throw notFound('unit');
      return unitView(units, unit);
    },
  );

  r.get(
    '/units',
    {
      config: { roles: READERS },
      schema: {
        tags: ['units'],
        summary: 'The children of a unit (the caller\u2019s scope unit when no parent is given)',
        querystring: listQuery({ parent: UnitRef.optional() }),
        response: { 200: page(UnitResponse) },
      },
    },
    async (request) => {
      const q = request.query;
      const parent = readPrefix(request, q.parent).padEnd(12, '0');
      const units = deps.runner.state('units');
      const codes = unitLevel(parent) === 'village' ? [] : childrenOf(units, parent);
      const start = q.after ? codes.indexOf(q.after) + 1 : 0;
      const slice = codes.slice(start, start + q.limit);
      return { items: slice.map((c) => unitView(units, units.units.get(c)!)), next: start + slice.length < codes.length ? slice.at(-1)! : null };
    },
  );
}
