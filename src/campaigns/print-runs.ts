import fs from 'node:fs';
import path from 'node:path';
import Joi from 'joi';
import type { Api } from '../http/api';
import type { Hub } from '../hub';
import { audit } from '../audit';
import { Problem } from '../errors';
import { count, id, nullableStr, nullableTimestamp, pdf, shape } from '../http/schemas';

/**
 * Letters' print runs (issue 12): each letter batch writes one run, a PDF and the vendor's
 * manifest (or, for a magazine, the distributor's address list), under LETTER_OUTPUT_DIR. Staff
 * download them from the campaign page (audited: they hold names and addresses) and mark each
 * handed to the printer (audited); a run reads "klar til trykk" until then.
 */
export interface PrintRun {
  name: string;
  kind: 'letters' | 'address_list';
  letters: number;
  state: 'ready' | 'handed_over';
  handedOverAt: string | null;
  handedOverBy: string | null;
}

const RUN_NAME = /^[A-Za-z0-9_-]{1,200}$/;
const FILES = { pdf: '.pdf', manifest: '.csv', 'address-list': '.csv' } as const;
type Part = keyof typeof FILES;

export async function listPrintRuns(hub: Hub, campaignId: number): Promise<PrintRun[]> {
  const rows = await hub.db.many(
    `SELECT s.provider_message_id AS file, count(*)::int AS letters, h.handed_over_at, u.name AS handed_over_by
       FROM send_log s
       LEFT JOIN print_run_handovers h ON h.campaign_id = s.campaign_id AND h.run = regexp_replace(s.provider_message_id, '\\.(pdf|csv)$', '')
       LEFT JOIN staff_users u ON u.id = h.handed_over_by
      WHERE s.campaign_id = $1 AND s.channel = 'letter' AND s.provider_message_id ~ '^[A-Za-z0-9_-]+\\.(pdf|csv)$'
      GROUP BY s.provider_message_id, h.handed_over_at, u.name
      ORDER BY s.provider_message_id`, [campaignId]);
  return rows.map((r) => ({
    name: String(r.file).replace(/\.(pdf|csv)$/, ''),
    kind: String(r.file).endsWith('.pdf') ? 'letters' : 'address_list',
    letters: r.letters,
    state: r.handed_over_at ? 'handed_over' : 'ready',
    handedOverAt: r.handed_over_at ? r.handed_over_at.toISOString() : null,
    handedOverBy: r.handed_over_by ?? null,
  }));
}

async function runOf(hub: Hub, campaignId: number, name: string): Promise<PrintRun> {
  const c = await hub.db.one('SELECT id FROM campaigns WHERE id = $1', [campaignId]);
  if (!c) throw Problem.notFound(`Fant ingen kampanje ${campaignId}.`);
  const run = (await listPrintRuns(hub, campaignId)).find((r) => r.name === name);
  if (!run) throw Problem.notFound(`Kampanje ${campaignId} har ingen trykkfil «${name}».`);
  return run;
}

const ROLES = ['admin', 'communications'] as const;
const runParams = Joi.object({ id: Joi.number().integer().min(1).required(), name: Joi.string().pattern(RUN_NAME).required() });
const printRun = shape({
  name: Joi.string(), kind: Joi.string().valid('letters', 'address_list'), letters: count, state: Joi.string().valid('ready', 'handed_over'),
  handedOverAt: nullableTimestamp, handedOverBy: nullableStr,
});

export function registerPrintRunRoutes(api: Api): void {
  api.get('/campaigns/:id/print-runs', {
    summary: "A campaign's letter print runs: letters in each, and whether it is ready for print or handed to the printer",
    roles: [...ROLES], tags: ['campaigns'], params: Joi.object({ id: id.required() }),
    responses: { 200: shape({ runs: Joi.array().items(printRun) }) },
  }, async ({ hub, params }) => {
    const c = await hub.db.one('SELECT id FROM campaigns WHERE id = $1', [params.id]);
    if (!c) throw Problem.notFound(`Fant ingen kampanje ${params.id}.`);
    return { runs: await listPrintRuns(hub, params.id) };
  });

  api.get('/campaigns/:id/print-runs/:name/:part', {
    summary: "Download a print run's PDF, its manifest (CSV) or a magazine's address list (audited: names and addresses)",
    roles: [...ROLES], tags: ['campaigns'],
    params: runParams.keys({ part: Joi.string().valid(...Object.keys(FILES)).required() }),
    responses: { 200: { ...pdf, description: 'The PDF (pdf) or CSV (manifest, address-list), as an attachment' } },
  }, async ({ hub, staff, params, res }) => {
    const run = await runOf(hub, params.id, params.name);
    const part = params.part as Part;
    if ((part === 'address-list') !== (run.kind === 'address_list')) throw Problem.notFound(`Trykkfilen «${run.name}» har ingen ${part === 'pdf' ? 'PDF' : part === 'manifest' ? 'manifest' : 'adresseliste'}.`);
    const file = path.join(path.resolve(hub.config.letterOutputDir, `campaign-${params.id}`), `${run.name}${FILES[part]}`);
    const body = await fs.promises.readFile(file).catch(() => { throw Problem.notFound(`Filen til trykkfilen «${run.name}» finnes ikke lenger på serveren.`); });
    await audit(hub.db, { staff, action: 'print_run.download', rowCount: run.letters, detail: { campaignId: params.id, run: run.name, part } });
    res.status(200).type(part === 'pdf' ? 'application/pdf' : 'text/csv; charset=utf-8')
      .set('Content-Disposition', `attachment; filename="kampanje-${params.id}-${run.name}${part === 'manifest' ? '-manifest' : ''}${FILES[part]}"`)
      .set('Cache-Control', 'no-store').send(body);
    return undefined;
  });

  api.post('/campaigns/:id/print-runs/:name/handed-over', {
    summary: 'Mark a print run handed to the printer (audited; a repeat changes nothing)',
    roles: [...ROLES], tags: ['campaigns'], params: runParams,
    responses: { 200: shape({ run: printRun }) },
  }, async ({ hub, staff, params }) => {
    await runOf(hub, params.id, params.name);
    const r = await hub.db.query(`INSERT INTO print_run_handovers (campaign_id, run, handed_over_by) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING`, [params.id, params.name, staff.id]);
    if (r.rowCount) await audit(hub.db, { staff, action: 'print_run.handed_over', detail: { campaignId: params.id, run: params.name } });
    return { run: await runOf(hub, params.id, params.name) };
  });
}
