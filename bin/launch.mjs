// Loads one of zhitong's entry points (`services/main`, `services/cli`): the compiled, bundled
// JavaScript in dist/ when it is newer than every source file, else the TypeScript itself through tsx. A build
// older than the code is never what runs: after a `git pull` without `npm run build` the node is
// slower to start, not wrong.
import { existsSync, readdirSync, statSync } from 'node:fs';
import { basename, join } from 'node:path';
import { pathToFileURL } from 'node:url';

const root = join(import.meta.dirname, '..');
const LAYERS = ['domain', 'projections', 'infra', 'services'];

function newestSource(dir) {
  let newest = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) newest = Math.max(newest, newestSource(path));
    else if (/\.(ts|cjs|mjs)$/.test(entry.name)) newest = Math.max(newest, statSync(path).mtimeMs);
  }
  return newest;
}

/**
 * True when dist/ holds a complete build made after the last change to any source file and to the
 * dependencies: the bundles carry the packages' code too, so a changed package-lock.json (a pull
 * that upgrades one) makes the build stale as a changed source file does.
 */
export function compiledIsCurrent(checkout = root) {
  const stamp = join(checkout, 'dist', 'BUILT');
  if (!existsSync(stamp)) return false;
  const built = statSync(stamp).mtimeMs;
  const lock = join(checkout, 'package-lock.json');
  if (existsSync(lock) && statSync(lock).mtimeMs > built) return false;
  return LAYERS.every((layer) => newestSource(join(checkout, layer)) <= built);
}

/**
 * Imports `entry` (e.g. 'services/cli'): its bundle in dist/bundle/ (scripts/build.mjs), or the
 * compiled modules of a build that made none, or failing both the TypeScript.
 */
export async function launch(entry) {
  if (process.env.ZHITONG_TYPESCRIPT !== '1' && compiledIsCurrent()) {
    const bundled = join(root, 'dist', 'bundle', `${basename(entry)}.js`);
    return import(pathToFileURL(existsSync(bundled) ? bundled : join(root, 'dist', `${entry}.js`)).href);
  }
  if (existsSync(join(root, 'dist', 'BUILT'))) {
    process.stderr.write('zhitong：代码或依赖在上次构建之后改过，这次直接运行 TypeScript，启动较慢（运行 npm run build 可恢复） / the sources or dependencies changed since the last build; running the TypeScript (npm run build for a faster start)\n');
  }
  const { register } = await import('tsx/esm/api');
  register();
  return import(pathToFileURL(join(root, `${entry}.ts`)).href);
}
