#!/usr/bin/env node
// `npm run build` (also run by `npm ci` through `prepare`): the server and the CLI as JavaScript
// in dist/, so a start or a CLI command does not compile TypeScript first (issue 18: a CLI
// command in ≤ 0.5 s). bin/launch.mjs uses dist/ only while it is newer than every source file;
// otherwise it runs the TypeScript through tsx, so a stale build is never what runs.
import { execFileSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, readdirSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { basename, dirname, join, relative } from 'node:path';

const root = join(import.meta.dirname, '..');
const dist = join(root, 'dist');
let tsc;
let esbuild;
try {
  tsc = createRequire(import.meta.url).resolve('typescript/bin/tsc');
  esbuild = createRequire(import.meta.url)('esbuild');
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
await bundle();
writeFileSync(join(dist, 'BUILT'), `${new Date().toISOString()}\n`);

/**
 * The two entry points as bundles in dist/bundle/ (what bin/launch.mjs runs): one file each plus
 * shared chunks, so a start resolves, reads and compiles a few large files instead of ~300 small
 * ones. Profiled on the province bench (issue 18): module loading was most of a CLI command
 * (`token` 0.34–0.40 s against `node -e 0` 0.11 s; zod alone ~100 files) and ~0.3 s of a
 * server's start. Kept out of the bundles, loaded from node_modules as published:
 *   - better-sqlite3: a native addon;
 *   - @fastify/swagger-ui, bullmq: read their own files (static assets, Lua scripts) beside their code;
 *   - ioredis: bullmq brings its own import of it, and one copy must serve both;
 *   - @eventstore/db-client, exceljs, the SMS providers' SDKs: large, and loaded only by the
 *     deployments or requests that use them.
 * The worker threads' plain-JavaScript files are copied beside the bundles: each is started by
 * `new URL('./name', import.meta.url)` from a module that is now a chunk of dist/bundle/.
 * dist/bundle/ is two levels under the checkout like dist/services/http/, so the pages' web/ is
 * found the same way (services/http/pages.ts).
 */
/**
 * zod's `z` namespace carries `z.locales`, every one of its ~50 languages' messages: 368 KB of the
 * 766 KB chunk that every CLI command compiles before it does anything (compiling was the largest
 * part of loading, 47 ms of `verify`'s 425 under the profiler; docs/decisions.md "Session 38").
 * zhitong words its own messages (services/http/messages.ts) and never calls `z.locales`, so the
 * bundles carry English, zod's default, and Chinese — as a bundler's locale filter does for a
 * date library's locales. tests/bin/launch.test.ts holds the bundles to this.
 */
function zodLocalesUsed() {
  return { name: 'zod-locales-used', setup };
  function setup(build) {
    build.onResolve({ filter: /^\.\.\/locales\/index\.js$/ }, (args) =>
      /zod[\\/]v4[\\/](classic[\\/]external|core[\\/]index)\.js$/.test(args.importer) ? { path: 'zod-locales', namespace: 'zod-locales-used' } : undefined,
    );
    build.onLoad({ filter: /.*/, namespace: 'zod-locales-used' }, () => ({
      contents: "export { default as en } from 'zod/v4/locales/en.js';\nexport { default as zhCN } from 'zod/v4/locales/zh-CN.js';\n",
      resolveDir: root,
      loader: 'js',
    }));
  }
}

async function bundle() {
  const out = join(dist, 'bundle');
  rmSync(out, { recursive: true, force: true });
  await esbuild.build({
    entryPoints: [join(dist, 'services', 'main.js'), join(dist, 'services', 'cli.js')],
    outdir: out,
    bundle: true,
    splitting: true,
    format: 'esm',
    platform: 'node',
    target: 'node20',
    external: ['better-sqlite3', '@fastify/swagger-ui', 'bullmq', 'ioredis', '@eventstore/db-client', 'exceljs', 'tencentcloud-sdk-nodejs-common', 'tencentcloud-sdk-nodejs-sms', '@alicloud/pop-core'],
    // The CommonJS packages inside call require() for Node's own modules; an ES module has none.
    banner: { js: "import { createRequire as __bundleRequire } from 'node:module'; const require = __bundleRequire(import.meta.url);" },
    logLevel: 'warning',
    plugins: [zodLocalesUsed()],
  });
  const copied = new Set();
  for (const layer of ['infra', 'services']) {
    for (const file of walk(join(root, layer)).filter((f) => /\.(cjs|mjs)$/.test(f))) {
      const name = basename(file);
      if (copied.has(name)) throw new Error(`build: two plain-JavaScript files named ${name}; dist/bundle/ holds them side by side`);
      copied.add(name);
      copyFileSync(file, join(out, name));
    }
  }
}
