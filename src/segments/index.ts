import GraphemeSplitter from 'grapheme-splitter';

/**
 * The one SMS length counter of the hub: the renderer's preview and template check, the SMS
 * adapter (Twilio answers `num_segments: "0"` for Messaging Service sends) and the Twilio
 * emulator all count with it, so a text that passes preview is never refused at send.
 *
 * Segments are counted by Twilio's published calculator (`sms-segments-calculator`, the code
 * behind twiliodeved.github.io/message-segment-calculator): GSM-7 when every grapheme is in the
 * GSM 03.38 basic set or its extension table (`^{}\[~]|€` and form feed take two septets), else
 * UCS-2 where a part never splits a grapheme (a ZWJ family, a flag, a keycap or a letter with
 * its combining accent moves whole into the next part). Plain GSM-7 text, by far the common
 * case, takes a fast path that packs the same way (asserted against the calculator over
 * thousands of generated strings in test/segments.test.ts). UCS-2 text is packed the way the
 * calculator packs it (its algorithm on unit counts, not its objects, which cost about a
 * millisecond per SMS), splitting into graphemes with the calculator's own splitter only the
 * runs that can form multi-unit graphemes (surrogates, marks, joiners, Hangul); test/segments
 * asserts the result equals the calculator's on every generated string.
 *
 * The 1,600 limit (Twilio error 21617) is counted as Twilio documents it: characters that need
 * more room count more, i.e. UTF-16 code units (an emoji is two, a ZWJ family more). That is
 * JavaScript's `string.length`, and it is what the emulator enforces too.
 */
export type SmsEncoding = 'GSM-7' | 'UCS-2';

export interface SmsLength {
  encoding: SmsEncoding;
  /** Septets (GSM-7) or UTF-16 code units (UCS-2). */
  units: number;
  segments: number;
  /** What Twilio's 1,600 limit counts: UTF-16 code units of the body. */
  limitUnits: number;
  /** Graphemes that force UCS-2 (unique, in order of appearance). */
  ucs2Characters: string[];
}

/** Twilio refuses a body over this many (UTF-16) characters with error 21617. */
export const SMS_MAX_CHARACTERS = 1600;

const GSM_BASIC =
  '@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !"#¤%&\'()*+,-./0123456789:;<=>?¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà';
const GSM_EXTENDED = '^{}\\[~]|€\f';
/** Septets per UTF-16 code unit of the GSM alphabet (0 = not GSM-7). */
const SEPTETS = new Uint8Array(0x10000);
for (const ch of GSM_BASIC) SEPTETS[ch.charCodeAt(0)] = 1;
for (const ch of GSM_EXTENDED) SEPTETS[ch.charCodeAt(0)] = 2;

/** Whether the message is over Twilio's 1,600-character limit. */
export function overSmsLimit(text: string): boolean {
  return text.length > SMS_MAX_CHARACTERS;
}

export function smsLength(text: string): SmsLength {
  const fast = gsmFastPath(text);
  if (fast) return fast;
  const ucs2Characters: string[] = [];
  const sizes = graphemeUnits(text, ucs2Characters);
  return { encoding: 'UCS-2', units: text.length, segments: packUcs2(sizes), limitUnits: text.length, ucs2Characters };
}

/**
 * Twilio's calculator's packing in UCS-2: 140 octets (70 units) per segment; when a grapheme
 * does not fit, a new part with a 6-octet header (3 units) begins, and the first part gets its
 * header too, moving its last graphemes over until it fits; a grapheme is never split.
 */
function packUcs2(sizes: number[]): number {
  const FULL = 70; const HEADER = 3;
  let segments = 1; let used = 0; const first: number[] = []; let firstHasHeader = false;
  for (const size of sizes) {
    if (FULL - used < size) {
      segments++;
      let next = HEADER;
      if (segments === 2 && !firstHasHeader) {
        firstHasHeader = true;
        let firstUsed = HEADER + first.reduce((a, b) => a + b, 0);
        while (firstUsed > FULL) { const moved = first.pop()!; firstUsed -= moved; next += moved; }
      }
      used = next;
    }
    used += size;
    if (segments === 1) first.push(size);
  }
  return segments;
}

const splitter = new GraphemeSplitter();
/** Prepend characters and Hangul leading jamo join whatever follows them. */
const BINDS_NEXT = /[\u0600-\u0605\u06DD\u070F\u08E2\u0D4E\u1100-\u115F\uA960-\uA97F]/;
/** grapheme-splitter takes tens of microseconds per call; the same emoji runs recur in every SMS of a campaign. */
const runCache = new Map<string, string[]>();
function splitRun(run: string): string[] {
  let gs = runCache.get(run);
  if (!gs) {
    gs = splitter.splitGraphemes(run);
    if (runCache.size >= 4096) runCache.clear();
    runCache.set(run, gs);
  }
  return gs;
}
/** Code units that may join a neighbour into one grapheme (or are half of a surrogate pair). */
// eslint-disable-next-line no-misleading-character-class -- single code units on purpose: a lone joiner or mark is what is looked for
const JOINING = /[\uD800-\uDFFF\u200C\u200D\uFE00-\uFE0F\u1100-\u11FF\uA960-\uA97F\uAC00-\uD7FF\u0600-\u0605\u06DD\u070F\u08E2\u0D4E\r\n\p{M}\p{Cf}]/u;

/**
 * UTF-16 units of each grapheme, as grapheme-splitter (the calculator's splitter) splits them;
 * collects the first 10 distinct graphemes outside GSM-7 into `nonGsm`.
 */
function graphemeUnits(text: string, nonGsm: string[]): number[] {
  const note = (g: string) => { if (nonGsm.length < 10 && !nonGsm.includes(g)) nonGsm.push(g); };
  const sizes: number[] = [];
  let i = 0;
  while (i < text.length) {
    const next = i + 1 < text.length ? text[i + 1] : '';
    if (!JOINING.test(text[i]) && (next === '' || !JOINING.test(next))) {
      if (SEPTETS[text.charCodeAt(i)] === 0) note(text[i]);
      sizes.push(1); i++; continue;
    }
    // A run: this unit and every following joining unit, then split it properly.
    let j = i + 1;
    while (j < text.length && (JOINING.test(text[j]) || BINDS_NEXT.test(text[j - 1]))) j++;
    for (const g of splitRun(text.slice(i, j))) {
      if (g === '\r\n') sizes.push(1, 1); // the calculator counts CR and LF apart
      else {
        if (g.length > 1 || SEPTETS[g.charCodeAt(0)] === 0) note(g);
        sizes.push(g.length);
      }
    }
    i = j;
  }
  return sizes;
}

/**
 * Text of GSM-7 characters only: every character is one UTF-16 unit and its own grapheme (the
 * calculator splits CRLF into two), so septets can be summed and packed 160, then 153 per part,
 * never splitting an escape pair. Returns null when any character is outside GSM-7.
 */
function gsmFastPath(text: string): SmsLength | null {
  let units = 0;
  for (let i = 0; i < text.length; i++) {
    const s = SEPTETS[text.charCodeAt(i)];
    if (s === 0) return null;
    units += s;
  }
  let segments = 1;
  if (units > 160) {
    let used = 0;
    for (let i = 0; i < text.length; i++) {
      const s = SEPTETS[text.charCodeAt(i)];
      if (used + s > 153) { segments++; used = 0; }
      used += s;
    }
  }
  return { encoding: 'GSM-7', units, segments, limitUnits: text.length, ucs2Characters: [] };
}
