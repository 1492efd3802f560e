import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { parseCrlPem } from '../../src/pki/index.js';
import { bsn, openssl, workspace, type RunResult } from './helpers.js';

/** The acceptance script of the root-of-trust issue, with openssl as the independent judge. */

function ok(result: RunResult, what: string): RunResult {
  assert.equal(result.code, 0, `${what} failed: ${result.stderr}${result.stdout}`);
  return result;
}

/** The script's first four commands; independent steps run side by side to keep the test fast. */
async function buildNetwork(dir: string, suite: string): Promise<string> {
  const [init] = await Promise.all([
    bsn(dir, 'ca', 'init-root', '--dir', 'root', '--name', 'Example Network Root CA', '--suite', suite, '--passphrase-file', 'pass.txt'),
    bsn(dir, 'ca', 'init-operator', '--dir', 'op1', '--name', 'Operator One', '--suite', suite, '--passphrase-file', 'pass.txt').then((r) => ok(r, 'init-operator')),
  ]);
  ok(init, 'init-root');
  ok(await bsn(dir, 'ca', 'sign', '--ca', 'root', '--csr', 'op1/ca.csr', '--out', 'op1/ca.pem', '--passphrase-file', 'pass.txt'), 'sign');
  ok(await bsn(dir, 'ca', 'issue', '--ca', 'op1', '--kind', 'node', '--name', 'node1', '--san', '127.0.0.1', '--out', 'node1', '--passphrase-file', 'pass.txt'), 'issue');
  return init.stdout;
}

const CHAIN = ['--root', 'root/ca.pem', '--chain', 'op1/ca.pem'];

test('ecdsa-p256: ceremony, issue, verify, revoke, CRL — bsn and openssl agree', async (t) => {
  const dir = workspace(t);
  const initOut = await buildNetwork(dir, 'ecdsa-p256');
  const [fingerprint, , , verifyOk, serverOk, valid, text, alice] = await Promise.all([
    openssl(dir, 'x509', '-in', 'root/ca.pem', '-noout', '-fingerprint', '-sha256'),
    openssl(dir, 'pkey', '-in', 'root/ca.key', '-passin', 'file:pass.txt', '-noout').then((r) => ok(r, 'openssl reads the encrypted root key')),
    openssl(dir, 'req', '-in', 'op1/ca.csr', '-verify', '-noout').then((r) => ok(r, 'openssl verifies the CSR')),
    openssl(dir, 'verify', '-CAfile', 'root/ca.pem', '-untrusted', 'op1/ca.pem', 'node1/cert.pem'),
    openssl(dir, 'verify', '-purpose', 'sslserver', '-CAfile', 'root/ca.pem', '-untrusted', 'op1/ca.pem', 'node1/cert.pem'),
    bsn(dir, 'ca', 'verify', ...CHAIN, 'node1/cert.pem'),
    openssl(dir, 'x509', '-in', 'node1/cert.pem', '-noout', '-text'),
    bsn(dir, 'ca', 'issue', '--ca', 'op1', '--kind', 'user', '--name', 'alice', '--org', 'acme', '--app', 'credit', '--out', 'alice', '--passphrase-file', 'pass.txt'),
  ]);
  assert.ok(initOut.includes(ok(fingerprint, 'fingerprint').stdout.trim().replace(/^.*=/, '')), `init-root prints the witnesses' fingerprint`);
  assert.match(readFileSync(path.join(dir, 'root/ca.key'), 'utf8'), /^-----BEGIN ENCRYPTED PRIVATE KEY-----/);
  assert.match(ok(verifyOk, 'openssl verify').stdout, /node1\/cert.pem: OK/);
  ok(serverOk, 'server purpose');
  assert.deepEqual([valid.code, valid.stdout], [0, 'valid\n']);
  assert.match(ok(text, 'x509 -text').stdout, /IP Address:127\.0\.0\.1/);
  assert.match(text.stdout, /TLS Web Server Authentication, TLS Web Client Authentication/);
  assert.match(text.stdout, /1\.3\.6\.1\.4\.1\.32473\.1\.1/);
  ok(alice, 'issue user');

  ok(await bsn(dir, 'ca', 'revoke', '--ca', 'op1', '--cert', 'node1/cert.pem', '--passphrase-file', 'pass.txt'), 'revoke');
  await Promise.all([
    bsn(dir, 'ca', 'crl', '--ca', 'op1', '--out', 'op1/crl.pem', '--passphrase-file', 'pass.txt').then((r) => ok(r, 'crl op1')),
    bsn(dir, 'ca', 'crl', '--ca', 'root', '--out', 'root/crl.pem', '--passphrase-file', 'pass.txt').then((r) => ok(r, 'crl root')),
  ]);
  const crls = ['-CRLfile', 'root/crl.pem', '-CRLfile', 'op1/crl.pem', '-CAfile', 'root/ca.pem', '-untrusted', 'op1/ca.pem'];
  const [revoked, all, leafOnly, aliceAll, aliceJson, aliceServer, crlText] = await Promise.all([
    bsn(dir, 'ca', 'verify', ...CHAIN, 'node1/cert.pem', '--crl', 'op1/crl.pem'),
    openssl(dir, 'verify', '-crl_check_all', ...crls, 'node1/cert.pem'),
    openssl(dir, 'verify', '-crl_check', '-CRLfile', 'op1/crl.pem', '-CAfile', 'root/ca.pem', '-untrusted', 'op1/ca.pem', 'node1/cert.pem'),
    // A leaf that is not revoked passes openssl's full CRL check: the CRLs themselves are good.
    openssl(dir, 'verify', '-crl_check_all', ...crls, 'alice/cert.pem'),
    bsn(dir, 'ca', 'verify', ...CHAIN, 'alice/cert.pem', '--crl', 'op1/crl.pem', '--crl', 'root/crl.pem', '--require-crl', '--purpose', 'client', '--json'),
    bsn(dir, 'ca', 'verify', ...CHAIN, 'alice/cert.pem', '--purpose', 'server'),
    openssl(dir, 'crl', '-in', 'op1/crl.pem', '-noout', '-text'),
  ]);
  assert.equal(revoked.code, 1);
  assert.match(revoked.stdout, /^invalid: .*PKI_REVOKED/);
  assert.notEqual(all.code, 0);
  assert.match(all.stdout + all.stderr, /certificate revoked/);
  assert.match(leafOnly.stdout + leafOnly.stderr, /certificate revoked/);
  ok(aliceAll, 'openssl -crl_check_all on a good leaf');
  assert.deepEqual(JSON.parse(aliceJson.stdout).identity, { role: 'user', org: 'acme', app: 'credit' });
  assert.match(aliceServer.stdout, /PKI_PURPOSE/);
  assert.match(ok(crlText, 'crl -text').stdout, /X509v3 CRL Number: \n\s+1\n/);
  assert.match(crlText.stdout, /X509v3 Authority Key Identifier/);
});

test('sm2: the same script; openssl reads every file and verifies each link with the standard signer ID', async (t) => {
  const dir = workspace(t);
  await buildNetwork(dir, 'sm2');
  const valid = bsn(dir, 'ca', 'verify', ...CHAIN, 'node1/cert.pem');
  for (const file of ['root/ca.pem', 'op1/ca.pem', 'node1/cert.pem']) {
    const text = ok(await openssl(dir, 'x509', '-in', file, '-noout', '-text'), `x509 -text ${file}`).stdout;
    assert.equal(text.match(/Signature Algorithm: SM2-with-SM3/g)?.length, 2, file);
    assert.match(text, /ASN1 OID: SM2/);
  }
  ok(await openssl(dir, 'pkey', '-in', 'op1/ca.key', '-passin', 'file:pass.txt', '-noout'), 'openssl reads the SM2 key');
  const distid = ['-vfyopt', 'distid:1234567812345678'];
  ok(await openssl(dir, 'verify', ...distid, '-CAfile', 'root/ca.pem', 'op1/ca.pem'), 'root → operator');
  ok(await openssl(dir, 'verify', ...distid, '-partial_chain', '-CAfile', 'op1/ca.pem', 'node1/cert.pem'), 'operator → node');
  ok(await openssl(dir, 'req', '-in', 'op1/ca.csr', '-verify', '-noout', ...distid), 'CSR with the standard ID');
  // Without the ID OpenSSL 3.0 uses an empty one, which must NOT verify: we sign with the standard ID.
  assert.notEqual((await openssl(dir, 'verify', '-CAfile', 'root/ca.pem', 'op1/ca.pem')).code, 0);

  assert.equal((await valid).stdout, 'valid\n');
  ok(await bsn(dir, 'ca', 'revoke', '--ca', 'op1', '--cert', 'node1/cert.pem', '--reason', 'keyCompromise', '--passphrase-file', 'pass.txt'), 'revoke');
  ok(await bsn(dir, 'ca', 'crl', '--ca', 'op1', '--out', 'op1/crl.pem', '--passphrase-file', 'pass.txt'), 'crl');
  const revoked = await bsn(dir, 'ca', 'verify', ...CHAIN, 'node1/cert.pem', '--crl', 'op1/crl.pem');
  assert.equal(revoked.code, 1);
  assert.match(revoked.stdout, /PKI_REVOKED/);
  const crlText = ok(await openssl(dir, 'crl', '-in', 'op1/crl.pem', '-noout', '-text'), 'crl -text').stdout;
  assert.match(crlText, /SM2-with-SM3/);
  assert.match(crlText, /Key Compromise/);

  // openssl cannot apply the SM2 ID to CRLs, so check the CRL signature with pkeyutl directly.
  const crl = parseCrlPem(readFileSync(path.join(dir, 'op1/crl.pem'), 'utf8'));
  writeFileSync(path.join(dir, 'tbs.der'), crl.tbs);
  writeFileSync(path.join(dir, 'sig.der'), crl.signature);
  writeFileSync(path.join(dir, 'op1.pub'), ok(await openssl(dir, 'x509', '-in', 'op1/ca.pem', '-noout', '-pubkey'), 'pubkey').stdout);
  const pkeyutl = ['pkeyutl', '-verify', '-pubin', '-inkey', 'op1.pub', '-rawin', '-digest', 'sm3', '-pkeyopt', 'distid:1234567812345678', '-in', 'tbs.der', '-sigfile', 'sig.der'];
  assert.match(ok(await openssl(dir, ...pkeyutl), 'pkeyutl').stdout, /Signature Verified Successfully/);
});
