import { stringify, type Options } from 'csv-stringify/sync';

/**
 * The one CSV writer of the hub (contract C3): every CSV it writes — print manifests, address
 * lists, electoral rolls, exports, the audit CSV — goes through here.
 *
 * A spreadsheet runs a cell that begins with `=`, `+`, `-` or `@` (and, in some, tab or CR) as a
 * formula: a member named `=HYPERLINK("https://evil.example","Klikk")` would become a live link
 * in the print vendor's Excel (CSV injection, OWASP). Such a text cell gets a leading apostrophe,
 * which spreadsheets show as text and hide; numbers passed as numbers are left alone.
 */
const FORMULA_START = /^[=+\-@\t\r]/;
/** A signed plain number (a phone number in E.164, "-5", "+47 900 00 000"): no formula, left as it is. */
const PLAIN_NUMBER = /^[+-]\d[\d ]*([.,]\d+)?$/;

export function escapeFormula(value: string): string {
  return FORMULA_START.test(value) && !PLAIN_NUMBER.test(value) ? `'${value}` : value;
}

export type CsvValue = string | number | boolean | null | undefined | Date;

/** Cells as written: strings escaped against formulas, null/undefined empty, dates ISO. */
function cell(v: CsvValue): string | number | boolean {
  if (v === null || v === undefined) return '';
  if (v instanceof Date) return v.toISOString();
  if (typeof v === 'string') return escapeFormula(v);
  return v;
}

export interface CsvOptions {
  /** Field delimiter (default `,`). */
  delimiter?: string;
  /** Record delimiter: `windows` (CRLF, what Excel and print vendors expect) or `unix` (default). */
  recordDelimiter?: 'windows' | 'unix';
  /** Prefix a UTF-8 byte order mark (Excel on Windows then reads æøå correctly). */
  bom?: boolean;
}

/** Rows (arrays of cells) → CSV text, every string cell escaped. Stream-friendly: call per chunk of rows. */
export function csvRows(rows: CsvValue[][], o: CsvOptions = {}): string {
  const opts: Options = {
    delimiter: o.delimiter ?? ',',
    record_delimiter: o.recordDelimiter ?? 'unix',
    bom: o.bom ?? false,
    quoted_match: /^'[=+\-@\t\r]/, // quote escaped cells too, so no reader trims the apostrophe away with whitespace
  };
  return stringify(rows.map((r) => r.map(cell)), opts);
}

/** Objects → CSV with a header line of `columns` (keys in order). */
export function csvObjects(rows: Record<string, CsvValue>[], columns: string[], o: CsvOptions & { header?: boolean } = {}): string {
  const head = o.header === false ? [] : [columns];
  return csvRows([...head, ...rows.map((r) => columns.map((c) => r[c]))], o);
}
