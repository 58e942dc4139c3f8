import { readFileSync } from 'node:fs';
import { parse } from 'csv-parse/sync';
import { z } from 'zod';
import { Location, LongText, PhoneInput, UnitCode } from '../domain/vocabulary.js';
import { csvProblem, jsonProblem } from './parse-text.js';

/**
 * A units file as an office keeps it (SPEC §2, §7): a JSON array of `{code, name, centre?,
 * accessNotes?, phones?, complaintPhone?}`, parents before children, or the same columns as CSV —
 * what a spreadsheet saves: `code,name,lat,lon,accessNotes,phones,complaintPhone` with a header
 * row, several phones in one cell separated by `;` `、` or `/`, UTF-8 (with or without a BOM) or
 * GB18030, which Excel on a Chinese Windows writes by default.
 */
export const UnitEntry = z.strictObject({
  code: UnitCode,
  name: z.string().trim().min(1).max(100),
  centre: Location.optional(),
  accessNotes: LongText.optional(),
  phones: z.array(PhoneInput).max(20).optional(),
  complaintPhone: PhoneInput.optional(),
});
export const UnitsFile = z.array(UnitEntry);
export type UnitEntry = z.infer<typeof UnitEntry>;

const utf8 = new TextDecoder('utf-8', { fatal: true });
const gb18030 = new TextDecoder('gb18030');

/** The text of a file an office gave us: UTF-8 if it is, else the encoding Chinese Windows writes. */
export function decodeText(bytes: Buffer): string {
  try {
    return utf8.decode(bytes).replace(/^\ufeff/, '');
  } catch {
    return gb18030.decode(bytes);
  }
}

const cell = (value: string | undefined) => (value === undefined || value.trim() === '' ? undefined : value.trim());
/** A code as typed: full-width digits (６２１２…), which a Chinese input method gives, read as digits. */
const code = (value: unknown) => (typeof value === 'string' ? value.normalize('NFKC').trim() : value);

/** Where in the file an entry is, as the person who keeps it sees it: a CSV line (the header is line 1), or a JSON entry from 1. */
export type UnitsFileRow = { kind: 'line' | 'entry'; n: number };

/** A units file that cannot be read as units: every problem, each with its row and field (zod's issue, when it is one). */
export class UnitsFileError extends Error {
  constructor(
    /** `message` in English; `zh` its Chinese where the file reader wrote one (a field's `issue` is put in Chinese by the HTTP catalog). */
    readonly problems: Array<{ row: UnitsFileRow | undefined; field: string; issue?: Record<string, unknown>; message: string; zh?: string }>,
  ) {
    super(problems.map((p) => `${p.row ? `${p.row.kind} ${p.row.n}` : 'file'}${p.field ? ` ${p.field}` : ''}: ${p.message}`).join('; '));
    this.name = 'UnitsFileError';
  }
}

/**
 * Rows of a CSV file as unit entries (unchecked: UnitsFile checks them), each with its line. A
 * row with more or fewer cells than the header is refused, naming its line: a shifted column
 * would put a phone number into the access notes.
 */
export function unitsFromCsv(text: string): Array<{ entry: unknown; line: number }> {
  let rows: Array<{ record: Record<string, string>; info: { lines: number } }>;
  try {
    rows = parse(text, { columns: (header: string[]) => header.map((h) => h.trim()), skip_empty_lines: true, trim: true, info: true }) as typeof rows;
  } catch (error) {
    const e = error as Error & { code?: string; lines?: number };
    if (e.code === 'CSV_RECORD_INCONSISTENT_COLUMNS' || e.code === 'CSV_RECORD_DONT_MATCH_COLUMNS_LENGTH') {
      throw new UnitsFileError([{ row: e.lines !== undefined ? { kind: 'line', n: e.lines } : undefined, field: '', message: 'has a different number of cells than the header (a comma too many or too few?)', zh: '这一行的格数和表头不一样（多了或少了逗号？）' }]);
    }
    const problem = csvProblem(e);
    throw new UnitsFileError([{ row: e.lines !== undefined ? { kind: 'line', n: e.lines } : undefined, field: '', message: problem.en, zh: problem.zh }]);
  }
  return rows.map(({ record: row, info }) => {
    const lat = cell(row.lat ?? row['centre.lat']);
    const lon = cell(row.lon ?? row['centre.lon']);
    const phones = cell(row.phones);
    const entry: Record<string, unknown> = { code: code(cell(row.code)), name: cell(row.name) };
    if (lat !== undefined || lon !== undefined) entry.centre = { lat: Number(lat), lon: Number(lon) };
    if (cell(row.accessNotes)) entry.accessNotes = cell(row.accessNotes);
    if (phones) entry.phones = phones.split(/[;；、/]/).map((p) => p.trim()).filter(Boolean);
    if (cell(row.complaintPhone)) entry.complaintPhone = cell(row.complaintPhone);
    return { entry, line: info.lines };
  });
}

/**
 * Reads a units file (JSON or CSV, by its content), checked. Throws UnitsFileError with every
 * problem, each naming its CSV line or JSON entry and its field: a missing file, JSON that does
 * not parse, a row of the wrong length, a bad field.
 */
export function readUnitsFile(path: string): UnitEntry[] {
  return readUnitsFileRows(path).units;
}

/** readUnitsFile, with where each unit stands in the file (for naming a problem found later). */
export function readUnitsFileRows(path: string): { units: UnitEntry[]; rows: UnitsFileRow[] } {
  let bytes: Buffer;
  try {
    bytes = readFileSync(path);
  } catch (error) {
    throw new UnitsFileError([{ row: undefined, field: '', ...((error as NodeJS.ErrnoException).code === 'ENOENT' ? { message: `no such file: ${path}`, zh: `找不到这个文件：${path}` } : { message: (error as Error).message, zh: `无法读取这个文件：${path}（${(error as NodeJS.ErrnoException).code ?? (error as Error).message}）` }) }]);
  }
  const text = decodeText(bytes);
  const trimmed = text.trimStart();
  let rows: Array<{ entry: unknown; row: UnitsFileRow }>;
  if (trimmed.startsWith('[')) {
    let raw: unknown;
    try {
      raw = JSON.parse(trimmed);
    } catch (error) {
      const problem = jsonProblem(error, trimmed);
      throw new UnitsFileError([{ row: undefined, field: '', message: problem.en, zh: problem.zh }]);
    }
    if (!Array.isArray(raw)) throw new UnitsFileError([{ row: undefined, field: '', message: 'not a JSON array of units', zh: '不是单位的 JSON 数组（应以 [ 开头，每个单位一个 {…}）' }]);
    rows = raw.map((entry, i) => ({ entry: entry && typeof entry === 'object' && 'code' in entry ? { ...entry, code: code((entry as { code: unknown }).code) } : entry, row: { kind: 'entry', n: i + 1 } }));
  } else {
    rows = unitsFromCsv(text).map(({ entry, line }) => ({ entry, row: { kind: 'line', n: line } }));
  }
  const parsed = UnitsFile.safeParse(rows.map((r) => r.entry));
  if (parsed.success) return { units: parsed.data, rows: rows.map((r) => r.row) };
  throw new UnitsFileError(
    parsed.error.issues.map((issue) => {
      const [index, ...field] = issue.path;
      return { row: typeof index === 'number' ? rows[index]?.row : undefined, field: field.join('.'), issue: issue as unknown as Record<string, unknown>, message: issue.message };
    }),
  );
}

/**
 * The register's own rules over a whole file at once, so every problem is told in one go rather
 * than one per attempt (the decider checks them again as it records): a code listed twice, and a
 * unit whose parent is neither registered nor listed before it (a root is allowed only first, SPEC §7).
 */
export function unitsFileOrderProblems(units: readonly UnitEntry[], registered: (code: string) => boolean, parentOf: (code: string) => string | undefined): Array<{ index: number; message: string; zh: string; code: string; parent?: string }> {
  const seen = new Set<string>();
  const problems: Array<{ index: number; message: string; zh: string; code: string; parent?: string }> = [];
  units.forEach((u, index) => {
    // A second copy of an entry is one problem, not also its parent's: removing it mends both.
    if (seen.has(u.code)) return void problems.push({ index, code: u.code, message: 'listed twice', zh: `${u.code} 在文件中出现了两次` });
    const parent = parentOf(u.code);
    if (parent !== undefined && !seen.has(parent) && !registered(parent) && index > 0) problems.push({ index, code: u.code, parent, message: 'its parent is neither registered nor listed before it', zh: `${u.code} 的上级 ${parent} 既未登记，也没有排在它前面（上级要写在下级之前）` });
    seen.add(u.code);
  });
  return problems;
}
