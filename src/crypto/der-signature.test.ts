import { test } from 'node:test';
import assert from 'node:assert/strict';
import { generateKeyPairSync, sign, verify } from 'node:crypto';
import fc from 'fast-check';
import { InvalidSignatureError, signatureFromDer, signatureToDer } from './index.js';

const fromHex = (text: string) => new Uint8Array(Buffer.from(text, 'hex'));

test('DER <-> r||s round-trips any 64-byte signature, leading zeros and high bits included', () => {
  const edgy = fc.constantFrom(new Uint8Array(32), new Uint8Array(32).fill(0xff), Uint8Array.of(...new Uint8Array(31), 1));
  const half = fc.oneof(fc.uint8Array({ minLength: 32, maxLength: 32 }), edgy);
  fc.assert(
    fc.property(half, half, (r, s) => {
      const rs = Uint8Array.of(...r, ...s);
      assert.deepEqual(new Uint8Array(signatureFromDer(signatureToDer(rs))), rs);
    }),
  );
  // r = 1, s = 0x80 00…00: minimal INTEGERs, with a 0x00 pad where the high bit is set.
  const rs = Uint8Array.of(...new Uint8Array(31), 1, 0x80, ...new Uint8Array(31));
  assert.equal(Buffer.from(signatureToDer(rs)).toString('hex'), '3026020101022100' + '80' + '00'.repeat(31));
});

test('signatureFromDer agrees with node:crypto on ECDSA P-256 signatures', () => {
  const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'prime256v1' });
  for (let i = 0; i < 20; i++) {
    const message = Buffer.from(`m${i}`);
    const der = sign('sha256', message, privateKey);
    const rs = signatureFromDer(der);
    assert.ok(verify('sha256', message, { key: publicKey, dsaEncoding: 'ieee-p1363' }, rs));
    assert.deepEqual(Buffer.from(signatureToDer(rs)), der);
  }
});

test('signatureFromDer accepts only strict DER', () => {
  const ok = '3006020101020102';
  assert.deepEqual(new Uint8Array(signatureFromDer(fromHex(ok))).subarray(31, 33), Uint8Array.of(1, 0));
  for (const bad of [
    '',
    ok + '00', // trailing byte
    '3007020101020102', // length runs past the end
    '300702020001020102', // non-minimal INTEGER
    '30060201ff020102', // negative INTEGER
    '3006810101020102', // not an INTEGER tag
    '308106020101020102', // long-form length for a short value
    '3009020101020102020103', // three INTEGERs
    '3026020101022101' + 'ff'.repeat(32), // s longer than 32 bytes
    '3106020101020102', // SET, not SEQUENCE
  ]) {
    assert.throws(() => signatureFromDer(fromHex(bad)), InvalidSignatureError, bad);
  }
  assert.throws(() => signatureToDer(new Uint8Array(63)), InvalidSignatureError);
});
