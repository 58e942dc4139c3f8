import { createServer } from 'node:net';
import { join } from 'node:path';
import { claimsOfGrant } from '../../domain/access.js';
import { streams } from '../../domain/events.js';
import { rosterDecider } from '../../domain/roster.js';
import { unitRegisterDecider } from '../../domain/unit-register.js';
import { loadConfig } from '../../infra/config.js';
import { SqliteEventStore } from '../../infra/eventstore/sqlite.js';
import { tokenService } from '../../infra/tokens.js';
import { execute } from '../../services/commands/execute.js';
import { recordGrants } from '../../services/grants.js';
import { DEMO_UNITS } from '../../services/demo.js';
import type { Test } from 'tap';
import { CHROMIUM, haveChromium, launchBrowser } from './browser.js';
import { startServerProcess, type ServerProcess } from './process.js';
import { testDir } from './dirs.js';

export const KANG = '621299';
export const WANGBA = '621299103';
export const LIJIA = '621299103201';

/** A port nobody holds now, so a restarted server comes back where the page left it. */
export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.on('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address() as { port: number };
      s.close(() => resolve(port));
    });
  });
}

/**
 * A township as the pages meet it: the demo county's register, two primary officers on call in
 * 王坝镇 (so one report alerts both), and tokens for a contact, the officers, the county head and
 * an auditor — granted and signed with the DATA_DIR's own secret, as `cli token` does.
 */
export async function seedWorld(dataDir: string) {
  const store = new SqliteEventStore({ file: join(dataDir, 'events.sqlite') });
  const ctx = { actor: { id: 'seed', role: 'admin' as const }, correlationId: 'seed', now: new Date().toISOString() };
  await execute(store, streams.units, unitRegisterDecider, { type: 'ImportUnits', data: { units: DEMO_UNITS }, now: ctx.now }, ctx);
  await execute(
    store,
    streams.roster(`${WANGBA}000`),
    rosterDecider,
    { type: 'SetRoster', data: { township: `${WANGBA}000`, entries: [{ officer: 'officer-a', tier: 'primary' }, { officer: 'officer-b', tier: 'primary' }] }, now: ctx.now },
    ctx,
  );
  // Recorded as AccessGranted, as `cli token` and POST /tokens do: names and phones live on the
  // grants, and a head can revoke them.
  const users = [
    { key: 'contact', sub: 'contact-lijia', role: 'contact', scope: LIJIA, name: '李联络' },
    { key: 'officerA', sub: 'officer-a', role: 'officer', scope: WANGBA, name: '王主班', phone: '13900000001' },
    { key: 'officerB', sub: 'officer-b', role: 'officer', scope: WANGBA, name: '赵主班', phone: '13900000002' },
    { key: 'countyHead', sub: 'head-kang', role: 'head', scope: KANG, name: '康县民政局' },
    { key: 'auditor', sub: 'auditor-kang', role: 'auditor', scope: KANG, name: '康县审计' },
    { key: 'admin', sub: 'admin-kang', role: 'admin', scope: KANG, name: '运维' },
  ] as const;
  const granted = await recordGrants(store, users.map(({ key: _key, ...u }) => ({ ...u, ttlSeconds: 86_400 })), ctx);
  await store.close();
  const tokens = tokenService(loadConfig({ DATA_DIR: dataDir }).authSecret);
  const minted = granted.map((grant) => tokens.mint(claimsOfGrant(grant)));
  const [contact, officerA, officerB, countyHead, auditor, admin] = minted as [string, string, string, string, string, string];
  return { contact, officerA, officerB, countyHead, auditor, admin };
}

export async function startServer(dataDir: string, port: number): Promise<ServerProcess> {
  return startServerProcess({ DATA_DIR: dataDir, PORT: String(port) });
}

/** A request to the server as a client sends it; resolves with the status and the parsed body. */
export async function call(base: string, token: string, method: string, path: string, body?: unknown): Promise<{ status: number; body: any }> {
  const res = await fetch(`${base}${path}`, {
    method,
    headers: { authorization: `Bearer ${token}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  const text = await res.text();
  return { status: res.status, body: text ? JSON.parse(text) : null };
}

export const reportBody = (over: Record<string, unknown> = {}) => ({
  village: LIJIA,
  hazard: 'landslide',
  observedAt: new Date().toISOString(),
  reporter: { name: '李四', phone: '13800000000' },
  directions: '沿村道上山 2 公里，过石桥左转',
  estimate: { affectedPeople: 12, roomsCollapsed: 2 },
  notes: '后山滑坡，冲毁两户房屋',
  ...over,
});

/** Why a browser test is skipped, or false when Debian's chromium is there to drive. */
export const noBrowser = (): string | false => (haveChromium() ? false : `no chromium at ${CHROMIUM} (apt-get install chromium; .ci/run installs it)`);

/**
 * A seeded township served by a real server process on its own DATA_DIR and port, and a headless
 * chromium (`launchArgs` added to its command line), both stopped when the test ends. `restart`
 * stops the server cleanly and starts it again on the same port, as a page would meet it.
 */
export async function webWorld(t: Test, launchArgs: string[] = []) {
  const dataDir = testDir(t);
  const tokens = await seedWorld(dataDir);
  const port = await freePort();
  let server = await startServer(dataDir, port);
  t.teardown(() => void server.child.kill('SIGKILL'));
  const browser = await launchBrowser(launchArgs);
  t.teardown(() => browser.close());
  return {
    dataDir,
    tokens,
    port,
    base: `http://localhost:${port}`,
    browser,
    /** Stops the server (SIGTERM), runs `whileDown`, and starts it again on the same port; resolves with the exit code. */
    async restart(whileDown: () => Promise<void> = async () => {}): Promise<number | null> {
      server.child.kill('SIGTERM');
      const code = await server.exited;
      await whileDown();
      server = await startServer(dataDir, port);
      return code;
    },
  };
}
