import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { streams } from '../../domain/events.js';
import { rosterDecider } from '../../domain/roster.js';
import { unitRegisterDecider } from '../../domain/unit-register.js';
import type { Role } from '../../domain/vocabulary.js';
import { loadConfig } from '../../infra/config.js';
import { SqliteEventStore } from '../../infra/eventstore/sqlite.js';
import { tokenService } from '../../infra/tokens.js';
import { execute } from '../../services/commands/execute.js';
import { DEMO_ROSTERS, DEMO_UNITS } from '../../services/demo.js';
import { childEnv, childExecArgv } from './child-env.js';

/* What an operator does around a real server process: seed its store, sign tokens, run the CLI. */

const root = join(import.meta.dirname, '../..');

/** The demo county and (unless `rosters: false`) its rosters, written straight into the store before any server runs on it. */
export async function seedDataDir(dataDir: string, options: { rosters?: boolean } = {}): Promise<void> {
  const seed = new SqliteEventStore({ file: join(dataDir, 'events.sqlite') });
  const ctx = { actor: { id: 'seed', role: 'admin' as const }, correlationId: 'seed', now: new Date().toISOString() };
  await execute(seed, streams.units, unitRegisterDecider, { type: 'ImportUnits', data: { units: DEMO_UNITS }, now: ctx.now }, ctx);
  for (const [township, entries] of options.rosters === false ? [] : Object.entries(DEMO_ROSTERS)) {
    await execute(seed, streams.roster(township), rosterDecider, { type: 'SetRoster', data: { township, entries }, now: ctx.now }, ctx);
  }
  await seed.close();
}

/** Tokens signed with the secret the server keeps in DATA_DIR, as `cli token` would sign them. */
export function tokensFor(dataDir: string): (role: Role, scope: string, sub?: string) => string {
  const tokens = tokenService(loadConfig({ DATA_DIR: dataDir }).authSecret);
  return (role, scope, sub = `${role}-${scope}`) => tokens.issue({ sub, role, scope }, 3600);
}

/** Runs the CLI as its own process, as an operator does beside (or instead of) the server. */
export function cli(env: Record<string, string>, ...args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [...childExecArgv(), join(root, 'services/cli.ts'), ...args], { env: childEnv(env), stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('exit', (code) => resolve({ code, stdout, stderr }));
  });
}
