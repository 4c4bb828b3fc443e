import type { Hub } from '../hub';
import { createEmailProvider, createSmsProvider, type EmailProvider, type SmsProvider } from '../providers';
import { escapeHtml } from '../web/html';
import { createMemberLink } from './one-time';
import { CHANNEL_NAMES, type Lang } from './i18n';
import { hasAddressSql, suppressionKey, type Channel } from './decision';

/**
 * The two service messages the member pages send to a member's own address: the one-time link
 * to the preference centre (preference entry) and the confirmation of an opt-in grant (double
 * opt-in). Category `service`: they answer the member's own request, so no opt-out applies, but
 * a suppressed address (hard bounce, complaint, invalid number) is never used.
 *
 * They go out through the same SendGrid and Twilio adapters as campaigns (src/providers: real
 * SDKs, the emulators in tests) but not through the send log: they belong to no campaign, and the
 * link in them must not be stored anywhere staff can read it. Click and open tracking are off,
 * so the provider never rewrites (or fetches) the one-time link.
 */
const emailProviders = new WeakMap<Hub, EmailProvider>();
const smsProviders = new WeakMap<Hub, SmsProvider>();
function email(hub: Hub): EmailProvider {
  let p = emailProviders.get(hub);
  if (!p) emailProviders.set(hub, (p = createEmailProvider(hub.config, { timeoutMs: 15_000 })));
  return p;
}
function sms(hub: Hub): SmsProvider {
  let p = smsProviders.get(hub);
  if (!p) smsProviders.set(hub, (p = createSmsProvider(hub.config, { timeoutMs: 15_000 })));
  return p;
}

interface Text { subject: string; text: string; sms: string }

const ENTRY: Record<Lang, (first: string, union: string, url: string) => Text> = {
  nb: (first, union, url) => ({
    subject: 'Lenke til innstillingene dine',
    text: `Hei ${first}!\n\nNoen, forhåpentlig du, ba om en lenke til innstillingene dine hos ${union}. Lenken virker én gang og i 30 minutter:\n\n${url}\n\nBa du ikke om dette, kan du se bort fra meldingen. Ingenting er endret.\n\nHilsen ${union}`,
    sms: `${union}: Lenke til innstillingene dine (virker én gang, i 30 min): ${url}`,
  }),
  nn: (first, union, url) => ({
    subject: 'Lenkje til innstillingane dine',
    text: `Hei ${first}!\n\nNokon, forhåpentleg du, bad om ei lenkje til innstillingane dine hos ${union}. Lenkja verkar éin gong og i 30 minutt:\n\n${url}\n\nBad du ikkje om dette, kan du sjå bort frå meldinga. Ingenting er endra.\n\nHelsing ${union}`,
    sms: `${union}: Lenkje til innstillingane dine (verkar éin gong, i 30 min): ${url}`,
  }),
  en: (first, union, url) => ({
    subject: 'Link to your preferences',
    text: `Hello ${first},\n\nSomeone, hopefully you, asked for a link to your preferences with ${union}. The link works once, for 30 minutes:\n\n${url}\n\nIf you did not ask for this, you can ignore this message. Nothing has changed.\n\nRegards, ${union}`,
    sms: `${union}: Link to your preferences (works once, for 30 min): ${url}`,
  }),
};

const CONFIRM: Record<Lang, (first: string, union: string, url: string, cat: string, ch: string) => Text> = {
  nb: (first, union, url, cat, ch) => ({
    subject: `Bekreft at du vil ha «${cat}»`,
    text: `Hei ${first}!\n\nDu, eller noen med en lenke fra en melding til deg, ba om å få «${cat}» på ${ch} fra ${union}. Vi slår det på først når du bekrefter:\n\n${url}\n\nVil du ikke ha dette, gjør du ingenting.\n\nHilsen ${union}`,
    sms: `${union}: Bekreft at du vil ha "${cat}" på SMS: ${url}`,
  }),
  nn: (first, union, url, cat, ch) => ({
    subject: `Stadfest at du vil ha «${cat}»`,
    text: `Hei ${first}!\n\nDu, eller nokon med ei lenkje frå ei melding til deg, bad om å få «${cat}» på ${ch} frå ${union}. Vi slår det på først når du stadfestar:\n\n${url}\n\nVil du ikkje ha dette, gjer du ingenting.\n\nHelsing ${union}`,
    sms: `${union}: Stadfest at du vil ha "${cat}" på SMS: ${url}`,
  }),
  en: (first, union, url, cat, ch) => ({
    subject: `Confirm that you want “${cat}”`,
    text: `Hello ${first},\n\nYou, or someone with a link from a message to you, asked to receive “${cat}” by ${ch} from ${union}. We switch it on only when you confirm:\n\n${url}\n\nIf you do not want this, do nothing.\n\nRegards, ${union}`,
    sms: `${union}: Confirm that you want "${cat}" by SMS: ${url}`,
  }),
};

interface Target { memberId: number; firstName: string; address: string }

/** The member's address on this channel when it may be used (present, not suppressed), with the first name. */
async function target(hub: Hub, memberId: number, channel: 'email' | 'sms'): Promise<Target | null> {
  const r = await hub.db.one(
    `SELECT m.first_name, ${channel === 'email' ? 'btrim(m.email)' : 'm.phone'} AS address
       FROM members m
      WHERE m.id = $1 AND m.status = 'active'
        AND ${hasAddressSql('m', channel)}
        AND NOT EXISTS (SELECT 1 FROM suppressions s WHERE s.channel = $2 AND s.lifted_at IS NULL
                        AND s.address = ${suppressionKey('m', channel)})`, [memberId, channel]);
  return r ? { memberId, firstName: String(r.first_name ?? '').trim(), address: r.address } : null;
}

async function deliver(hub: Hub, channel: 'email' | 'sms', to: Target, t: Text): Promise<void> {
  if (channel === 'email') {
    const htmlBody = t.text.split('\n\n').map((p) => `<p>${escapeHtml(p).replace(/\n/g, '<br>').replace(/(https?:\/\/[^\s<]+)/g, '<a href="$1">$1</a>')}</p>`).join('\n');
    await email(hub).send({
      from: { email: hub.config.unionEmailFrom, name: hub.config.unionName },
      text: t.text, html: `<!doctype html><html><body>${htmlBody}</body></html>`,
      categories: ['service', 'member-link'], metadata: {}, tracking: { clicks: false, opens: false }, sandbox: false,
      // Outside the send log: no reference of ours.
      recipients: [{ to: { email: to.address }, subject: t.subject, headers: {} }],
    });
  } else {
    await sms(hub).send({ to: to.address, body: t.sms });
  }
}

/** Sends a one-time preference-entry link to this member's address on `channel`; false when the address may not be used. */
export async function sendEntryLink(hub: Hub, memberId: number, channel: 'email' | 'sms', lang: Lang): Promise<boolean> {
  const to = await target(hub, memberId, channel);
  if (!to) return false;
  const link = await createMemberLink(hub.db, hub.config, { purpose: 'entry', memberId, sentChannel: channel, now: hub.clock.now() });
  await deliver(hub, channel, to, ENTRY[lang](to.firstName, hub.config.unionName, `${hub.config.publicBaseUrl}/p/l/${link.token}`));
  await hub.db.query('UPDATE member_links SET sent_at = $2 WHERE id = $1', [link.id, hub.clock.now()]);
  hub.log.info({ memberId, channel, linkId: link.id }, 'preference entry link sent');
  return true;
}

/**
 * Records a pending opt-in grant and sends its confirmation to the address of the channel being
 * granted (the click proves control of exactly the address that will get the messages). A
 * confirmation still waiting for the same grant, sent in the last 10 minutes, is not sent again.
 */
export async function sendOptInConfirmation(hub: Hub, memberId: number, category: { code: string; name: string }, channel: Channel, lang: Lang): Promise<boolean> {
  if (channel !== 'email' && channel !== 'sms') return false;
  const now = hub.clock.now();
  const recent = await hub.db.one(
    `SELECT 1 FROM member_links WHERE member_id = $1 AND purpose = 'confirm' AND category = $2 AND consent_channel = $3
        AND consumed_at IS NULL AND expires_at > $4 AND created_at > $5`,
    [memberId, category.code, channel, now, new Date(now.getTime() - 10 * 60_000)]);
  if (recent) return true;
  const to = await target(hub, memberId, channel);
  if (!to) return false;
  const link = await createMemberLink(hub.db, hub.config, { purpose: 'confirm', memberId, sentChannel: channel, category: category.code, consentChannel: channel, now });
  const chName = CHANNEL_NAMES[lang][channel];
  await deliver(hub, channel, to, CONFIRM[lang](to.firstName, hub.config.unionName, `${hub.config.publicBaseUrl}/p/c/${link.token}`, category.name, chName));
  await hub.db.query('UPDATE member_links SET sent_at = $2 WHERE id = $1', [link.id, hub.clock.now()]);
  hub.log.info({ memberId, channel, category: category.code, linkId: link.id }, 'opt-in confirmation sent');
  return true;
}

/** Pending (sent, unconfirmed, unexpired) opt-in grants of a member, as `category.channel`. */
export async function pendingGrants(hub: Hub, memberId: number): Promise<Set<string>> {
  const rows = await hub.db.many(
    `SELECT DISTINCT category, consent_channel FROM member_links
      WHERE member_id = $1 AND purpose = 'confirm' AND sent_at IS NOT NULL AND consumed_at IS NULL AND expires_at > $2`, [memberId, hub.clock.now()]);
  return new Set(rows.map((r) => `${r.category}.${r.consent_channel}`));
}
