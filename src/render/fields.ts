import Handlebars from 'handlebars';

/** The three languages of the register; bokmål is the fallback. */
export type Lang = 'nb' | 'nn' | 'en';
export const LANGS: Lang[] = ['nb', 'nn', 'en'];

/** Ballot fields, available in templates of the `ballot` category only. */
export interface BallotFields {
  title: string;
  votingUrl: string;
  /** Already formatted for the member's language (see `formatDateTime`). */
  closesAt: string;
  result: string;
}

/**
 * The merge context of every template: what `{{firstName}}`, `{{links.signup}}`… resolve to.
 * Missing register values are empty strings (a member without a workplace), never undefined:
 * a field *name* that does not exist is refused when the template is saved.
 */
export interface MergeFields {
  firstName: string;
  lastName: string;
  memberNumber: string;
  workplace: string;
  employer: string;
  municipality: string;
  county: string;
  branch: string;
  club: string;
  /** The member's agreement(s), names joined with ", ". */
  agreement: string;
  /** Signed one-click unsubscribe URL for the category (from src/consent); '' for categories that cannot be declined. */
  unsubscribeUrl: string;
  /** Signed URL of the member's preference centre. */
  preferencesUrl: string;
  /** The campaign's links by name: `{{links.signup}}`. */
  links: Record<string, string>;
  /** Only for ballot templates. */
  ballot?: BallotFields;
}

export const MEMBER_FIELDS = ['firstName', 'lastName', 'memberNumber', 'workplace', 'employer', 'municipality', 'county',
  'branch', 'club', 'agreement'] as const;
export const LINK_FIELDS = ['unsubscribeUrl', 'preferencesUrl'] as const;
export const BALLOT_FIELDS = ['ballot.title', 'ballot.votingUrl', 'ballot.closesAt', 'ballot.result'] as const;
const PLAIN_FIELDS = new Set<string>([...MEMBER_FIELDS, ...LINK_FIELDS, 'unionName']);
const BALLOT_SET = new Set<string>(BALLOT_FIELDS);
const LINK_NAME = /^links\.[A-Za-z0-9_-]{1,64}$/;

/** Every field name a template may use (links.<name> stands for any campaign link). */
export function knownFieldNames(category?: string): string[] {
  return [...PLAIN_FIELDS, 'links.<name>', ...(category === 'ballot' ? BALLOT_FIELDS : [])];
}

/** One problem found in a template, with its 1-based line in the field it was found in. */
export interface TemplateError {
  /** Which part: `languages.nb.mjml`, `languages.en.subject`… */
  field: string;
  line: number;
  column?: number;
  message: string;
}

/** Our own Handlebars environment: no helpers or partials beyond `if` / `unless`. */
export const hb = Handlebars.create();
const KNOWN_HELPERS = { if: true, unless: true } as const;

export function compileOptions(noEscape: boolean): CompileOptions {
  return {
    knownHelpers: { ...KNOWN_HELPERS, helperMissing: false, blockHelperMissing: false, each: false, with: false, lookup: false, log: false },
    knownHelpersOnly: true,
    noEscape,
    strict: false,
    preventIndent: true,
    data: false,
  };
}

/** Handlebars' compile options (the library types it loosely). */
type CompileOptions = NonNullable<Parameters<typeof Handlebars.compile>[1]>;
export type HbsTemplate = (context: unknown) => string;

export function compileMerge(source: string | hbs.AST.Program, opts: { escape: boolean }): HbsTemplate {
  const fn = hb.compile(source as any, compileOptions(!opts.escape));
  return fn as HbsTemplate;
}

/**
 * A merge template compiled to plain closures: `(fields, links) => string`. Only what
 * checkMergeTemplate admits is supported (text, `{{field}}`, `{{#if}}`/`{{#unless}}` with
 * `{{else}}`), with Handlebars' own parsing (whitespace control, standalone lines), escaping
 * (`Handlebars.Utils.escapeExpression`) and `if` truthiness; `{{unionName}}` is a constant.
 * About ten times cheaper per call than a Handlebars template function, which matters when a
 * campaign merges a million members. test/render.test.ts checks it against Handlebars.
 */
export type MergeFn = (fields: MergeFields, links: Record<string, string>) => string;

export function compileFast(source: string | hbs.AST.Program, opts: { escape: boolean; unionName: string }): MergeFn {
  const ast = typeof source === 'string' ? hb.parse(source) : source;
  const esc = hb.Utils.escapeExpression;
  const out = (v: unknown): string => (opts.escape ? esc(v as string) : v == null ? '' : String(v));
  const getter = (node: hbs.AST.Expression): ((f: any, l: any) => unknown) => {
    const p = node as hbs.AST.PathExpression;
    if (node.type !== 'PathExpression' || p.data || p.depth > 0) throw new Error(`unsupported expression in merge template: ${node.type}`);
    const parts = p.parts;
    if (parts.length === 1 && parts[0] === 'unionName') { const u = opts.unionName; return () => u; }
    if (parts[0] === 'links') {
      if (parts.length === 1) return (_f, l) => l;
      const k = parts[1];
      return (_f, l) => (l == null ? undefined : l[k]);
    }
    if (parts.length === 1) { const k = parts[0]; return (f) => f[k]; }
    const [a, b] = parts;
    return (f) => { const o = f[a]; return o == null ? undefined : o[b]; };
  };
  const falsy = (v: unknown) => !v || (Array.isArray(v) && v.length === 0);
  const program = (prog: hbs.AST.Program | undefined): MergeFn => {
    if (!prog) return () => '';
    const parts: (string | MergeFn)[] = [];
    for (const st of prog.body) {
      if (st.type === 'ContentStatement') {
        const v = (st as hbs.AST.ContentStatement).value;
        if (typeof parts[parts.length - 1] === 'string') parts[parts.length - 1] += v; else parts.push(v);
      } else if (st.type === 'CommentStatement') {
        continue;
      } else if (st.type === 'MustacheStatement') {
        const g = getter((st as hbs.AST.MustacheStatement).path);
        parts.push((f, l) => out(g(f, l)));
      } else if (st.type === 'BlockStatement') {
        const b = st as hbs.AST.BlockStatement;
        const name = (b.path as hbs.AST.PathExpression).original;
        if ((name !== 'if' && name !== 'unless') || b.params.length !== 1) throw new Error(`unsupported block in merge template: ${name}`);
        const g = getter(b.params[0]);
        const yes = program(b.program);
        const no = program(b.inverse);
        parts.push(name === 'if' ? (f, l) => (falsy(g(f, l)) ? no(f, l) : yes(f, l)) : (f, l) => (falsy(g(f, l)) ? yes(f, l) : no(f, l)));
      } else {
        throw new Error(`unsupported statement in merge template: ${st.type}`);
      }
    }
    if (parts.length === 0) return () => '';
    if (parts.length === 1) { const p0 = parts[0]; return typeof p0 === 'string' ? () => p0 : p0; }
    if (parts.length === 2) {
      const [a, b] = parts;
      if (typeof a === 'string' && typeof b !== 'string') return (f, l) => a + b(f, l);
      if (typeof a !== 'string' && typeof b === 'string') return (f, l) => a(f, l) + b;
    }
    return (f, l) => {
      let s = '';
      for (let i = 0; i < parts.length; i++) { const p = parts[i]; s += typeof p === 'string' ? p : p(f, l); }
      return s;
    };
  };
  const main = program(ast);
  return (fields, links) => main(fields, links ?? fields.links ?? {});
}

/** Parses a template and walks its AST: unknown fields, helpers, partials and `{{{raw}}}` are errors. */
export function checkMergeTemplate(source: string, field: string, category: string): { errors: TemplateError[]; links: Set<string>; fields: Set<string> } {
  const errors: TemplateError[] = [];
  const links = new Set<string>();
  const fields = new Set<string>();
  let ast: hbs.AST.Program;
  try {
    ast = hb.parse(source);
  } catch (err: any) {
    const m = /line (\d+)/.exec(err.message ?? '');
    const line = err.lineNumber ?? (m ? Number(m[1]) : 1);
    const msg = String(err.message ?? err).split('\n').filter((l) => l && !/^-*\^$/.test(l.trim())).pop() ?? 'syntax error';
    errors.push({ field, line, message: `feil i flettefeltene: ${msg.replace(/^Parse error on line \d+:\s*/, '')}` });
    return { errors, links, fields };
  }
  const at = (node: hbs.AST.Node) => ({ line: node.loc?.start.line ?? 1, column: (node.loc?.start.column ?? 0) + 1 });

  const checkPath = (node: hbs.AST.Node, where: hbs.AST.Node): void => {
    if (node.type !== 'PathExpression') {
      errors.push({ field, ...at(where), message: 'her kan bare navn på flettefelt brukes (ikke tekst eller uttrykk)' });
      return;
    }
    const p = node as hbs.AST.PathExpression;
    const name = p.original;
    if (p.data || p.depth > 0 || /^(this|\.)/.test(name) || name.includes('/') || name.includes('[')) {
      errors.push({ field, ...at(where), message: `«${name}» er ikke et flettefelt` });
      return;
    }
    if (PLAIN_FIELDS.has(name)) { fields.add(name); return; }
    if (LINK_NAME.test(name)) { links.add(name.slice(6)); fields.add(name); return; }
    if (BALLOT_SET.has(name)) {
      if (category === 'ballot') { fields.add(name); return; }
      errors.push({ field, ...at(where), message: `«${name}» finnes bare i maler i kategorien uravstemning` });
      return;
    }
    errors.push({ field, ...at(where), message: `ukjent flettefelt "${name}"; kjente felt: ${knownFieldNames(category).join(', ')}` });
  };

  const walk = (prog: hbs.AST.Program | undefined): void => {
    if (!prog) return;
    for (const st of prog.body) {
      switch (st.type) {
        case 'ContentStatement':
        case 'CommentStatement':
          break;
        case 'MustacheStatement': {
          const s = st as hbs.AST.MustacheStatement;
          if (!s.escaped) errors.push({ field, ...at(s), message: 'utdata uten escaping ({{{…}}} eller {{&…}}) er ikke tillatt: medlemsdata skal aldri bli markup' });
          if (s.params.length || (s.hash && s.hash.pairs.length)) {
            errors.push({ field, ...at(s), message: `«${(s.path as any).original ?? '?'}» kan ikke brukes her; bare {{#if felt}} og {{#unless felt}} finnes` });
            break;
          }
          const name = (s.path as any).original;
          if (name === 'if' || name === 'unless' || name === 'else') {
            errors.push({ field, ...at(s), message: `{{${name}}} må skrives som en blokk: {{#${name} felt}}…{{/${name}}}` });
            break;
          }
          checkPath(s.path, s);
          break;
        }
        case 'BlockStatement': {
          const b = st as hbs.AST.BlockStatement;
          const name = (b.path as any).original;
          if (name !== 'if' && name !== 'unless') {
            errors.push({ field, ...at(b), message: `ukjent blokk «${name}»; bare {{#if felt}} og {{#unless felt}} finnes` });
            break;
          }
          if (b.params.length !== 1 || (b.hash && b.hash.pairs.length)) {
            errors.push({ field, ...at(b), message: `{{#${name}}} tar nøyaktig ett flettefelt` });
          } else {
            checkPath(b.params[0], b);
          }
          walk(b.program);
          walk(b.inverse);
          break;
        }
        default:
          errors.push({ field, ...at(st), message: `${({ partial: 'delmaler', comment: 'kommentarer', decorator: 'dekoratører' } as Record<string, string>)[st.type.replace('Statement', '').replace('Block', '').toLowerCase()] ?? st.type} er ikke tillatt i maler` });
      }
    }
  };
  walk(ast);
  return { errors, links, fields };
}

/** The context Handlebars sees: nothing undefined at the top, links and ballot always objects. */
export function mergeContext(fields: MergeFields, unionName: string): Record<string, unknown> {
  return {
    ...fields,
    links: fields.links ?? {},
    ballot: fields.ballot ?? {},
    unionName,
  };
}

/** A register member as src/members' MemberView (or a similar row) → merge fields. */
export function mergeFieldsFromMember(m: {
  firstName: string; lastName: string; memberNumber: string; workplace?: string | null; employer?: string | null;
  municipality?: string | null; county?: string | null; branch?: string | null; club?: string | null;
  agreements?: string[] | null; agreement?: string | null;
}, extra: { unsubscribeUrl?: string; preferencesUrl?: string; links?: Record<string, string>; ballot?: BallotFields } = {}): MergeFields {
  return {
    firstName: m.firstName,
    lastName: m.lastName,
    memberNumber: m.memberNumber,
    workplace: m.workplace ?? '',
    employer: m.employer ?? '',
    municipality: m.municipality ?? '',
    county: m.county ?? '',
    branch: m.branch ?? '',
    club: m.club ?? '',
    agreement: m.agreement ?? (m.agreements ?? []).join(', '),
    unsubscribeUrl: extra.unsubscribeUrl ?? '',
    preferencesUrl: extra.preferencesUrl ?? '',
    links: extra.links ?? {},
    ...(extra.ballot ? { ballot: extra.ballot } : {}),
  };
}

/** Picks the member's language when the template has it, else bokmål. */
export function chooseLanguage(wanted: string | null | undefined, available: Iterable<Lang>): Lang {
  const set = new Set(available);
  return wanted && set.has(wanted as Lang) ? (wanted as Lang) : 'nb';
}
