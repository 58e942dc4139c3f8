import t from 'tap';
import { join } from 'node:path';
import { claimsOfGrant, MAX_GRANTS_PER_COMMAND } from '../../domain/access.js';
import { DomainError } from '../../domain/errors.js';
import { streams } from '../../domain/events.js';
import { SqliteEventStore } from '../../infra/eventstore/sqlite.js';
import { tokenService } from '../../infra/tokens.js';
import { recordGrants } from '../../services/grants.js';
import { testDir } from '../support/dirs.js';

// One way of recording tokens for `zhitong token`, the tests' worlds and the benchmarks (SPEC §2):
// every grant recorded once, in order, however many there are against the per-command limit, and
// the token signed from the recorded grant is the one `verify` accepts with the recorded claims.

const context = { actor: { id: 'admin-test', role: 'admin' as const }, correlationId: 'grants-test', now: '2026-12-05T03:00:00.000Z' };
const requests = (n: number) => Array.from({ length: n }, (_, i) => ({ sub: `officer-${i}`, role: 'officer' as const, scope: '621224100', ttlSeconds: 3600 }));

for (const n of [1, MAX_GRANTS_PER_COMMAND, MAX_GRANTS_PER_COMMAND + 1, 2 * MAX_GRANTS_PER_COMMAND + 3]) {
  t.test(`${n} grants (at most ${MAX_GRANTS_PER_COMMAND} a command): each recorded once, in order`, async (t) => {
    const store = new SqliteEventStore({ file: join(testDir(t), 'events.sqlite'), writer: 'inline' });
    t.teardown(() => store.close());
    const granted = await recordGrants(store, requests(n), context);
    t.same(granted.map((g) => g.sub), requests(n).map((r) => r.sub));
    t.equal(new Set(granted.map((g) => g.jti)).size, n, 'a fresh jti each');
    const events = await store.readStream(streams.access);
    t.equal(events.length, n);
    t.equal(new Set(events.map((e) => e.metadata.correlationId)).size, 1);
    t.equal(granted.every((g) => g.issuedBy === 'admin-test'), true, 'issued by the actor');
  });
}

t.test('no grants at all is refused as the decider refuses it, and nothing is written', async (t) => {
  const store = new SqliteEventStore({ file: join(testDir(t), 'events.sqlite'), writer: 'inline' });
  t.teardown(() => store.close());
  const refused: unknown = await recordGrants(store, [], context).then(() => undefined, (e: unknown) => e);
  t.ok(refused instanceof DomainError, 'a DomainError');
  t.equal((refused as DomainError).code, 'invalid_grant');
  t.equal(await store.headPosition(), undefined);
});

t.test('a token signed from a recorded grant carries exactly its claims, to the second', async (t) => {
  const store = new SqliteEventStore({ file: join(testDir(t), 'events.sqlite'), writer: 'inline' });
  t.teardown(() => store.close());
  const [grant] = await recordGrants(store, [{ sub: 'officer-a', role: 'officer', scope: '621224100', ttlSeconds: 7200 }], { ...context, now: new Date().toISOString() });
  const tokens = tokenService('s'.repeat(40));
  const token = tokens.mint(claimsOfGrant(grant!));
  t.match(tokens.verify(token), { sub: 'officer-a', role: 'officer', scope: '621224100', jti: grant!.jti, iat: Date.parse(grant!.issuedAt) / 1000, exp: Date.parse(grant!.exp) / 1000 });
  t.equal(tokens.mint(claimsOfGrant(grant!)), token, 'signed again from the log: the same token');
});
