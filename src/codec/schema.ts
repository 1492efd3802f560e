import { SchemaError } from './errors.js';
import type { CodecMap, CodecValue } from './types.js';

/*
 * Typed accessors for turning a decoded CodecValue into a structure. Each throws a SchemaError
 * naming `path`. They accept `undefined` because indexing a decoded array or map yields it for a
 * missing element (noUncheckedIndexedAccess); it is reported as missing. A higher layer writes e.g.
 *   const [height, round, hash] = expectArray(v, '$', 3);
 *   return { height: expectUint(height, '$[0]'), round: expectUint(round, '$[1]'), hash: expectBytes(hash, '$[2]', 32) };
 */

/** An array; with `length`, exactly that many elements (a positional structure must not grow silently). */
export function expectArray(value: CodecValue | undefined, path = '$', length?: number): readonly CodecValue[] {
  if (!Array.isArray(value)) throw new SchemaError(`expected an array, got ${kind(value)}`, path);
  const arr = value as readonly CodecValue[];
  if (length !== undefined && arr.length !== length) {
    throw new SchemaError(`expected ${length} elements, got ${arr.length}`, path);
  }
  return arr;
}

/**
 * A map; with `keys`, exactly those keys, no more and no fewer: an extra key would give one
 * structure two encodings and so two hashes.
 */
export function expectMap(value: CodecValue | undefined, path = '$', keys?: readonly string[]): CodecMap {
  if (kind(value) !== 'a map') throw new SchemaError(`expected a map, got ${kind(value)}`, path);
  const map = value as CodecMap;
  if (keys !== undefined) {
    for (const k of keys) if (!Object.hasOwn(map, k)) throw new SchemaError(`missing key ${JSON.stringify(k)}`, path);
    const actual = Object.keys(map);
    if (actual.length !== keys.length) {
      const extra = actual.find((k) => !keys.includes(k));
      throw new SchemaError(`unexpected key ${JSON.stringify(extra)}`, path);
    }
  }
  return map;
}

/** A non-negative safe integer (heights, rounds, indexes, millisecond timestamps). */
export function expectUint(value: CodecValue | undefined, path = '$'): number {
  if (typeof value !== 'number' || value < 0) throw new SchemaError(`expected an unsigned safe integer, got ${kind(value)}`, path);
  return value;
}

/** A safe integer of either sign. */
export function expectInt(value: CodecValue | undefined, path = '$'): number {
  if (typeof value !== 'number') throw new SchemaError(`expected a safe integer, got ${kind(value)}`, path);
  return value;
}

/** An unsigned integer up to 2^64 - 1 (amounts, gas), always as bigint whatever its size. */
export function expectBigUint(value: CodecValue | undefined, path = '$'): bigint {
  if (typeof value === 'number' && value >= 0) return BigInt(value);
  if (typeof value === 'bigint' && value >= 0n) return value;
  throw new SchemaError(`expected an unsigned integer, got ${kind(value)}`, path);
}

/** A byte string; with `length`, exactly that many bytes (hashes, keys, signatures). */
export function expectBytes(value: CodecValue | undefined, path = '$', length?: number): Uint8Array {
  if (!(value instanceof Uint8Array)) throw new SchemaError(`expected a byte string, got ${kind(value)}`, path);
  if (length !== undefined && value.length !== length) {
    throw new SchemaError(`expected ${length} bytes, got ${value.length}`, path);
  }
  return value;
}

export function expectString(value: CodecValue | undefined, path = '$'): string {
  if (typeof value !== 'string') throw new SchemaError(`expected a text string, got ${kind(value)}`, path);
  return value;
}

export function expectBool(value: CodecValue | undefined, path = '$'): boolean {
  if (typeof value !== 'boolean') throw new SchemaError(`expected a boolean, got ${kind(value)}`, path);
  return value;
}

/** `null` or whatever `inner` accepts: the encoding of an optional field. */
export function expectNullable<T>(value: CodecValue | undefined, path: string, inner: (v: CodecValue | undefined, path: string) => T): T | null {
  return value === null ? null : inner(value, path);
}

function kind(value: CodecValue | undefined): string {
  if (value === undefined) return 'nothing (missing)';
  if (value === null) return 'null';
  if (value instanceof Uint8Array) return 'a byte string';
  if (Array.isArray(value)) return 'an array';
  switch (typeof value) {
    case 'number':
      return value < 0 ? 'a negative integer' : 'an integer';
    case 'bigint':
      return value < 0n ? 'a negative integer beyond 2^53' : 'an integer beyond 2^53';
    case 'string':
      return 'a text string';
    case 'boolean':
      return 'a boolean';
    case 'object':
      return 'a map';
    default:
      return typeof value;
  }
}
