import { DateTime } from 'luxon';
import type { Queryable } from '../db';
import type { Config } from '../config';
import type { Channel } from '../consent';
import { Problem } from '../errors';
import { labelOf } from '../vocabulary';
import { loadTemplateVersion, type TemplateVersion } from '../render';

export type CampaignState = 'draft' | 'scheduled' | 'running' | 'paused' | 'completed' | 'cancelled';
export type CampaignKind = 'campaign' | 'single' | 'ballot' | 'register_event' | 'test';

/** A campaign as the senders and the API see it. */
export interface Campaign {
  id: number;
  kind: CampaignKind;
  name: string;
  category: string;
  channels: Channel[];
  state: CampaignState;
  /** Why a paused campaign is paused: 'staff', or 'provider_unavailable' (a halt); null otherwise. */
  pausedReason: 'staff' | 'provider_unavailable' | null;
  audience: unknown;
  sendAt: string | null;
  /** Template version id per channel. */
  templates: Partial<Record<Channel, number>>;
  links: Record<string, string>;
  printMode: 'letters' | 'address_list';
  createdBy: number | null;
  createdAt: string;
  updatedAt: string;
  approval: { required: boolean; requestedBy: number | null; requestedAt: string | null; approvedBy: number | null; approvedAt: string | null };
  launchedAt: string | null;
  /** When the audience snapshot was complete; null before launch and while it is being taken. */
  snapshotAt: string | null;
  /** The audience snapshot (a queue job after launch): not started, being taken, or done; log rows written so far. */
  snapshot: { state: 'pending' | 'taking' | 'done'; taken: number };
  /** Optional email delivery window (null: as fast as possible); `plan` once the snapshot has started. */
  deliveryWindow: ({ minutes: number } | { perHour: number }) & { plan?: { batchSize: number; intervalMs: number; startAt: number } } | null;
  completedAt: string | null;
  cancelledAt: string | null;
  audienceSize: number | null;
}

function iso(d: Date | null): string | null {
  return d ? d.toISOString() : null;
}

export function campaignFromRow(r: Record<string, any>): Campaign {
  return {
    id: r.id,
    kind: r.kind,
    name: r.name,
    category: r.category,
    channels: r.channels,
    state: r.state,
    pausedReason: r.state === 'paused' ? r.paused_reason ?? 'staff' : null,
    audience: r.audience,
    sendAt: iso(r.send_at),
    templates: r.templates ?? {},
    links: r.links ?? {},
    printMode: r.print_mode,
    createdBy: r.created_by,
    createdAt: iso(r.created_at)!,
    updatedAt: iso(r.updated_at)!,
    approval: {
      required: r.approval_requested_at !== null && r.approved_at === null,
      requestedBy: r.approval_requested_by, requestedAt: iso(r.approval_requested_at),
      approvedBy: r.approved_by, approvedAt: iso(r.approved_at),
    },
    launchedAt: iso(r.launched_at),
    snapshotAt: iso(r.snapshot_at),
    snapshot: {
      state: r.snapshot_at ? 'done' : r.snapshot_cursor === null || r.snapshot_cursor === undefined ? 'pending' : 'taking',
      taken: r.snapshot_taken ?? 0,
    },
    deliveryWindow: r.delivery_window ?? null,
    completedAt: iso(r.completed_at),
    cancelledAt: iso(r.cancelled_at),
    audienceSize: r.audience_size,
  };
}

export async function loadCampaign(db: Queryable, id: number, opts: { forUpdate?: boolean } = {}): Promise<Campaign> {
  // NO KEY UPDATE: a ballot notification that references the campaign (a key-share lock, held
  // while the ballot's transaction launches it) must not block the launch.
  const { rows } = await db.query(`SELECT * FROM campaigns WHERE id = $1${opts.forUpdate ? ' FOR NO KEY UPDATE' : ''}`, [id]);
  if (!rows[0]) throw Problem.notFound(`Fant ingen kampanje ${id}.`);
  return campaignFromRow(rows[0]);
}

const ACTION_NB: Record<string, string> = {
  schedule: 'planlegges', start: 'startes', pause: 'settes på pause', resume: 'gjenopptas', cancel: 'avbrytes', edit: 'endres', approve: 'godkjennes',
};

/** The legal moves; anything else is a 409 naming the state. */
const TRANSITIONS: Record<string, CampaignState[]> = {
  schedule: ['draft'],
  start: ['draft', 'scheduled'],
  pause: ['running'],
  resume: ['paused'],
  cancel: ['draft', 'scheduled', 'running', 'paused'],
  edit: ['draft'],
  approve: ['draft', 'scheduled'],
};

export function assertTransition(c: Pick<Campaign, 'id' | 'state'>, action: keyof typeof TRANSITIONS): void {
  if (!TRANSITIONS[action].includes(c.state)) {
    throw Problem.conflict(`Kampanje ${c.id} har status «${labelOf('campaignState', c.state)}»; den kan ikke ${ACTION_NB[action] ?? action} nå.`,
      { state: c.state, action });
  }
}

/** Template versions are immutable: cache them per process by id. */
const versions = new Map<number, Promise<TemplateVersion>>();
export function templateVersion(db: Queryable, id: number): Promise<TemplateVersion> {
  let v = versions.get(id);
  if (!v) {
    v = loadTemplateVersion(db, id);
    v.catch(() => versions.delete(id));
    if (versions.size > 500) versions.clear();
    versions.set(id, v);
  }
  return v;
}

export interface CategoryRow { code: string; nameNb: string; declinable: boolean; defaultOn: boolean; channels: Channel[] }

export async function loadCategory(db: Queryable, code: string): Promise<CategoryRow | null> {
  const { rows } = await db.query('SELECT code, name_nb, declinable, default_on, channels FROM message_categories WHERE code = $1', [code]);
  return rows[0] ? { code: rows[0].code, nameNb: rows[0].name_nb, declinable: rows[0].declinable, defaultOn: rows[0].default_on, channels: rows[0].channels } : null;
}

/**
 * SMS quiet hours (default 21:00–08:00, Europe/Oslo): the end of the window when `now` falls in
 * it, else null. Strike messages are never held.
 */
export function quietUntil(config: Pick<Config, 'smsQuietHours'>, category: string, now: Date): Date | null {
  if (category === 'strike') return null;
  const { start, end } = config.smsQuietHours;
  if (start === end) return null;
  const t = DateTime.fromJSDate(now, { zone: 'Europe/Oslo' });
  const at = (hhmm: string, base: DateTime) => { const [h, m] = hhmm.split(':').map(Number); return base.set({ hour: h, minute: m, second: 0, millisecond: 0 }); };
  const s = at(start, t);
  const e = at(end, t);
  if (s < e) return t >= s && t < e ? e.toJSDate() : null;
  // The window crosses midnight: [start, 24:00) ∪ [00:00, end).
  if (t >= s) return at(end, t.plus({ days: 1 })).toJSDate();
  if (t < e) return e.toJSDate();
  return null;
}
