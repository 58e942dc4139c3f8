import type { ReliefCategory } from './vocabulary.js';

/**
 * The public notice (公示, SPEC §8): who got what, posted on the village board, without exposing
 * anyone. Pure text rules, so the HTML page and the JSON say exactly the same.
 */

/** The separators of a name written in parts (维吾尔族 names, 阿依古丽·买买提). */
const NAME_PARTS = /([·•・．.])/u;

/**
 * Masks a name (SPEC §8): the first and last characters kept and each one between masked
 * (张三明 → 张*明, 欧阳德明 → 欧**明); two characters keep the first (张三 → 张*); one character is
 * masked whole; each part of a name written with `·` is masked the same way. Characters, not
 * UTF-16 code units, so a rare character outside the BMP counts as one.
 */
export function maskName(name: string): string {
  return name
    .trim()
    .split(NAME_PARTS)
    .map((part, i) => (i % 2 === 1 ? part : maskPart(part)))
    .join('');
}

function maskPart(part: string): string {
  // Counted as a reader sees them: an invisible format character (a zero-width space) is no character.
  const chars = Array.from(part.replace(/\p{Cf}/gu, ''));
  if (chars.length === 0) return '';
  if (chars.length === 1) return '*';
  if (chars.length === 2) return `${chars[0]}*`;
  return `${chars[0]}${'*'.repeat(chars.length - 2)}${chars[chars.length - 1]}`;
}

/**
 * Free text that reaches a notice (a fund's code, a goods item) with any run of seven or more
 * digits masked: a phone or an ID number typed into the wrong field never reaches the board.
 */
export const maskDigitRuns = (text: string): string => text.replace(/[0-9０-９Xx]*[0-9０-９](?:[\s-]*[0-9０-９Xx]){6,}/g, (run) => run.replace(/[0-9０-９Xx]/g, '*'));

/** Relief categories in English words, for texts read in English (found by a newcomer: `emergency_living` shown as it is). */
export const CATEGORY_LABELS_EN: Record<ReliefCategory, string> = {
  emergency_living: 'emergency living',
  housing: 'housing reconstruction',
  medical: 'medical',
  winter: 'winter living',
  other: 'other',
};

/** Relief categories as a notice names them. */
export const CATEGORY_LABELS: Record<ReliefCategory, string> = {
  emergency_living: '应急期生活救助',
  housing: '倒损住房恢复重建救助',
  medical: '医疗救助',
  winter: '冬春生活救助',
  other: '其他救助',
};

/**
 * Integer `amount` divided by 10^`places`, written exactly by integer arithmetic (never a float):
 * 123456 yuan, 4 → "12.3456" (万元); 150000 fen, 6 → "0.150000" (万元).
 */
export function exactDecimal(amount: number, places: number): string {
  const negative = amount < 0;
  const digits = String(Math.abs(Math.round(amount))).padStart(places + 1, '0');
  const whole = digits.slice(0, digits.length - places);
  return `${negative ? '-' : ''}${whole}${places > 0 ? `.${digits.slice(-places)}` : ''}`;
}

/** Fen as yuan with two decimals: 1234567 → "12345.67". */
export const yuan = (fen: number): string => exactDecimal(fen, 2);
