/**
 * One vocabulary (contract C5): every enumeration the hub shows people, with its values and its
 * labels in bokmål, nynorsk and English. The import, the audience filter, the staff pages, the
 * access export and the browser code (through GET /api/vocabulary) all read their labels here,
 * so a state or a category has one name everywhere. New enumerations go in this file.
 */
export type VocabLang = 'nb' | 'nn' | 'en';
export interface Label { nb: string; nn: string; en: string }
export type Vocabulary<V extends string> = Readonly<Record<V, Label>>;

const l = (nb: string, nn: string, en: string): Label => ({ nb, nn, en });

export const MEMBER_STATUS = {
  active: l('Aktiv', 'Aktiv', 'Active'),
  resigned: l('Utmeldt', 'Utmeldt', 'Resigned'),
} as const satisfies Vocabulary<string>;

export const MEMBERSHIP_CATEGORY = {
  employee: l('Arbeidstaker', 'Arbeidstakar', 'Employee'),
  self_employed: l('Selvstendig', 'Sjølvstendig', 'Self-employed'),
  apprentice: l('Lærling', 'Lærling', 'Apprentice'),
  student: l('Student', 'Student', 'Student'),
  pupil: l('Elev', 'Elev', 'Pupil'),
  pensioner: l('Pensjonist', 'Pensjonist', 'Pensioner'),
} as const satisfies Vocabulary<string>;

export const RESIGNATION_REASON = {
  resigned: l('Meldt seg ut', 'Meldt seg ut', 'Resigned'),
  moved_lo_union: l('Overført til annet LO-forbund', 'Overført til anna LO-forbund', 'Moved to another LO union'),
  moved_outside_lo: l('Overført utenfor LO', 'Overført utanfor LO', 'Moved outside LO'),
  struck_off: l('Strøket', 'Stroken', 'Struck off'),
  deceased: l('Død', 'Død', 'Deceased'),
} as const satisfies Vocabulary<string>;

export const MEMBER_ROLE = {
  shop_steward: l('Tillitsvalgt', 'Tillitsvald', 'Shop steward'),
  chief_shop_steward: l('Hovedtillitsvalgt', 'Hovudtillitsvald', 'Chief shop steward'),
  safety_rep: l('Verneombud', 'Verneombod', 'Safety representative'),
  branch_board: l('Avdelingsstyre', 'Avdelingsstyre', 'Branch board'),
  club_board: l('Klubbstyre', 'Klubbstyre', 'Club board'),
} as const satisfies Vocabulary<string>;

export const LANGUAGE = {
  nb: l('Bokmål', 'Bokmål', 'Norwegian Bokmål'),
  nn: l('Nynorsk', 'Nynorsk', 'Norwegian Nynorsk'),
  en: l('Engelsk', 'Engelsk', 'English'),
} as const satisfies Vocabulary<string>;

export const CHANNEL = {
  email: l('E-post', 'E-post', 'Email'),
  sms: l('SMS', 'SMS', 'SMS'),
  letter: l('Brev', 'Brev', 'Letter'),
} as const satisfies Vocabulary<string>;

export const CAMPAIGN_STATE = {
  draft: l('Utkast', 'Utkast', 'Draft'),
  scheduled: l('Planlagt', 'Planlagd', 'Scheduled'),
  running: l('Sendes', 'Blir sendt', 'Sending'),
  paused: l('Pauset', 'Pausa', 'Paused'),
  completed: l('Fullført', 'Fullført', 'Completed'),
  cancelled: l('Avbrutt', 'Avbroten', 'Cancelled'),
  pending_approval: l('Venter på godkjenning', 'Ventar på godkjenning', 'Awaiting approval'),
} as const satisfies Vocabulary<string>;

/** What a campaign row is (campaigns.kind): a campaign, a single message, a ballot notice, a register event's message or a test. */
export const CAMPAIGN_KIND = {
  campaign: l('Kampanje', 'Kampanje', 'Campaign'),
  single: l('Enkeltmelding', 'Enkeltmelding', 'Single message'),
  ballot: l('Uravstemning', 'Uravstemming', 'Ballot'),
  register_event: l('Melding fra registeret', 'Melding frå registeret', 'Register event message'),
  test: l('Testutsending', 'Testutsending', 'Test send'),
} as const satisfies Vocabulary<string>;

export const SEND_STATE = {
  queued: l('I kø', 'I kø', 'Queued'),
  sending: l('Sendes', 'Blir sendt', 'Sending'),
  sent: l('Sendt', 'Sendt', 'Sent'),
  delivered: l('Levert', 'Levert', 'Delivered'),
  bounced: l('Avvist', 'Avvist', 'Bounced'),
  failed: l('Feilet', 'Feila', 'Failed'),
  skipped: l('Hoppet over', 'Hoppa over', 'Skipped'),
  cancelled: l('Avbrutt', 'Avbroten', 'Cancelled'),
  in_doubt: l('Uvisst om sendt', 'Uvisst om sendt', 'In doubt'),
} as const satisfies Vocabulary<string>;

export const UNREACHABLE_REASON = {
  channel_not_allowed: l('Kanalen er ikke tillatt for kategorien', 'Kanalen er ikkje tillaten for kategorien', 'Channel not allowed for the category'),
  inactive: l('Ikke aktivt medlem', 'Ikkje aktivt medlem', 'Not an active member'),
  no_address: l('Mangler adresse', 'Manglar adresse', 'No address'),
  suppressed: l('Sperret (avvist eller STOPP)', 'Sperra (avvist eller STOPP)', 'Suppressed (bounce or STOP)'),
  opted_out: l('Reservert seg', 'Reservert seg', 'Opted out'),
  no_consent: l('Har ikke samtykket', 'Har ikkje samtykt', 'No consent'),
  unknown_member: l('Ukjent medlem', 'Ukjent medlem', 'Unknown member'),
} as const satisfies Vocabulary<string>;

/** Why a send-log row was skipped, cancelled or failed (a failure may also carry the provider's own text, shown as it is). */
export const SEND_REASON = {
  ...UNREACHABLE_REASON,
  unreachable: l('Kan ikke nås', 'Kan ikkje nåast', 'Cannot be reached'),
  campaign_cancelled: l('Kampanjen ble avbrutt', 'Kampanjen vart avbroten', 'The campaign was cancelled'),
  member_erased: l('Medlemmet er slettet', 'Medlemmen er sletta', 'The member was erased'),
  hard_bounce: l('Adressen finnes ikke (hard retur)', 'Adressa finst ikkje (hard retur)', 'Hard bounce'),
  spam_complaint: l('Meldt som søppelpost', 'Meldt som søppelpost', 'Spam complaint'),
  invalid_number: l('Ugyldig nummer', 'Ugyldig nummer', 'Invalid number'),
  carrier_opt_out: l('Reservert hos mobiloperatøren', 'Reservert hos mobiloperatøren', 'Opted out at the carrier'),
  provider_unavailable: l('Leverandøren svarte ikke', 'Leverandøren svarte ikkje', 'Provider unavailable'),
  retries_exhausted: l('Ga opp etter flere forsøk', 'Gav opp etter fleire forsøk', 'Gave up after retries'),
} as const satisfies Vocabulary<string>;

export const STAFF_ROLE = {
  admin: l('Administrator', 'Administrator', 'Administrator'),
  communications: l('Kommunikasjon', 'Kommunikasjon', 'Communications'),
  representative: l('Tillitsvalgt', 'Tillitsvald', 'Representative'),
  auditor: l('Revisor', 'Revisor', 'Auditor'),
  strike_committee: l('Streikekomité', 'Streikekomité', 'Strike committee'),
} as const satisfies Vocabulary<string>;

export const CONSENT_SOURCE = {
  unsubscribe_link: l('Avmeldingslenke', 'Avmeldingslenkje', 'Unsubscribe link'),
  one_click: l('Ett-klikks avmelding', 'Eitt-klikks avmelding', 'One-click unsubscribe'),
  preference_page: l('Innstillingssiden', 'Innstillingssida', 'Preference page'),
  sms_keyword: l('SMS-kodeord', 'SMS-kodeord', 'SMS keyword'),
  provider_event: l('Hendelse fra leverandør', 'Hending frå leverandør', 'Provider event'),
  staff: l('Ansatt', 'Tilsett', 'Staff'),
  import: l('Import', 'Import', 'Import'),
  preference_link: l('Engangslenke til innstillingene', 'Eingongslenkje til innstillingane', 'One-time preference link'),
  letter_code: l('Kode fra brev', 'Kode frå brev', 'Code from a letter'),
  double_opt_in: l('Bekreftet samtykke (dobbel opt-in)', 'Stadfest samtykke (dobbel opt-in)', 'Confirmed consent (double opt-in)'),
} as const satisfies Vocabulary<string>;

export const PRINT_RUN_STATE = {
  ready: l('Klar til trykk', 'Klar til trykk', 'Ready for print'),
  handed_over: l('Levert til trykkeri', 'Levert til trykkeri', 'Handed to the printer'),
} as const satisfies Vocabulary<string>;

export const STRIKE_STATE = {
  notified: l('Varslet', 'Varsla', 'Notified'),
  notice_given: l('Plassoppsigelse', 'Plassoppseiing', 'Notice given'),
  on_strike: l('Streik', 'Streik', 'On strike'),
  ended: l('Avsluttet', 'Avslutta', 'Ended'),
} as const satisfies Vocabulary<string>;

export const STRIKE_PURPOSE = {
  announcement: l('Kunngjøring av uttak', 'Kunngjering av uttak', 'Phase announcement'),
  instruction: l('Instruks', 'Instruks', 'Instruction'),
  end: l('Streiken er over', 'Streiken er over', 'End of strike'),
} as const satisfies Vocabulary<string>;

export const BALLOT_STATE = {
  draft: l('Ikke åpnet', 'Ikkje opna', 'Not open yet'),
  open: l('Åpen', 'Open', 'Open'),
  closed: l('Stengt', 'Stengd', 'Closed'),
  cancelled: l('Avlyst', 'Avlyst', 'Cancelled'),
} as const satisfies Vocabulary<string>;

export const BALLOT_NOTICE_KIND = {
  opened: l('Åpningsvarsel', 'Opningsvarsel', 'Opening notice'),
  reminder: l('Påminnelse', 'Påminning', 'Reminder'),
  result: l('Resultat', 'Resultat', 'Result'),
} as const satisfies Vocabulary<string>;

export const BALLOT_NOTICE_STATE = {
  pending: l('Venter', 'Ventar', 'Pending'),
  launching: l('Startes', 'Blir starta', 'Starting'),
  launched: l('Sendt ut', 'Sendt ut', 'Sent out'),
  cancelled: l('Avlyst', 'Avlyst', 'Cancelled'),
  skipped: l('Hoppet over', 'Hoppa over', 'Skipped'),
} as const satisfies Vocabulary<string>;

/** What the audit log records (src/audit's AuditAction): labels for the audit page and its CSV. */
export const AUDIT_ACTION = {
  'member.view': l('Så på medlem', 'Såg på medlem', 'Viewed member'),
  'member.search': l('Søkte etter medlemmer', 'Søkte etter medlemmer', 'Searched members'),
  'member.list': l('Listet medlemmer', 'Lista medlemmer', 'Listed members'),
  'member.export': l('Innsynsutskrift', 'Innsynsutskrift', 'Access export'),
  'member.erase': l('Slettet medlem', 'Sletta medlem', 'Erased member'),
  'member.import': l('Importerte medlemmer', 'Importerte medlemmer', 'Imported members'),
  'member.upsert': l('Oppdaterte medlem', 'Oppdaterte medlem', 'Updated member'),
  'consent.change': l('Endret samtykke', 'Endra samtykke', 'Changed consent'),
  'suppression.lift': l('Opphevet sperre', 'Oppheva sperre', 'Lifted suppression'),
  'category.update': l('Endret kategori', 'Endra kategori', 'Updated category'),
  'audience.preview': l('Forhåndsviste mottakere', 'Førehandsviste mottakarar', 'Previewed audience'),
  'audience.view': l('Så på lagret mottakerliste', 'Såg på lagra mottakarliste', 'Viewed saved audience'),
  'audience.list': l('Listet lagrede mottakerlister', 'Lista lagra mottakarlister', 'Listed saved audiences'),
  'campaign.create': l('Opprettet kampanje', 'Oppretta kampanje', 'Created campaign'),
  'campaign.update': l('Endret kampanje', 'Endra kampanje', 'Updated campaign'),
  'campaign.approve': l('Godkjente kampanje', 'Godkjende kampanje', 'Approved campaign'),
  'campaign.launch': l('Startet kampanje', 'Starta kampanje', 'Launched campaign'),
  'campaign.pause': l('Pauset kampanje', 'Pausa kampanje', 'Paused campaign'),
  'campaign.resume': l('Gjenopptok kampanje', 'Tok opp att kampanje', 'Resumed campaign'),
  'campaign.cancel': l('Avbrøt kampanje', 'Avbraut kampanje', 'Cancelled campaign'),
  'campaign.retry': l('Prøvde på nytt', 'Prøvde på nytt', 'Retried campaign'),
  'campaign.send_again': l('Sendte på nytt', 'Sende på nytt', 'Sent again'),
  'campaign.test_send': l('Testutsending', 'Testutsending', 'Test send'),
  'campaign.strike_ended': l('Markerte streiken som avsluttet', 'Markerte streiken som avslutta', 'Marked strike ended'),
  'message.send': l('Sendte enkeltmelding', 'Sende enkeltmelding', 'Sent single message'),
  'ballot.roll_freeze': l('Låste manntall', 'Låste manntal', 'Froze electoral roll'),
  'ballot.roll_export': l('Eksporterte manntall', 'Eksporterte manntal', 'Exported electoral roll'),
  'token.create': l('Opprettet API-nøkkel', 'Oppretta API-nøkkel', 'Created API token'),
  'token.list': l('Listet API-nøkler', 'Lista API-nøklar', 'Listed API tokens'),
  'token.revoke': l('Trakk tilbake API-nøkkel', 'Trekte tilbake API-nøkkel', 'Revoked API token'),
  'user.create': l('Opprettet bruker', 'Oppretta brukar', 'Created user'),
  'user.password_set': l('Satte passord', 'Sette passord', 'Set password'),
  'user.disable': l('Deaktiverte bruker', 'Deaktiverte brukar', 'Disabled user'),
  'user.enable': l('Aktiverte bruker', 'Aktiverte brukar', 'Enabled user'),
  'user.role': l('Endret rolle', 'Endra rolle', 'Changed role'),
  'session.list': l('Listet innlogginger', 'Lista innloggingar', 'Listed sessions'),
  'session.revoke': l('Avsluttet innlogging', 'Avslutta innlogging', 'Revoked session'),
  'password.change': l('Byttet passord', 'Bytte passord', 'Changed password'),
  'access.lapsed': l('Tilgang utløpt', 'Tilgang gått ut', 'Access lapsed'),
  'access.refused': l('Tilgang nektet', 'Tilgang nekta', 'Access refused'),
  'twofactor.enrol': l('Slo på tofaktor-innlogging', 'Slo på tofaktor-innlogging', 'Enrolled two-factor sign-in'),
  'twofactor.reset': l('Nullstilte tofaktor-innlogging', 'Nullstilte tofaktor-innlogging', 'Reset two-factor sign-in'),
  'twofactor.recovery_used': l('Brukte gjenopprettingskode', 'Brukte gjenopprettingskode', 'Used a recovery code'),
  'twofactor.failed': l('Feil tofaktor-kode', 'Feil tofaktor-kode', 'Failed two-factor code'),
  'retention.sweep': l('Sletting etter lagringstid', 'Sletting etter lagringstid', 'Retention sweep'),
  'audit.view': l('Så i revisjonsloggen', 'Såg i revisjonsloggen', 'Viewed audit log'),
  'audit.export': l('Eksporterte revisjonsloggen', 'Eksporterte revisjonsloggen', 'Exported audit log'),
  'template.copy': l('Kopierte mal', 'Kopierte mal', 'Copied template'),
  'print_run.download': l('Lastet ned trykkfil', 'Lasta ned trykkfil', 'Downloaded print run'),
  'print_run.handed_over': l('Levert til trykkeri', 'Levert til trykkeri', 'Handed to the printer'),
  'strike.create': l('Opprettet streik', 'Oppretta streik', 'Created strike'),
  'strike.move': l('Endret streikefase', 'Endra streikefase', 'Moved strike'),
  'strike.phase_create': l('Opprettet uttak', 'Oppretta uttak', 'Created strike phase'),
  'strike.take_back': l('Tok ut av streik', 'Tok ut av streik', 'Took back from strike'),
  'strike.members_list': l('Listet streikende', 'Lista streikande', 'Listed strikers'),
  'strike.message': l('Sendte streikemelding', 'Sende streikemelding', 'Sent strike message'),
  'strike.export': l('Eksporterte streikeliste', 'Eksporterte streikeliste', 'Exported strike list'),
  'strike.committee': l('Endret streikekomité', 'Endra streikekomité', 'Changed strike committee'),
  'strike.guards_view': l('Så på streikevakter', 'Såg på streikevakter', 'Viewed strike guards'),
  'strike.guard_change': l('Endret streikevakter', 'Endra streikevakter', 'Changed strike guards'),
  'strike.guard_share': l('Delte vaktliste', 'Delte vaktliste', 'Shared guard list'),
  'strike.erase': l('Slettet streikedata', 'Sletta streikedata', 'Erased strike data'),
} as const satisfies Vocabulary<string>;

/** Every enumeration by name: what GET /api/vocabulary serves to the browser code. */
export const VOCABULARY = {
  memberStatus: MEMBER_STATUS,
  membershipCategory: MEMBERSHIP_CATEGORY,
  resignationReason: RESIGNATION_REASON,
  memberRole: MEMBER_ROLE,
  language: LANGUAGE,
  channel: CHANNEL,
  campaignState: CAMPAIGN_STATE,
  campaignKind: CAMPAIGN_KIND,
  sendState: SEND_STATE,
  unreachableReason: UNREACHABLE_REASON,
  sendReason: SEND_REASON,
  staffRole: STAFF_ROLE,
  consentSource: CONSENT_SOURCE,
  printRunState: PRINT_RUN_STATE,
  strikeState: STRIKE_STATE,
  strikePurpose: STRIKE_PURPOSE,
  auditAction: AUDIT_ACTION,
  ballotState: BALLOT_STATE,
  ballotNoticeKind: BALLOT_NOTICE_KIND,
  ballotNoticeState: BALLOT_NOTICE_STATE,
} as const;

export type VocabularyName = keyof typeof VOCABULARY;

/** The values of an enumeration, in its order (for joi `.valid(...)` and selects). */
export function valuesOf<N extends VocabularyName>(name: N): (keyof (typeof VOCABULARY)[N] & string)[] {
  return Object.keys(VOCABULARY[name]) as (keyof (typeof VOCABULARY)[N] & string)[];
}

/** A value's label; an unknown value is shown as itself (never an empty cell). */
export function labelOf(name: VocabularyName, value: string | null | undefined, lang: VocabLang = 'nb'): string {
  if (value === null || value === undefined || value === '') return '–';
  const entry = (VOCABULARY[name] as Record<string, Label>)[value];
  return entry ? entry[lang] : value;
}

/** One enumeration as { value: label } in one language. */
export function labelsIn(name: VocabularyName, lang: VocabLang = 'nb'): Record<string, string> {
  return Object.fromEntries(Object.entries(VOCABULARY[name] as Record<string, Label>).map(([k, v]) => [k, v[lang]]));
}
