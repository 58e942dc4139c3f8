import { randomBytes } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, readFileSync, realpathSync, statSync, writeFileSync } from 'node:fs';
import { join, resolve, sep } from 'node:path';
import { z } from 'zod';
import { DEFAULT_CLOCK_RULES, type ClockRules, type WorkingCalendar } from '../domain/clocks.js';
import { loadWorkingCalendar } from './calendar.js';

const port = z.coerce.number({ error: 'must be a port number' }).int('must be a port number').min(0).max(65535);
const url = (schemes: string[]) =>
  z
    .string()
    .trim()
    .refine((v) => schemes.some((s) => v.startsWith(`${s}://`)), `must start with ${schemes.map((s) => `${s}://`).join(' or ')}`);

const SECRET_MIN = 32;
/** Proxies whose X-Forwarded-For is believed: addresses or CIDR ranges, comma-separated. */
const TrustProxy = z
  .string()
  .trim()
  .transform((v) => v.split(',').map((p) => p.trim()).filter(Boolean))
  .refine((list) => list.every((p) => /^[0-9a-fA-F:.]+(\/\d{1,3})?$/.test(p) || ['loopback', 'linklocal', 'uniquelocal'].includes(p)), 'must be IP addresses or CIDR ranges, comma-separated');

/** A period in ms: whole milliseconds, or a whole number of minutes, hours or days (`30m`, `6h`, `1d`). */
const period = z
  .string()
  .trim()
  .regex(/^\d+(ms|m|h|d)?$/, 'must be milliseconds or a number with m, h or d (e.g. 6h)')
  .transform((v) => {
    const m = /^(\d+)(ms|m|h|d)?$/.exec(v)!;
    return Number(m[1]) * ({ ms: 1, m: 60_000, h: 3_600_000, d: 86_400_000 }[m[2] ?? 'ms'] ?? 1);
  });
/** A period of at least a minute. */
const duration = period.refine((ms) => ms >= 60_000 && ms <= 30 * 86_400_000, 'must be between a minute and 30 days');

const EnvSchema = z.object({
  PORT: port.default(3000),
  HOST: z.string().min(1).default('127.0.0.1'),
  DATA_DIR: z.string().min(1).default('./data'),
  EVENTSTORE_URL: url(['esdb', 'esdb+discover']).optional(),
  /** The EventStoreDB cluster's MaxAppendSize, when it is not the server's default 1 MiB. */
  EVENTSTORE_MAX_APPEND_SIZE: z.coerce.number().int().min(64 * 1024).max(16 * 1024 * 1024).default(1024 * 1024),
  REDIS_URL: url(['redis', 'rediss', 'unix']).optional(),
  AUTH_SECRET: z.string().min(SECRET_MIN, `must be at least ${SECRET_MIN} characters`).optional(),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  ESCALATION_DELAY_MS: z.coerce.number().int().min(1000).max(24 * 3600 * 1000).default(10 * 60 * 1000),
  BODY_LIMIT_BYTES: z.coerce.number().int().min(1024).default(256 * 1024),
  RATE_LIMIT_PER_MINUTE: z.coerce.number().int().min(1).default(600),
  /** Failed authentications per minute from one address before its failures are answered 429. */
  AUTH_FAILURES_PER_MINUTE: z.coerce.number().int().min(1).default(30),
  TRUST_PROXY: TrustProxy.optional(),
  /** A request must have arrived whole within this time (a slow phone on 2G sends 1 KB in seconds). */
  REQUEST_TIMEOUT_MS: z.coerce.number().int().min(1000).max(600_000).default(60_000),
  /** SPEC §3 no double relief: days within which a second relief of one category is refused across incidents. */
  RELIEF_REPEAT_WINDOW_DAYS: z.coerce.number().int().min(0).max(3650).default(30),
  /** The Ed25519 private key (PKCS#8 PEM) that signs seals; outside DATA_DIR (SPEC §8). `cli audit-key` makes one. */
  AUDIT_SIGNING_KEY_FILE: z.string().min(1).optional(),
  WORKING_CALENDAR_FILE: z.string().min(1).optional(),
  /** How often the log is sealed while anything changed (SPEC §8: at least hourly). */
  AUDIT_SEAL_INTERVAL_MS: z.coerce.number().int().min(1000).max(3600 * 1000).default(3600 * 1000),
  /**
   * How often the node verifies the whole log in the background (SPEC §8: chains, positions, seals,
   * signatures): milliseconds or a number with m, h or d; 0 turns it off. The first check runs this
   * long, at most ten minutes, after the read side is current.
   */
  VERIFY_EVERY: period.refine((ms) => ms === 0 || (ms >= 100 && ms <= 30 * 86_400_000), 'must be 0 (never) or between 100 ms and 30 days').default(86_400_000),
  /** Where scheduled backups go (a directory outside DATA_DIR, ideally another disk); unset: none. */
  BACKUP_DIR: z.string().min(1).optional(),
  /** How often a scheduled backup is made: milliseconds, or a number with m, h or d (6h). */
  BACKUP_EVERY: duration.default(24 * 3600 * 1000),
  /** How many scheduled backups are kept; older ones are removed after a new one verified. */
  BACKUP_KEEP: z.coerce.number().int().min(1).max(1000).default(14),
  /** Where the console is reached from phones: the base of the short link in every alert SMS. */
  PUBLIC_URL: url(['https', 'http']).optional(),
  // SMS and voice (SPEC §5): the provider the office contracts, its keys, sign name and templates.
  NOTIFY_PROVIDER: z.enum(['aliyun', 'tencent']).optional(),
  NOTIFY_KEY_ID: z.string().trim().min(1).optional(),
  NOTIFY_KEY_SECRET: z.string().trim().min(1).optional(),
  NOTIFY_SIGN_NAME: z.string().trim().min(1).max(20).optional(),
  NOTIFY_ALERT_TEMPLATE: z.string().trim().min(1).optional(),
  NOTIFY_REPLY_TEMPLATE: z.string().trim().min(1).optional(),
  NOTIFY_VOICE_TEMPLATE: z.string().trim().min(1).optional(),
  NOTIFY_VOICE_CALLER: z.string().trim().regex(/^\d{5,20}$/, 'must be a phone number (digits)').optional(),
  NOTIFY_SMS_APP_ID: z.string().trim().min(1).optional(),
  NOTIFY_VOICE_APP_ID: z.string().trim().min(1).optional(),
  NOTIFY_REGION: z.string().trim().min(1).default('ap-guangzhou'),
  /** The provider's API elsewhere than its public endpoint (a proxy; a test server). */
  NOTIFY_SMS_ENDPOINT: url(['https', 'http']).optional(),
  NOTIFY_VOICE_ENDPOINT: url(['https', 'http']).optional(),
  /** How long one request to the provider may take before it counts as failed and is retried (ms). */
  NOTIFY_TIMEOUT_MS: z.coerce.number().int().min(500).max(120_000).default(10_000),
  /** The secret path segment of the callback URLs given to the provider (its callbacks are not signed). */
  NOTIFY_CALLBACK_SECRET: z.string().trim().min(16, 'must be at least 16 characters').regex(/^[\w-]+$/, 'letters, digits, - and _ only').optional(),
});

/** The SMS and voice provider's settings, checked whole: what is missing is named. */
export type NotifyConfig =
  | {
      provider: 'aliyun';
      keyId: string;
      keySecret: string;
      signName: string;
      alertTemplate: string;
      replyTemplate: string;
      voiceTemplate: string | undefined;
      voiceCaller: string | undefined;
      smsEndpoint: string | undefined;
      voiceEndpoint: string | undefined;
      callbackSecret: string;
      timeoutMs: number;
    }
  | {
      provider: 'tencent';
      keyId: string;
      keySecret: string;
      signName: string;
      alertTemplate: string;
      replyTemplate: string;
      voiceTemplate: string | undefined;
      smsAppId: string;
      voiceAppId: string | undefined;
      region: string;
      smsEndpoint: string | undefined;
      voiceEndpoint: string | undefined;
      callbackSecret: string;
      timeoutMs: number;
    };

export interface Config {
  port: number;
  host: string;
  dataDir: string;
  eventStoreUrl: string | undefined;
  /** Bytes of event data one append may carry on EventStoreDB (its MaxAppendSize). */
  eventStoreMaxAppendSize: number;
  redisUrl: string | undefined;
  authSecret: string;
  logLevel: z.infer<typeof EnvSchema>['LOG_LEVEL'];
  escalationDelayMs: number;
  bodyLimitBytes: number;
  rateLimitPerMinute: number;
  authFailuresPerMinute: number;
  trustProxy: string[];
  requestTimeoutMs: number;
  reliefWindowDays: number;
  /** The statutory clocks (SPEC §3) with the office's working calendar, where WORKING_CALENDAR_FILE names one. */
  clockRules: ClockRules;
  publicUrl: string | undefined;
  /** Undefined: alerts go by WebSocket only, and /ready says so. */
  notify: NotifyConfig | undefined;
  /** Absolute path of the seal-signing key, outside DATA_DIR; undefined: seals are not signed. */
  auditSigningKeyFile: string | undefined;
  sealIntervalMs: number;
  /** How often the node verifies the whole log (ms); 0: never (services/audit/integrity.ts). */
  verifyEveryMs: number;
  /** Scheduled backups (absolute directory, outside DATA_DIR), or undefined for none. */
  backup: { dir: string; everyMs: number; keep: number } | undefined;
  /** True when AUTH_SECRET came from the environment (then it is not in DATA_DIR, nor in a backup). */
  authSecretFromEnvironment: boolean;
}

export { ConfigError, type ConfigProblem } from './config-error.js';
import { ConfigError, type ConfigProblem } from './config-error.js';

const zodProblems = (issues: z.core.$ZodIssue[]): ConfigProblem[] => issues.map((i) => ({ field: i.path.join('.'), en: i.message, issue: i as unknown as Record<string, unknown> }));

/**
 * Reads and checks the environment once, at start. Every bad value is reported on its own line
 * (`PORT: expected number, received "abc"`) and the process refuses to start rather than run with
 * a half-understood configuration.
 */
/**
 * What `restore` needs and nothing more: it runs before a DATA_DIR exists, and loadConfig would
 * create the token secret there (the restore brings the backup's own). Throws ConfigError.
 */
export function restoreConfig(env: NodeJS.ProcessEnv = process.env): { dataDir: string; auditSigningKeyFile: string | undefined } {
  const parsed = EnvSchema.pick({ DATA_DIR: true, AUDIT_SIGNING_KEY_FILE: true }).safeParse({
    DATA_DIR: env.DATA_DIR || undefined,
    AUDIT_SIGNING_KEY_FILE: env.AUDIT_SIGNING_KEY_FILE || undefined,
  });
  if (!parsed.success) throw new ConfigError(zodProblems(parsed.error.issues));
  return { dataDir: resolve(parsed.data.DATA_DIR), auditSigningKeyFile: parsed.data.AUDIT_SIGNING_KEY_FILE === undefined ? undefined : resolve(parsed.data.AUDIT_SIGNING_KEY_FILE) };
}

export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  const blankToUndefined = Object.fromEntries(
    Object.keys(EnvSchema.shape).map((k) => [k, env[k] === '' ? undefined : env[k]]),
  );
  const parsed = EnvSchema.safeParse(blankToUndefined);
  if (!parsed.success) {
    throw new ConfigError(zodProblems(parsed.error.issues));
  }
  const e = parsed.data;
  const notify = notifyConfig(e);
  let calendar: WorkingCalendar | undefined;
  try {
    calendar = e.WORKING_CALENDAR_FILE === undefined ? undefined : loadWorkingCalendar(resolve(e.WORKING_CALENDAR_FILE));
  } catch (error) {
    if (error instanceof ConfigError) throw error;
    throw new ConfigError([{ field: 'WORKING_CALENDAR_FILE', en: (error as Error).message, zh: `读不了工作日历文件：${(error as NodeJS.ErrnoException).code ?? (error as Error).message}` }]);
  }
  const dataDir = resolve(e.DATA_DIR);
  const keyFile = e.AUDIT_SIGNING_KEY_FILE === undefined ? undefined : resolve(e.AUDIT_SIGNING_KEY_FILE);
  // A key beside the log it signs proves nothing against whoever can write the log (SPEC §8).
  // Through symlinks too: a link in /etc to a key inside DATA_DIR is a key inside DATA_DIR.
  const real = (path: string) => {
    try {
      return realpathSync(path);
    } catch {
      return path;
    }
  };
  if (keyFile && (real(keyFile) + sep).startsWith(real(dataDir) + sep)) {
    throw new ConfigError([
      { field: 'AUDIT_SIGNING_KEY_FILE', en: `must be outside DATA_DIR (${dataDir}): whoever can rewrite the log must not hold the key`, zh: `必须在 DATA_DIR（${dataDir}）之外：能改日志的人不能同时拿着签名密钥` },
    ]);
  }
  // A backup inside the directory it backs up dies with it, and makes DATA_DIR never empty to restore into.
  if (e.BACKUP_DIR !== undefined && (real(resolve(e.BACKUP_DIR)) + sep).startsWith(real(dataDir) + sep)) {
    throw new ConfigError([
      { field: 'BACKUP_DIR', en: `must be outside DATA_DIR (${dataDir}), best on another disk: a backup beside the store is lost with it`, zh: `必须在 DATA_DIR（${dataDir}）之外，最好在另一块磁盘上：和库放在一起的备份会和库一起丢失` },
    ]);
  }
  const authSecret = e.AUTH_SECRET ?? loadOrCreateSecret(dataDir);
  return {
    port: e.PORT,
    host: e.HOST,
    dataDir,
    eventStoreUrl: e.EVENTSTORE_URL,
    eventStoreMaxAppendSize: e.EVENTSTORE_MAX_APPEND_SIZE,
    redisUrl: e.REDIS_URL,
    authSecret,
    logLevel: e.LOG_LEVEL,
    escalationDelayMs: e.ESCALATION_DELAY_MS,
    bodyLimitBytes: e.BODY_LIMIT_BYTES,
    rateLimitPerMinute: e.RATE_LIMIT_PER_MINUTE,
    authFailuresPerMinute: e.AUTH_FAILURES_PER_MINUTE,
    trustProxy: e.TRUST_PROXY ?? [],
    requestTimeoutMs: e.REQUEST_TIMEOUT_MS,
    reliefWindowDays: e.RELIEF_REPEAT_WINDOW_DAYS,
    clockRules: { ...DEFAULT_CLOCK_RULES, calendar },
    publicUrl: e.PUBLIC_URL?.replace(/\/+$/, ''),
    notify,
    auditSigningKeyFile: keyFile,
    sealIntervalMs: e.AUDIT_SEAL_INTERVAL_MS,
    verifyEveryMs: e.VERIFY_EVERY,
    backup: e.BACKUP_DIR === undefined ? undefined : { dir: resolve(e.BACKUP_DIR), everyMs: e.BACKUP_EVERY, keep: e.BACKUP_KEEP },
    authSecretFromEnvironment: e.AUTH_SECRET !== undefined,
  };
}

function notifyConfig(e: z.infer<typeof EnvSchema>): NotifyConfig | undefined {
  if (!e.NOTIFY_PROVIDER) {
    const stray = Object.keys(e).filter((k) => k.startsWith('NOTIFY_') && k !== 'NOTIFY_REGION' && k !== 'NOTIFY_TIMEOUT_MS' && e[k as keyof typeof e] !== undefined);
    if (stray.length > 0) throw new ConfigError(stray.map((k) => ({ field: k, en: 'set, but NOTIFY_PROVIDER is not (aliyun or tencent)', zh: '已设置，但没有设置 NOTIFY_PROVIDER（aliyun 或 tencent）' })));
    return undefined;
  }
  const required = ['NOTIFY_KEY_ID', 'NOTIFY_KEY_SECRET', 'NOTIFY_SIGN_NAME', 'NOTIFY_ALERT_TEMPLATE', 'NOTIFY_REPLY_TEMPLATE', 'NOTIFY_CALLBACK_SECRET', 'PUBLIC_URL'] as const;
  const forProvider = e.NOTIFY_PROVIDER === 'tencent' ? (['NOTIFY_SMS_APP_ID'] as const) : ([] as const);
  const missing = [...required, ...forProvider].filter((k) => e[k] === undefined);
  if (e.NOTIFY_PROVIDER === 'tencent' && e.NOTIFY_VOICE_TEMPLATE && !e.NOTIFY_VOICE_APP_ID) missing.push('NOTIFY_VOICE_APP_ID' as never);
  if (missing.length > 0) throw new ConfigError(missing.map((k) => ({ field: k, en: `required with NOTIFY_PROVIDER=${e.NOTIFY_PROVIDER}`, zh: `设置了 NOTIFY_PROVIDER=${e.NOTIFY_PROVIDER} 时必填` })));
  const common = {
    keyId: e.NOTIFY_KEY_ID!,
    keySecret: e.NOTIFY_KEY_SECRET!,
    signName: e.NOTIFY_SIGN_NAME!,
    alertTemplate: e.NOTIFY_ALERT_TEMPLATE!,
    replyTemplate: e.NOTIFY_REPLY_TEMPLATE!,
    voiceTemplate: e.NOTIFY_VOICE_TEMPLATE,
    smsEndpoint: e.NOTIFY_SMS_ENDPOINT,
    voiceEndpoint: e.NOTIFY_VOICE_ENDPOINT,
    callbackSecret: e.NOTIFY_CALLBACK_SECRET!,
    timeoutMs: e.NOTIFY_TIMEOUT_MS,
  };
  return e.NOTIFY_PROVIDER === 'aliyun'
    ? { provider: 'aliyun', ...common, voiceCaller: e.NOTIFY_VOICE_CALLER }
    : { provider: 'tencent', ...common, smsAppId: e.NOTIFY_SMS_APP_ID!, voiceAppId: e.NOTIFY_VOICE_APP_ID, region: e.NOTIFY_REGION };
}

/**
 * DATA_DIR holds names and phones of disaster victims and the token secret: it is created 0700,
 * and files in it 0600 (the event store's files take their mode from the database file).
 */
export function ensureDataDir(dataDir: string): void {
  if (!existsSync(dataDir)) mkdirSync(dataDir, { recursive: true, mode: 0o700 });
  else if (statSync(dataDir).isDirectory() && (statSync(dataDir).mode & 0o077) !== 0 && statSync(dataDir).uid === process.getuid?.()) {
    chmodSync(dataDir, 0o700);
  }
}

/** A secret generated on first start and kept (mode 600) so tokens survive restarts; checked like AUTH_SECRET. */
function loadOrCreateSecret(dataDir: string): string {
  const file = join(dataDir, 'auth-secret');
  const read = () => {
    const secret = readFileSync(file, 'utf8').trim();
    if (secret.length < SECRET_MIN) {
      throw new ConfigError([
        {
          field: file,
          en: `the token secret must be at least ${SECRET_MIN} characters (it has ${secret.length}); delete the file to have a new one generated, which ends every issued token`,
          zh: `令牌密钥至少要 ${SECRET_MIN} 个字符（现在 ${secret.length} 个）；删掉这个文件会生成新密钥，但已发出的令牌全部失效`,
        },
      ]);
    }
    return secret;
  };
  if (existsSync(file)) return read();
  ensureDataDir(dataDir);
  const secret = randomBytes(32).toString('base64url');
  try {
    writeFileSync(file, `${secret}\n`, { mode: 0o600, flag: 'wx' });
  } catch (error) {
    // Another node sharing DATA_DIR created it first: use theirs.
    if ((error as NodeJS.ErrnoException).code === 'EEXIST') return read();
    throw error;
  }
  chmodSync(file, 0o600);
  return secret;
}
