import { spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import t from 'tap';
import { operationIdOf } from '../../services/http/openapi.js';
import { startTestApp } from '../support/app.js';
import { testDir } from '../support/dirs.js';

/**
 * Observability (issue): `/docs/json` passes `redocly lint` with the recommended rules (the
 * repository's redocly.yaml), run from node_modules — nothing fetched, nothing reported home.
 */

const ROOT = join(import.meta.dirname, '../..');
const REDOCLY = join(ROOT, 'node_modules/.bin/redocly');

t.test('/docs/json passes redocly lint', async (t) => {
  const app = await startTestApp(t);
  const response = await app.call('GET', '/docs/json');
  t.equal(response.statusCode, 200);
  const doc = response.json();
  const file = join(testDir(t), 'openapi.json');
  writeFileSync(file, JSON.stringify(doc, null, 2));

  // JSON out, so the verdict is redocly's own count: on Node 20 it also prints a banner about
  // Node's end of life, which says nothing about the document.
  const linted = spawnSync(REDOCLY, ['lint', '--config', join(ROOT, 'redocly.yaml'), '--format', 'json', file], {
    cwd: ROOT,
    encoding: 'utf8',
    timeout: 120_000,
    env: { ...process.env, REDOCLY_TELEMETRY: 'off', REDOCLY_SUPPRESS_UPDATE_NOTICE: 'true', REDOCLY_SUPPRESS_NOTIFICATIONS: 'true', DO_NOT_TRACK: '1' },
  });
  t.equal(linted.status, 0, `redocly lint exits 0:\n${linted.stdout}${linted.stderr}`);
  const result = JSON.parse(linted.stdout) as { totals: { errors: number; warnings: number; ignored: number }; problems: Array<{ ruleId: string; message: string }> };
  t.same(result.totals, { errors: 0, warnings: 0, ignored: 0 }, `no errors, no warnings, nothing ignored: ${result.problems.map((p) => `${p.ruleId}: ${p.message}`).join('; ')}`);

  // What the lint asks for, said of this document in particular.
  const operations = Object.entries(doc.paths as Record<string, Record<string, { operationId: string; responses: Record<string, unknown>; security?: unknown[] }>>).flatMap(
    ([path, methods]) => Object.entries(methods).map(([method, operation]) => ({ path, method, operation })),
  );
  t.ok(operations.length > 40, `${operations.length} operations documented`);
  const ids = operations.map((o) => o.operation.operationId);
  t.equal(new Set(ids).size, ids.length, 'operationIds are unique');
  t.equal(operationIdOf('get', '/households/{villageCode}/{householdId}'), 'getHouseholdsByVillageCodeByHouseholdId');
  for (const { path, method, operation } of operations) {
    const codes = Object.keys(operation.responses);
    t.ok(codes.includes('401') && codes.includes('403') && codes.includes('400'), `${method.toUpperCase()} ${path}: its 4xx answers`);
  }
  t.same(doc.servers, [{ url: '/', description: 'The node serving this document' }]);
  t.match(doc.components.securitySchemes.bearer, { type: 'http', scheme: 'bearer' });
});
