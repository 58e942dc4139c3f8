#!/usr/bin/env node
// `npm run build` (also run by `npm ci` through `prepare`): the server and the CLI as JavaScript
// in dist/, so a start or a CLI command does not compile TypeScript first (issue 18: a CLI
// command in ≤ 0.5 s). bin/launch.mjs uses dist/ only while it is newer than every source file;
// otherwise it runs the TypeScript through tsx, so a stale build is never what runs.
import { execFileSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, readdirSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, relative } from 'node:path';

const root = join(import.meta.dirname, '..');
const dist = join(root, 'dist');
let tsc;
try {
  tsc = createRequire(import.meta.url).resolve('typescript/bin/tsc');
} catch {
  // An install without devDependencies: no compiler, so the TypeScript runs through tsx.
  console.error('build: typescript is not installed; zhitong will run its TypeScript through tsx');
  process.exit(0);
}
rmSync(join(dist, 'BUILT'), { force: true });
execFileSync(process.execPath, [tsc, '-p', join(root, 'tsconfig.build.json')], { stdio: 'inherit' });
// What tsc does not emit: the plain JavaScript (worker threads and what they share) beside the modules that start them.
const walk = (dir) => readdirSync(dir).flatMap((f) => (statSync(join(dir, f)).isDirectory() ? walk(join(dir, f)) : [join(dir, f)]));
for (const layer of ['domain', 'projections', 'infra', 'services']) {
  for (const file of walk(join(root, layer)).filter((f) => /\.(cjs|mjs)$/.test(f))) {
    const target = join(dist, relative(root, file));
    mkdirSync(dirname(target), { recursive: true });
    copyFileSync(file, target);
  }
}
// The pages are read relative to the module that serves them (services/http/pages): dist/web is the web/ of the checkout.
if (!existsSync(join(dist, 'web'))) symlinkSync('../web', join(dist, 'web'));
writeFileSync(join(dist, 'BUILT'), `${new Date().toISOString()}\n`);
