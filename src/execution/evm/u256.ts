import { SchemaError } from '../../codec/index.js';

/*
 * Ethereum's 256-bit quantities (balances, values, gas prices) exceed the codec's integers
 * (CBOR stops at 2^64), so the EVM's records carry them as minimal big-endian bytes: no leading
 * zero byte, and zero is the empty string. One value, one encoding.
 */

export function u256Bytes(value: bigint): Uint8Array {
  if (value === 0n) return new Uint8Array(0);
  let hex = value.toString(16);
  if (hex.length % 2 === 1) hex = `0${hex}`;
  return Uint8Array.from(Buffer.from(hex, 'hex'));
}

export function bytesU256(bytes: Uint8Array): bigint {
  if (bytes.length > 32 || (bytes.length > 0 && bytes[0] === 0)) throw new SchemaError('not a minimal 256-bit big-endian integer', '$');
  return bytes.length === 0 ? 0n : BigInt(`0x${Buffer.from(bytes).toString('hex')}`);
}
