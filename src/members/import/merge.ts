import type pg from 'pg';
import { GIVEN, MEMBER_COLUMNS, STAGE_COLUMNS } from './validate';

export const STAGE = 'member_import_stage';
/** Below this many new members the ordinary index-maintaining insert is fast enough. */
export const BULK_MIN_ROWS = 50_000;

/**
 * The staging table, created in the import's transaction and dropped before it commits
 * (`dropStage`); a failed import's rollback removes it. Unlogged rather than temporary: a
 * temporary table is private to its backend, so no statement that reads it may use parallel
 * workers, and the merge's comparison of a million staged rows with the register took 5.5 s on
 * one core where two take 3.4 (bench/RESULTS.md, the twelfth session). Imports hold
 * IMPORT_LOCK for their transaction, so one name serves; nobody else can see the table, which
 * exists only inside an uncommitted transaction.
 */
export async function createStage(client: pg.PoolClient): Promise<{ empty: boolean }> {
  // Only a committed leftover could be here (a transaction that created it always drops or rolls it back).
  await client.query(`DROP TABLE IF EXISTS ${STAGE}`);
  await client.query(`CREATE UNLOGGED TABLE ${STAGE} (
    row_no integer NOT NULL, given integer NOT NULL, member_number text NOT NULL, first_name text NOT NULL, last_name text NOT NULL,
    email text, phone text, street text, postcode text, municipality_number text, county_code text,
    language text, status text, category text, workplace_id bigint, branch_id bigint, club_id bigint,
    joined_at date, resigned_at date, resignation_reason text, dues_outstanding boolean, agreement_ids bigint[]
  ) WITH (autovacuum_enabled = false)`);
  return { empty: (await client.query('SELECT NOT EXISTS (SELECT 1 FROM members) AS empty')).rows[0].empty === true };
}

/** The staging table's end, before the import commits. */
export async function dropStage(client: pg.PoolClient): Promise<void> {
  await client.query(`DROP TABLE ${STAGE}`);
}

export const COPY_SQL = `COPY ${STAGE} (${STAGE_COLUMNS.join(', ')}) FROM STDIN`;

const g = (bit: number, row = 's') => `(${row}.given & ${bit}) <> 0`;
const keep = (bit: number, col: string) => `CASE WHEN ${g(bit)} THEN s.${col} ELSE m.${col} END`;

const NEW_STATUS = keep(GIVEN.status, 'status');

/** The value each member column takes from a staged row (m: the stored member, s: the staged row, $1: import date). */
const UPDATE_VALUES: [string, string][] = [
  ['first_name', 's.first_name'],
  ['last_name', 's.last_name'],
  ['email', keep(GIVEN.email, 'email')],
  ['phone', keep(GIVEN.phone, 'phone')],
  ['street', keep(GIVEN.street, 'street')],
  ['postcode', keep(GIVEN.postcode, 'postcode')],
  ['municipality_number', keep(GIVEN.postcode, 'municipality_number')],
  ['county_code', keep(GIVEN.postcode, 'county_code')],
  ['language', keep(GIVEN.language, 'language')],
  ['status', NEW_STATUS],
  ['category', keep(GIVEN.category, 'category')],
  ['workplace_id', keep(GIVEN.workplace, 'workplace_id')],
  ['branch_id', keep(GIVEN.branch, 'branch_id')],
  ['club_id', keep(GIVEN.club, 'club_id')],
  ['joined_at', keep(GIVEN.joined_at, 'joined_at')],
  // A resignation keeps the date it was first recorded unless the file gives one.
  ['resigned_at', `CASE WHEN ${NEW_STATUS} = 'active' THEN NULL WHEN s.resigned_at IS NOT NULL THEN s.resigned_at
                   WHEN m.status = 'resigned' THEN m.resigned_at ELSE $1::date END`],
  ['resignation_reason', `CASE WHEN ${NEW_STATUS} = 'active' THEN NULL WHEN ${g(GIVEN.resignation_reason)} THEN s.resignation_reason
                   ELSE m.resignation_reason END`],
  ['dues_outstanding', keep(GIVEN.dues_outstanding, 'dues_outstanding')],
];

/**
 * A row's coverage differs from the member's: the two sets are compared by containment both ways
 * (`a`: the member's agreement ids, aggregated once for all members in a hash join; a per-member
 * subquery ran once per staged row, ~4 µs each). Ids are unique on both sides (the key of
 * member_agreements; validateRow dedupes a row's list), so mutual containment is set equality.
 */
const AGREEMENTS_CHANGED = `(${g(GIVEN.agreements)} AND NOT (s.agreement_ids @> COALESCE(a.ids, '{}') AND COALESCE(a.ids, '{}') @> s.agreement_ids))`;

/** From this many staged rows the members' coverage is aggregated once for all of them (below, per member). */
export const AGGREGATE_COVERAGE_FROM = 100_000;

/**
 * The members' agreement ids (`a.ids`) for the comparison, by the stage's size (its row count as
 * ANALYZE left it): a large import aggregates all coverage once in a hash join, ~0.6–0.9 s per
 * million members whatever the import's size; a small one (a PUT of one member) reads each
 * member's own rows by index, ~4 µs per staged row.
 */
async function memberCoverageJoin(client: pg.PoolClient, aggregateFrom: number): Promise<string> {
  const rows = Number((await client.query(`SELECT reltuples FROM pg_class WHERE oid = '${STAGE}'::regclass`)).rows[0].reltuples);
  return rows >= aggregateFrom
    ? 'LEFT JOIN (SELECT member_id, array_agg(agreement_id) AS ids FROM member_agreements GROUP BY member_id) a ON a.member_id = m.id'
    : 'LEFT JOIN LATERAL (SELECT array_agg(x.agreement_id) AS ids FROM member_agreements x WHERE x.member_id = m.id) a ON true';
}

/** Members this import updated or inserted, with what their row says of coverage: the only members whose coverage can change. */
const TOUCHED = 'member_import_touched';
/** Staged rows that are new members (member_id NULL) or differ from their stored member (with its id). */
const CHANGED = 'member_import_changed';

/**
 * Bulk-load mode, as pg_restore does it: when an import inserts more rows than the table holds,
 * the table's plain secondary indexes and its foreign keys are dropped, the rows inserted, and
 * the indexes rebuilt and the foreign keys re-validated set-based. Primary keys and unique
 * constraints stay. All of it happens inside the import's transaction (a failure restores
 * everything), and the definitions are read from the catalogue, so indexes other parts of the hub
 * add are rebuilt as they were. The table is locked for the transaction, as any initial load would.
 */
async function withBulkLoad<T>(client: pg.PoolClient, table: string, fn: () => Promise<T>, phase: (name: string) => void): Promise<T> {
  const indexes = (await client.query(
    `SELECT i.relname AS name, pg_get_indexdef(x.indexrelid) AS def
       FROM pg_index x JOIN pg_class i ON i.oid = x.indexrelid
      WHERE x.indrelid = $1::regclass AND NOT x.indisprimary AND NOT x.indisunique
        AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conindid = x.indexrelid)`, [table])).rows;
  const fks = (await client.query(
    `SELECT conname AS name, pg_get_constraintdef(oid) AS def FROM pg_constraint WHERE conrelid = $1::regclass AND contype = 'f'`, [table])).rows;
  for (const f of fks) await client.query(`ALTER TABLE ${table} DROP CONSTRAINT "${f.name}"`);
  for (const i of indexes) await client.query(`DROP INDEX "${i.name}"`);
  phase(`${table}_bulk_drop`);
  const out = await fn();
  phase(`${table}_bulk_rows`);
  for (const i of indexes) await client.query(i.def);
  phase(`${table}_bulk_indexes`);
  for (const f of fks) await client.query(`ALTER TABLE ${table} ADD CONSTRAINT "${f.name}" ${f.def}`);
  phase(`${table}_bulk_foreign_keys`);
  return out;
}

export interface MergeResult { inserted: number; updated: number; duplicates: { memberNumber: string; rows: number[] }[]; duplicateRows: number }

/**
 * Set-based merge of the staged rows into the register, in the caller's transaction:
 * rows sharing a member number are all set aside; existing members are updated only where
 * something differs (so a re-import changes nothing); new members are inserted; agreement
 * coverage follows the rows that give it.
 *
 * The updated and inserted members are kept in a temporary table with their rows' coverage: a
 * member the update left alone has exactly the coverage its row gives (the update's test
 * compares it), so the coverage statements read those few members instead of joining the whole
 * stage with the register twice more (5 of a re-import's ~19 PostgreSQL seconds per million).
 */
export async function mergeStage(client: pg.PoolClient, importDate: string, maxListed: number,
  phase: (name: string) => void = () => undefined, bulkMinRows = BULK_MIN_ROWS, stage: { empty: boolean } = { empty: false },
  aggregateCoverageFrom = AGGREGATE_COVERAGE_FROM): Promise<MergeResult> {
  await client.query(`ANALYZE ${STAGE}`);
  phase('analyze');
  // Whether any member number repeats, by hash without collecting rows (the rows' ordered arrays
  // cost a sort per member number: 1.6 of 2.5 s per million); the rows only when some do.
  const anyDuplicate = (await client.query(`SELECT 1 FROM ${STAGE} GROUP BY member_number HAVING count(*) > 1 LIMIT 1`)).rowCount! > 0;
  const dup = anyDuplicate ? await client.query(
    `SELECT member_number, array_agg(row_no ORDER BY row_no) AS rows FROM ${STAGE}
      GROUP BY member_number HAVING count(*) > 1 ORDER BY min(row_no) LIMIT $1`, [maxListed]) : { rows: [] as { member_number: string; rows: number[] }[] };
  let duplicateRows = 0;
  if (anyDuplicate) {
    const del = await client.query(`DELETE FROM ${STAGE} WHERE member_number IN
      (SELECT member_number FROM ${STAGE} GROUP BY member_number HAVING count(*) > 1)`);
    duplicateRows = del.rowCount ?? 0;
  }
  phase('duplicates');

  await client.query(`CREATE TEMP TABLE ${TOUCHED} (member_id bigint NOT NULL, given integer NOT NULL, agreement_ids bigint[]) ON COMMIT DROP`);
  const cols = UPDATE_VALUES.map(([c]) => c);
  // First the staged rows that are new members or differ from their member, into a temporary
  // table, in one join of the stage with the register (its real size then plans the update: a
  // subquery in the UPDATE was flattened into a join of the whole register with itself before the
  // test, 1.6 s per million for a re-import that changes nothing; and the new members need no
  // second join to be found).
  await client.query(
    `CREATE TEMP TABLE ${CHANGED} ON COMMIT DROP AS
     SELECT s.*, m.id AS member_id
       FROM ${STAGE} s LEFT JOIN members m ON m.member_number = s.member_number
       ${await memberCoverageJoin(client, aggregateCoverageFrom)}
      WHERE m.id IS NULL
         OR ${AGREEMENTS_CHANGED}
         OR (${cols.map((c) => `m.${c}`).join(', ')}) IS DISTINCT FROM (${UPDATE_VALUES.map(([, e]) => e).join(', ')})`,
    [importDate]);
  await client.query(`ANALYZE ${CHANGED}`);
  const updated = await client.query(
    `WITH u AS (
       UPDATE members m SET ${UPDATE_VALUES.map(([c, e]) => `${c} = ${e}`).join(', ')}, updated_at = now()
         FROM ${CHANGED} s WHERE m.id = s.member_id
       RETURNING m.id, s.given, s.agreement_ids)
     INSERT INTO ${TOUCHED} (member_id, given, agreement_ids) SELECT id, given, agreement_ids FROM u`,
    [importDate]);
  phase('update');

  const staged = Number((await client.query(`SELECT count(*)::int AS n FROM ${CHANGED} WHERE member_id IS NULL`)).rows[0].n);
  // The register is counted only when the count decides the bulk mode (a count of a million
  // members costs ~0.1 s, which a single PUT need not pay); its emptiness is a probe.
  const bulk = staged >= bulkMinRows && staged > Number((await client.query('SELECT count(*)::int AS n FROM members')).rows[0].n);
  const registerEmpty = async () => (await client.query('SELECT NOT EXISTS (SELECT 1 FROM members) AS empty')).rows[0].empty === true;
  // A first load (the register empty): every staged row is a new member. Their ids are taken from
  // the members sequence as one block (other writers of members wait on the table lock, so no
  // one else draws from it meanwhile), a row's id being the block's start plus its row number;
  // coverage rows are then made from the staged rows without joining a million members again.
  let idBase: number | null = null;
  if (stage.empty && staged > 0 && await registerEmpty()) {
    await client.query('LOCK TABLE members IN SHARE ROW EXCLUSIVE MODE');
    if (Number((await client.query('SELECT count(*)::int AS n FROM members')).rows[0].n) === 0) {
      const r = (await client.query(`SELECT min(row_no) AS lo, max(row_no) AS hi, nextval(pg_get_serial_sequence('members', 'id')) AS base FROM ${STAGE}`)).rows[0];
      await client.query(`SELECT setval(pg_get_serial_sequence('members', 'id'), $1::bigint)`, [Number(r.base) + r.hi - r.lo]);
      idBase = Number(r.base) - r.lo;
    }
  }
  const ownIds = idBase !== null;
  const idOf = `(${idBase}::bigint + s.row_no)`;
  const bulkLoad = <T>(table: string, fn: () => Promise<T>) => (bulk ? withBulkLoad(client, table, fn, phase) : fn());

  const inserted = await bulkLoad('members', () => client.query(
    `WITH i AS (
       INSERT INTO members (${ownIds ? 'id, ' : ''}member_number, first_name, last_name, email, phone, street, postcode, municipality_number, county_code,
                            language, status, category, workplace_id, branch_id, club_id, joined_at, resigned_at, resignation_reason, dues_outstanding)
       SELECT ${ownIds ? `${idOf}, ` : ''}s.member_number, s.first_name, s.last_name, s.email, s.phone, s.street, s.postcode, s.municipality_number, s.county_code,
              COALESCE(s.language, 'nb'), COALESCE(s.status, 'active'), COALESCE(s.category, 'employee'), s.workplace_id, s.branch_id, s.club_id,
              COALESCE(s.joined_at, LEAST($1::date, COALESCE(s.resigned_at, $1::date))),
              CASE WHEN s.status = 'resigned' THEN COALESCE(s.resigned_at, $1::date) END,
              CASE WHEN s.status = 'resigned' THEN s.resignation_reason END,
              COALESCE(s.dues_outstanding, false)
         FROM ${CHANGED} s WHERE s.member_id IS NULL
       RETURNING id, member_number)
     INSERT INTO ${TOUCHED} (member_id, given, agreement_ids)
     SELECT i.id, s.given, s.agreement_ids FROM i JOIN ${CHANGED} s ON s.member_number = i.member_number AND s.member_id IS NULL`,
    [importDate]));
  phase('insert');

  // Coverage: exactly the agreements a row lists, for the touched members whose rows list them
  // (a first load has none to take away).
  if (!ownIds) await client.query(
    `DELETE FROM member_agreements ma USING ${TOUCHED} t
      WHERE ${g(GIVEN.agreements, 't')} AND ma.member_id = t.member_id AND NOT (ma.agreement_id = ANY (t.agreement_ids))`);
  phase('agreements_delete');
  await bulkLoad('member_agreements', () => client.query(
    `INSERT INTO member_agreements (member_id, agreement_id, covered_from)
     SELECT t.member_id, a.id, $1::date
       FROM ${TOUCHED} t CROSS JOIN LATERAL unnest(t.agreement_ids) AS a(id)
      WHERE ${g(GIVEN.agreements, 't')} AND cardinality(t.agreement_ids) > 0
        ${bulk || ownIds ? '' : 'AND NOT EXISTS (SELECT 1 FROM member_agreements x WHERE x.member_id = t.member_id AND x.agreement_id = a.id)'}
     ON CONFLICT DO NOTHING`,
    [importDate]));
  phase('agreements_insert');

  return {
    inserted: inserted.rowCount ?? 0,
    updated: updated.rowCount ?? 0,
    duplicates: dup.rows.map((r) => ({ memberNumber: r.member_number, rows: r.rows })),
    duplicateRows,
  };
}

/**
 * First load into an empty register, straight into the table (issue 15): once an import into an
 * empty register has staged `bulkMinRows` rows, the members and member_agreements tables are
 * locked, their plain indexes, foreign keys and the member_number unique constraint dropped (the
 * primary keys stay), the rows staged so far inserted, and the rest of the file is COPYed into
 * `members` itself while it is read, with ids `idBase` + row number (so a duplicate's row is its id
 * minus idBase). No staging of the million rows, no ANALYZE, no INSERT … SELECT, no GROUP BY in
 * the usual case: the unique constraint, rebuilt afterwards, is the duplicate check, and only
 * when it fails are the duplicates looked up, reported with all their rows and removed. Coverage
 * rows are kept as (row, agreement) pairs in typed arrays (8 bytes each) and COPYed after the
 * members. All of it inside the import's transaction: a failure anywhere restores everything.
 */
export interface FirstLoad {
  idBase: number;
  members: { indexes: Def[]; fks: Def[]; unique: Def[] };
  agreements: { indexes: Def[]; fks: Def[] };
}
interface Def { name: string; def: string }

export const MEMBER_COPY_SQL = `COPY members (${MEMBER_COLUMNS.join(', ')}) FROM STDIN`;

async function plainIndexes(client: pg.PoolClient, table: string): Promise<Def[]> {
  return (await client.query(
    `SELECT i.relname AS name, pg_get_indexdef(x.indexrelid) AS def
       FROM pg_index x JOIN pg_class i ON i.oid = x.indexrelid
      WHERE x.indrelid = $1::regclass AND NOT x.indisprimary AND NOT x.indisunique
        AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conindid = x.indexrelid)`, [table])).rows;
}
async function foreignKeys(client: pg.PoolClient, table: string): Promise<Def[]> {
  return (await client.query(`SELECT conname AS name, pg_get_constraintdef(oid) AS def FROM pg_constraint WHERE conrelid = $1::regclass AND contype = 'f'`, [table])).rows;
}

/** Locks and empties the two tables of their secondary structures; null when the register is no longer empty. */
export async function beginFirstLoad(client: pg.PoolClient, importDate: string, phase: (name: string) => void): Promise<FirstLoad | null> {
  await client.query('LOCK TABLE members, member_agreements IN ACCESS EXCLUSIVE MODE');
  if (!(await client.query('SELECT NOT EXISTS (SELECT 1 FROM members) AS empty')).rows[0].empty) return null;
  // Other writers of members wait on the lock, so nobody draws ids meanwhile; the sequence is set
  // past the last row's id when the file has been read.
  const base = Number((await client.query(`SELECT nextval(pg_get_serial_sequence('members', 'id')) AS base`)).rows[0].base);
  const load: FirstLoad = {
    idBase: base - 1, // row numbers start at 1 (objects) or 2 (CSV, after its header)
    members: {
      indexes: await plainIndexes(client, 'members'),
      fks: await foreignKeys(client, 'members'),
      unique: (await client.query(
        `SELECT c.conname AS name, pg_get_constraintdef(c.oid) AS def FROM pg_constraint c
          WHERE c.conrelid = 'members'::regclass AND c.contype = 'u'
            AND c.conkey = ARRAY[(SELECT attnum FROM pg_attribute WHERE attrelid = 'members'::regclass AND attname = 'member_number')]`)).rows,
    },
    agreements: { indexes: await plainIndexes(client, 'member_agreements'), fks: await foreignKeys(client, 'member_agreements') },
  };
  for (const f of load.members.fks) await client.query(`ALTER TABLE members DROP CONSTRAINT "${f.name}"`);
  for (const u of load.members.unique) await client.query(`ALTER TABLE members DROP CONSTRAINT "${u.name}"`);
  for (const i of load.members.indexes) await client.query(`DROP INDEX "${i.name}"`);
  for (const f of load.agreements.fks) await client.query(`ALTER TABLE member_agreements DROP CONSTRAINT "${f.name}"`);
  for (const i of load.agreements.indexes) await client.query(`DROP INDEX "${i.name}"`);
  phase('members_bulk_drop');
  // The rows staged before the switch (all new: the register is empty).
  await client.query(
    `INSERT INTO members (id, member_number, first_name, last_name, email, phone, street, postcode, municipality_number, county_code,
                          language, status, category, workplace_id, branch_id, club_id, joined_at, resigned_at, resignation_reason, dues_outstanding)
     SELECT ${load.idBase}::bigint + s.row_no, s.member_number, s.first_name, s.last_name, s.email, s.phone, s.street, s.postcode, s.municipality_number, s.county_code,
            COALESCE(s.language, 'nb'), COALESCE(s.status, 'active'), COALESCE(s.category, 'employee'), s.workplace_id, s.branch_id, s.club_id,
            COALESCE(s.joined_at, LEAST($1::date, COALESCE(s.resigned_at, $1::date))),
            CASE WHEN s.status = 'resigned' THEN COALESCE(s.resigned_at, $1::date) END,
            CASE WHEN s.status = 'resigned' THEN s.resignation_reason END,
            COALESCE(s.dues_outstanding, false)
       FROM ${STAGE} s`, [importDate]);
  await client.query(
    `INSERT INTO member_agreements (member_id, agreement_id, covered_from)
     SELECT ${load.idBase}::bigint + s.row_no, a.id, $1::date
       FROM ${STAGE} s CROSS JOIN LATERAL unnest(s.agreement_ids) AS a(id)
      WHERE ${g(GIVEN.agreements)} AND cardinality(s.agreement_ids) > 0
     ON CONFLICT DO NOTHING`, [importDate]);
  await client.query(`TRUNCATE ${STAGE}`);
  phase('first_load_staged_rows');
  return load;
}

/** (row, agreement id) pairs in 64 K-entry Int32Array blocks. */
export class CoveragePairs {
  private blocks: Int32Array[] = [];
  private cur = new Int32Array(0);
  private at = 0;
  count = 0;
  push(row: number, agreementId: number): void {
    if (agreementId > 0x7fffffff || row > 0x7fffffff) throw new Error('coverage pair out of range');
    if (this.at === this.cur.length) { this.cur = new Int32Array(65536); this.blocks.push(this.cur); this.at = 0; }
    this.cur[this.at++] = row;
    this.cur[this.at++] = agreementId;
    this.count++;
  }
  *each(): Generator<[number, number]> {
    for (const b of this.blocks) {
      const end = b === this.cur ? this.at : b.length;
      for (let i = 0; i < end; i += 2) yield [b[i], b[i + 1]];
    }
  }
}

/** After the file: sequence, coverage, the unique check (duplicates removed and reported), indexes, foreign keys. */
export async function finishFirstLoad(client: pg.PoolClient, load: FirstLoad, lastRow: number, pairs: CoveragePairs,
  copyPairs: (lines: Iterable<string>) => Promise<void>, importDate: string, maxListed: number,
  phase: (name: string) => void): Promise<Omit<MergeResult, 'inserted' | 'updated'>> {
  await client.query(`SELECT setval(pg_get_serial_sequence('members', 'id'), GREATEST($1::bigint, (SELECT max(id) FROM members)))`, [load.idBase + Math.max(lastRow, 1)]);
  const idBase = load.idBase;
  await copyPairs((function* () { for (const [row, a] of pairs.each()) yield `${idBase + row}\t${a}\t${importDate}\n`; })());
  phase('agreements_insert');

  let duplicates: MergeResult['duplicates'] = [];
  let duplicateRows = 0;
  const addUnique = async () => { for (const u of load.members.unique) await client.query(`ALTER TABLE members ADD CONSTRAINT "${u.name}" ${u.def}`); };
  if (load.members.unique.length) {
    await client.query('SAVEPOINT first_load_unique');
    try {
      await addUnique();
      await client.query('RELEASE SAVEPOINT first_load_unique');
    } catch (err: any) {
      if (err?.code !== '23505') throw err;
      await client.query('ROLLBACK TO SAVEPOINT first_load_unique');
      const dup = await client.query(
        `SELECT member_number, array_agg((id - ${idBase})::int ORDER BY id) AS rows FROM members
          GROUP BY member_number HAVING count(*) > 1 ORDER BY min(id) LIMIT $1`, [maxListed]);
      duplicates = dup.rows.map((r) => ({ memberNumber: r.member_number, rows: r.rows }));
      await client.query(`CREATE TEMP TABLE member_import_duplicate_ids ON COMMIT DROP AS
        SELECT id FROM members WHERE member_number IN (SELECT member_number FROM members GROUP BY member_number HAVING count(*) > 1)`);
      await client.query('DELETE FROM member_agreements ma USING member_import_duplicate_ids d WHERE ma.member_id = d.id');
      duplicateRows = (await client.query('DELETE FROM members m USING member_import_duplicate_ids d WHERE m.id = d.id')).rowCount ?? 0;
      await addUnique();
    }
  }
  phase('duplicates');
  for (const i of load.members.indexes) await client.query(i.def);
  phase('members_bulk_indexes');
  for (const f of load.members.fks) await client.query(`ALTER TABLE members ADD CONSTRAINT "${f.name}" ${f.def}`);
  phase('members_bulk_foreign_keys');
  for (const i of load.agreements.indexes) await client.query(i.def);
  phase('member_agreements_bulk_indexes');
  for (const f of load.agreements.fks) await client.query(`ALTER TABLE member_agreements ADD CONSTRAINT "${f.name}" ${f.def}`);
  phase('member_agreements_bulk_foreign_keys');
  return { duplicates, duplicateRows };
}
