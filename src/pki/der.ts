import { DerError } from './errors.js';

/**
 * A minimal strict DER reader and writer for the few small structures that the @peculiar
 * schemas do not cover (PBES2 parameters, ECDSA/SM2 signature values, BSN's own extension).
 * Certificates, CSRs and CRLs go through @peculiar/asn1-x509 and @peculiar/asn1-csr instead.
 */

export const TAG = {
  INTEGER: 0x02,
  BIT_STRING: 0x03,
  OCTET_STRING: 0x04,
  NULL: 0x05,
  OID: 0x06,
  UTF8_STRING: 0x0c,
  SEQUENCE: 0x30,
} as const;

export interface DerNode {
  readonly tag: number;
  /** The content octets (without tag and length). */
  readonly content: Uint8Array;
}

function encodeLength(length: number): Uint8Array {
  if (length < 0x80) return Uint8Array.of(length);
  const bytes: number[] = [];
  for (let n = length; n > 0; n = Math.floor(n / 256)) bytes.unshift(n & 0xff);
  return Uint8Array.of(0x80 | bytes.length, ...bytes);
}

export function tlv(tag: number, content: Uint8Array): Uint8Array {
  return Buffer.concat([Uint8Array.of(tag), encodeLength(content.length), content]);
}

export function sequence(...items: Uint8Array[]): Uint8Array {
  return tlv(TAG.SEQUENCE, Buffer.concat(items));
}

export function octetString(bytes: Uint8Array): Uint8Array {
  return tlv(TAG.OCTET_STRING, bytes);
}

export function utf8String(text: string): Uint8Array {
  return tlv(TAG.UTF8_STRING, Buffer.from(text, 'utf8'));
}

/** A non-negative INTEGER from its unsigned big-endian magnitude. */
export function unsignedInteger(magnitude: Uint8Array): Uint8Array {
  let start = 0;
  while (start < magnitude.length - 1 && magnitude[start] === 0) start++;
  let body = magnitude.subarray(start);
  if (body.length === 0) body = Uint8Array.of(0);
  if ((body[0] ?? 0) & 0x80) body = Buffer.concat([Uint8Array.of(0), body]);
  return tlv(TAG.INTEGER, body);
}

export function smallInteger(value: number): Uint8Array {
  if (!Number.isSafeInteger(value) || value < 0) throw new RangeError(`not a small non-negative integer: ${value}`);
  const bytes: number[] = [];
  for (let n = value; n > 0; n = Math.floor(n / 256)) bytes.unshift(n & 0xff);
  return unsignedInteger(Uint8Array.from(bytes));
}

export function oid(dotted: string): Uint8Array {
  const arcs = dotted.split('.').map((part) => {
    if (!/^\d+$/.test(part)) throw new RangeError(`bad OID '${dotted}'`);
    return BigInt(part);
  });
  const [first, second, ...rest] = arcs;
  if (first === undefined || second === undefined) throw new RangeError(`bad OID '${dotted}'`);
  const out: number[] = [];
  for (const arc of [first * 40n + second, ...rest]) {
    const groups: number[] = [Number(arc & 0x7fn)];
    for (let n = arc >> 7n; n > 0n; n >>= 7n) groups.unshift(Number(n & 0x7fn) | 0x80);
    out.push(...groups);
  }
  return tlv(TAG.OID, Uint8Array.from(out));
}

/** Reads one TLV at `offset`; returns the node and the offset after it. DER only: definite, minimal lengths. */
export function readTlv(bytes: Uint8Array, offset = 0): { node: DerNode; end: number } {
  const tag = bytes[offset];
  let lengthByte = bytes[offset + 1];
  if (tag === undefined || lengthByte === undefined) throw new DerError('truncated DER');
  if ((tag & 0x1f) === 0x1f) throw new DerError('multi-byte DER tags are not used here');
  let pos = offset + 2;
  let length = lengthByte;
  if (lengthByte & 0x80) {
    const count = lengthByte & 0x7f;
    if (count === 0 || count > 4) throw new DerError('indefinite or oversized DER length');
    length = 0;
    for (let i = 0; i < count; i++) {
      lengthByte = bytes[pos++];
      if (lengthByte === undefined) throw new DerError('truncated DER length');
      length = length * 256 + lengthByte;
    }
    if (length < 0x80 || (count > 1 && bytes[offset + 2] === 0)) throw new DerError('non-minimal DER length');
  }
  if (pos + length > bytes.length) throw new DerError('DER content runs past the end');
  return { node: { tag, content: bytes.subarray(pos, pos + length) }, end: pos + length };
}

/** Decodes exactly one TLV spanning all of `bytes`. */
export function readSingle(bytes: Uint8Array, expectedTag?: number): DerNode {
  const { node, end } = readTlv(bytes);
  if (end !== bytes.length) throw new DerError('trailing bytes after DER value');
  if (expectedTag !== undefined && node.tag !== expectedTag) throw new DerError(`expected DER tag 0x${expectedTag.toString(16)}, got 0x${node.tag.toString(16)}`);
  return node;
}

/** The children of a constructed value. */
export function readChildren(node: DerNode): DerNode[] {
  if (!(node.tag & 0x20)) throw new DerError(`DER tag 0x${node.tag.toString(16)} is not constructed`);
  const children: DerNode[] = [];
  for (let pos = 0; pos < node.content.length; ) {
    const { node: child, end } = readTlv(node.content, pos);
    children.push(child);
    pos = end;
  }
  return children;
}

export function expectTag(node: DerNode | undefined, tag: number, what: string): DerNode {
  if (!node || node.tag !== tag) throw new DerError(`${what}: expected DER tag 0x${tag.toString(16)}`);
  return node;
}

/** The magnitude of a non-negative INTEGER, without sign padding. */
export function readUnsignedInteger(node: DerNode | undefined, what: string): Uint8Array {
  const { content } = expectTag(node, TAG.INTEGER, what);
  if (content.length === 0) throw new DerError(`${what}: empty INTEGER`);
  if ((content[0] ?? 0) & 0x80) throw new DerError(`${what}: negative INTEGER`);
  if (content.length > 1 && content[0] === 0 && !((content[1] ?? 0) & 0x80)) throw new DerError(`${what}: non-minimal INTEGER`);
  return content[0] === 0 && content.length > 1 ? content.subarray(1) : content;
}

export function readSmallInteger(node: DerNode | undefined, what: string): number {
  const magnitude = readUnsignedInteger(node, what);
  if (magnitude.length > 6) throw new DerError(`${what}: INTEGER too large`);
  return magnitude.reduce((acc, byte) => acc * 256 + byte, 0);
}

export function readOid(node: DerNode | undefined, what: string): string {
  const { content } = expectTag(node, TAG.OID, what);
  if (content.length === 0 || (content[content.length - 1] ?? 0) & 0x80) throw new DerError(`${what}: bad OID`);
  const arcs: bigint[] = [];
  let value = 0n;
  for (const byte of content) {
    if (value === 0n && byte === 0x80) throw new DerError(`${what}: non-minimal OID arc`);
    value = (value << 7n) | BigInt(byte & 0x7f);
    if (!(byte & 0x80)) {
      arcs.push(value);
      value = 0n;
    }
  }
  const first = arcs.shift() ?? 0n;
  const head = first < 80n ? [first / 40n, first % 40n] : [2n, first - 80n];
  return [...head, ...arcs].join('.');
}

export function readUtf8(node: DerNode | undefined, what: string): string {
  const { content } = expectTag(node, TAG.UTF8_STRING, what);
  try {
    return new TextDecoder('utf-8', { fatal: true }).decode(content);
  } catch (cause) {
    throw new DerError(`${what}: invalid UTF-8`, { cause });
  }
}
