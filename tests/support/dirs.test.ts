// The test directories: removed after the test's teardowns, never before (tests/support/dirs.ts).
import t from 'tap';
import { existsSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { testDir } from './dirs.js';

t.test('a testDir is still there for every teardown, and gone after them', async (t) => {
  let dir = '';
  let wroteLate = false;
  await t.test('a test that writes into its directory while it tears down', async (t) => {
    dir = testDir(t);
    // As a server closing writes its snapshot: after a turn of the event loop, into the directory.
    t.teardown(async () => {
      await new Promise((resolve) => setImmediate(resolve));
      writeFileSync(join(dir, 'snapshot'), 'x');
      wroteLate = true;
    });
    t.ok(existsSync(dir));
  });
  t.ok(wroteLate, 'the teardown found its directory');
  t.notOk(existsSync(dir), 'and the directory went after it');
});

t.test('each testDir of a test is its own, and a later one leaves an earlier one alone', async (t) => {
  const first = testDir(t);
  writeFileSync(join(first, 'events.sqlite'), 'a server\'s log');
  const second = testDir(t, { certs: {}, 'a.txt': '甲' });
  t.not(second, first);
  t.equal(readFileSync(join(first, 'events.sqlite'), 'utf8'), 'a server\'s log', 'the first directory is untouched');
  t.ok(statSync(join(second, 'certs')).isDirectory(), 'with its content');
  t.equal(readFileSync(join(second, 'a.txt'), 'utf8'), '甲');
});

t.test('sweep: no test makes a directory with t.testdir() itself', async (t) => {
  const root = join(import.meta.dirname, '..');
  const files: string[] = [];
  const walk = (d: string) => {
    for (const name of readdirSync(d)) {
      const path = join(d, name);
      if (statSync(path).isDirectory()) walk(path);
      else if (path.endsWith('.ts') && path !== join(import.meta.dirname, 'dirs.ts') && path !== import.meta.filename) files.push(path);
    }
  };
  walk(root);
  t.ok(files.length > 50, `${files.length} files read`);
  t.same(
    files.filter((f) => /\.testdir\(/.test(readFileSync(f, 'utf8'))).map((f) => relative(root, f)),
    [],
    'each takes testDir(t) from tests/support/dirs.ts',
  );
});
