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

/**
 * The command line for a child started the way a user starts it (`node --import=tsx …`) rather
 * than as tap's loader would. tap's process-info hook adds its loader and coverage to every
 * spawned child's environment; `env -u` takes them off again, since tsx's transpilation of our
 * files would not merge with ts-node's coverage. `loader: false`: plain node, for the bin/ scripts,
 * which load the build or tsx themselves (bin/launch.mjs).
 */
export function plainNodeCommand(args: string[], options: { loader?: boolean } = {}): [string, string[]] {
  const strip = ['NODE_OPTIONS', 'NODE_V8_COVERAGE', '_TAPJS_PROCESSINFO_COVERAGE_'].flatMap((name) => ['-u', name]);
  return ['/usr/bin/env', [...strip, process.execPath, ...(options.loader === false ? [] : ['--import=tsx']), ...args]];
}
