import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  CodecError,
  decode,
  encode,
  EncodeDepthError,
  EncodeError,
  IntegerRangeError,
  InvalidStringError,
  NotSafeIntegerError,
  UnsupportedValueError,
  type CodecValue,
} from './index.js';

type ErrorClass = abstract new (...args: never[]) => EncodeError;

function rejects(value: unknown, cls: ErrorClass, path: string): void {
  assert.throws(
    () => encode(value as CodecValue),
    (err: unknown) => err instanceof cls && err instanceof CodecError && err.path === path && err.message.includes(path),
  );
}

test('encode rejects numbers that are not safe integers, naming the path', () => {
  const votes = [{}, {}, {}, { height: 1.5 }];
  rejects({ votes }, NotSafeIntegerError, '$.votes[3].height');
  for (const n of [0.5, Number.NaN, Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY, -0, 2 ** 53, -(2 ** 53), 1e300]) {
    rejects([n], NotSafeIntegerError, '$[0]');
  }
});

test('encode rejects bigints outside [-2^64, 2^64)', () => {
  rejects({ amount: 2n ** 64n }, IntegerRangeError, '$.amount');
  rejects({ amount: -(2n ** 64n) - 1n }, IntegerRangeError, '$.amount');
  assert.doesNotThrow(() => encode([2n ** 64n - 1n, -(2n ** 64n)]));
});

test('encode rejects values outside the data model', () => {
  class Vote {
    height = 1;
  }
  const holey: unknown[] = [1];
  holey[2] = 3;
  const cases: [unknown, string][] = [
    [{ a: undefined }, '$.a'],
    [[undefined], '$[0]'],
    [holey, '$[1]'],
    [{ f: () => 1 }, '$.f'],
    [{ s: Symbol('x') }, '$.s'],
    [{ m: new Map() }, '$.m'],
    [{ s: new Set() }, '$.s'],
    [{ d: new Date(0) }, '$.d'],
    [{ v: new Vote() }, '$.v'],
    [{ u: new Uint16Array(2) }, '$.u'],
    [{ b: new ArrayBuffer(2) }, '$.b'],
    [{ dv: new DataView(new ArrayBuffer(2)) }, '$.dv'],
    [{ 'not an identifier': { x: undefined } }, '$["not an identifier"].x'],
    [{ [Symbol('k')]: 1 }, '$'],
    [undefined, '$'],
  ];
  for (const [value, path] of cases) rejects(value, UnsupportedValueError, path);
});

test('encode rejects strings with lone surrogates, in values and keys', () => {
  rejects({ name: 'a\ud800b' }, InvalidStringError, '$.name');
  rejects({ ['k\udc00']: 1 }, InvalidStringError, '$["k\\udc00"]');
  assert.doesNotThrow(() => encode('\ud83d\ude00'));
});

test('encode rejects nesting beyond 64 and cycles', () => {
  let deep: CodecValue = [];
  for (let i = 1; i < 64; i++) deep = [deep];
  assert.doesNotThrow(() => decode(encode(deep)));
  assert.throws(() => encode([deep]), EncodeDepthError);
  const cyclic: { self?: unknown } = {};
  cyclic.self = cyclic;
  assert.throws(() => encode(cyclic as CodecValue), EncodeDepthError);
});

test('encode accepts null-prototype objects and Buffers, and decodes them to the plain forms', () => {
  const map = Object.create(null) as Record<string, CodecValue>;
  map.x = Buffer.from([1, 2]);
  assert.deepStrictEqual(decode(encode(map)), { x: Uint8Array.of(1, 2) });
});

test('encode output is a fresh exact-size array and the scratch buffer is not shared', () => {
  const a = encode({ big: new Uint8Array(100_000) });
  const b = encode([1, 2, 3]);
  assert.equal(a.length, 100_000 + 1 + 4 + 5);
  assert.equal(a.buffer.byteLength, a.length);
  assert.deepStrictEqual(b, Uint8Array.of(0x83, 1, 2, 3));
  b[0] = 0;
  assert.deepStrictEqual(encode([1, 2, 3]), Uint8Array.of(0x83, 1, 2, 3));
});

test('a getter that encodes re-entrantly does not corrupt the outer encoding', () => {
  const outer = {
    get inner(): CodecValue {
      return encode({ z: 'zz' });
    },
    a: 1,
  };
  assert.deepStrictEqual(decode(encode(outer)), { a: 1, inner: encode({ z: 'zz' }) });
});

test('key order of the input object does not matter', () => {
  assert.deepStrictEqual(encode({ b: 1, a: 2, 10: 3, 9: 4 }), encode({ 9: 4, 10: 3, a: 2, b: 1 }));
});
