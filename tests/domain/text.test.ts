import t from 'tap';
import fc from 'fast-check';
import { findIllFormedText, readableText } from '../../domain/text.js';

/**
 * The rule of SPEC §9 written the plain way, character by character, as the oracle for the
 * scanner in domain/text.ts (which skips well-formed text in one regex pass and builds a path only
 * for a problem): a lone surrogate, or a control character other than TAB, LF and CR, or an
 * explicit directional formatting character (U+202A–U+202E, U+2066–U+2069), or text
 * made only of whitespace, format characters (Unicode category Cf) and combining marks (M) with at
 * least one of the latter two.
 */
function oracle(value: unknown, path = ''): { path: string; problem: string } | undefined {
  const at = (key: string | number) => (path === '' ? String(key) : `${path}.${key}`);
  const problemOf = (text: string) => {
    for (let i = 0; i < text.length; i++) {
      const c = text.charCodeAt(i);
      if (c >= 0xd800 && c <= 0xdbff) {
        const next = text.charCodeAt(i + 1);
        if (next >= 0xdc00 && next <= 0xdfff) i++;
        else return 'lone_surrogate';
      } else if (c >= 0xdc00 && c <= 0xdfff) return 'lone_surrogate';
    }
    for (const ch of text) {
      const c = ch.codePointAt(0)!;
      if ((c <= 0x1f && c !== 0x09 && c !== 0x0a && c !== 0x0d) || (c >= 0x7f && c <= 0x9f)) return 'control_character';
    }
    for (const ch of text) {
      const c = ch.codePointAt(0)!;
      if ((c >= 0x202a && c <= 0x202e) || (c >= 0x2066 && c <= 0x2069)) return 'direction_control';
    }
    const chars = [...text];
    if (chars.some((ch) => /[\p{Cf}\p{M}]/u.test(ch)) && chars.every((ch) => /[\p{Cf}\p{M}]/u.test(ch) || /\s/.test(ch))) return 'invisible_only';
    return undefined;
  };
  if (typeof value === 'string') {
    const problem = problemOf(value);
    return problem ? { path, problem } : undefined;
  }
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) {
      const found = oracle(value[i], at(i));
      if (found) return found;
    }
    return undefined;
  }
  if (value !== null && typeof value === 'object') {
    for (const key of Object.keys(value)) {
      const keyProblem = problemOf(key);
      if (keyProblem) return { path: at('(key)'), problem: keyProblem };
      const found = oracle((value as Record<string, unknown>)[key], at(key));
      if (found) return found;
    }
  }
  return undefined;
}

// Mostly well-formed text, with now and then a control character, a CR, a lone or paired surrogate.
const text = fc.array(
  fc.oneof(
    { weight: 8, arbitrary: fc.constantFrom('a', '中', '文', ' ', '\t', '\n', '𠀀', '😀', '１') },
    { weight: 1, arbitrary: fc.constantFrom('\r', '\u0000', '\u0007', '\u000b', '\u001f', '\u007f', '\u0085', '\u009f', '\ud800', '\udbff', '\udc00', '\udfff') },
    { weight: 1, arbitrary: fc.constantFrom('\u0301', '\u0300', '\u20dd', '\u093f', '\u00a0', '\u200b', '\u200d', '\ufeff', '\u00ad', '\u2060', '\u202e', '\u202a', '\u2066', '\u2069', '\u200e', '\u200f', '\u061c', '\u3000', '\u{e0001}', '\u{1d173}') },
  ),
  { maxLength: 12 },
).map((parts) => parts.join(''));
const json = fc.letrec((tie) => ({
  value: fc.oneof({ depthSize: 'small' }, text, fc.integer(), fc.constant(null), fc.boolean(), fc.array(tie('value'), { maxLength: 4 }), fc.dictionary(text, tie('value'), { maxKeys: 4 })),
})).value;

t.test('findIllFormedText agrees with the plain rule on any JSON value: same problem, same path', async (t) => {
  fc.assert(
    fc.property(json, fc.constantFrom('', 'body'), (value, path) => {
      const want = oracle(value, path);
      const got = findIllFormedText(value, path);
      if (JSON.stringify(got) !== JSON.stringify(want)) throw new Error(`${JSON.stringify(value)}: got ${JSON.stringify(got)}, want ${JSON.stringify(want)}`);
    }),
    { numRuns: 3000 },
  );
  t.same(findIllFormedText({ reporter: { name: 'a\u0007' } }), { path: 'reporter.name', problem: 'control_character' });
  t.same(findIllFormedText({ households: [{ name: 'ok' }, { name: '\ud800x' }] }), { path: 'households.1.name', problem: 'lone_surrogate' });
  t.same(findIllFormedText({ a: { 'k\u0001': 1 } }), { path: 'a.(key)', problem: 'control_character' });
  t.same(findIllFormedText('\u0085', 'directions'), { path: 'directions', problem: 'control_character' });
  t.equal(findIllFormedText({ ok: '过桥\r\n左转\r上山\t2公里 😀' }), undefined, 'CR, tab, newline and a surrogate pair are text');
  t.same(findIllFormedText({ repeatReason: '\u200b' }), { path: 'repeatReason', problem: 'invisible_only' }, 'a zero-width space alone says nothing');
  t.same(findIllFormedText({ reason: ' \ufeff\u3000\u200d ' }), { path: 'reason', problem: 'invisible_only' });
  t.same(findIllFormedText({ repeatReason: '\u0301' }), { path: 'repeatReason', problem: 'invisible_only' }, 'a lone accent says nothing either (found by a newcomer)');
  t.same(findIllFormedText({ summary: '\u00a0\u0301\u0300\u3000' }), { path: 'summary', problem: 'invisible_only' }, 'marks between spaces of any kind');
  t.equal(findIllFormedText({ name: 'José', uyghur: 'ئۇيغۇر', hindi: 'कि', lone: '\u00a0' }), undefined, 'marks on letters are text; a no-break space alone is a blank, for the schemas');
  t.equal(findIllFormedText({ name: '张\u200b三', notes: '   ', empty: '' }), undefined, 'invisible characters inside words, blanks and empty text are for the schemas');
  t.same(findIllFormedText({ notes: '发放 \u202e0001\u202c 元' }), { path: 'notes', problem: 'direction_control' }, 'an override that shows 1000 as 0001');
  t.same(findIllFormedText({ name: '\u2067阿依古丽\u2069' }), { path: 'name', problem: 'direction_control' }, 'isolates too');
  t.equal(findIllFormedText({ name: '阿依古丽\u200f·买买提', notes: 'ئۇيغۇر\u200e 12' }), undefined, 'the marks RLM, LRM are text: implicit ordering needs them');
});

t.test('readableText: anything a machine passes on becomes text with no problem, each bad character shown as U+FFFD', async (t) => {
  t.equal(readableText('滑坡 三组 后山'), '滑坡 三组 后山', 'well-formed text is kept as it is');
  t.equal(readableText('a\r\nb\rc'), 'a\nb\nc');
  t.equal(readableText('滑坡\u0007三组'), '滑坡\ufffd三组');
  t.equal(readableText('砸坏了\ud83d'), '砸坏了\ufffd');
  t.equal(readableText('砸坏了😀'), '砸坏了😀', 'a pair is one character');
  t.equal(readableText('伤\u202e2人'), '伤\ufffd2人');
  t.equal(readableText('\u200b\u200b'), '\ufffd\ufffd', 'nothing to read: shown as that');
  t.equal(readableText(' \u0301'), ' \ufffd', 'a lone accent too');
  fc.assert(
    fc.property(text, (raw) => findIllFormedText(readableText(raw)) === undefined && [...readableText(raw)].length <= [...raw].length + 1),
    { numRuns: 3000 },
  );
});
