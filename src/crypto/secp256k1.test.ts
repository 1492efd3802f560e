import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { createPrivateKey } from 'node:crypto';
import { createRequire } from 'node:module';
import { ethereumAddress, InvalidSignatureError, keccak256, secp256k1 } from './index.js';
import { secp256k1Native, secp256k1NativeBinary } from './secp256k1-native.js';

const hex = (bytes: Uint8Array) => Buffer.from(bytes).toString('hex');
const fromHex = (text: string) => new Uint8Array(Buffer.from(text, 'hex'));
const N = BigInt('0xfffffffffffffffffffffffffffffffebaaedce6af48a03bbfd25e8cd0364141');

/** A PKCS#8 PEM of a raw secp256k1 scalar, made by node:crypto from SEC1 DER. */
function pemOfScalar(d: string): string {
  const sec1 = Buffer.from(`302e0201010420${d}a00706052b8104000a`, 'hex');
  return createPrivateKey({ key: sec1, format: 'der', type: 'sec1' }).export({ type: 'pkcs8', format: 'pem' }) as string;
}

test('secp256k1 runs on the native libsecp256k1 addon, not the pure-JS fallback', () => {
  assert.match(secp256k1NativeBinary ?? '', /secp256k1.*\.node$/);
  assert.equal(secp256k1Native, createRequire(import.meta.url)('secp256k1/bindings'));
});

test('keccak256: empty input, "abc", and the EIP-155 signing data', () => {
  assert.equal(hex(keccak256(new Uint8Array(0))), 'c5d2460186f7233c927e7db2dcc703c0e500b653ca82273b7bfad8045d85a470');
  assert.equal(hex(keccak256(new TextEncoder().encode('abc'))), '4e03657aea45a94fc7d47ba826c8d667c0d1e6e33a64a036ec44f58fa12d6c45');
  const signingData = fromHex('ec098504a817c800825208943535353535353535353535353535353535353535880de0b6b3a764000080018080');
  assert.equal(hex(secp256k1.hash(signingData)), 'daf5a779ae972f972197303d7b574746c7ef83eadac0f2791ad23db92e4c8e53');
});

// EIP-155 "Example": private key 0x4646…46 signs the transaction digest with RFC 6979 nonces.
test('secp256k1: the EIP-155 example signature, address and recovery', () => {
  const privateKey = secp256k1.importPrivateKeyPem(pemOfScalar('46'.repeat(32)));
  assert.equal(hex(ethereumAddress(privateKey.publicKey)), '9d8a62f656a8d1615c1294fd71e9cfb3e4855a4f');
  const digest = fromHex('daf5a779ae972f972197303d7b574746c7ef83eadac0f2791ad23db92e4c8e53');
  const signature = secp256k1.signDigest(privateKey, digest);
  assert.equal(BigInt('0x' + hex(signature.subarray(0, 32))), 18515461264373351373200002665853028612451056578545711640558177340181847433846n);
  assert.equal(BigInt('0x' + hex(signature.subarray(32, 64))), 46948507304638947509940763649030358759909902576025900602547168820602576006531n);
  assert.equal(signature[64], 0); // v = 37 = 35 + 2·chainId(1) + 0
  assert.deepEqual(secp256k1.recover(digest, signature).bytes, privateKey.publicKey.bytes);
});

test('secp256k1: sign, verify and recover round trip; recovery gives the signer', () => {
  const { privateKey, publicKey } = secp256k1.generateKeyPair();
  const other = secp256k1.generateKeyPair();
  const message = new TextEncoder().encode('eth_sendTransaction');
  const signature = secp256k1.sign(privateKey, message);
  assert.equal(signature.length, 65);
  assert.ok(secp256k1.verify(publicKey, message, signature));
  assert.equal(secp256k1.verify(other.publicKey, message, signature), false);
  assert.deepEqual(secp256k1.recover(keccak256(message), signature).bytes, publicKey.bytes);
});

test('secp256k1: the high-S twin of a valid signature is rejected; so are v > 1 and bad lengths', () => {
  const { privateKey, publicKey } = secp256k1.generateKeyPair();
  const message = new TextEncoder().encode('malleable?');
  const signature = secp256k1.sign(privateKey, message);
  const s = BigInt('0x' + hex(signature.subarray(32, 64)));
  const twin = Uint8Array.from(signature);
  twin.set(fromHex((N - s).toString(16).padStart(64, '0')), 32);
  twin[64] = signature[64]! ^ 1;
  // The twin is a valid ECDSA signature (libsecp256k1 accepts it once normalized) ...
  assert.ok(secp256k1Native.ecdsaVerify(secp256k1Native.signatureNormalize(twin.slice(0, 64)), keccak256(message), publicKey.bytes));
  // ... but not in the canonical form this suite and Ethereum (EIP-2) require.
  assert.equal(secp256k1.verify(publicKey, message, twin), false);
  assert.throws(() => secp256k1.recover(keccak256(message), twin), InvalidSignatureError);
  const badV = Uint8Array.from(signature);
  badV[64] = 27;
  assert.equal(secp256k1.verify(publicKey, message, badV), false);
  assert.throws(() => secp256k1.recover(keccak256(message), signature.subarray(0, 64)), InvalidSignatureError);
});

test('secp256k1: PEM is PKCS#8/SPKI with curve OID 1.3.132.0.10, and openssl reads it', () => {
  const { privateKey, publicKey } = secp256k1.generateKeyPair();
  const pem = secp256k1.exportPrivateKeyPem(privateKey);
  const der = Buffer.from(pem.replace(/-----[^-]+-----|\s/g, ''), 'base64');
  assert.ok(der.includes(Buffer.from('06052b8104000a', 'hex')));
  assert.deepEqual(secp256k1.importPrivateKeyPem(pem).publicKey.bytes, publicKey.bytes);
  assert.deepEqual(secp256k1.importPublicKeyPem(secp256k1.exportPublicKeyPem(publicKey)).bytes, publicKey.bytes);
  const text = execFileSync('openssl', ['pkey', '-noout', '-text'], { input: pem }).toString();
  assert.match(text, /ASN1 OID: secp256k1/);
  const compressed = execFileSync('openssl', ['pkey', '-pubin', '-noout', '-text', '-ec_conv_form', 'compressed'], {
    input: secp256k1.exportPublicKeyPem(publicKey),
  }).toString();
  assert.ok(compressed.replace(/[\s:]/g, '').includes(hex(publicKey.bytes)));
});
