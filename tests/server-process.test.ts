import t from 'tap';
import { request } from 'node:http';
import { join } from 'node:path';
import { SqliteEventStore } from '../infra/eventstore/sqlite.js';
import { startServerProcess } from './support/process.js';
import { seedDataDir, tokensFor } from './support/operator.js';
import { testDir } from './support/dirs.js';

t.test('npm start serves; SIGTERM finishes in-flight requests and closes the store cleanly', async (t) => {
  const dataDir = testDir(t);
  // A roster belongs to a registered township: the register first.
  await seedDataDir(dataDir, { rosters: false });
  const server = await startServerProcess({ DATA_DIR: dataDir });
  t.teardown(() => void server.child.kill('SIGKILL'));
  const health = await fetch(`${server.url}/health`);
  t.same(await health.json(), { status: 'ok' });

  const token = tokensFor(dataDir)('head', '621299103', 'h');
  const body = JSON.stringify({ entries: [{ officer: 'u-li', tier: 'primary' }] });
  // Send the headers and half the body; once the server has logged the request, SIGTERM it and
  // only then send the rest: the request is in flight when the server is told to stop.
  const req = request(`${server.url}/roster/621299103000`, {
    method: 'PUT',
    headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json', 'content-length': Buffer.byteLength(body), 'x-request-id': 'in-flight-1' },
  });
  const answer = new Promise<{ status: number; body: string }>((resolve, reject) => {
    req.on('response', (res) => {
      let text = '';
      res.on('data', (d: Buffer) => (text += d.toString()));
      res.on('end', () => resolve({ status: res.statusCode!, body: text }));
    });
    req.on('error', reject);
  });
  req.write(body.slice(0, 10));
  await server.waitForLog(/"reqId":"in-flight-1".*incoming request/);
  server.child.kill('SIGTERM');
  await server.waitForLog(/finishing in-flight requests/);
  req.end(body.slice(10));
  const { status } = await answer;
  t.equal(status, 200, 'the in-flight request got its answer');
  t.equal(await server.exited, 0, 'clean exit');
  t.notMatch(server.stderr(), /Warning|\[[A-Z]+DEP\d+\]/, `no warning on stderr (a deprecated fastify option printed one, session 33): ${server.stderr().slice(0, 300)}`);

  const store = new SqliteEventStore({ file: join(dataDir, 'events.sqlite') });
  t.teardown(() => store.close());
  t.same((await store.readStream('roster-621299103000')).map((e) => e.type), ['OnCallAssigned']);
});
