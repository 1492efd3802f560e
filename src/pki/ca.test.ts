import assert from 'node:assert/strict';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { initOperator, initRoot, signOperatorCsr } from './ceremony.js';
import { issueLeaf } from './issue.js';
import { readPrivateKeyPem } from './key-encryption.js';
import { parseCertificatePem, parseCrlPem } from './parse.js';
import { generateCrl, revokeCertificate } from './revocation.js';
import { validateChain } from './validate.js';

/** CA directories: layout, refusal to overwrite, nothing written on bad input, the revocation database. */

const PASS = 'a passphrase';
const secret = { passphrase: PASS };

function temp(t: { after(fn: () => void): void }): string {
  const dir = mkdtempSync(path.join(tmpdir(), 'bsn-ca-lib-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

const ls = (dir: string): string[] => (readdirSync(dir, { recursive: true }) as string[]).map(String).sort();
const read = (file: string): string => readFileSync(file, 'utf8');

async function network(dir: string) {
  const root = path.join(dir, 'root');
  const op = path.join(dir, 'op');
  await initRoot({ dir: root, name: 'Root', suite: 'ecdsa-p256', passphrase: PASS });
  const { csrPem } = initOperator({ dir: op, name: 'Operator', suite: 'ecdsa-p256', passphrase: PASS });
  await signOperatorCsr({ caDir: root, csrPem, out: path.join(op, 'ca.pem'), secret });
  return { root, op };
}

test('the root ceremony writes exactly ca.pem and ca.key; bad input writes nothing', async (t) => {
  const dir = temp(t);
  const root = path.join(dir, 'root');
  const bad = [
    { suite: 'rsa' },
    { suite: 'secp256k1' },
    { passphrase: '' },
    { days: 0 },
    { name: '' },
    { name: 'x'.repeat(65) },
    { shares: { total: 3, threshold: 4, dir: path.join(dir, 'shares') } },
    { shares: { total: 3, threshold: 2, dir: root } },
  ];
  for (const override of bad) {
    await assert.rejects(initRoot({ dir: root, name: 'Root', suite: 'ecdsa-p256', passphrase: PASS, ...override }), (err: { code?: string }) => err.code?.startsWith('PKI_') ?? false, JSON.stringify(override));
    assert.deepEqual(ls(dir), [], `nothing written for ${JSON.stringify(override)}`);
  }
  const result = await initRoot({ dir: root, name: 'Root', suite: 'ecdsa-p256', passphrase: PASS });
  assert.deepEqual(ls(dir), ['root', 'root/ca.key', 'root/ca.pem']);
  assert.equal(statSync(path.join(root, 'ca.key')).mode & 0o077, 0);
  const cert = parseCertificatePem(read(path.join(root, 'ca.pem')));
  assert.equal(cert.fingerprint, result.fingerprint);
  assert.deepEqual(cert.extensions.basicConstraints, { ca: true, pathLen: 1 });
  assert.equal(cert.extensions.subjectKeyId, cert.extensions.authorityKeyId);
});

test('existing directories are kept unless forced; forcing removes what the old CA left behind', async (t) => {
  const dir = temp(t);
  const root = path.join(dir, 'root');
  await initRoot({ dir: root, name: 'Root', suite: 'ecdsa-p256', passphrase: PASS, shares: { total: 2, threshold: 2, dir: path.join(dir, 'shares') } });
  assert.deepEqual(ls(root), ['ca.key', 'ca.pem', 'custody.json']);
  await assert.rejects(initRoot({ dir: root, name: 'Root 2', suite: 'ecdsa-p256', passphrase: PASS }), { code: 'PKI_CA_DIRECTORY' });
  mkdirSync(path.join(dir, 'empty'));
  await initRoot({ dir: path.join(dir, 'empty'), name: 'In an empty dir', suite: 'ecdsa-p256', passphrase: PASS });
  await initRoot({ dir: root, name: 'Root 2', suite: 'ecdsa-p256', passphrase: PASS, force: true });
  assert.deepEqual(ls(root), ['ca.key', 'ca.pem'], 'the old custody record is gone');
  assert.ok(!ls(dir).some((f) => f.includes('.tmp')), 'no temporary files remain');
});

test('issue, revoke and CRL: leaf files, CRL numbers and the revocation database', async (t) => {
  const dir = temp(t);
  const { root, op } = await network(dir);
  const leafDir = path.join(dir, 'alice');
  await issueLeaf({ caDir: op, kind: 'user', name: 'alice', out: leafDir, secret, keyPassphrase: 'leaf pass' });
  assert.deepEqual(ls(leafDir), ['cert.pem', 'key.pem']);
  const leaf = parseCertificatePem(read(path.join(leafDir, 'cert.pem')));
  assert.deepEqual(readPrivateKeyPem(read(path.join(leafDir, 'key.pem')), 'leaf pass').publicKey.bytes, leaf.publicKey.bytes);
  await assert.rejects(issueLeaf({ caDir: op, kind: 'node', name: 'not a hostname', out: path.join(dir, 'n'), secret }), { code: 'PKI_POLICY' });
  await issueLeaf({ caDir: op, kind: 'node', name: 'node.example', out: path.join(dir, 'n'), secret });
  assert.deepEqual(parseCertificatePem(read(path.join(dir, 'n/cert.pem'))).extensions.san.dns, ['node.example']);
  await issueLeaf({ caDir: op, kind: 'node', name: 'v6', sans: ['::1', 'a.example'], out: path.join(dir, 'v6'), secret });
  assert.deepEqual(parseCertificatePem(read(path.join(dir, 'v6/cert.pem'))).extensions.san, { dns: ['a.example'], ip: ['::1'] });

  const out = path.join(dir, 'op.crl');
  assert.equal((await generateCrl({ caDir: op, out, secret })).crlNumber, 1);
  await revokeCertificate({ caDir: op, cert: leaf, reason: 'superseded', secret });
  const second = await generateCrl({ caDir: op, out, secret, days: 2 });
  assert.equal(second.crlNumber, 2);
  assert.deepEqual(parseCrlPem(read(out)).revoked.map((r) => r.serial), [leaf.serial]);
  assert.throws(
    () => validateChain({ roots: [parseCertificatePem(read(path.join(root, 'ca.pem')))], intermediates: [parseCertificatePem(read(path.join(op, 'ca.pem')))], leaf, crls: [second] }),
    { code: 'PKI_REVOKED' },
  );

  writeFileSync(path.join(op, 'revoked.json'), '{"format":"something else"}');
  await assert.rejects(generateCrl({ caDir: op, out, secret }), { code: 'PKI_CA_DATABASE' });
  assert.equal(parseCrlPem(read(out)).crlNumber, 2, 'the old CRL is untouched');
});

test('a pending operator directory cannot issue; signing is refused before anything is written', async (t) => {
  const dir = temp(t);
  const { root } = await network(dir);
  const pending = path.join(dir, 'pending');
  const { csrPem } = initOperator({ dir: pending, name: 'Pending', suite: 'sm2', passphrase: PASS });
  await assert.rejects(issueLeaf({ caDir: pending, kind: 'org', name: 'x', out: path.join(dir, 'x'), secret }), { code: 'PKI_CA_DIRECTORY' });
  await assert.rejects(signOperatorCsr({ caDir: root, csrPem, out: path.join(pending, 'ca.pem'), secret: { passphrase: 'wrong' } }), { code: 'PKI_WRONG_PASSPHRASE' });
  await assert.rejects(signOperatorCsr({ caDir: path.join(dir, 'nowhere'), csrPem, out: path.join(pending, 'ca.pem'), secret }), { code: 'PKI_CA_DIRECTORY' });
  assert.ok(!existsSync(path.join(pending, 'ca.pem')));
  // An sm2 operator under an ecdsa-p256 root is allowed: the root signs with its own suite.
  const cert = await signOperatorCsr({ caDir: root, csrPem, out: path.join(pending, 'ca.pem'), secret });
  assert.equal(cert.suite, 'sm2');
  await issueLeaf({ caDir: pending, kind: 'org', name: 'acme', out: path.join(dir, 'acme'), secret });
  assert.equal(parseCertificatePem(read(path.join(dir, 'acme/cert.pem'))).suite, 'sm2');
});
