import pino, { type DestinationStream, type Logger } from 'pino';

export type { Logger };

const JWT = /eyJ[A-Za-z0-9_-]{4,}\.[A-Za-z0-9_-]{4,}\.[A-Za-z0-9_-]{4,}/g;
const BEARER = /(Bearer\s+)[^\s"\\,]+/gi;
const CREDENTIAL_PARAM = /([?&](?:token|access_token|auth|key|secret)=)[^&\s"\\#]*/gi;
// Resident ID numbers (居民身份证号码): 18 characters, the last a digit or X; the older 15-digit form.
// Not the digits after a decimal point (pino's responseTime: 5.289583000000001).
const ID_NUMBER = /(?<![0-9A-Za-z]|\d\.)(?:\d{17}[\dXx]|\d{15})(?![0-9A-Za-z])/g;

/**
 * Takes credentials and ID numbers out of a log line, whatever field they are in (SPEC §2, §11):
 * tokens (a JWT anywhere, a Bearer header, a `?token=` in a URL), the configured secrets, and
 * anything shaped like a resident ID number.
 */
export function scrub(line: string, secrets: readonly string[] = []): string {
  let out = line.replace(JWT, '[token]').replace(BEARER, '$1[redacted]').replace(CREDENTIAL_PARAM, '$1[redacted]').replace(ID_NUMBER, '[id-number]');
  for (const secret of secrets) if (secret.length >= 8 && out.includes(secret)) out = out.replaceAll(secret, '[secret]');
  return out;
}

/**
 * The process's logger: JSON lines, every one scrubbed just before it is written, so no route,
 * serializer or error message can put a token, a secret or an ID number into the log.
 */
export function createLogger(level: string, options: { name?: string; secrets?: readonly string[]; destination?: DestinationStream } = {}): Logger {
  const secrets = options.secrets ?? [];
  return pino(
    {
      name: options.name ?? 'zhitong',
      level,
      base: { pid: process.pid },
      timestamp: pino.stdTimeFunctions.isoTime,
      hooks: { streamWrite: (line) => scrub(line, secrets) },
    },
    options.destination ?? pino.destination(1),
  );
}
