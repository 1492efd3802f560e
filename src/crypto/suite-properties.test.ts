import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { DecryptionError, getSuite, InvalidKeyError, SUITE_NAMES, type Suite } from './index.js';

/*
 * Properties every suite must have, checked on random inputs. Run counts are modest because
 * sm2 signs and verifies in pure JS (~0.5 ms each); failures print a seed that reproduces them.
 */
const RUNS = 40;

function flipBit(bytes: Uint8Array, bit: number): Uint8Array {
  const out = Uint8Array.from(bytes);
  const i = bit % (out.length * 8);
  out[i >> 3]! ^= 1 << (i & 7);
  return out;
}

/** Runs `f`; passes if it returns, or throws InvalidKeyError — any other error fails. */
function onlyInvalidKey(f: () => unknown): boolean {
  try {
    f();
    return true;
  } catch (error) {
    if (error instanceof InvalidKeyError) return true;
    throw error;
  }
}

function pemOf(der: Uint8Array, label: string): string {
  return `-----BEGIN ${label}-----\n${Buffer.from(der).toString('base64')}\n-----END ${label}-----\n`;
}

function derOf(pem: string): Uint8Array {
  return new Uint8Array(Buffer.from(pem.replace(/-----[^-]+-----|\s/g, ''), 'base64'));
}

function signatureProperties(name: string, suite: Suite): void {
  const { privateKey, publicKey } = suite.generateKeyPair();
  const message = fc.uint8Array({ maxLength: 300 });

  test(`${name}: sign then verify holds for random messages; a flipped bit in message or signature breaks it`, () => {
    fc.assert(
      fc.property(message, fc.nat(), fc.nat(), (m, sigBit, msgBit) => {
        const signature = suite.sign(privateKey, m);
        assert.equal(signature.length, suite.signatureLength);
        assert.ok(suite.verify(publicKey, m, signature));
        assert.equal(suite.verify(publicKey, m, flipBit(signature, sigBit)), false);
        if (m.length > 0) assert.equal(suite.verify(publicKey, flipBit(m, msgBit), signature), false);
      }),
      { numRuns: RUNS },
    );
  });

  test(`${name}: verify returns false for random bytes and never throws`, () => {
    const sized = fc.uint8Array({ minLength: suite.signatureLength, maxLength: suite.signatureLength });
    fc.assert(
      fc.property(message, fc.oneof(fc.uint8Array({ maxLength: 100 }), sized), (m, signature) => {
        assert.equal(suite.verify(publicKey, m, signature), false);
      }),
      { numRuns: RUNS * 5 },
    );
  });
}

function keyImportProperties(name: string, suite: Suite): void {
  const { privateKey, publicKey } = suite.generateKeyPair();
  const privateDer = derOf(suite.exportPrivateKeyPem(privateKey));
  const publicDer = derOf(suite.exportPublicKeyPem(publicKey));

  test(`${name}: importing random or corrupted key material throws InvalidKeyError and nothing else`, () => {
    for (const bytes of [new Uint8Array(0), Uint8Array.of(0), Uint8Array.of(4)]) {
      assert.throws(() => suite.importPublicKeyBytes(bytes), InvalidKeyError, `${bytes.length} bytes`);
    }
    const nearKeySize = fc.uint8Array({ minLength: publicKey.bytes.length - 1, maxLength: publicKey.bytes.length + 1 });
    fc.assert(
      fc.property(fc.oneof(fc.uint8Array({ maxLength: 80 }), nearKeySize), (bytes) => {
        return onlyInvalidKey(() => {
          const key = suite.importPublicKeyBytes(bytes);
          assert.deepEqual(suite.importPublicKeyBytes(key.bytes).bytes, key.bytes);
        });
      }),
      { numRuns: RUNS * 5 },
    );
    fc.assert(
      fc.property(fc.string(), fc.uint8Array({ maxLength: 200 }), fc.nat(), fc.nat(), (text, junk, bit, cut) => {
        for (const pem of [
          text,
          pemOf(junk, 'PRIVATE KEY'),
          pemOf(flipBit(privateDer, bit), 'PRIVATE KEY'),
          pemOf(privateDer.subarray(0, cut % privateDer.length), 'PRIVATE KEY'),
        ]) {
          assert.ok(onlyInvalidKey(() => suite.importPrivateKeyPem(pem)));
        }
        for (const pem of [text, pemOf(junk, 'PUBLIC KEY'), pemOf(flipBit(publicDer, bit), 'PUBLIC KEY')]) {
          assert.ok(onlyInvalidKey(() => suite.importPublicKeyPem(pem)));
        }
      }),
      { numRuns: RUNS * 5 },
    );
  });
}

function encryptionProperties(name: string, suite: Suite): void {
  test(`${name}: encrypt then decrypt round-trips; any flipped bit or other aad throws DecryptionError`, () => {
    const key = fc.uint8Array({ minLength: suite.symmetricKeyLength, maxLength: suite.symmetricKeyLength });
    fc.assert(
      fc.property(key, fc.uint8Array({ maxLength: 300 }), fc.uint8Array({ maxLength: 40 }), fc.nat(), (k, plaintext, aad, bit) => {
        const sealed = suite.encrypt(k, plaintext, aad);
        assert.deepEqual(new Uint8Array(suite.decrypt(k, sealed, aad)), plaintext);
        assert.throws(() => suite.decrypt(k, flipBit(sealed, bit), aad), DecryptionError);
        assert.throws(() => suite.decrypt(k, sealed, Uint8Array.of(...aad, 0)), DecryptionError);
      }),
      { numRuns: RUNS * 2 },
    );
  });
}

for (const name of SUITE_NAMES) {
  const suite = getSuite(name);
  signatureProperties(name, suite);
  keyImportProperties(name, suite);
  encryptionProperties(name, suite);
  if (suite.agree) {
    test(`${name}: key agreement gives both sides the same secret`, () => {
      const a = suite.generateKeyPair();
      const b = suite.generateKeyPair();
      assert.deepEqual(new Uint8Array(suite.agree!(a.privateKey, b.publicKey)), new Uint8Array(suite.agree!(b.privateKey, a.publicKey)));
    });
  }
}
