import { addresses } from '../domain/alerting.js';
import { scopeUnit, withinScope } from '../domain/units.js';
import type { Role } from '../domain/vocabulary.js';
import { projection } from './projection.js';

/** One token as recorded (never the token itself). */
export interface Grant {
  jti: string;
  sub: string;
  role: Role;
  scope: string;
  issuedAt: string;
  exp: string;
  issuedBy: string;
  name?: string | undefined;
  phone?: string | undefined;
  position: string;
  revoked: { at: string; reason: string; by: string; position: string } | null;
}

/** A revocation by `sub`, kept for tokens issued before access was recorded (no jti). */
interface SubRevocation {
  at: string;
  within: string;
}

/**
 * Who holds access (SPEC §2): every grant in log order, which are revoked, and by whom. Every node
 * folds the same log, so every node refuses the same tokens once it has applied a revocation.
 */
export interface AccessState {
  grants: Map<string, Grant>;
  /** jtis by sub, in grant order. */
  bySub: Map<string, string[]>;
  /** jtis revoked, including ids no grant of this log carries (a token issued elsewhere and named by an admin). */
  revokedJtis: Set<string>;
  subRevocations: Map<string, SubRevocation[]>;
}

export const accessProjection = projection({
  name: 'access',
  version: 1,
  eventTypes: ['AccessGranted', 'AccessRevoked'],
  initialState: (): AccessState => ({ grants: new Map(), bySub: new Map(), revokedJtis: new Set(), subRevocations: new Map() }),
  evolve(state, event) {
    switch (event.type) {
      case 'AccessGranted': {
        const d = event.data;
        state.grants.set(d.jti, { ...d, position: event.position, revoked: null });
        const jtis = state.bySub.get(d.sub);
        if (jtis) jtis.push(d.jti);
        else state.bySub.set(d.sub, [d.jti]);
        return state;
      }
      case 'AccessRevoked': {
        const d = event.data;
        const revoke = (grant: Grant) => {
          if (grant.revoked || !withinScope(scopeUnit(grant.scope)!, d.within)) return;
          grant.revoked = { at: event.at, reason: d.reason, by: d.revokedBy, position: event.position };
          state.revokedJtis.add(grant.jti);
        };
        if (d.jti !== undefined) {
          const grant = state.grants.get(d.jti);
          if (grant) revoke(grant);
          else state.revokedJtis.add(d.jti);
        }
        if (d.sub !== undefined) {
          // Every grant to sub before this event, in the revoker's scope. Grants after it are new
          // access (a replacement phone) and stay valid.
          for (const jti of state.bySub.get(d.sub) ?? []) revoke(state.grants.get(jti)!);
          const list = state.subRevocations.get(d.sub);
          if (list) list.push({ at: event.at, within: d.within });
          else state.subRevocations.set(d.sub, [{ at: event.at, within: d.within }]);
        }
        return state;
      }
      default: {
        const never: never = event;
        return never;
      }
    }
  },
});

/**
 * Whether a verified token's access has been taken back (SPEC §2). A token whose grant this node
 * has applied is revoked iff its jti is. A token without a recorded grant — issued before access
 * was recorded (no jti), or not yet applied here — is revoked when its jti was named, or when its
 * sub was revoked within a scope covering the token's at or after the token's issue time: a token
 * issued after that is new access (it will be recorded after the revocation) and stays valid.
 */
export function isRevoked(state: AccessState, claims: { sub: string; scope: string; jti?: string | undefined; iat?: number | undefined }): boolean {
  if (claims.jti !== undefined) {
    if (state.revokedJtis.has(claims.jti)) return true;
    if (state.grants.has(claims.jti)) return false;
  }
  const revocations = state.subRevocations.get(claims.sub);
  if (!revocations) return false;
  const issuedMs = (claims.iat ?? 0) * 1000;
  const unit = scopeUnit(claims.scope);
  return revocations.some((r) => unit !== undefined && withinScope(unit, r.within) && issuedMs <= Date.parse(r.at));
}

export type GrantStatus = 'active' | 'expired' | 'revoked';

export const grantStatus = (grant: Grant, nowMs: number): GrantStatus => (grant.revoked ? 'revoked' : Date.parse(grant.exp) <= nowMs ? 'expired' : 'active');

/** Grants whose scope lies within `scope`, in grant order; `status` filters when given. */
export function grantsWithin(state: AccessState, scope: string, nowMs: number, status?: GrantStatus): Grant[] {
  const out: Grant[] = [];
  for (const grant of state.grants.values()) {
    if (!withinScope(scopeUnit(grant.scope)!, scope)) continue;
    if (status !== undefined && grantStatus(grant, nowMs) !== status) continue;
    out.push(grant);
  }
  return out;
}

const active = (grant: Grant, nowMs: number) => !grant.revoked && Date.parse(grant.exp) > nowMs;

/** The name on the latest grant of `sub` that carries one (how the pages name a colleague). */
export function grantName(state: AccessState, sub: string): string | undefined {
  const jtis = state.bySub.get(sub) ?? [];
  for (let i = jtis.length - 1; i >= 0; i--) {
    const name = state.grants.get(jtis[i]!)?.name;
    if (name) return name;
  }
  return undefined;
}

/** The phone of `sub`: that of their latest active grant that has one (SPEC §5: how an SMS reaches them). */
export function phoneOf(state: AccessState, sub: string, nowMs: number): string | undefined {
  const jtis = state.bySub.get(sub) ?? [];
  for (let i = jtis.length - 1; i >= 0; i--) {
    const grant = state.grants.get(jtis[i]!)!;
    if (grant.phone && active(grant, nowMs)) return grant.phone;
  }
  return undefined;
}

/**
 * The users a recipient entry of an alert names (SPEC §5): a user id names that user, `role@prefix`
 * every holder of active access of that role at exactly that unit. Only users with a recorded grant
 * are found: a phone lives on the grant (docs/decisions.md).
 */
export function usersAddressed(state: AccessState, recipient: string, nowMs: number): string[] {
  if (!recipient.includes('@')) return state.bySub.has(recipient) ? [recipient] : [];
  const subs = new Set<string>();
  for (const grant of state.grants.values()) if (active(grant, nowMs) && addresses(recipient, { id: grant.sub, role: grant.role, scope: grant.scope })) subs.add(grant.sub);
  return [...subs];
}

/** The village contacts whose active access carries this phone: who sent an inbound SMS. */
export function contactsByPhone(state: AccessState, phone: string, nowMs: number): Array<{ sub: string; name: string | undefined; village: string }> {
  const found = new Map<string, { sub: string; name: string | undefined; village: string }>();
  for (const grant of state.grants.values()) {
    if (grant.role !== 'contact' || grant.phone !== phone || !active(grant, nowMs)) continue;
    const unit = scopeUnit(grant.scope)!;
    found.set(`${grant.sub}|${unit}`, { sub: grant.sub, name: grant.name, village: unit });
  }
  return [...found.values()];
}

/** Every grant to `sub`, in grant order, as the roster check reads them (domain/roster.ts `rosterWarnings`). */
export function grantsOf(state: AccessState, sub: string): Array<{ sub: string; role: string; scope: string; exp: string; revoked: boolean }> {
  return (state.bySub.get(sub) ?? []).map((jti) => {
    const g = state.grants.get(jti)!;
    return { sub: g.sub, role: g.role, scope: g.scope, exp: g.exp, revoked: g.revoked !== null };
  });
}
