import type { Decider, Timed } from './decider.js';
import { assertNever, refuse } from './errors.js';
import type { EventOf } from './events.js';
import { scopeUnit, unitLevel } from './units.js';
import type { Role } from './vocabulary.js';

/** A character no reader sees, or one that is only a mark on the character before it, at the start. */
const INVISIBLE_IN_ID = /\p{C}|^\p{M}/u;
/** A dash other than `-` (after width folding): U+2010 hyphen, en and em dashes, minus sign, 一 as ー… */
const LOOK_ALIKE_ID = /[\p{Pd}\u2212\u2043\u30fc](?<!-)/u;

export type AccessEvent = EventOf<'AccessGranted' | 'AccessRevoked'>;

/**
 * Default token lifetimes, seconds (SPEC §2): a village contact's phone reports twice a year and
 * must not find its token expired in the night; staff renew monthly; an auditor's access is for
 * one audit; an operator's for one day's work.
 */
export const DEFAULT_TTL_SECONDS: Record<Role, number> = {
  contact: 180 * 86_400,
  officer: 30 * 86_400,
  head: 30 * 86_400,
  auditor: 7 * 86_400,
  admin: 86_400,
};

/** The longest lifetime any token may be given, seconds: a year and a day. */
export const MAX_TTL_SECONDS = 366 * 86_400;
/** The most tokens one request issues (every contact of a township is a few hundred). */
export const MAX_GRANTS_PER_COMMAND = 1000;

export type GrantWarning = 'staff_scope_is_a_village' | 'contact_scope_above_village';

export const GRANT_WARNING_MESSAGES: Record<GrantWarning, { zh: string; en: string }> = {
  staff_scope_is_a_village: {
    zh: '值班干部和负责人的范围应是乡镇（如 621224100）：范围只是一个村时，乡镇排班表的告警到不了他，他也只能处理这一个村',
    en: 'staff are scoped to a township (like 621224100): scoped to one village, the township roster\u2019s alerts will not reach them and they act on that village alone',
  },
  contact_scope_above_village: {
    zh: '村联络员的范围应是他所在的村（如 621224100201）：范围是乡镇或更大时，他能为其中每一个村报灾和续报，报错村也不会被拦下',
    en: 'a village contact is scoped to their own village (like 621224100201): scoped to a township or wider, they can file and amend reports for every village in it, and a report filed for the wrong village is not stopped',
  },
};

/**
 * What a grant would leave wrong, as warnings, not refusals (SPEC §2, §5): an officer or head
 * scoped to a village holds no token for the township, so the roster's alerts never reach them
 * (domain/roster.ts `rosterWarnings`, not_staff_here) — found by a newcomer who issued one and
 * heard nothing; a contact scoped above a village. `scope` is 12 digits or a significant prefix.
 */
export function grantWarnings(role: Role, scope: string): GrantWarning[] {
  const unit = scopeUnit(scope);
  if ((role === 'officer' || role === 'head') && unit !== undefined && unitLevel(unit) === 'village') return ['staff_scope_is_a_village'];
  // SPEC §2: a contact is a village's (or a group's within it); one scoped wider files for villages
  // that are not theirs (found by a newcomer: a township-wide contact token, issued without a word).
  if (role === 'contact' && (unit === undefined || unitLevel(unit) !== 'village')) return ['contact_scope_above_village'];
  return [];
}

/** The access stream as commands need it: counts only — who holds what is the access projection's. */
export interface AccessState {
  grants: number;
  revocations: number;
}

export interface GrantRequest {
  /** The token id, chosen by the caller (a random UUID): the token is signed with it. */
  jti: string;
  sub: string;
  role: Role;
  scope: string;
  /** Seconds; the role's default when absent. */
  ttlSeconds?: number | undefined;
  /** The holder's name and phone (digits), for SMS and voice alerts and inbound SMS (SPEC §5). */
  name?: string | undefined;
  phone?: string | undefined;
}

/**
 * The claims a recorded grant (AccessGranted's data) is signed with: `issuedAt` and `exp` (ISO
 * instants, whole seconds) as RFC 7519 NumericDate seconds. Signing is deterministic, so the same
 * grant always gives back the same token, and no token is ever stored (SPEC §2).
 */
export function claimsOfGrant(grant: { sub: string; role: Role; scope: string; jti: string; issuedAt: string; exp: string }): { sub: string; role: Role; scope: string; jti: string; iat: number; exp: number } {
  const seconds = (iso: string) => Math.floor(Date.parse(iso) / 1000);
  return { sub: grant.sub, role: grant.role, scope: grant.scope, jti: grant.jti, iat: seconds(grant.issuedAt), exp: seconds(grant.exp) };
}

export type AccessCommand =
  | { type: 'GrantAccess'; data: { grants: GrantRequest[]; issuedBy: string }; now: string }
  | { type: 'RevokeAccess'; data: { sub?: string | undefined; jti?: string | undefined; reason: string; within: string; revokedBy: string; scopes?: string[] | undefined }; now: string };

const initialState = (): AccessState => ({ grants: 0, revocations: 0 });

/** An instant to whole seconds: a token's `iat` and `exp` are whole seconds (RFC 7519 NumericDate). */
const wholeSeconds = (ms: number) => Math.floor(ms / 1000) * 1000;

/**
 * GrantAccess → one AccessGranted per token, `issuedAt` the command's time to the second and
 * `exp` that plus the lifetime (the role's default, SPEC §2). RevokeAccess → one AccessRevoked
 * naming `sub` or `jti`, exactly one. Throws DomainError `invalid_grant` (no tokens, more than
 * MAX_GRANTS_PER_COMMAND, a lifetime outside 1 s … MAX_TTL_SECONDS, a revocation naming neither
 * or both) and `already_exists` (one jti twice). Whether the caller may grant or revoke in a scope
 * is the route's check, which knows the caller (SPEC §2).
 */
function decide(command: AccessCommand, _state: AccessState): AccessEvent[] {
  switch (command.type) {
    case 'GrantAccess': {
      const { grants, issuedBy } = command.data;
      if (grants.length === 0 || grants.length > MAX_GRANTS_PER_COMMAND) {
        refuse('invalid_grant', { en: `between 1 and ${MAX_GRANTS_PER_COMMAND} tokens at a time`, zh: `一次发放 1 至 ${MAX_GRANTS_PER_COMMAND} 个令牌` }, { field: 'tokens' });
      }
      const issuedAt = wholeSeconds(Date.parse(command.now));
      const jtis = new Set<string>();
      return grants.map((g, i) => {
        if (jtis.has(g.jti)) refuse('already_exists', { en: `token id ${g.jti} twice`, zh: `令牌编号 ${g.jti} 出现了两次` }, { field: `tokens.${i}.jti` });
        // A user id is how a person is named in every event: one with an invisible character
        // (contact-lijia plus a zero-width space) reads as someone else on every screen (found by a newcomer).
        if (INVISIBLE_IN_ID.test(g.sub)) refuse('invalid_grant', { en: 'a user id is made of visible characters only (no zero-width space, no lone accent)', zh: '用户编号只能由看得见的字符组成（不能含零宽空格、单独的附加符号等）' }, { field: `tokens.${i}.sub` });
        // Nor one that looks like another: a dash that is not `-`, or Latin letters mixed with
        // Cyrillic or Greek ones (found by a newcomer: the allocator's id with U+2010 hyphens, or
        // a Cyrillic о, was a second person on every screen and approved their own relief).
        if (LOOK_ALIKE_ID.test(g.sub) || (/\p{Script=Latin}/u.test(g.sub) && /[\p{Script=Cyrillic}\p{Script=Greek}]/u.test(g.sub))) {
          refuse('invalid_grant', { en: 'a user id uses the plain hyphen - and does not mix Latin letters with Cyrillic or Greek ones: it would look like another id', zh: '用户编号里的连字符只能用普通的 -，也不能把拉丁字母和西里尔、希腊字母混用：否则看起来会和别的编号一样' }, { field: `tokens.${i}.sub` });
        }
        jtis.add(g.jti);
        const ttl = g.ttlSeconds ?? DEFAULT_TTL_SECONDS[g.role];
        if (!Number.isInteger(ttl) || ttl < 1 || ttl > MAX_TTL_SECONDS) {
          refuse('invalid_grant', { en: `a lifetime is 1 to ${MAX_TTL_SECONDS} seconds`, zh: `令牌有效期须为 1 至 ${MAX_TTL_SECONDS} 秒（366 天）` }, { field: `tokens.${i}.ttlSeconds` });
        }
        return {
          type: 'AccessGranted',
          data: {
            jti: g.jti,
            sub: g.sub,
            role: g.role,
            scope: g.scope,
            issuedAt: new Date(issuedAt).toISOString(),
            exp: new Date(issuedAt + ttl * 1000).toISOString(),
            issuedBy,
            ...(g.name !== undefined ? { name: g.name } : {}),
            ...(g.phone !== undefined ? { phone: g.phone } : {}),
          },
        };
      });
    }
    case 'RevokeAccess': {
      const { sub, jti, reason, within, revokedBy, scopes } = command.data;
      if ((sub === undefined) === (jti === undefined)) refuse('invalid_grant', { en: 'name either sub or jti', zh: '收回令牌时 sub（收回此人的全部令牌）与 jti（收回一个令牌）只填一个' }, { field: sub === undefined ? 'sub' : 'jti' });
      const reached = [...new Set(scopes ?? [])].sort();
      return [{ type: 'AccessRevoked', data: { ...(sub !== undefined ? { sub } : {}), ...(jti !== undefined ? { jti } : {}), reason, within, revokedBy, ...(reached.length > 0 ? { scopes: reached } : {}) } }];
    }
    default:
      return assertNever(command);
  }
}

function evolve(state: AccessState, event: Timed<AccessEvent>): AccessState {
  switch (event.type) {
    case 'AccessGranted':
      return { ...state, grants: state.grants + 1 };
    case 'AccessRevoked':
      return { ...state, revocations: state.revocations + 1 };
    default:
      return assertNever(event);
  }
}

export const accessDecider: Decider<AccessState, AccessCommand, AccessEvent> = { initialState, evolve, decide };
