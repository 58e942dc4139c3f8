import { mkdirSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Test } from 'tap';

/** What a directory starts with: a file's text, or a directory's entries. */
export interface DirContent {
  [name: string]: string | DirContent;
}

const roots = new WeakMap<Test, { root: string; made: number }>();

/**
 * A new directory for test `t`, holding `content`, removed only after every teardown of `t` has
 * run. Each call gives another directory.
 *
 * Two things about tap 21's `t.testdir()` that this exists for:
 * - it removes the directory in the end-of-test hook that @tapjs/fixture installs, and teardowns run
 *   in the hook that @tapjs/after installs; whichever is installed second wraps the first. When
 *   testdir() comes before the first t.teardown() — "make a data directory, start a server in it,
 *   close it at the end" — the directory went first and the server was closed into a deleted
 *   directory (shown by tests/support/dirs.test.ts). Here tap's removal is switched off and ours
 *   is the first teardown registered, so it runs last.
 * - a second testdir() in the same test empties the first (one directory per test): a test that
 *   started a server and then asked for a directory for a file deleted the server's DATA_DIR
 *   under it. Here the test's directory is made once and each call gets a directory inside it.
 * Every test takes its directories from here (tests/support/dirs.test.ts checks).
 */
export function testDir(t: Test, content: DirContent = {}): string {
  let entry = roots.get(t);
  if (!entry) {
    // tap's own removal is switched off for it: it runs in a hook that may come before the
    // teardowns, and it fails the test when a file is still going. Ours is registered before any
    // other teardown of `t`, so it runs after all of them (they run last first); it is retried (a
    // file still being closed), and a directory that will not go is said, with what is left in
    // it, rather than failing the test it served.
    t.saveFixture = true;
    const root = t.testdir();
    t.teardown(() => {
      try {
        rmSync(root, { recursive: true, force: true, maxRetries: 10, retryDelay: 50 });
      } catch (error) {
        let left = '';
        try {
          left = readdirSync(root, { recursive: true }).join(', ');
        } catch {
          // gone after all
        }
        console.error(`could not remove test directory ${root}: ${String(error)}; left: ${left}`);
      }
    });
    entry = { root, made: 0 };
    roots.set(t, entry);
  }
  const dir = join(entry.root, String(++entry.made));
  mkdirSync(dir);
  fill(dir, content);
  return dir;
}

function fill(dir: string, content: DirContent): void {
  for (const [name, value] of Object.entries(content)) {
    const path = join(dir, name);
    if (typeof value === 'string') writeFileSync(path, value);
    else {
      mkdirSync(path);
      fill(path, value);
    }
  }
}
