import { execFile } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import type { Test } from 'tap';
import { generateSigningKey } from '../../infra/audit/signing.js';
import type { SqliteEventStore } from '../../infra/eventstore/sqlite.js';
import type { VerifyReport } from '../../infra/audit/verify.js';
import { LIJIA, WANGBA, allocationBody, reportBody, startTestApp, verificationBody, type TestApp } from './app.js';
import { childEnv, childExecArgv } from './child-env.js';
import { testDir } from './dirs.js';

/** Issue 14's tamper tests: a county's sealed log, and the three ways of verifying it. */

export const execFileAsync = promisify(execFile);
const root = join(import.meta.dirname, '..', '..');

export async function cli(env: Record<string, string>, ...args: string[]): Promise<{ status: number; stdout: string; stderr: string }> {
  try {
    const { stdout, stderr } = await execFileAsync(process.execPath, [...childExecArgv(), join(root, 'services/cli.ts'), ...args], { env: childEnv(env), encoding: 'utf8', maxBuffer: 64 << 20 });
    return { status: 0, stdout, stderr };
  } catch (error) {
    const e = error as { code: number; stdout: string; stderr: string };
    return { status: e.code, stdout: e.stdout, stderr: e.stderr };
  }
}

export interface World {
  app: TestApp;
  keyFile: string;
  publicKey: string;
  reportId: string;
  dismissedId: string;
  allocationId: string;
  db: SqliteEventStore['database'];
  env: Record<string, string>;
}

/** A county's week: a report acknowledged and verified, one dismissed, relief delivered; then sealed. */
export async function world(t: Test): Promise<World> {
  const keyDir = testDir(t, {});
  const key = generateSigningKey();
  const keyFile = join(keyDir, 'seal.key');
  writeFileSync(keyFile, key.privateKeyPem, { mode: 0o600 });
  writeFileSync(join(keyDir, 'seal.pub'), key.publicKeyPem);
  const dataDir = join(keyDir, 'data');
  const env = { AUDIT_SIGNING_KEY_FILE: keyFile };
  const app = await startTestApp(t, { dataDir, env });
  const contact = app.token('contact', LIJIA);
  const officer = app.token('officer', WANGBA, 'officer-1');
  const filed = await app.call('POST', '/reports', { token: contact, body: reportBody() });
  const reportId = filed.json().reportId as string;
  await app.call('POST', `/reports/${reportId}/acknowledgements`, { token: officer, body: {} });
  await app.call('POST', `/reports/${reportId}/verifications`, { token: officer, body: verificationBody() });
  const other = await app.call('POST', '/reports', { token: contact, body: reportBody({ hazard: 'hail' }) });
  const dismissedId = other.json().reportId as string;
  await app.call('POST', `/reports/${dismissedId}/dismissal`, { token: officer, body: { reason: 'false_alarm' } });
  const allocated = await app.call('POST', '/allocations', { token: officer, body: allocationBody(reportId, { cashFen: 30_000 }) });
  const allocationId = allocated.json().allocationId as string;
  await app.call('POST', `/allocations/${allocationId}/approval`, { token: app.token('head', WANGBA, 'head-1'), body: {} });
  const delivered = await app.call('POST', `/allocations/${allocationId}/deliveries`, {
    token: officer,
    body: { deliveryId: randomUUID(), cashFen: 30_000, goods: [], confirmation: { method: 'thumbprint', reference: 'photo-1' } },
  });
  if (delivered.statusCode !== 200) throw new Error(`delivery: ${delivered.body}`);
  const sealed = await app.sealer.seal();
  if (!sealed.written) throw new Error(`seal: ${JSON.stringify(sealed)}`);
  // A few more events after the seal, as any working day has.
  await app.call('POST', '/reports', { token: contact, body: reportBody({ hazard: 'drought' }) });
  const second = await app.sealer.seal();
  if (!second.written) throw new Error('second seal');
  const db = (app.store as SqliteEventStore).database;
  db.exec('DROP TRIGGER IF EXISTS events_no_update; DROP TRIGGER IF EXISTS events_no_delete;');
  return { app, keyFile, publicKey: join(keyDir, 'seal.pub'), reportId, dismissedId, allocationId, db, env: { DATA_DIR: dataDir, EVENTSTORE_URL: '', AUTH_SECRET: '', ...env } };
}

export const rows = (w: World, stream: string) => w.db.prepare<[string], { position: number; revision: number; record: string }>('SELECT position, revision, record FROM events WHERE stream = ? ORDER BY revision').all(stream);

/** The three verifications, each of which must name `kind` (and match `detail`). */
export async function expectNamed(t: Test, w: World, kind: string, detail: Record<string, unknown> = {}, options: { anchor?: string } = {}): Promise<VerifyReport[]> {
  const http = (await w.app.call('GET', '/audit/verify', { token: w.app.token('auditor', '620000000000') })).json() as VerifyReport;
  const anchorArgs = options.anchor ? ['--anchor', options.anchor] : [];
  const onStore = await cli(w.env, 'verify', ...anchorArgs);
  const exportFile = join(w.env.DATA_DIR!, '..', `export-${randomUUID()}.ndjson`);
  writeFileSync(exportFile, (await cli(w.env, 'export')).stdout);
  // On an auditor's machine: no DATA_DIR, no configuration, the public key handed over.
  const onFile = await cli({}, 'verify', '--file', exportFile, '--public-key', w.publicKey, ...anchorArgs);
  const reports: VerifyReport[] = [];
  for (const [how, report, status] of [
    ['HTTP', http, undefined],
    ['cli verify', JSON.parse(onStore.stdout || '{}') as VerifyReport, onStore.status],
    ['cli verify --file', JSON.parse(onFile.stdout || '{}') as VerifyReport, onFile.status],
  ] as const) {
    t.equal(report.ok, false, `${how}: not ok`);
    if (status !== undefined) t.equal(status, 1, `${how}: exit 1`);
    const named = report.problems?.find((p) => p.kind === kind);
    t.ok(named, `${how} names it: ${kind} (got ${JSON.stringify(report.problems?.map((p) => p.kind))})`);
    if (named) t.match(named, detail, `${how}: ${named.message}`);
    // Every problem of a known unit says where first, by the register's names or its code.
    for (const p of report.problems ?? []) {
      if (typeof p.unit === 'string') t.match(p.message, new RegExp(`^(\\S+（${p.unit}）|单位 ${p.unit})：`), `${how}: ${p.kind} says where: ${p.message}`);
    }
    // Positions in words are numbers as people write them, never the store's zero-padded keys (a newcomer read both).
    for (const p of report.problems ?? []) {
      // The store's form is sixteen digits with leading zeros; a stream id's UUID (`…-0415-…`) is not a position.
      const padded = /(?<![0-9a-f-])0\d{15}(?![0-9a-f-])/;
      if (padded.test(p.message) || padded.test(p.messageEn)) t.fail(`${how}: ${p.kind} shows a padded position: ${p.message} / ${p.messageEn}`);
    }
    reports.push(report);
  }
  t.match(onStore.stderr, /\S/, 'the first problem in words on stderr');
  return reports;
}

