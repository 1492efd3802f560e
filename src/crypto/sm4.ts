import { createCipheriv, randomBytes, timingSafeEqual } from 'node:crypto';
import { DecryptionError, InvalidKeyError } from './errors.js';
import { hkdfExpandSm3, hmacSm3 } from './sm3.js';

/*
 * Authenticated encryption for the sm2 suite: SM4-CTR then HMAC-SM3 (encrypt-then-MAC).
 * OpenSSL 3.0 has no SM4-GCM, and both halves here are native in node:crypto.
 *
 *   enc key (16) = HKDF-Expand-SM3(K, "bsn sm4-ctr-hmac-sm3 enc", 16)
 *   mac key (32) = HKDF-Expand-SM3(K, "bsn sm4-ctr-hmac-sm3 mac", 32)
 *   iv           = 16 random bytes, SM4-CTR's initial counter block
 *   tag (32)     = HMAC-SM3(mac key, aad || iv || ciphertext || uint64be(bitLength(aad)))
 *   output       = iv || ciphertext || tag
 *
 * The trailing AAD length makes the split between aad and iv unambiguous (as in
 * draft-mcgrew-aead-aes-cbc-hmac-sha2). K is 16 or 32 bytes of key material.
 */
const IV = 16;
const TAG = 32;
const ENC_INFO = new TextEncoder().encode('bsn sm4-ctr-hmac-sm3 enc');
const MAC_INFO = new TextEncoder().encode('bsn sm4-ctr-hmac-sm3 mac');
const EMPTY = new Uint8Array(0);

/** Bytes SM4-CTR-HMAC-SM3 adds to a plaintext: iv and tag. */
export const SM4_OVERHEAD = IV + TAG;

function subKeys(key: Uint8Array): { enc: Uint8Array; mac: Uint8Array } {
  if (key.length !== 16 && key.length !== 32) {
    throw new InvalidKeyError(`SM4-CTR-HMAC-SM3 needs a 16- or 32-byte key, got ${key.length}`);
  }
  return { enc: hkdfExpandSm3(key, ENC_INFO, 16), mac: hkdfExpandSm3(key, MAC_INFO, 32) };
}

function tagOf(macKey: Uint8Array, aad: Uint8Array, iv: Uint8Array, body: Uint8Array): Uint8Array {
  const aadBits = Buffer.alloc(8);
  aadBits.writeBigUInt64BE(BigInt(aad.length) * 8n);
  return hmacSm3(macKey, aad, iv, body, aadBits);
}

function ctr(key: Uint8Array, iv: Uint8Array, data: Uint8Array): Buffer {
  const cipher = createCipheriv('sm4-ctr', key, iv);
  return Buffer.concat([cipher.update(data), cipher.final()]);
}

export function sm4CtrHmacEncrypt(key: Uint8Array, plaintext: Uint8Array, aad: Uint8Array = EMPTY): Uint8Array {
  const { enc, mac } = subKeys(key);
  const iv = randomBytes(IV);
  const body = ctr(enc, iv, plaintext);
  return Buffer.concat([iv, body, tagOf(mac, aad, iv, body)]);
}

export function sm4CtrHmacDecrypt(key: Uint8Array, sealed: Uint8Array, aad: Uint8Array = EMPTY): Uint8Array {
  const { enc, mac } = subKeys(key);
  if (sealed.length < IV + TAG) throw new DecryptionError('ciphertext is shorter than iv and tag');
  const iv = sealed.subarray(0, IV);
  const body = sealed.subarray(IV, sealed.length - TAG);
  const tag = sealed.subarray(sealed.length - TAG);
  // Check before decrypting: CTR output of a forged ciphertext must never reach the caller.
  if (!timingSafeEqual(tagOf(mac, aad, iv, body), tag)) {
    throw new DecryptionError('authentication failed: wrong key or tampered ciphertext');
  }
  return ctr(enc, iv, body);
}
