import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  CodecError,
  decode,
  DecodeError,
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
  type DecodeLimits,
} from './index.js';

type ErrorClass = abstract new (...args: never[]) => DecodeError;

const cases: [string, string, ErrorClass, string][] = [
  // [what, hex, class, code]
  ['empty input', '', TruncatedInputError, 'CODEC_TRUNCATED'],
  ['uint8 head without its byte', '18', TruncatedInputError, 'CODEC_TRUNCATED'],
  ['uint64 head with 3 of 8 bytes', '1b000000', TruncatedInputError, 'CODEC_TRUNCATED'],
  ['array missing an element', '83010203'.slice(0, 6), TruncatedInputError, 'CODEC_TRUNCATED'],
  ['map missing a value', 'a2616101616202'.slice(0, 10), TruncatedInputError, 'CODEC_TRUNCATED'],
  ['map whose first value eats the input', 'a2616141ff', TruncatedInputError, 'CODEC_TRUNCATED'],
  ['4 GiB byte string declared, no data', '5affffffff', TruncatedInputError, 'CODEC_TRUNCATED'],
  ['2^64-1 byte text string declared', '7bffffffffffffffff', TruncatedInputError, 'CODEC_TRUNCATED'],
  ['4-billion-element array declared', '9affffffff00', TruncatedInputError, 'CODEC_TRUNCATED'],
  ['array of 1000 declared, 3 present', '9903e8010203', TruncatedInputError, 'CODEC_TRUNCATED'],
  ['trailing zero byte', '0000', TrailingBytesError, 'CODEC_TRAILING_BYTES'],
  ['two top-level values', '8001', TrailingBytesError, 'CODEC_TRAILING_BYTES'],
  ['0 in 1 byte (0x1800)', '1800', NonShortestEncodingError, 'CODEC_NOT_SHORTEST'],
  ['23 in 1 byte', '1817', NonShortestEncodingError, 'CODEC_NOT_SHORTEST'],
  ['255 in 2 bytes', '1900ff', NonShortestEncodingError, 'CODEC_NOT_SHORTEST'],
  ['65535 in 4 bytes', '1a0000ffff', NonShortestEncodingError, 'CODEC_NOT_SHORTEST'],
  ['2^32-1 in 8 bytes', '1b00000000ffffffff', NonShortestEncodingError, 'CODEC_NOT_SHORTEST'],
  ['-1 in 1 byte', '3800', NonShortestEncodingError, 'CODEC_NOT_SHORTEST'],
  ['byte string length 1 in 1 byte', '580100', NonShortestEncodingError, 'CODEC_NOT_SHORTEST'],
  ['text length 0 in 2 bytes', '790000', NonShortestEncodingError, 'CODEC_NOT_SHORTEST'],
  ['array count 0 in 1 byte', '9800', NonShortestEncodingError, 'CODEC_NOT_SHORTEST'],
  ['map count 0 in 8 bytes', 'bb0000000000000000', NonShortestEncodingError, 'CODEC_NOT_SHORTEST'],
  ['indefinite array', '9f01ff', IndefiniteLengthError, 'CODEC_INDEFINITE_LENGTH'],
  ['indefinite map', 'bf616101ff', IndefiniteLengthError, 'CODEC_INDEFINITE_LENGTH'],
  ['indefinite byte string', '5f4101ff', IndefiniteLengthError, 'CODEC_INDEFINITE_LENGTH'],
  ['indefinite text string', '7f6161ff', IndefiniteLengthError, 'CODEC_INDEFINITE_LENGTH'],
  ['stray break', 'ff', IndefiniteLengthError, 'CODEC_INDEFINITE_LENGTH'],
  ['reserved additional information 28', '1c', ReservedEncodingError, 'CODEC_RESERVED'],
  ['additional information 31 on an integer', '1f', ReservedEncodingError, 'CODEC_RESERVED'],
  ['reserved 30 in major type 7', 'fe', ReservedEncodingError, 'CODEC_RESERVED'],
  ['unsorted keys {"b":1,"a":1}', 'a2616201616101', UnsortedMapKeysError, 'CODEC_UNSORTED_MAP_KEYS'],
  ['longer key before shorter {"aa":1,"b":2}', 'a262616101616202', UnsortedMapKeysError, 'CODEC_UNSORTED_MAP_KEYS'],
  ['duplicate keys {"a":1,"a":2}', 'a2616101616102', DuplicateMapKeyError, 'CODEC_DUPLICATE_MAP_KEY'],
  ['integer map key', 'a10101', NonTextMapKeyError, 'CODEC_NON_TEXT_MAP_KEY'],
  ['byte-string map key', 'a1416101', NonTextMapKeyError, 'CODEC_NON_TEXT_MAP_KEY'],
  ['tag 0 (date string)', 'c074323031332d30332d32315432303a30343a30305a', TagNotAllowedError, 'CODEC_TAG'],
  ['tag 2 (bignum)', 'c249010000000000000000', TagNotAllowedError, 'CODEC_TAG'],
  ['bare tag head', 'c0', TagNotAllowedError, 'CODEC_TAG'],
  ['half float NaN', 'f97e00', FloatNotAllowedError, 'CODEC_FLOAT'],
  ['single float', 'fa47c35000', FloatNotAllowedError, 'CODEC_FLOAT'],
  ['double float 1.1', 'fb3ff199999999999a', FloatNotAllowedError, 'CODEC_FLOAT'],
  ['undefined', 'f7', SimpleValueNotAllowedError, 'CODEC_SIMPLE_VALUE'],
  ['simple(16)', 'f0', SimpleValueNotAllowedError, 'CODEC_SIMPLE_VALUE'],
  ['simple(255)', 'f8ff', SimpleValueNotAllowedError, 'CODEC_SIMPLE_VALUE'],
  ['invalid UTF-8 c3 28', '62c328', InvalidUtf8Error, 'CODEC_INVALID_UTF8'],
  ['lone high surrogate (CESU) ed a0 80', '63eda080', InvalidUtf8Error, 'CODEC_INVALID_UTF8'],
  ['overlong "/" c0 af', '62c0af', InvalidUtf8Error, 'CODEC_INVALID_UTF8'],
  ['beyond U+10FFFF f4 90 80 80', '64f4908080', InvalidUtf8Error, 'CODEC_INVALID_UTF8'],
  ['truncated sequence e6 b0', '62e6b0', InvalidUtf8Error, 'CODEC_INVALID_UTF8'],
  ['invalid UTF-8 in a long string', '7828' + '61'.repeat(39) + 'ff', InvalidUtf8Error, 'CODEC_INVALID_UTF8'],
  ['invalid UTF-8 in a map key', 'a161ff01', InvalidUtf8Error, 'CODEC_INVALID_UTF8'],
  ['65 nested arrays', '81'.repeat(65) + '80', DepthLimitError, 'CODEC_TOO_DEEP'],
  ['65 nested maps', 'a16161'.repeat(64) + 'a0', DepthLimitError, 'CODEC_TOO_DEEP'],
];

for (const [what, hexInput, cls, code] of cases) {
  test(`decode rejects ${what} with ${code}`, () => {
    assert.throws(
      () => decode(Buffer.from(hexInput, 'hex')),
      (err: unknown) => err instanceof cls && err instanceof DecodeError && err instanceof CodecError && err.code === code,
    );
  });
}

test('decode accepts exactly maxDepth levels', () => {
  assert.doesNotThrow(() => decode(Buffer.from('81'.repeat(63) + '80', 'hex')));
  assert.throws(() => decode(Buffer.from('818180', 'hex'), { maxDepth: 2 }), DepthLimitError);
  assert.doesNotThrow(() => decode(Buffer.from('8180', 'hex'), { maxDepth: 2 }));
});

test('maxBytes is checked before any decoding', () => {
  // Garbage that would fail otherwise: the size check must come first.
  const big = new Uint8Array(1025).fill(0xff);
  assert.throws(() => decode(big, { maxBytes: 1024 }), InputTooLargeError);
  assert.throws(() => decode(new Uint8Array(16 * 1024 * 1024 + 1)), InputTooLargeError);
});

test('maxItems and maxStringBytes bound arrays, maps and strings', () => {
  const limits: DecodeLimits = { maxItems: 2, maxStringBytes: 3 };
  assert.deepStrictEqual(decode(Buffer.from('820102', 'hex'), limits), [1, 2]);
  assert.throws(() => decode(Buffer.from('83010203', 'hex'), limits), ItemLimitError);
  assert.throws(() => decode(Buffer.from('a3616101616202616303', 'hex'), limits), ItemLimitError);
  assert.throws(() => decode(Buffer.from('4401020304', 'hex'), limits), StringLimitError);
  assert.throws(() => decode(Buffer.from('6449455446', 'hex'), limits), StringLimitError);
  const defaultMax = new Uint8Array(5 + 1024 * 1024 + 1);
  defaultMax.set([0x9a, 0x00, 0x10, 0x00, 0x01]);
  assert.throws(() => decode(defaultMax), ItemLimitError, 'default maxItems is 2^20');
});

test('invalid limits are a typed error', () => {
  for (const limits of [{ maxDepth: 1001 }, { maxBytes: -1 }, { maxItems: 1.5 }, { maxStringBytes: Number.NaN }]) {
    assert.throws(() => decode(Buffer.from('00', 'hex'), limits), InvalidLimitsError);
  }
});

test('a hostile length prefix fails fast without allocating', () => {
  const before = process.memoryUsage().arrayBuffers;
  const started = performance.now();
  for (let i = 0; i < 1000; i++) {
    assert.throws(() => decode(Buffer.from('5affffffff', 'hex')), TruncatedInputError);
    assert.throws(() => decode(Buffer.from('5bffffffffffffffff00', 'hex')), TruncatedInputError);
    assert.throws(() => decode(Buffer.from('9a000fffff' + '00'.repeat(100), 'hex')), TruncatedInputError);
    assert.throws(() => decode(Buffer.from('ba000fffff' + '00'.repeat(100), 'hex')), TruncatedInputError);
  }
  assert.ok(performance.now() - started < 1000);
  assert.ok(process.memoryUsage().arrayBuffers - before < 64 * 1024 * 1024);
});

test('errors report the offset of the offending item', () => {
  assert.throws(() => decode(Buffer.from('8301f97e00', 'hex')), (err: unknown) => err instanceof FloatNotAllowedError && err.offset === 2);
  assert.throws(() => decode(Buffer.from('a2616201616101', 'hex')), (err: unknown) => err instanceof UnsortedMapKeysError && err.offset === 4);
});

test('decoded byte strings are copies, also from a Buffer', () => {
  const input = Buffer.from('824201024103', 'hex');
  const out = decode(input) as Uint8Array[];
  input.fill(0);
  assert.deepStrictEqual(out, [Uint8Array.of(1, 2), Uint8Array.of(3)]);
  assert.equal(Object.getPrototypeOf(out[0]), Uint8Array.prototype);
  assert.equal(out[0]!.buffer.byteLength, 2);
});
