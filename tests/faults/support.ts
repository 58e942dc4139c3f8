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
import { childEnv, childExecArgv } from '../support/child-env.js';
import type { ServerProcess } from '../support/process.js';

const root = join(import.meta.dirname, '../..');

/** The demo county and its rosters, written straight into the store before any server runs on it. */
export async function seedDataDir(dataDir: string): Promise<void> {
  const seed = new SqliteEventStore({ file: join(dataDir, 'events.sqlite') });
  const ctx = { actor: { id: 'seed', role: 'admin' as const }, correlationId: 'seed', now: new Date().toISOString() };
  await execute(seed, streams.units, unitRegisterDecider, { type: 'ImportUnits', data: { units: DEMO_UNITS }, now: ctx.now }, ctx);
  for (const [township, entries] of Object.entries(DEMO_ROSTERS)) {
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

export interface Answer {
  status: number;
  /** Parsed JSON (text when it was not JSON): each test reads the fields it asserts on. */
  body: any;
  headers: Headers;
}

/** One JSON request to a server process; a refused or reset connection rejects, as fetch does. */
export async function call(
  url: string,
  method: 'GET' | 'POST',
  path: string,
  options: { token?: string; body?: unknown; headers?: Record<string, string>; signal?: AbortSignal } = {},
): Promise<Answer> {
  const res = await fetch(`${url}${path}`, {
    method,
    headers: {
      ...(options.token ? { authorization: `Bearer ${options.token}` } : {}),
      ...(options.body !== undefined ? { 'content-type': 'application/json' } : {}),
      ...options.headers,
    },
    ...(options.body !== undefined ? { body: JSON.stringify(options.body) } : {}),
    ...(options.signal ? { signal: options.signal } : {}),
  });
  const text = await res.text();
  let body: unknown = text;
  try {
    body = text === '' ? null : JSON.parse(text);
  } catch {
    // Not JSON: kept as text, so an assertion on its shape fails and shows what came.
  }
  return { status: res.status, body, headers: res.headers };
}

/**
 * Polls `check` until it returns something other than undefined, or fails after `timeoutMs`. The
 * pause between tries only spaces the polls out: the condition is what the caller waits on.
 */
export async function waitUntil<T>(what: string, check: () => Promise<T | undefined> | T | undefined, timeoutMs = 60_000, everyMs = 50): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let lastError: unknown;
  for (;;) {
    try {
      const value = await check();
      if (value !== undefined) return value;
    } catch (error) {
      lastError = error;
    }
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}${lastError ? `: ${String(lastError)}` : ''}`);
    await new Promise((resolve) => setTimeout(resolve, everyMs));
  }
}

/** SIGKILL, and resolves once the process is gone: nothing of it runs after this. */
export async function kill9(server: ServerProcess): Promise<void> {
  if (server.child.exitCode === null && server.child.signalCode === null) server.child.kill('SIGKILL');
  await server.exited;
}

/** Every page of a list route, in order, as one array of items. */
export async function allPages(url: string, path: string, token: string): Promise<unknown[]> {
  const items: unknown[] = [];
  let after: string | null = null;
  for (;;) {
    const sep = path.includes('?') ? '&' : '?';
    const page = await call(url, 'GET', `${path}${sep}limit=1000${after ? `&after=${encodeURIComponent(after)}` : ''}`, { token });
    if (page.status !== 200) throw new Error(`GET ${path}: ${page.status} ${JSON.stringify(page.body)}`);
    items.push(...(page.body as { items: unknown[] }).items);
    after = (page.body as { next: string | null }).next;
    if (after === null) return items;
  }
}
