import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  CodecError,
  decode,
  encode,
  expectArray,
  expectBigUint,
  expectBool,
  expectBytes,
  expectInt,
  expectMap,
  expectNullable,
  expectString,
  expectUint,
  SchemaError,
  type CodecValue,
} from './index.js';

const fails = (fn: () => unknown, path: string): void => {
  assert.throws(fn, (err: unknown) => err instanceof SchemaError && err instanceof CodecError && err.code === 'CODEC_SCHEMA' && err.path === path);
};

test('a positional structure decodes with the accessors', () => {
  const hash = new Uint8Array(32).fill(7);
  const v = decode(encode([1, 100, 0, hash, 3, 1_700_000_000_000]));
  const [type, height, round, blockHash, validator, timestamp] = expectArray(v, '$', 6);
  assert.equal(expectUint(type, '$[0]'), 1);
  assert.equal(expectUint(height, '$[1]'), 100);
  assert.equal(expectUint(round, '$[2]'), 0);
  assert.deepStrictEqual(expectBytes(blockHash, '$[3]', 32), hash);
  assert.equal(expectUint(validator, '$[4]'), 3);
  assert.equal(expectUint(timestamp, '$[5]'), 1_700_000_000_000);
  fails(() => expectArray(v, '$', 5), '$');
  fails(() => expectBytes(blockHash, '$[3]', 20), '$[3]');
});

test('expectMap with keys requires exactly those keys', () => {
  const v: CodecValue = { height: 1, round: 0 };
  assert.equal(expectMap(v, '$', ['height', 'round']).height, 1);
  fails(() => expectMap(v, '$.vote', ['height']), '$.vote');
  fails(() => expectMap(v, '$.vote', ['height', 'round', 'hash']), '$.vote');
  fails(() => expectMap([], '$.vote'), '$.vote');
  fails(() => expectMap(new Uint8Array(1), '$.vote'), '$.vote');
  fails(() => expectMap(null, '$.vote'), '$.vote');
});

test('scalar accessors check kind and sign', () => {
  fails(() => expectUint(-1, '$.h'), '$.h');
  fails(() => expectUint(2n ** 60n, '$.h'), '$.h');
  fails(() => expectUint('1', '$.h'), '$.h');
  assert.equal(expectInt(-5), -5);
  fails(() => expectInt(true), '$');
  assert.equal(expectBigUint(5), 5n);
  assert.equal(expectBigUint(2n ** 64n - 1n), 2n ** 64n - 1n);
  fails(() => expectBigUint(-1), '$');
  fails(() => expectBigUint(-(2n ** 60n)), '$');
  assert.equal(expectString('x'), 'x');
  fails(() => expectString(new Uint8Array(0)), '$');
  assert.equal(expectBool(false), false);
  fails(() => expectBool(0), '$');
  fails(() => expectBytes('00'), '$');
  assert.equal(expectNullable(null, '$.memo', expectString), null);
  assert.equal(expectNullable('hi', '$.memo', expectString), 'hi');
  fails(() => expectNullable(1, '$.memo', expectString), '$.memo');
  fails(() => expectString(expectMap({ a: 'x' }).b, '$.b'), '$.b');
});
