import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { getSuite } from '../crypto/index.js';
import { spkiOfPublicKey } from './algorithms.js';
import { createCsr, keyIdOf, signCertificate, signCrl } from './build.js';
import { PkiError } from './errors.js';
import { decryptPkcs8, encryptPkcs8, exportPkcs8 } from './key-encryption.js';
import { encodePem } from './pem.js';
import { parseCertificateDer, parseCertificatePem, parseCrlDer, parseCsrDer, type ParsedCertificate } from './parse.js';
import { caSubject, leafExtensions, leafSubject, operatorExtensions } from './profiles.js';
import { validateChain } from './validate.js';

/**
 * Whatever bytes come in, the parsers and the validator answer with a result or a PkiError —
 * never another exception (a TypeError from the ASN.1 library, a RangeError, a crypto error).
 */

// BSN_FUZZ_SCALE=50 runs a deep search locally; CI keeps the default for speed.
const SCALE = Math.max(1, Number(process.env.BSN_FUZZ_SCALE ?? '1') || 1);
const now = new Date();
const later = new Date(now.getTime() + 86_400_000);
const request = { kind: 'node', name: 'fuzz', sans: ['127.0.0.1', 'fuzz.example'], org: 'o', app: 'a' } as const;

/** A root, a leaf it issued, a CRL and a CSR, all of `suiteName`. */
function fixtures(suiteName: string) {
  const suite = getSuite(suiteName);
  const rootKeys = suite.generateKeyPair();
  const rootSpki = spkiOfPublicKey(rootKeys.publicKey);
  const root = signCertificate({
    subject: caSubject('Fuzz Root'),
    subjectSpki: rootSpki,
    issuer: caSubject('Fuzz Root'),
    issuerKey: rootKeys.privateKey,
    issuerKeyId: keyIdOf(rootSpki),
    notBefore: now,
    notAfter: later,
    extensions: operatorExtensions(keyIdOf(rootSpki)),
  });
  const leafKeys = suite.generateKeyPair();
  const leafSpki = spkiOfPublicKey(leafKeys.publicKey);
  const leaf = signCertificate({
    subject: leafSubject(request),
    subjectSpki: leafSpki,
    issuer: root.subject,
    issuerKey: rootKeys.privateKey,
    issuerKeyId: keyIdOf(rootSpki),
    notBefore: now,
    notAfter: later,
    extensions: leafExtensions(request, suite.name, keyIdOf(leafSpki)),
  });
  const crl = signCrl({ issuer: root.subject, issuerKey: rootKeys.privateKey, issuerKeyId: keyIdOf(rootSpki), thisUpdate: now, nextUpdate: later, crlNumber: 7, entries: [{ serial: leaf.serial, revokedAt: now, reason: 'superseded' }] });
  const csr = createCsr(leafSubject(request), leafKeys.privateKey);
  return { root, leaf, crl, csr, leafKey: leafKeys.privateKey };
}

const { root, leaf, crl, csr, leafKey } = fixtures('ecdsa-p256');
const sm2 = fixtures('sm2');

function onlyPkiErrors(fn: () => unknown): void {
  try {
    fn();
  } catch (err) {
    if (!(err instanceof PkiError)) throw new Error(`not a PkiError: ${String(err)}`, { cause: err });
  }
}

/** Random edits of a valid encoding: flipped bytes, truncation, insertion. */
const mutation = (der: Uint8Array) =>
  fc.oneof(
    fc.array(fc.tuple(fc.nat(der.length - 1), fc.integer({ min: 1, max: 255 })), { minLength: 1, maxLength: 4 }).map((flips) => {
      const out = Uint8Array.from(der);
      for (const [at, x] of flips) out[at] = (out[at] ?? 0) ^ x;
      return out;
    }),
    fc.nat(der.length - 1).map((n) => der.slice(0, n)),
    fc.tuple(fc.nat(der.length), fc.uint8Array({ minLength: 1, maxLength: 8 })).map(([at, extra]) => Uint8Array.from([...der.slice(0, at), ...extra, ...der.slice(at)])),
  );

test('the encodings round-trip through the parsers', () => {
  assert.equal(parseCertificateDer(leaf.der).serial, leaf.serial);
  assert.deepEqual(parseCertificateDer(leaf.der).extensions.san, { dns: ['fuzz.example'], ip: ['127.0.0.1'] });
  assert.equal(parseCrlDer(crl.der).crlNumber, 7);
  assert.deepEqual(parseCrlDer(crl.der).revoked.map((r) => r.serial), [leaf.serial]);
  assert.equal(parseCsrDer(csr.der).subjectText, 'O=o, OU=node, OU=app:a, CN=fuzz');
  validateChain({ roots: [root], leaf, at: now });
});

test('random bytes: typed errors from every parser', () => {
  fc.assert(
    fc.property(fc.uint8Array({ maxLength: 300 }), (bytes) => {
      onlyPkiErrors(() => parseCertificateDer(bytes));
      onlyPkiErrors(() => parseCsrDer(bytes));
      onlyPkiErrors(() => parseCrlDer(bytes));
      onlyPkiErrors(() => parseCertificatePem(encodePem('CERTIFICATE', bytes.length ? bytes : Uint8Array.of(0))));
    }),
    { numRuns: 400 * SCALE },
  );
});

test('random text: typed errors from the PEM decoder', () => {
  fc.assert(fc.property(fc.string({ maxLength: 200 }), (text) => onlyPkiErrors(() => parseCertificatePem(`-----BEGIN CERTIFICATE-----\n${text}\n-----END CERTIFICATE-----\n`))), { numRuns: 300 * SCALE });
});

for (const [name, set] of [['ecdsa-p256', { root, leaf }], ['sm2', sm2]] as const) {
  test(`mutated ${name} certificates: parsed and validated, or a typed error`, () => {
    fc.assert(
      fc.property(mutation(set.leaf.der), (der) => {
        let parsed: ParsedCertificate | undefined;
        onlyPkiErrors(() => (parsed = parseCertificateDer(der)));
        if (parsed) onlyPkiErrors(() => validateChain({ roots: [set.root], leaf: parsed as ParsedCertificate, crls: [], at: now }));
      }),
      { numRuns: (name === 'sm2' ? 150 : 400) * SCALE },
    );
  });
}

test('mutated CRLs and CSRs: parsed or a typed error', () => {
  fc.assert(fc.property(mutation(crl.der), (der) => onlyPkiErrors(() => validateChain({ roots: [root], leaf, crls: [parseCrlDer(der)], at: now }))), { numRuns: 300 * SCALE });
  fc.assert(fc.property(mutation(csr.der), (der) => onlyPkiErrors(() => parseCsrDer(der))), { numRuns: 300 * SCALE });
});

test('mutated encrypted keys: a typed error or the key', () => {
  const pem = encryptPkcs8(exportPkcs8(leafKey), 'pw');
  const der = Buffer.from(pem.replace(/-----[^-]+-----/g, '').replace(/\s+/g, ''), 'base64');
  fc.assert(fc.property(mutation(der), (bytes) => onlyPkiErrors(() => decryptPkcs8(encodePem('ENCRYPTED PRIVATE KEY', bytes.length ? bytes : Uint8Array.of(0)), 'pw'))), { numRuns: 60 * SCALE });
});
