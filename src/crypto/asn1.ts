import { BsnError } from '../errors.js';

/**
 * The little DER this folder needs (signatures, SM2 key containers), strict enough that one
 * value has one encoding: definite minimal lengths only, no trailing bytes. Readers throw
 * `Asn1Error`; callers turn it into their own typed error.
 */
export class Asn1Error extends BsnError {
  readonly code = 'CRYPTO_MALFORMED_DER';
}

export const TAG = { INTEGER: 0x02, BIT_STRING: 0x03, OCTET_STRING: 0x04, OID: 0x06, SEQUENCE: 0x30 } as const;

export interface Tlv {
  readonly tag: number;
  readonly value: Uint8Array;
}

/** Reads one TLV at `offset`; returns it and the offset after it. */
function readTlv(der: Uint8Array, offset: number): { tlv: Tlv; end: number } {
  const tag = der[offset];
  let lengthByte = der[offset + 1];
  if (tag === undefined || lengthByte === undefined) throw new Asn1Error('truncated DER');
  if ((tag & 0x1f) === 0x1f) throw new Asn1Error('multi-byte tags are not used here');
  let pos = offset + 2;
  let length = lengthByte;
  if (lengthByte & 0x80) {
    const count = lengthByte & 0x7f;
    if (count === 0 || count > 3) throw new Asn1Error('unsupported DER length');
    length = 0;
    for (let i = 0; i < count; i++) {
      lengthByte = der[pos++];
      if (lengthByte === undefined) throw new Asn1Error('truncated DER length');
      length = length * 256 + lengthByte;
    }
    if (length < 0x80 || length < 1 << (8 * (count - 1))) throw new Asn1Error('non-minimal DER length');
  }
  const end = pos + length;
  if (end > der.length) throw new Asn1Error('DER value runs past the end');
  return { tlv: { tag, value: der.subarray(pos, end) }, end };
}

/** The one TLV that `der` holds, with nothing after it; its tag must be `tag`. */
export function readOne(der: Uint8Array, tag: number): Uint8Array {
  const { tlv, end } = readTlv(der, 0);
  if (end !== der.length) throw new Asn1Error('trailing bytes after DER value');
  if (tlv.tag !== tag) throw new Asn1Error(`expected DER tag 0x${tag.toString(16)}, got 0x${tlv.tag.toString(16)}`);
  return tlv.value;
}

/** The TLVs of a constructed value's contents, in order. */
export function readAll(contents: Uint8Array): Tlv[] {
  const out: Tlv[] = [];
  for (let offset = 0; offset < contents.length; ) {
    const { tlv, end } = readTlv(contents, offset);
    out.push(tlv);
    offset = end;
  }
  return out;
}

/** The unsigned value of a DER INTEGER's contents; rejects negatives and non-minimal forms. */
export function readUnsignedInteger(value: Uint8Array): bigint {
  const first = value[0];
  if (first === undefined) throw new Asn1Error('empty INTEGER');
  if (first & 0x80) throw new Asn1Error('negative INTEGER');
  if (first === 0 && value.length > 1 && !((value[1] ?? 0) & 0x80)) throw new Asn1Error('non-minimal INTEGER');
  return BigInt('0x' + Buffer.from(value).toString('hex'));
}

export function encode(tag: number, ...contents: Uint8Array[]): Uint8Array {
  const length = contents.reduce((sum, part) => sum + part.length, 0);
  let header: number[];
  if (length < 0x80) header = [tag, length];
  else if (length < 0x100) header = [tag, 0x81, length];
  else if (length < 0x10000) header = [tag, 0x82, length >> 8, length & 0xff];
  else throw new Asn1Error('DER value too long for this encoder');
  return Buffer.concat([Uint8Array.from(header), ...contents]);
}

/** A non-negative INTEGER in minimal DER form. */
export function encodeUnsignedInteger(n: bigint): Uint8Array {
  if (n < 0n) throw new Asn1Error('negative INTEGER');
  let hex = n.toString(16);
  if (hex.length % 2) hex = '0' + hex;
  const bytes = Buffer.from(hex, 'hex');
  return encode(TAG.INTEGER, (bytes[0] ?? 0) & 0x80 ? Buffer.concat([Uint8Array.of(0), bytes]) : bytes);
}
