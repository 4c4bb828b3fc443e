/**
 * A streaming RFC 4180 reader for register exports: fields separated by one delimiter, records
 * by CRLF or LF, "quoted" fields with "" escapes and embedded delimiters or line breaks. Text is
 * pushed in chunks; complete records come back, the incomplete tail waits for the next chunk.
 * Unquoted fields are cut with indexOf rather than a character-by-character state machine:
 * several times faster than csv-parse on a million-row file, which matters for the import budget.
 */
export class CsvError extends Error {
  readonly code: string;
  constructor(code: string, message: string) {
    super(message);
    this.code = code;
  }
}

/** The longest record accepted; beyond it an unbalanced quote has most likely swallowed the file. */
const MAX_RECORD = 1 << 20;

export class CsvReader {
  private rest = '';
  private record = 0;

  constructor(private readonly delimiter: string) {}

  /** Complete records in `chunk` (with what was left from before); at `final`, the last one too. */
  push(chunk: string, final = false): string[][] {
    const text = this.rest ? this.rest + chunk : chunk;
    const out: string[][] = [];
    const d = this.delimiter;
    const n = text.length;
    let i = 0;
    let nl = text.indexOf('\n');
    let nd = text.indexOf(d);
    let start: number;
    let pending = -1;
    records: while (i < n) {
      start = i;
      const fields: string[] = [];
      for (;;) {
        if (text.charCodeAt(i) === 34 /* " */) {
          let value = '';
          let j = i + 1;
          for (;;) {
            const q = text.indexOf('"', j);
            if (q < 0 || (q === n - 1 && !final)) { // the closing quote (or its escape) may be in the next chunk
              if (final) throw new CsvError('CSV_QUOTE_NOT_CLOSED', `a quoted field in record ${this.record + out.length + 1} is never closed`);
              { pending = start; break records; }
            }
            if (text.charCodeAt(q + 1) === 34) { value += text.slice(j, q + 1); j = q + 2; continue; }
            value += text.slice(j, q);
            i = q + 1;
            break;
          }
          fields.push(value);
          const c = text.charCodeAt(i);
          if (i >= n) { if (!final) { pending = start; break records; } out.push(fields); i = n; break; }
          if (text[i] === d) { i++; continue; }
          if (c === 13 || c === 10) {
            if (c === 13) {
              if (i + 1 >= n && !final) { pending = start; break records; } // its LF may be in the next chunk
              if (text.charCodeAt(i + 1) === 10) i++;
            }
            i++;
            if (nl < i) nl = text.indexOf('\n', i);
            out.push(fields);
            continue records;
          }
          throw new CsvError('CSV_INVALID_CLOSING_QUOTE', `unexpected character after a closing quote in record ${this.record + out.length + 1}`);
        }
        if (nl >= 0 && nl < i) nl = text.indexOf('\n', i);
        const lineEnd = nl < 0 ? n : nl;
        if (nl < 0 && !final) { pending = start; break records; }
        if (nd >= 0 && nd < i) nd = text.indexOf(d, i);
        if (nd >= 0 && nd < lineEnd) {
          fields.push(text.slice(i, nd));
          i = nd + 1;
          continue;
        }
        const end = lineEnd > i && text.charCodeAt(lineEnd - 1) === 13 ? lineEnd - 1 : lineEnd;
        fields.push(text.slice(i, end));
        i = lineEnd + 1;
        if (!(fields.length === 1 && fields[0] === '')) out.push(fields);
        continue records;
      }
    }
    this.rest = pending >= 0 ? text.slice(pending) : '';
    if (final && this.rest) throw new CsvError('CSV_INCOMPLETE', 'the file ends inside a record');
    if (this.rest.length > MAX_RECORD) {
      throw new CsvError('CSV_RECORD_TOO_LONG', `record ${this.record + out.length + 1} is longer than 1 MB (an unbalanced quote?)`);
    }
    this.record += out.length;
    return out;
  }
}
