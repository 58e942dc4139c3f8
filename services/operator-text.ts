import type { ConfigError } from '../infra/config-error.js';
import { issueEn, issueZh } from './http/messages.js';

/** The configuration's own rules (infra/config.ts), in Chinese. */
const CONFIG_ZH: Record<string, string> = {
  'must be a port number': '须为端口号（0 到 65535 的整数）',
  'must start with esdb:// or esdb+discover://': '须以 esdb:// 或 esdb+discover:// 开头',
  'must start with redis:// or rediss:// or unix://': '须以 redis://、rediss:// 或 unix:// 开头',
  'must start with https:// or http://': '须以 https:// 或 http:// 开头',
  'must be at least 32 characters': '至少要 32 个字符',
  'must be at least 16 characters': '至少要 16 个字符',
  'must be IP addresses or CIDR ranges, comma-separated': '须为 IP 地址或 CIDR 网段，用逗号分隔',
  'must be milliseconds or a number with m, h or d (e.g. 6h)': '须为毫秒数，或数字加 m、h、d（如 6h）',
  'must be between a minute and 30 days': '须在 1 分钟到 30 天之间',
  'must be 0 (never) or between 100 ms and 30 days': '须为 0（不做），或在 100 毫秒到 30 天之间',
  'must be a phone number (digits)': '须为电话号码（数字）',
  'letters, digits, - and _ only': '只能有字母、数字、- 和 _',
};

/**
 * A refused configuration as the console prints it (SPEC §7 "validated at start with a clear
 * message"): a heading, then one line per bad setting, each in Chinese and then in English —
 * `  PORT：须为端口号（0 到 65535 的整数） / PORT: must be a port number`.
 */
export function configErrorText(error: ConfigError): string {
  const lines = error.details.map((p) => {
    const zh = p.zh ?? `${p.where ? `${p.where}：` : ''}${CONFIG_ZH[p.en] ?? issueZh(p.issue, p.en)}`;
    const en = p.issue && !p.where ? issueEn(p.issue, p.en) : p.en;
    return `  ${p.field}：${zh} / ${p.field}: ${en}`;
  });
  return `配置有误，没有启动 / invalid configuration:\n${lines.join('\n')}`;
}

/** What a system call was doing, in the words an operator uses. */
const SYSCALL_ZH: Record<string, string> = {
  open: '打开',
  mkdir: '创建目录',
  scandir: '读取目录',
  rmdir: '删除目录',
  unlink: '删除',
  rename: '改名',
  write: '写入',
  read: '读取',
  copyfile: '复制',
  stat: '查看',
  lstat: '查看',
  access: '访问',
  chmod: '修改权限',
  fsync: '写入磁盘',
  listen: '监听',
  connect: '连接',
  getaddrinfo: '解析主机名',
};

interface SystemError {
  code: string;
  syscall?: string;
  path?: string;
  dest?: string;
  address?: string;
  port?: number;
  hostname?: string;
}

function isSystemError(error: unknown): error is Error & SystemError {
  return error instanceof Error && typeof (error as { code?: unknown }).code === 'string';
}

/**
 * A failure of the machine rather than of zhitong — a path that is a file, a directory it may not
 * write, a full disk, a port in use, a HOST that is not this machine's, a store file that is not a
 * database — as one bilingual sentence that says what to change (SPEC §7 "a clear message"; an
 * operator reads Chinese too). `dataDir` names the store for SQLite's errors, which carry no path.
 * Returns undefined for anything else: a bug keeps its stack.
 */
export function systemErrorText(error: unknown, dataDir?: string): string | undefined {
  if (!isSystemError(error)) return undefined;
  const { code, syscall = '', path, dest, address, port, hostname } = error;
  const what = path ?? (address ? `${address}${port !== undefined ? `:${port}` : ''}` : '');
  const doing = `${SYSCALL_ZH[syscall] ?? syscall} ${what}`.trim();
  const doingEn = `${syscall} ${what}`.trim();
  const store = dataDir ? `（DATA_DIR=${dataDir}）` : '';
  const storeEn = dataDir ? ` (DATA_DIR=${dataDir})` : '';
  switch (code) {
    case 'ENOTDIR':
      return `无法${doing}：路径中有一段是文件，不是目录；请检查这个路径（DATA_DIR、BACKUP_DIR 或命令里的文件名） / cannot ${doingEn}: part of the path is a file, not a directory; check the path (DATA_DIR, BACKUP_DIR or the file named)`;
    case 'EISDIR':
      return `无法${doing}：这是一个目录，这里要的是文件 / cannot ${doingEn}: it is a directory, a file is needed here`;
    case 'ENOENT':
      return `无法${doing}${dest ? ` → ${dest}` : ''}：不存在；请检查路径是否写错、磁盘是否挂载 / cannot ${doingEn}: it does not exist; check the path for a typo or an unmounted disk`;
    case 'EEXIST':
      return `无法${doing}：已经存在，不覆盖 / cannot ${doingEn}: it already exists and is not overwritten`;
    case 'EACCES':
    case 'EPERM':
      return `无法${doing}：没有权限；请检查运行 zhitong 的用户能否写这个目录 / cannot ${doingEn}: permission denied; check that the user running zhitong may write there`;
    case 'EROFS':
      return `无法${doing}：文件系统是只读的 / cannot ${doingEn}: the file system is read-only`;
    case 'ENOSPC':
    case 'EDQUOT':
      return `无法${doing}：磁盘已满；请腾出空间后再试，已确认的数据不受影响 / cannot ${doingEn}: the disk is full; free space and try again — acknowledged data is unharmed`;
    case 'EMFILE':
    case 'ENFILE':
      return `无法${doing}：打开的文件太多；请调高 ulimit -n / cannot ${doingEn}: too many open files; raise ulimit -n`;
    case 'EADDRINUSE':
      return `端口 ${port ?? ''} 已被占用（${address ?? ''}）：另一个 zhitong 或别的程序在用；换一个 PORT，或先停掉它 / port ${port ?? ''} on ${address ?? ''} is in use by another program (another zhitong?): choose another PORT or stop that one`;
    case 'EADDRNOTAVAIL':
      return `HOST=${address ?? ''} 不是本机的地址：用 0.0.0.0（所有网卡）、127.0.0.1（只本机）或本机网卡的地址 / HOST=${address ?? ''} is not an address of this machine: use 0.0.0.0 (every interface), 127.0.0.1 (this machine only) or an interface's address`;
    case 'ENOTFOUND':
    case 'EAI_AGAIN':
      return `找不到主机 ${hostname ?? ''}：请检查 HOST、REDIS_URL、EVENTSTORE_URL 里的主机名是否写错 / host ${hostname ?? ''} not found: check the host names in HOST, REDIS_URL and EVENTSTORE_URL`;
    case 'ECONNREFUSED':
      return `连不上 ${what}：那里没有服务在运行 / cannot connect to ${what}: nothing is listening there`;
    case 'SQLITE_NOTADB':
    case 'SQLITE_CORRUPT':
      return `事件库文件已损坏，或不是 SQLite 数据库${store}：不要在它上面继续写；用 zhitong restore 从备份恢复到一个空目录 / the store's file is damaged or not an SQLite database${storeEn}: do not write on it; restore a backup into an empty directory with zhitong restore`;
    case 'SQLITE_CANTOPEN':
      return `打不开事件库文件${store}：请检查目录是否存在、是否可写 / cannot open the store's file${storeEn}: check that the directory exists and may be written`;
    case 'SQLITE_READONLY':
    case 'SQLITE_READONLY_DIRECTORY':
    case 'SQLITE_READONLY_DBMOVED':
      return `事件库文件只能读，不能写${store}：请检查文件和目录的权限 / the store's file is read-only${storeEn}: check the permissions of the file and its directory`;
    case 'SQLITE_FULL':
      return `磁盘已满，事件库写不进去${store}：请腾出空间，已确认的数据不受影响 / the disk is full, the store cannot write${storeEn}: free space — acknowledged data is unharmed`;
    case 'SQLITE_BUSY':
      return `事件库正被另一个进程长时间占用${store}：请稍后再试 / the store is held by another process${storeEn}: try again shortly`;
    default:
      return undefined;
  }
}
