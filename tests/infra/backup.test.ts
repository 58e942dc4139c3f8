import t, { type Test } from 'tap';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { createBackup, pruneBackups, restoreBackup, scheduledBackupName, BackupError } from '../../infra/backup.js';
import { ConfigError, loadConfig } from '../../infra/config.js';
import { SqliteEventStore } from '../../infra/eventstore/sqlite.js';
import { createLogger } from '../../infra/logging.js';
import { BackupSchedule } from '../../services/backups.js';
import { NodeMetrics } from '../../services/metrics.js';
import { testDir } from '../support/dirs.js';

const meta = { actor: { id: 'test', role: 'admin' as const }, correlationId: 'c', at: '2026-01-01T00:00:00.000Z', schemaVersion: 1 };

/** The test's directory: tap's testdir() empties it on every call, so it is asked once. */
async function storeWith(t: Test, events: number): Promise<{ base: string; dataDir: string; store: SqliteEventStore }> {
  const base = testDir(t);
  const dataDir = join(base, 'data');
  const store = new SqliteEventStore({ file: join(dataDir, 'events.sqlite') });
  t.teardown(() => store.close());
  for (let i = 0; i < events; i++) await store.append(`report-${String(i % 5).padStart(8, '0')}-0000-4000-8000-000000000000`, [{ type: 'ReportNoted', data: { i }, metadata: meta }]);
  return { base, dataDir, store };
}

t.test('scheduled backups: named by time, verified, older ones pruned to BACKUP_KEEP', async (t) => {
  const { base, dataDir, store } = await storeWith(t, 30);
  const dir = join(base, 'backups');
  let clock = Date.parse('2026-11-30T01:00:00Z');
  const metrics = new NodeMetrics();
  const schedule = new BackupSchedule(store, { dataDir, dir, everyMs: 3_600_000, keep: 2, secretFromEnvironment: true, now: () => new Date(clock) }, createLogger('silent'), metrics);
  for (let i = 0; i < 3; i++) {
    const manifest = await schedule.run();
    t.equal(manifest.verification.ok, true);
    t.equal(manifest.secret, 'environment', 'AUTH_SECRET from the environment is not copied');
    clock += 3_600_000;
  }
  t.same(readdirSync(dir), ['zhitong-20261130T020000Z', 'zhitong-20261130T030000Z'], 'the two newest kept');
  t.equal(schedule.stats.ok, 3);
  t.equal(schedule.stats.lastEvents, 30);
  const scraped = await metrics.registry.metrics();
  t.match(scraped, /zhitong_backups_total\{outcome="verified"\} 3/);
  t.match(scraped, new RegExp(`zhitong_backup_last_success_timestamp_seconds ${Date.parse('2026-11-30T03:00:00Z') / 1000}`));
  t.equal(scheduledBackupName(new Date('2026-01-02T03:04:05.678Z')), 'zhitong-20260102T030405Z');
  t.same(pruneBackups(join(base, 'absent'), 1), []);
});

t.test('a log edited behind the store: the backup is kept as evidence but says it does not verify, and is never restored', async (t) => {
  const { base, dataDir, store } = await storeWith(t, 10);
  const raw = new Database(join(dataDir, 'events.sqlite'));
  raw.exec('DROP TRIGGER events_no_update');
  raw.exec(`UPDATE events SET record = replace(record, '"i":3', '"i":4') WHERE position = 4`);
  raw.close();
  const destination = join(base, 'evidence');
  const manifest = await createBackup({ dataDir, destination, secretFromEnvironment: true, epoch: await store.epoch(), copy: (f) => store.backupTo(f) });
  t.equal(manifest.verification.ok, false);
  t.match(manifest.verification.firstProblem, /report-00000003/, 'names the stream that was edited');
  await t.rejects(restoreBackup({ source: destination, dataDir: join(base, 'fresh') }), BackupError, 'refused');
  t.notOk(existsSync(join(base, 'fresh', 'events.sqlite')));
});

t.test('a destination that is not empty is refused; a full disk leaves no partial backup', async (t) => {
  const { base, dataDir, store } = await storeWith(t, 200);
  const busy = join(base, 'busy');
  mkdirSync(busy);
  execFileSync('touch', [join(busy, 'something')]);
  await t.rejects(createBackup({ dataDir, destination: busy, secretFromEnvironment: true, epoch: await store.epoch() }), /not empty/);

  // A tmpfs too small for the copy: the driver's error, and nothing that looks like a backup.
  // Outside tap's fixture directory, which tap removes before teardowns run.
  const small = mkdtempSync(join(tmpdir(), 'zt-full-'));
  try {
    execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=64k', 'tmpfs', small], { stdio: 'ignore' });
  } catch {
    rmSync(small, { recursive: true });
    t.comment('cannot mount a tmpfs here (not root): the full-disk case is not checked');
    return;
  }
  t.teardown(() => {
    execFileSync('umount', [small]);
    rmSync(small, { recursive: true });
  });
  await t.rejects(createBackup({ dataDir, destination: join(small, 'b'), secretFromEnvironment: true, epoch: await store.epoch(), copy: (f) => store.backupTo(f) }));
  t.same(readdirSync(small), [], 'no partial directory left on the full disk');
});

t.test('BACKUP_* settings are checked at start', async (t) => {
  const dataDir = join(testDir(t), 'data');
  t.same(loadConfig({ DATA_DIR: dataDir, AUTH_SECRET: 'x'.repeat(32), BACKUP_DIR: join(dataDir, '../b'), BACKUP_EVERY: '6h', BACKUP_KEEP: '3' }).backup, { dir: join(dataDir, '../b'), everyMs: 6 * 3_600_000, keep: 3 });
  t.equal(loadConfig({ DATA_DIR: dataDir, AUTH_SECRET: 'x'.repeat(32), BACKUP_DIR: join(dataDir, '../b') }).backup?.everyMs, 86_400_000, 'daily unless told');
  t.throws(() => loadConfig({ DATA_DIR: dataDir, AUTH_SECRET: 'x'.repeat(32), BACKUP_DIR: join(dataDir, 'inside') }), ConfigError);
  t.throws(() => loadConfig({ DATA_DIR: dataDir, AUTH_SECRET: 'x'.repeat(32), BACKUP_DIR: '/tmp/b', BACKUP_EVERY: 'soon' }), /BACKUP_EVERY/);
  t.throws(() => loadConfig({ DATA_DIR: dataDir, AUTH_SECRET: 'x'.repeat(32), BACKUP_DIR: '/tmp/b', BACKUP_EVERY: '5' }), /BACKUP_EVERY/, 'five milliseconds is a mistake, not a schedule');
});
