import { randomUUID } from 'node:crypto';
import { createSigner, createVerifier, TokenError } from 'fast-jwt';
import { z } from 'zod';
import { Role, Scope, UserId } from '../domain/vocabulary.js';

/** What a bearer token says about its holder (SPEC §2). Tokens and the access stream are the only user registry. */
export const TokenClaims = z.object({
  /** Never an `@`: `role@unit` names an alert audience (SPEC §5), and ids and audiences must not collide. */
  sub: UserId,
  role: Role,
  scope: Scope,
  /** Expiry, seconds since the epoch. */
  exp: z.number().int(),
  /** Issued at, seconds since the epoch; absent only on tokens issued before it was recorded. */
  iat: z.number().int().optional(),
  /**
   * The token id, recorded as AccessGranted and named by AccessRevoked. Absent only on tokens
   * issued before access was recorded; those are revoked by `sub` and issue time.
   */
  jti: z.uuid().optional(),
});
export type TokenClaims = z.infer<typeof TokenClaims>;

/** Every claim of a token as issued now: what `mint` signs. */
export type IssuedClaims = Required<Pick<TokenClaims, 'sub' | 'role' | 'scope' | 'jti' | 'iat' | 'exp'>>;

export class InvalidTokenError extends Error {
  constructor(readonly reason: 'missing' | 'malformed' | 'expired' | 'bad_signature' | 'bad_claims') {
    super(`token ${reason.replace('_', ' ')}`);
    this.name = 'InvalidTokenError';
  }
}

export interface TokenService {
  /** A token for `claims` valid `ttlSeconds` from now, with a fresh jti unless one is given. Unrecorded: tests and tools. */
  issue(claims: Pick<TokenClaims, 'sub' | 'role' | 'scope'> & { jti?: string }, ttlSeconds: number): string;
  /**
   * Signs exactly these claims. Signing is deterministic (HS256 over the same claims in the same
   * order), so a recorded grant gives back the same token: how a retried `POST /tokens` answers
   * again without any token ever being stored.
   */
  mint(claims: IssuedClaims): string;
  /** The claims of a well-signed, unexpired token; throws InvalidTokenError. Revocation is checked by the caller. */
  verify(token: string): TokenClaims;
}

/**
 * Verified tokens remembered, the least recently used forgotten first: a province's phones (each
 * entry ~0.5 KB, so ~5 MB at most).
 */
const VERIFIED_KEPT = 10_000;

/** Characters of an HS256 signature in base64url without padding (32 bytes). */
const HS256_SIGNATURE_CHARS = 43;

/** HS256 JWTs over AUTH_SECRET. */
export function tokenService(secret: string, clock: () => number = Date.now): TokenService {
  const sign = createSigner({ key: secret, algorithm: 'HS256', clockTimestamp: undefined });
  const check = createVerifier({ key: secret, algorithms: ['HS256'], requiredClaims: ['sub', 'role', 'scope', 'exp'] });
  // Claims of tokens verified already, by the token's text, until they expire: every request
  // presents its token, and a phone sends the same one for hours. fast-jwt's own cache hashed each
  // token (SHA-256) to look it up and the claims were parsed again each time: ~50 µs a request, 5 %
  // of the event loop at the intake's maximum (docs/decisions.md, "Session 31").
  const verified = new Map<string, TokenClaims>();
  const mint = (claims: IssuedClaims) => {
    const parsed = TokenClaims.parse(claims);
    // Fixed claim order: the same claims always sign to the same token.
    return sign({ sub: parsed.sub, role: parsed.role, scope: parsed.scope, jti: claims.jti, iat: claims.iat, exp: claims.exp });
  };
  return {
    issue(claims, ttlSeconds) {
      const iat = Math.floor(clock() / 1000);
      return mint({ sub: claims.sub, role: claims.role, scope: claims.scope, jti: claims.jti ?? randomUUID(), iat, exp: iat + ttlSeconds });
    },
    mint,
    verify(token) {
      const known = verified.get(token);
      if (known) {
        verified.delete(token);
        // The clock and the bound fast-jwt checks expiry by; put back last, as the most recently used.
        if (Date.now() <= known.exp * 1000) {
          verified.set(token, known);
          return known;
        }
      }
      // An HS256 signature is 32 bytes, 43 characters of base64url: a shorter one is a token cut
      // short (a link copied in part), not one signed elsewhere (found by a newcomer).
      const signature = token.split('.')[2];
      if (signature !== undefined && signature.length < HS256_SIGNATURE_CHARS) throw new InvalidTokenError('malformed');
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
      // Shared by every request with this token: frozen, so no caller changes what another reads.
      const frozen = Object.freeze(claims.data);
      if (verified.size >= VERIFIED_KEPT) verified.delete(verified.keys().next().value!);
      verified.set(token, frozen);
      return frozen;
    },
  };
}
