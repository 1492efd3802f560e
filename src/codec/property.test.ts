import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { CodecError, decode, encode, type CodecValue } from './index.js';

const integer = fc.oneof(
  fc.integer({ min: -30, max: 30 }),
  fc.integer(),
  fc.maxSafeInteger(),
  fc.bigInt({ min: -(2n ** 64n), max: 2n ** 64n - 1n }),
  fc.constantFrom(23, 24, 255, 256, 65535, 65536, 2 ** 32 - 1, 2 ** 32, Number.MAX_SAFE_INTEGER, -24, -25, -257, Number.MIN_SAFE_INTEGER),
  fc.constantFrom(2n ** 53n, -(2n ** 53n) - 1n, 2n ** 64n - 1n, -(2n ** 64n)),
);
const text = fc.oneof(fc.string(), fc.string({ unit: 'binary' }), fc.string({ unit: 'grapheme', maxLength: 40 }));
const key = fc.oneof(fc.string({ maxLength: 6 }), fc.string({ unit: 'binary', maxLength: 4 }), fc.constantFrom('__proto__', 'constructor', '0', '10'));

const { value } = fc.letrec<{ value: CodecValue }>((tie) => ({
  value: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    fc.constantFrom(null, true, false),
    integer,
    text,
    fc.uint8Array({ maxLength: 40 }),
    fc.array(tie('value'), { maxLength: 6 }),
    fc.dictionary(key, tie('value'), { maxKeys: 6 }),
  ),
}));

/** What decode returns for a value: safe bigints become numbers, maps plain objects. */
function normalize(v: CodecValue): CodecValue {
  if (typeof v === 'bigint') return v >= BigInt(Number.MIN_SAFE_INTEGER) && v <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(v) : v;
  if (v === null || typeof v !== 'object' || v instanceof Uint8Array) return v;
  if (Array.isArray(v)) return (v as readonly CodecValue[]).map(normalize);
  const out: Record<string, CodecValue> = {};
  for (const [k, x] of Object.entries(v)) Object.defineProperty(out, k, { value: normalize(x), enumerable: true, writable: true, configurable: true });
  return out;
}

const eqBytes = (a: Uint8Array, b: Uint8Array): boolean => Buffer.from(a).equals(b);

/** The decoder's contract on any input: the canonical encoding of what it returns, or a CodecError. */
function decodesCanonicallyOrThrowsCodecError(bytes: Uint8Array): boolean {
  let decoded: CodecValue;
  try {
    decoded = decode(bytes);
  } catch (err) {
    if (err instanceof CodecError) return true;
    throw err;
  }
  return eqBytes(encode(decoded), bytes);
}

test('round trip: decode(encode(v)) equals v and re-encoding is byte-identical', () => {
  fc.assert(
    fc.property(value, (v) => {
      const bytes = encode(v);
      const back = decode(bytes);
      assert.deepStrictEqual(back, normalize(v));
      assert.ok(eqBytes(encode(back), bytes));
    }),
    { numRuns: 3000 },
  );
});

test('arbitrary bytes: canonical value or a CodecError, never anything else', () => {
  fc.assert(fc.property(fc.uint8Array({ maxLength: 48 }), decodesCanonicallyOrThrowsCodecError), { numRuns: 10000 });
});

test('mutated encodings: canonical value or a CodecError', () => {
  const mutation = fc.record({ at: fc.nat(), byte: fc.integer({ min: 0, max: 255 }), op: fc.constantFrom('flip', 'set', 'insert', 'delete') });
  fc.assert(
    fc.property(value, mutation, (v, m) => {
      const bytes = Array.from(encode(v));
      const at = m.at % (bytes.length + 1);
      if (m.op === 'flip' && at < bytes.length) bytes[at]! ^= 1 << (m.byte & 7);
      else if (m.op === 'set' && at < bytes.length) bytes[at] = m.byte;
      else if (m.op === 'insert') bytes.splice(at, 0, m.byte);
      else bytes.splice(at, 1);
      return decodesCanonicallyOrThrowsCodecError(Uint8Array.from(bytes));
    }),
    { numRuns: 10000 },
  );
});
