const WEIGHTS = [3, 2, 7, 6, 5, 4, 3, 2];

/** The mod-11 check digit of the first eight digits, or null when no valid number has them. */
export function orgNumberCheckDigit(first8: string): number | null {
  let sum = 0;
  for (let i = 0; i < 8; i++) sum += (first8.charCodeAt(i) - 48) * WEIGHTS[i];
  const r = 11 - (sum % 11);
  if (r === 11) return 0;
  if (r === 10) return null;
  return r;
}

/** A Norwegian organisation number: nine digits, the last a mod-11 check digit. */
export function isValidOrgNumber(n: string): boolean {
  if (!/^\d{9}$/.test(n)) return false;
  return orgNumberCheckDigit(n.slice(0, 8)) === n.charCodeAt(8) - 48;
}

/** A valid organisation number from a seed (for demo data and tests). Starts with 9 like real ones. */
export function makeOrgNumber(seed: number): string {
  for (let s = seed; ; s++) {
    const first8 = `9${String(s % 10_000_000).padStart(7, '0')}`;
    const d = orgNumberCheckDigit(first8);
    if (d !== null) return first8 + d;
  }
}
