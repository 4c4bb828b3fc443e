import { parsePhoneNumberFromString } from 'libphonenumber-js';

/**
 * A phone number as E.164, Norwegian by default. Register exports are mostly Norwegian mobile
 * numbers in a handful of spellings ("+47 912 34 567", "91234567", "0047 912 34 567"); those take
 * a fast path that gives exactly what libphonenumber-js gives, so a million rows do not pay for a
 * full parse each. Everything else goes through libphonenumber-js (default country NO).
 */
const CANONICAL = /^\+47[49]\d{7}$/;
const EIGHT = /^[49]\d{7}$/;

export function normalisePhone(raw: string): string | undefined {
  if (CANONICAL.test(raw)) return raw;
  if (EIGHT.test(raw)) return `+47${raw}`;
  const compact = raw.replace(/[\s().-]/g, '');
  const m = /^(?:\+47|0047)?([49]\d{7})$/.exec(compact);
  if (m) return `+47${m[1]}`;
  const p = parsePhoneNumberFromString(raw, 'NO');
  if (!p || !p.isValid()) return undefined;
  return p.number;
}
