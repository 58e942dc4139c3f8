import t from 'tap';
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';

t.test('imports point inward: domain does no I/O, projections use only domain', async (t) => {
  const script = join(import.meta.dirname, '../../scripts/check-imports.mjs');
  const out = execFileSync(process.execPath, [script], { encoding: 'utf8' });
  t.match(out, /imports point inward/);
});
