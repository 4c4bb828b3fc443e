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
    representative: 'Informasjon til tillitsvalde', course: 'Kurs og arrangement du er meldt på',
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
    entryTitle: 'Endre hva du får fra oss',
    entryLead: 'Skriv inn e-postadressen eller mobilnummeret vi har registrert på deg. Hører det til et medlemskap hos oss, sender vi en lenke dit. Lenken virker én gang og i 30 minutter.',
    addressLabel: 'E-postadresse eller mobilnummer',
    sendLink: 'Send meg en lenke',
    sentTitle: 'Sjekk e-posten eller telefonen din',
    sentLead: 'Hvis adressen eller nummeret hører til et medlemskap hos oss, har vi nå sendt en lenke dit. Den virker én gang og i 30 minutter. Kommer det ingenting, kan du prøve en annen adresse eller kontakte oss.',
    invalidAddress: 'Skriv en e-postadresse (navn@eksempel.no) eller et mobilnummer (8 siffer, eller med landskode).',
    codeLabel: 'Kode fra brevet',
    codeLead: 'Har du fått et brev fra oss, kan du bruke koden som står i brevet.',
    openButton: 'Åpne innstillingene',
    badCode: 'Koden er feil eller utløpt. Sjekk at du har skrevet den riktig, eller be om en lenke.',
    tooMany: 'Du har prøvd mange ganger på kort tid. Vent litt og prøv igjen.',
    openTitle: 'Åpne innstillingene dine',
    openLead: 'Lenken virker én gang. Trykk på knappen for å åpne innstillingene dine.',
    linkUsed: 'Denne lenken er allerede brukt. Be om en ny lenke.',
    linkExpired: 'Denne lenken er utløpt (den virker i 30 minutter). Be om en ny lenke.',
    askNew: 'Be om en ny lenke',
    sessionExpired: 'Økten er utløpt. Be om en ny lenke.',
    pendingSent: (cat: string, ch: string) => `Vi har sendt en bekreftelse på ${ch}. «${cat}» slås på først når du trykker på lenken i den.`,
    pending: 'Venter på at du bekrefter (vi har sendt deg en lenke).',
    confirmTitle: 'Bekreft samtykke',
    confirmLead: (cat: string, ch: string) => `Vil du få «${cat}» på ${ch}? Trykk på knappen for å bekrefte. Du kan når som helst melde deg av igjen.`,
    confirmButton: 'Ja, jeg vil ha dette',
    confirmed: (cat: string, ch: string) => `Takk. Du får nå «${cat}» på ${ch}.`,
    confirmUsed: 'Denne bekreftelsen er allerede brukt.',
    confirmExpired: 'Denne bekreftelsen er utløpt. Kryss av på nytt i innstillingene dine.',
    invalidForm: 'Skjemaet inneholdt noe vi ikke forventet. Ingenting er endret.',
  },
  nn: {
    unsubTitle: 'Meld deg av',
    unsubLead: (cat: string, ch: string, union: string) => `Du er i ferd med å melde deg av «${cat}» på ${ch} frå ${union}.`,
    unsubButton: 'Meld meg av',
    alreadyOff: 'Du er allereie meldt av dette. Du kan likevel trykkje på knappen; ingenting blir sendt dobbelt.',
    notDeclinable: 'Desse meldingane er ein del av medlemskapet ditt (medlemsavtalen) og kan ikkje veljast bort. I innstillingane kan du velje kva kanal du føretrekkjer.',
    prefsLink: 'Vel sjølv kva du vil få, og korleis',
    doneTitle: 'Du er meldt av',
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
    entryTitle: 'Endre kva du får frå oss',
    entryLead: 'Skriv inn e-postadressa eller mobilnummeret vi har registrert på deg. Høyrer det til eit medlemskap hos oss, sender vi ei lenkje dit. Lenkja verkar éin gong og i 30 minutt.',
    addressLabel: 'E-postadresse eller mobilnummer',
    sendLink: 'Send meg ei lenkje',
    sentTitle: 'Sjekk e-posten eller telefonen din',
    sentLead: 'Dersom adressa eller nummeret høyrer til eit medlemskap hos oss, har vi no sendt ei lenkje dit. Ho verkar éin gong og i 30 minutt. Kjem det ingenting, kan du prøve ei anna adresse eller kontakte oss.',
    invalidAddress: 'Skriv ei e-postadresse (namn@døme.no) eller eit mobilnummer (8 siffer, eller med landskode).',
    codeLabel: 'Kode frå brevet',
    codeLead: 'Har du fått eit brev frå oss, kan du bruke koden som står i brevet.',
    openButton: 'Opne innstillingane',
    badCode: 'Koden er feil eller har gått ut. Sjekk at du har skrive han rett, eller be om ei lenkje.',
    tooMany: 'Du har prøvd mange gonger på kort tid. Vent litt og prøv igjen.',
    openTitle: 'Opne innstillingane dine',
    openLead: 'Lenkja verkar éin gong. Trykk på knappen for å opne innstillingane dine.',
    linkUsed: 'Denne lenkja er alt brukt. Be om ei ny lenkje.',
    linkExpired: 'Denne lenkja har gått ut (ho verkar i 30 minutt). Be om ei ny lenkje.',
    askNew: 'Be om ei ny lenkje',
    sessionExpired: 'Økta har gått ut. Be om ei ny lenkje.',
    pendingSent: (cat: string, ch: string) => `Vi har sendt ei stadfesting på ${ch}. «${cat}» blir slått på først når du trykkjer på lenkja i ho.`,
    pending: 'Ventar på at du stadfestar (vi har sendt deg ei lenkje).',
    confirmTitle: 'Stadfest samtykke',
    confirmLead: (cat: string, ch: string) => `Vil du få «${cat}» på ${ch}? Trykk på knappen for å stadfeste. Du kan når som helst melde deg av igjen.`,
    confirmButton: 'Ja, eg vil ha dette',
    confirmed: (cat: string, ch: string) => `Takk. Du får no «${cat}» på ${ch}.`,
    confirmUsed: 'Denne stadfestinga er alt brukt.',
    confirmExpired: 'Denne stadfestinga har gått ut. Kryss av på nytt i innstillingane dine.',
    invalidForm: 'Skjemaet inneheldt noko vi ikkje venta. Ingenting er endra.',
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
    entryTitle: 'Change what you receive from us',
    entryLead: 'Enter the email address or mobile number we have for you. If it belongs to a membership with us, we send a link to it. The link works once, for 30 minutes.',
    addressLabel: 'Email address or mobile number',
    sendLink: 'Send me a link',
    sentTitle: 'Check your email or phone',
    sentLead: 'If the address or number belongs to a membership with us, we have now sent a link to it. It works once, for 30 minutes. If nothing arrives, try another address or contact us.',
    invalidAddress: 'Enter an email address (name@example.com) or a mobile number (8 digits, or with the country code).',
    codeLabel: 'Code from the letter',
    codeLead: 'If you received a letter from us, you can use the code printed on it.',
    openButton: 'Open my preferences',
    badCode: 'The code is wrong or has expired. Check that you typed it correctly, or ask for a link.',
    tooMany: 'You have tried many times in a short while. Please wait a little and try again.',
    openTitle: 'Open your preferences',
    openLead: 'This link works once. Press the button to open your preferences.',
    linkUsed: 'This link has already been used. Ask for a new link.',
    linkExpired: 'This link has expired (it works for 30 minutes). Ask for a new link.',
    askNew: 'Ask for a new link',
    sessionExpired: 'Your session has expired. Ask for a new link.',
    pendingSent: (cat: string, ch: string) => `We have sent a confirmation by ${ch}. “${cat}” is switched on only when you press the link in it.`,
    pending: 'Waiting for your confirmation (we have sent you a link).',
    confirmTitle: 'Confirm your consent',
    confirmLead: (cat: string, ch: string) => `Do you want to receive “${cat}” by ${ch}? Press the button to confirm. You can unsubscribe again at any time.`,
    confirmButton: 'Yes, I want this',
    confirmed: (cat: string, ch: string) => `Thank you. You will now receive “${cat}” by ${ch}.`,
    confirmUsed: 'This confirmation has already been used.',
    confirmExpired: 'This confirmation has expired. Tick the box again in your preferences.',
    invalidForm: 'The form contained something we did not expect. Nothing has changed.',
  },
} satisfies Record<Lang, Record<string, unknown>>;

export function langOf(v: unknown): Lang {
  return v === 'nn' || v === 'en' ? v : 'nb';
}

/**
 * The language of a public page nobody is signed in to: `?lang=` first, then the browser's
 * Accept-Language (nn, nb/no, en in the order the browser gives them), bokmål otherwise.
 */
export function requestLang(query: unknown, acceptLanguage: string | undefined): Lang {
  if (query === 'nb' || query === 'nn' || query === 'en') return query;
  const ranked = String(acceptLanguage ?? '').split(',').slice(0, 20).map((part, i) => {
    const [tag, ...params] = part.trim().toLowerCase().split(';');
    const q = params.map((p) => /^\s*q=([0-9.]+)\s*$/.exec(p)).find(Boolean);
    return { tag, q: q ? Number(q[1]) : 1, i };
  }).filter((x) => x.tag && x.q > 0).sort((a, b) => b.q - a.q || a.i - b.i);
  for (const { tag } of ranked) {
    const base = tag.split('-')[0];
    if (base === 'nn') return 'nn';
    if (base === 'nb' || base === 'no') return tag === 'no-nynorsk' ? 'nn' : 'nb';
    if (base === 'en') return 'en';
  }
  return 'nb';
}
