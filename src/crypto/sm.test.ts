import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createCipheriv } from 'node:crypto';
import { DecryptionError, InvalidKeyError, sm2, sm2WithId, sm3 } from './index.js';
import { createSm2Engine, sm2Engine, SM2_CURVE } from './sm2-core.js';
import { sm4CtrHmacDecrypt, sm4CtrHmacEncrypt, SM4_OVERHEAD } from './sm4.js';

const hex = (bytes: Uint8Array) => Buffer.from(bytes).toString('hex');
const utf8 = (text: string) => new TextEncoder().encode(text);
const big = (h: string) => BigInt('0x' + h);
const h64 = (n: bigint) => n.toString(16).padStart(64, '0');

test('SM3: the two examples of GB/T 32905-2016 Appendix A', () => {
  assert.equal(hex(sm3(utf8('abc'))), '66c7f0f462eeedd9d1f2d46bdc10e4e24167c4875cf2f7a2297da02b8f4ba8e0');
  assert.equal(hex(sm3(utf8('abcd'.repeat(16)))), 'debe9ff92275b8a138604889c18e5a4d6fdb70e5387e5765293dcba39c0c5732');
  assert.equal(hex(sm2.hash(utf8('abc'))), '66c7f0f462eeedd9d1f2d46bdc10e4e24167c4875cf2f7a2297da02b8f4ba8e0');
});

test('SM4: the examples of GB/T 32907-2016 Appendix A (one block, and 1,000,000 iterations)', () => {
  const key = Buffer.from('0123456789abcdeffedcba9876543210', 'hex');
  const ecb = createCipheriv('sm4-ecb', key, null).setAutoPadding(false);
  let block: Buffer = ecb.update(key);
  assert.equal(block.toString('hex'), '681edf34d206965e86b3e94f536e4246');
  for (let i = 1; i < 1_000_000; i++) block = ecb.update(block);
  assert.equal(block.toString('hex'), '595298c7c6fd271f0402f804c33d3f66');
});

// GB/T 32918.5-2017 (GM/T 0003.5) example on the recommended curve. Its ID is the default
// "1234567812345678" (ENTL 0x0080), and s ends in ...C485BBC1AA.
test('SM2: signature example on the recommended curve (GB/T 32918.5), default ID', () => {
  const d = big('3945208F7B2144B13F36E38AC6D39F95889393692860B51A42FB81EF4DF7C5B8');
  const P = sm2Engine.Point.BASE.multiply(d);
  assert.equal(h64(P.toAffine().x), '09f9df311e5421a150dd7d161e4bc5c672179fad1833fc076bb08ff356f35020');
  assert.equal(h64(P.toAffine().y), 'ccea490ce26775a52dc6ea718cc1aa600aed05fbf35e084a6632f6072da9ad13');
  const za = sm2Engine.za(utf8('1234567812345678'), P);
  assert.equal(hex(za), 'b2e14c5c79c6df5b85f4fe7ed8db7a262b9da7e07ccb0ea9f4747b8ccda8a4f3');
  const e = sm2Engine.digest(za, utf8('message digest'));
  assert.equal(h64(e), 'f0b43e94ba45accaace692ed534382eb17e6ab5a19ce7b31f4486fdfc0d28640');
  const k = big('59276E27D506861A16680F3AD9C02DCCEF3CC1FA3CDBE4CE6D54B80DEAC1BC21');
  const [r, s] = sm2Engine.unsafeSignDigestWithFixedK(d, sm2Engine.signingFactor(d), e, k)!;
  assert.equal(h64(r), 'f5a03b0648d2c4630eeac513e1bb81a15944da3827d5b74143ac7eaceee720b3');
  assert.equal(h64(s), 'b1b6aa29df212fd8763182bc0d421ca1bb9038fd1f7f42d4840b69c485bbc1aa');
  // The suite verifies the published signature over the message with its default ID.
  const publicKey = sm2.importPublicKeyBytes(P.toBytes(false));
  const signature = Buffer.from(h64(r) + h64(s), 'hex');
  assert.ok(sm2.verify(publicKey, utf8('message digest'), signature));
  assert.equal(sm2WithId(utf8('ALICE123@YAHOO.COM')).verify(publicKey, utf8('message digest'), signature), false);
});

// GB/T 32918.2-2016 Appendix A: the example on a 256-bit test curve, ID "ALICE123@YAHOO.COM"
// (ENTL 0x0090). It exercises a non-default ID and the curve constants inside Z_A.
test('SM2: signature example of GB/T 32918.2 Appendix A (test curve, ID ALICE123@YAHOO.COM)', () => {
  const engine = createSm2Engine({
    p: big('8542D69E4C044F18E8B92435BF6FF7DE457283915C45517D722EDB8B08F1DFC3'),
    a: big('787968B4FA32C3FD2417842E73BBFEFF2F3C848B6831D7E0EC65228B3937E498'),
    b: big('63E4C6D3B23B0C849CF84241484BFE48F61D59A5B16BA06E6E12D1DA27C5249A'),
    n: big('8542D69E4C044F18E8B92435BF6FF7DD297720630485628D5AE74EE7C32E79B7'),
    h: 1n,
    Gx: big('421DEBD61B62EAB6746434EBC3CC315E32220B3BADD50BDC4C4E6C147FEDD43D'),
    Gy: big('0680512BCBB42C07D47349D2153B70C4E5D7FDFCBFA36EA1A85841B9E46E09A2'),
  });
  const d = big('128B2FA8BD433C6C068C8D803DFF79792A519A55171B1B650C23661D15897263');
  const P = engine.Point.BASE.multiply(d);
  assert.equal(h64(P.toAffine().x), '0ae4c7798aa0f119471bee11825be46202bb79e2a5844495e97c04ff4df2548a');
  const za = engine.za(utf8('ALICE123@YAHOO.COM'), P);
  assert.equal(hex(za), 'f4a38489e32b45b6f876e3ac2168ca392362dc8f23459c1d1146fc3dbfb7bc9a');
  const e = engine.digest(za, utf8('message digest'));
  assert.equal(h64(e), 'b524f552cd82b8b028476e005c377fb19a87e6fc682d48bb5d42e3d9b9effe76');
  const k = big('6CB28D99385C175C94F94E934817663FC176D925DD72B727260DBAAE1FB2F96F');
  const [r, s] = engine.unsafeSignDigestWithFixedK(d, engine.signingFactor(d), e, k)!;
  assert.equal(h64(r), '40f1ec59f793d9f49e09dcef49130d4194f79fb1eed2caa55bacdb49c4e755d1');
  assert.equal(h64(s), '6fc6dac32c5d5cf10c77dfb20f7c2eb667a457872fb09ec56327a67ec7deebe7');
  assert.ok(engine.verifyDigest(P, e, r, s));
  assert.equal(engine.verifyDigest(P, e + 1n, r, s), false);
});

test('SM2: a signature binds the signer ID; sm2WithId keys are interchangeable', () => {
  const alice = sm2WithId(utf8('ALICE123@YAHOO.COM'));
  const { privateKey, publicKey } = sm2.generateKeyPair();
  const message = utf8('transfer 10');
  const byAlice = alice.sign(privateKey, message);
  assert.ok(alice.verify(publicKey, message, byAlice));
  assert.equal(sm2.verify(publicKey, message, byAlice), false);
  assert.ok(sm2.verify(publicKey, message, sm2.sign(privateKey, message)));
  assert.throws(() => sm2WithId(new Uint8Array(8192)), InvalidKeyError);
});

test('SM2: verification with a window table (hot key) agrees with plain verification', () => {
  const { privateKey, publicKey } = sm2.generateKeyPair();
  for (let i = 0; i < 40; i++) {
    const message = utf8(`vote ${i}`);
    const signature = sm2.sign(privateKey, message);
    assert.ok(sm2.verify(publicKey, message, signature), `signature ${i}`);
    assert.equal(sm2.verify(publicKey, utf8(`vote ${i + 1}`), signature), false);
  }
});

test('SM2: public key bytes reject infinity and points off the curve; private keys must be in [1, n-2]', () => {
  const { publicKey } = sm2.generateKeyPair();
  assert.equal(publicKey.bytes.length, 33);
  assert.throws(() => sm2.importPublicKeyBytes(Uint8Array.of(0)), InvalidKeyError);
  const offCurve = Uint8Array.from(sm2Engine.Point.BASE.toBytes(false));
  offCurve[64]! ^= 1;
  assert.throws(() => sm2.importPublicKeyBytes(offCurve), InvalidKeyError);
  const beyondP = Buffer.concat([Uint8Array.of(2), Buffer.from(h64(SM2_CURVE.p), 'hex')]);
  assert.throws(() => sm2.importPublicKeyBytes(beyondP), InvalidKeyError);
  const pkcs8 = (d: bigint) =>
    '-----BEGIN PRIVATE KEY-----\n' +
    Buffer.from('3041020100301306072a8648ce3d020106082a811ccf5501822d042730250201010420' + h64(d), 'hex').toString('base64') +
    '\n-----END PRIVATE KEY-----\n';
  assert.equal(hex(sm2.importPrivateKeyPem(pkcs8(1n)).publicKey.bytes), hex(sm2Engine.Point.BASE.toBytes(true)));
  assert.ok(sm2.importPrivateKeyPem(pkcs8(SM2_CURVE.n - 2n)));
  for (const bad of [0n, SM2_CURVE.n - 1n, SM2_CURVE.n]) assert.throws(() => sm2.importPrivateKeyPem(pkcs8(bad)), InvalidKeyError);
});

test('SM4-CTR-HMAC-SM3: layout, both key sizes, and tampering anywhere', () => {
  for (const keyLength of [16, 32]) {
    const key = new Uint8Array(keyLength).fill(9);
    const sealed = sm4CtrHmacEncrypt(key, utf8('hello'), utf8('aad'));
    assert.equal(sealed.length, 5 + SM4_OVERHEAD);
    assert.equal(new TextDecoder().decode(sm4CtrHmacDecrypt(key, sealed, utf8('aad'))), 'hello');
    for (let i = 0; i < sealed.length; i++) {
      const tampered = Uint8Array.from(sealed);
      tampered[i]! ^= 0x80;
      assert.throws(() => sm4CtrHmacDecrypt(key, tampered, utf8('aad')), DecryptionError, `byte ${i}`);
    }
    // Moving a byte between aad and ciphertext must not authenticate (aad length is in the tag).
    assert.throws(() => sm4CtrHmacDecrypt(key, sealed, utf8('aa')), DecryptionError);
    assert.throws(() => sm4CtrHmacDecrypt(new Uint8Array(keyLength), sealed, utf8('aad')), DecryptionError);
  }
  assert.throws(() => sm4CtrHmacEncrypt(new Uint8Array(24), utf8('x')), InvalidKeyError);
  assert.notDeepEqual(sm4CtrHmacEncrypt(new Uint8Array(16), utf8('x')), sm4CtrHmacEncrypt(new Uint8Array(16), utf8('x')));
});
