import { createHash, createPublicKey, generateKeyPairSync, sign, verify, type KeyObject } from 'node:crypto';
import type { KeyPair, PrivateKey, PublicKey, Suite } from './suite.js';
import { InvalidKeyError } from './errors.js';
import { aes256GcmDecrypt, aes256GcmEncrypt } from './aead.js';
import { asNodePrivate, asNodePublic, NodePrivateKey, NodePublicKey, parsePrivatePem, parsePublicPem } from './node-keys.js';

const NAME = 'ed25519' as const;
const SPKI_PREFIX = Buffer.from('302a300506032b6570032100', 'hex');

function publicFromObject(keyObject: KeyObject): NodePublicKey {
  if (keyObject.asymmetricKeyType !== 'ed25519') throw new InvalidKeyError('not an Ed25519 public key');
  const der = keyObject.export({ format: 'der', type: 'spki' });
  return new NodePublicKey(NAME, new Uint8Array(der.subarray(SPKI_PREFIX.length)), keyObject);
}

function privateFromObject(keyObject: KeyObject): NodePrivateKey {
  if (keyObject.asymmetricKeyType !== 'ed25519') throw new InvalidKeyError('not an Ed25519 private key');
  return new NodePrivateKey(NAME, keyObject, publicFromObject(createPublicKey(keyObject)));
}

/**
 * Ed25519 (RFC 8032, pure); SHA-256 is the suite's hash for everything else (block and
 * transaction ids). No key agreement: Ed25519 keys are for signing only.
 */
export const ed25519: Suite = {
  name: NAME,
  hashName: 'sha256',
  hashLength: 32,
  signatureLength: 64,
  symmetricKeyLength: 32,

  generateKeyPair(): KeyPair {
    const { privateKey } = generateKeyPairSync('ed25519');
    const key = privateFromObject(privateKey);
    return { privateKey: key, publicKey: key.publicKey };
  },
  hash: (data) => createHash('sha256').update(data).digest(),
  sign: (privateKey: PrivateKey, message: Uint8Array) => sign(null, message, asNodePrivate(NAME, privateKey).keyObject),
  verify(publicKey: PublicKey, message: Uint8Array, signature: Uint8Array): boolean {
    const key = asNodePublic(NAME, publicKey);
    if (signature.length !== 64) return false;
    return verify(null, message, key.keyObject, signature);
  },
  exportPrivateKeyPem: (k) => asNodePrivate(NAME, k).keyObject.export({ format: 'pem', type: 'pkcs8' }) as string,
  importPrivateKeyPem: (pem) => privateFromObject(parsePrivatePem(pem, NAME)),
  exportPublicKeyPem: (k) => asNodePublic(NAME, k).keyObject.export({ format: 'pem', type: 'spki' }) as string,
  importPublicKeyPem: (pem) => publicFromObject(parsePublicPem(pem, NAME)),
  importPublicKeyBytes(bytes) {
    if (bytes.length !== 32) throw new InvalidKeyError(`an Ed25519 public key is 32 bytes, got ${bytes.length}`);
    try {
      return publicFromObject(createPublicKey({ key: Buffer.concat([SPKI_PREFIX, bytes]), format: 'der', type: 'spki' }));
    } catch (cause) {
      if (cause instanceof InvalidKeyError) throw cause;
      throw new InvalidKeyError('not an Ed25519 public key', { cause });
    }
  },
  encrypt: aes256GcmEncrypt,
  decrypt: aes256GcmDecrypt,
};
