import express, { type Request, type Response, type RequestHandler } from 'express';
import Joi from 'joi';
import type { Hub } from '../hub';
import { JOI_MESSAGES_NB, Problem, type FieldError } from '../errors';
import { resolveStaff, type Role, type Staff } from '../auth';
import { findNationalId, NATIONAL_ID_MESSAGE } from '../members/national-id';
import { labelOf } from '../vocabulary';

export interface RouteSpec {
  summary: string;
  /** Who may call it; 'public' needs no credentials (webhooks, member links). */
  roles: Role[] | 'public';
  params?: Joi.ObjectSchema;
  query?: Joi.ObjectSchema;
  body?: Joi.Schema;
  tags?: string[];
  /** The largest JSON body this route takes, in bytes (the /api parser's 1 MB is the ceiling for all). */
  maxBodyBytes?: number;
  /**
   * Contract C4: the success responses, by status, for /api/openapi.json. A joi schema describes a
   * JSON body; `{ contentType }` a PDF, HTML, CSV… answer; `null` a response without a body (204).
   * Every new route declares its responses.
   */
  responses?: Record<number, ResponseSpec | ResponseSpec[] | null>;
  /** A request body that is not JSON (a CSV import), described for the OpenAPI document. */
  requestContent?: { contentType: string | string[]; description?: string; schema?: Joi.Schema };
}

/** One success response of a route (see RouteSpec.responses). */
export type ResponseSpec = Joi.Schema | { contentType: string; description?: string; schema?: Joi.Schema };

const BINARY_TYPES = /^(application\/(pdf|zip|octet-stream)|image\/)/;

/** Every JSON body under /api is parsed with this limit, before anyone is authenticated. */
export const API_JSON_LIMIT_BYTES = 1024 * 1024;
const BODY_BYTES = Symbol('bodyBytes');

/** express.json's `verify` hook: remembers how many bytes the body had, for the per-route limit. */
export function rememberBodySize(req: unknown, _res: unknown, buf: Buffer): void {
  (req as Record<symbol, number>)[BODY_BYTES] = buf.length;
}

/**
 * C0 control characters other than tab, LF and CR, DEL and the C1 controls: never meaningful in
 * a name, an address, a template or a search, and NUL breaks PostgreSQL text. In params and
 * query strings tab, LF and CR are refused too.
 */
// eslint-disable-next-line no-control-regex -- finding control characters is the point
const CONTROL_IN_BODY = /[\u0000-\u0008\u000B\u000C\u000E-\u001F\u007F-\u009F]/;
// eslint-disable-next-line no-control-regex -- finding control characters is the point
const CONTROL_IN_URL = /[\u0000-\u001F\u007F-\u009F]/;

/** Throws a 400 problem naming the first string (or key) holding a control character. */
export function assertNoControlCharacters(value: unknown, where: string, strict = false): void {
  const re = strict ? CONTROL_IN_URL : CONTROL_IN_BODY;
  const bad = (path: string) => Problem.badRequest('Forespørselen inneholder et kontrolltegn (for eksempel NUL); ingenting ble gjort.',
    [{ field: path, message: `${path} kan ikke inneholde kontrolltegn` }]);
  const walk = (v: unknown, path: string, depth: number): void => {
    if (typeof v === 'string') { if (re.test(v)) throw bad(path); return; }
    if (!v || typeof v !== 'object' || depth > 64) return;
    if (Array.isArray(v)) { v.forEach((x, i) => walk(x, `${path}.${i}`, depth + 1)); return; }
    for (const [k, x] of Object.entries(v)) {
      if (re.test(k)) throw bad(path);
      walk(x, `${path}.${k}`, depth + 1);
    }
  };
  walk(value, where, 0);
}

/**
 * No national identity number is stored anywhere: a checksum-valid fødselsnummer or d-nummer in
 * any string of a request is refused (400 naming the field), before any handler sees it. The
 * value itself is never echoed.
 */
export function assertNoNationalId(value: unknown, where: string): void {
  const path = findNationalId(value, where);
  if (path) throw Problem.badRequest(`${path} ${NATIONAL_ID_MESSAGE}; ingenting ble gjort.`, [{ field: path, message: NATIONAL_ID_MESSAGE }]);
}

/** An AbortSignal that fires when the client goes away before the response is finished. */
export function clientGone(res: Response): AbortSignal {
  const ac = new AbortController();
  res.on('close', () => { if (!res.writableFinished) ac.abort(); });
  return ac.signal;
}

export interface RouteInput<P = any, Q = any, B = any> {
  hub: Hub;
  staff: Staff;
  params: P;
  query: Q;
  body: B;
  req: Request;
  res: Response;
  /** Aborts when the client goes away (cancel long queries with it). */
  signal: AbortSignal;
}

export type Handler = (input: RouteInput) => Promise<unknown> | unknown;

const EMPTY = Joi.object({});

function joiErrors(err: Joi.ValidationError, where: string): FieldError[] {
  return err.details.map((d) => ({ field: [where, ...d.path].join('.'), message: d.message.replace(/"/g, '') }));
}

const WHERE_NB: Record<string, string> = { body: 'innhold i forespørselen', query: 'søkeparametre', params: 'adresse' };


export function validatePart<T>(schema: Joi.Schema, value: unknown, where: string): T {
  const { value: v, error } = schema.validate(value ?? {}, { abortEarly: false, stripUnknown: false, convert: true, messages: JOI_MESSAGES_NB });
  if (error) throw Problem.badRequest(`Ugyldig ${WHERE_NB[where] ?? where}`, joiErrors(error, where));
  return v as T;
}

/**
 * The one way to declare an endpoint: every params, query and body is validated with joi
 * (an unset schema means "nothing allowed"), roles are checked before the handler runs, and the
 * declaration feeds /api/openapi.json.
 */
export class Api {
  readonly router = express.Router();
  private readonly ops: { method: string; path: string; spec: RouteSpec }[] = [];

  constructor(private readonly hub: Hub, private readonly base = '') {}

  get(path: string, spec: RouteSpec, h: Handler): void { this.add('get', path, spec, h); }
  post(path: string, spec: RouteSpec, h: Handler): void { this.add('post', path, spec, h); }
  put(path: string, spec: RouteSpec, h: Handler): void { this.add('put', path, spec, h); }
  patch(path: string, spec: RouteSpec, h: Handler): void { this.add('patch', path, spec, h); }
  delete(path: string, spec: RouteSpec, h: Handler): void { this.add('delete', path, spec, h); }

  private add(method: 'get' | 'post' | 'put' | 'patch' | 'delete', path: string, spec: RouteSpec, h: Handler): void {
    this.ops.push({ method, path, spec });
    const hub = this.hub;
    const wrapped: RequestHandler = async (req, res) => {
      const signal = clientGone(res);
      const bytes = (req as unknown as Record<symbol, number | undefined>)[BODY_BYTES];
      if (spec.maxBodyBytes !== undefined && bytes !== undefined && bytes > spec.maxBodyBytes) {
        throw new Problem(413, 'Content Too Large', `Innholdet i forespørselen er ${bytes} byte; her tas det imot høyst ${spec.maxBodyBytes}.`,
          { extra: { limit: 'body', max: spec.maxBodyBytes } });
      }
      let staff: Staff | null = null;
      if (spec.roles !== 'public') {
        const s = await resolveStaff(hub, req);
        if (s === 'invalid') throw Problem.unauthorized('API-nøkkelen (bearer token) er ukjent eller trukket tilbake.');
        if (!s) throw Problem.unauthorized();
        if (!spec.roles.includes(s.role)) throw Problem.forbidden(`Dette krever en av rollene: ${spec.roles.map((x) => labelOf('staffRole', x)).join(', ')}.`);
        staff = s;
      }
      assertNoControlCharacters(req.params, 'params', true);
      assertNoControlCharacters(req.query, 'query', true);
      if (bytes !== undefined) assertNoControlCharacters(req.body, 'body');
      assertNoNationalId(req.params, 'params');
      assertNoNationalId(req.query, 'query');
      if (bytes !== undefined) assertNoNationalId(req.body, 'body');
      const params = validatePart(spec.params ?? EMPTY, req.params, 'params');
      const query = validatePart(spec.query ?? EMPTY, req.query, 'query');
      const body = spec.body ? validatePart(spec.body, req.body, 'body') : undefined;
      const out = await h({ hub, staff: staff as Staff, params, query, body, req, res, signal });
      if (res.headersSent) return;
      if (out === undefined) res.status(res.statusCode === 200 ? 204 : res.statusCode).end();
      else res.json(out);
    };
    this.router[method](path, wrapped);
  }

  openapi(): { paths: Record<string, Record<string, unknown>>; schemas: Record<string, unknown> } {
    const paths: Record<string, Record<string, unknown>> = {};
    const schemas: Record<string, unknown> = {};
    const toSchema = (d: any) => describeSchema(d, schemas);
    for (const { method, path, spec } of this.ops) {
      const p = (this.base + path).replace(/:([A-Za-z0-9_]+)/g, '{$1}');
      const parameters = [
        ...describeKeys(spec.params, schemas).map((k) => ({ name: k.name, in: 'path', required: true, schema: k.schema })),
        ...describeKeys(spec.query, schemas).map((k) => ({ name: k.name, in: 'query', required: k.required, schema: k.schema })),
      ];
      paths[p] ??= {};
      paths[p][method] = {
        summary: spec.summary,
        tags: spec.tags,
        security: spec.roles === 'public' ? [] : [{ bearer: [] }],
        'x-roles': spec.roles,
        parameters,
        ...(spec.body ? { requestBody: { required: true, content: { 'application/json': { schema: toSchema(spec.body.describe()) } } } } : {}),
        ...(spec.requestContent ? { requestBody: describeRequestContent(spec.requestContent, toSchema) } : {}),
        responses: {
          ...Object.fromEntries(Object.entries(spec.responses ?? {}).map(([status, r]) => [status, describeResponse(r, toSchema)])),
          default: { description: 'Error', content: { 'application/problem+json': { schema: { $ref: '#/components/schemas/Problem' } } } },
        },
      };
    }
    return { paths, schemas };
  }
}

/**
 * The operations of an OpenAPI document (as openApiDocument builds it) that declare no 2xx
 * response: a route must say what it answers (RouteSpec.responses), so a new one cannot forget.
 */
export function operationsWithoutSuccessResponse(doc: { paths?: unknown }): string[] {
  const out: string[] = [];
  for (const [path, ops] of Object.entries((doc.paths ?? {}) as Record<string, Record<string, { responses?: Record<string, unknown> }>>)) {
    for (const [method, op] of Object.entries(ops)) {
      if (!Object.keys(op.responses ?? {}).some((s) => /^2\d\d$/.test(s))) out.push(`${method.toUpperCase()} ${path}`);
    }
  }
  return out;
}

function describeRequestContent(rc: NonNullable<RouteSpec['requestContent']>, toSchema: (d: any) => Record<string, unknown>): Record<string, unknown> {
  const types = Array.isArray(rc.contentType) ? rc.contentType : [rc.contentType];
  const content = Object.fromEntries(types.map((t) => [t, { schema: /json/.test(t) && rc.schema ? toSchema(rc.schema.describe()) : { type: 'string' } }]));
  return { required: true, ...(rc.description ? { description: rc.description } : {}), content };
}

function describeResponse(r: ResponseSpec | ResponseSpec[] | null, toSchema: (d: any) => Record<string, unknown>): Record<string, unknown> {
  if (r === null) return { description: 'No content' };
  // Several content types under one status (CSV or OpenPGP, as the request chose).
  if (Array.isArray(r)) {
    const each = r.map((x) => describeResponse(x, toSchema));
    return { description: each.map((e) => e.description).join('; or '), content: Object.assign({}, ...each.map((e) => e.content)) };
  }
  if (Joi.isSchema(r)) return { description: 'OK', content: { 'application/json': { schema: toSchema(r.describe()) } } };
  const schema = r.schema ? toSchema(r.schema.describe()) : BINARY_TYPES.test(r.contentType) ? { type: 'string', format: 'binary' } : { type: 'string' };
  return { description: r.description ?? 'OK', content: { [r.contentType]: { schema } } };
}

function describeKeys(schema: Joi.ObjectSchema | undefined, schemas: Record<string, unknown>): { name: string; required: boolean; schema: unknown }[] {
  if (!schema) return [];
  const d = schema.describe() as any;
  return Object.entries(d.keys ?? {}).map(([name, k]: [string, any]) => ({ name, required: k.flags?.presence === 'required', schema: describeSchema(k, schemas) }));
}

const componentName = (id: string) => id.charAt(0).toUpperCase() + id.slice(1);

/**
 * A compact joi → JSON Schema (2020-12, as OpenAPI 3.1 uses) mapping. A schema with a joi `id`
 * becomes a component (`#/components/schemas/<Id>`) so recursive grammars (the audience filter,
 * whose `Joi.link` points at its own id) are described once; `.meta({ openapi: schema })` lets a
 * loosely validated field (checked later in code) show the schema it is really checked against.
 */
function describeSchema(d: any, schemas: Record<string, unknown>): Record<string, unknown> {
  if (!d) return {};
  // describe() describes a schema held in meta too; a schema object is described here.
  const asDocumented = (d.metas ?? []).find((m: any) => m && typeof m.openapi === 'object')?.openapi;
  if (asDocumented) return describeSchema(Joi.isSchema(asDocumented) ? asDocumented.describe() : asDocumented, schemas);
  if (d.flags?.id && d.type !== 'link') {
    const name = componentName(String(d.flags.id));
    if (!(name in schemas)) {
      schemas[name] = {};
      schemas[name] = describeSchema({ ...d, flags: { ...d.flags, id: undefined } }, schemas);
    }
    const ref = { $ref: `#/components/schemas/${name}` };
    return Array.isArray(d.allow) && d.allow.includes(null) ? { anyOf: [ref, { type: 'null' }] } : ref;
  }
  const toSchema = (x: any) => describeSchema(x, schemas);
  const out: Record<string, unknown> = {};
  switch (d.type) {
    case 'object': {
      out.type = 'object';
      if (d.keys) {
        out.properties = Object.fromEntries(Object.entries(d.keys).map(([k, v]) => [k, toSchema(v)]));
        const req = Object.entries(d.keys).filter(([, v]: [string, any]) => v.flags?.presence === 'required').map(([k]) => k);
        if (req.length) out.required = req;
      }
      // Joi refuses keys it does not name unless told otherwise; the document says the same, so
      // an answer with an undeclared field fails the contract test instead of leaking quietly.
      if (d.patterns?.length) out.additionalProperties = d.patterns[0].rule ? toSchema(d.patterns[0].rule) : {};
      else if (d.keys && d.flags?.unknown !== true) out.additionalProperties = false;
      break;
    }
    case 'array': out.type = 'array'; out.items = d.items?.[0] ? toSchema(d.items[0]) : {}; break;
    case 'number': out.type = d.rules?.some((r: any) => r.name === 'integer') ? 'integer' : 'number'; break;
    case 'boolean': out.type = 'boolean'; break;
    case 'date': out.type = 'string'; out.format = 'date-time'; break;
    // Joi tries alternatives in order and takes the first that matches: anyOf, not oneOf.
    case 'alternatives': out.anyOf = (d.matches ?? []).flatMap((m: any) => (m.schema ? [m.schema] : [m.then, m.otherwise].filter(Boolean))).map(toSchema); break;
    case 'link': {
      // Joi.link('#id') describes as { ref: { type: 'local', path: [id] } }.
      const ref = d.link?.ref;
      const id = typeof ref === 'string' ? ref.replace(/^#/, '') : ref?.path?.[0];
      if (id) out.$ref = `#/components/schemas/${componentName(String(id))}`;
      break;
    }
    case 'any': break;
    case 'binary': out.type = 'string'; out.format = 'binary'; break;
    default: out.type = 'string';
  }
  if (d.type === 'string' && d.rules?.some((r: any) => r.name === 'isoDate')) out.format = 'date-time';
  const format = (d.metas ?? []).find((m: any) => m && typeof m.format === 'string')?.format;
  if (format) out.format = format;
  if (d.allow && d.flags?.only) out.enum = d.allow;
  // `.allow(null)`: the server accepts null, so the schema says so (OpenAPI 3.1 type arrays).
  if (Array.isArray(d.allow) && d.allow.includes(null) && typeof out.type === 'string') out.type = [out.type, 'null'];
  if (d.flags?.description) out.description = d.flags.description;
  return out;
}
