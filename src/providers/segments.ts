/**
 * SMS length the way carriers (and Twilio) count it: GSM-7 when every character is in the GSM
 * 03.38 basic set or its extension table (extension characters `^{}\[~]|€` and form feed take
 * two septets), else UCS-2 counted in UTF-16 code units (an emoji is two). One segment holds
 * 160 septets / 70 code units; a concatenated message 153 / 67 per part, and a part never
 * splits an escape pair or a surrogate pair. Agrees with src/render's `smsInfo` (asserted in
 * test/providers.test.ts); kept here so the SMS worker and the emulator need not load the
 * renderer (MJML, pdfkit) just to count segments.
 *
 * Used by the Twilio emulator for `num_segments` and by the SMS adapter when Twilio answers
 * `num_segments: "0"` (it does for every Messaging Service send).
 */
export type SmsEncoding = 'GSM-7' | 'UCS-2';

export interface SmsLength {
  encoding: SmsEncoding;
  /** Septets (GSM-7) or UTF-16 code units (UCS-2). */
  units: number;
  segments: number;
}

const GSM_BASIC =
  '@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !"#¤%&\'()*+,-./0123456789:;<=>?¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà';
const GSM_EXTENDED = '^{}\\[~]|€\f';
const BASIC = new Set(GSM_BASIC);
const EXTENDED = new Set(GSM_EXTENDED);

export function smsLength(text: string): SmsLength {
  const chars = Array.from(text);
  let gsm = true;
  for (const ch of chars) if (!BASIC.has(ch) && !EXTENDED.has(ch)) { gsm = false; break; }
  const sizes = chars.map((ch) => (gsm ? (EXTENDED.has(ch) ? 2 : 1) : ch.length));
  const units = sizes.reduce((a, b) => a + b, 0);
  const single = gsm ? 160 : 70;
  const part = gsm ? 153 : 67;
  let segments = 1;
  if (units > single) {
    // Parts never split an escape pair (GSM-7) or a surrogate pair (UCS-2).
    let used = 0;
    for (const size of sizes) {
      if (used + size > part) { segments++; used = 0; }
      used += size;
    }
  }
  return { encoding: gsm ? 'GSM-7' : 'UCS-2', units, segments };
}
