import { createHash, createPublicKey, diffieHellman, ECDH, generateKeyPairSync, sign, verify, type KeyObject } from 'node:crypto';
import type { KeyPair, PrivateKey, PublicKey, Suite } from './suite.js';
import { InvalidKeyError } from './errors.js';
import { aes256GcmDecrypt, aes256GcmEncrypt } from './aead.js';
import { asNodePrivate, asNodePublic, NodePrivateKey, NodePublicKey, parsePrivatePem, parsePublicPem } from './node-keys.js';

const NAME = 'ecdsa-p256' as const;
const CURVE = 'prime256v1';
// DER prefix of an SPKI holding an uncompressed P-256 point (id-ecPublicKey, prime256v1).
const SPKI_PREFIX = Buffer.from('3059301306072a8648ce3d020106082a8648ce3d030107034200', 'hex');

function publicFromObject(keyObject: KeyObject): NodePublicKey {
  const der = keyObject.export({ format: 'der', type: 'spki' });
  if (der.length !== SPKI_PREFIX.length + 65 || !der.subarray(0, SPKI_PREFIX.length).equals(SPKI_PREFIX)) {
    throw new InvalidKeyError('not a P-256 public key');
  }
  const point = der.subarray(SPKI_PREFIX.length);
  const compressed = ECDH.convertKey(point, CURVE, undefined, undefined, 'compressed') as Buffer;
  return new NodePublicKey(NAME, new Uint8Array(compressed), keyObject);
}

function privateFromObject(keyObject: KeyObject): NodePrivateKey {
  if (keyObject.asymmetricKeyType !== 'ec' || keyObject.asymmetricKeyDetails?.namedCurve !== CURVE) {
    throw new InvalidKeyError('not a P-256 private key');
  }
  return new NodePrivateKey(NAME, keyObject, publicFromObject(createPublicKey(keyObject)));
}

/** The order n of P-256, and n/2: s above it is "high-s". */
const ORDER = 0xffffffff00000000ffffffffffffffffbce6faada7179e84f3b9cac2fc632551n;
const HALF_ORDER = ORDER >> 1n;

const toBig = (b: Uint8Array): bigint => BigInt(`0x${Buffer.from(b).toString('hex') || '0'}`);

/**
 * Whether an r||s signature has s ≤ n/2. For each valid (r, s), (r, n − s) verifies too, so a
 * third party can re-sign nothing yet change the signature bytes: where a hash covers the
 * signature (kv txs), only the low-s one of the two is accepted (src/execution/kv/tx.ts).
 * Not enforced by `verify`: certificates and CRLs signed by OpenSSL, and requests signed with
 * WebCrypto, carry high-s half of the time, and there the twin changes nothing.
 */
export function isLowS(signature: Uint8Array): boolean {
  return signature.length === 64 && toBig(signature.subarray(32)) <= HALF_ORDER;
}

/** The low-s twin of an r||s signature (itself when already low-s). */
export function toLowS(signature: Uint8Array): Uint8Array {
  const s = toBig(signature.subarray(32));
  if (s <= HALF_ORDER) return signature;
  const out = new Uint8Array(64);
  out.set(signature.subarray(0, 32));
  out.set(Buffer.from((ORDER - s).toString(16).padStart(64, '0'), 'hex'), 32);
  return out;
}

/**
 * ECDSA over P-256 with SHA-256; signatures are r||s (IEEE P1363), 64 bytes, and `sign` makes
 * them low-s (isLowS); bytes of a public key are SEC1 compressed.
 */
export const ecdsaP256: Suite = {
  name: NAME,
  hashName: 'sha256',
  hashLength: 32,
  signatureLength: 64,
  symmetricKeyLength: 32,

  generateKeyPair(): KeyPair {
    const { privateKey } = generateKeyPairSync('ec', { namedCurve: CURVE });
    const key = privateFromObject(privateKey);
    return { privateKey: key, publicKey: key.publicKey };
  },
  hash: (data) => createHash('sha256').update(data).digest(),
  sign(privateKey: PrivateKey, message: Uint8Array): Uint8Array {
    const key = asNodePrivate(NAME, privateKey);
    return toLowS(sign('sha256', message, { key: key.keyObject, dsaEncoding: 'ieee-p1363' }));
  },
  verify(publicKey: PublicKey, message: Uint8Array, signature: Uint8Array): boolean {
    const key = asNodePublic(NAME, publicKey);
    if (signature.length !== 64) return false;
    return verify('sha256', message, { key: key.keyObject, dsaEncoding: 'ieee-p1363' }, signature);
  },
  exportPrivateKeyPem: (k) => asNodePrivate(NAME, k).keyObject.export({ format: 'pem', type: 'pkcs8' }) as string,
  importPrivateKeyPem: (pem) => privateFromObject(parsePrivatePem(pem, NAME)),
  exportPublicKeyPem: (k) => asNodePublic(NAME, k).keyObject.export({ format: 'pem', type: 'spki' }) as string,
  importPublicKeyPem(pem) {
    const keyObject = parsePublicPem(pem, NAME);
    if (keyObject.asymmetricKeyType !== 'ec') throw new InvalidKeyError('not a P-256 public key');
    return publicFromObject(keyObject);
  },
  importPublicKeyBytes(bytes) {
    // convertKey returns '' for empty input and accepts the 1-byte infinity encoding.
    if (bytes.length !== 33 && bytes.length !== 65) throw new InvalidKeyError(`a P-256 public key is 33 or 65 bytes, got ${bytes.length}`);
    let point: Buffer;
    try {
      point = ECDH.convertKey(bytes, CURVE, undefined, undefined, 'uncompressed') as Buffer;
    } catch (cause) {
      throw new InvalidKeyError('not a P-256 point', { cause });
    }
    const keyObject = createPublicKey({ key: Buffer.concat([SPKI_PREFIX, point]), format: 'der', type: 'spki' });
    // convertKey has validated the point; a compressed input already is the canonical form, so
    // the export and re-compression of publicFromObject (a fifth of a cold verify) is skipped.
    if (bytes.length === 33) return new NodePublicKey(NAME, Uint8Array.from(bytes), keyObject);
    return publicFromObject(keyObject);
  },
  encrypt: aes256GcmEncrypt,
  decrypt: aes256GcmDecrypt,
  agree(privateKey, peer) {
    return diffieHellman({ privateKey: asNodePrivate(NAME, privateKey).keyObject, publicKey: asNodePublic(NAME, peer).keyObject });
  },
};
