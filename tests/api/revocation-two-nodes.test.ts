import t from 'tap';
import { join } from 'node:path';
import { streams } from '../../domain/events.js';
import { unitRegisterDecider } from '../../domain/unit-register.js';
import { loadConfig } from '../../infra/config.js';
import { SqliteEventStore } from '../../infra/eventstore/sqlite.js';
import { tokenService } from '../../infra/tokens.js';
import { execute } from '../../services/commands/execute.js';
import { DEMO_UNITS } from '../../services/demo.js';
import { KANG, WANGBA } from '../support/app.js';
import { startServerProcess } from '../support/process.js';
import { AlertClient } from '../support/ws-client.js';
import { testDir } from '../support/dirs.js';

/**
 * Issue 12: a token revoked on one node is refused on another once that node has applied the
 * revocation — waited for by its position, never by sleeping. The time it took is printed.
 */
t.test('revoked on node A, refused on node B (HTTP and a live WebSocket)', async (t) => {
  const dataDir = testDir(t);
  const seed = new SqliteEventStore({ file: join(dataDir, 'events.sqlite') });
  const ctx = { actor: { id: 'seed', role: 'admin' as const }, correlationId: 'seed', now: new Date().toISOString() };
  await execute(seed, streams.units, unitRegisterDecider, { type: 'ImportUnits', data: { units: DEMO_UNITS }, now: ctx.now }, ctx);
  await seed.close();
  const env = { DATA_DIR: dataDir };
  const nodeA = await startServerProcess(env);
  const nodeB = await startServerProcess(env);
  t.teardown(() => {
    nodeA.child.kill('SIGKILL');
    nodeB.child.kill('SIGKILL');
  });
  const tokens = tokenService(loadConfig({ DATA_DIR: dataDir }).authSecret);
  const admin = tokens.issue({ sub: 'admin-zhang', role: 'admin', scope: KANG }, 600);
  const head = tokens.issue({ sub: 'head-wangba', role: 'head', scope: WANGBA }, 600);
  const call = (url: string, path: string, token: string, body?: unknown) =>
    fetch(`${url}${path}`, {
      method: body === undefined ? 'GET' : 'POST',
      headers: { authorization: `Bearer ${token}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });

  const issued = await call(nodeA.url, '/tokens', admin, { tokens: [{ sub: 'officer-leaving', role: 'officer', scope: WANGBA }] });
  t.equal(issued.status, 201);
  const { tokens: [officer] } = (await issued.json()) as { tokens: Array<{ jti: string; token: string }> };
  t.equal((await call(nodeB.url, '/alerts/open', officer!.token)).status, 200, 'valid on B');
  const session = await AlertClient.connect(nodeB.url, officer!.token);
  t.teardown(() => session.close());
  await session.next((f) => f.type === 'hello');

  const started = performance.now();
  const revoked = await call(nodeA.url, '/tokens/revocations', head, { jti: officer!.jti, reason: '调离' });
  t.equal(revoked.status, 201);
  const { position } = (await revoked.json()) as { position: string };
  const recorded = performance.now();
  // Node B answers a read at that position only once it has applied it (or 503 — then the test fails).
  const applied = await call(nodeB.url, `/tokens?position=${position}&sub=officer-leaving`, head);
  t.equal(applied.status, 200, 'node B reached the revocation');
  t.match(((await applied.json()) as { items: unknown[] }).items, [{ jti: officer!.jti, status: 'revoked' }], 'and lists it as revoked');
  const appliedAt = performance.now();
  const refused = await call(nodeB.url, '/alerts/open', officer!.token);
  t.equal(refused.status, 401);
  t.equal(((await refused.json()) as { error: string }).error, 'revoked');
  t.match(await session.next((f) => f.type === 'error'), { code: 'revoked' }, 'B ends the live session too');
  t.equal(await session.closed, 1008);
  const closedAt = performance.now();
  t.comment(
    `revocation recorded on A in ${(recorded - started).toFixed(0)} ms; applied on B ${(appliedAt - recorded).toFixed(0)} ms after it was recorded; B's WebSocket session closed ${(closedAt - recorded).toFixed(0)} ms after`,
  );
});
