import type { ServerProcess } from '../support/process.js';

export { cli, seedDataDir, tokensFor } from '../support/operator.js';

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
