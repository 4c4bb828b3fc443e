import type { Hub } from '../hub';
import type { Queryable } from '../db';
import type { Staff } from '../auth';
import { audit } from '../audit';
import { Problem, type FieldError } from '../errors';
import { labelOf } from '../vocabulary';
import type { Channel } from '../consent';
import { validateAudience } from '../audience';
import { loadTemplateVersionOf, loadTemplateVersion, templateLinks, type TemplateVersion } from '../render';
import { campaignCounts } from '../sendlog';
import { loadCampaign, loadCategory, assertTransition, type Campaign, type CampaignKind } from './model';
import type { DeliveryWindow } from './window';

/** A template reference as staff give it: a version id, or a template id with an optional version number (default: latest). */
export type TemplateRef = number | { versionId: number } | { templateId: number; version?: number | null };

export interface CampaignInput {
  name: string;
  category: string;
  channels: Channel[];
  templates: Partial<Record<Channel, TemplateRef>>;
  audience: unknown;
  sendAt?: Date | string | null;
  links?: Record<string, string>;
  printMode?: 'letters' | 'address_list';
  kind?: CampaignKind;
  idempotencyKey?: string | null;
  /** Optional email delivery window (off by default). */
  deliveryWindow?: DeliveryWindow | null;
}

/** Where a template version keeps each channel's content. */
export const CONTENT_OF: Record<Channel, 'mjml' | 'sms' | 'letter'> = { email: 'mjml', sms: 'sms', letter: 'letter' };

async function resolveVersion(db: Queryable, ref: TemplateRef): Promise<TemplateVersion> {
  if (typeof ref === 'number') return loadTemplateVersion(db, ref);
  if ('versionId' in ref) return loadTemplateVersion(db, ref.versionId);
  return loadTemplateVersionOf(db, ref.templateId, ref.version ?? undefined);
}

/**
 * Checks what a campaign will send before it is stored: the category allows every channel, each
 * channel has a template version of the campaign's category with content for that channel, and
 * the audience is a valid filter. Every problem is named by its field.
 */
async function resolveContent(db: Queryable, input: CampaignInput): Promise<Partial<Record<Channel, number>>> {
  const errors: FieldError[] = [];
  const cat = await loadCategory(db, input.category);
  if (!cat) throw Problem.badRequest('Skjemaet har feil.', [{ field: 'body.category', message: `Meldingskategori: ukjent kategori ${input.category}` }]);
  input.channels.forEach((ch, i) => {
    if (!cat.channels.includes(ch)) errors.push({ field: `body.channels.${i}`, message: `Kategorien «${cat.nameNb}» kan ikke sendes som ${labelOf('channel', ch)} (tillatt: ${cat.channels.map((x: string) => labelOf('channel', x)).join(', ')})` });
  });
  const out: Partial<Record<Channel, number>> = {};
  for (const ch of input.channels) {
    const ref = input.templates[ch];
    if (ref === undefined || ref === null) { errors.push({ field: `body.templates.${ch}`, message: `Mal for ${labelOf('channel', ch)} mangler` }); continue; }
    let v: TemplateVersion;
    try {
      v = await resolveVersion(db, ref);
    } catch {
      errors.push({ field: `body.templates.${ch}`, message: 'Fant ikke malen eller versjonen' });
      continue;
    }
    if (v.category !== input.category) errors.push({ field: `body.templates.${ch}`, message: `Malen ${v.key} er for kategorien ${v.category}; kampanjen er i kategorien ${input.category}` });
    else if (!v.languages.nb[CONTENT_OF[ch]]) errors.push({ field: `body.templates.${ch}`, message: `Malen ${v.key} versjon ${v.version} har ikke noe innhold for ${labelOf('channel', ch)}` });
    else {
      out[ch] = v.id;
      for (const l of templateLinks(v)) {
        if (!input.links?.[l] && !errors.some((e) => e.field === `body.links.${l}`)) {
          errors.push({ field: `body.links.${l}`, message: `Malen ${v.key} bruker {{links.${l}}}: gi kampanjen en lenke som heter ${l}` });
        }
      }
    }
  }
  try {
    validateAudience(input.audience, 'body.audience');
  } catch (err) {
    if (!(err instanceof Problem)) throw err;
    errors.push(...(err.errors ?? [{ field: 'body.audience', message: err.message }]));
  }
  if (errors.length) throw Problem.badRequest('Kampanjen har feil.', errors);
  return out;
}

export async function createCampaign(hub: Hub, staff: Staff | null, input: CampaignInput): Promise<Campaign> {
  return (await createCampaignOnce(hub, staff, input)).campaign;
}

/**
 * Creates the campaign unless one with the same idempotency key exists: then that one is the
 * answer (`created: false`). Two submits at once with one key make one campaign: the second
 * INSERT waits on the unique index until the first commits, then finds it.
 */
export async function createCampaignOnce(hub: Hub, staff: Staff | null, input: CampaignInput): Promise<{ campaign: Campaign; created: boolean }> {
  const existing = async () => {
    if (!input.idempotencyKey) return null;
    const r = await hub.db.one('SELECT id FROM campaigns WHERE idempotency_key = $1', [input.idempotencyKey]);
    return r ? { campaign: await loadCampaign(hub.db, r.id), created: false } : null;
  };
  const before = await existing();
  if (before) return before;
  const templates = await resolveContent(hub.db, input);
  const made = await hub.db.tx(async (db) => {
    const { rows } = await db.query(
      `INSERT INTO campaigns (kind, name, category, channels, audience, send_at, templates, links, print_mode, idempotency_key, created_by, delivery_window)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)
       ON CONFLICT (idempotency_key) WHERE idempotency_key IS NOT NULL DO NOTHING RETURNING id`,
      [input.kind ?? 'campaign', input.name, input.category, input.channels, JSON.stringify(input.audience), input.sendAt ?? null,
        JSON.stringify(templates), JSON.stringify(input.links ?? {}), input.printMode ?? 'letters', input.idempotencyKey ?? null, staff?.id ?? null,
        input.deliveryWindow ? JSON.stringify(input.deliveryWindow) : null]);
    if (!rows[0]) return null;
    await audit(db, { staff, action: 'campaign.create', detail: { campaignId: rows[0].id, kind: input.kind ?? 'campaign', category: input.category } });
    return loadCampaign(db, rows[0].id);
  });
  if (made) return { campaign: made, created: true };
  const again = await existing();
  if (!again) throw Problem.conflict('Skjemaets engangsnøkkel er brukt før, og kampanjen den laget, finnes ikke lenger. Last siden på nytt.');
  return again;
}

/** A draft may change; anything launched may not (409). */
export async function updateCampaign(hub: Hub, staff: Staff, id: number, patch: Partial<CampaignInput>): Promise<Campaign> {
  const current = await loadCampaign(hub.db, id);
  assertTransition(current, 'edit');
  const merged: CampaignInput = {
    name: patch.name ?? current.name,
    category: patch.category ?? current.category,
    channels: patch.channels ?? current.channels,
    templates: patch.templates ?? current.templates,
    audience: patch.audience ?? current.audience,
    sendAt: patch.sendAt !== undefined ? patch.sendAt : current.sendAt,
    links: patch.links ?? current.links,
    printMode: patch.printMode ?? current.printMode,
    deliveryWindow: patch.deliveryWindow !== undefined ? patch.deliveryWindow : current.deliveryWindow,
  };
  const templates = await resolveContent(hub.db, merged);
  return hub.db.tx(async (db) => {
    const c = await loadCampaign(db, id, { forUpdate: true });
    assertTransition(c, 'edit');
    await db.query(
      `UPDATE campaigns SET name = $2, category = $3, channels = $4, audience = $5, send_at = $6, templates = $7, links = $8, print_mode = $9,
              delivery_window = $10, approval_requested_by = NULL, approval_requested_at = NULL, approved_by = NULL, approved_at = NULL, updated_at = now()
        WHERE id = $1`,
      [id, merged.name, merged.category, merged.channels, JSON.stringify(merged.audience), merged.sendAt ?? null, JSON.stringify(templates),
        JSON.stringify(merged.links ?? {}), merged.printMode, merged.deliveryWindow ? JSON.stringify(merged.deliveryWindow) : null]);
    await audit(db, { staff, action: 'campaign.update', detail: { campaignId: id } });
    return loadCampaign(db, id);
  });
}

/** Progress per state and channel, including rows retention already folded into anonymous counts. */
export async function campaignProgress(db: Queryable, id: number): Promise<{ total: number; byState: Record<string, number>; byChannel: Record<string, Record<string, number>> }> {
  const byState: Record<string, number> = {};
  const byChannel: Record<string, Record<string, number>> = {};
  let total = 0;
  for (const r of await campaignCounts(db, id)) {
    byState[r.state] = (byState[r.state] ?? 0) + r.n;
    (byChannel[r.channel] ??= {})[r.state] = r.n;
    total += r.n;
  }
  return { total, byState, byChannel };
}
