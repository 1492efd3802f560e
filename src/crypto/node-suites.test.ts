import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { DecryptionError, getSuite, InvalidKeyError, SuiteMismatchError, UnknownSuiteError } from './index.js';

for (const name of ['ecdsa-p256', 'ed25519'] as const) {
  const suite = getSuite(name);

  test(`${name}: sign and verify, and keys survive PEM and raw round trips`, () => {
    const { privateKey, publicKey } = suite.generateKeyPair();
    const message = new TextEncoder().encode('block 1');
    const signature = suite.sign(privateKey, message);
    assert.equal(signature.length, suite.signatureLength);
    assert.ok(suite.verify(publicKey, message, signature));
    assert.ok(suite.verify(suite.importPublicKeyBytes(publicKey.bytes), message, signature));
    assert.ok(suite.verify(suite.importPublicKeyPem(suite.exportPublicKeyPem(publicKey)), message, signature));
    const again = suite.importPrivateKeyPem(suite.exportPrivateKeyPem(privateKey));
    assert.deepEqual(again.publicKey.bytes, publicKey.bytes);
    assert.equal(suite.verify(publicKey, new TextEncoder().encode('block 2'), signature), false);
  });

  test(`${name}: any single flipped bit breaks a signature`, () => {
    const { privateKey, publicKey } = suite.generateKeyPair();
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 200 }), fc.nat(), (message, bit) => {
        const signature = Uint8Array.from(suite.sign(privateKey, message));
        const i = bit % (signature.length * 8);
        signature[i >> 3]! ^= 1 << (i & 7);
        return suite.verify(publicKey, message, signature) === false;
      }),
      { numRuns: 100 },
    );
  });

  test(`${name}: malformed keys and signatures are rejected with typed errors`, () => {
    const { publicKey } = suite.generateKeyPair();
    assert.throws(() => suite.importPublicKeyBytes(new Uint8Array(7)), InvalidKeyError);
    assert.throws(() => suite.importPrivateKeyPem('-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n'), InvalidKeyError);
    assert.throws(() => suite.importPublicKeyPem('not a pem'), InvalidKeyError);
    assert.equal(suite.verify(publicKey, new Uint8Array(1), new Uint8Array(3)), false);
    const other = getSuite(name === 'ed25519' ? 'ecdsa-p256' : 'ed25519').generateKeyPair();
    assert.throws(() => suite.sign(other.privateKey, new Uint8Array(1)), SuiteMismatchError);
  });

  test(`${name}: authenticated encryption round-trips and detects tampering`, () => {
    const key = new Uint8Array(suite.symmetricKeyLength).fill(7);
    const aad = new TextEncoder().encode('header');
    const sealed = suite.encrypt(key, new TextEncoder().encode('secret'), aad);
    assert.equal(new TextDecoder().decode(suite.decrypt(key, sealed, aad)), 'secret');
    const tampered = Uint8Array.from(sealed);
    tampered[14]! ^= 1;
    assert.throws(() => suite.decrypt(key, tampered, aad), DecryptionError);
    assert.throws(() => suite.decrypt(key, sealed, new Uint8Array(1)), DecryptionError);
    assert.throws(() => suite.decrypt(key, sealed.subarray(0, 10)), DecryptionError);
  });
}

test('ecdsa-p256: ECDH agreement gives both sides the same secret', () => {
  const suite = getSuite('ecdsa-p256');
  const a = suite.generateKeyPair();
  const b = suite.generateKeyPair();
  assert.deepEqual(suite.agree!(a.privateKey, b.publicKey), suite.agree!(b.privateKey, a.publicKey));
});

test('an unknown suite name is a typed error', () => {
  assert.throws(() => getSuite('rsa'), UnknownSuiteError);
});
