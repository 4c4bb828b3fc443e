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
    throw Problem.badRequest('Ugyldig OpenPGP-nøkkel.', [{ field, message: `${field} er ikke en offentlig OpenPGP-nøkkel i tekstformat (armored)` }]);
  }
  if (key.isPrivate()) {
    throw Problem.badRequest('Ugyldig OpenPGP-nøkkel.', [{ field, message: `${field} er en PRIVAT nøkkel; send bare leverandørens offentlige nøkkel (og be leverandøren bytte nøkkelen)` }]);
  }
  try {
    await key.getEncryptionKey();
  } catch {
    throw Problem.badRequest('Ugyldig OpenPGP-nøkkel.', [{ field, message: `${field} har ingen gyldig krypteringsnøkkel (den er utløpt eller trukket tilbake)` }]);
  }
  return { key: key as OpenPGP.PublicKey, fingerprint: key.getFingerprint().toUpperCase() };
}

/** Encrypts (no signature) to the key; ASCII-armored so it survives e-mail and copy-paste. */
export async function encryptFor(key: ProviderKey, plaintext: Uint8Array, filename: string): Promise<string> {
  const message = await openpgp.createMessage({ binary: plaintext, filename, format: 'binary' });
  return (await openpgp.encrypt({ message, encryptionKeys: key.key, format: 'armored' })) as string;
}
