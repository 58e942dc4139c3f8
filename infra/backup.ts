import { createHash, randomUUID } from 'node:crypto';
import { chmodSync, closeSync, copyFileSync, createReadStream, existsSync, fsyncSync, mkdirSync, openSync, readdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import Database from 'better-sqlite3';
import { streams } from '../domain/events.js';
import { readForVerification } from './audit/verify-reader.js';
import { LogVerifier, type VerifyOptions, type VerifyReport } from './audit/verify.js';
import { beginEpoch, sqlitePosition } from './eventstore/sqlite.js';
import { sqliteOnlineBackup } from './eventstore/sqlite-backup.js';
import type { StoreEpoch } from './eventstore/types.js';

/*
 * Backups of the embedded store (SPEC §7 `backup`/`restore`; issue "Ready for a real office").
 *
 * A backup is a directory: `events.sqlite` (a consistent copy of the log made with SQLite's online
 * backup API while the node serves), `auth-secret` (the token secret, when it is kept in DATA_DIR,
 * so every contact's token still works after a restore) and `manifest.json` (what was copied, its
 * checksum, and how its verification went). Never the audit signing key: it lives outside
 * DATA_DIR so that whoever holds the data cannot re-sign a rewritten history (SPEC §8). The
 * directory is written under a temporary name and renamed when complete, so a half-made backup
 * (disk full, power cut) never looks like one.
 */

export const BACKUP_FORMAT = 'zhitong-backup/1';
const LOG_FILE = 'events.sqlite';
const SECRET_FILE = 'auth-secret';
const MANIFEST_FILE = 'manifest.json';

export interface BackupManifest {
  format: typeof BACKUP_FORMAT;
  /** ISO time the copy was taken. */
  createdAt: string;
  /** Position of the newest event in the copy; '' for an empty log. */
  head: string;
  events: number;
  /** The epoch of the store the copy was taken from. */
  epoch: StoreEpoch;
  /** The newest seal in the copy: the fingerprint an auditor can hold against it. */
  latestSeal: { root: string; upTo: string } | null;
  /** Bytes and SHA-256 of each file, checked before a restore uses it. */
  files: Record<string, { bytes: number; sha256: string }>;
  /** Whether the token secret is in the backup; when AUTH_SECRET comes from the environment it is not. */
  secret: 'included' | 'environment';
  verification: Pick<VerifyReport, 'ok' | 'streams' | 'events' | 'unsealed'> & { seals: number; firstProblem?: string };
}

/** A backup or restore refused before anything was changed: `zh` and the message say why, in words. */
export class BackupError extends Error {
  constructor(
    readonly zh: string,
    message: string,
  ) {
    super(message);
    this.name = 'BackupError';
  }
}

async function sha256(file: string): Promise<string> {
  const hash = createHash('sha256');
  for await (const chunk of createReadStream(file)) hash.update(chunk as Buffer);
  return hash.digest('hex');
}

function fsyncPath(path: string): void {
  const fd = openSync(path, 'r');
  try {
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}

/**
 * Verifies a closed SQLite log file as `cli verify` does the live one (SPEC §8: chains, positions,
 * seals, signatures when a public key is given). Reads only; the file is not changed.
 */
export async function verifySqliteFile(file: string, options: Pick<VerifyOptions, 'publicKey'> = {}): Promise<{ report: VerifyReport; head: string; epoch: StoreEpoch | undefined }> {
  const db = new Database(file, { readonly: true, fileMustExist: true });
  let seals: ReturnType<typeof JSON.parse>[];
  let head: string;
  let epoch: StoreEpoch | undefined;
  try {
    seals = (db.prepare('SELECT record FROM events WHERE stream = ? ORDER BY revision').pluck().all(streams.audit) as string[]).map((r) => JSON.parse(r));
    const p = (db.prepare('SELECT max(position) AS p FROM events').get() as { p: number | null }).p;
    head = p === null ? '' : sqlitePosition(p);
    const meta = db.prepare("SELECT name FROM sqlite_master WHERE type = 'table' AND name = 'store_meta'").get() ? (db.prepare("SELECT value FROM store_meta WHERE key = 'epoch'").pluck().get() as string | undefined) : undefined;
    if (meta) {
      const { id, startsAfter } = JSON.parse(meta) as StoreEpoch;
      epoch = { id, startsAfter };
    }
  } finally {
    db.close();
  }
  const verifier = new LogVerifier({ ...options, seals, contiguous: true });
  for await (const page of readForVerification(file)) for (const { event, hashOk } of page) verifier.add(event, hashOk);
  return { report: verifier.finish(), head, epoch };
}

/**
 * True when `path` is absent or an empty directory; a path that is a file is a BackupError naming
 * it. (A path through a file throws the system's ENOTDIR on that path, which the CLI words.)
 */
function emptyDirectory(path: string): boolean {
  const at = statSync(path, { throwIfNoEntry: false });
  if (at && !at.isDirectory()) throw new BackupError(`${path} 是一个文件，不是目录：请给一个新目录的路径`, `${path} is a file, not a directory: name a new directory`);
  return !at || readdirSync(path).length === 0;
}

export interface BackupOptions {
  /** DATA_DIR of the store to copy. */
  dataDir: string;
  /** The directory to create; it must not exist or be empty. */
  destination: string;
  /** True when the token secret comes from AUTH_SECRET: it is not in DATA_DIR and is not copied. */
  secretFromEnvironment: boolean;
  /** The store's epoch, recorded in the manifest. */
  epoch: StoreEpoch;
  /** Copies the live log to the given file (the store's own `backupTo`, or a fresh connection). */
  copy?: (file: string) => Promise<void>;
  publicKey?: VerifyOptions['publicKey'];
  now?: () => Date;
}

/**
 * Makes a backup of the embedded store in `destination` and verifies the copy. Resolves with the
 * manifest (whose `verification.ok` is false when the copy's chains or seals are broken: the copy
 * is kept, as evidence, and the caller says so). Throws BackupError when the destination is not
 * empty; the driver's error (disk full) after removing the partial directory.
 */
export async function createBackup(options: BackupOptions): Promise<BackupManifest> {
  const destination = resolve(options.destination);
  if (!emptyDirectory(destination)) throw new BackupError(`${destination} 不是空目录：备份须写进一个新目录`, `${destination} is not empty: a backup goes into a new directory`);
  const partial = join(dirname(destination), `.${basename(destination)}.partial-${randomUUID().slice(0, 8)}`);
  mkdirSync(partial, { recursive: true, mode: 0o700 });
  try {
    const createdAt = (options.now ?? (() => new Date()))().toISOString();
    const logFile = join(partial, LOG_FILE);
    await (options.copy ?? ((file: string) => sqliteOnlineBackup(join(options.dataDir, LOG_FILE), file)))(logFile);
    const files: BackupManifest['files'] = {};
    chmodSync(logFile, 0o600);
    files[LOG_FILE] = { bytes: statSync(logFile).size, sha256: await sha256(logFile) };
    const secretSource = join(options.dataDir, SECRET_FILE);
    const withSecret = !options.secretFromEnvironment && existsSync(secretSource);
    if (withSecret) {
      copyFileSync(secretSource, join(partial, SECRET_FILE));
      files[SECRET_FILE] = { bytes: statSync(join(partial, SECRET_FILE)).size, sha256: await sha256(join(partial, SECRET_FILE)) };
    }
    const { report, head } = await verifySqliteFile(logFile, options.publicKey ? { publicKey: options.publicKey } : {});
    const manifest: BackupManifest = {
      format: BACKUP_FORMAT,
      createdAt,
      head,
      events: report.events,
      epoch: options.epoch,
      latestSeal: report.seals.latest ? { root: report.seals.latest.root, upTo: report.seals.latest.upTo } : null,
      files,
      secret: withSecret ? 'included' : 'environment',
      verification: {
        ok: report.ok,
        streams: report.streams,
        events: report.events,
        seals: report.seals.count,
        unsealed: report.unsealed,
        ...(report.firstProblem ? { firstProblem: `${report.firstProblem.message} / ${report.firstProblem.messageEn}` } : {}),
      },
    };
    writeFileSync(join(partial, MANIFEST_FILE), `${JSON.stringify(manifest, null, 2)}\n`, { mode: 0o600 });
    for (const name of readdirSync(partial)) fsyncPath(join(partial, name));
    if (existsSync(destination)) rmSync(destination, { recursive: true });
    renameSync(partial, destination);
    fsyncPath(dirname(destination));
    return manifest;
  } catch (error) {
    rmSync(partial, { recursive: true, force: true });
    throw error;
  }
}

/** Reads and checks a backup's manifest and file checksums. Throws BackupError naming what is wrong. */
export async function readBackup(source: string): Promise<BackupManifest> {
  const dir = resolve(source);
  let manifest: BackupManifest;
  try {
    manifest = JSON.parse(readFileSync(join(dir, MANIFEST_FILE), 'utf8')) as BackupManifest;
  } catch {
    throw new BackupError(`${dir} 不是直通的备份目录：没有可读的 ${MANIFEST_FILE}`, `${dir} is not a zhitong backup: no readable ${MANIFEST_FILE}`);
  }
  if (manifest.format !== BACKUP_FORMAT) throw new BackupError(`${dir}：备份格式 ${JSON.stringify(manifest.format)} 不是本版本能读的 ${BACKUP_FORMAT}`, `${dir}: backup format ${JSON.stringify(manifest.format)} is not ${BACKUP_FORMAT}`);
  for (const [name, expected] of Object.entries(manifest.files ?? {})) {
    const file = join(dir, name);
    if (!existsSync(file)) throw new BackupError(`${dir}：备份不完整，缺少 ${name}`, `${dir}: ${name} is missing from the backup`);
    if ((await sha256(file)) !== expected.sha256) throw new BackupError(`${dir}：${name} 与 ${MANIFEST_FILE} 里的校验和不符，备份文件已损坏或被改动`, `${dir}: ${name} does not match its checksum in ${MANIFEST_FILE}: the backup was damaged or changed`);
  }
  if (!manifest.files?.[LOG_FILE]) throw new BackupError(`${dir}：清单里没有 ${LOG_FILE}`, `${dir}: the manifest names no ${LOG_FILE}`);
  return manifest;
}

export interface RestoreResult {
  manifest: BackupManifest;
  report: VerifyReport;
  epoch: StoreEpoch;
}

/**
 * Restores the backup in `source` into `dataDir`, which must be absent or empty (SPEC §7): checks
 * the checksums, verifies the log (refused when its chains or seals are broken), copies it, gives
 * it a new epoch starting after the backup's head (SPEC §5), and puts the token secret back.
 * Throws BackupError before writing anything when any check fails.
 */
export async function restoreBackup(options: { source: string; dataDir: string; publicKey?: VerifyOptions['publicKey']; now?: () => Date }): Promise<RestoreResult> {
  const dataDir = resolve(options.dataDir);
  if (!emptyDirectory(dataDir)) throw new BackupError(`DATA_DIR ${dataDir} 不是空目录：备份只能恢复到空目录，绝不覆盖已有的库`, `DATA_DIR ${dataDir} is not empty: a backup is restored only into an empty one, never over a store`);
  const manifest = await readBackup(options.source);
  const backupLog = join(resolve(options.source), LOG_FILE);
  const { report, head } = await verifySqliteFile(backupLog, options.publicKey ? { publicKey: options.publicKey } : {});
  if (!report.ok) throw new BackupError(`备份里的日志校验未通过：${report.firstProblem?.message ?? '详见 cli verify'}`, `the backup's log does not verify: ${report.firstProblem?.messageEn ?? 'see cli verify'}`);
  if (head !== manifest.head) throw new BackupError(`备份里的日志止于 ${head || '（空）'}，清单上写的是 ${manifest.head || '（空）'}`, `the backup's log ends at ${head || 'nothing'}, its manifest says ${manifest.head || 'nothing'}`);
  mkdirSync(dataDir, { recursive: true, mode: 0o700 });
  const partial = join(dataDir, `.${LOG_FILE}.restoring`);
  try {
    // The backup is closed and checked: a plain copy of it is the copy, then fsynced.
    copyFileSync(backupLog, partial);
    chmodSync(partial, 0o600);
    const db = new Database(partial);
    let epoch: StoreEpoch;
    try {
      db.pragma('journal_mode = WAL');
      epoch = beginEpoch(db, head, { backupCreatedAt: manifest.createdAt, previousEpoch: manifest.epoch.id, restoredAt: (options.now ?? (() => new Date()))().toISOString() });
    } finally {
      db.close();
    }
    fsyncPath(partial);
    if (manifest.secret === 'included') copyFileSync(join(resolve(options.source), SECRET_FILE), join(dataDir, SECRET_FILE));
    renameSync(partial, join(dataDir, LOG_FILE));
    fsyncPath(dataDir);
    return { manifest, report, epoch };
  } catch (error) {
    rmSync(partial, { force: true });
    throw error;
  }
}

/**
 * Backups in `dir` made by the schedule (names `zhitong-YYYYMMDDTHHMMSSZ`), oldest first. Removes
 * all but the newest `keep`; returns the names removed.
 */
export function pruneBackups(dir: string, keep: number): string[] {
  if (!existsSync(dir)) return [];
  const names = readdirSync(dir).filter((n) => /^zhitong-\d{8}T\d{6}Z$/.test(n)).sort();
  const removed = names.slice(0, Math.max(0, names.length - keep));
  for (const name of removed) rmSync(join(dir, name), { recursive: true, force: true });
  return removed;
}

/** The directory name a scheduled backup taken at `at` gets: sortable, one per second. */
export const scheduledBackupName = (at: Date): string => `zhitong-${at.toISOString().replace(/[-:]/g, '').replace(/\.\d{3}/, '')}`;
