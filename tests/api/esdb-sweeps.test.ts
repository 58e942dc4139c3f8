import { spawn } from 'node:child_process';
import { join } from 'node:path';
import t from 'tap';
import { childEnv, childExecArgv } from '../support/child-env.js';
import { testDir } from '../support/dirs.js';

/**
 * Issue 17: the idempotency, two-stream and relief sweeps of the earlier issues, run again with
 * every test app on EventStoreDB (the protocol-level test server, with the server's own events in
 * $all). Their guarantees leaned on the embedded store's global event-id uniqueness; here they hold
 * by the stream a client-chosen id names, the expected revisions and the claims (docs/decisions.md,
 * "What each store guarantees").
 */
const SWEEPS = ['idempotency.test.ts', 'relief-integrity.test.ts', 'concurrency.test.ts'];

for (const file of SWEEPS) {
  t.test(`${file} on EventStoreDB`, async (t) => {
    const child = spawn(process.execPath, [...childExecArgv(), join(import.meta.dirname, file)], {
      cwd: testDir(t),
      env: childEnv({ TEST_STORE: 'esdb' }),
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    child.stdout.on('data', (chunk: Buffer) => (out += chunk.toString('utf8')));
    child.stderr.on('data', (chunk: Buffer) => (out += chunk.toString('utf8')));
    const code = await new Promise<number | null>((resolve) => child.on('close', resolve));
    const failures = out.split('\n').filter((line) => /^\s*not ok /.test(line));
    t.same(failures, [], 'no assertion failed');
    t.equal(code, 0, out.slice(-2000));
    t.match(out, /^1\.\.\d+$/m, 'the file ran to its end');
  });
}
