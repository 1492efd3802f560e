import { test } from 'node:test';
import assert from 'node:assert/strict';
import { sign as nodeSign } from 'node:crypto';
import fc from 'fast-check';
import { ecdsaP256, isLowS, signatureToDer, toLowS } from '../../src/crypto/index.js';
import { asNodePrivate } from '../../src/crypto/node-keys.js';
import { buildKvTx, checkKvTxStateless, decodeKvTx, encodeKvTx } from '../../src/execution/index.js';
import { signatureAlgorithm, verifyTbs } from '../../src/pki/algorithms.js';

const ORDER = 0xffffffff00000000ffffffffffffffffbce6faada7179e84f3b9cac2fc632551n;

/** (r, n − s): the other signature that verifies for the same message and key. */
function twin(signature: Uint8Array): Uint8Array {
  const s = BigInt(`0x${Buffer.from(signature.subarray(32)).toString('hex')}`);
  const out = Uint8Array.from(signature);
  out.set(Buffer.from((ORDER - s).toString(16).padStart(64, '0'), 'hex'), 32);
  return out;
}

test('ecdsa-p256 signs low-s; the high-s twin still verifies under the suite (OpenSSL accepts it)', () => {
  const { privateKey, publicKey } = ecdsaP256.generateKeyPair();
  fc.assert(
    fc.property(fc.uint8Array({ maxLength: 200 }), (message) => {
      const sig = ecdsaP256.sign(privateKey, message);
      assert.equal(isLowS(sig), true);
      assert.equal(ecdsaP256.verify(publicKey, message, sig), true);
      const high = twin(sig);
      assert.equal(isLowS(high), false);
      assert.equal(ecdsaP256.verify(publicKey, message, high), true, 'the twin is a valid signature: why kv refuses it explicitly');
      assert.deepEqual(Buffer.from(toLowS(high)), Buffer.from(sig));
    }),
    { numRuns: 100 },
  );
});

test('a kv tx with the high-s twin of its valid signature is refused; the original is accepted', () => {
  const { privateKey } = ecdsaP256.generateKeyPair();
  const bytes = buildKvTx({ chainId: 'kv', privateKey, nonce: 0, ops: [{ type: 'put', key: Buffer.from('k'), value: Buffer.from('v') }] });
  assert.equal(checkKvTxStateless(bytes, 'kv').nonce, 0);
  const tx = decodeKvTx(bytes);
  // The same tx with the twin signature: the same body, signed validly, under another hash.
  const malleated = encodeKvTx({ ...tx, signature: twin(tx.signature) });
  assert.notDeepEqual(malleated, bytes);
  assert.throws(() => checkKvTxStateless(malleated, 'kv'), { code: 'KV_TX_BAD_SIGNATURE' });
});

test('certificates keep verifying with a high-s signature (OpenSSL signs those half of the time)', () => {
  const { privateKey, publicKey } = ecdsaP256.generateKeyPair();
  const tbs = Buffer.from('a to-be-signed certificate body');
  // Node's (OpenSSL's) own signature, not normalised: find a high-s one, as `openssl ca` may make.
  let high: Uint8Array | undefined;
  for (let i = 0; i < 64 && !high; i++) {
    const sig = nodeSign('sha256', tbs, { key: asNodePrivate('ecdsa-p256', privateKey).keyObject, dsaEncoding: 'ieee-p1363' });
    high = isLowS(sig) ? twin(sig) : sig;
  }
  assert.equal(verifyTbs(publicKey, signatureAlgorithm('ecdsa-p256'), tbs, signatureToDer(high!)), true);
});

