/**
 * How a test starts a TypeScript child process (the server, the CLI, a crash writer): with the
 * same loader flags tap gave the test itself. Children then transpile our files exactly as the
 * test process does, so their V8 coverage merges with the tests' (tap's process-info hook follows
 * spawned children) instead of corrupting it, as a differently transpiled child (tsx) would.
 */
export const childExecArgv = (): string[] => (process.execArgv.length > 0 ? process.execArgv : ['--import=tsx']);

export function childEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  return { ...process.env, ...extra };
}
