import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, test } from 'node:test';
import { getSuite, type PrivateKey } from '../crypto/index.js';
import { spkiOfPublicKey } from './algorithms.js';
import { keyIdOf, signCertificate, signCrl, type CrlEntry } from './build.js';
import { basicConstraintsExt, keyUsageExt, KeyUsageFlags, subjectKeyIdExt } from './extensions.js';
import { buildName } from './name.js';
import { encodePem } from './pem.js';
import { caSubject, leafExtensions, leafSubject, operatorExtensions, rootExtensions, type LeafRequest } from './profiles.js';
import type { ParsedCertificate, ParsedCrl } from './parse.js';
import { validateChain, type ValidationInput } from './validate.js';
import { Extension } from '@peculiar/asn1-x509';
import { OctetString } from '@peculiar/asn1-schema';

/** Chain validation on chains made in memory, including ones our CA commands refuse to make. */

interface Issuer {
  readonly cert: ParsedCertificate;
  readonly key: PrivateKey;
}

const DAY = 86_400_000;
const NOW = new Date();

function make(suite: string, subject: ReturnType<typeof caSubject>, issuer: Issuer | undefined, extensions: (keyId: Uint8Array) => Extension[], days = 365, from = NOW): Issuer {
  const keys = getSuite(suite).generateKeyPair();
  const spki = spkiOfPublicKey(keys.publicKey);
  const cert = signCertificate({
    subject,
    subjectSpki: spki,
    issuer: issuer?.cert.subject ?? subject,
    issuerKey: issuer?.key ?? keys.privateKey,
    issuerKeyId: issuer ? keyIdOf(issuer.cert.spki) : keyIdOf(spki),
    notBefore: new Date(from.getTime() - 60_000),
    notAfter: new Date(from.getTime() + days * DAY),
    extensions: extensions(keyIdOf(spki)),
  });
  return { cert, key: keys.privateKey };
}

const root = (suite: string, name = 'Test Root'): Issuer => make(suite, caSubject(name), undefined, rootExtensions, 3650);
const operator = (suite: string, parent: Issuer, name = 'Test Operator'): Issuer => make(suite, caSubject(name), parent, operatorExtensions, 1825);
const leaf = (suite: string, parent: Issuer, request: Partial<LeafRequest> = {}, days = 30, from = NOW): Issuer => {
  const req: LeafRequest = { kind: 'node', name: 'node1', sans: ['127.0.0.1'], ...request };
  return make(suite, leafSubject(req), parent, (id) => leafExtensions(req, getSuite(suite).name, id), days, from);
};

function crl(issuer: Issuer, entries: CrlEntry[], thisUpdate = new Date(NOW.getTime() - 60_000), days = 7): ParsedCrl {
  return signCrl({ issuer: issuer.cert.subject, issuerKey: issuer.key, issuerKeyId: keyIdOf(issuer.cert.spki), thisUpdate, nextUpdate: new Date(thisUpdate.getTime() + days * DAY), crlNumber: 1, entries });
}

function fails(input: ValidationInput, code: string, subject?: string, depth?: number): void {
  assert.throws(
    () => validateChain(input),
    (err: { code?: string; certificate?: { subject: string; depth: number } }) => {
      assert.equal(err.code, code, String(err));
      if (subject !== undefined) assert.equal(err.certificate?.subject, subject);
      if (depth !== undefined) assert.equal(err.certificate?.depth, depth);
      return true;
    },
  );
}

for (const suite of ['ecdsa-p256', 'sm2', 'ed25519']) {
  test(`${suite}: root → operator → node validates, with the BSN identity`, () => {
    const r = root(suite);
    const op = operator(suite, r);
    const node = leaf(suite, op, { org: 'acme', app: 'credit' });
    const result = validateChain({ roots: [r.cert], intermediates: [op.cert], leaf: node.cert, purpose: 'server', crls: [crl(op, []), crl(r, [])], requireCrls: true });
    assert.deepEqual(result.path.map((c) => c.subjectText), ['O=acme, OU=node, OU=app:credit, CN=node1', 'CN=Test Operator', 'CN=Test Root']);
    assert.deepEqual(result.identity, { role: 'node', org: 'acme', app: 'credit' });
  });
}

test('an sm2 operator may issue an ecdsa-p256 leaf', () => {
  const r = root('sm2');
  const op = operator('sm2', r);
  validateChain({ roots: [r.cert], intermediates: [op.cert], leaf: leaf('ecdsa-p256', op).cert });
});

describe('failures name the check and the certificate', () => {
  const r = root('ecdsa-p256');
  const op = operator('ecdsa-p256', r);
  const node = leaf('ecdsa-p256', op);
  const base = { roots: [r.cert], intermediates: [op.cert] };

  test('validity, at the leaf and at the operator', () => {
    fails({ ...base, leaf: node.cert, at: new Date(NOW.getTime() + 31 * DAY) }, 'PKI_EXPIRED', 'OU=node, CN=node1', 0);
    fails({ ...base, leaf: leaf('ecdsa-p256', op, {}, 30, new Date(NOW.getTime() + 10 * DAY)).cert }, 'PKI_NOT_YET_VALID', 'OU=node, CN=node1', 0);
    fails({ ...base, leaf: node.cert, at: new Date(NOW.getTime() + 2000 * DAY) }, 'PKI_EXPIRED', 'CN=Test Operator', 1);
  });

  test('unknown roots and missing intermediates', () => {
    const other = root('ecdsa-p256');
    fails({ roots: [other.cert], intermediates: [op.cert], leaf: node.cert }, 'PKI_UNKNOWN_ROOT', 'CN=Test Operator', 1);
    fails({ roots: [r.cert], leaf: node.cert }, 'PKI_UNKNOWN_ROOT', 'OU=node, CN=node1', 0);
    fails({ roots: [r.cert], leaf: other.cert }, 'PKI_UNKNOWN_ROOT', 'CN=Test Root', 0);
  });

  test('name chaining: signed by the operator key under another issuer name', () => {
    const renamed: Issuer = { cert: { ...op.cert, subject: buildName([{ type: 'CN', value: 'Somebody Else' }]) }, key: op.key };
    fails({ ...base, leaf: leaf('ecdsa-p256', renamed).cert }, 'PKI_NAME_CHAINING', 'OU=node, CN=node1', 0);
  });

  test('a leaf that signed another certificate is not a CA', () => {
    const child = leaf('ecdsa-p256', node, { name: 'child' });
    fails({ roots: [r.cert], intermediates: [op.cert, node.cert], leaf: child.cert }, 'PKI_NOT_A_CA', 'OU=node, CN=node1', 1);
  });

  test('an operator CA that signed another CA exceeds pathLen 0', () => {
    const sub = make('ecdsa-p256', caSubject('Sub CA'), op, operatorExtensions);
    validateChain({ ...base, leaf: sub.cert }); // a CA certificate as the end of the path is fine
    fails({ roots: [r.cert], intermediates: [op.cert, sub.cert], leaf: leaf('ecdsa-p256', sub).cert }, 'PKI_PATH_LENGTH', 'CN=Sub CA', 1);
  });

  test('a CA without keyCertSign', () => {
    const weak = make('ecdsa-p256', caSubject('Weak CA'), r, (id) => [basicConstraintsExt(true, 0), keyUsageExt(KeyUsageFlags.digitalSignature), subjectKeyIdExt(id)]);
    fails({ roots: [r.cert], intermediates: [weak.cert], leaf: leaf('ecdsa-p256', weak).cert }, 'PKI_KEY_USAGE', 'CN=Weak CA', 1);
  });

  test('purpose: org certificates are for clients only', () => {
    const org = leaf('ecdsa-p256', op, { kind: 'org', name: 'acme', sans: [] });
    validateChain({ ...base, leaf: org.cert, purpose: 'client' });
    fails({ ...base, leaf: org.cert, purpose: 'server' }, 'PKI_PURPOSE', 'OU=org, CN=acme', 0);
  });

  test('an unknown critical extension is rejected', () => {
    const odd = make('ecdsa-p256', caSubject('odd'), op, (id) => [subjectKeyIdExt(id), new Extension({ extnID: '1.2.3.4', critical: true, extnValue: new OctetString(new Uint8Array([5, 0])) })]);
    fails({ ...base, leaf: odd.cert }, 'PKI_UNKNOWN_CRITICAL_EXTENSION', 'CN=odd', 0);
  });

  test('revocation of the leaf and of the operator; bad, stale and missing CRLs', () => {
    const revokedLeaf = crl(op, [{ serial: node.cert.serial, revokedAt: NOW, reason: 'keyCompromise' }]);
    fails({ ...base, leaf: node.cert, crls: [revokedLeaf] }, 'PKI_REVOKED', 'OU=node, CN=node1', 0);
    fails({ ...base, leaf: node.cert, crls: [crl(r, [{ serial: op.cert.serial, revokedAt: NOW }])] }, 'PKI_REVOKED', 'CN=Test Operator', 1);
    const forged = crl({ cert: op.cert, key: getSuite('ecdsa-p256').generateKeyPair().privateKey }, []);
    fails({ ...base, leaf: node.cert, crls: [forged] }, 'PKI_CRL_INVALID');
    fails({ ...base, leaf: node.cert, crls: [crl(op, [], new Date(NOW.getTime() - 30 * DAY))] }, 'PKI_CRL_INVALID');
    fails({ ...base, leaf: node.cert, crls: [crl(op, [])], requireCrls: true }, 'PKI_CRL_MISSING', 'CN=Test Operator', 1);
    // A CRL of an unrelated CA is ignored.
    validateChain({ ...base, leaf: node.cert, crls: [crl(root('ecdsa-p256', 'Elsewhere'), [{ serial: node.cert.serial, revokedAt: NOW }])] });
  });
});

test('openssl reaches the same verdicts on the same chains', (t) => {
  const dir = mkdtempSync(path.join(tmpdir(), 'bsn-pki-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const r = root('ecdsa-p256');
  const op = operator('ecdsa-p256', r);
  const node = leaf('ecdsa-p256', op);
  const sub = make('ecdsa-p256', caSubject('Sub CA'), op, operatorExtensions);
  const write = (name: string, ...certs: ParsedCertificate[]): string => {
    writeFileSync(path.join(dir, name), certs.map((c) => encodePem('CERTIFICATE', c.der)).join(''));
    return name;
  };
  const verify = (leafName: string, untrusted: string, ...extra: string[]): string => {
    try {
      return execFileSync('openssl', ['verify', ...extra, '-CAfile', write('root.pem', r.cert), '-untrusted', untrusted, leafName], { cwd: dir, encoding: 'utf8', stdio: 'pipe' });
    } catch (err) {
      return String((err as { stdout?: string }).stdout) + String((err as { stderr?: string }).stderr);
    }
  };
  assert.match(verify(write('node.pem', node.cert), write('op.pem', op.cert)), /node.pem: OK/);
  assert.match(verify(write('child.pem', leaf('ecdsa-p256', node, { name: 'child' }).cert), write('chain1.pem', op.cert, node.cert)), /invalid CA certificate/);
  assert.match(verify(write('subleaf.pem', leaf('ecdsa-p256', sub).cert), write('chain2.pem', op.cert, sub.cert)), /path length constraint exceeded/);
  const later = String(Math.floor((NOW.getTime() + 40 * DAY) / 1000));
  assert.match(verify('node.pem', 'op.pem', '-attime', later), /certificate has expired/);
});
