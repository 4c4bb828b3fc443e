import Joi from 'joi';
import type { Api } from '../http/api';
import { Problem } from '../errors';
import { id, nullableStr, shape } from '../http/schemas';

/** Reference lists for filter builders and forms. None of them holds personal data. */
export function registerReferenceRoutes(api: Api): void {
  const roles = ['admin', 'communications', 'representative', 'auditor'] as const;
  const code = Joi.string();
  /** Each list's rows, as the SQL below selects them (snake_case, as stored). */
  const rows: Record<string, Joi.Schema> = {
    counties: shape({ code, name: code }),
    municipalities: shape({ number: code, name: code, county_code: code }),
    employers: shape({ id, org_number: code, name: code }),
    workplaces: shape({ id, org_number: code, name: code, employer_id: id.allow(null) }),
    branches: shape({ id, code, name: code }),
    clubs: shape({ id, code, name: code, branch_id: id.allow(null) }),
    agreements: shape({ id, code, name: code, bargaining_area: nullableStr }),
  };
  const lists: Record<string, string> = {
    counties: 'SELECT code, name FROM counties ORDER BY code',
    municipalities: 'SELECT number, name, county_code FROM municipalities ORDER BY name',
    employers: 'SELECT id, org_number, name FROM employers ORDER BY name',
    workplaces: 'SELECT w.id, w.org_number, w.name, w.employer_id FROM workplaces w ORDER BY w.name',
    branches: 'SELECT id, code, name FROM branches ORDER BY name',
    clubs: 'SELECT id, code, name, branch_id FROM clubs ORDER BY name',
    agreements: 'SELECT id, code, name, bargaining_area FROM agreements ORDER BY code',
  };
  for (const [name, sql] of Object.entries(lists)) {
    api.get(`/reference/${name}`, { summary: `Reference list: ${name}`, roles: [...roles], tags: ['reference'], responses: { 200: Joi.array().items(rows[name]) } },
      async ({ hub }) => hub.db.many(sql));
  }
  api.get('/reference/postcodes/:postcode', {
    summary: 'Municipality and county of a postcode',
    roles: [...roles],
    tags: ['reference'],
    params: Joi.object({ postcode: Joi.string().pattern(/^\d{4}$/).required() }),
    responses: { 200: shape({ postcode: Joi.string(), place: Joi.string(), municipality_number: Joi.string(), municipality: Joi.string(), county_code: Joi.string(), county: Joi.string() }) },
  }, async ({ hub, params }) => {
    const row = await hub.db.one(
    `SELECT p.postcode, p.place, p.municipality_number, m.name AS municipality, c.code AS county_code, c.name AS county
       FROM postal_codes p JOIN municipalities m ON m.number = p.municipality_number JOIN counties c ON c.code = m.county_code
      WHERE p.postcode = $1`, [params.postcode]);
    if (!row) throw Problem.notFound(`Fant ikke postnummer ${params.postcode}.`);
    return row;
  });
}
