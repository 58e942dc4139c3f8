import { existsSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import type { Logger } from 'pino';
import { createBackup, pruneBackups, scheduledBackupName, type BackupManifest } from '../infra/backup.js';
import type { EventStore } from '../infra/eventstore/types.js';
import type { SqliteEventStore } from '../infra/eventstore/sqlite.js';
import type { BackgroundTasks } from './background.js';
import type { NodeMetrics } from './metrics.js';

export interface BackupStats {
  /** Backups made and verified / made but not verifying / failed to be made. */
  ok: number;
  unverified: number;
  failed: number;
  /** Epoch seconds of the last backup that verified; undefined before the first. */
  lastSuccessAt: number | undefined;
  lastDurationSeconds: number | undefined;
  /** Events in the last backup that verified. */
  lastEvents: number | undefined;
}

/**
 * Scheduled backups (BACKUP_DIR, BACKUP_EVERY, BACKUP_KEEP; issue "Ready for a real office"): one
 * every period, the first one period after the newest already in BACKUP_DIR (so a node restarted
 * every night still makes its daily backup), older ones pruned only after a new one verified.
 */
export class BackupSchedule {
  readonly stats: BackupStats = { ok: 0, unverified: 0, failed: 0, lastSuccessAt: undefined, lastDurationSeconds: undefined, lastEvents: undefined };

  constructor(
    private readonly store: EventStore,
    private readonly options: { dataDir: string; dir: string; everyMs: number; keep: number; secretFromEnvironment: boolean; now: () => Date },
    private readonly logger: Logger,
    private readonly metrics?: NodeMetrics,
  ) {}

  /** Arms the schedule on `tasks`; the task is named `backup` in /ready and /metrics. */
  start(tasks: BackgroundTasks): void {
    const newest = this.#newestMs();
    const firstIn = newest === undefined ? Math.min(60_000, this.options.everyMs) : Math.max(0, newest + this.options.everyMs - this.options.now().getTime());
    tasks.later('backup', firstIn, async () => {
      await this.run();
      tasks.every('backup', this.options.everyMs, () => this.run());
    });
  }

  #newestMs(): number | undefined {
    if (!existsSync(this.options.dir)) return undefined;
    const names = readdirSync(this.options.dir).filter((n) => /^zhitong-\d{8}T\d{6}Z$/.test(n)).sort();
    const newest = names.at(-1);
    return newest === undefined ? undefined : statSync(join(this.options.dir, newest)).mtimeMs;
  }

  /** Makes one backup now. Throws what createBackup throws (disk full), after counting it. */
  async run(): Promise<BackupManifest> {
    const started = performance.now();
    const destination = join(this.options.dir, scheduledBackupName(this.options.now()));
    let manifest: BackupManifest;
    try {
      manifest = await createBackup({
        dataDir: this.options.dataDir,
        destination,
        secretFromEnvironment: this.options.secretFromEnvironment,
        epoch: await this.store.epoch(),
        copy: (file) => (this.store as SqliteEventStore).backupTo(file),
        now: this.options.now,
      });
    } catch (error) {
      this.stats.failed += 1;
      this.metrics?.backups.inc({ outcome: 'failed' });
      throw error;
    }
    const seconds = (performance.now() - started) / 1000;
    if (!manifest.verification.ok) {
      // Kept as evidence and never pruned by this run: the older, good backups stay.
      this.stats.unverified += 1;
      this.metrics?.backups.inc({ outcome: 'unverified' });
      this.logger.error({ backup: destination, problem: manifest.verification.firstProblem }, 'backup made, but the copy does not verify');
      return manifest;
    }
    this.stats.ok += 1;
    this.stats.lastSuccessAt = Date.parse(manifest.createdAt) / 1000;
    this.stats.lastDurationSeconds = seconds;
    this.stats.lastEvents = manifest.events;
    this.metrics?.backups.inc({ outcome: 'verified' });
    this.metrics?.backupLastSuccess.set(this.stats.lastSuccessAt);
    this.metrics?.backupDuration.set(seconds);
    const removed = pruneBackups(this.options.dir, this.options.keep);
    this.logger.info({ backup: destination, events: manifest.events, head: manifest.head, seconds: Math.round(seconds * 1000) / 1000, removed }, 'backup made and verified');
    return manifest;
  }
}
