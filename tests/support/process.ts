import { spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { childEnv, childExecArgv, plainNodeCommand } from './child-env.js';

const root = join(import.meta.dirname, '../..');

export interface ServerProcess {
  child: ChildProcess;
  url: string;
  exited: Promise<number | null>;
  /** Resolves with the first log line (past or future) that matches. */
  waitForLog(pattern: RegExp): Promise<string>;
  /** What the process wrote to stderr so far (Node's own warnings go there, not to the log). */
  stderr(): string;
}

/**
 * Starts `services/main.ts` on a free port and resolves once it is listening. `asInstalled`: as
 * `npm start` does instead, `node bin/server.mjs` (the build in dist/ when current), without tap's
 * loader and coverage hooks (plainNodeCommand).
 */
export async function startServerProcess(env: Record<string, string>, options: { asInstalled?: boolean } = {}): Promise<ServerProcess> {
  const [command, args] = options.asInstalled ? plainNodeCommand([join(root, 'bin/server.mjs')], { loader: false }) : [process.execPath, [...childExecArgv(), join(root, 'services/main.ts')]];
  const child = spawn(command, args, {
    env: childEnv({ PORT: '0', HOST: '127.0.0.1', LOG_LEVEL: 'info', ...env }),
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  let stderr = '';
  child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
  const seen: string[] = [];
  const waiting: Array<{ pattern: RegExp; resolve: (line: string) => void }> = [];
  createInterface({ input: child.stdout! }).on('line', (line) => {
    seen.push(line);
    for (const w of [...waiting]) {
      if (w.pattern.test(line)) {
        waiting.splice(waiting.indexOf(w), 1);
        w.resolve(line);
      }
    }
  });
  const waitForLog = (pattern: RegExp) =>
    new Promise<string>((resolve, reject) => {
      const past = seen.find((l) => pattern.test(l));
      if (past) return resolve(past);
      waiting.push({ pattern, resolve });
      void exited.then((code) => reject(new Error(`server exited (${code}) before logging ${pattern}: ${stderr}`)));
    });
  const listening = await waitForLog(/Server listening at http:\/\/127\.0\.0\.1:\d+/);
  const url = /(http:\/\/127\.0\.0\.1:\d+)/.exec(listening)![1]!;
  return { child, url, exited, waitForLog, stderr: () => stderr };
}
