import {
  EncodeDepthError,
  IntegerRangeError,
  InvalidStringError,
  NotSafeIntegerError,
  UnsupportedValueError,
} from './errors.js';
import { DEFAULT_DECODE_LIMITS, type CodecMap, type CodecValue } from './types.js';

/** Same as the default decode depth, so that every value `encode` accepts also decodes with default limits. */
const MAX_ENCODE_DEPTH = DEFAULT_DECODE_LIMITS.maxDepth;

const TWO_POW_32 = 2 ** 32;
const UINT64_MAX = 2n ** 64n - 1n;
const MAJOR_UINT = 0x00;
const MAJOR_NEGINT = 0x20;
const MAJOR_BYTES = 0x40;
const MAJOR_TEXT = 0x60;
const MAJOR_ARRAY = 0x80;
const MAJOR_MAP = 0xa0;

const utf8 = new TextEncoder();

/**
 * A growable output buffer. One scratch buffer is reused across calls because most encodings
 * (votes, headers) are small and allocating a fresh growable buffer each time dominated the cost.
 */
class Writer {
  buf: Uint8Array;
  pos = 0;

  constructor(buf: Uint8Array) {
    this.buf = buf;
  }

  ensure(extra: number): void {
    const need = this.pos + extra;
    if (need <= this.buf.length) return;
    let size = this.buf.length * 2;
    while (size < need) size *= 2;
    const next = new Uint8Array(size);
    next.set(this.buf.subarray(0, this.pos));
    this.buf = next;
  }

  /** The initial byte and argument of a data item, in the shortest form (RFC 8949 §4.2.1). */
  head(major: number, n: number): void {
    this.ensure(9);
    const b = this.buf;
    let p = this.pos;
    if (n < 24) {
      b[p++] = major | n;
    } else if (n < 0x100) {
      b[p++] = major | 24;
      b[p++] = n;
    } else if (n < 0x10000) {
      b[p++] = major | 25;
      b[p++] = n >>> 8;
      b[p++] = n & 0xff;
    } else if (n < TWO_POW_32) {
      b[p++] = major | 26;
      b[p++] = n >>> 24;
      b[p++] = (n >>> 16) & 0xff;
      b[p++] = (n >>> 8) & 0xff;
      b[p++] = n & 0xff;
    } else {
      const hi = Math.floor(n / TWO_POW_32);
      const lo = n >>> 0;
      b[p++] = major | 27;
      b[p++] = hi >>> 24;
      b[p++] = (hi >>> 16) & 0xff;
      b[p++] = (hi >>> 8) & 0xff;
      b[p++] = hi & 0xff;
      b[p++] = lo >>> 24;
      b[p++] = (lo >>> 16) & 0xff;
      b[p++] = (lo >>> 8) & 0xff;
      b[p++] = lo & 0xff;
    }
    this.pos = p;
  }

  bytes(src: Uint8Array): void {
    this.ensure(src.length);
    this.buf.set(src, this.pos);
    this.pos += src.length;
  }
}

let scratch: Uint8Array | undefined = new Uint8Array(4096);
const SCRATCH_KEEP_LIMIT = 64 * 1024;

/** The canonical (RFC 8949 §4.2.1 deterministic) encoding of `value`. Throws an `EncodeError` naming the offending path. */
export function encode(value: CodecValue): Uint8Array {
  // A getter inside `value` could call encode re-entrantly; it then gets its own buffer.
  const own = scratch;
  scratch = undefined;
  const w = new Writer(own ?? new Uint8Array(256));
  try {
    writeValue(w, value, 0, []);
    return w.buf.slice(0, w.pos);
  } finally {
    if (own !== undefined) scratch = w.buf.length <= SCRATCH_KEEP_LIMIT ? w.buf : own;
  }
}

function writeValue(w: Writer, v: unknown, depth: number, path: (string | number)[]): void {
  switch (typeof v) {
    case 'number':
      if (!Number.isSafeInteger(v) || Object.is(v, -0)) {
        throw new NotSafeIntegerError(`${String(v)} is not a safe integer; use bigint beyond 2^53`, formatPath(path, depth));
      }
      if (v >= 0) w.head(MAJOR_UINT, v);
      else w.head(MAJOR_NEGINT, -1 - v);
      return;
    case 'bigint':
      writeBigInt(w, v, path, depth);
      return;
    case 'string':
      writeText(w, v, path, depth);
      return;
    case 'boolean':
      w.ensure(1);
      w.buf[w.pos++] = v ? 0xf5 : 0xf4;
      return;
    case 'object':
      if (v === null) {
        w.ensure(1);
        w.buf[w.pos++] = 0xf6;
        return;
      }
      if (v instanceof Uint8Array) {
        w.head(MAJOR_BYTES, v.length);
        w.bytes(v);
        return;
      }
      if (depth >= MAX_ENCODE_DEPTH) {
        throw new EncodeDepthError(`nesting deeper than ${MAX_ENCODE_DEPTH} (or a cycle)`, formatPath(path, depth));
      }
      if (Array.isArray(v)) {
        writeArray(w, v, depth, path);
        return;
      }
      if (isPlainObject(v)) {
        writeMap(w, v as CodecMap, depth, path);
        return;
      }
      throw new UnsupportedValueError(`${describe(v)} is not in the BSN data model`, formatPath(path, depth));
    default:
      throw new UnsupportedValueError(`${typeof v} is not in the BSN data model`, formatPath(path, depth));
  }
}

function writeBigInt(w: Writer, v: bigint, path: (string | number)[], depth: number): void {
  // Safe values take the number path so that 5n and 5 cannot encode differently.
  if (v >= -9007199254740991n && v <= 9007199254740991n) {
    writeValue(w, Number(v), depth, path);
    return;
  }
  const major = v >= 0n ? MAJOR_UINT : MAJOR_NEGINT;
  const n = v >= 0n ? v : -1n - v;
  if (n > UINT64_MAX) {
    throw new IntegerRangeError(`${v} is outside the CBOR integer range [-2^64, 2^64)`, formatPath(path, depth));
  }
  // Beyond 2^53 the argument always needs the 8-byte form.
  w.ensure(9);
  const b = w.buf;
  b[w.pos++] = major | 27;
  for (let shift = 56n; shift >= 0n; shift -= 8n) b[w.pos++] = Number((n >> shift) & 0xffn);
}

function writeText(w: Writer, s: string, path: (string | number)[], depth: number): void {
  const len = s.length;
  if (len < 64) {
    let ascii = true;
    for (let i = 0; i < len; i++) {
      if (s.charCodeAt(i) >= 0x80) {
        ascii = false;
        break;
      }
    }
    if (ascii) {
      w.head(MAJOR_TEXT, len);
      w.ensure(len);
      const b = w.buf;
      for (let i = 0, p = w.pos; i < len; i++) b[p + i] = s.charCodeAt(i);
      w.pos += len;
      return;
    }
  }
  if (!(s as string & { isWellFormed(): boolean }).isWellFormed()) {
    throw new InvalidStringError('string contains a lone surrogate', formatPath(path, depth));
  }
  const bytes = utf8.encode(s);
  w.head(MAJOR_TEXT, bytes.length);
  w.bytes(bytes);
}

function writeArray(w: Writer, a: readonly unknown[], depth: number, path: (string | number)[]): void {
  const n = a.length;
  w.head(MAJOR_ARRAY, n);
  for (let i = 0; i < n; i++) {
    path[depth] = i;
    writeValue(w, a[i], depth + 1, path);
  }
}

function writeMap(w: Writer, m: CodecMap, depth: number, path: (string | number)[]): void {
  if (Object.getOwnPropertySymbols(m).length > 0) {
    throw new UnsupportedValueError('symbol-keyed property in a map', formatPath(path, depth));
  }
  const keys = sortedKeys(Object.keys(m));
  w.head(MAJOR_MAP, keys.length);
  for (const key of keys) {
    path[depth] = key;
    writeText(w, key, path, depth + 1);
    writeValue(w, m[key], depth + 1, path);
  }
}

/**
 * Keys in the bytewise order of their encodings (RFC 8949 §4.2.1). For text keys that is: shorter
 * UTF-8 first, then bytewise. For ASCII, JS string order is byte order, so only other keys pay
 * for a UTF-8 conversion.
 */
function sortedKeys(keys: string[]): string[] {
  let ascii = true;
  for (const k of keys) {
    for (let i = 0; i < k.length; i++) {
      if (k.charCodeAt(i) >= 0x80) {
        ascii = false;
        break;
      }
    }
    if (!ascii) break;
  }
  if (ascii) {
    // Insertion sort: structures have a handful of keys, often already in order, and this beats
    // Array.prototype.sort with a comparator several times over at that size.
    for (let i = 1; i < keys.length; i++) {
      const k = keys[i]!;
      let j = i - 1;
      while (j >= 0 && asciiKeyAfter(keys[j]!, k)) {
        keys[j + 1] = keys[j]!;
        j--;
      }
      keys[j + 1] = k;
    }
    return keys;
  }
  // Lone surrogates are caught when the key is written; here they only need some total order.
  const encoded = keys.map((k) => ({ k, b: utf8.encode(k) }));
  encoded.sort((x, y) => compareBytes(x.b, y.b));
  return encoded.map((e) => e.k);
}

function asciiKeyAfter(a: string, b: string): boolean {
  return a.length !== b.length ? a.length > b.length : a > b;
}

function compareBytes(a: Uint8Array, b: Uint8Array): number {
  if (a.length !== b.length) return a.length - b.length;
  for (let i = 0; i < a.length; i++) {
    const d = a[i]! - b[i]!;
    if (d !== 0) return d;
  }
  return 0;
}

function isPlainObject(v: object): boolean {
  const proto: unknown = Object.getPrototypeOf(v);
  return proto === Object.prototype || proto === null;
}

function describe(v: object): string {
  const name = (v as { constructor?: { name?: unknown } }).constructor?.name;
  return typeof name === 'string' && name !== '' ? `an instance of ${name}` : 'an object with a custom prototype';
}

const IDENTIFIER = /^[A-Za-z_$][A-Za-z0-9_$]*$/;

function formatPath(path: readonly (string | number)[], depth: number): string {
  let out = '$';
  for (let i = 0; i < depth; i++) {
    const seg = path[i]!;
    out += typeof seg === 'number' ? `[${seg}]` : IDENTIFIER.test(seg) ? `.${seg}` : `[${JSON.stringify(seg)}]`;
  }
  return out;
}
