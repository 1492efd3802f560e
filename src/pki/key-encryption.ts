import { createCipheriv, createDecipheriv, pbkdf2Sync, randomBytes, scryptSync } from 'node:crypto';
import { AsnConvert } from '@peculiar/asn1-schema';
import { AlgorithmIdentifier } from '@peculiar/asn1-x509';
import { getSuite, type PrivateKey } from '../crypto/index.js';
import { suiteOfKeyAlgorithm } from './algorithms.js';
import { oid, octetString, readChildren, readOid, readSingle, readSmallInteger, sequence, smallInteger, TAG, tlv, expectTag, type DerNode } from './der.js';
import { DerError, PkiError, UnsupportedAlgorithmError, WrongPassphraseError } from './errors.js';
import { decodePem, encodePem } from './pem.js';

/**
 * Private keys at rest: standard PKCS#8 `ENCRYPTED PRIVATE KEY` (RFC 8018 PBES2) with scrypt
 * (RFC 7914) and AES-256-CBC, so `openssl pkey -in ca.key -passin file:pass.txt` opens them.
 * scrypt N=2^14, r=8, p=1 is what `openssl pkcs8 -scrypt` writes and stays within OpenSSL's
 * 32 MiB scrypt memory cap; PBKDF2-HMAC-SHA256/SHA1 keys (OpenSSL's default) are read too.
 * CBC is not authenticated: a wrong passphrase shows as bad padding or a non-PKCS#8 plaintext,
 * and callers additionally check that the key matches its certificate.
 */

const OIDS = {
  pbes2: '1.2.840.113549.1.5.13',
  pbkdf2: '1.2.840.113549.1.5.12',
  scrypt: '1.3.6.1.4.1.11591.4.11',
  aes256Cbc: '2.16.840.1.101.3.4.1.42',
  hmacSha1: '1.2.840.113549.2.7',
  hmacSha256: '1.2.840.113549.2.9',
};

const SCRYPT = { N: 16384, r: 8, p: 1 };
// Bounds on parameters read from a file, so that a hostile key file cannot demand unbounded
// memory (128·N·r bytes for scrypt) or time.
const MAX = { memory: 64 * 1024 * 1024, work: 1 << 22, iterations: 10_000_000 };

function scryptKey(password: Uint8Array, salt: Uint8Array, N: number, r: number, p: number): Buffer {
  return scryptSync(password, salt, 32, { N, r, p, maxmem: 128 * r * (N + p) + (1 << 20) });
}

/** PKCS#8 DER → PEM `ENCRYPTED PRIVATE KEY` under `passphrase`. */
export function encryptPkcs8(pkcs8: Uint8Array, passphrase: string): string {
  const salt = randomBytes(16);
  const iv = randomBytes(16);
  const key = scryptKey(Buffer.from(passphrase, 'utf8'), salt, SCRYPT.N, SCRYPT.r, SCRYPT.p);
  const cipher = createCipheriv('aes-256-cbc', key, iv);
  const encrypted = Buffer.concat([cipher.update(pkcs8), cipher.final()]);
  const kdf = sequence(oid(OIDS.scrypt), sequence(octetString(salt), smallInteger(SCRYPT.N), smallInteger(SCRYPT.r), smallInteger(SCRYPT.p), smallInteger(32)));
  const scheme = sequence(oid(OIDS.aes256Cbc), octetString(iv));
  const info = sequence(sequence(oid(OIDS.pbes2), sequence(kdf, scheme)), octetString(encrypted));
  return encodePem('ENCRYPTED PRIVATE KEY', info);
}

interface Pbes2 {
  derive(password: Uint8Array): Buffer;
  iv: Uint8Array;
  data: Uint8Array;
}

function parseKdf(node: DerNode | undefined): (password: Uint8Array) => Buffer {
  const [algorithm, params] = readChildren(expectTag(node, TAG.SEQUENCE, 'PBES2 key derivation'));
  const kdf = readOid(algorithm, 'PBES2 key derivation algorithm');
  const fields = readChildren(expectTag(params, TAG.SEQUENCE, 'key derivation parameters'));
  const salt = expectTag(fields[0], TAG.OCTET_STRING, 'salt').content;
  if (kdf === OIDS.scrypt) {
    const [N, r, p] = [1, 2, 3].map((i) => readSmallInteger(fields[i], 'scrypt parameter')) as [number, number, number];
    if (N < 2 || (N & (N - 1)) !== 0 || r < 1 || p < 1 || 128 * N * r > MAX.memory || N * r * p > MAX.work) {
      throw new UnsupportedAlgorithmError(`scrypt parameters out of bounds (N=${N}, r=${r}, p=${p})`);
    }
    return (password) => scryptKey(password, salt, N, r, p);
  }
  if (kdf === OIDS.pbkdf2) {
    const iterations = readSmallInteger(fields[1], 'PBKDF2 iterations');
    if (iterations < 1 || iterations > MAX.iterations) throw new UnsupportedAlgorithmError(`PBKDF2 iteration count ${iterations} out of bounds`);
    const prfNode = fields.slice(2).find((f) => f.tag === TAG.SEQUENCE);
    const prf = prfNode ? readOid(readChildren(prfNode)[0], 'PBKDF2 PRF') : OIDS.hmacSha1;
    const digest = prf === OIDS.hmacSha256 ? 'sha256' : prf === OIDS.hmacSha1 ? 'sha1' : undefined;
    if (!digest) throw new UnsupportedAlgorithmError(`unsupported PBKDF2 PRF ${prf}`);
    return (password) => pbkdf2Sync(password, salt, iterations, 32, digest);
  }
  throw new UnsupportedAlgorithmError(`unsupported key derivation ${kdf}`);
}

function parseEncryptedPkcs8(der: Uint8Array): Pbes2 {
  const [algorithm, data] = readChildren(readSingle(der, TAG.SEQUENCE));
  const [scheme, params] = readChildren(expectTag(algorithm, TAG.SEQUENCE, 'encryption algorithm'));
  const schemeOid = readOid(scheme, 'encryption scheme');
  if (schemeOid !== OIDS.pbes2) throw new UnsupportedAlgorithmError(`unsupported key encryption ${schemeOid} (BSN reads PBES2)`);
  const [kdf, cipher] = readChildren(expectTag(params, TAG.SEQUENCE, 'PBES2 parameters'));
  const [cipherOid, iv] = readChildren(expectTag(cipher, TAG.SEQUENCE, 'PBES2 cipher'));
  const cipherName = readOid(cipherOid, 'PBES2 cipher');
  if (cipherName !== OIDS.aes256Cbc) throw new UnsupportedAlgorithmError(`unsupported key cipher ${cipherName} (BSN reads AES-256-CBC)`);
  const ivBytes = expectTag(iv, TAG.OCTET_STRING, 'IV').content;
  if (ivBytes.length !== 16) throw new DerError('AES-CBC IV must be 16 bytes');
  return { derive: parseKdf(kdf), iv: ivBytes, data: expectTag(data, TAG.OCTET_STRING, 'encrypted data').content };
}

/** PEM `ENCRYPTED PRIVATE KEY` → PKCS#8 DER; WrongPassphraseError when the passphrase does not open it. */
export function decryptPkcs8(pem: string, passphrase: string): Uint8Array {
  const parsed = guardDer(() => parseEncryptedPkcs8(decodePem(pem, ['ENCRYPTED PRIVATE KEY']).der));
  const key = parsed.derive(Buffer.from(passphrase, 'utf8'));
  let plain: Buffer;
  try {
    const decipher = createDecipheriv('aes-256-cbc', key, parsed.iv);
    plain = Buffer.concat([decipher.update(parsed.data), decipher.final()]);
  } catch (cause) {
    throw new WrongPassphraseError('wrong passphrase: the private key does not decrypt', { cause });
  }
  try {
    readSingle(plain, TAG.SEQUENCE);
  } catch (cause) {
    throw new WrongPassphraseError('wrong passphrase: the private key does not decrypt', { cause });
  }
  return new Uint8Array(plain);
}

function guardDer<T>(fn: () => T): T {
  try {
    return fn();
  } catch (err) {
    if (err instanceof PkiError) throw err;
    throw new DerError(`malformed encrypted private key: ${err instanceof Error ? err.message : String(err)}`, { cause: err });
  }
}

/** A PKCS#8 DER private key as a key of the suite its algorithm names. */
export function importPkcs8(pkcs8: Uint8Array): PrivateKey {
  return guardDer(() => {
    const [, algorithm] = readChildren(readSingle(pkcs8, TAG.SEQUENCE));
    const algDer = tlv(TAG.SEQUENCE, expectTag(algorithm, TAG.SEQUENCE, 'private key algorithm').content);
    const suite = suiteOfKeyAlgorithm(AsnConvert.parse(algDer, AlgorithmIdentifier));
    return getSuite(suite).importPrivateKeyPem(encodePem('PRIVATE KEY', pkcs8));
  });
}

export function exportPkcs8(privateKey: PrivateKey): Uint8Array {
  return decodePem(getSuite(privateKey.suite).exportPrivateKeyPem(privateKey), ['PRIVATE KEY']).der;
}

/** Reads a private key PEM: plain PKCS#8, or encrypted PKCS#8 when a passphrase is given. */
export function readPrivateKeyPem(pem: string, passphrase?: string): PrivateKey {
  const encrypted = pem.includes('-----BEGIN ENCRYPTED PRIVATE KEY-----');
  if (encrypted && passphrase === undefined) throw new WrongPassphraseError('the private key is encrypted and no passphrase was given');
  const der = encrypted ? decryptPkcs8(pem, passphrase ?? '') : guardDer(() => decodePem(pem, ['PRIVATE KEY']).der);
  return importPkcs8(der);
}
