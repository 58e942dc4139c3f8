/**
 * Why a file an operator gave is not JSON or CSV, in Chinese and English, with where: the parsers'
 * own messages are English fragments ("Unexpected token } in JSON at position 10", "Invalid Opening
 * Quote") that tell a county's operator neither what nor where (found by a newcomer).
 */
export interface ParseProblem {
  zh: string;
  en: string;
}

/** Line and column (from 1) of a character offset in `text`. */
function lineColumn(text: string, offset: number): { line: number; column: number } {
  const before = text.slice(0, offset);
  const line = before.split('\n').length;
  return { line, column: offset - before.lastIndexOf('\n') };
}

const ENDS_TOO_SOON: ParseProblem = { zh: '不是有效的 JSON：文件在中途就结束了（少了括号、引号，还是没有保存完？）', en: 'not JSON: the file ends too soon (a bracket or quote missing, or not saved in full?)' };

/** JSON.parse's error on `text` in words: where it went wrong, or that the file ends too soon. */
export function jsonProblem(error: unknown, text: string): ParseProblem {
  const message = error instanceof Error ? error.message : String(error);
  if (/Unexpected end of JSON input|Unterminated/.test(message) && !/at position \d+/.test(message)) {
    return ENDS_TOO_SOON;
  }
  const at = /at position (\d+)/.exec(message);
  // An error at the very end is a file cut short, whatever the parser expected there.
  if (at && Number(at[1]) >= text.trimEnd().length) {
    return ENDS_TOO_SOON;
  }
  if (at) {
    const { line, column } = lineColumn(text, Number(at[1]));
    return { zh: `不是有效的 JSON：第 ${line} 行第 ${column} 个字符附近有误（多了或少了逗号、引号、括号？）`, en: `not JSON: something is wrong near line ${line}, character ${column} (a comma, quote or bracket too many or too few?)` };
  }
  return { zh: '不是有效的 JSON（多了或少了逗号、引号、括号？）', en: `not JSON: ${message}` };
}

/** csv-parse's error codes, in words. */
const CSV_ZH: Record<string, string> = {
  CSV_QUOTE_NOT_CLOSED: '有一个引号没有配对（少了一个 "）',
  INVALID_OPENING_QUOTE: '引号出现在格子中间（格子里要用引号时，整个格子都要放在引号里，里面的引号写两遍）',
  CSV_INVALID_CLOSING_QUOTE: '引号后面紧跟着别的字（格子里的引号要写两遍 ""）',
  CSV_NON_TRIMABLE_CHAR_AFTER_CLOSING_QUOTE: '引号后面紧跟着别的字（格子里的引号要写两遍 ""）',
  CSV_MAX_RECORD_SIZE: '这一行太长',
};

/** csv-parse's error in words, with the line it names. */
export function csvProblem(error: unknown): ParseProblem {
  const e = error as Error & { code?: string };
  const zh = CSV_ZH[e.code ?? ''];
  return { zh: `不是有效的 CSV：${zh ?? `无法读取（${e.code ?? e.message}）`}`, en: `not CSV: ${e.message}` };
}
