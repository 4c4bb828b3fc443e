import Joi from 'joi';
import express from 'express';
import { assertNoControlCharacters, type Api } from '../http/api';
import { audit } from '../audit';
import { getMemberInScope, searchMembers } from './queries';
import { Problem } from '../errors';
import { importMembers } from './import';
import { upsertMember } from './upsert';
import { importReport, memberSchema, memberSearchResponse } from './responses';

/** A JSON import may be up to 10 MB (CSV streams without a limit of its own but the 1 MB record cap). */
export const IMPORT_JSON_LIMIT = '10mb';
const importJson = express.json({ limit: IMPORT_JSON_LIMIT, type: ['application/json', 'application/*+json'] });

export const memberNumberParam = Joi.object({ memberNumber: Joi.string().pattern(/^[A-Za-z0-9-]{1,20}$/).required() });

export function registerMemberRoutes(api: Api): void {
  api.get('/members', {
    summary: 'Search members by number, name ("Etternavn, Fornavn" too; accents ignored), email or phone (representatives: only their own members)',
    roles: ['admin', 'communications', 'representative', 'auditor'],
    tags: ['members'],
    query: Joi.object({
      q: Joi.string().max(100).allow(''),
      limit: Joi.number().integer().min(1).max(500).default(50),
      offset: Joi.number().integer().min(0).default(0),
    }),
    responses: { 200: memberSearchResponse },
  }, async ({ hub, staff, query }) => {
    const result = await searchMembers(hub.db, staff, query);
    await audit(hub.db, { staff, action: query.q ? 'member.search' : 'member.list', rowCount: result.members.length, detail: { q: query.q ?? null, offset: query.offset } });
    return result;
  });

  api.get('/members/:memberNumber', {
    summary: 'One member (representatives: 404 outside their scope)',
    roles: ['admin', 'communications', 'representative', 'auditor'],
    tags: ['members'],
    params: memberNumberParam,
    responses: { 200: memberSchema },
  }, async ({ hub, staff, params }) => {
    const m = await getMemberInScope(hub.db, staff, params.memberNumber);
    await audit(hub.db, { staff, action: 'member.view', memberId: m.id, rowCount: 1 });
    return m;
  });

  api.post('/members/import', {
    summary: 'Import members from the membership register: CSV (text/csv; ; or , delimited, UTF-8 or Windows-1252, '
      + 'Norwegian or English headers) or JSON (an array of members with English keys, or { members: [...] }). '
      + 'Returns { inserted, updated, unchanged, rejected, warnings, errors: [{ row, field, message }] }.',
    roles: ['admin', 'communications'],
    tags: ['members'],
    requestContent: { contentType: ['text/csv', 'application/json'], description: 'The register as CSV (a header row, then one member a line), or JSON member objects' },
    responses: { 200: importReport },
  }, async ({ hub, staff, req, res }) => {
    if (req.is(['application/json', 'application/*+json'])) {
      // Parsed here, after authentication, with the import's own limit (the /api parser skips this route).
      await new Promise<void>((resolve, reject) => importJson(req, res, (err?: unknown) => (err ? reject(err) : resolve())));
      const body = req.body as unknown;
      assertNoControlCharacters(body, 'body');
      const members = Array.isArray(body) ? body : (body && typeof body === 'object' && Array.isArray((body as any).members)) ? (body as any).members : null;
      if (!members) throw Problem.badRequest('En JSON-import er en liste med medlemmer, eller { "members": [...] }; ingenting ble importert.');
      return importMembers(hub, { kind: 'records', records: members }, { staff, via: 'api' });
    }
    if (req.is(['text/csv', 'text/plain', 'application/csv', 'text/comma-separated-values', 'application/vnd.ms-excel', 'application/octet-stream'])) {
      return importMembers(hub, { kind: 'csv', data: req }, { staff, via: 'api' });
    }
    throw new Problem(415, 'Unsupported Media Type', 'Send registeret som text/csv eller application/json.');
  });

  api.put('/members/:memberNumber', {
    summary: 'Create or update one member, as the membership register pushes a change (same validation as the import; '
      + 'keys left out keep their stored values). 201 when created.',
    roles: ['admin', 'communications'],
    tags: ['members'],
    params: memberNumberParam,
    body: Joi.object().unknown(true).description('A member with the import\'s English keys: first_name, last_name, email, phone, street, postcode, '
      + 'language, status, category, workplace_org_number, employer_org_number, branch, club, agreements, joined_at, resigned_at, '
      + 'resignation_reason, dues_outstanding'),
    responses: { 200: memberSchema, 201: memberSchema },
  }, async ({ hub, staff, params, body, res }) => {
    const { created, member } = await upsertMember(hub, staff, params.memberNumber, body);
    if (created) res.status(201);
    return member;
  });
}
