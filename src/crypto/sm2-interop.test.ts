import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { sm2 as smCrypto } from 'sm-crypto-v2';
import { signatureFromDer, signatureToDer, sm2 } from './index.js';
import type { PrivateKey } from './index.js';

const hex = (bytes: Uint8Array) => Buffer.from(bytes).toString('hex');
const utf8 = (text: string) => new TextEncoder().encode(text);
const dir = mkdtempSync(path.join(tmpdir(), 'bsn-sm2-'));
after(() => rmSync(dir, { recursive: true, force: true }));

/** The private scalar of our PKCS#8 export, which has the fixed layout OpenSSL writes. */
function scalarHex(privateKey: PrivateKey): string {
  const der = Buffer.from(sm2.exportPrivateKeyPem(privateKey).replace(/-----[^-]+-----|\s/g, ''), 'base64');
  assert.equal(der.subarray(34, 36).toString('hex'), '0420');
  return der.subarray(36, 68).toString('hex');
}

function uncompressedHex(publicKeyPem: string): string {
  const der = Buffer.from(publicKeyPem.replace(/-----[^-]+-----|\s/g, ''), 'base64');
  return der.subarray(der.length - 65).toString('hex');
}

function openssl(...args: string[]): Buffer {
  return execFileSync('openssl', args, { cwd: dir, stdio: ['ignore', 'pipe', 'pipe'] });
}

test('sm-crypto-v2 verifies our signatures, and we verify theirs (default ID, both directions)', () => {
  for (let i = 0; i < 5; i++) {
    const { privateKey, publicKey } = sm2.generateKeyPair();
    const theirPublic = uncompressedHex(sm2.exportPublicKeyPem(publicKey));
    const message = utf8(`message ${i} ${'x'.repeat(i * 37)}`);
    const ours = hex(sm2.sign(privateKey, message));
    assert.ok(smCrypto.doVerifySignature(message, ours, theirPublic, { hash: true, der: false }), 'ours verified by sm-crypto-v2');
    const theirs = smCrypto.doSignature(message, scalarHex(privateKey), { hash: true, der: false, publicKey: theirPublic });
    assert.ok(sm2.verify(publicKey, message, Buffer.from(theirs, 'hex')), 'theirs verified by us');
    assert.equal(sm2.verify(publicKey, utf8('other'), Buffer.from(theirs, 'hex')), false);
  }
  const pair = smCrypto.generateKeyPairHex();
  const publicKey = sm2.importPublicKeyBytes(Buffer.from(pair.publicKey, 'hex'));
  const message = utf8('key made by sm-crypto-v2');
  const signature = smCrypto.doSignature(message, pair.privateKey, { hash: true, der: false });
  assert.ok(sm2.verify(publicKey, message, Buffer.from(signature, 'hex')));
});

test('openssl pkeyutl verifies our DER-converted signature with distid 1234567812345678', () => {
  const { privateKey, publicKey } = sm2.generateKeyPair();
  const message = utf8('signed by bsn, checked by openssl');
  writeFileSync(path.join(dir, 'pub.pem'), sm2.exportPublicKeyPem(publicKey));
  writeFileSync(path.join(dir, 'msg'), message);
  writeFileSync(path.join(dir, 'sig.der'), signatureToDer(sm2.sign(privateKey, message)));
  const verify = ['pkeyutl', '-verify', '-pubin', '-inkey', 'pub.pem', '-rawin', '-in', 'msg', '-sigfile', 'sig.der', '-digest', 'sm3'];
  assert.match(openssl(...verify, '-pkeyopt', 'distid:1234567812345678').toString(), /Signature Verified Successfully/);
  // Without the distid OpenSSL uses an empty ID: the same signature must then fail.
  assert.throws(() => openssl(...verify));
});

test('a signature made by openssl pkeyutl with our exported key verifies with our suite', () => {
  const { privateKey, publicKey } = sm2.generateKeyPair();
  const message = utf8('signed by openssl, checked by bsn');
  writeFileSync(path.join(dir, 'key.pem'), sm2.exportPrivateKeyPem(privateKey));
  writeFileSync(path.join(dir, 'msg2'), message);
  const der = openssl('pkeyutl', '-sign', '-inkey', 'key.pem', '-rawin', '-in', 'msg2', '-digest', 'sm3', '-pkeyopt', 'distid:1234567812345678');
  assert.ok(sm2.verify(publicKey, message, signatureFromDer(der)));
  assert.equal(sm2.verify(publicKey, utf8('something else'), signatureFromDer(der)), false);
});

test('openssl-generated SM2 keys import, and our PEM is byte-identical to what openssl writes', () => {
  openssl('genpkey', '-algorithm', 'SM2', '-out', 'gen.pem');
  openssl('pkey', '-in', 'gen.pem', '-pubout', '-out', 'gen.pub.pem');
  const generated = readFileSync(path.join(dir, 'gen.pem'), 'utf8');
  const privateKey = sm2.importPrivateKeyPem(generated);
  const publicKey = sm2.importPublicKeyPem(readFileSync(path.join(dir, 'gen.pub.pem'), 'utf8'));
  assert.deepEqual(privateKey.publicKey.bytes, publicKey.bytes);
  assert.equal(sm2.exportPrivateKeyPem(privateKey), generated);
  assert.equal(sm2.exportPublicKeyPem(publicKey), readFileSync(path.join(dir, 'gen.pub.pem'), 'utf8'));
  const message = utf8('round trip');
  assert.ok(sm2.verify(publicKey, message, sm2.sign(privateKey, message)));
  // And `openssl pkey` reads ours back unchanged.
  writeFileSync(path.join(dir, 'ours.pem'), sm2.exportPrivateKeyPem(privateKey));
  assert.equal(openssl('pkey', '-in', 'ours.pem').toString(), generated);
});
