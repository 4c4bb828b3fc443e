/** Texts of the member pages in bokmål, nynorsk and English (the member's language). */
export type Lang = 'nb' | 'nn' | 'en';

export const CHANNEL_NAMES: Record<Lang, Record<string, string>> = {
  nb: { email: 'e-post', sms: 'SMS', letter: 'brev i posten' },
  nn: { email: 'e-post', sms: 'SMS', letter: 'brev i posten' },
  en: { email: 'email', sms: 'text message (SMS)', letter: 'letter by post' },
};

const CATEGORY_NAMES: Record<'nn' | 'en', Record<string, string>> = {
  nn: {
    service: 'Medlemskap og kontingent', ballot: 'Uravstemming', strike: 'Streik og konflikt',
    representative: 'Informasjon til tillitsvalde', course: 'Kurs og arrangement du er meld på',
    newsletter: 'Nyheitsbrev', magazine: 'Medlemsblad i posten', campaign: 'Kampanjar og informasjonstiltak',
    survey: 'Medlemsundersøkingar', benefits: 'Medlemsfordelar frå partnarar',
  },
  en: {
    service: 'Membership and dues', ballot: 'Ballots', strike: 'Strikes and disputes',
    representative: 'Information for representatives', course: 'Courses and events you signed up for',
    newsletter: 'Newsletter', magazine: 'Member magazine by post', campaign: 'Campaigns and information',
    survey: 'Member surveys', benefits: 'Member offers from partners',
  },
};

export function categoryName(lang: Lang, code: string, nameNb: string): string {
  return lang === 'nb' ? nameNb : CATEGORY_NAMES[lang][code] ?? nameNb;
}

export const T = {
  nb: {
    unsubTitle: 'Meld deg av',
    unsubLead: (cat: string, ch: string, union: string) => `Du er i ferd med å melde deg av «${cat}» på ${ch} fra ${union}.`,
    unsubButton: 'Meld meg av',
    alreadyOff: 'Du er allerede meldt av dette. Du kan likevel trykke på knappen; ingenting blir sendt dobbelt.',
    notDeclinable: 'Disse meldingene er en del av medlemskapet ditt (medlemsavtalen) og kan ikke velges bort. I innstillingene kan du velge hvilken kanal du foretrekker.',
    prefsLink: 'Velg selv hva du vil få, og hvordan',
    doneTitle: 'Du er meldt av',
    doneLead: (cat: string, ch: string) => `Du får ikke lenger «${cat}» på ${ch}. Det gjelder fra nå av.`,
    prefsTitle: 'Dine innstillinger',
    prefsLead: 'Her velger du hvilke meldinger du vil få fra oss, og på hvilken kanal. Endringer gjelder med en gang.',
    always: 'Sendes alltid, fordi det hører til medlemskapet ditt (medlemsavtalen).',
    consentNeeded: 'Sendes bare hvis du har sagt ja.',
    noAddress: 'Vi har ingen adresse for deg på disse kanalene.',
    suppressed: (ch: string) => `Vi sender ikke på ${ch} nå, fordi meldinger til adressen din ikke kom fram eller ble meldt som uønsket. Kontakt oss for å åpne igjen.`,
    preferred: 'Foretrukket kanal',
    preferredLead: 'Når en melding kan nå deg på flere kanaler, bruker vi denne først.',
    noPreference: 'Ingen preferanse',
    save: 'Lagre',
    saved: 'Innstillingene dine er lagret.',
    badTitle: 'Lenken virker ikke',
    badLead: 'Lenken er ufullstendig eller endret. Ingenting er endret. Bruk lenken fra meldingen på nytt, eller kontakt oss.',
    goneLead: 'Vi finner ikke medlemskapet denne lenken gjelder. Ingenting er endret.',
    csrf: 'Skjemaet var for gammelt eller ugyldig. Ingenting er endret. Prøv igjen.',
  },
  nn: {
    unsubTitle: 'Meld deg av',
    unsubLead: (cat: string, ch: string, union: string) => `Du er i ferd med å melde deg av «${cat}» på ${ch} frå ${union}.`,
    unsubButton: 'Meld meg av',
    alreadyOff: 'Du er allereie meld av dette. Du kan likevel trykkje på knappen; ingenting blir sendt dobbelt.',
    notDeclinable: 'Desse meldingane er ein del av medlemskapet ditt (medlemsavtalen) og kan ikkje veljast bort. I innstillingane kan du velje kva kanal du føretrekkjer.',
    prefsLink: 'Vel sjølv kva du vil få, og korleis',
    doneTitle: 'Du er meld av',
    doneLead: (cat: string, ch: string) => `Du får ikkje lenger «${cat}» på ${ch}. Det gjeld frå no av.`,
    prefsTitle: 'Innstillingane dine',
    prefsLead: 'Her vel du kva meldingar du vil få frå oss, og på kva kanal. Endringar gjeld med ein gong.',
    always: 'Blir alltid sendt, fordi det høyrer til medlemskapet ditt (medlemsavtalen).',
    consentNeeded: 'Blir berre sendt om du har sagt ja.',
    noAddress: 'Vi har inga adresse for deg på desse kanalane.',
    suppressed: (ch: string) => `Vi sender ikkje på ${ch} no, fordi meldingar til adressa di ikkje kom fram eller vart melde som uønskte. Kontakt oss for å opne igjen.`,
    preferred: 'Føretrekt kanal',
    preferredLead: 'Når ei melding kan nå deg på fleire kanalar, brukar vi denne først.',
    noPreference: 'Ingen preferanse',
    save: 'Lagre',
    saved: 'Innstillingane dine er lagra.',
    badTitle: 'Lenkja verkar ikkje',
    badLead: 'Lenkja er ufullstendig eller endra. Ingenting er endra. Bruk lenkja frå meldinga på nytt, eller kontakt oss.',
    goneLead: 'Vi finn ikkje medlemskapet denne lenkja gjeld. Ingenting er endra.',
    csrf: 'Skjemaet var for gammalt eller ugyldig. Ingenting er endra. Prøv igjen.',
  },
  en: {
    unsubTitle: 'Unsubscribe',
    unsubLead: (cat: string, ch: string, union: string) => `You are about to unsubscribe from “${cat}” by ${ch} from ${union}.`,
    unsubButton: 'Unsubscribe me',
    alreadyOff: 'You are already unsubscribed from this. You may press the button anyway; nothing is done twice.',
    notDeclinable: 'These messages are part of your membership (the membership agreement) and cannot be declined. In your preferences you can choose which channel you prefer.',
    prefsLink: 'Choose what you receive, and how',
    doneTitle: 'You are unsubscribed',
    doneLead: (cat: string, ch: string) => `You will no longer receive “${cat}” by ${ch}, starting now.`,
    prefsTitle: 'Your preferences',
    prefsLead: 'Choose which messages you receive from us, and on which channel. Changes take effect at once.',
    always: 'Always sent, because it is part of your membership (the membership agreement).',
    consentNeeded: 'Only sent if you have said yes.',
    noAddress: 'We have no address for you on these channels.',
    suppressed: (ch: string) => `We do not send by ${ch} at the moment, because messages to your address could not be delivered or were reported as unwanted. Contact us to reopen it.`,
    preferred: 'Preferred channel',
    preferredLead: 'When a message can reach you on more than one channel, we use this one first.',
    noPreference: 'No preference',
    save: 'Save',
    saved: 'Your preferences are saved.',
    badTitle: 'This link does not work',
    badLead: 'The link is incomplete or has been altered. Nothing has changed. Use the link from the message again, or contact us.',
    goneLead: 'We cannot find the membership this link belongs to. Nothing has changed.',
    csrf: 'The form was too old or not valid. Nothing has changed. Please try again.',
  },
} satisfies Record<Lang, Record<string, unknown>>;

export function langOf(v: unknown): Lang {
  return v === 'nn' || v === 'en' ? v : 'nb';
}
