import t from 'tap';
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import Database from 'better-sqlite3';
import { SqliteEventStore } from '../infra/eventstore/sqlite.js';
import { verifyStreamChain } from '../infra/eventstore/chain.js';
import { childEnv, childExecArgv } from './support/child-env.js';
import { testDir } from './support/dirs.js';

t.test('SIGKILL mid-stream loses no acknowledged append and leaves clean chains', async (t) => {
  const file = join(testDir(t), 'events.sqlite');
  const child = spawn(process.execPath, [...childExecArgv(), join(import.meta.dirname, 'fixtures/crash-writer.ts'), file], {
    stdio: ['ignore', 'pipe', 'inherit'],
    env: childEnv(),
  });
  const acknowledged: Array<{ stream: string; revision: number; position: string }> = [];
  const exited = new Promise<NodeJS.Signals | null>((resolve) => child.on('exit', (_code, signal) => resolve(signal)));
  // Kill once plenty of appends were acknowledged, while the writers are still going.
  for await (const line of createInterface({ input: child.stdout })) {
    const [stream, revision, position] = line.split(' ');
    acknowledged.push({ stream: stream!, revision: Number(revision), position: position! });
    if (acknowledged.length === 3000) child.kill('SIGKILL');
  }
  t.equal(await exited, 'SIGKILL');
  t.ok(acknowledged.length >= 3000, `${acknowledged.length} appends acknowledged before the kill`);

  const raw = new Database(file);
  t.equal(raw.pragma('integrity_check', { simple: true }), 'ok', 'database is clean');
  raw.close();

  const store = new SqliteEventStore({ file });
  t.teardown(() => store.close());
  const all = await store.readAll({ max: 1_000_000 });
  const byPosition = new Map(all.map((e) => [e.position, e]));
  const missing = acknowledged.filter((a) => {
    const e = byPosition.get(a.position);
    return !e || e.stream !== a.stream || e.revision !== a.revision;
  });
  t.same(missing, [], 'every acknowledged append is there');
  const gaps = all.filter((e, i) => Number(e.position) !== i + 1).map((e) => e.position);
  t.same(gaps, [], 'positions without gaps');
  const streams = new Set(all.map((e) => e.stream));
  for (const stream of streams) {
    const broken = verifyStreamChain(stream, await store.readStream(stream));
    if (broken) t.fail(`chain broken: ${JSON.stringify(broken)}`);
  }
  t.pass(`${streams.size} chains verified`);
  // And the store keeps working after the crash.
  const after = await store.append('report-after-crash', [
    { type: 'ReportFiled', data: {}, metadata: { actor: { id: 'a', role: 'contact' }, at: 'x', correlationId: 'c', schemaVersion: 1 } },
  ]);
  t.equal(Number(after.position), all.length + 1);
});
