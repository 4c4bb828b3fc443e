import type { Db } from '../../src/db';
import { makeOrgNumber } from '../../src/members/org-number';

export interface Org {
  branchId: number;
  otherBranchId: number;
  clubId: number;
  employerId: number;
  workplaceId: number;
  otherWorkplaceId: number;
  agreementId: number;
  otherAgreementId: number;
}

let seq = 0;

/** A small union: two branches, a club, an employer with two workplaces, two agreements. */
export async function createOrg(db: Db): Promise<Org> {
  const n = ++seq;
  const one = async (sql: string, p: unknown[]) => (await db.one(sql, p))!.id as number;
  const branchId = await one('INSERT INTO branches (code, name) VALUES ($1, $2) RETURNING id', [`B${n}a`, `Avdeling ${n} Oslo`]);
  const otherBranchId = await one('INSERT INTO branches (code, name) VALUES ($1, $2) RETURNING id', [`B${n}b`, `Avdeling ${n} Bergen`]);
  const clubId = await one('INSERT INTO clubs (code, name, branch_id) VALUES ($1, $2, $3) RETURNING id', [`K${n}`, `Klubb ${n}`, branchId]);
  const employerId = await one('INSERT INTO employers (org_number, name) VALUES ($1, $2) RETURNING id', [makeOrgNumber(n * 100), `Arbeidsgiver ${n} AS`]);
  const workplaceId = await one('INSERT INTO workplaces (org_number, name, employer_id, postcode) VALUES ($1, $2, $3, $4) RETURNING id', [makeOrgNumber(n * 100 + 10), `Verksted ${n}`, employerId, '0150']);
  const otherWorkplaceId = await one('INSERT INTO workplaces (org_number, name, employer_id, postcode) VALUES ($1, $2, $3, $4) RETURNING id', [makeOrgNumber(n * 100 + 20), `Kontor ${n}`, employerId, '5003']);
  const agreementId = await one('INSERT INTO agreements (code, name) VALUES ($1, $2) RETURNING id', [`HTA${n}`, `Hovedtariffavtalen ${n}`]);
  const otherAgreementId = await one('INSERT INTO agreements (code, name) VALUES ($1, $2) RETURNING id', [`IND${n}`, `Industrioverenskomsten ${n}`]);
  return { branchId, otherBranchId, clubId, employerId, workplaceId, otherWorkplaceId, agreementId, otherAgreementId };
}

export interface MemberInput {
  memberNumber?: string;
  firstName?: string;
  lastName?: string;
  email?: string | null;
  phone?: string | null;
  street?: string | null;
  postcode?: string | null;
  language?: 'nb' | 'nn' | 'en';
  status?: 'active' | 'resigned';
  category?: string;
  workplaceId?: number | null;
  branchId?: number | null;
  clubId?: number | null;
  joinedAt?: string;
  resignedAt?: string | null;
  resignationReason?: string | null;
  agreementIds?: number[];
}

let memberSeq = 0;

/** Inserts a member directly (municipality and county derived from the postcode, as import does). */
export async function insertMember(db: Db, m: MemberInput = {}): Promise<{ id: number; memberNumber: string }> {
  const num = m.memberNumber ?? `T${process.pid % 1000}${String(++memberSeq).padStart(6, '0')}`;
  const row = await db.one(
    `INSERT INTO members (member_number, first_name, last_name, email, phone, street, postcode, municipality_number, county_code,
                          language, status, category, workplace_id, branch_id, club_id, joined_at, resigned_at, resignation_reason)
     SELECT $1, $2, $3, $4, $5, $6, $7, p.municipality_number, left(p.municipality_number, 2), $8, $9, $10, $11, $12, $13, $14, $15, $16
       FROM (SELECT $7::char(4) AS pc) x LEFT JOIN postal_codes p ON p.postcode = x.pc
     RETURNING id`,
    [num, m.firstName ?? 'Kari', m.lastName ?? 'Nordmann', m.email === undefined ? `${num.toLowerCase()}@example.no` : m.email,
      m.phone === undefined ? null : m.phone, m.street ?? 'Storgata 1', m.postcode === undefined ? '0150' : m.postcode,
      m.language ?? 'nb', m.status ?? 'active', m.category ?? 'employee', m.workplaceId ?? null, m.branchId ?? null, m.clubId ?? null,
      m.joinedAt ?? '2020-01-01', m.resignedAt ?? (m.status === 'resigned' ? '2024-01-01' : null), m.resignationReason ?? null],
  );
  for (const a of m.agreementIds ?? []) {
    await db.query('INSERT INTO member_agreements (member_id, agreement_id) VALUES ($1, $2)', [row!.id, a]);
  }
  return { id: row!.id, memberNumber: num };
}
