import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import { DecryptionError, InvalidKeyError } from './errors.js';

const NONCE = 12;
const TAG = 16;

/** AES-256-GCM; the output is nonce(12) || ciphertext || tag(16). */
export function aes256GcmEncrypt(key: Uint8Array, plaintext: Uint8Array, aad?: Uint8Array): Uint8Array {
  if (key.length !== 32) throw new InvalidKeyError(`AES-256-GCM needs a 32-byte key, got ${key.length}`);
  const nonce = randomBytes(NONCE);
  const cipher = createCipheriv('aes-256-gcm', key, nonce);
  if (aad) cipher.setAAD(aad);
  const body = Buffer.concat([cipher.update(plaintext), cipher.final()]);
  return Buffer.concat([nonce, body, cipher.getAuthTag()]);
}

export function aes256GcmDecrypt(key: Uint8Array, sealed: Uint8Array, aad?: Uint8Array): Uint8Array {
  if (key.length !== 32) throw new InvalidKeyError(`AES-256-GCM needs a 32-byte key, got ${key.length}`);
  if (sealed.length < NONCE + TAG) throw new DecryptionError('ciphertext is shorter than nonce and tag');
  const nonce = sealed.subarray(0, NONCE);
  const tag = sealed.subarray(sealed.length - TAG);
  const decipher = createDecipheriv('aes-256-gcm', key, nonce);
  decipher.setAuthTag(tag);
  if (aad) decipher.setAAD(aad);
  try {
    return Buffer.concat([decipher.update(sealed.subarray(NONCE, sealed.length - TAG)), decipher.final()]);
  } catch (cause) {
    throw new DecryptionError('authentication failed: wrong key or tampered ciphertext', { cause });
  }
}
