import { createECDH, createPrivateKey, createPublicKey, randomBytes, type KeyObject } from 'node:crypto';
import type { KeyPair, PrivateKey, PublicKey, RecoverableSuite } from './suite.js';
import { InvalidKeyError, InvalidSignatureError, SuiteMismatchError } from './errors.js';
import { aes256GcmDecrypt, aes256GcmEncrypt } from './aead.js';
import { keccak256 } from './keccak.js';
import { parsePrivatePem, parsePublicPem } from './node-keys.js';
import { secp256k1Native as native } from './secp256k1-native.js';

const NAME = 'secp256k1' as const;
// n/2: signatures with a larger s are the malleable twin of a valid one (EIP-2).
const HALF_N = Buffer.from('7fffffffffffffffffffffffffffffff5d576e7357a4501ddfe92f46681b20a0', 'hex');

class Secp256k1PublicKey implements PublicKey {
  readonly suite = NAME;
  readonly type = 'public' as const;
  /** `bytes` is the 33-byte compressed point, already validated. */
  constructor(readonly bytes: Uint8Array) {}

  /** x and y, 32 bytes each: the point without its 0x04 prefix, what Ethereum addresses hash. */
  uncompressedXY(): Uint8Array {
    return native.publicKeyConvert(this.bytes, false).subarray(1);
  }
}

class Secp256k1PrivateKey implements PrivateKey {
  readonly suite = NAME;
  readonly type = 'private' as const;
  readonly publicKey: Secp256k1PublicKey;
  readonly #d: Uint8Array;

  /** `d` must already pass privateKeyVerify. */
  constructor(d: Uint8Array) {
    this.#d = Uint8Array.from(d);
    this.publicKey = new Secp256k1PublicKey(native.publicKeyCreate(this.#d, true));
  }

  /** r || s || v; libsecp256k1 uses RFC 6979 nonces and always returns low s. */
  signDigest(digest: Uint8Array): Uint8Array {
    const { signature, recid } = native.ecdsaSign(digest, this.#d);
    const out = new Uint8Array(65);
    out.set(signature);
    out[64] = recid;
    return out;
  }

  sharedX(peer: Secp256k1PublicKey): Uint8Array {
    const ecdh = createECDH('secp256k1');
    ecdh.setPrivateKey(this.#d);
    return ecdh.computeSecret(peer.bytes);
  }

  keyObject(): KeyObject {
    const xy = this.publicKey.uncompressedXY();
    const b64 = (bytes: Uint8Array) => Buffer.from(bytes).toString('base64url');
    const jwk = { kty: 'EC', crv: NAME, d: b64(this.#d), x: b64(xy.subarray(0, 32)), y: b64(xy.subarray(32)) };
    return createPrivateKey({ key: jwk, format: 'jwk' });
  }
}

function asPublic(key: PublicKey): Secp256k1PublicKey {
  if (!(key instanceof Secp256k1PublicKey)) throw new SuiteMismatchError(`expected a ${NAME} public key, got ${key.suite}`);
  return key;
}

function asPrivate(key: PrivateKey): Secp256k1PrivateKey {
  if (!(key instanceof Secp256k1PrivateKey)) throw new SuiteMismatchError(`expected a ${NAME} private key, got ${key.suite}`);
  return key;
}

function publicFromBytes(bytes: Uint8Array): Secp256k1PublicKey {
  if ((bytes.length !== 33 && bytes.length !== 65) || !native.publicKeyVerify(bytes)) {
    throw new InvalidKeyError('not a point of the secp256k1 curve');
  }
  return new Secp256k1PublicKey(native.publicKeyConvert(bytes, true));
}

function checkCurve(keyObject: KeyObject, kind: string): void {
  if (keyObject.asymmetricKeyType !== 'ec' || keyObject.asymmetricKeyDetails?.namedCurve !== NAME) {
    throw new InvalidKeyError(`not a ${NAME} ${kind} key`);
  }
}

/** The signature's parts if it is well-formed (65 bytes, v ∈ {0,1}, s ≤ n/2), else undefined. */
function splitSignature(signature: Uint8Array): { rs: Uint8Array; v: number } | undefined {
  if (signature.length !== 65) return undefined;
  const v = signature[64]!;
  if (v > 1 || Buffer.compare(signature.subarray(32, 64), HALF_N) > 0) return undefined;
  return { rs: signature.subarray(0, 64), v };
}

function recoverFrom(digest: Uint8Array, signature: Uint8Array): Uint8Array | undefined {
  const parts = splitSignature(signature);
  if (!parts || digest.length !== 32) return undefined;
  try {
    return native.ecdsaRecover(parts.rs, parts.v, digest, true);
  } catch {
    return undefined; // r or s zero or ≥ n, or no point with that x
  }
}

/**
 * ECDSA over secp256k1 with Keccak-256, as Ethereum signs: signatures are r || s || v (65 bytes,
 * v ∈ {0,1}, s low), public key bytes are the SEC1 compressed point (33 bytes). Signing and
 * recovery run on libsecp256k1 (the native addon). Encryption is AES-256-GCM; `agree` is ECDH,
 * the x coordinate of the shared point.
 */
export const secp256k1: RecoverableSuite = {
  name: NAME,
  hashName: 'keccak256',
  hashLength: 32,
  signatureLength: 65,
  symmetricKeyLength: 32,

  generateKeyPair(): KeyPair {
    let d = randomBytes(32);
    while (!native.privateKeyVerify(d)) d = randomBytes(32);
    const privateKey = new Secp256k1PrivateKey(d);
    return { privateKey, publicKey: privateKey.publicKey };
  },
  hash: keccak256,
  sign: (privateKey, message) => asPrivate(privateKey).signDigest(keccak256(message)),
  signDigest(privateKey, digest) {
    const key = asPrivate(privateKey);
    if (digest.length !== 32) throw new InvalidSignatureError(`a digest to sign is 32 bytes, got ${digest.length}`);
    return key.signDigest(digest);
  },
  verify(publicKey, message, signature) {
    const key = asPublic(publicKey);
    // Recovering and comparing checks v as well, so every signature has exactly one valid encoding.
    const recovered = recoverFrom(keccak256(message), signature);
    return recovered !== undefined && Buffer.compare(recovered, key.bytes) === 0;
  },
  recover(digest, signature) {
    const recovered = recoverFrom(digest, signature);
    if (!recovered) throw new InvalidSignatureError('not a recoverable secp256k1 signature (65 bytes, v ∈ {0,1}, low s)');
    return new Secp256k1PublicKey(recovered);
  },
  exportPrivateKeyPem: (key) => asPrivate(key).keyObject().export({ format: 'pem', type: 'pkcs8' }) as string,
  importPrivateKeyPem(pem) {
    const keyObject = parsePrivatePem(pem, NAME);
    checkCurve(keyObject, 'private');
    const d = Buffer.from(keyObject.export({ format: 'jwk' }).d ?? '', 'base64url');
    if (d.length !== 32 || !native.privateKeyVerify(d)) throw new InvalidKeyError(`not a valid ${NAME} private scalar`);
    return new Secp256k1PrivateKey(d);
  },
  exportPublicKeyPem(key) {
    const point = native.publicKeyConvert(asPublic(key).bytes, false);
    const b64 = (bytes: Uint8Array) => Buffer.from(bytes).toString('base64url');
    const jwk = { kty: 'EC', crv: NAME, x: b64(point.subarray(1, 33)), y: b64(point.subarray(33)) };
    return createPublicKey({ key: jwk, format: 'jwk' }).export({ format: 'pem', type: 'spki' }) as string;
  },
  importPublicKeyPem(pem) {
    const keyObject = parsePublicPem(pem, NAME);
    checkCurve(keyObject, 'public');
    const { x, y } = keyObject.export({ format: 'jwk' });
    return publicFromBytes(Buffer.concat([Uint8Array.of(4), Buffer.from(x ?? '', 'base64url'), Buffer.from(y ?? '', 'base64url')]));
  },
  importPublicKeyBytes: publicFromBytes,
  encrypt: aes256GcmEncrypt,
  decrypt: aes256GcmDecrypt,
  agree: (privateKey, peer) => asPrivate(privateKey).sharedX(asPublic(peer)),
};

/** The Ethereum address (20 bytes) of a secp256k1 public key: the last 20 bytes of keccak256(x || y). */
export function ethereumAddress(publicKey: PublicKey): Uint8Array {
  return keccak256(asPublic(publicKey).uncompressedXY()).subarray(12);
}
