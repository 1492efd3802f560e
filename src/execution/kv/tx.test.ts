import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ECDH } from 'node:crypto';
import fc from 'fast-check';
import { encode } from '../../codec/index.js';
import { ed25519, getSuite, SUITE_NAMES, type PrivateKey } from '../../crypto/index.js';
import {
  buildKvTx,
  checkKvTxStateless,
  createKvStatelessCheck,
  decodeKvTx,
  encodeKvTx,
  kvAddress,
  kvSigningBytes,
  kvStatelessSpec,
  kvStatelessVerdict,
  KvTxError,
  KV_LIMITS,
  type KvOp,
} from './index.js';

const te = new TextEncoder();
const hex = (b: Uint8Array) => Buffer.from(b).toString('hex');

/** RFC 8032 §7.1 test 1 secret key, so that the golden signature is reproducible. */
function rfc8032Key(): PrivateKey {
  const der = Buffer.concat([Buffer.from('302e020100300506032b657004220420', 'hex'), Buffer.from('9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60', 'hex')]);
  return ed25519.importPrivateKeyPem(`-----BEGIN PRIVATE KEY-----\n${der.toString('base64')}\n-----END PRIVATE KEY-----\n`);
}

const GOLDEN_OPS: KvOp[] = [
  { type: 'put', key: te.encode('greeting'), value: te.encode('hello') },
  { type: 'delete', key: te.encode('old') },
];
const GOLDEN_TX =
  '87016464656d6f67656432353531395820d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a00' +
  '828300486772656574696e674568656c6c6f8201436f6c64' +
  '584084fa9f93249ae7d33420419559eb9e0f97c2e420ef0465eae1819535d63c9333d277d7a285561a4945c16e7d3753944ee983490b89b5baa9401f36aa3b3a4605';
const GOLDEN_SIGNING_BYTES =
  '62736e2f6b762f74782f76310064656d6f00' + // "bsn/kv/tx/v1\0demo\0"
  '86016464656d6f67656432353531395820d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a00' +
  '828300486772656574696e674568656c6c6f8201436f6c64';

test('golden vector: an ed25519 kv tx on chain "demo"', () => {
  const tx = buildKvTx({ chainId: 'demo', privateKey: rfc8032Key(), nonce: 0, ops: GOLDEN_OPS });
  assert.equal(hex(tx), GOLDEN_TX);
  const decoded = checkKvTxStateless(tx, 'demo');
  assert.equal(hex(kvSigningBytes(decoded)), GOLDEN_SIGNING_BYTES);
  assert.equal(decoded.sender, '21fe31dfa154a261626bf854046fd2271b7bed4b');
  assert.equal(decoded.sender, kvAddress(ed25519, decoded.publicKey));
  assert.equal(hex(encodeKvTx(decoded)), GOLDEN_TX);
});

for (const name of SUITE_NAMES) {
  test(`a ${name} kv tx round-trips and verifies`, () => {
    const suite = getSuite(name);
    const { privateKey } = suite.generateKeyPair();
    const tx = buildKvTx({ chainId: 'c1', privateKey, nonce: 7, ops: GOLDEN_OPS });
    const verdict = kvStatelessVerdict(tx, 'c1');
    assert.deepEqual(verdict, { ok: true, sender: kvAddress(suite, privateKey.publicKey.bytes), nonce: 7 });
    const forged = Uint8Array.from(tx);
    forged[forged.length - 5]! ^= 0x01;
    assert.equal(kvStatelessVerdict(forged, 'c1').ok, false);
  });
}

function sign(body: unknown[], privateKey: PrivateKey, chainId = 'c1'): Uint8Array {
  const suite = getSuite(privateKey.suite);
  const message = Buffer.concat([te.encode(`bsn/kv/tx/v1\0${chainId}\0`), encode(body as never)]);
  return encode([...(body as never[]), suite.sign(privateKey, message)]);
}

test('each stateless rejection has its code', () => {
  const { privateKey } = ed25519.generateKeyPair();
  const pk = privateKey.publicKey.bytes;
  const put = [0, te.encode('k'), te.encode('v')];
  const cases: [string, Uint8Array, string][] = [
    ['random bytes', Uint8Array.of(1, 2, 3), 'TX_MALFORMED'],
    ['wrong version', sign([2, 'c1', 'ed25519', pk, 0, [put]], privateKey), 'TX_MALFORMED'],
    ['unknown suite', sign([1, 'c1', 'rsa', pk, 0, [put]], privateKey), 'TX_MALFORMED'],
    ['no ops', sign([1, 'c1', 'ed25519', pk, 0, []], privateKey), 'TX_MALFORMED'],
    ['empty key', sign([1, 'c1', 'ed25519', pk, 0, [[0, new Uint8Array(0), te.encode('v')]]], privateKey), 'TX_MALFORMED'],
    ['bad op type', sign([1, 'c1', 'ed25519', pk, 0, [[2, te.encode('k')]]], privateKey), 'TX_MALFORMED'],
    ['short public key', sign([1, 'c1', 'ed25519', pk.subarray(1), 0, [put]], privateKey), 'TX_MALFORMED'],
    ['key too long', sign([1, 'c1', 'ed25519', pk, 0, [[1, new Uint8Array(257)]]], privateKey), 'TX_TOO_LARGE'],
    ['value too long', sign([1, 'c1', 'ed25519', pk, 0, [[0, te.encode('k'), new Uint8Array(65537)]]], privateKey), 'TX_TOO_LARGE'],
    ['too many ops', sign([1, 'c1', 'ed25519', pk, 0, Array.from({ length: 65 }, () => put)], privateKey), 'TX_TOO_LARGE'],
    ['tx too long', new Uint8Array(KV_LIMITS.maxTxBytes + 1), 'TX_TOO_LARGE'],
    ['other chain', sign([1, 'c2', 'ed25519', pk, 0, [put]], privateKey, 'c2'), 'TX_WRONG_CHAIN'],
    ['signed for another chain', sign([1, 'c1', 'ed25519', pk, 0, [put]], privateKey, 'c2'), 'TX_BAD_SIGNATURE'],
    ['another key', sign([1, 'c1', 'ed25519', ed25519.generateKeyPair().publicKey.bytes, 0, [put]], privateKey), 'TX_BAD_SIGNATURE'],
  ];
  assert.equal(kvStatelessVerdict(sign([1, 'c1', 'ed25519', pk, 0, [put]], privateKey), 'c1').ok, true);
  for (const [what, tx, code] of cases) {
    const verdict = kvStatelessVerdict(tx, 'c1');
    assert.equal(verdict.ok ? 'OK' : verdict.code, code, what);
  }
});

test('a P-256 key in its non-canonical (uncompressed or compressed) form is refused', () => {
  const suite = getSuite('ecdsa-p256');
  const { privateKey } = suite.generateKeyPair();
  const canonical = privateKey.publicKey.bytes;
  const other = ECDH.convertKey(canonical, 'prime256v1', undefined, undefined, canonical.length === 33 ? 'uncompressed' : 'compressed') as Buffer;
  const tx = sign([1, 'c1', 'ecdsa-p256', other, 0, [[1, te.encode('k')]]], privateKey);
  assert.deepEqual({ ...kvStatelessVerdict(tx, 'c1'), reason: '' }, { ok: false, code: 'TX_MALFORMED', reason: '' });
});

test('the worker factory builds the same check from its spec config', () => {
  const tx = buildKvTx({ chainId: 'c1', privateKey: rfc8032Key(), nonce: 0, ops: GOLDEN_OPS });
  const check = createKvStatelessCheck(kvStatelessSpec('c1').config);
  assert.deepEqual(check(tx), kvStatelessVerdict(tx, 'c1'));
  assert.equal(createKvStatelessCheck(kvStatelessSpec('c9').config)(tx).ok, false);
});

test('random bytes never throw anything but a typed kv error', () => {
  fc.assert(
    fc.property(fc.uint8Array({ maxLength: 300 }), (bytes) => {
      assert.equal(kvStatelessVerdict(bytes, 'demo').ok, false);
      assert.throws(() => decodeKvTx(bytes), KvTxError);
    }),
    { numRuns: 2000 },
  );
});

const mutation = (length: number) =>
  fc.oneof(
    fc.record({ kind: fc.constant('flip' as const), at: fc.nat(length - 1), mask: fc.integer({ min: 1, max: 255 }) }),
    fc.record({ kind: fc.constant('cut' as const), at: fc.nat(length - 1) }),
    fc.record({ kind: fc.constant('insert' as const), at: fc.nat(length), byte: fc.nat(255) }),
  );

for (const name of SUITE_NAMES) {
  test(`mutated valid ${name} txs are rejected with a typed reason, never another exception`, () => {
    const privateKey = name === 'ed25519' ? rfc8032Key() : getSuite(name).generateKeyPair().privateKey;
    const valid = buildKvTx({ chainId: 'demo', privateKey, nonce: 0, ops: GOLDEN_OPS });
    fc.assert(
      fc.property(mutation(valid.length), (m) => {
        let mutated: Uint8Array;
        if (m.kind === 'flip') {
          mutated = Uint8Array.from(valid);
          mutated[m.at]! ^= m.mask;
        } else if (m.kind === 'cut') mutated = valid.subarray(0, m.at);
        else mutated = Buffer.concat([valid.subarray(0, m.at), Uint8Array.of(m.byte), valid.subarray(m.at)]);
        const verdict = kvStatelessVerdict(mutated, 'demo');
        assert.equal(verdict.ok, false);
        if (!verdict.ok) assert.match(verdict.code, /^TX_(MALFORMED|TOO_LARGE|WRONG_CHAIN|BAD_SIGNATURE)$/);
      }),
      { numRuns: name === 'sm2' ? 300 : 1000 },
    );
  });
}
