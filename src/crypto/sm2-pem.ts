import { Asn1Error, encode, readAll, readOne, readUnsignedInteger, TAG, type Tlv } from './asn1.js';
import { InvalidKeyError } from './errors.js';
import { pemDecode, pemEncode } from './pem.js';
import { sm2Engine, type Sm2Point } from './sm2-core.js';
import { Sm2PrivateKey, Sm2PublicKey } from './sm2-keys.js';

/*
 * SM2 keys in the containers OpenSSL uses (`openssl genpkey -algorithm SM2`):
 *   SPKI    SEQUENCE { SEQUENCE { id-ecPublicKey, sm2 }, BIT STRING 04||x||y }
 *   PKCS#8  SEQUENCE { 0, SEQUENCE { id-ecPublicKey, sm2 },
 *                      OCTET STRING ECPrivateKey { 1, OCTET STRING d, [1] BIT STRING 04||x||y } }
 * Export writes exactly that; import also accepts the optional [0] curve parameters and a
 * missing [1] public key, which other SEC1 encoders produce.
 */
const OID_EC_PUBLIC_KEY = Buffer.from('06072a8648ce3d0201', 'hex');
const OID_SM2 = Buffer.from('06082a811ccf5501822d', 'hex'); // 1.2.156.10197.1.301
const ALGORITHM = encode(TAG.SEQUENCE, OID_EC_PUBLIC_KEY, OID_SM2);
// Context tags: ECPrivateKey's [0] parameters / [1] publicKey (explicit), and PKCS#8's
// [0] attributes (implicit SET) / v2 [1] publicKey (implicit BIT STRING).
const CONTEXT_0 = 0xa0;
const CONTEXT_1 = 0xa1;
const IMPLICIT_1 = 0x81;

const bitString = (bytes: Uint8Array) => encode(TAG.BIT_STRING, Uint8Array.of(0), bytes);
const sameBytes = (a: Uint8Array, b: Uint8Array) => Buffer.from(a).equals(b);

export function sm2SpkiDer(key: Sm2PublicKey): Uint8Array {
  return encode(TAG.SEQUENCE, ALGORITHM, bitString(key.point.toBytes(false)));
}

export function sm2Pkcs8Der(key: Sm2PrivateKey): Uint8Array {
  const ecPrivateKey = encode(
    TAG.SEQUENCE,
    encode(TAG.INTEGER, Uint8Array.of(1)),
    encode(TAG.OCTET_STRING, key.scalarBytes()),
    encode(CONTEXT_1, bitString(key.publicKey.point.toBytes(false))),
  );
  return encode(TAG.SEQUENCE, encode(TAG.INTEGER, Uint8Array.of(0)), ALGORITHM, encode(TAG.OCTET_STRING, ecPrivateKey));
}

export const exportSm2PublicPem = (key: Sm2PublicKey) => pemEncode(sm2SpkiDer(key), 'PUBLIC KEY');
export const exportSm2PrivatePem = (key: Sm2PrivateKey) => pemEncode(sm2Pkcs8Der(key), 'PRIVATE KEY');

/** A validated point of the SM2 curve from SEC1 bytes (33 compressed or 65 uncompressed). */
export function sm2PointFromBytes(bytes: Uint8Array): Sm2Point {
  if (bytes.length !== 33 && bytes.length !== 65) {
    throw new InvalidKeyError(`an SM2 public key is 33 or 65 bytes, got ${bytes.length}`);
  }
  try {
    // fromBytes checks the point is on the curve; infinity has no encoding it accepts.
    return sm2Engine.Point.fromBytes(bytes);
  } catch (cause) {
    throw new InvalidKeyError('not a point of the SM2 curve', { cause });
  }
}

/** Reads DER with `read`, turning every structural failure into InvalidKeyError. */
function parse<T>(what: string, read: () => T): T {
  try {
    return read();
  } catch (cause) {
    if (cause instanceof InvalidKeyError) throw cause;
    if (cause instanceof Asn1Error) throw new InvalidKeyError(`malformed ${what}: ${cause.message}`, { cause });
    throw cause;
  }
}

function isSm2Algorithm(tlv: Tlv | undefined): boolean {
  return tlv?.tag === TAG.SEQUENCE && sameBytes(tlv.value, ALGORITHM.subarray(2));
}

function expect(condition: boolean, message: string): asserts condition {
  if (!condition) throw new InvalidKeyError(message);
}

/** The bytes of a BIT STRING's contents that has no unused bits. */
function bitStringBytes(contents: Uint8Array): Uint8Array {
  expect(contents[0] === 0, 'expected a BIT STRING with no unused bits');
  return contents.subarray(1);
}

export function importSm2PublicPem(pem: string): Sm2PublicKey {
  const der = pemDecode(pem, 'PUBLIC KEY');
  if (!der) throw new InvalidKeyError('not an SPKI PEM sm2 public key');
  return parse('SPKI', () => {
    const [algorithm, key, ...rest] = readAll(readOne(der, TAG.SEQUENCE));
    expect(rest.length === 0 && isSm2Algorithm(algorithm), 'not an SM2 SPKI');
    expect(key?.tag === TAG.BIT_STRING, 'SPKI without a BIT STRING key');
    return new Sm2PublicKey(sm2PointFromBytes(bitStringBytes(key.value)));
  });
}

export function importSm2PrivatePem(pem: string): Sm2PrivateKey {
  const der = pemDecode(pem, 'PRIVATE KEY');
  if (!der) throw new InvalidKeyError('not a PKCS#8 PEM sm2 private key');
  return parse('PKCS#8', () => {
    const [version, algorithm, inner, ...attributes] = readAll(readOne(der, TAG.SEQUENCE));
    expect(version?.tag === TAG.INTEGER && readUnsignedInteger(version.value) <= 1n, 'unsupported PKCS#8 version');
    expect(isSm2Algorithm(algorithm), 'not an SM2 private key');
    expect(inner?.tag === TAG.OCTET_STRING, 'PKCS#8 without a private key');
    expect(attributes.every((a) => a.tag === CONTEXT_0 || a.tag === IMPLICIT_1), 'unexpected PKCS#8 field');
    return parseEcPrivateKey(inner.value);
  });
}

/** SEC1 ECPrivateKey (RFC 5915), checked against the SM2 curve and, if present, its public key. */
function parseEcPrivateKey(der: Uint8Array): Sm2PrivateKey {
  const [version, secret, ...optional] = readAll(readOne(der, TAG.SEQUENCE));
  expect(version?.tag === TAG.INTEGER && readUnsignedInteger(version.value) === 1n, 'unsupported ECPrivateKey version');
  expect(secret?.tag === TAG.OCTET_STRING && secret.value.length >= 1 && secret.value.length <= 32, 'bad ECPrivateKey scalar');
  const d = BigInt('0x' + Buffer.from(secret.value).toString('hex'));
  expect(d >= 1n && d <= sm2Engine.n - 2n, 'SM2 private key outside [1, n-2]');
  let publicBytes: Uint8Array | undefined;
  for (const field of optional) {
    if (field.tag === CONTEXT_0) expect(sameBytes(field.value, OID_SM2), 'ECPrivateKey parameters name another curve');
    else if (field.tag === CONTEXT_1) publicBytes = bitStringBytes(readOne(field.value, TAG.BIT_STRING));
    else expect(false, 'unexpected ECPrivateKey field');
  }
  const key = new Sm2PrivateKey(d);
  if (publicBytes) expect(key.publicKey.point.equals(sm2PointFromBytes(publicBytes)), 'ECPrivateKey public key does not match its scalar');
  return key;
}
