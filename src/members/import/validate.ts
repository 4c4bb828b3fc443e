import type { Queryable } from '../../db';
import type { FieldError } from '../../errors';
import { isValidOrgNumber } from '../org-number';
import {
  MEMBER_NUMBER, parseBoolean, parseCategory, parseDate, parseEmail, parseLanguage, parseReason, parseStatus,
  HEADER_ALIASES, type ImportField,
} from './fields';
import { containsNationalId, NATIONAL_ID_MESSAGE } from '../national-id';
import { normalisePhone } from './phone';

/** The register's reference data an import row is checked against, read once per import. */
export interface Reference {
  postcodes: Map<string, string>; // postcode → municipality number
  workplaces: Map<string, { id: number; employerOrg: string }>;
  employers: Map<string, { id: number; workplaceIds: number[] }>;
  branches: Map<string, number>;
  clubs: Map<string, { id: number; branchId: number }>;
  agreements: Map<string, number>;
}

export async function loadReference(db: Queryable): Promise<Reference> {
  const q = async (sql: string) => (await db.query(sql)).rows;
  const postcodes = new Map((await q('SELECT postcode, municipality_number FROM postal_codes')).map((r) => [r.postcode, r.municipality_number]));
  const employers = new Map<string, { id: number; workplaceIds: number[] }>();
  for (const r of await q('SELECT id, org_number FROM employers')) employers.set(r.org_number, { id: r.id, workplaceIds: [] });
  const workplaces = new Map<string, { id: number; employerOrg: string }>();
  for (const r of await q('SELECT w.id, w.org_number, e.org_number AS employer_org FROM workplaces w JOIN employers e ON e.id = w.employer_id')) {
    workplaces.set(r.org_number, { id: r.id, employerOrg: r.employer_org });
    employers.get(r.employer_org)?.workplaceIds.push(r.id);
  }
  const branches = new Map((await q('SELECT id, code FROM branches')).map((r) => [String(r.code).toUpperCase(), r.id as number]));
  const clubs = new Map((await q('SELECT id, code, branch_id FROM clubs')).map((r) => [String(r.code).toUpperCase(), { id: r.id as number, branchId: r.branch_id as number }]));
  const agreements = new Map((await q('SELECT id, code FROM agreements')).map((r) => [String(r.code).toUpperCase(), r.id as number]));
  return { postcodes, workplaces, employers, branches, clubs, agreements };
}

/** Which optional fields a row gives; a field not given keeps its stored value on update. */
export const GIVEN = {
  email: 1, phone: 2, street: 4, postcode: 8, language: 16, status: 32, category: 64, workplace: 128,
  branch: 256, club: 512, joined_at: 1024, resigned_at: 2048, resignation_reason: 4096, dues_outstanding: 8192, agreements: 16384,
} as const;

/** Staging columns, in COPY order. */
export const STAGE_COLUMNS = [
  'row_no', 'given', 'member_number', 'first_name', 'last_name', 'email', 'phone', 'street', 'postcode', 'municipality_number',
  'county_code', 'language', 'status', 'category', 'workplace_id', 'branch_id', 'club_id', 'joined_at', 'resigned_at',
  'resignation_reason', 'dues_outstanding', 'agreement_ids',
] as const;

/** A field's raw text: undefined when the file has no such column (or the object no such key); '' when empty. */
export type Getter = (field: ImportField) => string | undefined;

const NEEDS_ESCAPE = /[\\\t\n\r]/;
function esc(v: string | number | boolean | null): string {
  if (v === null) return '\\N';
  if (typeof v !== 'string') return String(v);
  if (!NEEDS_ESCAPE.test(v)) return v;
  return v.replace(/[\\\t\n\r]/g, (c) => (c === '\\' ? '\\\\' : c === '\t' ? '\\t' : c === '\n' ? '\\n' : '\\r'));
}

const nul = (v: string | number | boolean | null): string | number | boolean => (v === null ? '\\N' : v);

/** Columns of `members` a first load copies straight into, in COPY order (see `MemberTarget`). */
export const MEMBER_COLUMNS = [
  'id', 'member_number', 'first_name', 'last_name', 'email', 'phone', 'street', 'postcode', 'municipality_number', 'county_code',
  'language', 'status', 'category', 'workplace_id', 'branch_id', 'club_id', 'joined_at', 'resigned_at', 'resignation_reason',
  'dues_outstanding',
] as const;

/**
 * A first load into an empty register writes valid rows as `members` COPY lines instead of staging
 * lines: the member's id is `idBase` + the row number, and the defaults the staging merge's INSERT
 * applies (merge.ts) are applied here, the same way.
 */
export interface MemberTarget { idBase: number; importDate: string }

export interface Validated {
  /** A line of PostgreSQL COPY text for the staging table (or for `members`, given a MemberTarget), when the row is valid. */
  line?: string;
  /** With a MemberTarget: the agreements the row lists (null: none given). */
  agreementIds?: number[] | null;
  memberNumber?: string;
  errors?: FieldError[];
}

/**
 * Checks one row and turns it into a staging line. Every problem is reported with the row and
 * the field; a row with any problem is not staged at all, so it can never half-overwrite a member.
 */
class RowCtx {
  errors: FieldError[] = [];
  given = 0;
  row = 0;
  get: Getter = () => undefined;
  err(field: string, message: string): void {
    if (this.errors === NO_ERRORS) this.errors = [];
    this.errors.push({ row: this.row, field, message });
  }
  text(f: ImportField): string | undefined {
    const v = this.get(f);
    return v === undefined ? undefined : v.trim();
  }
  enumField<T>(f: ImportField, bit: number, parse: (v: string) => T | undefined, what: string): T | null {
    const raw = this.text(f);
    if (raw === undefined || raw === '') return null;
    const v = parse(raw);
    if (v === undefined) { this.err(f, `${f} «${raw.slice(0, 40)}» er ikke en av ${what}`); return null; }
    this.given |= bit;
    return v;
  }
  date(f: ImportField, bit: number): string | null {
    const raw = this.text(f);
    if (!raw) return null;
    const d = parseDate(raw);
    if (!d) { this.err(f, `${f} er ikke en dato (ÅÅÅÅ-MM-DD eller DD.MM.ÅÅÅÅ)`); return null; }
    this.given |= bit;
    return d;
  }
}

const NINE_DIGITS = /^\d{9}$/;
const orgNo = (raw: string) => (NINE_DIGITS.test(raw) ? raw : raw.replace(/[\s.]/g, '').replace(/^NO|MVA$/gi, ''));
const ctx = new RowCtx();
/** Shared, empty while a row is fine; a row's first error gets it its own array. */
const NO_ERRORS: FieldError[] = [];

const ALL_FIELDS = Object.keys(HEADER_ALIASES) as ImportField[];

export function validateRow(get: Getter, row: number, ref: Reference, into?: MemberTarget): Validated {
  const c = ctx;
  c.errors = NO_ERRORS; c.row = row; c.get = get; c.given = 0;

  // No national identity number in any field, whatever its column is called: the row is refused,
  // naming the field, and none of its values is echoed in any other message.
  for (const f of ALL_FIELDS) {
    const v = get(f);
    if (v !== undefined && v.length >= 11 && containsNationalId(v)) c.err(f, `${f} ${NATIONAL_ID_MESSAGE}`);
  }
  if (c.errors.length) return { errors: c.errors };

  const memberNumber = c.text('member_number') ?? '';
  if (!memberNumber) c.err('member_number', 'member_number (medlemsnummer) mangler');
  else if (!MEMBER_NUMBER.test(memberNumber)) c.err('member_number', 'member_number (medlemsnummer) må være 1–20 bokstaver, sifre eller bindestreker');

  const firstName = c.text('first_name') ?? '';
  const lastName = c.text('last_name') ?? '';
  if (!firstName) c.err('first_name', 'first_name (fornavn) mangler');
  else if (firstName.length > 200) c.err('first_name', 'first_name (fornavn) er lengre enn 200 tegn');
  if (!lastName) c.err('last_name', 'last_name (etternavn) mangler');
  else if (lastName.length > 200) c.err('last_name', 'last_name (etternavn) er lengre enn 200 tegn');

  let email: string | null = null;
  const rawEmail = c.text('email');
  if (rawEmail !== undefined) {
    c.given |= GIVEN.email;
    if (rawEmail) {
      email = parseEmail(rawEmail) ?? null;
      if (!email) c.err('email', 'email (e-post) er ikke en gyldig e-postadresse');
    }
  }

  let phone: string | null = null;
  const rawPhone = c.text('phone');
  if (rawPhone !== undefined) {
    c.given |= GIVEN.phone;
    if (rawPhone) {
      phone = normalisePhone(rawPhone) ?? null;
      if (!phone) c.err('phone', 'phone (telefon) er ikke et gyldig telefonnummer (norske numre: 8 sifre; andre med +landskode)');
    }
  }

  let street: string | null = null;
  const rawStreet = c.text('street');
  if (rawStreet !== undefined) {
    c.given |= GIVEN.street;
    street = rawStreet || null;
    if (street && street.length > 300) c.err('street', 'street (gateadresse) er lengre enn 300 tegn');
  }

  let postcode: string | null = null;
  let municipality: string | null = null;
  const rawPostcode = c.text('postcode');
  if (rawPostcode !== undefined) {
    c.given |= GIVEN.postcode;
    if (rawPostcode) {
      // Spreadsheets drop leading zeros: 150 is 0150.
      const pc = /^\d{1,4}$/.test(rawPostcode) ? rawPostcode.padStart(4, '0') : rawPostcode;
      municipality = /^\d{4}$/.test(pc) ? ref.postcodes.get(pc) ?? null : null;
      if (!/^\d{4}$/.test(pc)) c.err('postcode', 'postcode (postnummer) må være fire sifre');
      else if (!municipality) c.err('postcode', `postnummer ${pc} finnes ikke i postnummerregisteret`);
      else postcode = pc;
    }
  }

  const language = c.enumField('language', GIVEN.language, parseLanguage, 'nb/bokmål, nn/nynorsk, en/engelsk');
  let status = c.enumField('status', GIVEN.status, parseStatus, 'active/aktiv, resigned/utmeldt');
  const category = c.enumField('category', GIVEN.category, parseCategory,
    'employee/yrkesaktiv, self_employed/selvstendig, apprentice/lærling, student, pupil/elev, pensioner/pensjonist');
  const reason = c.enumField('resignation_reason', 0, parseReason,
    'resigned/utmeldt, moved_lo_union/overført LO-forbund, moved_outside_lo/overgang utenfor LO, struck_off/strøket, deceased/død');
  const rawReason = c.text('resignation_reason');
  if (rawReason !== undefined) c.given |= GIVEN.resignation_reason;

  let dues: boolean | null = null;
  const rawDues = c.text('dues_outstanding');
  if (rawDues) {
    const b = parseBoolean(rawDues);
    if (b === undefined) c.err('dues_outstanding', 'dues_outstanding (skylder kontingent) må være ja eller nei (eller true/false, 1/0)');
    else { dues = b; c.given |= GIVEN.dues_outstanding; }
  }

  const joinedAt = c.date('joined_at', GIVEN.joined_at);
  const resignedAt = c.date('resigned_at', GIVEN.resigned_at);
  if (joinedAt && resignedAt && resignedAt < joinedAt) c.err('resigned_at', 'resigned_at (utmeldt) er før joined_at (innmeldt)');

  // Status and resignation go together: a resignation date without a status means resigned.
  if (status === null && resignedAt) { status = 'resigned'; c.given |= GIVEN.status; }
  if (status === 'active' && resignedAt) c.err('resigned_at', 'resigned_at (utmeldt) er fylt ut, men status er aktiv');
  if (status === 'active' && reason) c.err('resignation_reason', 'resignation_reason (utmeldingsgrunn) er fylt ut, men status er aktiv');

  let workplaceId: number | null = null;
  const rawWorkplace = c.text('workplace_org_number');
  const rawEmployer = c.text('employer_org_number');
  let employer: { id: number; workplaceIds: number[] } | undefined;
  let employerOrg: string | undefined;
  if (rawEmployer) {
    employerOrg = orgNo(rawEmployer);
    if (!isValidOrgNumber(employerOrg)) { c.err('employer_org_number', 'employer_org_number (arbeidsgivers organisasjonsnummer) er ikke et gyldig organisasjonsnummer (9 sifre, kontrollsiffer mod 11)'); employerOrg = undefined; } else {
      employer = ref.employers.get(employerOrg);
      if (!employer) { c.err('employer_org_number', `fant ingen arbeidsgiver med organisasjonsnummer ${employerOrg}`); employerOrg = undefined; }
    }
  }
  if (rawWorkplace !== undefined) {
    c.given |= GIVEN.workplace;
    if (rawWorkplace) {
      const org = orgNo(rawWorkplace);
      if (!isValidOrgNumber(org)) c.err('workplace_org_number', 'workplace_org_number (arbeidsstedets organisasjonsnummer) er ikke et gyldig organisasjonsnummer (9 sifre, kontrollsiffer mod 11)');
      else {
        const w = ref.workplaces.get(org);
        if (!w) c.err('workplace_org_number', `fant ikke noe arbeidssted med organisasjonsnummer ${org}`);
        else if (employerOrg && w.employerOrg !== employerOrg) c.err('employer_org_number', `arbeidssted ${org} hører til arbeidsgiver ${w.employerOrg}, ikke ${employerOrg}`);
        else workplaceId = w.id;
      }
    }
  } else if (employer) {
    // Only the employer: its workplace when it has exactly one.
    if (employer.workplaceIds.length === 1) { workplaceId = employer.workplaceIds[0]; c.given |= GIVEN.workplace; } else {
      c.err('employer_org_number', `arbeidsgiver ${employerOrg} har ${employer.workplaceIds.length} arbeidssteder; oppgi arbeidsstedets organisasjonsnummer`);
    }
  }

  let branchId: number | null = null;
  let clubId: number | null = null;
  const rawBranch = c.text('branch');
  if (rawBranch !== undefined) {
    c.given |= GIVEN.branch;
    if (rawBranch) {
      branchId = ref.branches.get(rawBranch.toUpperCase()) ?? null;
      if (branchId === null) c.err('branch', `fant ingen avdeling med koden ${rawBranch.slice(0, 40)}`);
    }
  }
  const rawClub = c.text('club');
  if (rawClub !== undefined) {
    c.given |= GIVEN.club;
    if (rawClub) {
      const club = ref.clubs.get(rawClub.toUpperCase());
      if (!club) c.err('club', `fant ingen klubb med koden ${rawClub.slice(0, 40)}`);
      else {
        clubId = club.id;
        if (branchId !== null && branchId !== club.branchId) c.err('club', `klubb ${rawClub} hører ikke til avdeling ${rawBranch}`);
        if (!rawBranch) { branchId = club.branchId; c.given |= GIVEN.branch; }
      }
    }
  }

  let agreementIds: number[] | null = null;
  const rawAgreements = c.text('agreements');
  if (rawAgreements !== undefined) {
    c.given |= GIVEN.agreements;
    if (!rawAgreements.includes('|')) {
      // One code (or none): the common case, without splitting.
      const id = rawAgreements ? ref.agreements.get(rawAgreements.toUpperCase()) : undefined;
      if (rawAgreements && id === undefined) c.err('agreements', `fant ingen tariffavtale med koden ${rawAgreements.slice(0, 40)}`);
      agreementIds = id === undefined ? [] : [id];
    } else {
      const ids = new Set<number>();
      for (const code of rawAgreements.split('|').map((x) => x.trim()).filter(Boolean)) {
        const id = ref.agreements.get(code.toUpperCase());
        if (id === undefined) c.err('agreements', `fant ingen tariffavtale med koden ${code.slice(0, 40)}`);
        else ids.add(id);
      }
      agreementIds = [...ids].sort((a, b) => a - b);
    }
  }

  if (c.errors.length) return { errors: c.errors, memberNumber: memberNumber || undefined };
  const county = municipality ? municipality.slice(0, 2) : null;
  // Only free text can hold COPY's special characters; everything else was validated to a pattern.
  if (into) {
    // As the staging merge's INSERT: language nb, status active, category employee; a resignation
    // without a date is recorded on the import date; a missing joined date is the import date or
    // the resignation's, whichever is earlier; dues not outstanding. (ISO dates compare as text.)
    const st = status ?? 'active';
    const d = into.importDate;
    const resigned = st === 'resigned' ? (resignedAt ?? d) : null;
    const joined = joinedAt ?? (resignedAt !== null && resignedAt < d ? resignedAt : d);
    const memberLine = `${into.idBase + row}\t${memberNumber}\t${esc(firstName)}\t${esc(lastName)}\t${nul(email)}\t${nul(phone)}\t${esc(street)}\t${
      nul(postcode)}\t${nul(municipality)}\t${nul(county)}\t${language ?? 'nb'}\t${st}\t${category ?? 'employee'}\t${nul(workplaceId)}\t${
      nul(branchId)}\t${nul(clubId)}\t${joined}\t${nul(resigned)}\t${st === 'resigned' ? nul(reason) : '\\N'}\t${dues ?? false}\n`;
    return { line: memberLine, memberNumber, agreementIds };
  }
  const line = `${row}\t${c.given}\t${memberNumber}\t${esc(firstName)}\t${esc(lastName)}\t${nul(email)}\t${nul(phone)}\t${esc(street)}\t${
    nul(postcode)}\t${nul(municipality)}\t${nul(county)}\t${nul(language)}\t${nul(status)}\t${nul(category)}\t${nul(workplaceId)}\t${
    nul(branchId)}\t${nul(clubId)}\t${nul(joinedAt)}\t${nul(resignedAt)}\t${nul(reason)}\t${nul(dues)}\t${
    agreementIds ? `{${agreementIds.join(',')}}` : '\\N'}\n`;
  return { line, memberNumber };
}
