import { stringify } from 'csv-stringify/sync';

/**
 * The strike lists as CSV (CRLF and a BOM, as Excel reads æøå), cells that a spreadsheet would
 * run as a formula written as text. The hub's one CSV writer (src/csv, contract C3) replaces
 * this as soon as it is on main.
 */
export function toCsv(rows: string[][]): string {
  const safe = rows.map((r) => r.map((v) => (/^[=+\-@\t\r]/.test(v) ? `'${v}` : v)));
  return stringify(safe, { record_delimiter: 'windows', bom: true });
}
