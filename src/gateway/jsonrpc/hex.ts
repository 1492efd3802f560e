import { invalidParams } from './errors.js';

/*
 * Ethereum JSON-RPC hex encodings: QUANTITY is 0x plus minimal hex digits ("0x0" for zero), DATA
 * is 0x plus two digits per byte. Parsers are strict where geth is strict (no leading zeros in a
 * quantity), since a client that sends something else has a bug we should show early.
 */

export const quantity = (n: number | bigint): string => `0x${n.toString(16)}`;
export const data = (b: Uint8Array): string => `0x${Buffer.from(b.buffer, b.byteOffset, b.byteLength).toString('hex')}`;
export const ZERO_ADDRESS = `0x${'00'.repeat(20)}`;
export const ZERO_HASH = `0x${'00'.repeat(32)}`;

const QUANTITY_RE = /^0x(0|[1-9a-f][0-9a-f]*)$/i;
const DATA_RE = /^0x([0-9a-f]{2})*$/i;

export function parseQuantity(value: unknown, what: string, max: bigint = (1n << 256n) - 1n): bigint {
  if (typeof value !== 'string' || !QUANTITY_RE.test(value) || value.length > 66) throw invalidParams(`${what}: expected a hex quantity (0x…), got ${describe(value)}`);
  const n = BigInt(value);
  if (n > max) throw invalidParams(`${what}: ${value} is too large`);
  return n;
}

export function parseData(value: unknown, what: string, length?: number, maxBytes = 4 * 1024 * 1024): Uint8Array {
  if (typeof value !== 'string' || value.length > 2 + 2 * maxBytes || !DATA_RE.test(value)) throw invalidParams(`${what}: expected 0x-prefixed hex bytes, got ${describe(value)}`);
  const bytes = Uint8Array.from(Buffer.from(value.slice(2), 'hex'));
  if (length !== undefined && bytes.length !== length) throw invalidParams(`${what}: expected ${length} bytes, got ${bytes.length}`);
  return bytes;
}

export const parseAddress = (value: unknown, what: string): Uint8Array => parseData(value, what, 20);
export const parseHash = (value: unknown, what: string): Uint8Array => parseData(value, what, 32);

/** A short, safe rendering of a bad value for an error message. */
export function describe(value: unknown): string {
  let s: string;
  try {
    s = JSON.stringify(value) ?? String(value);
  } catch {
    s = typeof value;
  }
  return s.length > 80 ? `${s.slice(0, 77)}...` : s;
}
