import t from 'tap';
import { randomUUID } from 'node:crypto';
import { InvalidTokenError, tokenService } from '../../infra/tokens.js';

const SECRET = 'a-test-secret-of-thirty-two-bytes-or-more';

t.test('a token verified once is not trusted past its expiry, nor in any other form', async (t) => {
  const tokens = tokenService(SECRET);
  const exp = Math.floor(Date.now() / 1000) + 1;
  const token = tokens.mint({ sub: 'officer-1', role: 'officer', scope: '621224100000', jti: randomUUID(), iat: exp - 60, exp });
  const claims = tokens.verify(token);
  t.equal(claims.sub, 'officer-1');
  t.equal(tokens.verify(token), claims, 'the second time from memory');
  t.throws(() => ((claims as { scope: string }).scope = '62'), TypeError, 'frozen: one request cannot change what the next reads');
  const [head, body, signature] = token.split('.');
  const forged = Buffer.from(JSON.stringify({ ...JSON.parse(Buffer.from(body!, 'base64url').toString()), scope: '62' })).toString('base64url');
  t.throws(() => tokens.verify(`${head}.${forged}.${signature}`), new InvalidTokenError('bad_signature'), 'a changed body with the remembered signature');
  t.throws(() => tokens.verify(`${token}x`), InvalidTokenError, 'a longer text');
  // The clock, not a timer: past the second it expires in.
  while (Date.now() <= exp * 1000);
  t.throws(() => tokens.verify(token), new InvalidTokenError('expired'), 'expired, though it was remembered');
});

t.test('many tokens: each verified for what it says, the memory bounded', async (t) => {
  const tokens = tokenService(SECRET);
  const exp = Math.floor(Date.now() / 1000) + 3600;
  const issued = Array.from({ length: 12_000 }, (_, i) => tokens.mint({ sub: `contact-${i}`, role: 'contact', scope: '621224100201', jti: randomUUID(), iat: exp - 3600, exp }));
  for (const [i, token] of issued.entries()) if (tokens.verify(token).sub !== `contact-${i}`) t.fail(`token ${i}`);
  for (const [i, token] of issued.entries()) if (tokens.verify(token).sub !== `contact-${i}`) t.fail(`token ${i}, again`);
  t.pass('every token gave its own claims, first and again');
});
