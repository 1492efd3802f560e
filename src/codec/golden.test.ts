import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { encode as cborgEncode, rfc8949EncodeOptions } from 'cborg';
import { decode, encode, type CodecValue } from './index.js';

interface Vector {
  name: string;
  source?: string;
  value: unknown;
  hex: string;
}

const file = JSON.parse(readFileSync(new URL('./golden-vectors.json', import.meta.url), 'utf8')) as { vectors: Vector[] };

/** The JSON form of a vector's value: `{"$bytes": hex}` and `{"$bigint": decimal}` stand for what JSON cannot hold. */
function fromJson(v: unknown): CodecValue {
  if (Array.isArray(v)) return v.map(fromJson);
  if (v !== null && typeof v === 'object') {
    const keys = Object.keys(v);
    const o = v as Record<string, unknown>;
    if (keys.length === 1 && keys[0] === '$bytes') return Uint8Array.from(Buffer.from(o.$bytes as string, 'hex'));
    if (keys.length === 1 && keys[0] === '$bigint') return BigInt(o.$bigint as string);
    const out: Record<string, CodecValue> = {};
    for (const k of keys) Object.defineProperty(out, k, { value: fromJson(o[k]), enumerable: true, writable: true, configurable: true });
    return out;
  }
  return v as CodecValue;
}

const hex = (b: Uint8Array): string => Buffer.from(b).toString('hex');

test('golden vectors: at least the RFC 8949 Appendix A examples of our data model', () => {
  assert.ok(file.vectors.filter((v) => v.source === 'RFC 8949 Appendix A').length >= 36);
  assert.ok(file.vectors.length >= 50);
});

for (const vector of file.vectors) {
  test(`golden: ${vector.name}`, () => {
    const value = fromJson(vector.value);
    assert.equal(hex(encode(value)), vector.hex, 'encode');
    assert.deepStrictEqual(decode(Buffer.from(vector.hex, 'hex')), value, 'decode');
    // An independent implementation agrees on every vector.
    assert.equal(hex(cborgEncode(value, rfc8949EncodeOptions)), vector.hex, 'cborg with RFC 8949 options');
  });
}

test('golden: bigint and number spellings of one integer encode alike', () => {
  for (const n of [0, 1, 23, 24, 255, 256, 65535, 65536, 2 ** 32, Number.MAX_SAFE_INTEGER, -1, -25, -(2 ** 32) - 1, Number.MIN_SAFE_INTEGER]) {
    assert.equal(hex(encode(BigInt(n))), hex(encode(n)), String(n));
    assert.equal(decode(encode(BigInt(n))), n, 'decodes to a number when safe');
  }
});
