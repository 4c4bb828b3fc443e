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
  resigned: l('Utmeldt', 'Utmeld', 'Resigned'),
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
  running: l('Sendes', 'Blir send', 'Sending'),
  paused: l('Pauset', 'Pausa', 'Paused'),
  completed: l('Fullført', 'Fullført', 'Completed'),
  cancelled: l('Avbrutt', 'Avbroten', 'Cancelled'),
  pending_approval: l('Venter på godkjenning', 'Ventar på godkjenning', 'Awaiting approval'),
} as const satisfies Vocabulary<string>;

export const SEND_STATE = {
  queued: l('I kø', 'I kø', 'Queued'),
  sending: l('Sendes', 'Blir send', 'Sending'),
  sent: l('Sendt', 'Send', 'Sent'),
  delivered: l('Levert', 'Levert', 'Delivered'),
  bounced: l('Avvist', 'Avvist', 'Bounced'),
  failed: l('Feilet', 'Feila', 'Failed'),
  skipped: l('Hoppet over', 'Hoppa over', 'Skipped'),
  cancelled: l('Avbrutt', 'Avbroten', 'Cancelled'),
  in_doubt: l('Uvisst om sendt', 'Uvisst om send', 'In doubt'),
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

/** Every enumeration by name: what GET /api/vocabulary serves to the browser code. */
export const VOCABULARY = {
  memberStatus: MEMBER_STATUS,
  membershipCategory: MEMBERSHIP_CATEGORY,
  resignationReason: RESIGNATION_REASON,
  memberRole: MEMBER_ROLE,
  language: LANGUAGE,
  channel: CHANNEL,
  campaignState: CAMPAIGN_STATE,
  sendState: SEND_STATE,
  unreachableReason: UNREACHABLE_REASON,
  staffRole: STAFF_ROLE,
  consentSource: CONSENT_SOURCE,
  printRunState: PRINT_RUN_STATE,
  strikeState: STRIKE_STATE,
  strikePurpose: STRIKE_PURPOSE,
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
