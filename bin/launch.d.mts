/** True when `checkout`'s dist/ holds a complete build newer than every source file and than package-lock.json. */
export function compiledIsCurrent(checkout?: string): boolean;
/** Imports `entry` (e.g. 'services/cli'): its bundle, the compiled modules, or the TypeScript. */
export function launch(entry: string): Promise<unknown>;
