import { once } from 'node:events';
import { finished } from 'node:stream/promises';
import { CsvReader } from './csv';
import { from as copyFrom } from 'pg-copy-streams';
import { DateTime } from 'luxon';
import type { Hub } from '../../hub';
import type { Staff } from '../../auth/staff';
import { Problem } from '../../errors';
import { audit, type AuditAction } from '../../audit';
import { decodeSource, sniffDelimiter, type Encoding } from './decode';
import { fieldForHeader, isNationalIdHeader, type ImportField } from './fields';
import { loadReference, validateRow, type Getter, type MemberTarget, type Reference } from './validate';
import { BULK_MIN_ROWS, COPY_SQL, CoveragePairs, MEMBER_COPY_SQL, beginFirstLoad, createStage, dropStage, finishFirstLoad, mergeStage, type FirstLoad, type MergeResult } from './merge';
import { redactNationalIds } from '../national-id';

export { HEADER_ALIASES, type ImportField } from './fields';
export { normalisePhone } from './phone';

export interface ImportError { row: number; field: string; message: string }

/** The one report of an import, the same from the endpoint and the CLI. */
export interface ImportReport {
  inserted: number;
  updated: number;
  unchanged: number;
  rejected: number;
  warnings: string[];
  errors: ImportError[];
}

export type ImportSource =
  /** CSV bytes (a request, a file stream); encoding and delimiter are detected. */
  | { kind: 'csv'; data: AsyncIterable<Buffer | string> }
  /** Member objects with the English (or Norwegian) keys: a JSON body, the demo generator. */
  | { kind: 'records'; records: Iterable<unknown> | AsyncIterable<unknown> };

export interface ImportOptions {
  staff: Staff | null;
  /** Audit actor when there is no staff user (e.g. `cli:<user>`). */
  actor?: string;
  via: 'api' | 'cli' | 'seed' | 'bench' | 'upsert';
  auditAction?: AuditAction;
  /** How many errors the report lists; `rejected` always counts them all. */
  maxListedErrors?: number;
  /** Called with each phase's name and milliseconds (for the benchmark's profile). */
  onPhase?: (name: string, ms: number) => void;
  /** New members from which an import that outgrows the table rebuilds its indexes afterwards (default 50,000). */
  bulkMinRows?: number;
  /** Staged rows from which the merge compares coverage through one aggregate of all members' (default 100,000). */
  aggregateCoverageFrom?: number;
}

const LISTED_ERRORS = 10_000;
/** Bytes of COPY text gathered in one buffer before a write to PostgreSQL (about 1,600 rows). */
const COPY_CHUNK = 256 * 1024;
/** Characters of decoded text read into rows at a time (about 450 rows). */
const BATCH_TEXT = 64 * 1024;
const IMPORT_LOCK = 727275;

const REQUIRED: [ImportField, string][] = [
  ['member_number', 'medlemsnummer / member_number'],
  ['first_name', 'fornavn / first_name'],
  ['last_name', 'etternavn / last_name'],
];

/** One row: a CSV record (read through the header's index), an object's values, or a problem found before validation. */
interface RowItem {
  row: number;
  rec?: string[];
  values?: Partial<Record<ImportField, string>>;
  problem?: ImportError;
}

interface Rows {
  /** Rows in batches (one per decoded chunk); throws a Problem on a malformed file. */
  batches: AsyncIterable<RowItem[]>;
  /** For CSV: the column of each field, filled in when the header is read. */
  index: Partial<Record<ImportField, number>>;
  warnings: string[];
  format: 'csv' | 'json';
  encoding?: Encoding;
  delimiter?: string;
}

/** CSV: header mapping (national id columns dropped before any value is read), then each record. */
async function csvRows(data: AsyncIterable<Buffer | string>): Promise<Rows> {
  const decoded = await decodeSource(data);
  if (!decoded.head.trim()) throw Problem.badRequest('Filen er tom; ingenting ble importert.');
  // Old Mac exports end lines with CR alone: read them as line breaks (a file whose first line ends
  // in CR without LF has no LF at all, or it would not be CR-only).
  const crOnly = decoded.head.includes('\r') && !decoded.head.includes('\n');
  const delimiter = sniffDelimiter(crOnly ? decoded.head.replace(/\r/g, '\n') : decoded.head);
  const reader = new CsvReader(delimiter);
  const warnings: string[] = [];

  const index: Partial<Record<ImportField, number>> = {};

  async function* batches(): AsyncGenerator<RowItem[]> {
    let width = 0;
    let n = 0;
    let final = false;
    const chunks = (crOnly ? crToLf(decoded.text) : decoded.text)[Symbol.asyncIterator]();
    try {
      while (!final) {
        const next = await chunks.next();
        final = next.done === true;
        const text = final ? '' : next.value as string;
        // Rows in batches of at most BATCH_TEXT characters: a batch is validated before the next
        // is read, so its records die young (a 256 KB batch outlived the young generation and
        // doubled the heap).
        for (let at = 0; at < text.length || (final && at === 0); at += BATCH_TEXT) {
          const piece = text.length <= BATCH_TEXT ? text : text.slice(at, at + BATCH_TEXT);
          const last = final && at + BATCH_TEXT >= text.length;
          const batch: RowItem[] = [];
          for (const rec of reader.push(piece, last)) {
            n++;
            if (n === 1) {
              width = mapHeader(rec, warnings, index);
              continue;
            }
            if (rec.every((v) => v.trim() === '')) continue; // trailing ";;;;" lines from spreadsheets
            if (rec.length !== width) {
              batch.push({ row: n, problem: { row: n, field: 'row', message: `raden har ${rec.length} felt, overskriftslinjen har ${width}` } });
              continue;
            }
            batch.push({ row: n, rec });
          }
          if (batch.length) yield batch;
        }
      }
    } catch (err: any) {
      throw asFileProblem(err);
    }
    if (n === 0) throw Problem.badRequest('Filen er tom; ingenting ble importert.');
  }
  return { batches: batches(), index, warnings, format: 'csv', get encoding() { return decoded.encoding; }, delimiter } as Rows;
}

async function* crToLf(text: AsyncIterable<string>): AsyncGenerator<string> {
  for await (const chunk of text) yield chunk.replace(/\r/g, '\n');
}

function asFileProblem(err: any): Problem {
  if (err instanceof Problem) return err;
  if (typeof err?.code === 'string' && err.code.startsWith('CSV_')) {
    return Problem.badRequest(`Filen er ikke gyldig CSV (${String(err.message).replace(/\.$/, '')}); ingenting ble importert.`);
  }
  return err;
}

function mapHeader(header: string[], warnings: string[], index: Partial<Record<ImportField, number>>): number {
  header.forEach((raw, i) => {
    const name = raw.replace(/^\uFEFF/, '').trim();
    if (isNationalIdHeader(name)) {
      warnings.push(`kolonnen «${name}» ser ut til å være fødselsnummer; den ble fjernet, og ingen av verdiene ble lest eller lagret`);
      return;
    }
    const f = fieldForHeader(name);
    if (!f) {
      if (name) warnings.push(`kolonnen «${name.slice(0, 60)}» er ikke et felt i registeret og ble hoppet over`);
      return;
    }
    if (index[f] !== undefined) { warnings.push(`kolonnen «${name}» gjentar ${f}; den første slike kolonnen ble brukt`); return; }
    index[f] = i;
  });
  const missing = REQUIRED.filter(([f]) => index[f] === undefined);
  if (missing.length) {
    throw Problem.badRequest(
      `Filen mangler ${missing.length > 1 ? 'kolonnene' : 'kolonnen'} ${missing.map(([, h]) => h).join(', ')}; er det en CSV-fil fra medlemsregisteret med overskriftslinje? Ingenting ble importert.`,
      missing.map(([f]) => ({ field: f, message: `kolonnen ${f} mangler`, row: 1 })),
    );
  }
  return header.length;
}

/** Objects (JSON body, generator): keys mapped like CSV headers; null means "clear", a missing key "leave as is". */
function recordRows(records: Iterable<unknown> | AsyncIterable<unknown>): Rows {
  const warnings: string[] = [];
  const seen = new Map<string, ImportField | null>();
  const keyField = (k: string): ImportField | null => {
    let f = seen.get(k);
    if (f !== undefined) return f;
    if (isNationalIdHeader(k)) {
      warnings.push(`feltet «${k}» ser ut til å være fødselsnummer; det ble fjernet, og ingen av verdiene ble lest eller lagret`);
      f = null;
    } else {
      f = fieldForHeader(k) ?? null;
      if (!f) warnings.push(`feltet «${k.slice(0, 60)}» er ikke et felt i registeret og ble hoppet over`);
    }
    seen.set(k, f);
    return f;
  };
  async function* batches(): AsyncGenerator<RowItem[]> {
    let n = 0;
    let batch: RowItem[] = [];
    for await (const rec of records as AsyncIterable<unknown>) {
      n++;
      if (!rec || typeof rec !== 'object' || Array.isArray(rec)) {
        batch.push({ row: n, problem: { row: n, field: 'row', message: 'et medlem må være et objekt' } });
      } else {
        const values: Partial<Record<ImportField, string>> = {};
        for (const [k, v] of Object.entries(rec as Record<string, unknown>)) {
          const f = keyField(k);
          if (!f || values[f] !== undefined) continue;
          values[f] = v === null || v === undefined ? '' : Array.isArray(v) ? v.map(String).join('|') : String(v);
        }
        batch.push({ row: n, values });
      }
      if (batch.length >= 1000) { yield batch; batch = []; }
    }
    if (batch.length) yield batch;
  }
  return { batches: batches(), index: {}, warnings, format: 'json' };
}

/** Today in Norway, by the hub's clock: the date a resignation without a date is recorded on. */
export function importDateOf(now: Date): string {
  return DateTime.fromJSDate(now, { zone: 'Europe/Oslo' }).toISODate()!;
}

/**
 * The one import: CSV or member objects → validated rows streamed with COPY into a staging
 * table that exists only inside the import's transaction → a set-based merge into the
 * register, all in one transaction with the audit row. A malformed file throws a 400 Problem and nothing is written; bad rows are reported
 * (row, field, message) and never touch the register.
 */
export async function importMembers(hub: Pick<Hub, 'db' | 'clock' | 'log'>, source: ImportSource, opts: ImportOptions): Promise<ImportReport> {
  const maxListed = opts.maxListedErrors ?? LISTED_ERRORS;
  const input = source.kind === 'csv' ? await csvRows(source.data) : recordRows(source.records);
  const importDate = importDateOf(hub.clock.now());
  let last = performance.now();
  const phase = (name: string) => { const now = performance.now(); opts.onPhase?.(name, now - last); last = now; };
  const client = await hub.db.pool.connect();
  let broken = false;
  try {
    await client.query('BEGIN');
    await client.query('SELECT pg_advisory_xact_lock($1)', [IMPORT_LOCK]);
    await client.query("SET LOCAL work_mem = '64MB'");
    // The import keeps its own limits (body size, record length); a million-row merge outlasts the API's statement timeout.
    await client.query('SET LOCAL statement_timeout = 0');
    await client.query("SET LOCAL maintenance_work_mem = '256MB'");
    // Each of the merge's statements runs once over the whole file: JIT compilation (on by
    // default for plans this large) costs more than it saves here.
    await client.query('SET LOCAL jit = off');
    const stage = await createStage(client);
    const ref: Reference = await loadReference(client);
    phase('prepare');

    const errors: ImportError[] = [];
    let rejected = 0;
    let staged = 0;
    let lastRow = 0;
    let copyError: unknown;
    const openCopy = (sql: string) => {
      const c = client.query(copyFrom(sql));
      c.on('error', (e) => { copyError = e; });
      return c;
    };
    let copy = openCopy(COPY_SQL);
    // A first load into an empty register goes straight into members once it is large (merge.ts).
    const bulkMin = opts.bulkMinRows ?? BULK_MIN_ROWS;
    let mayLoadFirst = stage.empty;
    let firstLoad: FirstLoad | null = null;
    let target: MemberTarget | undefined;
    const pairs = new CoveragePairs();
    // COPY text is encoded straight into buffers outside the JavaScript heap (a string of ~1,600
    // concatenated lines was flattened and copied once more on write, and lived across the wait).
    let out = Buffer.allocUnsafe(COPY_CHUNK);
    let pos = 0;
    let full = false;
    const hand = () => {
      if (pos && !copy.write(out.subarray(0, pos))) full = true;
      out = Buffer.allocUnsafe(COPY_CHUNK);
      pos = 0;
    };
    const put = (line: string) => {
      if (COPY_CHUNK - pos < line.length * 3) { // a UTF-16 unit is at most 3 bytes of UTF-8
        hand();
        if (line.length * 3 > COPY_CHUNK) { if (!copy.write(line)) full = true; return; }
      }
      pos += out.write(line, pos);
    };
    const flush = async () => {
      if (pos) hand();
      if (full) { full = false; await Promise.race([once(copy, 'drain'), once(copy, 'error')]); }
      if (copyError) throw copyError;
    };
    try {
      let cur: RowItem = { row: 0 };
      const index = input.index;
      const get: Getter = (f) => {
        if (cur.values) return cur.values[f];
        const i = index[f];
        return i === undefined ? undefined : cur.rec![i];
      };
      const endCopy = async () => {
        await flush();
        copy.end();
        await finished(copy);
      };
      for await (const batch of input.batches) {
        for (const item of batch) {
          cur = item;
          const v = item.problem ? { errors: [item.problem] } : validateRow(get, item.row, ref, target);
          if (v.line) {
            put(v.line);
            staged++;
            lastRow = item.row;
            if (target && v.agreementIds) for (const a of v.agreementIds) pairs.push(item.row, a);
          } else {
            rejected++;
            for (const e of v.errors ?? []) if (errors.length < maxListed) errors.push(e as ImportError);
          }
        }
        if (full || pos >= COPY_CHUNK / 2) await flush();
        if (mayLoadFirst && staged >= bulkMin) {
          mayLoadFirst = false;
          await endCopy();
          phase('parse_validate_copy');
          firstLoad = await beginFirstLoad(client, importDate, phase);
          if (firstLoad) target = { idBase: firstLoad.idBase, importDate };
          copy = openCopy(firstLoad ? MEMBER_COPY_SQL : COPY_SQL);
        }
      }
      await endCopy();
      phase('parse_validate_copy');
    } catch (err) {
      broken = true;
      copy.destroy(err as Error);
      throw err;
    }

    let merged: MergeResult;
    if (firstLoad) {
      const pairCopy = async (lines: Iterable<string>) => {
        copy = openCopy('COPY member_agreements (member_id, agreement_id, covered_from) FROM STDIN');
        try {
          for (const line of lines) {
            put(line);
            if (full || pos >= COPY_CHUNK / 2) await flush();
          }
          await endCopyPairs();
        } catch (err) {
          broken = true;
          copy.destroy(err as Error);
          throw err;
        }
      };
      const endCopyPairs = async () => { await flush(); copy.end(); await finished(copy); };
      const done = await finishFirstLoad(client, firstLoad, lastRow, pairs, pairCopy, importDate, maxListed, phase);
      merged = { inserted: staged - done.duplicateRows, updated: 0, ...done };
    } else {
      merged = await mergeStage(client, importDate, maxListed, phase, opts.bulkMinRows, stage, opts.aggregateCoverageFrom);
    }
    for (const d of merged.duplicates) {
      for (const row of d.rows) {
        if (errors.length < maxListed) {
          errors.push({ row, field: 'member_number', message: `medlemsnummer ${d.memberNumber} står i mer enn én rad (rad ${d.rows.join(', ')}); ingen av dem ble importert` });
        }
      }
    }
    rejected += merged.duplicateRows;
    const accepted = staged - merged.duplicateRows;
    const report: ImportReport = {
      inserted: merged.inserted,
      updated: merged.updated,
      unchanged: accepted - merged.inserted - merged.updated,
      rejected,
      // Reports never repeat a value that looks like a national identity number (a header, a code…).
      warnings: input.warnings.map(redactNationalIds),
      errors: errors.sort((a, b) => a.row - b.row || a.field.localeCompare(b.field)).map((e) => ({ ...e, message: redactNationalIds(e.message) })),
    };
    const listed = errors.length;
    const totalErrorsKnown = rejected;
    if (listed >= maxListed) report.warnings.push(`bare de første ${maxListed} feilene er listet; i alt ble ${totalErrorsKnown} rader avvist`);

    await dropStage(client);
    await audit(client, {
      staff: opts.staff,
      actor: opts.actor,
      action: opts.auditAction ?? 'member.import',
      rowCount: merged.inserted + merged.updated,
      detail: {
        via: opts.via, format: input.format, ...(input.encoding ? { encoding: input.encoding, delimiter: input.delimiter } : {}),
        inserted: report.inserted, updated: report.updated, unchanged: report.unchanged, rejected: report.rejected,
      },
    });
    await client.query('COMMIT');
    phase('commit');
    hub.log.info({ via: opts.via, inserted: report.inserted, updated: report.updated, unchanged: report.unchanged, rejected: report.rejected }, 'member import');
    return report;
  } catch (err) {
    await client.query('ROLLBACK').catch(() => { broken = true; });
    throw err;
  } finally {
    client.release(broken);
  }
}
