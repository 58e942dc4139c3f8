import t from 'tap';
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

const root = join(import.meta.dirname, '..');

/** The shell blocks of README.md: what a newcomer pastes. */
function shellBlocks(): string[] {
  const readme = readFileSync(join(root, 'README.md'), 'utf8');
  return [...readme.matchAll(/^```sh\n([\s\S]*?)^```/gm)].map((m) => m[1]!);
}

/**
 * Every path a README command writes inside the checkout: a shell redirect to a relative file
 * (`> demo.env`), a file a snippet writes (`writeFileSync("kang.json", …)`), a `DATA_DIR=./dir`.
 */
function writtenPaths(blocks: string[]): string[] {
  const found = new Set<string>();
  for (const block of blocks) {
    for (const m of block.matchAll(/(?<![=\-\d])>\s*`?([A-Za-z0-9_][\w.-]*)/g)) found.add(m[1]!);
    for (const m of block.matchAll(/writeFileSync\("([^"/]+)"/g)) found.add(m[1]!);
    for (const m of block.matchAll(/DATA_DIR=\.\/([\w.-]+)/g)) found.add(`${m[1]!}/`);
  }
  return [...found].sort();
}

const ignored = (path: string) => spawnSync('git', ['check-ignore', '-q', '--no-index', path.endsWith('/') ? `${path}x` : path], { cwd: root }).status === 0;

t.test('what the README\u2019s commands write into the checkout is git-ignored (demo.env holds live tokens)', async (t) => {
  const paths = writtenPaths(shellBlocks());
  // The walk-through's files, so that a change to the extraction that finds nothing fails here.
  for (const expected of ['demo.env', 'notice.html', 'kang.json', 'kang-data/', 'chengguan.json', 'log.ndjson']) {
    t.ok(paths.includes(expected), `the README writes ${expected}`);
  }
  for (const path of paths) t.ok(ignored(path), `${path} is git-ignored`);
  // The check can fail: what the project keeps is not ignored.
  t.notOk(ignored('README.md'), 'README.md is not ignored');
  t.notOk(ignored('services/main.ts'), 'sources are not ignored');
});
