import { once } from 'node:events';
import { createReadStream, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createInterface } from 'node:readline';
import { parseArgs } from 'node:util';
import { z } from 'zod';
import { streams } from '../domain/events.js';
import { rosterDecider } from '../domain/roster.js';
import { unitRegisterDecider } from '../domain/unit-register.js';
import { MobilePhoneInput, PersonName, Role, ROLE_NAMES_ZH, Scope, UnitCode, UserId } from '../domain/vocabulary.js';
import { claimsOfGrant, DEFAULT_TTL_SECONDS, GRANT_WARNING_MESSAGES, grantWarnings, MAX_TTL_SECONDS, type GrantRequest } from '../domain/access.js';
import type { UnitEntry, UnitsFileError, UnitsFileRow } from '../infra/units-file.js';
import { DomainError } from '../domain/errors.js';
import { parentCode, scopeIsRegistered, scopeUnit } from '../domain/units.js';
import { loadConfig, restoreConfig, ConfigError } from '../infra/config.js';
import { BackupError, createBackup, restoreBackup } from '../infra/backup.js';
import { jsonProblem } from '../infra/parse-text.js';
import type { SqliteEventStore } from '../infra/eventstore/sqlite.js';
import { logPages, openEventStore } from '../infra/eventstore/index.js';
import { generateSigningKey, loadSigner, readPublicKey } from '../infra/audit/signing.js';
import { LogVerifier, verifySummary, type SealProofs, type VerifyOptions, type VerifyReport } from '../infra/audit/verify.js';
import { Sealer, type SealOutcome } from './audit/sealer.js';
import { readForVerification } from '../infra/audit/verify-reader.js';
import type { EventStore, RecordedEvent, StoreEpoch } from '../infra/eventstore/types.js';
import { dirname, join, resolve, sep } from 'node:path';
import { execute, load, type CommandContext } from './commands/execute.js';
import { DEMO_LABEL, DEMO_ROSTERS, DEMO_UNITS, DEMO_USERS } from './demo.js';
import { positionForPeople } from '../domain/audit.js';
import { recordGrants } from './grants.js';

// The usage in Chinese first (the operators of a county read Chinese, SPEC §9), then in English.
const USAGE_ZH = `zhitong — 命令行（直接读写事件库，服务器运行与否都可以用）

  units import 文件                      导入行政区划：JSON 数组 [{code, name, centre?, accessNotes?, phones?,
                                         complaintPhone?}]，或同样列名的 CSV（中心点用 lat、lon 两列）
  token --sub 编号 --role 角色 --scope 代码 [--ttl 秒] [--phone 号码] [--name 姓名] [--link] [--qr]
                                         登记授权（AccessGranted），在标准输出只打印令牌本身
                                         （--link：打印登录链接 PUBLIC_URL/#t=令牌，发给本人；--qr：在标准错误
                                         打印这个链接的二维码，手机扫码登录）；有效期按角色：村联络员 180 天，
                                         值班干部和负责人 30 天，审计员 7 天，管理员 1 天，--ttl 可改；
                                         --phone 是告警短信和电话打到的号码（村联络员也可用它发短信报灾）
  notify test --phone 号码 [--voice]     通过配置的服务商发一条告警短信（或打一个电话），检查密钥、签名和模板
  roster set 乡镇代码 --file 文件        替换一个乡镇的值班表（{entries:[{officer, tier, from?, until?}]}）
  replay [--no-snapshot]                 从整个日志重建所有投影，在标准错误显示进度，并保存为节点的快照
  verify [--file 导出文件] [--anchor 根@位置] [--public-key 文件]
                                         校验日志（SPEC §8：哈希链、位置、封存、签名、别处保存的锚点），
                                         可校验库，也可不要库只校验导出文件；打印 JSON 报告，第一个问题
                                         用文字写在标准错误；有问题时退出码为 1
  seal                                   现在封存日志（AuditSealed），用 AUDIT_SIGNING_KEY_FILE 签名
  audit-key --out 文件                   生成 Ed25519 封存签名密钥（放在 DATA_DIR 之外），打印公钥交给审计员
  export [--after 位置]                  以 NDJSON 导出全局日志
  backup 目标目录                        把运行中的库（可以正在服务）和令牌密钥一致地复制到新目录，并校验；
                                         不含封存签名密钥；副本校验不通过时退出码为 1
  restore 备份目录                       把备份恢复到 DATA_DIR（须为空或不存在）：先核对校验和并校验，
                                         再开新纪元（客户端续传不会漏告警）
  epoch [--new]                          打印库的纪元；--new（EventStoreDB 从自己的备份恢复集群后）开新纪元
  seed-demo                              一个标明“示例”的县、它的值班表，每个角色一个令牌

环境变量：DATA_DIR、EVENTSTORE_URL、AUTH_SECRET、AUDIT_SIGNING_KEY_FILE（见 README）。`;

const USAGE = `zhitong — command line (works on the event store directly, with or without the server)

  units import FILE                      load units from a JSON array of {code, name, centre?, accessNotes?, phones?,
                                         complaintPhone?}, or CSV with those columns (lat, lon for the centre)
  token --sub ID --role ROLE --scope CODE [--ttl SECONDS] [--phone DIGITS] [--name NAME] [--link] [--qr]
                                         record the grant (AccessGranted) and print the token alone on stdout
                                         (with --link: the sign-in link PUBLIC_URL/#t=TOKEN to hand out instead;
                                         with --qr: a QR code of that link on stderr, for a phone to scan);
                                         lifetime by role unless --ttl: contact 180 days, officer and head 30,
                                         auditor 7, admin 1; --phone is where alert SMS and calls go (and
                                         whose SMS files reports, for a contact)
  notify test --phone DIGITS [--voice]   send one alert SMS (or place one call) through the configured
                                         provider, to check its keys, sign and templates
  roster set TOWNSHIP --file FILE        replace a township's on-call roster ({entries:[{officer, tier, from?, until?}]})
  replay [--no-snapshot]                 rebuild every projection from the whole log, with progress on stderr,
                                         and keep the result as the node's snapshot
  verify [--file EXPORT] [--anchor ROOT@POSITION] [--public-key FILE]
                                         verify the log (SPEC §8: chains, positions, seals, signatures, an anchor
                                         held elsewhere) on the store, or an export with no store at all; prints
                                         a JSON report, the first problem in words on stderr; exit 1 when wrong
  seal                                   seal the log now (AuditSealed), signed with AUDIT_SIGNING_KEY_FILE
  audit-key --out FILE                   make an Ed25519 seal-signing key (keep it outside DATA_DIR) and print
                                         its public key for the auditors
  export [--after POSITION]              the global log as NDJSON
  backup DEST                            a consistent copy of the live store (it may be serving) and its token
                                         secret in the new directory DEST, verified (chains, seals); never the
                                         seal-signing key; exit 1 when the copy does not verify
  restore BACKUP                         restore a backup into DATA_DIR, which must be empty or absent: checksums
                                         and verification first, then a new epoch (clients resume without
                                         skipping alerts)
  epoch [--new]                          print the store's epoch; --new (EventStoreDB, after restoring the cluster
                                         from its own backup) begins a new one
  seed-demo                              a labelled sample county, its rosters, and a token for each role

Environment: DATA_DIR, EVENTSTORE_URL, AUTH_SECRET, AUDIT_SIGNING_KEY_FILE (see README).`;

/**
 * One line for the person at the console, Chinese first and then English, as every HTTP answer
 * is (SPEC §9: the people who read it are Chinese; an operator pasting it into a search may want
 * the English). Refusals and what a command did go to stderr; stdout stays what scripts capture.
 */
export const say = (zh: string, en: string): void => console.error(`${zh} / ${en}`);

/** A refusal the CLI words itself, Chinese and English: printed with `say`, exit 1 (`run`). */
class CliRefusal extends Error {
  constructor(
    readonly zh: string,
    en: string,
  ) {
    super(en);
    this.name = 'CliRefusal';
  }
}

/** A line of an export file that is not JSON (`line` counts from 1). */
class NotJsonLine extends CliRefusal {
  constructor(readonly line: number) {
    super(`第 ${line} 行不是 JSON：文件已损坏，或不是导出文件`, `line ${line} is not JSON: the file was damaged or is not an export`);
  }
}

/** A JSON file an operator names on the command line. Throws CliRefusal when it is missing, unreadable or not JSON. */
function readJsonFile(file: string): unknown {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') throw new CliRefusal(`${file}：找不到文件`, `${file}: no such file`);
    throw new CliRefusal(`${file}：无法读取（${code ?? (error as Error).message}）`, `${file}: ${(error as Error).message}`);
  }
  try {
    return JSON.parse(text);
  } catch (error) {
    const problem = jsonProblem(error, text);
    throw new CliRefusal(`${file}：${problem.zh}`, `${file}: ${problem.en}`);
  }
}

const cliContext = (): CommandContext => ({
  actor: { id: process.env.USER ? `cli:${process.env.USER}` : 'cli', role: 'admin' },
  correlationId: `cli-${Date.now()}`,
  now: new Date().toISOString(),
});

/** What the register's own order rules say, in Chinese (units-file.ts says them in English). */
/**
 * A units file's problems, every one, each at its place as the office sees the file (CSV line
 * numbers count the header as line 1, JSON entries count from 1), in Chinese and in English.
 */
async function printUnitsFileProblems(file: string, problems: UnitsFileError['problems']): Promise<void> {
  // The field messages' Chinese, loaded only when a file is refused.
  const { issueEn, issueZh } = await import('./http/messages.js');
  console.error(`${file}：单位文件有 ${problems.length} 处问题，什么也没有导入 / ${problems.length} problem(s) in the units file; nothing was imported`);
  for (const p of problems) {
    const where = p.row ? (p.row.kind === 'line' ? `第 ${p.row.n} 行` : `第 ${p.row.n} 项`) : '文件';
    const whereEn = p.row ? `${p.row.kind} ${p.row.n}` : 'file';
    const zh = p.issue ? issueZh(p.issue, p.message) : (p.zh ?? p.message);
    console.error(`  ${where}${p.field ? ` ${p.field}` : ''}：${zh} / ${whereEn}${p.field ? ` ${p.field}` : ''}: ${p.issue ? issueEn(p.issue, p.message) : p.message}`);
  }
}

async function importUnits(store: EventStore, units: UnitEntry[]): Promise<number> {
  const context = cliContext();
  const result = await execute(store, streams.units, unitRegisterDecider, { type: 'ImportUnits', data: { units }, now: context.now }, context);
  return result.events.length;
}

/**
 * Tokens issued on the store: each recorded as AccessGranted first (never the token, SPEC §2),
 * then signed with the recorded claims. Throws DomainError `invalid_grant`, ZodError for a bad sub
 * or scope.
 */
async function grantTokens(store: EventStore, authSecret: string, requests: Array<Omit<GrantRequest, 'jti'>>): Promise<string[]> {
  const context = cliContext();
  // Signing (fast-jwt, with its ASN.1 and big-number code) loads only for the commands that sign.
  const tokens = (await import('../infra/tokens.js')).tokenService(authSecret);
  const grants = requests.map((r) => ({ ...r, sub: UserId.parse(r.sub), scope: Scope.parse(r.scope) }));
  return (await recordGrants(store, grants, context)).map((grant) => tokens.mint(claimsOfGrant(grant)));
}

async function setRoster(store: EventStore, township: string, entries: Array<{ officer: string; tier: 'primary' | 'backup'; from?: string | undefined; until?: string | undefined }>): Promise<number> {
  const context = cliContext();
  const result = await execute(store, streams.roster(township), rosterDecider, { type: 'SetRoster', data: { township, entries }, now: context.now }, context);
  return result.events.length;
}

/** How big a projection's state is: the size of each of its maps. */
function summary(state: unknown): Record<string, number> {
  return Object.fromEntries(
    Object.entries(state as Record<string, unknown>).flatMap(([k, v]) => (v instanceof Map || v instanceof Set ? [[k, v.size]] : Array.isArray(v) ? [[k, v.length]] : [])),
  );
}

const rate = (events: number, since: number): number => Math.round(events / Math.max((performance.now() - since) / 1000, 1e-3));

type CliValues = { anchor?: string | undefined; 'public-key'?: string | undefined };

/** The verifier's key and anchor from the command line; an exit code when one is unusable. */
function verifyOptions(values: CliValues, keyFile: string | undefined): Pick<VerifyOptions, 'publicKey' | 'anchor'> | number {
  let publicKey: VerifyOptions['publicKey'];
  // A signing key that cannot be read is the configuration's (ConfigError, printed as such), not --public-key's.
  if (!values['public-key'] && keyFile) publicKey = readPublicKey(loadSigner(keyFile).publicKeyPem);
  if (values['public-key']) {
    try {
      publicKey = readPublicKey(readFileSync(values['public-key'], 'utf8'));
    } catch (error) {
      const e = error as NodeJS.ErrnoException;
      if (e.code === 'ENOENT') say(`--public-key：找不到文件 ${values['public-key']}`, '--public-key: no such file');
      else say('--public-key：不是 PEM 格式的 Ed25519 公钥（应为 audit-key 打印的那段 BEGIN PUBLIC KEY 文字）', '--public-key: not an Ed25519 public key in PEM (the text audit-key printed, BEGIN PUBLIC KEY …)');
      return 2;
    }
  }
  let anchor: VerifyOptions['anchor'];
  if (values.anchor !== undefined) {
    const m = /^([0-9a-f]{64})@(\d{1,20})$/.exec(values.anchor);
    if (!m) {
      say('--anchor 应为 根哈希@位置：封存的 64 位十六进制根哈希和它的截止位置，照公示或报表上印的抄', '--anchor must be ROOT@POSITION: the 64-hex root of a seal and its upTo position, as printed on a notice or a report');
      return 2;
    }
    anchor = { root: m[1]!, position: m[2]! };
  }
  return { ...(publicKey ? { publicKey } : {}), ...(anchor ? { anchor } : {}) };
}

/**
 * `restore BACKUP` (SPEC §7): runs before any configuration is loaded, because loading it would
 * create a token secret in DATA_DIR, which must be empty.
 */
async function restore(source: string | undefined, values: CliValues): Promise<number> {
  if (!source) {
    say('用法：restore 备份目录（backup 生成的目录），DATA_DIR 须为空目录或不存在', 'usage: restore BACKUP (a directory made by `backup`), with DATA_DIR naming an empty or absent directory');
    return 2;
  }
  const config = restoreConfig();
  const options = verifyOptions(values, config.auditSigningKeyFile);
  if (typeof options === 'number') return options;
  try {
    const { manifest, report, epoch } = await restoreBackup({ source, dataDir: config.dataDir, ...(options.publicKey ? { publicKey: options.publicKey } : {}) });
    console.log(JSON.stringify({ dataDir: config.dataDir, head: manifest.head, events: report.events, seals: report.seals.count, backupCreatedAt: manifest.createdAt, epoch }));
    const head = manifest.head ? positionForPeople(manifest.head) : '';
    say(
      `已恢复到 ${config.dataDir} 并校验：${report.events} 条事件（到位置 ${head || '无'}），备份时间 ${manifest.createdAt}，新纪元 ${epoch.id}。` +
        (manifest.secret === 'included' ? '备份前发出的令牌可以继续使用。' : '备份里没有令牌密钥：请把 AUTH_SECRET 设为本单位原来用的那个。') +
        '备份之后的记录不在其中：之后吊销的令牌需重新吊销，之后上报的灾情需重新上报。',
      `restored into ${config.dataDir}: ${report.events} events up to position ${head || '(none)'}, taken ${manifest.createdAt}; verified; new epoch ${epoch.id}. ` +
        (manifest.secret === 'included' ? 'Tokens issued before the backup work again. ' : 'The token secret was not in the backup: set AUTH_SECRET to the one the office used. ') +
        'Anything written after the backup was taken is not in it: tokens revoked since must be revoked again, and reports filed since must be filed again.',
    );
    return 0;
  } catch (error) {
    if (error instanceof BackupError) {
      say(`拒绝恢复：${error.zh}`, `restore refused: ${error.message}`);
      return 1;
    }
    throw error;
  }
}

/** Why `seal` wrote nothing, as the operator reads it (Chinese, English). */
const SEAL_NOT_WRITTEN: Record<NonNullable<SealOutcome['reason']>, [string, string]> = {
  nothing_changed: ['上次封存之后日志没有变：这次没有写', 'nothing changed since the last seal: nothing written'],
  sealed_elsewhere: ['另一个进程刚刚封存了：这次没有写', 'another process sealed just now: nothing written'],
  log_broken: ['日志校验未通过：恢复并重新校验之前不封存', 'the log failed verification: no seal until it is restored and verified again'],
  empty_log: ['日志是空的：没有可封存的', 'the log is empty: nothing to seal'],
};

/** How many of a failed verification's problems stderr names; the JSON holds them all (at most MAX_PROBLEMS). */
const PROBLEMS_PRINTED = 20;

function printReport(report: VerifyReport): number {
  console.log(JSON.stringify(report));
  const summary = verifySummary(report);
  console.error(`${summary.zh}\n${summary.en}`);
  if (report.partial) {
    const after = positionForPeople(report.partial.after);
    console.error(
      `只核验了位置 ${after} 之后的部分：事件哈希、各流的链、位置连续；之前的事件和封存须用完整导出核验\n` +
        `only the part after position ${after} was checked: event hashes, each stream's chain, positions in sequence; what came before, and the seals, need a whole export`,
    );
  }
  // Every problem found is named, not only the first (found by a newcomer: "2 problems", one shown).
  const shown = report.problems.slice(0, PROBLEMS_PRINTED);
  for (const problem of shown) console.error(`  ${problem.message}\n  ${problem.messageEn}`);
  const more = report.problems.length - shown.length;
  if (more > 0) console.error(`  ……另有 ${more} 个，见上面 JSON 的 problems / ${more} more in the JSON's problems above`);
  return report.ok ? 0 : 1;
}

/**
 * Verifies an NDJSON export with no store and no configuration (SPEC §8): read twice, the seals
 * first. A line that is not an event is named and the file fails.
 */
async function verifyFile(file: string, values: CliValues): Promise<number> {
  const options = verifyOptions(values, undefined);
  if (typeof options === 'number') return options;
  const lines = async function* () {
    const input = createReadStream(file, { encoding: 'utf8' });
    let n = 0;
    for await (const line of createInterface({ input, crlfDelay: Infinity })) {
      n += 1;
      if (line.trim() !== '') yield { n, line };
    }
  };
  /** The number of the file's last line that holds anything. */
  const lastNonBlankLine = async (): Promise<number> => {
    let last = 0;
    for await (const { n } of lines()) last = n;
    return last;
  };
  const parseLine = (n: number, line: string): unknown => {
    try {
      return JSON.parse(line) as unknown;
    } catch {
      throw new NotJsonLine(n);
    }
  };
  const parse = (n: number, line: string): RecordedEvent => {
    const e = parseLine(n, line) as RecordedEvent;
    if (typeof e?.stream !== 'string' || typeof e.position !== 'string' || typeof e.revision !== 'number' || typeof e.metadata?.hash !== 'string') throw new CliRefusal(`第 ${n} 行不是日志里的事件`, `line ${n} is not an event of the log`);
    return e;
  };
  try {
    // First pass: the seals, and the proofs a scoped export ends with.
    const seals: RecordedEvent[] = [];
    let proofs: SealProofs | undefined;
    let scoped = false;
    let after: string | undefined;
    /** The scope the first line names (an auditor's export); its last line must then be the proofs. */
    let declaredScope: string | undefined;
    const isPosition = (given: unknown): given is string => typeof given === 'string' && given.length > 0 && given.length <= 64;
    for await (const { n, line } of lines()) {
      if (line.startsWith('{"export"')) {
        const given = (parseLine(n, line) as { export?: { scope?: unknown; after?: unknown } }).export;
        // The auditor's significant prefix: digits, none for a scope over every unit.
        if (typeof given?.scope !== 'string' || !/^\d{0,12}$/.test(given.scope)) throw new CliRefusal(`第 ${n} 行：export.scope 不是辖区代码`, `line ${n}: export.scope is not a unit code`);
        if (given.after !== null && !isPosition(given.after)) throw new CliRefusal(`第 ${n} 行：export.after 不是日志位置`, `line ${n}: export.after is not a position`);
        declaredScope = given.scope;
        if (given.after !== null) after = given.after;
      } else if (line.startsWith('{"exportedAfter"')) {
        const given = (parseLine(n, line) as { exportedAfter?: unknown }).exportedAfter;
        if (!isPosition(given)) throw new CliRefusal(`第 ${n} 行：exportedAfter 不是日志位置`, `line ${n}: exportedAfter is not a position`);
        after = given;
      } else if (line.startsWith('{"sealProofs"')) {
        // The trailer of an auditor's export: the file is one scope's, proven by the seal when there is one.
        proofs = (parseLine(n, line) as { sealProofs: SealProofs | null }).sealProofs ?? undefined;
        scoped = true;
      } else if (line.includes('"AuditSealed"')) {
        const event = parse(n, line);
        if (event.type === 'AuditSealed') seals.push(event);
      }
    }
    // A file that names its scope first and lacks the proofs it ends with was cut short: what it
    // holds is still one scope's, and read as a whole log its skipped positions would be "deleted".
    const cutShort = declaredScope !== undefined && !scoped;
    if (declaredScope !== undefined) scoped = true;
    // A scoped export skips other scopes' positions and carries no seal events: its proofs stand for them.
    // A part of the log carries seals that vouch for the whole of it: they are not checked here.
    const verifier = new LogVerifier({
      ...options,
      seals: after !== undefined ? [] : seals,
      contiguous: !scoped,
      scoped,
      startAnywhere: true,
      ...(after !== undefined ? { after } : proofs ? { proofs } : {}),
      ...(cutShort ? { cutShort: { scope: declaredScope! } } : {}),
    });
    let events = 0;
    for await (const { n, line } of lines()) {
      if (line.startsWith('{"sealProofs"') || line.startsWith('{"exportedAfter"') || line.startsWith('{"export"')) continue;
      verifier.add(parse(n, line));
      events += 1;
    }
    if (events === 0) {
      say(`${file}：文件中没有事件，什么也没有核验`, `${file}: holds no events: nothing was verified`);
      return 1;
    }
    return printReport(verifier.finish());
  } catch (error) {
    const e = error as NodeJS.ErrnoException;
    // A download that broke off leaves its last line half written: the commonest damage, and no
    // tampering. Told apart only when it happens, by reading the file once more; a file of one line
    // that is not JSON is no export at all.
    if (e instanceof NotJsonLine && e.line > 1 && (await lastNonBlankLine()) === e.line) say(`${file}：最后一行（第 ${e.line} 行）只写了一半：文件在传输中被截断了，请重新导出`, `${file}: the last line (line ${e.line}) is cut off halfway: the file was cut short on its way; export it again`);
    else if (e instanceof CliRefusal) say(`${file}：${e.zh}`, `${file}: ${e.message}`);
    else if (e.code === 'ENOENT') say(`${file}：找不到文件`, `${file}: no such file`);
    else if (e instanceof SyntaxError) say(`${file}：不是 JSON（${e.message}）`, `${file}: not JSON (${e.message})`);
    else say(`${file}：无法读取（${e.code ?? e.message}）`, `${file}: ${e.message}`);
    return 1;
  }
}

function auditKey(out: string | undefined): number {
  if (!out) {
    say('audit-key 需要 --out 文件（放在 DATA_DIR 之外）', 'audit-key needs --out FILE (outside DATA_DIR)');
    return 2;
  }
  const target = resolve(out);
  const dataDir = resolve(process.env.DATA_DIR || './data');
  if ((target + sep).startsWith(dataDir + sep)) {
    say(`${out}：在 DATA_DIR（${dataDir}）里面；密钥必须放在别处，否则能改日志的人也能重新签名`, `${out}: inside DATA_DIR (${dataDir}); the key must live elsewhere, or whoever can rewrite the log can re-sign it`);
    return 2;
  }
  const key = generateSigningKey();
  try {
    mkdirSync(dirname(target), { recursive: true, mode: 0o700 });
    writeFileSync(target, key.privateKeyPem, { mode: 0o600, flag: 'wx' });
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'EEXIST') say(`${out}：文件已存在，没有覆盖`, `${out}: exists already; not overwritten`);
    else say(`${out}：无法写入（${(error as NodeJS.ErrnoException).code ?? (error as Error).message}）`, `${out}: ${(error as Error).message}`);
    return 1;
  }
  say(
    `私钥已写入 ${out}（权限 0600）。请设置 AUDIT_SIGNING_KEY_FILE=${out}。密钥编号 ${key.keyId}。把下面的公钥交给审计员：`,
    `private key written to ${out} (0600). Set AUDIT_SIGNING_KEY_FILE=${out}. Key id ${key.keyId}. Give the auditors this public key:`,
  );
  console.log(key.publicKeyPem.trim());
  return 0;
}

/**
 * The link an admin hands out (or shows as a QR code): the pages at PUBLIC_URL (this machine's
 * port when unset) with the token in the fragment, which a browser never sends to a server or a log.
 */
function signInLink(config: { publicUrl: string | undefined; port: number }, token: string): string {
  return `${pagesAddress(config)}/#t=${token}`;
}

/** Where the pages are: PUBLIC_URL, or this machine's port when it is unset. */
function pagesAddress(config: { publicUrl: string | undefined; port: number }): string {
  return config.publicUrl ?? `http://localhost:${config.port}`;
}

const parseOptions = (argv: string[]) =>
  parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      sub: { type: 'string' },
      role: { type: 'string' },
      scope: { type: 'string' },
      ttl: { type: 'string' },
      phone: { type: 'string' },
      name: { type: 'string' },
      voice: { type: 'boolean' },
      link: { type: 'boolean' },
      qr: { type: 'boolean' },
      file: { type: 'string' },
      after: { type: 'string' },
      'no-snapshot': { type: 'boolean' },
      anchor: { type: 'string' },
      'public-key': { type: 'string' },
      out: { type: 'string' },
      new: { type: 'boolean' },
      help: { type: 'boolean', short: 'h' },
    },
  });

export async function main(argv: string[]): Promise<number> {
  let parsed: ReturnType<typeof parseOptions>;
  try {
    parsed = parseOptions(argv);
  } catch (error) {
    // A mistyped option is the user's, not a crash: one line, and where to look.
    const first = (error as Error).message.split('\n')[0];
    // Node's parser words it in English: the option it names is said in Chinese too.
    const option = /'(-[^']*)'/.exec(first ?? '')?.[1];
    const code = (error as NodeJS.ErrnoException).code;
    const zh =
      code === 'ERR_PARSE_ARGS_UNKNOWN_OPTION' && option
        ? `没有 ${option} 这个选项`
        : code === 'ERR_PARSE_ARGS_INVALID_OPTION_VALUE' && option
          ? `选项 ${option.split(/[ ,]/)[0]} ${/argument missing/.test(first ?? '') ? '后面要跟一个值' : '不带值'}`
          : `命令行参数不对：${first}`;
    say(`${zh}（用法见 npm run cli -- --help）`, `${first} (npm run cli -- --help)`);
    return 2;
  }
  const { positionals, values } = parsed;
  const [command, sub, arg] = positionals;
  if (values.help || !command) {
    console.log(`${USAGE_ZH}\n\n${USAGE}`);
    return values.help ? 0 : 2;
  }
  // Work with no store and no configuration: an auditor's own machine, a new key.
  if (command === 'verify' && values.file) return verifyFile(values.file, values);
  if (command === 'audit-key') return auditKey(values.out);
  if (command === 'restore') return restore(sub, values);
  // Only the commands that start a store may find none: any other, run with a mistyped or
  // unmounted DATA_DIR, made an empty store and a new token secret there and reported success —
  // "verified: 0 events" from a nightly backup of nothing (found by a newcomer).
  // A token or a roster needs a register to name (SPEC §2, §4): a new store begins with units import
  // or seed-demo, and a token written into a mistyped DATA_DIR was signed with a new secret there.
  const readsALog = ['verify', 'seal', 'export', 'backup', 'replay', 'epoch', 'token', 'roster'].includes(command);
  const dataDir = resolve(process.env.DATA_DIR || './data');
  if (readsALog && !process.env.EVENTSTORE_URL && !existsSync(join(dataDir, 'events.sqlite'))) {
    say(
      `DATA_DIR 里没有事件库（${join(dataDir, 'events.sqlite')} 不存在）：请检查 DATA_DIR 是否写错、磁盘是否挂载${command === 'token' || command === 'roster' ? '；新部署请先 units import 导入行政区划' : ''}`,
      `no event store in DATA_DIR (${join(dataDir, 'events.sqlite')} does not exist): check DATA_DIR for a typo or an unmounted disk${command === 'token' || command === 'roster' ? '; a new deployment imports its units first (units import)' : ''}`,
    );
    return 2;
  }
  const config = loadConfig();

  // A command appends a few events at most: written on this thread, not on a writer thread started
  // for them. It reads most pages of the log at most once: a small page cache (SqliteEventStoreOptions).
  const store = await openEventStore(config, { writer: 'inline', pageCacheKb: 2048 });
  try {
    switch (command) {
      case 'token': {
        const role = Role.safeParse(values.role);
        if (values.role !== undefined && !role.success) {
          // Named, not only the usage line (found by a newcomer: --role boss).
          const roles = Object.entries(ROLE_NAMES_ZH).map(([r, zh]) => `${r}（${zh}）`).join('、');
          say(`--role ${JSON.stringify(values.role)}：没有这个角色，须为 ${roles}`, `--role ${JSON.stringify(values.role)}: no such role; one of ${Object.keys(ROLE_NAMES_ZH).join(', ')}`);
          return 2;
        }
        if (!values.sub || !role.success || !values.scope) {
          say('token 需要 --sub 用户编号 --role contact|officer|head|auditor|admin --scope 单位代码', 'token needs --sub ID --role contact|officer|head|auditor|admin --scope CODE');
          return 2;
        }
        const checks = [['--sub', UserId, values.sub], ['--scope', Scope, values.scope], ['--phone', MobilePhoneInput.optional(), values.phone], ['--name', PersonName.optional(), values.name]] as const;
        for (const [flag, schema, value] of checks) {
          const parsed = (schema as z.ZodType).safeParse(value);
          if (!parsed.success) {
            const issue = parsed.error.issues[0];
            const { issueZh } = await import('./http/messages.js');
            say(`${flag} ${JSON.stringify(value)}：${issueZh(issue as unknown as Record<string, unknown>, issue?.message ?? '不对')}`, `${flag} ${JSON.stringify(value)}: ${issue?.message ?? 'invalid'}`);
            return 2;
          }
        }
        const phone = values.phone === undefined ? undefined : MobilePhoneInput.parse(values.phone);
        // A token for no registered unit reaches nothing, and one written to a store with no register
        // is most often a mistyped DATA_DIR: a new store and a new secret, a token the server refuses
        // (found by a newcomer). The scope must be a registered unit, or lie above one.
        const { state: register } = await load(store, streams.units, unitRegisterDecider);
        const scope = Scope.parse(values.scope);
        if (register.units.size === 0) {
          say(
            `DATA_DIR（${dataDir}）里没有登记任何单位：是不是 DATA_DIR 写错了？新部署请先 units import 导入行政区划，再发令牌`,
            `no units are registered in DATA_DIR (${dataDir}): is DATA_DIR mistyped? A new deployment imports its units first (units import), then issues tokens`,
          );
          return 1;
        }
        if (!scopeIsRegistered(register.units, scope)) {
          say(`--scope ${values.scope}：登记的单位里没有这个代码，也没有它下属的单位（代码写错了？）`, `--scope ${values.scope}: no registered unit has this code or lies within it (a typo?)`);
          return 1;
        }
        const ttl = values.ttl ? Number(values.ttl) : DEFAULT_TTL_SECONDS[role.data];
        if (!Number.isInteger(ttl) || ttl <= 0 || ttl > MAX_TTL_SECONDS) {
          say(`--ttl 须为整数秒数，1 到 ${MAX_TTL_SECONDS}`, `--ttl must be a whole number of seconds, 1 to ${MAX_TTL_SECONDS}`);
          return 2;
        }
        const [token] = await grantTokens(store, config.authSecret, [
          { sub: values.sub, role: role.data, scope: values.scope, ttlSeconds: ttl, ...(phone ? { phone } : {}), ...(values.name ? { name: values.name.trim() } : {}) },
        ]);
        // Said on stderr, beside the token: nothing is refused, but a person would want to know.
        for (const w of grantWarnings(role.data, scope)) say(`注意：${GRANT_WARNING_MESSAGES[w].zh}`, `note: ${GRANT_WARNING_MESSAGES[w].en}`);
        if ((values.link || values.qr) && config.publicUrl === undefined) {
          // A link to localhost opens nothing on the phone it is handed to (found by a newcomer).
          say(
            `注意：没有设置 PUBLIC_URL，链接指向 ${pagesAddress(config)}，只能在这台机器上打开；发给手机前，请把 PUBLIC_URL 设为服务器对外的地址（如 https://zhitong.example.gov.cn）`,
            `note: PUBLIC_URL is not set, so the link points at ${pagesAddress(config)} and opens on this machine only; set PUBLIC_URL to the server's public address before handing links to phones`,
          );
        }
        // A QR code of the link goes to stderr, for the phone to scan off the screen; stdout stays
        // the token (or link) alone, for scripts.
        if (values.qr) process.stderr.write(`${(await import('lean-qr')).generate(signInLink(config, token!)).toString({ on: '\u001b[40m  \u001b[0m', off: '\u001b[47m  \u001b[0m', padX: 2, padY: 2 })}\n`);
        process.stdout.write(`${values.link ? signInLink(config, token!) : token}\n`);
        return 0;
      }
      case 'notify': {
        const phone = MobilePhoneInput.safeParse(values.phone ?? '');
        if (sub !== 'test' || !phone.success) {
          say('notify test 需要 --phone 手机号（能收短信的 11 位号码）', 'notify test needs --phone DIGITS');
          return 2;
        }
        if (!config.notify) {
          say('没有配置短信服务商：请设置 NOTIFY_PROVIDER 及其各项设置（见 README「SMS and voice」）', 'no provider is configured: set NOTIFY_PROVIDER and its settings (README, "SMS and voice")');
          return 78;
        }
        // The providers' SDKs load only for the command that uses them.
        const { notifyProvider } = await import('../infra/notify/index.js');
        const provider = notifyProvider(config.notify);
        const params = { hazard: '测试', place: '直通测试短信', phone: phone.data, link: `${config.publicUrl}/r/00000000` };
        try {
          const id = values.voice ? await provider.call(phone.data, params, 'test') : await provider.sendAlert(phone.data, params, 'test');
          // The command's outcome, on stdout as before, in both languages.
          console.log(
            `${provider.name} 已受理：${values.voice ? '电话' : '短信'}编号 ${id}。请确认手机${values.voice ? '响铃' : '收到了短信'}。 / ` +
              `${provider.name} took it: ${values.voice ? 'call' : 'message'} id ${id}. Check that the phone ${values.voice ? 'rings' : 'got it'}.`,
          );
          return 0;
        } catch (error) {
          const e = error as { code?: string; message?: string; retryable?: boolean };
          const unreachable = e.code === 'unreachable' || e.code === 'timeout' || e.code?.startsWith('http_');
          const what = e.code === 'voice_not_configured' ? 'not set up here: NOTIFY_VOICE_TEMPLATE is not configured' : unreachable ? `could not be reached (${e.code}): check NOTIFY_SMS_ENDPOINT / the network` : `refused it: ${e.code ?? 'error'} — ${e.message ?? ''}`;
          const whatZh = e.code === 'voice_not_configured' ? '语音通知没有配置：缺 NOTIFY_VOICE_TEMPLATE' : unreachable ? `连不上（${e.code}）：请检查 NOTIFY_SMS_ENDPOINT 和网络` : `拒绝了：${e.code ?? 'error'}（服务商原话：${e.message ?? ''}）`;
          say(`${provider.name} ${whatZh}`.replace(/\s+/g, ' ').trim(), `${provider.name} ${what}`.replace(/\s+/g, ' ').trim());
          return 1;
        }
      }
      case 'units': {
        if (sub !== 'import' || !arg) {
          say('用法：units import 文件（JSON 或 CSV）', 'usage: units import FILE');
          return 2;
        }
        const unitsFile = await import('../infra/units-file.js');
        let units: UnitEntry[];
        let rows: UnitsFileRow[];
        try {
          ({ units, rows } = unitsFile.readUnitsFileRows(arg));
        } catch (error) {
          if (!(error instanceof unitsFile.UnitsFileError)) throw error;
          await printUnitsFileProblems(arg, error.problems);
          return 1;
        }
        {
          const { state: known } = await load(store, streams.units, unitRegisterDecider);
          const order = unitsFile.unitsFileOrderProblems(units, (code) => known.units.has(code), parentCode);
          if (order.length > 0) {
            await printUnitsFileProblems(
              arg,
              order.map((p) => ({ row: rows[p.index], field: 'code', message: p.parent ? `${p.code}: ${p.message} (${p.parent})` : `${p.code}: ${p.message}`, zh: p.zh })),
            );
            return 1;
          }
        }
        // Real units never go into the demo's store (seed-demo refuses the other order): the demo's
        // invented villages and phones must not sit beside real ones in one register.
        const demoCodes = new Set(DEMO_UNITS.map((u) => u.code));
        const { state: register } = await load(store, streams.units, unitRegisterDecider);
        if ([...register.units.keys()].some((code) => demoCodes.has(code)) && units.some((u) => !demoCodes.has(u.code))) {
          say(`拒绝导入：这个库（${config.dataDir}）里是示例县（seed-demo）；请把本县导入另一个 DATA_DIR`, `units import refused: this store (${config.dataDir}) holds the demo county (seed-demo); import your county into a DATA_DIR of its own`);
          return 1;
        }
        // A demo unit stays labelled whatever a file calls it: renamed without （示例）, the sample
        // county read as a real one (found by a newcomer).
        const labelled = units.map((u) => (demoCodes.has(u.code) && !u.name.endsWith(DEMO_LABEL) ? { ...u, name: `${u.name}${DEMO_LABEL}` } : u));
        const written = await importUnits(store, labelled);
        console.log(`写入 ${written} 条单位事件（文件中有 ${units.length} 个单位） / ${written} unit events written (${units.length} units in the file)`);
        return 0;
      }
      case 'roster': {
        if (sub !== 'set' || !arg || !values.file) {
          say('用法：roster set 乡镇代码 --file 文件', 'usage: roster set TOWNSHIP --file FILE');
          return 2;
        }
        // The township as everywhere else: 12 digits or its significant prefix (621224100).
        const township = scopeUnit(arg);
        if (township === undefined || !UnitCode.safeParse(township).success) {
          say(
            `roster set ${JSON.stringify(arg)}：不是乡镇代码（12 位，如 621224100000，或有效前缀 621224100）`,
            `roster set ${JSON.stringify(arg)}: not a township's code (12 digits, e.g. 621224100000, or its significant prefix 621224100)`,
          );
          return 2;
        }
        // The same roster as PUT /roster takes (user ids, times as offices write them, at most 100),
        // for a township of the register (SPEC §4 "the township must exist").
        const { RosterBody } = await import('./http/schemas.js');
        const { entries } = RosterBody.parse(readJsonFile(values.file));
        const { state: register } = await load(store, streams.units, unitRegisterDecider);
        if (!register.units.has(township)) {
          say(`roster set ${township}：登记的单位里没有这个乡镇（请先用 units import 导入）`, `roster set ${township}: no such township in the register (units import it first)`);
          return 1;
        }
        const written = await setRoster(store, township, entries);
        console.log(`写入 ${written} 条值班表事件 / ${written} roster events written`);
        // Whom it would leave unreached, as PUT /roster answers (a warning: the roster is set).
        const [{ accessProjection, grantsOf }, { rosterWarnings, ROSTER_WARNING_MESSAGES }, { projectedEvent }] = await Promise.all([import('../projections/access.js'), import('../domain/roster.js'), import('./projection-runner.js')]);
        let access = accessProjection.initialState();
        for (const recorded of await store.readStream(streams.access)) {
          const event = projectedEvent(recorded);
          if (typeof event !== 'string' && (event.type === 'AccessGranted' || event.type === 'AccessRevoked')) access = accessProjection.evolve(access, event);
        }
        const now = new Date().toISOString();
        const set = entries.map((e) => ({ officer: e.officer, tier: e.tier, ...(e.from ? { from: new Date(e.from).toISOString() } : {}), ...(e.until ? { until: new Date(e.until).toISOString() } : {}) }));
        for (const w of rosterWarnings(township, set, (sub) => grantsOf(access, sub), now)) {
          const who = w.officer ? `${w.field}（${w.officer}）` : w.field;
          say(`注意：${who}：${ROSTER_WARNING_MESSAGES[w.warning].zh}`, `note: ${w.officer ? `${w.field} (${w.officer})` : w.field}: ${ROSTER_WARNING_MESSAGES[w.warning].en}`);
        }
        return 0;
      }
      case 'replay': {
        // Every projection of the registry rebuilt from the whole log, timed, so an operator
        // knows what a rebuild costs; the result is written as the node's snapshot, which the
        // next start reads instead of replaying.
        const started = performance.now();
        // The read side loads only for the command that rebuilds it: the catalog's validators and
        // every projection are most of what a CLI command would otherwise load (the province bench).
        const [{ ProjectionRunner }, { PROJECTIONS }, { SqliteSnapshotStore }] = await Promise.all([import('./projection-runner.js'), import('../projections/index.js'), import('../infra/snapshots.js')]);
        const snapshots = store.kind === 'sqlite' && values['no-snapshot'] !== true ? new SqliteSnapshotStore(join(config.dataDir, 'projections.sqlite')) : undefined;
        const runner = new ProjectionRunner(store, (await import('../infra/logging.js')).createLogger('silent'), snapshots ? { snapshots } : {});
        let events = 0;
        let lastProgress = started;
        for await (const page of logPages(store)) {
          runner.apply(page);
          events += page.length;
          if (performance.now() - lastProgress >= 1000) {
            lastProgress = performance.now();
            say(`重建：已处理 ${events.toLocaleString('en-US')} 条事件，每秒 ${rate(events, started).toLocaleString('en-US')} 条`, `replay: ${events.toLocaleString('en-US')} events, ${rate(events, started).toLocaleString('en-US')} events/s`);
          }
        }
        const seconds = (performance.now() - started) / 1000;
        const eventsPerSecond = rate(events, started);
        const rssMb = Math.round(process.memoryUsage().rss / 1e6);
        const snapshotStarted = performance.now();
        runner.snapshot();
        await snapshots?.close();
        const snapshotSeconds = snapshots ? Math.round(performance.now() - snapshotStarted) / 1000 : null;
        console.log(
          JSON.stringify({
            events,
            seconds: Math.round(seconds * 1000) / 1000,
            eventsPerSecond,
            rssMb,
            snapshotSeconds,
            quarantined: runner.status().quarantined,
            projections: Object.fromEntries(PROJECTIONS.map((p) => [p.name, summary(runner.state(p.name))])),
          }),
        );
        return 0;
      }
      case 'verify': {
        const options = verifyOptions(values, config.auditSigningKeyFile);
        if (typeof options === 'number') return options;
        const verifier = new LogVerifier({ ...options, seals: await store.readStream(streams.audit), contiguous: store.guarantees.gapFreePositions });
        if (store.kind === 'sqlite') {
          // Read and hash-checked on two threads (infra/audit/verify-reader.ts).
          for await (const page of readForVerification(join(config.dataDir, 'events.sqlite'))) for (const { event, hashOk } of page) verifier.add(event, hashOk);
        } else {
          for await (const page of logPages(store)) for (const event of page) verifier.add(event);
        }
        return printReport(verifier.finish());
      }
      case 'seal': {
        const signer = config.auditSigningKeyFile ? loadSigner(config.auditSigningKeyFile) : undefined;
        const outcome = await new Sealer(store, (await import('../infra/logging.js')).createLogger('silent'), { signer }).seal();
        console.log(JSON.stringify(outcome.written ? { written: true, position: outcome.position, upTo: outcome.seal!.upTo, root: outcome.seal!.root, streams: outcome.seal!.streams, signed: signer !== undefined } : { written: false, reason: outcome.reason }));
        if (outcome.written) {
          const upTo = positionForPeople(outcome.seal!.upTo);
          say(
            `已封存：日志到位置 ${upTo} 为止，${outcome.seal!.streams.toLocaleString('en-US')} 个流${signer ? '，已签名' : '；没有签名（没有配置 AUDIT_SIGNING_KEY_FILE）：能改写文件的人可以连封存一起重算'}`,
            `sealed: the log up to position ${upTo}, ${outcome.seal!.streams.toLocaleString('en-US')} streams${signer ? ', signed' : '; not signed (no AUDIT_SIGNING_KEY_FILE): whoever can rewrite the file can recompute the seal too'}`,
          );
        } else {
          const [zh, en] = SEAL_NOT_WRITTEN[outcome.reason ?? 'nothing_changed'];
          say(zh, en);
        }
        return 0;
      }
      case 'export': {
        const after = values.after === undefined ? undefined : store.parsePosition(values.after);
        if (values.after !== undefined && after === undefined) {
          say(`--after ${JSON.stringify(values.after)}：不是日志位置（应为数字，如 189）`, 'not a position of this log (a number, like 189)');
          return 2;
        }
        // Past the end, as the HTTP API answers it: an empty export would read as "nothing happened".
        if (after !== undefined && store.kind === 'sqlite' && after > ((await store.headPosition()) ?? '')) {
          say(`--after ${values.after}：超出日志末尾（最后的位置是 ${positionForPeople((await store.headPosition()) ?? '0')}）`, 'past the end of the log');
          return 2;
        }
        // An export of part of the log says so first, so that `verify --file` checks it as a part
        // and does not take the events before it for deleted ones (docs/audit.md §1).
        if (after !== undefined) process.stdout.write(`${JSON.stringify({ exportedAfter: after })}\n`);
        for await (const page of logPages(store, after)) {
          // A whole log does not fit in a pipe: wait for it to drain rather than buffer it all.
          if (!process.stdout.write(page.map((e) => JSON.stringify(e)).join('\n') + '\n')) await once(process.stdout, 'drain');
        }
        return 0;
      }
      case 'backup': {
        if (!sub) {
          say('用法：backup 目标目录（一个新目录，在 DATA_DIR 之外）', 'usage: backup DEST (a new directory, outside DATA_DIR)');
          return 2;
        }
        if (store.kind !== 'sqlite') {
          say('backup 只备份内置库；EventStoreDB 集群用它自己的工具备份（见 deploy/README.md）', 'backup copies the embedded store; an EventStoreDB cluster is backed up with its own tools (deploy/README.md)');
          return 2;
        }
        if ((resolve(sub) + sep).startsWith(resolve(config.dataDir) + sep)) {
          say(`备份目录必须在 DATA_DIR（${config.dataDir}）之外，最好在另一块磁盘上：和库放在一起的备份会和库一起丢失`, `backup DEST must be outside DATA_DIR (${config.dataDir}), best on another disk: a backup beside the store is lost with it`);
          return 2;
        }
        const options = verifyOptions(values, config.auditSigningKeyFile);
        if (typeof options === 'number') return options;
        const sqlite = store as SqliteEventStore;
        const manifest = await createBackup({
          dataDir: config.dataDir,
          destination: sub,
          secretFromEnvironment: config.authSecretFromEnvironment,
          epoch: await store.epoch(),
          copy: (file) => sqlite.backupTo(file),
          ...(options.publicKey ? { publicKey: options.publicKey } : {}),
        });
        console.log(JSON.stringify({ destination: resolve(sub), ...manifest }));
        const head = manifest.head ? positionForPeople(manifest.head) : '';
        const what = `${manifest.events} events up to position ${head || '(none)'}, ${manifest.verification.seals} seals`;
        const whatZh = `${manifest.events} 条事件（到位置 ${head || '无'}），${manifest.verification.seals} 个封存`;
        if (!manifest.verification.ok) {
          say(`备份已写入 ${resolve(sub)}，但副本校验未通过：${manifest.verification.firstProblem}`, `backup written to ${resolve(sub)}, but the copy does NOT verify: ${manifest.verification.firstProblem}`);
          return 1;
        }
        say(
          `备份已写入 ${resolve(sub)} 并已校验：${whatZh}${manifest.secret === 'environment' ? '；令牌密钥来自 AUTH_SECRET，不在备份里，请和备份一起保管' : '；含令牌密钥'}。`,
          `backup written to ${resolve(sub)} and verified: ${what}${manifest.secret === 'environment' ? '; the token secret comes from AUTH_SECRET and is not in the backup: keep it with it' : '; token secret included'}.`,
        );
        return 0;
      }
      case 'epoch': {
        if (values.new) {
          if (store.kind !== 'eventstoredb') {
            say('内置库的新纪元由 restore 开始；--new 用于用自带工具恢复的 EventStoreDB 集群', 'a new epoch is begun by `restore` on the embedded store; --new is for an EventStoreDB cluster restored with its own tools');
            return 2;
          }
          const esdb = store as unknown as { beginEpoch(startsAfter: string): Promise<StoreEpoch> };
          console.log(JSON.stringify(await esdb.beginEpoch((await store.headPosition()) ?? '')));
          return 0;
        }
        console.log(JSON.stringify(await store.epoch()));
        return 0;
      }
      case 'seed-demo': {
        // Invented villages, directions and phones must never land on real units: the demo lives
        // on a county code no real unit has, and only in a register that holds nothing else.
        const { state: register } = await load(store, streams.units, unitRegisterDecider);
        const demoCodes = new Set(DEMO_UNITS.map((u) => u.code));
        const others = [...register.units.keys()].filter((code) => !demoCodes.has(code));
        if (others.length > 0) {
          say(
            `拒绝写入示例：这个库里已有 ${others.length} 个其他单位（如 ${others[0]}）；示例只能放进单独的库（另一个 DATA_DIR）`,
            `seed-demo refused: this store holds ${others.length} other units (e.g. ${others[0]}); the demo goes only into a store of its own (another DATA_DIR)`,
          );
          return 1;
        }
        const written = await importUnits(store, DEMO_UNITS);
        for (const [township, entries] of Object.entries(DEMO_ROSTERS)) {
          const { state } = await load(store, streams.roster(township), rosterDecider);
          if (state.entries.length === 0) await setRoster(store, township, entries);
        }
        // Printed as a shell file: `npm run -s cli -- seed-demo > demo.env && . ./demo.env`.
        // Chinese first, as everything an operator reads (the lines are shell comments).
        console.log(`# 示例数据：康县（示例），2 个乡镇、3 个村；写入 ${written} 条单位事件；已排班 / 示例数据 (DEMO DATA): 康县（示例）with 2 townships and 3 villages; ${written} unit events written; rosters set.`);
        // The CLI cannot see where the server listens: it says which address its links assume.
        const base = pagesAddress(config);
        console.log(`# 登录链接指向 ${base}：服务器在别的端口或地址时，请带上它的 PORT 或 PUBLIC_URL 重新运行 / Sign-in links point at ${base}: run this with the server's PORT or PUBLIC_URL if it listens elsewhere.`);
        // Why 7 days: long enough to try every role over a week, short enough that a demo link
        // pasted into a chat stops working by itself; seed-demo run again issues new ones.
        console.log('# 令牌（7 天有效：演示链接转发出去也会自己失效；过期后再运行一次 seed-demo 即得新令牌） / Tokens (valid 7 days, so a demo link passed around stops working by itself; run seed-demo again for new ones):');
        const issued = await grantTokens(store, config.authSecret, DEMO_USERS.map((u) => ({ sub: u.sub, role: u.role, scope: u.scope, ttlSeconds: 7 * 86_400, name: u.who })));
        for (const [i, user] of DEMO_USERS.entries()) {
          const token = issued[i]!;
          console.log(`\n# ${user.who} — ${ROLE_NAMES_ZH[user.role]} ${user.role}，范围 scope ${user.scope}\n#   登录 sign in: ${signInLink(config, token)}\nexport TOKEN_${user.sub.toUpperCase().replaceAll('-', '_')}=${token}`);
        }
        return 0;
      }
      default:
        say(`没有 "${command}" 这个命令`, `unknown command "${command}"`);
        console.error(`\n${USAGE_ZH}\n\n${USAGE}`);
        return 2;
    }
  } finally {
    await store.close();
  }
}

/**
 * `main` as a person runs it: every refusal it throws is printed for them, Chinese and then
 * English, never as a stack trace (a stack is printed only for a fault of zhitong's own). Resolves
 * to the exit code.
 */
export async function run(argv: string[]): Promise<number> {
  try {
    return await main(argv);
  } catch (error) {
    // The Chinese for a refusal, as the HTTP answers give it, loaded only on this path.
    const { issueZh, message } = await import('./http/messages.js');
    if (error instanceof ConfigError) console.error((await import('./operator-text.js')).configErrorText(error));
    else if (error instanceof CliRefusal) say(error.zh, error.message);
    else if (error instanceof z.ZodError) console.error(`输入有误 / invalid input:\n${error.issues.map((i) => `  ${i.path.join('.')}：${issueZh(i as unknown as Record<string, unknown>, i.message)} / ${i.path.join('.')}: ${i.message}`).join('\n')}`);
    else if (error instanceof DomainError) say(`拒绝（${error.code}）：${message(error.code, 'zh', error.details ?? {}, undefined, error.zh)}`, `refused (${error.code}): ${error.message}`);
    else if (error instanceof BackupError) say(`拒绝：${error.zh}`, `refused: ${error.message}`);
    else {
      const text = (await import('./operator-text.js')).systemErrorText(error, process.env.DATA_DIR);
      console.error(text === undefined ? error : `没有完成 / not done: ${text}`);
    }
    return 1;
  }
}

const isEntry = process.argv[1] !== undefined && /(cli\.[tj]s|zhitong(\.mjs)?)$/.test(process.argv[1]);
if (isEntry) {
  // exitCode, not exit(): output still queued for a pipe (an export) must be written first.
  void run(process.argv.slice(2)).then((code) => {
    process.exitCode = code;
    // The providers' HTTP clients keep connections alive for reuse; a one-off check must not
    // wait for them to time out. Its few lines are written once stdout and stderr drain.
    if (process.argv[2] === 'notify') process.stdout.write('', () => process.stderr.write('', () => process.exit(code)));
  });
}
