import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { getSuite } from '../crypto/index.js';
import { createCustody, recoverDataKey, type ShareInput } from './custody.js';
import { decryptPkcs8, encryptPkcs8, exportPkcs8, readPrivateKeyPem } from './key-encryption.js';

/** Encrypted PKCS#8 against OpenSSL in both directions, and the k-of-n key custody. */

function temp(t: { after(fn: () => void): void }): string {
  const dir = mkdtempSync(path.join(tmpdir(), 'bsn-keys-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

const openssl = (cwd: string, ...args: string[]): string => execFileSync('openssl', args, { cwd, encoding: 'utf8', stdio: 'pipe' });

for (const suiteName of ['ecdsa-p256', 'sm2', 'ed25519']) {
  test(`${suiteName}: our encrypted key opens with openssl and with us, and only with the passphrase`, (t) => {
    const dir = temp(t);
    const suite = getSuite(suiteName);
    const keys = suite.generateKeyPair();
    const pem = encryptPkcs8(exportPkcs8(keys.privateKey), 'pässphrase');
    writeFileSync(path.join(dir, 'key.pem'), pem);
    writeFileSync(path.join(dir, 'pass.txt'), 'pässphrase\n');
    const pub = openssl(dir, 'pkey', '-in', 'key.pem', '-passin', 'file:pass.txt', '-pubout');
    assert.deepEqual(suite.importPublicKeyPem(pub).bytes, keys.publicKey.bytes);
    assert.deepEqual(readPrivateKeyPem(pem, 'pässphrase').publicKey.bytes, keys.publicKey.bytes);
    assert.throws(() => readPrivateKeyPem(pem, 'passphrase'), { code: 'PKI_WRONG_PASSPHRASE' });
    assert.throws(() => readPrivateKeyPem(pem), { code: 'PKI_WRONG_PASSPHRASE' });
  });
}

test("we read OpenSSL's own encrypted keys (PBKDF2 and scrypt) and refuse legacy ciphers with a typed error", (t) => {
  const dir = temp(t);
  openssl(dir, 'genpkey', '-algorithm', 'EC', '-pkeyopt', 'ec_paramgen_curve:P-256', '-out', 'plain.pem');
  const expected = readPrivateKeyPem(readFileSync(path.join(dir, 'plain.pem'), 'utf8')).publicKey.bytes;
  for (const args of [['-v2', 'aes-256-cbc'], ['-v2', 'aes-256-cbc', '-v2prf', 'hmacWithSHA1'], ['-scrypt']]) {
    const enc = openssl(dir, 'pkcs8', '-topk8', '-in', 'plain.pem', '-passout', 'pass:secret', ...args);
    assert.deepEqual(readPrivateKeyPem(enc, 'secret').publicKey.bytes, expected, args.join(' '));
    assert.throws(() => decryptPkcs8(enc, 'wrong'), { code: 'PKI_WRONG_PASSPHRASE' });
  }
  const legacy = openssl(dir, 'pkcs8', '-topk8', '-in', 'plain.pem', '-passout', 'pass:secret', '-v2', 'aes-128-cbc');
  assert.throws(() => decryptPkcs8(legacy, 'secret'), { code: 'PKI_UNSUPPORTED_ALGORITHM' });
  assert.throws(() => decryptPkcs8('-----BEGIN PRIVATE KEY-----\nAA==\n-----END PRIVATE KEY-----\n', 'x'), { code: 'PKI_PEM_INVALID' });
});

const inputs = (shares: readonly object[], names = shares.map((_, i) => `share-${i + 1}`)): ShareInput[] => shares.map((s, i) => ({ name: names[i] ?? '', text: JSON.stringify(s) }));

test('custody: every k-subset recovers the key; fewer do not', async () => {
  const custody = await createCustody(4, 3, 'Root', 'AA:BB');
  const files = custody.shares;
  for (let a = 0; a < 4; a++)
    for (let b = a + 1; b < 4; b++)
      for (let c = b + 1; c < 4; c++) {
        const key = await recoverDataKey(custody.record, inputs([files[a]!, files[b]!, files[c]!]));
        assert.deepEqual(key, custody.dataKey);
      }
  await assert.rejects(recoverDataKey(custody.record, inputs(files.slice(0, 2))), { code: 'PKI_SHARES_INSUFFICIENT' });
  await assert.rejects(recoverDataKey(custody.record, inputs([files[0]!, files[0]!, files[1]!])), { code: 'PKI_SHARES_INSUFFICIENT' });
});

test('custody: altered, foreign and malformed shares, and an altered record, are caught', async () => {
  const custody = await createCustody(3, 2, 'Root', 'AA:BB');
  const other = await createCustody(3, 2, 'Root', 'AA:BB');
  const [one, two] = custody.shares as [(typeof custody.shares)[number], (typeof custody.shares)[number]];
  const flipped = { ...two, share: Buffer.from(Buffer.from(two.share, 'base64').map((b, i) => (i === 0 ? b ^ 1 : b))).toString('base64') };
  await assert.rejects(recoverDataKey(custody.record, inputs([one, flipped])), { code: 'PKI_SHARE_INVALID', message: /checksum/ });
  await assert.rejects(recoverDataKey(custody.record, inputs([one, { ...two, index: 3 }])), { code: 'PKI_SHARE_INVALID' });
  await assert.rejects(recoverDataKey(custody.record, inputs([one, other.shares[1]!], ['mine', 'theirs'])), { code: 'PKI_SHARE_FOREIGN', message: /'theirs'/ });
  await assert.rejects(recoverDataKey(custody.record, [{ name: 'x', text: 'not json' }]), { code: 'PKI_SHARE_INVALID' });
  const record = { ...custody.record, keyCheck: 'ab'.repeat(32) };
  await assert.rejects(recoverDataKey(record, inputs([one, two])), { code: 'PKI_SHARE_INVALID', message: /do not reconstruct/ });
});
