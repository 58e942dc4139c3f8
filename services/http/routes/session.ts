import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { isOnCall } from '../../../domain/alerting.js';
import { ancestorAt, scopeUnit, unitLevel, withinScope } from '../../../domain/units.js';
import { HAZARD_LABELS, HAZARDS } from '../../../domain/vocabulary.js';
import { grantName, phoneOf } from '../../../projections/access.js';
import { rosterOf } from '../../../projections/roster.js';
import { childrenOf, unitRef, type UnitsState } from '../../../projections/units.js';
import type { ApiDeps } from '../deps.js';

/** The most villages a session lists for the report form; a contact's scope holds one or a few. */
const MAX_VILLAGES = 500;

const Person = z.object({ name: z.string(), phone: z.string(), kind: z.enum(['primary', 'backup', 'office']) });
const Ref = z.object({ code: z.string(), name: z.string(), path: z.array(z.string()) });

const SessionView = z.object({
  sub: z.string(),
  name: z.string().nullable(),
  phone: z.string().nullable(),
  role: z.string(),
  scope: z.string(),
  exp: z.string(),
  unit: Ref.nullable(),
  villages: z.array(Ref),
  villagesTruncated: z.boolean(),
  hazards: z.array(z.object({ code: z.string(), label: z.string() })),
  callInstead: z.array(z.object({ township: Ref, people: z.array(Person) })),
});

/**
 * Villages within `code` in register order, depth first, at most `limit` of them.
 * @returns `{villages, truncated}`; `truncated` when the scope holds more than `limit`.
 */
function villagesWithin(units: UnitsState, code: string, limit: number): { villages: string[]; truncated: boolean } {
  const villages: string[] = [];
  const walk = (c: string): boolean => {
    if (unitLevel(c) === 'village') return villages.push(c) <= limit;
    for (const child of childrenOf(units, c)) if (!walk(child)) return false;
    return true;
  };
  const complete = units.units.has(code) ? walk(code) : true;
  return { villages: villages.slice(0, limit), truncated: !complete };
}

/**
 * `GET /me`: who this token is and what the pages need to work without another round trip — the
 * villages a report can be filed for, the hazards by label, and (for a village contact or an
 * officer) whom to call when a report cannot be sent: the township's on-call officers now, with the
 * phones on their access grants, and the township office's own phones (SPEC §1: a report that
 * does not get through must never leave the contact with nobody to ring). The page keeps this on
 * the device, so it is there when the network is not.
 */
export async function sessionRoutes(app: FastifyInstance, deps: ApiDeps): Promise<void> {
  const r = app.withTypeProvider<ZodTypeProvider>();
  r.get(
    '/me',
    {
      config: { roles: ['contact', 'officer', 'head', 'auditor', 'admin'] },
      schema: { tags: ['access'], summary: 'The signed-in user, the villages they can report for and whom to call when a report does not get through', response: { 200: SessionView } },
    },
    async (request) => {
      const user = request.user;
      const units = deps.runner.state('units');
      const access = deps.runner.state('access');
      const nowMs = deps.now().getTime();
      const now = new Date(nowMs).toISOString();
      const home = scopeUnit(user.scope);
      const files = user.role !== 'admin';
      const { villages, truncated } = home && files ? villagesWithin(units, home, MAX_VILLAGES) : { villages: [], truncated: false };
      // The townships whose on-call line a person in this scope would ring: the one above a village
      // scope, the scope itself for a township, none for wider scopes (a county has its own office).
      const townships = new Set<string>();
      if (home && (user.role === 'contact' || user.role === 'officer')) {
        const level = unitLevel(home);
        if (level === 'village' || level === 'township') townships.add(ancestorAt(home, 'township')!);
      }
      const callInstead = [...townships].filter((t) => units.units.has(t)).map((township) => {
        const people: Array<z.infer<typeof Person>> = [];
        for (const entry of rosterOf(deps.runner.state('roster'), township)) {
          if (!isOnCall(entry, now)) continue;
          const phone = phoneOf(access, entry.officer, nowMs);
          if (!phone || people.some((p) => p.phone === phone)) continue;
          people.push({ name: grantName(access, entry.officer) ?? entry.officer, phone, kind: entry.tier });
        }
        people.sort((a, b) => (a.kind === b.kind ? 0 : a.kind === 'primary' ? -1 : 1));
        for (const phone of units.units.get(township)?.phones ?? []) if (!people.some((p) => p.phone === phone)) people.push({ name: units.units.get(township)!.name, phone, kind: 'office' });
        return { township: unitRef(units, township), people };
      });
      return {
        sub: user.sub,
        name: grantName(access, user.sub) ?? null,
        phone: phoneOf(access, user.sub, nowMs) ?? null,
        role: user.role,
        scope: user.scope,
        exp: new Date(user.exp * 1000).toISOString(),
        unit: home && units.units.has(home) ? unitRef(units, home) : null,
        villages: villages.filter((v) => withinScope(v, user.scope)).map((v) => unitRef(units, v)),
        villagesTruncated: truncated,
        hazards: HAZARDS.map((code) => ({ code, label: HAZARD_LABELS[code] })),
        callInstead,
      };
    },
  );
}
