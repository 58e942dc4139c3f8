import { readFileSync } from 'node:fs';
import { parse } from 'csv-parse/sync';
import { z } from 'zod';
import { Location, LongText, PhoneInput, UnitCode } from '../domain/vocabulary.js';

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

/** Rows of a CSV file as unit entries (unchecked: UnitsFile checks them, naming row and column). */
export function unitsFromCsv(text: string): unknown[] {
  const rows = parse(text, { columns: (header: string[]) => header.map((h) => h.trim()), skip_empty_lines: true, trim: true, relax_column_count: true }) as Array<Record<string, string>>;
  return rows.map((row) => {
    const lat = cell(row.lat ?? row['centre.lat']);
    const lon = cell(row.lon ?? row['centre.lon']);
    const phones = cell(row.phones);
    const entry: Record<string, unknown> = { code: cell(row.code), name: cell(row.name) };
    if (lat !== undefined || lon !== undefined) entry.centre = { lat: Number(lat), lon: Number(lon) };
    if (cell(row.accessNotes)) entry.accessNotes = cell(row.accessNotes);
    if (phones) entry.phones = phones.split(/[;；、/]/).map((p) => p.trim()).filter(Boolean);
    if (cell(row.complaintPhone)) entry.complaintPhone = cell(row.complaintPhone);
    return entry;
  });
}

/** Reads a units file (JSON or CSV, by its content), checked: throws a ZodError naming the entry and field. */
export function readUnitsFile(path: string): UnitEntry[] {
  const text = decodeText(readFileSync(path));
  const trimmed = text.trimStart();
  const raw = trimmed.startsWith('[') ? (JSON.parse(trimmed) as unknown) : unitsFromCsv(text);
  return UnitsFile.parse(raw);
}
