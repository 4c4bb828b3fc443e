/**
 * Norwegian national identity numbers (fødselsnummer, d-nummer, h-nummer): 11 digits DDMMYY IIIKK
 * with two mod-11 check digits. The hub never stores, logs or echoes one: this module finds them
 * in any text so the import, the member API and every /api request can refuse them, and so
 * reports can blank out a value that looks like one.
 *
 * A candidate is 11 digits not inside a longer run of digits, written plainly or as six and five
 * with one space, dot or hyphen between ("010190 12345"). It counts when the date part is a
 * possible date (d-nummer: day + 40; h-nummer: month + 40) and both check digits hold: about one
 * in 2,000 random 11-digit strings does, so a false alarm on a real register field is rare.
 */
const CANDIDATE = /(?<![0-9])(\d{6})[ .-]?(\d{5})(?![0-9])/g;
const W1 = [3, 7, 6, 1, 8, 9, 4, 5, 2];
const W2 = [5, 4, 3, 2, 7, 6, 5, 4, 3, 2];

function checkDigit(d: number[], w: number[]): number {
  const s = w.reduce((acc, wi, i) => acc + wi * d[i], 0);
  const k = 11 - (s % 11);
  return k === 11 ? 0 : k; // 10 means no valid number
}

/** True when `digits` (exactly 11) is a checksum-valid fødselsnummer, d-nummer or h-nummer. */
export function isNationalId(digits: string): boolean {
  if (!/^\d{11}$/.test(digits)) return false;
  const d = [...digits].map(Number);
  let day = d[0] * 10 + d[1];
  let month = d[2] * 10 + d[3];
  if (day > 40) day -= 40; // d-nummer
  if (month > 40) month -= 40; // h-nummer
  if (day < 1 || day > 31 || month < 1 || month > 12) return false;
  const k1 = checkDigit(d, W1);
  if (k1 === 10 || k1 !== d[9]) return false;
  const k2 = checkDigit(d, W2);
  return k2 !== 10 && k2 === d[10];
}

const MAYBE = /\d{5}/; // cheap pre-check: no run of 5 digits, no candidate

/** True when the text contains a checksum-valid national identity number anywhere. */
export function containsNationalId(text: string): boolean {
  if (text.length < 11 || !MAYBE.test(text)) return false;
  for (const m of text.matchAll(CANDIDATE)) if (isNationalId(m[1] + m[2])) return true;
  return false;
}

export const NATIONAL_ID_MESSAGE = 'ser ut som et fødselsnummer eller d-nummer; det lagres ikke';
const BLANK = '[fødselsnummer fjernet]';

/** The text with every national identity number in it replaced by a marker (for reports and messages). */
export function redactNationalIds(text: string): string {
  if (text.length < 11 || !MAYBE.test(text)) return text;
  return text.replace(CANDIDATE, (all, a: string, b: string) => (isNationalId(a + b) ? BLANK : all));
}

/**
 * The path of the first string (or number, or object key) in a JSON value that holds a national
 * identity number, or null. Numbers count too: 31129912345 sent as a JSON number is still one.
 */
export function findNationalId(value: unknown, where: string, depth = 0): string | null {
  if (typeof value === 'string') return containsNationalId(value) ? where : null;
  if (typeof value === 'number') return Number.isInteger(value) && value >= 1e9 && containsNationalId(String(value).padStart(11, '0')) ? where : null;
  if (!value || typeof value !== 'object' || depth > 64) return null;
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) { const p = findNationalId(value[i], `${where}.${i}`, depth + 1); if (p) return p; }
    return null;
  }
  for (const [k, v] of Object.entries(value)) {
    if (containsNationalId(k)) return where;
    const p = findNationalId(v, `${where}.${k}`, depth + 1);
    if (p) return p;
  }
  return null;
}
