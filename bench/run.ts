/**
 * `npm run bench [name]` — runs bench/<name>.ts (all of them when no name is given). Each
 * benchmark measures its own baseline in the same run and ends with one JSON line:
 * {"bench":…,"value":…,"unit":…,"baseline":…,"ratio":…}
 */
import { execFileSync } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const available = readdirSync(here)
  .filter((f) => f.endsWith('.bench.ts'))
  .map((f) => f.replace(/\.bench\.ts$/, ''));
const wanted = process.argv.slice(2).filter((a) => !a.startsWith('-'));
const names = wanted.length > 0 ? wanted : available;
for (const name of names) {
  if (!available.includes(name)) {
    console.error(`no benchmark "${name}"; available: ${available.join(', ')}`);
    process.exit(2);
  }
}
// What is measured is what an office runs: the compiled JavaScript, built now if the sources moved.
const { compiledIsCurrent } = (await import(join(here, '../bin/launch.mjs'))) as { compiledIsCurrent: () => boolean };
if (!compiledIsCurrent()) execFileSync(process.execPath, [join(here, '../scripts/build.mjs')], { stdio: 'inherit' });
for (const name of names) {
  const mod = (await import(join(here, `${name}.bench.ts`))) as { run: () => Promise<void> };
  await mod.run();
}

// Every benchmark ran: one table of SPEC §10's figures, each beside its baseline from this run.
// (One benchmark alone keeps its JSON line last.)
if (names.length > 1) {
  const { recordedFigures } = await import(join(here, 'support.ts'));
  const rows = recordedFigures() as ReadonlyArray<{ figure: string; ours: string; baseline: string; ratio?: number | null; target: string; met: boolean | null }>;
  const cell = (v: string) => v.replaceAll('|', '\\|');
  console.log('');
  console.log('| figure | ours | baseline, same run | ratio | target | met |');
  console.log('|---|---|---|---|---|---|');
  for (const r of rows) console.log(`| ${cell(r.figure)} | ${cell(r.ours)} | ${cell(r.baseline)} | ${r.ratio ?? '—'} | ${cell(r.target)} | ${r.met === null ? 'not measured' : r.met ? 'yes' : 'no'} |`);
  console.log(`${rows.filter((r) => r.met === true).length} of ${rows.length} targets met`);
}
