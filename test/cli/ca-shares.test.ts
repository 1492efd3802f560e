import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { readFileSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { initOperator, initRoot } from '../../src/pki/index.js';
import { bsn, listFiles, oneLineError, openssl, PASSPHRASE, workspace } from './helpers.js';

/** The root ceremony with k-of-n key custody, end to end through the CLI. */

test('a 2-of-3 root: any two shares and the passphrase sign; fewer, altered or foreign shares do not', async (t) => {
  const dir = workspace(t);
  const init = await bsn(dir, 'ca', 'init-root', '--dir', 'root', '--name', 'Shared Root', '--passphrase-file', 'pass.txt', '--shares', '3', '--threshold', '2', '--share-dir', 'shares', '--json');
  assert.equal(init.code, 0, init.stderr);
  const report = JSON.parse(init.stdout);
  assert.equal(report.shareFiles.length, 3);
  assert.match(report.fingerprint, /^([0-9A-F]{2}:){31}[0-9A-F]{2}$/);
  assert.equal(statSync(path.join(dir, 'shares/share-1-of-3.json')).mode & 0o077, 0, 'share files are private');
  // The passphrase alone no longer opens the key.
  assert.notEqual((await openssl(dir, 'pkey', '-in', 'root/ca.key', '-passin', 'file:pass.txt', '-noout')).code, 0);

  // Another ceremony and the operator's request are only the stage here: made in-process.
  await initRoot({ dir: path.join(dir, 'other'), name: 'Other Root', suite: 'ecdsa-p256', passphrase: PASSPHRASE, shares: { total: 2, threshold: 2, dir: path.join(dir, 'othershares') } });
  initOperator({ dir: path.join(dir, 'op1'), name: 'Operator One', suite: 'ecdsa-p256', passphrase: PASSPHRASE });

  const share = (i: number): string => `shares/share-${i}-of-3.json`;
  const text = (file: string): string => readFileSync(path.join(dir, file), 'utf8');
  const altered = JSON.parse(text(share(2)));
  altered.share = Buffer.from(Buffer.from(altered.share, 'base64').map((b, i) => (i === 3 ? b ^ 1 : b))).toString('base64');
  writeFileSync(path.join(dir, 'altered.json'), JSON.stringify(altered));
  // The same alteration with a recomputed checksum: caught by the ceremony's commitment.
  const { checksum: _old, ...body } = altered;
  const fields = [body.format, body.ceremony, body.ca, body.fingerprint, body.index, body.threshold, body.total, body.share];
  writeFileSync(path.join(dir, 'forged.json'), JSON.stringify({ ...body, checksum: createHash('sha256').update(fields.join('\n')).digest('hex') }));

  const sign = (...extra: string[]) => bsn(dir, 'ca', 'sign', '--ca', 'root', '--csr', 'op1/ca.csr', '--out', 'op1/ca.pem', ...extra);
  const cases: [string[], string][] = [
    [['--passphrase-file', 'pass.txt'], 'PKI_SHARES_INSUFFICIENT'],
    [['--passphrase-file', 'pass.txt', '--share', share(1)], 'PKI_SHARES_INSUFFICIENT'],
    [['--passphrase-file', 'pass.txt', '--share', share(1), '--share', share(1)], 'PKI_SHARES_INSUFFICIENT'],
    [['--passphrase-file', 'pass.txt', '--share', share(1), '--share', 'altered.json'], 'PKI_SHARE_INVALID'],
    [['--passphrase-file', 'pass.txt', '--share', share(1), '--share', 'forged.json'], 'PKI_SHARE_INVALID'],
    [['--passphrase-file', 'pass.txt', '--share', share(1), '--share', 'othershares/share-2-of-2.json'], 'PKI_SHARE_FOREIGN'],
    [['--passphrase-file', 'pass.txt', '--share', share(1), '--share', 'pass.txt'], 'PKI_SHARE_INVALID'],
    [['--passphrase-file', 'wrong.txt', '--share', share(1), '--share', share(3)], 'PKI_WRONG_PASSPHRASE'],
  ];
  const before = listFiles(dir);
  const results = await Promise.all(cases.map(([args]) => sign(...args)));
  results.forEach((result, i) => {
    const [args, code] = cases[i]!;
    assert.equal(result.code, 1, `${args.join(' ')}: ${result.stderr}`);
    assert.ok(oneLineError(result, code), `${args.join(' ')}: expected ${code}, got ${result.stderr}`);
  });
  assert.deepEqual(listFiles(dir), before, 'failed attempts write nothing');

  assert.equal((await sign('--passphrase-file', 'pass.txt', '--share', share(3), '--share', share(2))).code, 0);
  assert.equal((await openssl(dir, 'verify', '-CAfile', 'root/ca.pem', 'op1/ca.pem')).code, 0);
  const crl = await bsn(dir, 'ca', 'crl', '--ca', 'root', '--out', 'root.crl', '--passphrase-file', 'pass.txt', '--share', share(1), '--share', share(2), '--share', share(3));
  assert.equal(crl.code, 0, crl.stderr);
  const badParams = await bsn(dir, 'ca', 'init-root', '--dir', 'r3', '--name', 'R3', '--passphrase-file', 'pass.txt', '--shares', '2', '--threshold', '3', '--share-dir', 's3');
  assert.ok(oneLineError(badParams, 'PKI_POLICY'), badParams.stderr);
});
