import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { decode, encode, type CodecValue } from '../../codec/index.js';
import { ecdsaP256, getSuite, toLowS } from '../../crypto/index.js';
import { parseCertificatePem } from '../../pki/index.js';
import { GovError } from './errors.js';
import { makeGovPki, type GovPki } from './gov.fixture.js';
import { createGovStatelessCheck, govStatelessSpec, govStatelessVerdict } from './stateless.js';
import { checkGovTxStateless, decodeGovTx, encodeGovTx, govProposalId, govSigningBytes, GOV_TX_DOMAIN, proposePayload, signGovTx, votePayload } from './tx.js';

let pki: GovPki;
before(async () => {
  pki = await makeGovPki(['op1']);
});
after(() => pki.cleanup());

const propose = (nonce = 0, chainId = 'gov') =>
  signGovTx({ chainId, nonce, kind: 'propose', payload: proposePayload('register-org', { name: 'acme' }, 1_700_000_000_000), certPem: pki.authority.certPem, privateKey: pki.authority.privateKey });

test('a signed proposal decodes to what was signed and verifies', () => {
  const tx = propose(3);
  const decoded = checkGovTxStateless(tx, 'gov');
  assert.equal(decoded.kind, 'propose');
  assert.equal(decoded.nonce, 3);
  assert.equal(decoded.sender, pki.authority.fingerprint);
  assert.deepEqual(decoded.payload, { kind: 'propose', action: 'register-org', args: { name: 'acme' }, argsJson: '{"name":"acme"}', expiresAt: 1_700_000_000_000 });
  // The format is the one of types.ts, field by field.
  const fields = decode(tx) as CodecValue[];
  assert.equal(fields.length, 7);
  assert.deepEqual(fields.slice(0, 4), [1, 'gov', 3, 'propose']);
  assert.deepEqual(fields[5], parseCertificatePem(pki.authority.certPem).der);
  const signed = govSigningBytes({ chainId: 'gov', nonce: 3, kind: 'propose', payload: fields[4]!, signerCertDer: fields[5] as Uint8Array });
  assert.deepEqual(decode(signed), [GOV_TX_DOMAIN, 'gov', 3, 'propose', fields[4]!, fields[5]!]);
  assert.ok(ecdsaP256.verify(parseCertificatePem(pki.authority.certPem).publicKey, signed, fields[6] as Uint8Array));
  assert.deepEqual(encodeGovTx({ chainId: 'gov', nonce: 3, kind: 'propose', payload: decoded.payloadValue, signerCertDer: decoded.signerCertDer, signature: decoded.signature }), tx);
});

test('a vote round-trips its proposal id; the id is the suite hash of the proposal tx', () => {
  const proposal = propose();
  const id = govProposalId(ecdsaP256, proposal);
  assert.equal(id, Buffer.from(ecdsaP256.hash(proposal)).toString('hex'));
  assert.notEqual(govProposalId(getSuite('sm2'), proposal), id);
  const op = pki.operators.get('op1')!;
  const vote = signGovTx({ chainId: 'gov', nonce: 0, kind: 'vote', payload: votePayload(id, true), certPem: op.ca.certPem, privateKey: op.ca.privateKey });
  const decoded = decodeGovTx(vote);
  assert.deepEqual(decoded.payload, { kind: 'vote', proposalId: id, yes: true });
  assert.equal(decoded.sender, op.ca.fingerprint);
  assert.throws(() => votePayload('XYZ', true), (e: unknown) => e instanceof GovError && e.code === 'GOV_MALFORMED');
});

test('signGovTx refuses a key that is not the certificate key', () => {
  const op = pki.operators.get('op1')!;
  assert.throws(
    () => signGovTx({ chainId: 'gov', nonce: 0, kind: 'vote', payload: votePayload('00', true), certPem: pki.authority.certPem, privateKey: op.ca.privateKey }),
    (e: unknown) => e instanceof GovError && e.code === 'GOV_MALFORMED',
  );
});

test('the stateless check rejects a wrong chain, a tampered body, a re-attributed certificate, a high-s twin', () => {
  const tx = propose();
  const check = createGovStatelessCheck(govStatelessSpec('gov').config);
  assert.deepEqual(check(tx), { ok: true, sender: pki.authority.fingerprint, nonce: 0 });
  const wrong = govStatelessVerdict(propose(0, 'other'), 'gov');
  assert.equal(wrong.ok, false);
  assert.ok(!wrong.ok && wrong.code === 'TX_WRONG_CHAIN' && wrong.reason.startsWith('GOV_WRONG_CHAIN: '));

  const fields = [...(decode(tx) as CodecValue[])];
  const rebuilt = (patch: Record<number, CodecValue>) => encode(fields.map((f, i) => patch[i] ?? f));
  const badNonce = govStatelessVerdict(rebuilt({ 2: 1 }), 'gov');
  assert.ok(!badNonce.ok && badNonce.code === 'TX_BAD_SIGNATURE' && badNonce.reason.startsWith('GOV_BAD_SIGNATURE: '));
  // The same key under another certificate (op1's admin has another key, so use the op CA's cert
  // with the authority's signature): the cert is signed over, so the signature fails.
  const other = parseCertificatePem(pki.operators.get('op1')!.admin.certPem).der;
  assert.equal(govStatelessVerdict(rebuilt({ 5: other }), 'gov').ok, false);

  const signature = fields[6] as Uint8Array;
  const high = highS(signature);
  assert.deepEqual(toLowS(high), signature);
  const twin = govStatelessVerdict(rebuilt({ 6: high }), 'gov');
  assert.ok(!twin.ok && twin.code === 'TX_BAD_SIGNATURE');
});

/** The other valid ECDSA signature: s' = n - s. */
function highS(signature: Uint8Array): Uint8Array {
  const n = 0xffffffff00000000ffffffffffffffffbce6faada7179e84f3b9cac2fc632551n;
  const s = BigInt(`0x${Buffer.from(signature.subarray(32)).toString('hex')}`);
  const out = new Uint8Array(64);
  out.set(signature.subarray(0, 32));
  out.set(Buffer.from((n - s).toString(16).padStart(64, '0'), 'hex'), 32);
  return out;
}

test('decodeGovTx refuses oversize txs, other versions and kinds, non-object args, bad lengths', () => {
  const tx = propose();
  const fields = [...(decode(tx) as CodecValue[])];
  const rebuilt = (patch: Record<number, CodecValue>) => encode(fields.map((f, i) => patch[i] ?? f));
  const code = (bytes: Uint8Array) => {
    try {
      decodeGovTx(bytes);
      return 'OK';
    } catch (e) {
      assert.ok(e instanceof GovError, String(e));
      return e.code;
    }
  };
  assert.equal(code(new Uint8Array(64 * 1024 + 1)), 'GOV_TOO_LARGE');
  assert.equal(code(decodeGovTx(tx) && tx), 'OK');
  assert.equal(code(rebuilt({ 0: 2 })), 'GOV_MALFORMED');
  assert.equal(code(rebuilt({ 3: 'delete' })), 'GOV_MALFORMED');
  assert.equal(code(rebuilt({ 4: ['register-org', '[1]', 5] })), 'GOV_MALFORMED');
  assert.equal(code(rebuilt({ 4: ['register-org', '{', 5] })), 'GOV_MALFORMED');
  assert.equal(code(rebuilt({ 4: [new Uint8Array(32), true] })), 'GOV_MALFORMED');
  assert.equal(code(rebuilt({ 5: new Uint8Array([1, 2, 3]) })), 'GOV_MALFORMED');
  assert.equal(code(rebuilt({ 6: new Uint8Array(63) })), 'GOV_MALFORMED');
  assert.equal(code(rebuilt({ 1: '' })), 'GOV_MALFORMED');
  assert.equal(code(encode([...fields, 0])), 'GOV_MALFORMED');
});

test('property: decodeGovTx of any bytes returns or throws a GovError, nothing else', () => {
  const tx = propose();
  fc.assert(
    fc.property(fc.uint8Array({ maxLength: 2048 }), (bytes) => {
      try {
        decodeGovTx(bytes);
      } catch (e) {
        if (!(e instanceof GovError)) throw e;
      }
    }),
    { numRuns: 2000 },
  );
  // Mutations of a real tx reach the deeper decoders (payload, certificate).
  fc.assert(
    fc.property(fc.integer({ min: 0, max: tx.length - 1 }), fc.integer({ min: 0, max: 255 }), fc.integer({ min: 0, max: tx.length }), (at, byte, cut) => {
      const mutated = Uint8Array.from(tx);
      mutated[at] = byte;
      for (const candidate of [mutated, mutated.subarray(0, cut)]) {
        try {
          decodeGovTx(candidate);
        } catch (e) {
          if (!(e instanceof GovError)) throw e;
        }
      }
    }),
    { numRuns: 1000 },
  );
});
