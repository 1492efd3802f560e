import { createHash, createHmac } from 'node:crypto';

/** SM3 (GB/T 32905), 32-byte digest, on node:crypto's native OpenSSL implementation. */
export function sm3(...parts: Uint8Array[]): Uint8Array {
  const hash = createHash('sm3');
  for (const part of parts) hash.update(part);
  return hash.digest();
}

/** HMAC-SM3 (RFC 2104 with SM3), 32-byte tag. */
export function hmacSm3(key: Uint8Array, ...parts: Uint8Array[]): Uint8Array {
  const mac = createHmac('sm3', key);
  for (const part of parts) mac.update(part);
  return mac.digest();
}

/**
 * HKDF-Expand (RFC 5869 §2.3) with HMAC-SM3, for at most one block (32 bytes) of output: the
 * suite only ever derives sub-keys of 16 or 32 bytes from a uniformly random key, so the
 * Extract step and the multi-block loop would be dead code.
 */
export function hkdfExpandSm3(prk: Uint8Array, info: Uint8Array, length: number): Uint8Array {
  if (length < 1 || length > 32) throw new RangeError(`HKDF-Expand-SM3 length ${length} outside 1..32`);
  return hmacSm3(prk, info, Uint8Array.of(1)).subarray(0, length);
}
