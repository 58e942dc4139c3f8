import type { Test } from 'tap';

type Fixture = Parameters<Test['testdir']>[0];

/**
 * `t.testdir(content)`, removed only after every teardown of `t` has run.
 *
 * tap 21 removes a testdir in the end-of-test hook that @tapjs/fixture installs, and runs
 * teardowns in the hook that @tapjs/after installs; whichever is installed second wraps the
 * first. When testdir() comes before the first t.teardown() — as in "make a data directory, start
 * a server in it, close it at the end" — the directory is removed first and the teardowns run
 * after: a server still writing its WAL or its snapshot makes the removal fail now and then
 * ("error thrown in teardown", seen in CI). A teardown registered first puts the removal last.
 * Every test takes its directories from here (tests/support/dirs.test.ts checks).
 */
export function testDir(t: Test, content?: Fixture): string {
  t.teardown(() => undefined);
  return t.testdir(content);
}
