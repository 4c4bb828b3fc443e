import crypto from 'node:crypto';
import { createBase32Plugin } from '@otplib/core';
import { generateSync, verifySync } from '@otplib/totp';
import { generateTOTP } from '@otplib/uri';
import { NodeCryptoPlugin } from '@otplib/plugin-crypto-node';

/**
 * TOTP (RFC 6238) through otplib's packages: SHA-1, 6 digits, 30-second steps, which every
 * authenticator app reads from an otpauth:// URI. The `otplib` umbrella package pulls in
 * ESM-only base32 and hash modules; we take its CommonJS parts with Node's own crypto and give
 * it RFC 4648 base32 here (twenty lines), so the hub runs on any Node 20 and under jest.
 */
export const TOTP_PERIOD = 30;

const ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';

function base32Encode(data: Uint8Array): string {
  let bits = 0;
  let value = 0;
  let out = '';
  for (const byte of data) {
    value = (value << 8) | byte;
    bits += 8;
    while (bits >= 5) { out += ALPHABET[(value >>> (bits - 5)) & 31]; bits -= 5; }
  }
  if (bits > 0) out += ALPHABET[(value << (5 - bits)) & 31];
  return out;
}

function base32Decode(s: string): Uint8Array {
  const clean = s.toUpperCase().replace(/[\s=-]+/g, '');
  const out: number[] = [];
  let bits = 0;
  let value = 0;
  for (const c of clean) {
    const i = ALPHABET.indexOf(c);
    if (i < 0) throw new Error('not a base32 secret');
    value = (value << 5) | i;
    bits += 5;
    if (bits >= 8) { out.push((value >>> (bits - 8)) & 255); bits -= 8; }
  }
  return Uint8Array.from(out);
}

const plugins = { crypto: new NodeCryptoPlugin(), base32: createBase32Plugin({ name: 'rfc4648', encode: base32Encode, decode: base32Decode }) };

/** A new shared secret: 160 random bits (RFC 4226's recommendation), base32. */
export function newTotpSecret(): string {
  return base32Encode(crypto.randomBytes(20));
}

/** The code of the time step that `epochSeconds` falls in. */
export function totpCode(secret: string, epochSeconds: number): string {
  return generateSync({ secret, epoch: epochSeconds, ...plugins });
}

/** The time step the code belongs to, one step either side of `epochSeconds` and later than `afterStep`; else null. */
export function totpStep(secret: string, code: string, epochSeconds: number, afterStep: number): number | null {
  if (!/^\d{6}$/.test(code)) return null;
  const r = verifySync({ secret, token: code, epoch: epochSeconds, epochTolerance: TOTP_PERIOD, afterTimeStep: afterStep, ...plugins });
  return r.valid ? Math.floor(epochSeconds / TOTP_PERIOD) + r.delta : null;
}

export function totpUri(issuer: string, label: string, secret: string): string {
  return generateTOTP({ issuer, label, secret });
}
