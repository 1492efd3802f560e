import {
  DepthLimitError,
  DuplicateMapKeyError,
  FloatNotAllowedError,
  IndefiniteLengthError,
  InputTooLargeError,
  InvalidLimitsError,
  InvalidUtf8Error,
  ItemLimitError,
  NonShortestEncodingError,
  NonTextMapKeyError,
  ReservedEncodingError,
  SimpleValueNotAllowedError,
  StringLimitError,
  TagNotAllowedError,
  TrailingBytesError,
  TruncatedInputError,
  UnsortedMapKeysError,
} from './errors.js';
import { DEFAULT_DECODE_LIMITS, MAX_DEPTH_LIMIT, type CodecValue, type DecodeLimits } from './types.js';

const TWO_POW_32 = 2 ** 32;
const KEY_CACHE_SIZE = 512;
const keyCacheBytes: (Uint8Array | undefined)[] = new Array<Uint8Array | undefined>(KEY_CACHE_SIZE).fill(undefined);
const keyCacheStrings: (string | undefined)[] = new Array<string | undefined>(KEY_CACHE_SIZE).fill(undefined);
const utf8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

/**
 * Decodes the one canonical encoding of a BSN value and rejects everything else, so that
 * `encode(decode(bytes))` equals `bytes` whenever this returns. Byte strings in the result are
 * copies, never views of `bytes`.
 */
export function decode(bytes: Uint8Array, limits?: DecodeLimits): CodecValue {
  const lim = resolveLimits(limits);
  if (bytes.length > lim.maxBytes) {
    throw new InputTooLargeError(`input of ${bytes.length} bytes exceeds maxBytes ${lim.maxBytes}`, 0);
  }
  // A Buffer's slice() is a view; a plain Uint8Array's is a copy, which is what results must hold.
  const data =
    Object.getPrototypeOf(bytes) === Uint8Array.prototype
      ? bytes
      : new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const d = new Decoder(data, lim);
  const value = d.value(0);
  if (d.pos !== data.length) {
    throw new TrailingBytesError(`${data.length - d.pos} bytes after the value`, d.pos);
  }
  return value;
}

function resolveLimits(limits: DecodeLimits | undefined): Readonly<Required<DecodeLimits>> {
  if (limits === undefined) return DEFAULT_DECODE_LIMITS;
  const lim = { ...DEFAULT_DECODE_LIMITS };
  for (const key of ['maxBytes', 'maxDepth', 'maxItems', 'maxStringBytes'] as const) {
    const v = limits[key];
    if (v === undefined) continue;
    if (!Number.isSafeInteger(v) || v < 0) throw new InvalidLimitsError(`${key} must be a non-negative safe integer, got ${v}`);
    lim[key] = v;
  }
  if (lim.maxDepth > MAX_DEPTH_LIMIT) throw new InvalidLimitsError(`maxDepth must be at most ${MAX_DEPTH_LIMIT}`);
  return lim;
}

class Decoder {
  pos = 0;

  constructor(
    private readonly data: Uint8Array,
    private readonly lim: Readonly<Required<DecodeLimits>>,
  ) {}

  value(depth: number): CodecValue {
    const data = this.data;
    if (this.pos >= data.length) throw new TruncatedInputError('input ends where a value should start', this.pos);
    const start = this.pos;
    const ib = data[this.pos++]!;
    const major = ib >> 5;
    const info = ib & 31;
    switch (major) {
      case 0:
        return this.argument(info, start);
      case 1: {
        const n = this.argument(info, start);
        if (typeof n === 'number') return n < Number.MAX_SAFE_INTEGER ? -1 - n : -1n - BigInt(n);
        return -1n - n;
      }
      case 2: {
        const end = this.stringEnd(info, start);
        const out = data.slice(this.pos, end);
        this.pos = end;
        return out;
      }
      case 3:
        return this.text(info, start);
      case 4:
        return this.array(info, start, depth + 1);
      case 5:
        return this.map(info, start, depth + 1);
      case 6:
        throw new TagNotAllowedError('tags are not allowed', start);
      default:
        return this.simple(info, start);
    }
  }

  /** The argument of a head, enforcing the shortest form. `number` below 2^53, else `bigint`. */
  private argument(info: number, start: number): number | bigint {
    if (info < 24) return info;
    const data = this.data;
    const p = this.pos;
    switch (info) {
      case 24: {
        this.need(1, start);
        const n = data[p]!;
        if (n < 24) throw new NonShortestEncodingError(`${n} must be encoded in the initial byte`, start);
        this.pos = p + 1;
        return n;
      }
      case 25: {
        this.need(2, start);
        const n = (data[p]! << 8) | data[p + 1]!;
        if (n < 0x100) throw new NonShortestEncodingError(`${n} encoded in 2 bytes`, start);
        this.pos = p + 2;
        return n;
      }
      case 26: {
        this.need(4, start);
        const n = readUint32(data, p);
        if (n < 0x10000) throw new NonShortestEncodingError(`${n} encoded in 4 bytes`, start);
        this.pos = p + 4;
        return n;
      }
      case 27: {
        this.need(8, start);
        const hi = readUint32(data, p);
        const lo = readUint32(data, p + 4);
        if (hi === 0) throw new NonShortestEncodingError(`${lo} encoded in 8 bytes`, start);
        this.pos = p + 8;
        return hi < 0x200000 ? hi * TWO_POW_32 + lo : (BigInt(hi) << 32n) | BigInt(lo);
      }
      case 31: {
        const major = this.data[start]! >> 5;
        if (major === 0 || major === 1) throw new ReservedEncodingError('additional information 31 on an integer', start);
        throw new IndefiniteLengthError('indefinite lengths are not allowed', start);
      }
      default:
        throw new ReservedEncodingError(`reserved additional information ${info}`, start);
    }
  }

  /** A length or count; anything that cannot fit in the remaining input is reported as truncation before allocating. */
  private length(info: number, start: number): number {
    const n = this.argument(info, start);
    return typeof n === 'number' ? n : Number.MAX_SAFE_INTEGER;
  }

  private need(n: number, start: number): void {
    if (this.data.length - this.pos < n) {
      throw new TruncatedInputError(`needs ${n} more bytes, ${this.data.length - this.pos} left`, start);
    }
  }

  private stringEnd(info: number, start: number): number {
    const len = this.length(info, start);
    this.need(len, start);
    if (len > this.lim.maxStringBytes) {
      throw new StringLimitError(`string of ${len} bytes exceeds maxStringBytes ${this.lim.maxStringBytes}`, start);
    }
    return this.pos + len;
  }

  private text(info: number, start: number): string {
    const end = this.stringEnd(info, start);
    const data = this.data;
    const p = this.pos;
    this.pos = end;
    // Short ASCII strings (map keys, names) are the common case and TextDecoder's call cost dominates them.
    if (end - p <= 32) {
      let s = '';
      for (let i = p; i < end; i++) {
        const c = data[i]!;
        if (c >= 0x80) return decodeUtf8(data, p, end);
        s += String.fromCharCode(c);
      }
      return s;
    }
    return decodeUtf8(data, p, end);
  }

  /**
   * A map key, through a small cache: the same few field names recur in every vote and
   * transaction, and reusing their strings halves the cost of decoding a map. A hit is an exact
   * byte match, so the cache cannot change a result.
   */
  private key(info: number, start: number): string {
    const p = this.pos;
    const len = info < 24 ? info : -1;
    if (len < 0 || len > this.data.length - p) return this.text(info, start);
    const data = this.data;
    let h = len;
    for (let i = p; i < p + len; i++) h = (Math.imul(h, 31) + data[i]!) | 0;
    const slot = h & (KEY_CACHE_SIZE - 1);
    const cached = keyCacheBytes[slot];
    if (cached !== undefined && cached.length === len) {
      let same = true;
      for (let i = 0; i < len; i++) {
        if (cached[i] !== data[p + i]) {
          same = false;
          break;
        }
      }
      if (same && len <= this.lim.maxStringBytes) {
        this.pos = p + len;
        return keyCacheStrings[slot]!;
      }
    }
    const key = this.text(info, start);
    keyCacheBytes[slot] = data.slice(p, p + len);
    keyCacheStrings[slot] = key;
    return key;
  }

  private array(info: number, start: number, depth: number): CodecValue[] {
    const n = this.length(info, start);
    this.checkContainer(n, n, depth, start);
    const out = new Array<CodecValue>(n);
    for (let i = 0; i < n; i++) out[i] = this.value(depth);
    return out;
  }

  private map(info: number, start: number, depth: number): { [key: string]: CodecValue } {
    const n = this.length(info, start);
    // Each entry needs at least a key byte and a value byte.
    this.checkContainer(n, n * 2, depth, start);
    const out: { [key: string]: CodecValue } = {};
    const data = this.data;
    let prevStart = -1;
    let prevEnd = -1;
    for (let i = 0; i < n; i++) {
      const keyStart = this.pos;
      if (keyStart >= data.length) throw new TruncatedInputError('input ends where a map key should start', keyStart);
      const kb = data[keyStart]!;
      if (kb >> 5 !== 3) throw new NonTextMapKeyError(`map key of major type ${kb >> 5}`, keyStart);
      this.pos++;
      const key = this.key(kb & 31, keyStart);
      const keyEnd = this.pos;
      if (prevStart >= 0) {
        const order = compareRanges(data, prevStart, prevEnd, keyStart, keyEnd);
        if (order === 0) throw new DuplicateMapKeyError(`duplicate map key ${JSON.stringify(key)}`, keyStart);
        if (order > 0) throw new UnsortedMapKeysError(`map key ${JSON.stringify(key)} out of order`, keyStart);
      }
      prevStart = keyStart;
      prevEnd = keyEnd;
      const value = this.value(depth);
      if (key === '__proto__') {
        // Plain assignment would call the prototype setter instead of creating the entry.
        Object.defineProperty(out, key, { value, enumerable: true, writable: true, configurable: true });
      } else {
        out[key] = value;
      }
    }
    return out;
  }

  private checkContainer(items: number, minBytes: number, depth: number, start: number): void {
    // Truncation first: a declared size the input cannot hold is malformed whatever the limits.
    this.need(minBytes, start);
    if (items > this.lim.maxItems) throw new ItemLimitError(`${items} entries exceed maxItems ${this.lim.maxItems}`, start);
    if (depth > this.lim.maxDepth) throw new DepthLimitError(`nesting deeper than maxDepth ${this.lim.maxDepth}`, start);
  }

  private simple(info: number, start: number): CodecValue {
    switch (info) {
      case 20:
        return false;
      case 21:
        return true;
      case 22:
        return null;
      case 25:
      case 26:
      case 27:
        throw new FloatNotAllowedError('floating-point values are not allowed', start);
      case 28:
      case 29:
      case 30:
        throw new ReservedEncodingError(`reserved additional information ${info}`, start);
      case 31:
        throw new IndefiniteLengthError('break outside an indefinite-length item', start);
      default:
        throw new SimpleValueNotAllowedError(info === 23 ? 'undefined is not allowed' : 'simple values other than false, true, null are not allowed', start);
    }
  }
}

function readUint32(data: Uint8Array, p: number): number {
  return ((data[p]! << 24) | (data[p + 1]! << 16) | (data[p + 2]! << 8) | data[p + 3]!) >>> 0;
}

function decodeUtf8(data: Uint8Array, start: number, end: number): string {
  try {
    return utf8.decode(data.subarray(start, end));
  } catch {
    throw new InvalidUtf8Error('text string is not well-formed UTF-8', start);
  }
}

function compareRanges(data: Uint8Array, aStart: number, aEnd: number, bStart: number, bEnd: number): number {
  const aLen = aEnd - aStart;
  const bLen = bEnd - bStart;
  const n = Math.min(aLen, bLen);
  for (let i = 0; i < n; i++) {
    const d = data[aStart + i]! - data[bStart + i]!;
    if (d !== 0) return d;
  }
  return aLen - bLen;
}
