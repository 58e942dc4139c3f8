/**
 * Environment for child processes a test spawns (`--import=tsx`). Their V8 coverage is left out:
 * tsx transpiles the same files to different byte offsets than tap's ts-node, and V8 coverage
 * of two transpilations of one file does not merge meaningfully.
 */
export function childEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env, ...extra };
  delete env.NODE_V8_COVERAGE;
  for (const key of Object.keys(env)) if (key.startsWith('_TAPJS_PROCESSINFO')) delete env[key];
  return env;
}
