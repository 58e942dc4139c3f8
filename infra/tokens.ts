import { createSigner, createVerifier, TokenError } from 'fast-jwt';
import { z } from 'zod';
import { Role, UserId } from '../domain/vocabulary.js';
import { scopePrefix } from '../domain/units.js';

/** What a bearer token says about its holder (SPEC §2). Tokens are the only user registry. */
export const TokenClaims = z.object({
  /** Never an `@`: `role@unit` names an alert audience (SPEC §5), and ids and audiences must not collide. */
  sub: UserId,
  role: Role,
  scope: z.string().refine((s) => scopePrefix(s) !== undefined, 'must be a unit code or its significant prefix'),
  exp: z.number().int(),
});
export type TokenClaims = z.infer<typeof TokenClaims>;

export class InvalidTokenError extends Error {
  constructor(readonly reason: 'missing' | 'malformed' | 'expired' | 'bad_signature' | 'bad_claims') {
    super(`token ${reason.replace('_', ' ')}`);
    this.name = 'InvalidTokenError';
  }
}

export interface TokenService {
  issue(claims: Omit<TokenClaims, 'exp'>, ttlSeconds: number): string;
  verify(token: string): TokenClaims;
}

/** HS256 JWTs over AUTH_SECRET. */
export function tokenService(secret: string, clock: () => number = Date.now): TokenService {
  const sign = createSigner({ key: secret, algorithm: 'HS256', clockTimestamp: undefined });
  const check = createVerifier({ key: secret, algorithms: ['HS256'], requiredClaims: ['sub', 'role', 'scope', 'exp'], cache: 1000 });
  return {
    issue(claims, ttlSeconds) {
      const parsed = TokenClaims.omit({ exp: true }).parse(claims);
      return sign({ ...parsed, iat: Math.floor(clock() / 1000), exp: Math.floor(clock() / 1000) + ttlSeconds });
    },
    verify(token) {
      let payload: unknown;
      try {
        payload = check(token);
      } catch (error) {
        if (error instanceof TokenError) {
          if (error.code === TokenError.codes.expired) throw new InvalidTokenError('expired');
          if (error.code === TokenError.codes.invalidSignature) throw new InvalidTokenError('bad_signature');
        }
        throw new InvalidTokenError('malformed');
      }
      const claims = TokenClaims.safeParse(payload);
      if (!claims.success) throw new InvalidTokenError('bad_claims');
      return claims.data;
    },
  };
}
