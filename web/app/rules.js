// The server's rules for what a village phone sends, where the phone must know them before it
// queues a report offline: a report the server will refuse must not be promised as "已保存，有网络时
// 自动发送" (found by a newcomer: a report of a buried house was kept, then refused over "138 0000").
// Each mirrors its source in domain/vocabulary.ts; tests/web/rules.test.ts holds them to it.

/** normalizePhone (domain/vocabulary.ts): full-width digits, spaces, dashes, brackets and a +86/0086 prefix dropped. */
export function normalizePhone(text) {
  const ascii = text.replace(/[０-９]/g, (d) => String.fromCharCode(d.charCodeAt(0) - 0xfee0)).replace(/[＋]/g, '+');
  const digits = ascii.replace(/[\s\u3000\-－—.。()（）]/g, '');
  return digits.replace(/^(\+86|0086)(?=\d{7,})/, '');
}

/** CallbackPhoneInput (domain/vocabulary.ts): a mobile, a landline with its area code, or a local landline. */
export const callbackPhoneOk = (text) => text.length <= 40 && /^(?:1[3-9][0-9]{9}|0[0-9]{9,11}|[2-9][0-9]{6,7})$/.test(normalizePhone(text));

/** A count in an estimate as a person types it: full-width digits are digits (IndicatorSet: whole numbers). */
export function countOf(text) {
  const v = String(text ?? '').normalize('NFKC').trim();
  if (v === '') return undefined;
  return /^\d{1,7}$/.test(v) ? Number(v) : null;
}

// findIllFormedText (domain/text.ts): a control character other than newline and tab is never
// something a person typed (a paste from another app carries them), and a lone surrogate is a
// broken paste: the server refuses both, so the page takes them out before a report is queued.
const CONTROL = /[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f-\u009f]/g;
// Embeddings, overrides and isolates make text show in another order than it is stored: the
// server refuses them (direction_control); nobody types them, a paste brings them.
const DIRECTION = /[\u202a-\u202e\u2066-\u2069]/g;
const LONE_SURROGATE = /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/g;
// Whitespace, format characters (zero-width spaces and joiners, BOM, bidi marks) and combining
// marks (a lone accent) alone are no text: the server refuses them (invisible_only).
const INVISIBLE = /^[\s\p{Cf}\p{M}]*$/u;

/**
 * Text as the page sends it: control characters (not newline, tab or CR, which the server turns
 * into newlines) and direction overrides dropped, a lone surrogate as U+FFFD, trimmed; '' when nothing readable is left —
 * a name of one zero-width space is no name, and the form says so before the report is kept.
 */
export function textOf(text) {
  const clean = String(text ?? '').replace(CONTROL, '').replace(DIRECTION, '').replace(LONE_SURROGATE, '\ufffd').trim();
  return INVISIBLE.test(clean) ? '' : clean;
}
