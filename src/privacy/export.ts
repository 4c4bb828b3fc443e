import { DateTime } from 'luxon';
import type { Hub } from '../hub';
import type { Staff } from '../auth';
import { audit } from '../audit';
import { getMemberInScope, type MemberView } from '../members';
import { memberConsents } from '../consent';
import { tableExists } from './schema';
import { labelOf, type VocabularyName } from '../vocabulary';
import { escapeHtml } from '../web/html';

/**
 * Innsyn (GDPR art. 15): everything the hub holds about one member as one document. Every
 * query here is keyed on this member's id or addresses, so nothing about another member can
 * enter it (campaign names and staff roles are the union's, not another member's).
 */
export interface MemberExport {
  documentType: 'budstikke.member-export';
  version: 1;
  generatedAt: string;
  union: string;
  member: Omit<MemberView, 'id'>;
  agreements: { code: string; name: string; bargainingArea: string | null; coveredFrom: string }[];
  roles: { role: string; branch: string | null; club: string | null; workplace: string | null; startsOn: string; endsOn: string | null }[];
  categories: Record<string, { name: string; legalBasis: string; declinable: boolean }>;
  consents: Awaited<ReturnType<typeof memberConsents>>;
  suppressions: { channel: string; address: string; reason: string; at: string; active: boolean; liftedAt: string | null; liftReason: string | null }[];
  messages: {
    campaignId: number; campaign: string; category: string; kind: string; channel: string; state: string; reason: string | null;
    address: string | null; sentAt: string | null; lastEvent: string | null; lastEventAt: string | null; loggedAt: string;
  }[];
  ballotRolls: { ballotId: number; title: string; state: string; opensAt: string; closesAt: string; rollCutoffAt: string | null }[];
  staffAccount: { role: string; email: string; createdAt: string; disabledAt: string | null } | null;
  accessLog: { at: string; action: string; actor: string; actorName: string | null; actorRole: string | null; rowCount: number | null; detail: unknown }[];
  retention: { resignedMemberYears: number; erasureDueOn: string | null; heldForOutstandingDues: boolean };
}

const iso = (v: unknown): string | null => (v === null || v === undefined ? null : v instanceof Date ? v.toISOString() : String(v));

export async function buildMemberExport(hub: Hub, staff: Staff, memberNumber: string, format: 'json' | 'html'): Promise<MemberExport> {
  const db = hub.db;
  const m = await getMemberInScope(db, staff, memberNumber);
  // Audited before it is built, so the document lists its own export among the accesses.
  await audit(db, { staff, action: 'member.export', memberId: m.id, rowCount: 1, detail: { format } });
  const id = m.id;

  const agreements = await db.many(
    `SELECT a.code, a.name, a.bargaining_area, ma.covered_from FROM member_agreements ma JOIN agreements a ON a.id = ma.agreement_id
      WHERE ma.member_id = $1 ORDER BY a.code`, [id]);
  const roles = await db.many(
    `SELECT r.role, b.name AS branch, c.name AS club, w.name AS workplace, r.starts_on, r.ends_on
       FROM member_roles r LEFT JOIN branches b ON b.id = r.branch_id LEFT JOIN clubs c ON c.id = r.club_id
       LEFT JOIN workplaces w ON w.id = r.workplace_id WHERE r.member_id = $1 ORDER BY r.starts_on, r.id`, [id]);
  const cats = await db.many('SELECT code, name_nb, legal_basis, declinable FROM message_categories ORDER BY code');
  const consents = await memberConsents(db, id);
  const sup = await db.many(
    `SELECT channel, address, reason, at, lifted_at, lift_reason FROM suppressions
      WHERE (channel = 'email' AND address = lower(btrim($1))) OR (channel = 'sms' AND address = $2) ORDER BY at`,
    [m.email ?? '', m.phone ?? '']);
  const messages = await db.many(
    `SELECT s.campaign_id, c.name, c.category, c.kind, s.channel, s.state, s.reason, s.address, s.sent_at, s.last_event, s.last_event_at, s.created_at
       FROM send_log s JOIN campaigns c ON c.id = s.campaign_id WHERE s.member_id = $1
      ORDER BY COALESCE(s.sent_at, s.created_at) DESC, s.id DESC`, [id]);
  const rolls = (await tableExists(db, 'ballot_roll_entries')) ? await db.many(
    `SELECT b.id, b.title, b.state, b.opens_at, b.closes_at, b.roll_cutoff_at FROM ballot_roll_entries e JOIN ballots b ON b.id = e.ballot_id
      WHERE e.member_id = $1 ORDER BY b.closes_at DESC`, [id]) : [];
  const account = await db.one('SELECT role, email, created_at, disabled_at FROM staff_users WHERE member_id = $1 ORDER BY id LIMIT 1', [id]);
  const access = await db.many(
    `SELECT a.at, a.action, a.actor, u.name AS actor_name, u.role AS actor_role, a.row_count, a.detail
       FROM audit_log a LEFT JOIN staff_users u ON u.id = a.actor_user_id WHERE a.member_id = $1 ORDER BY a.at DESC, a.id DESC`, [id]);

  const years = hub.config.retention.resignedMemberYears;
  const { id: _id, ...member } = m;
  return {
    documentType: 'budstikke.member-export',
    version: 1,
    generatedAt: hub.clock.now().toISOString(),
    union: hub.config.unionName,
    member,
    agreements: agreements.map((a) => ({ code: a.code, name: a.name, bargainingArea: a.bargaining_area, coveredFrom: a.covered_from })),
    roles: roles.map((r) => ({ role: r.role, branch: r.branch, club: r.club, workplace: r.workplace, startsOn: r.starts_on, endsOn: r.ends_on })),
    categories: Object.fromEntries(cats.map((c) => [c.code, { name: c.name_nb, legalBasis: c.legal_basis, declinable: c.declinable }])),
    consents,
    suppressions: sup.map((s) => ({ channel: s.channel, address: s.address, reason: s.reason, at: iso(s.at)!, active: s.lifted_at === null, liftedAt: iso(s.lifted_at), liftReason: s.lift_reason })),
    messages: messages.map((s) => ({
      campaignId: s.campaign_id, campaign: s.name, category: s.category, kind: s.kind, channel: s.channel, state: s.state, reason: s.reason,
      address: s.address, sentAt: iso(s.sent_at), lastEvent: s.last_event, lastEventAt: iso(s.last_event_at), loggedAt: iso(s.created_at)!,
    })),
    ballotRolls: rolls.map((b) => ({ ballotId: b.id, title: b.title, state: b.state, opensAt: iso(b.opens_at)!, closesAt: iso(b.closes_at)!, rollCutoffAt: iso(b.roll_cutoff_at) })),
    staffAccount: account ? { role: account.role, email: account.email, createdAt: iso(account.created_at)!, disabledAt: iso(account.disabled_at) } : null,
    accessLog: access.map((a) => ({ at: iso(a.at)!, action: a.action, actor: a.actor, actorName: a.actor_name, actorRole: a.actor_role, rowCount: a.row_count, detail: a.detail })),
    retention: {
      resignedMemberYears: years,
      erasureDueOn: m.resignedAt ? DateTime.fromISO(m.resignedAt).plus({ years }).toISODate() : null,
      heldForOutstandingDues: m.duesOutstanding,
    },
  };
}

// ---------------------------------------------------------------------------------------------
// The human-readable version (bokmål), for staff to send the member.

/** The hub's one HTML escaper (src/web/html.ts), for any value. */
const esc = (v: unknown): string => escapeHtml(String(v ?? ''));

function when(v: string | Date | null | undefined, withTime = true): string {
  if (!v) return '–';
  const d = v instanceof Date ? DateTime.fromJSDate(v) : /^\d{4}-\d{2}-\d{2}$/.test(v) ? DateTime.fromISO(v, { zone: 'Europe/Oslo' }) : DateTime.fromISO(v);
  if (!d.isValid) return esc(v);
  const z = d.setZone('Europe/Oslo');
  return withTime && !/^\d{4}-\d{2}-\d{2}$/.test(String(v)) ? z.toFormat('dd.LL.yyyy HH:mm') : z.toFormat('dd.LL.yyyy');
}

// Labels from the one vocabulary (src/vocabulary), as on the staff pages; only the audit actions
// a member sees are worded for the member ("Så på opplysningene dine"), the rest use the vocabulary's.
const nb = (name: VocabularyName, v: string | null | undefined) => labelOf(name, v, 'nb');
/** A send reason inside parentheses: a known one by its label in lower case, a provider's own text as it came. */
const reasonText = (r: string) => { const l = nb('sendReason', r); return l === r ? r : l.charAt(0).toLowerCase() + l.slice(1); };
const ACTION: Record<string, string> = {
  'member.view': 'Så på opplysningene dine', 'member.export': 'Laget innsynsrapport (denne)', 'member.upsert': 'Oppdaterte opplysningene dine',
  'consent.change': 'Registrerte et valg for deg', 'member.import': 'Import fra medlemsregisteret',
};

function table(head: string[], rows: string[][], empty: string): string {
  if (!rows.length) return `<p class="empty">${esc(empty)}</p>`;
  return `<table><thead><tr>${head.map((h) => `<th scope="col">${esc(h)}</th>`).join('')}</tr></thead><tbody>${
    rows.map((r) => `<tr>${r.map((c) => `<td>${c}</td>`).join('')}</tr>`).join('')}</tbody></table>`;
}

function dl(pairs: [string, string][]): string {
  return `<dl>${pairs.map(([k, v]) => `<dt>${esc(k)}</dt><dd>${v}</dd>`).join('')}</dl>`;
}

export function renderExportHtml(doc: MemberExport): string {
  const m = doc.member;
  const cat = (code: string | null) => (code ? esc(doc.categories[code]?.name ?? code) : 'Alle som kan velges bort');
  const register = dl([
    ['Medlemsnummer', esc(m.memberNumber)],
    ['Navn', esc(`${m.firstName} ${m.lastName}`)],
    ['E-post', esc(m.email ?? '–')],
    ['Mobil', esc(m.phone ?? '–')],
    ['Adresse', esc([m.street, [m.postcode, m.postalPlace].filter(Boolean).join(' ')].filter(Boolean).join(', ') || '–')],
    ['Kommune / fylke', esc([m.municipality, m.county].filter(Boolean).join(', ') || '–')],
    ['Språk', esc(nb('language', m.language))],
    ['Status', esc(nb('memberStatus', m.status))],
    ['Medlemskategori', esc(nb('membershipCategory', m.category))],
    ['Innmeldt', when(m.joinedAt, false)],
    ['Utmeldt', m.resignedAt ? `${when(m.resignedAt, false)}${m.resignationReason ? ` (${esc(nb('resignationReason', m.resignationReason))})` : ''}` : '–'],
    ['Arbeidsgiver', esc(m.employer ? `${m.employer} (org.nr. ${m.employerOrgNumber})` : '–')],
    ['Arbeidssted', esc(m.workplace ? `${m.workplace} (org.nr. ${m.workplaceOrgNumber})` : '–')],
    ['Avdeling / klubb', esc([m.branch, m.club].filter(Boolean).join(' / ') || '–')],
    ['Ubetalt kontingent', m.duesOutstanding ? 'Ja' : 'Nei'],
  ]);
  const retention = doc.retention.erasureDueOn
    ? `<p>Du er utmeldt. Opplysningene dine slettes ${when(doc.retention.erasureDueOn, false)}, ${doc.retention.resignedMemberYears} år etter utmeldingen${
      doc.retention.heldForOutstandingDues ? ', men ikke så lenge det står ubetalt kontingent' : ''}.</p>`
    : `<p>Opplysningene dine slettes ${doc.retention.resignedMemberYears} år etter at du melder deg ut. Du kan når som helst be om innsyn, retting eller sletting.</p>`;

  const body = `
<h1>Innsyn: dette har ${esc(doc.union)} lagret om deg</h1>
<p class="meta">Laget ${when(doc.generatedAt)} for medlemsnummer ${esc(m.memberNumber)}. Forbundet lagrer aldri fødselsnummer.</p>
<section><h2>Medlemsopplysninger</h2>${register}</section>
<section><h2>Tariffavtaler</h2>${table(['Avtale', 'Tariffområde', 'Omfattet fra'],
    doc.agreements.map((a) => [esc(`${a.name} (${a.code})`), esc(a.bargainingArea ?? '–'), when(a.coveredFrom, false)]), 'Du er ikke registrert på noen tariffavtale.')}</section>
<section><h2>Tillitsverv</h2>${table(['Verv', 'Gjelder', 'Fra', 'Til'],
    doc.roles.map((r) => [esc(nb('memberRole', r.role)), esc(r.branch ?? r.club ?? r.workplace ?? '–'), when(r.startsOn, false), when(r.endsOn, false)]), 'Du har ingen registrerte tillitsverv.')}</section>
<section><h2>Hva du får tilsendt</h2>
<p>Foretrukket kanal: ${esc(doc.consents.preferredChannel ? nb('channel', doc.consents.preferredChannel) : 'ikke valgt')}.</p>
${table(['Kategori', 'Kanal', 'Status', 'Grunnlag'], doc.consents.current.map((c: any) => [
    cat(c.category), esc(nb('channel', c.channel)),
    esc(!c.declinable ? 'Del av medlemskapet (kan ikke velges bort)' : c.granted ? (c.isDefault ? 'Ja (standard)' : 'Ja (ditt valg)') : (c.isDefault ? 'Nei (standard)' : 'Nei (ditt valg)')),
    esc(doc.categories[c.category]?.legalBasis ?? ''),
  ]), 'Ingen kategorier.')}
<h3>Historikk over valgene dine</h3>
${table(['Tidspunkt', 'Kategori', 'Kanal', 'Valg', 'Hvordan'], doc.consents.history.map((h: any) => [
    when(h.at), cat(h.category), esc(h.channel ? nb('channel', h.channel) : 'Alle'), h.granted ? 'Ja takk' : 'Nei takk', esc(nb('consentSource', h.source)),
  ]), 'Du har ikke gjort noen valg; standardinnstillingene gjelder.')}</section>
<section><h2>Sperrede adresser</h2>${table(['Kanal', 'Adresse', 'Årsak', 'Fra', 'Opphevet'], doc.suppressions.map((s) => [
    esc(nb('channel', s.channel)), esc(s.address), esc(nb('sendReason', s.reason)), when(s.at), s.active ? '–' : when(s.liftedAt),
  ]), 'Ingen av adressene dine er sperret.')}</section>
<section><h2>Meldinger vi har sendt deg</h2>${table(['Sendt', 'Melding', 'Kategori', 'Kanal', 'Til', 'Utfall'], doc.messages.map((s) => [
    when(s.sentAt ?? s.loggedAt), esc(s.campaign), cat(s.category), esc(nb('channel', s.channel)), esc(s.address ?? '–'),
    esc(`${nb('sendState', s.state)}${s.reason ? ` (${reasonText(s.reason)})` : ''}`),
  ]), 'Vi har ikke sendt deg noe.')}</section>
<section><h2>Uravstemninger (manntall)</h2>
<p>Du sto i manntallet for disse uravstemningene. Forbundet ser aldri hvem som har stemt eller hva de stemte.</p>
${table(['Uravstemning', 'Åpnet', 'Stengt'], doc.ballotRolls.map((b) => [esc(b.title), when(b.opensAt), when(b.closesAt)]), 'Du står ikke i noe manntall vi har lagret.')}</section>
${doc.staffAccount ? `<section><h2>Brukerkonto</h2>${dl([['Rolle', esc(nb('staffRole', doc.staffAccount.role))], ['E-post', esc(doc.staffAccount.email)], ['Opprettet', when(doc.staffAccount.createdAt)]])}</section>` : ''}
<section><h2>Hvem har sett opplysningene dine</h2>${table(['Tidspunkt', 'Hvem', 'Hva'], doc.accessLog.map((a) => [
    when(a.at), esc(a.actorName ? `${a.actorName} (${nb('staffRole', a.actorRole)})` : a.actor === 'system' ? 'Systemet' : a.actor),
    esc(ACTION[a.action] ?? nb('auditAction', a.action)),
  ]), 'Ingen har sett på opplysningene dine.')}</section>
<section><h2>Sletting</h2>${retention}</section>`;

  return `<!doctype html>
<html lang="nb"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>Innsyn – medlemsnummer ${esc(m.memberNumber)}</title>
<style>
body{font-family:system-ui,-apple-system,"Segoe UI",sans-serif;max-width:60rem;margin:2rem auto;padding:0 1rem;color:#1a1a1a;line-height:1.5}
h1{font-size:1.6rem}h2{font-size:1.2rem;margin-top:2rem;border-bottom:1px solid #ccc}table{border-collapse:collapse;width:100%;font-size:.95rem}
th,td{text-align:left;padding:.3rem .5rem;border-bottom:1px solid #e5e5e5;vertical-align:top}dl{display:grid;grid-template-columns:max-content 1fr;gap:.2rem 1rem}
dt{font-weight:600}dd{margin:0}.meta,.empty{color:#555}
</style></head><body><main>${body}</main></body></html>`;
}
