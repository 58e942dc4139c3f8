import t from 'tap';
import { execFile } from 'node:child_process';
import { existsSync, readFileSync, readdirSync, rmSync, utimesSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { compiledIsCurrent } from '../../bin/launch.mjs';
import { plainNodeCommand } from '../support/child-env.js';
import { testDir } from '../support/dirs.js';
import { startServerProcess } from '../support/process.js';

// What an office runs is the build (`npm ci` makes it, scripts/build.mjs): bundles in dist/bundle/
// with chunks loaded on demand, packages kept out of them, and worker threads started from files
// copied beside them. The other tests run the TypeScript; this one runs what `npm start` and the
// `zhitong` bin run, so a path the bundler broke (a worker file, the pages' directory, a package
// that reads its own files) fails here and not at an office.
const root = join(import.meta.dirname, '../..');
const run = promisify(execFile);

async function bin(env: Record<string, string>, ...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  const [command, argv] = plainNodeCommand([join(root, 'bin/zhitong.mjs'), ...args], { loader: false });
  try {
    const { stdout, stderr } = await run(command, argv, { env: { ...process.env, ...env }, maxBuffer: 64 << 20 });
    return { code: 0, stdout, stderr };
  } catch (error) {
    const e = error as { code: number; stdout: string; stderr: string };
    return { code: e.code, stdout: e.stdout, stderr: e.stderr };
  }
}

t.before(async () => {
  // The build the other tests' sources would make: current, so bin/launch.mjs runs it.
  const [command, argv] = plainNodeCommand([join(root, 'scripts/build.mjs')], { loader: false });
  await run(command, argv, { maxBuffer: 64 << 20 });
});

t.test('npm start and the zhitong bin run the bundles: a report is filed, alerted, served, verified and replayed', async (t) => {
  const env = { DATA_DIR: testDir(t), AUTH_SECRET: 'l'.repeat(40) };
  const seeded = await bin(env, 'seed-demo');
  t.equal(seeded.code, 0, seeded.stderr);
  const token = (name: string) => new RegExp(`export TOKEN_${name}=(\\S+)`).exec(seeded.stdout)?.[1] ?? '';
  t.ok(token('CONTACT_LIJIA') && token('HEAD_KANGXIAN'), 'seed-demo printed the tokens');

  const server = await startServerProcess(env, { asInstalled: true });
  t.teardown(() => void server.child.kill('SIGKILL'));
  const listening = JSON.parse(await server.waitForLog(/zhitong is listening/)) as { code: string; store: string };
  t.equal(listening.code, 'bundle', 'the server runs dist/bundle/main.js');
  t.equal(listening.store, 'sqlite');
  // What the operator is told the node serves, and where its work goes.
  t.match(listening, { units: Number, logHead: String, alertJobs: 'in-process', sms: 'off', sealsSigned: false, backups: 'off' });
  t.ok((listening as unknown as { units: number }).units > 0, 'the demo register is loaded');

  // A report filed through the bundled routes and zod schemas, onto the store.
  const reportId = '2b8f3a6e-3c1d-4b7a-9a51-0c6f2d3e4a11';
  const filed = await fetch(`${server.url}/reports`, {
    method: 'POST',
    headers: { authorization: `Bearer ${token('CONTACT_LIJIA')}`, 'content-type': 'application/json' },
    body: JSON.stringify({ reportId, village: '621299103201', hazard: 'landslide', observedAt: '2026-07-01T11:40:00+08:00', reporter: { name: '王建国', phone: '13800000000' }, estimate: { affectedPeople: 12 }, directions: '村委会后山' }),
  });
  t.equal(filed.status, 201, await filed.clone().text());
  const board = (await (await fetch(`${server.url}/alerts/open`, { headers: { authorization: `Bearer ${token('HEAD_KANGXIAN')}` } })).json()) as { items: Array<{ reportId: string; hazardLabel: string }> };
  t.match(board.items, [{ reportId, hazardLabel: '滑坡' }], 'the report is on the head’s board');
  const bad = await fetch(`${server.url}/reports`, { method: 'POST', headers: { authorization: `Bearer ${token('CONTACT_LIJIA')}`, 'content-type': 'application/json' }, body: '{"village":"x"}' });
  t.equal(bad.status, 400);
  t.match(((await bad.json()) as { message: string }).message, /body\.village/, 'a bad body is named, in Chinese, by the bundled zod');

  // The pages from web/ (two levels above the bundle), the front-end packages and the API's
  // documentation (@fastify/swagger-ui, kept out of the bundle: it serves files beside its code).
  const page = await fetch(`${server.url}/`);
  t.equal(page.status, 200);
  t.match(await page.text(), /直通/);
  t.equal((await fetch(`${server.url}/vendor/preact/preact.mjs`)).status, 200);
  t.equal((await fetch(`${server.url}/docs/`)).status, 200);

  // The CLI's bundle: verify reads with verify-check.cjs (beside the bundle, loaded by require),
  // replay loads the read side as a chunk of its own.
  const verified = await bin(env, 'verify');
  t.equal(verified.code, 0, verified.stderr);
  t.match(JSON.parse(verified.stdout), { ok: true, problems: [] });
  t.ok((JSON.parse(verified.stdout) as { events: number }).events >= 20, 'every event was read');
  const replayed = await bin(env, 'replay', '--no-snapshot');
  t.equal(replayed.code, 0, replayed.stderr);
  t.match(JSON.parse(replayed.stdout), { quarantined: 0, projections: { reports: { rows: 1 } } }, 'the report is in the rebuilt read model');

  server.child.kill('SIGTERM');
  t.equal(await server.exited, 0, 'a clean exit: the writer thread stopped and the store closed');
});

t.test('a node on a DATA_DIR with no unit registered says so, and what to do (found by a newcomer: a mistyped DATA_DIR served an empty store in silence)', async (t) => {
  const dataDir = testDir(t);
  const server = await startServerProcess({ DATA_DIR: dataDir, AUTH_SECRET: 'l'.repeat(40) }, { asInstalled: true });
  t.teardown(() => void server.child.kill('SIGKILL'));
  const line = JSON.parse(await server.waitForLog(/no units are registered/)) as { level: number; msg: string; dataDir: string };
  t.equal(line.level, 40, 'a warning: seen at the default level');
  t.match(line.msg, /^没有登记任何单位（DATA_DIR：.*）：新部署请先导入行政区划（units import，或试用时 seed-demo）；如果这里本该有数据，请检查 DATA_DIR 是否写错/, 'in Chinese first');
  t.equal(line.dataDir, dataDir);
  server.child.kill('SIGTERM');
  t.equal(await server.exited, 0);
});

t.test('every file a bundle starts relative to itself is beside it', async (t) => {
  // The class the test above samples: a worker thread (or any file) started by
  // `new URL('./name', import.meta.url)` from code that is now a chunk of dist/bundle/.
  const dir = join(root, 'dist/bundle');
  const named = readdirSync(dir)
    .filter((f) => f.endsWith('.js'))
    .flatMap((f) => [...readFileSync(join(dir, f), 'utf8').matchAll(/new URL\(\s*["'](\.\/[^"']+)["'],\s*import\.meta\.url\)/g)].map((m) => m[1]!));
  t.ok(named.length >= 3, `the bundles start their worker threads by relative URL (${named.join(', ')})`);
  for (const file of new Set(named)) t.ok(existsSync(join(dir, file)), `${file} is in dist/bundle/`);
});

t.test("the bundles carry zod's English and Chinese messages and none of its other languages (scripts/build.mjs zodLocalesUsed)", async (t) => {
  const dir = join(root, 'dist/bundle');
  const locales = new Set(
    readdirSync(dir)
      .filter((f) => f.endsWith('.js'))
      .flatMap((f) => [...readFileSync(join(dir, f), 'utf8').matchAll(/^\/\/ node_modules\/zod\/v4\/locales\/([\w-]+)\.js$/gm)].map((m) => m[1]!)),
  );
  t.same([...locales].sort(), ['en', 'zh-CN'], 'what is in the bundles');
  // zod's own default message, in the bundled English, beside zhitong's Chinese.
  const file = join(testDir(t, { 'units.json': '[{"code": 5, "name": "甲村", "level": "village"}]' }), 'units.json');
  const refused = await bin({ DATA_DIR: testDir(t), AUTH_SECRET: 'l'.repeat(40) }, 'units', 'import', file);
  t.equal(refused.code, 1, 'a units file with a number for a code is refused');
  t.match(refused.stderr, /code：类型不对（应为文本） \/ entry 1 code: Invalid input: expected string, received number/);
});

t.test('ZHITONG_TYPESCRIPT=1 runs the TypeScript through tsx, as a checkout newer than its build does', async (t) => {
  const env = { DATA_DIR: testDir(t), AUTH_SECRET: 'l'.repeat(40), ZHITONG_TYPESCRIPT: '1' };
  const server = await startServerProcess(env, { asInstalled: true });
  t.teardown(() => void server.child.kill('SIGKILL'));
  t.match(JSON.parse(await server.waitForLog(/zhitong is listening/)), { code: 'typescript' });
  server.child.kill('SIGTERM');
  t.equal(await server.exited, 0);
});

t.test('a build is current only while it is newer than every source file and the lock file', async (t) => {
  const checkout = testDir(t, { domain: { 'a.ts': '' }, projections: { 'b.ts': '' }, infra: { 'c.cjs': '' }, services: { 'd.ts': '' }, 'package-lock.json': '{}', dist: { BUILT: 'x' } });
  const at = (path: string, seconds: number) => utimesSync(join(checkout, path), seconds, seconds);
  for (const f of ['domain/a.ts', 'projections/b.ts', 'infra/c.cjs', 'services/d.ts', 'package-lock.json']) at(f, 1_000);
  at('dist/BUILT', 2_000);
  t.equal(compiledIsCurrent(checkout), true, 'built after everything');
  at('infra/c.cjs', 3_000);
  t.equal(compiledIsCurrent(checkout), false, 'a worker file changed since');
  at('infra/c.cjs', 1_000);
  at('package-lock.json', 3_000);
  t.equal(compiledIsCurrent(checkout), false, 'the dependencies changed since: the bundles hold their code');
  at('package-lock.json', 1_000);
  rmSync(join(checkout, 'dist/BUILT'));
  t.equal(compiledIsCurrent(checkout), false, 'no complete build');
});
