import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import type { Test } from 'tap';

/**
 * A redis-server of the test's own, on a unix socket in its directory: no port races, no state
 * shared with other tests, and the test may stop and restart it (empty) at will.
 */
export class TestRedis {
  #child: ChildProcess | undefined;
  readonly socket: string;

  private constructor(readonly dir: string) {
    this.socket = join(dir, 'redis.sock');
  }

  static async start(t: Test): Promise<TestRedis> {
    // Unix socket paths are limited to ~108 bytes: tap's fixture directories are longer.
    const dir = mkdtempSync(join(tmpdir(), 'zt-redis-'));
    const redis = new TestRedis(dir);
    await redis.start();
    t.teardown(async () => {
      await redis.stop();
      rmSync(dir, { recursive: true, force: true });
    });
    return redis;
  }

  get url(): string {
    return `unix://${this.socket}`;
  }

  async start(): Promise<void> {
    const child = spawn('redis-server', ['--port', '0', '--unixsocket', this.socket, '--unixsocketperm', '700', '--save', '', '--appendonly', 'no', '--dir', this.dir], {
      stdio: ['ignore', 'pipe', 'ignore'],
    });
    this.#child = child;
    await new Promise<void>((resolve, reject) => {
      createInterface({ input: child.stdout! }).on('line', (line) => {
        if (/ready to accept connections/i.test(line)) resolve();
      });
      child.once('exit', (code) => reject(new Error(`redis-server exited ${code}`)));
    });
  }

  /** Kills it outright: whatever it held is gone, as after a crash. */
  async stop(): Promise<void> {
    const child = this.#child;
    if (!child || child.exitCode !== null) return;
    const exited = new Promise((resolve) => child.once('exit', resolve));
    child.kill('SIGKILL');
    await exited;
    this.#child = undefined;
  }
}
