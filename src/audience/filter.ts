import Joi from 'joi';
import { JOI_MESSAGES_NB, Problem } from '../errors';
import { memberScopeSql } from '../members/scope';

/**
 * The audience filter: a JSON tree validated by joi and compiled to parameterised SQL. No SQL
 * ever comes from a user; every value becomes a `$n` placeholder.
 *
 * A filter is a GROUP or a LEAF, each an object with exactly one key:
 *  - groups: `{ all: Filter[] }` (AND; an empty list means everyone), `{ any: Filter[] }` (OR;
 *    at least one), `{ not: Filter }`.
 *  - leaves (lists are OR within the leaf; at most 1000 values, 10,000 member numbers):
 *    `status`, `category` (membership category), `county` (2 digits), `municipality` (4 digits),
 *    `postcodeRange` ([{ from, to }], inclusive), `employer` (employer ids, through the member's
 *    workplace), `workplace`, `branch`, `club` (ids), `agreement` (agreement ids the member is
 *    covered by), `bargainingArea` (the bargaining area of any agreement the member is covered
 *    by, `agreements.bargaining_area`: Staten, KS, Spekter, NHO…), `duesOutstanding` (true:
 *    members in arrears, `members.dues_outstanding`; false: members who are not), `role` (roles
 *    held today), `joinedBefore` / `joinedAfter` ('YYYY-MM-DD', strictly before / after),
 *    `joinedBetween` ({ from?, to? }: joined on or after `from` and on or before `to`, both
 *    ends inclusive, at least one given), `language`, `memberNumbers` (explicit include),
 *    `excludeMemberNumbers` (explicit exclude), `ballotRoll` (on the frozen roll of that ballot),
 *    `strike` / `strikePhase` (taken out in that strike / phase and not taken back in: the
 *    members a strike message concerns; src/strikes owns the selection).
 *
 * There is one grammar, no separate include/exclude envelope. Explicit additions and removals
 * are ordinary nodes:
 *   `{ all: [ { any: [ <filter>, { memberNumbers: ['100001'] } ] }, { excludeMemberNumbers: ['100002'] } ] }`
 *
 * Limits (FILTER_LIMITS), sized for real campaigns and checked on the raw JSON before anything
 * else (a 422 problem naming the limit and the path): groups nest at most 8 deep; at most 100
 * conditions in all; a list at most 1,000 values (member numbers 10,000); postcode ranges at most
 * 100 per filter (a hostile 10 × 1,000 ranges once ran 33 s: each member is compared with every
 * range); at most 20,000 list values in all. The preview's query also has a statement timeout.
 *
 * NOT follows two-valued logic: `{ not: { county: ['03'] } }` includes members with no county.
 */
export type MemberStatus = 'active' | 'resigned';
export type MembershipCategory = 'employee' | 'self_employed' | 'apprentice' | 'student' | 'pupil' | 'pensioner';
export type RoleName = 'shop_steward' | 'chief_shop_steward' | 'safety_rep' | 'branch_board' | 'club_board';
export type Language = 'nb' | 'nn' | 'en';
export interface PostcodeRange { from: string; to: string }

export type AudienceLeaf =
  | { status: MemberStatus[] }
  | { category: MembershipCategory[] }
  | { county: string[] }
  | { municipality: string[] }
  | { postcodeRange: PostcodeRange[] }
  | { employer: number[] }
  | { workplace: number[] }
  | { branch: number[] }
  | { club: number[] }
  | { agreement: number[] }
  | { bargainingArea: string[] }
  | { duesOutstanding: boolean }
  | { joinedBetween: { from?: string; to?: string } }
  | { role: RoleName[] }
  | { joinedBefore: string }
  | { joinedAfter: string }
  | { language: Language[] }
  | { memberNumbers: string[] }
  | { excludeMemberNumbers: string[] }
  | { ballotRoll: number }
  | { strike: number }
  | { strikePhase: number }
  /** The members a representative (this member id) may see: the server ANDs it to every representative's campaign. */
  | { scopeOf: number };

export type AudienceGroup = { all: AudienceFilter[] } | { any: AudienceFilter[] } | { not: AudienceFilter };
export type AudienceFilter = AudienceGroup | AudienceLeaf;

export const FILTER_LIMITS = {
  depth: 8,
  leaves: 100,
  valuesPerList: 1000,
  memberNumbersPerList: 10_000,
  postcodeRanges: 100,
  totalValues: 20_000,
} as const;
export const MAX_DEPTH = FILTER_LIMITS.depth;
export const MAX_LEAVES = FILTER_LIMITS.leaves;
const MAX_VALUES: number = FILTER_LIMITS.valuesPerList;
const MAX_MEMBER_NUMBERS: number = FILTER_LIMITS.memberNumbersPerList;

export const MEMBER_STATUSES: MemberStatus[] = ['active', 'resigned'];
export const MEMBERSHIP_CATEGORIES: MembershipCategory[] = ['employee', 'self_employed', 'apprentice', 'student', 'pupil', 'pensioner'];
export const ROLE_NAMES: RoleName[] = ['shop_steward', 'chief_shop_steward', 'safety_rep', 'branch_board', 'club_board'];
export const LANGUAGES: Language[] = ['nb', 'nn', 'en'];

const list = (item: Joi.Schema, max = MAX_VALUES) => Joi.array().items(item).min(1).max(max).unique();
const id = Joi.number().integer().min(1).max(Number.MAX_SAFE_INTEGER);
const digits = (n: number) => Joi.string().pattern(new RegExp(`^[0-9]{${n}}$`)).messages({ 'string.pattern.base': `{{#label}} må være ${n} sifre` });
const isoDate = Joi.string().custom((v: string, h) => {
  if (!/^\d{4}-\d{2}-\d{2}$/.test(v)) return h.message({ custom: '{{#label}} må være en dato ÅÅÅÅ-MM-DD' });
  const d = new Date(`${v}T00:00:00Z`);
  if (Number.isNaN(d.getTime()) || d.toISOString().slice(0, 10) !== v) return h.message({ custom: '{{#label}} er ikke en dato som finnes' });
  return v;
});
const memberNumber = Joi.string().trim().min(1).max(40);
const postcodeRange = Joi.object({ from: digits(4).required(), to: digits(4).required() }).custom((v: PostcodeRange, h) => {
  if (v.from > v.to) return h.message({ custom: '{{#label}}: fra (from) må være før eller lik til (to)' });
  return v;
});

const joinedBetween = Joi.object({ from: isoDate, to: isoDate }).or('from', 'to').custom((v: { from?: string; to?: string }, h) => {
  if (v.from && v.to && v.from > v.to) return h.message({ custom: '{{#label}}: fra (from) må være før eller lik til (to)' });
  return v;
});

const LINK = Joi.link('#audienceFilter');

/** The joi schema of one filter node (recursive). Depth and leaf limits are checked by `validateAudience`. */
export const audienceFilterSchema: Joi.ObjectSchema = Joi.object({
  all: Joi.array().items(LINK).max(MAX_LEAVES),
  any: Joi.array().items(LINK).min(1).max(MAX_LEAVES),
  not: LINK,
  status: list(Joi.string().valid(...MEMBER_STATUSES)),
  category: list(Joi.string().valid(...MEMBERSHIP_CATEGORIES)),
  county: list(digits(2)),
  municipality: list(digits(4)),
  postcodeRange: list(postcodeRange),
  employer: list(id),
  workplace: list(id),
  branch: list(id),
  club: list(id),
  agreement: list(id),
  bargainingArea: list(Joi.string().trim().min(1).max(100)),
  duesOutstanding: Joi.boolean().strict(),
  joinedBetween,
  role: list(Joi.string().valid(...ROLE_NAMES)),
  joinedBefore: isoDate,
  joinedAfter: isoDate,
  language: list(Joi.string().valid(...LANGUAGES)),
  memberNumbers: list(memberNumber, MAX_MEMBER_NUMBERS),
  excludeMemberNumbers: list(memberNumber, MAX_MEMBER_NUMBERS),
  ballotRoll: id,
  strike: id,
  strikePhase: id,
  scopeOf: id,
}).length(1).messages({
  'object.length': '{{#label}} må ha nøyaktig én nøkkel: en gruppe (all, any, not) eller én betingelse',
  'object.base': '{{#label}} må være et filterobjekt',
}).id('audienceFilter').description('audience filter: { all | any: [filter] } | { not: filter } | one condition');

const GROUP_KEYS = new Set(['all', 'any', 'not']);
const isPlainObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

function tooBig(where: string, path: string, limit: keyof typeof FILTER_LIMITS, message: string): Problem {
  return new Problem(422, 'Unprocessable Content', `Målgruppefilteret er for stort: ${message}.`, {
    errors: [{ field: path, message }],
    extra: { limit, max: FILTER_LIMITS[limit], where },
  });
}

/**
 * Walks the raw JSON before joi sees it (so a hostile, very large document costs nothing more):
 * refuses nesting, conditions, list lengths and postcode ranges beyond FILTER_LIMITS.
 */
function checkShape(filter: unknown, where: string): void {
  let leaves = 0;
  let values = 0;
  let ranges = 0;
  const walk = (node: unknown, path: string, depth: number): void => {
    if (depth > MAX_DEPTH) throw tooBig(where, path, 'depth', `filteret har flere enn ${MAX_DEPTH} nivåer`);
    if (!isPlainObject(node)) { leaves++; return; }
    const keys = Object.keys(node);
    const groupKey = keys.length === 1 && GROUP_KEYS.has(keys[0]) ? keys[0] : null;
    if (!groupKey) {
      leaves++;
      if (leaves > MAX_LEAVES) throw tooBig(where, where, 'leaves', `et filter kan ha høyst ${MAX_LEAVES} betingelser`);
      for (const k of keys) {
        const v = node[k];
        if (!Array.isArray(v)) continue;
        const max = k === 'memberNumbers' || k === 'excludeMemberNumbers' ? MAX_MEMBER_NUMBERS : MAX_VALUES;
        if (v.length > max) throw tooBig(where, `${path}.${k}`, k.endsWith('emberNumbers') ? 'memberNumbersPerList' : 'valuesPerList', `en ${k}-liste kan ha høyst ${max} verdier`);
        values += v.length;
        if (values > FILTER_LIMITS.totalValues) throw tooBig(where, `${path}.${k}`, 'totalValues', `et filter kan ha høyst ${FILTER_LIMITS.totalValues} listeverdier i alt`);
        if (k === 'postcodeRange') {
          ranges += v.length;
          if (ranges > FILTER_LIMITS.postcodeRanges) throw tooBig(where, `${path}.${k}`, 'postcodeRanges', `et filter kan ha høyst ${FILTER_LIMITS.postcodeRanges} postnummerintervaller i alt`);
        }
      }
      return;
    }
    const v = node[groupKey];
    if (groupKey === 'not') { walk(v, `${path}.not`, depth + 1); return; }
    if (Array.isArray(v)) {
      if (v.length > MAX_LEAVES) throw tooBig(where, `${path}.${groupKey}`, 'leaves', `et filter kan ha høyst ${MAX_LEAVES} betingelser`);
      v.forEach((child, i) => walk(child, `${path}.${groupKey}.${i}`, depth + 1));
    }
  };
  walk(filter, where, 1);
}

/**
 * Validates a filter (from a request or a saved audience). On error throws Problem.badRequest
 * whose errors name the field path, e.g. `audience.all.2.county.0`.
 */
export function validateAudience(filter: unknown, where = 'audience'): AudienceFilter {
  if (filter === undefined || filter === null) {
    throw Problem.badRequest('Målgruppefilteret mangler.', [{ field: where, message: 'et målgruppefilter må oppgis' }]);
  }
  checkShape(filter, where);
  const { value, error } = audienceFilterSchema.validate(filter, { abortEarly: false, convert: true, errors: { wrap: { label: false } }, messages: JOI_MESSAGES_NB });
  if (error) {
    throw Problem.badRequest('Målgruppefilteret har feil.', error.details.map((d) => ({ field: [where, ...d.path].join('.'), message: d.message })));
  }
  return value as AudienceFilter;
}

interface Compiled { sql: string; nullable: boolean }

function assertAlias(alias: string): void {
  if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(alias)) throw new Error(`alias must be a plain SQL identifier: ${alias}`);
}

/**
 * SQL boolean condition on the members table aliased `alias`. Values go into `params` as `$n`
 * placeholders (one per leaf list); nothing from the filter is interpolated. Shaped for the
 * planner: column = ANY($n) on indexed columns, EXISTS for coverage, roles and rolls (semi/anti
 * joins when at the top level of a WHERE), the employer's workplaces as an init plan.
 */
export function audienceSql(filter: AudienceFilter, alias: string, params: unknown[]): string {
  assertAlias(alias);
  return compile(filter, alias, params).sql;
}

function compile(node: AudienceFilter, m: string, params: unknown[]): Compiled {
  const entries = Object.entries(node as Record<string, unknown>);
  if (entries.length !== 1) throw new Error('an audience node must have exactly one key');
  const [key, value] = entries[0] as [string, any];
  const p = (v: unknown) => { params.push(v); return `$${params.length}`; };
  const notNull = (sql: string): Compiled => ({ sql, nullable: false });
  const maybeNull = (sql: string): Compiled => ({ sql, nullable: true });
  switch (key) {
    case 'all': {
      const parts = (value as AudienceFilter[]).map((c) => compile(c, m, params));
      if (!parts.length) return notNull('TRUE');
      return { sql: `(${parts.map((x) => x.sql).join(' AND ')})`, nullable: parts.some((x) => x.nullable) };
    }
    case 'any': {
      const parts = (value as AudienceFilter[]).map((c) => compile(c, m, params));
      if (!parts.length) return notNull('FALSE');
      return { sql: `(${parts.map((x) => x.sql).join(' OR ')})`, nullable: parts.some((x) => x.nullable) };
    }
    case 'not': {
      const inner = compile(value as AudienceFilter, m, params);
      // A NULL (member without a county, workplace…) does not match, so NOT of it does.
      return notNull(inner.nullable ? `((${inner.sql}) IS NOT TRUE)` : `(NOT ${inner.sql})`);
    }
    case 'status': return notNull(`${m}.status = ANY(${p(value)}::text[])`);
    case 'category': return notNull(`${m}.category = ANY(${p(value)}::text[])`);
    case 'language': return notNull(`${m}.language = ANY(${p(value)}::text[])`);
    case 'county': return maybeNull(`${m}.county_code = ANY(${p(value)}::bpchar[])`);
    case 'municipality': return maybeNull(`${m}.municipality_number = ANY(${p(value)}::bpchar[])`);
    case 'postcodeRange': {
      const ranges = value as PostcodeRange[];
      const lo = p(ranges.map((r) => r.from));
      const hi = p(ranges.map((r) => r.to));
      return notNull(`EXISTS (SELECT 1 FROM unnest(${lo}::bpchar[], ${hi}::bpchar[]) AS apr(lo, hi) WHERE ${m}.postcode BETWEEN apr.lo AND apr.hi)`);
    }
    case 'employer':
      return maybeNull(`${m}.workplace_id = ANY(ARRAY(SELECT aw.id FROM workplaces aw WHERE aw.employer_id = ANY(${p(value)}::bigint[])))`);
    case 'workplace': return maybeNull(`${m}.workplace_id = ANY(${p(value)}::bigint[])`);
    case 'branch': return maybeNull(`${m}.branch_id = ANY(${p(value)}::bigint[])`);
    case 'club': return maybeNull(`${m}.club_id = ANY(${p(value)}::bigint[])`);
    case 'agreement':
      return notNull(`EXISTS (SELECT 1 FROM member_agreements ama WHERE ama.member_id = ${m}.id AND ama.agreement_id = ANY(${p(value)}::bigint[]))`);
    case 'bargainingArea':
      return notNull(`EXISTS (SELECT 1 FROM member_agreements ama JOIN agreements aag ON aag.id = ama.agreement_id
        WHERE ama.member_id = ${m}.id AND aag.bargaining_area = ANY(${p(value)}::text[]))`);
    case 'duesOutstanding': return notNull(`${m}.dues_outstanding = ${p(value)}::boolean`);
    case 'joinedBetween': {
      const v = value as { from?: string; to?: string };
      const parts = [
        ...(v.from ? [`${m}.joined_at >= ${p(v.from)}::date`] : []),
        ...(v.to ? [`${m}.joined_at <= ${p(v.to)}::date`] : []),
      ];
      return notNull(`(${parts.join(' AND ')})`);
    }
    case 'role':
      return notNull(`EXISTS (SELECT 1 FROM member_roles amr WHERE amr.member_id = ${m}.id AND amr.role = ANY(${p(value)}::text[])
        AND amr.starts_on <= current_date AND (amr.ends_on IS NULL OR amr.ends_on >= current_date))`);
    case 'joinedBefore': return notNull(`${m}.joined_at < ${p(value)}::date`);
    case 'joinedAfter': return notNull(`${m}.joined_at > ${p(value)}::date`);
    case 'memberNumbers': return notNull(`${m}.member_number = ANY(${p(value)}::text[])`);
    case 'excludeMemberNumbers': return notNull(`${m}.member_number <> ALL(${p(value)}::text[])`);
    case 'ballotRoll':
      return notNull(`EXISTS (SELECT 1 FROM ballot_roll_entries abr WHERE abr.ballot_id = ${p(value)}::bigint AND abr.member_id = ${m}.id)`);
    case 'strike':
      return notNull(`EXISTS (SELECT 1 FROM strike_takeouts ast WHERE ast.strike_id = ${p(value)}::bigint AND ast.member_id = ${m}.id AND ast.returned_at IS NULL)`);
    case 'strikePhase':
      return notNull(`EXISTS (SELECT 1 FROM strike_takeouts ast WHERE ast.phase_id = ${p(value)}::bigint AND ast.member_id = ${m}.id AND ast.returned_at IS NULL)`);
    case 'scopeOf':
      // The one scope rule (memberScopeSql) of the representative holding these roles: active members only once security narrows it.
      return notNull(memberScopeSql({ id: 0, email: '', name: '', role: 'representative', memberId: Number(value) }, m, params));
    default:
      throw new Error(`unknown audience key ${key}`);
  }
}
