import { Asn1Error, encode, encodeUnsignedInteger, readAll, readOne, readUnsignedInteger, TAG } from './asn1.js';
import { InvalidSignatureError } from './errors.js';

/*
 * ECDSA and SM2 signatures travel in X.509, CMS and `openssl pkeyutl` as
 * SEQUENCE { r INTEGER, s INTEGER } (RFC 3279 Ecdsa-Sig-Value; GM/T 0009 SM2Signature has the
 * same shape). Inside BSN they are fixed-size r || s. These convert between the two.
 */

function bytesToBigint(bytes: Uint8Array): bigint {
  return bytes.length === 0 ? 0n : BigInt('0x' + Buffer.from(bytes).toString('hex'));
}

function bigintToFixed(n: bigint, length: number): Uint8Array {
  const hex = n.toString(16);
  if (hex.length > length * 2) throw new InvalidSignatureError(`signature component longer than ${length} bytes`);
  return Buffer.from(hex.padStart(length * 2, '0'), 'hex');
}

/** DER SEQUENCE { r, s } of a fixed-size r || s signature (64 bytes for the 256-bit curves). */
export function signatureToDer(rs: Uint8Array): Uint8Array {
  if (rs.length === 0 || rs.length % 2 !== 0) {
    throw new InvalidSignatureError(`r || s signature must have an even, non-zero length, got ${rs.length}`);
  }
  const half = rs.length / 2;
  const r = bytesToBigint(rs.subarray(0, half));
  const s = bytesToBigint(rs.subarray(half));
  return encode(TAG.SEQUENCE, encodeUnsignedInteger(r), encodeUnsignedInteger(s));
}

/**
 * Fixed-size r || s (each `componentLength` bytes, 32 by default) of a strict-DER signature.
 * Throws InvalidSignatureError on anything but exactly one minimal SEQUENCE of two
 * non-negative INTEGERs that fit.
 */
export function signatureFromDer(der: Uint8Array, componentLength = 32): Uint8Array {
  try {
    const parts = readAll(readOne(der, TAG.SEQUENCE));
    if (parts.length !== 2 || parts.some((p) => p.tag !== TAG.INTEGER)) {
      throw new InvalidSignatureError('DER signature is not SEQUENCE { INTEGER, INTEGER }');
    }
    const [r, s] = parts.map((p) => readUnsignedInteger(p.value)) as [bigint, bigint];
    return Buffer.concat([bigintToFixed(r, componentLength), bigintToFixed(s, componentLength)]);
  } catch (cause) {
    if (cause instanceof InvalidSignatureError) throw cause;
    if (cause instanceof Asn1Error) throw new InvalidSignatureError(`malformed DER signature: ${cause.message}`, { cause });
    throw cause;
  }
}
