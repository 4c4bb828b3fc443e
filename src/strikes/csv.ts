import { csvRows } from '../csv';

/**
 * The strike lists as CSV (CRLF and a BOM, as Excel reads æøå), through the hub's one CSV
 * writer (src/csv, contract C3), which writes formula-like cells as text.
 */
export function toCsv(rows: string[][]): string {
  return csvRows(rows, { recordDelimiter: 'windows', bom: true });
}
