import type * as OpenPGP from 'openpgp' with { 'resolution-mode': 'import' };
// openpgp ships an ES module for TypeScript's eyes and a CommonJS build for require(): this
// CommonJS project takes the types from the one and the code from the other.
// eslint-disable-next-line @typescript-eslint/no-require-imports
const openpgp: typeof OpenPGP = require('openpgp');
import { Problem } from '../errors';

/**
 * OpenPGP (RFC 9580 / 4880) with openpgp.js v6, the maintained library behind ProtonMail: the
 * roll leaves the hub only encrypted to the ballot provider's public key. No passphrase to
 * share, no temp file; the plaintext exists only in this process's memory while encrypting.
 */
export interface ProviderKey {
  key: OpenPGP.PublicKey;
  fingerprint: string;
}

export async function readProviderKey(armored: string, field: string): Promise<ProviderKey> {
  let key: OpenPGP.Key;
  try {
    key = await openpgp.readKey({ armoredKey: armored });
  } catch {
    throw Problem.badRequest(`invalid ${field}`, [{ field, message: `${field} is not an armored OpenPGP public key` }]);
  }
  if (key.isPrivate()) {
    throw Problem.badRequest(`invalid ${field}`, [{ field, message: `${field} is a PRIVATE key; send only the provider's public key (and tell the provider to replace it)` }]);
  }
  try {
    await key.getEncryptionKey();
  } catch {
    throw Problem.badRequest(`invalid ${field}`, [{ field, message: `${field} has no valid (unexpired, unrevoked) encryption key` }]);
  }
  return { key: key as OpenPGP.PublicKey, fingerprint: key.getFingerprint().toUpperCase() };
}

/** Encrypts (no signature) to the key; ASCII-armored so it survives e-mail and copy-paste. */
export async function encryptFor(key: ProviderKey, plaintext: Uint8Array, filename: string): Promise<string> {
  const message = await openpgp.createMessage({ binary: plaintext, filename, format: 'binary' });
  return (await openpgp.encrypt({ message, encryptionKeys: key.key, format: 'armored' })) as string;
}
