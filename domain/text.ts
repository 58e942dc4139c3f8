/**
 * Text is well-formed Unicode (SPEC §9): a lone surrogate cannot be hashed as RFC 8785 JSON nor
 * printed on a notice, and a control character other than newline and tab is never something a
 * person typed. CR LF and a lone CR are stored as LF, so the same words always hash the same.
 * These walk any JSON value, so every request body, WebSocket message, imported file and event is
 * checked by the same rule whatever its schema.
 */
export interface TextProblem {
  /** Dotted path of the offending string (`reporter.name`, `households.0.name`); '' for the value itself. */
  path: string;
  problem: 'lone_surrogate' | 'control_character' | 'direction_control' | 'invisible_only';
}

// Any C0 control but TAB (09) and LF (0A); CR is handled by normalization; DEL and C1 too.
const CONTROL = /[\u0000-\u0008\u000b-\u001f\u007f-\u009f]/;
const LONE_SURROGATE = /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/;
// The explicit directional formatting characters (embeddings, overrides, isolates and their
// terminators, Unicode TR #9): they make text display in another order than it is stored, so a
// note, a name on the public notice or a reason reads one way on the screen and another in the log
// an auditor verifies ("Trojan Source"; found by a newcomer). Nobody types them on a Chinese or
// Uyghur keyboard: implicit ordering and the marks LRM, RLM and ALM, which are allowed, do that.
const DIRECTION_CONTROL = /[\u202a-\u202e\u2066-\u2069]/;
// Text with characters to read in it: whitespace and format characters (zero-width spaces and
// joiners, BOM, bidi marks, soft hyphen) alone are not — a reason of one U+200B lifted the
// no-double-relief rules as a `repeatReason` nobody can read (found by a newcomer).
// Combining marks count with them: a lone accent (U+0301) or tone mark shows as a mark over
// nothing, with no letter to read (found by a newcomer). Whitespace alone is not the problem: the
// schemas trim it (`text` here is `[\s\p{Cf}\p{M}]+` with at least one format character or mark).
const INVISIBLE_ONLY = /^[\s\p{Cf}\p{M}]+$/u;
// Text that starts with a mark, after any whitespace: the only way text with no format character
// can be marks and whitespace alone, so the fast path below checks it with one anchored match.
const LEADING_MARK = /^\s*\p{M}/u;
// Every string that has a problem has one of these; nearly all text has none, and is then passed
// by one scan without allocating (this runs on every request body and every event appended).
// The format characters of the BMP are listed; those beyond it are surrogate pairs, suspect anyway.
const SUSPECT = /[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f-\u009f\u00ad\u0600-\u0605\u061c\u06dd\u070f\u0890\u0891\u08e2\u180e\u200b-\u200f\u202a-\u202e\u2060-\u2064\u2066-\u206f\ufeff\ufff9-\ufffb\ud800-\udfff]/;

function textProblem(text: string): TextProblem['problem'] | undefined {
  if (!SUSPECT.test(text) && !LEADING_MARK.test(text)) return undefined;
  // Normalization turns CR into LF before storage; a CR is not a problem in what was sent.
  if (LONE_SURROGATE.test(text)) return 'lone_surrogate';
  if (CONTROL.test(text.replaceAll('\r', ''))) return 'control_character';
  if (DIRECTION_CONTROL.test(text)) return 'direction_control';
  if (INVISIBLE_ONLY.test(text)) return 'invisible_only';
  return undefined;
}

/**
 * `raw` as text that can be stored and shown, for words a machine passed on rather than a person
 * typed (an SMS the provider pushes: refusing it would lose the report, and the provider would push
 * it again for ever). Each lone surrogate, control character (but TAB and LF; CR LF and CR become
 * LF) and directional formatting character becomes U+FFFD, so the officer sees that something
 * was there; text of invisible characters only has each of them shown as U+FFFD too.
 * The result has no `findIllFormedText` problem.
 */
export function readableText(raw: string): string {
  const text = raw.replace(/\r\n?/g, '\n');
  if (textProblem(text) === undefined) return text;
  const out = text.replace(new RegExp(`${LONE_SURROGATE.source}|${CONTROL.source}|${DIRECTION_CONTROL.source}`, 'g'), '\ufffd');
  return INVISIBLE_ONLY.test(out) ? out.replace(/[\p{Cf}\p{M}]/gu, '\ufffd') : out;
}

/** Path segments, innermost first, gathered on the way back up: only a problem pays for its path. */
interface Found {
  reversed: Array<string | number>;
  problem: TextProblem['problem'];
}

function walk(value: unknown): Found | undefined {
  if (typeof value === 'string') {
    const problem = textProblem(value);
    return problem ? { reversed: [], problem } : undefined;
  }
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) {
      const found = walk(value[i]);
      if (found) return (found.reversed.push(i), found);
    }
    return undefined;
  }
  if (value !== null && typeof value === 'object') {
    for (const key of Object.keys(value)) {
      const keyProblem = textProblem(key);
      if (keyProblem) return { reversed: ['(key)'], problem: keyProblem };
      const found = walk((value as Record<string, unknown>)[key]);
      if (found) return (found.reversed.push(key), found);
    }
  }
  return undefined;
}

/** The first ill-formed string in `value` (object keys included), depth first, or undefined. */
export function findIllFormedText(value: unknown, path = ''): TextProblem | undefined {
  const found = walk(value);
  if (!found) return undefined;
  let at = path;
  for (let i = found.reversed.length - 1; i >= 0; i--) at = at === '' ? String(found.reversed[i]) : `${at}.${found.reversed[i]}`;
  return { path: at, problem: found.problem };
}

/** `value` with CR LF and lone CR turned into LF in every string; returns the same object when nothing changed. */
export function normalizeNewlines<T>(value: T): T {
  if (typeof value === 'string') return (value.includes('\r') ? value.replace(/\r\n?/g, '\n') : value) as T;
  if (Array.isArray(value)) {
    let changed = false;
    const out = value.map((item) => {
      const next = normalizeNewlines(item);
      if (next !== item) changed = true;
      return next;
    });
    return (changed ? out : value) as T;
  }
  if (value !== null && typeof value === 'object') {
    let changed = false;
    const out: Record<string, unknown> = {};
    for (const [key, item] of Object.entries(value)) {
      const next = normalizeNewlines(item);
      if (next !== item) changed = true;
      out[key] = next;
    }
    return (changed ? out : value) as T;
  }
  return value;
}

export const TEXT_PROBLEM_MESSAGES: Record<TextProblem['problem'], { zh: string; en: string }> = {
  lone_surrogate: { zh: '含有不成对的代理字符（不是有效的 Unicode 文本）', en: 'contains a lone surrogate (not well-formed Unicode)' },
  control_character: { zh: '含有控制字符（只允许换行和制表符）', en: 'contains a control character (only newline and tab are allowed)' },
  direction_control: { zh: '含有改变文字显示方向的控制字符（如 U+202E）：显示出来的文字会和记录的不一样', en: 'contains a character that changes the direction text is shown in (such as U+202E): what is shown would differ from what is recorded' },
  invisible_only: { zh: '只有看不见的字符或单独的附加符号（如零宽空格、单独的声调符号），没有可读的文字', en: 'only invisible characters or lone combining marks (such as a zero-width space or a lone accent), nothing to read' },
};
