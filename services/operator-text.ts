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
