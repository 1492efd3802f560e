import assert from 'node:assert/strict';
import { cpSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { bsn, listFiles, makeNetwork, oneLineError, tempDir, workspace, type RunResult } from './helpers.js';

/**
 * Bad input to every `bsn ca` command: each gives its own typed error and exit code, prints one
 * line without a stack trace, and leaves the file system exactly as it was.
 */

let base = '';
let cleanup = (): void => undefined;
after(() => cleanup());

before(async () => {
  base = workspace({ after: (fn) => (cleanup = fn) });
  // The CLI path of these steps is the acceptance test's subject; here they are only the stage.
  await makeNetwork(base);
});

/** A private copy of the prepared network for one test. */
function network(t: { after(fn: () => void): void }): string {
  const dir = tempDir(t);
  cpSync(base, dir, { recursive: true });
  return dir;
}

const jsonChecked = new Set<string>();

/** A command that must fail: the error code, the exit code, the arguments. */
type Failure = [code: string, exit: number, ...args: string[]];

/**
 * Runs commands that must each fail with their code and exit code, printing one line, and that
 * together must not change any file. They run concurrently: failing commands write nothing, so
 * they cannot disturb each other, and the suite stays fast.
 */
async function failsCleanly(dir: string, ...failures: Failure[]): Promise<void> {
  const before = listFiles(dir);
  await Promise.all(
    failures.map(async ([code, exit, ...args]) => {
      // The --json form is checked once per error code.
      const withJson = !jsonChecked.has(code);
      jsonChecked.add(code);
      const [result, json] = await Promise.all([bsn(dir, ...args), withJson ? bsn(dir, ...args, '--json') : undefined]);
      assert.equal(result.code, exit, `exit code of ${args.join(' ')}: ${result.stderr}`);
      assert.ok(oneLineError(result, code), `expected one line with [${code}], got: ${result.stderr}`);
      if (json) {
        assert.equal(json.code, exit);
        assert.equal(JSON.parse(json.stdout).error.code, code);
      }
    }),
  );
  assert.deepEqual(listFiles(dir), before, 'no file may be written or left behind');
}

const verify = (dir: string, ...args: string[]): Promise<RunResult> => bsn(dir, 'ca', 'verify', '--root', 'root/ca.pem', '--chain', 'op1/ca.pem', ...args);

function invalid(result: RunResult, code: string, subject?: string): void {
  assert.equal(result.code, 1, result.stdout + result.stderr);
  assert.match(result.stdout, new RegExp(`^invalid: .*\\[${code}\\]\\n$`));
  if (subject) assert.ok(result.stdout.includes(`certificate '${subject}'`), result.stdout);
}

test('usage errors exit 2 with one line; a missing passphrase file is a usage error', async (t) => {
  const dir = network(t);
  await failsCleanly(dir, ['CLI_USAGE', 2, 'ca', 'issue', '--ca', 'op1', '--kind', 'node', '--out', 'n2', '--passphrase-file', 'pass.txt'],
    ['CLI_USAGE', 2, 'ca', 'issue', '--ca', 'op1', '--kind', 'robot', '--name', 'n2', '--out', 'n2', '--passphrase-file', 'pass.txt'],
    ['CLI_USAGE', 2, 'ca', 'issue', '--ca', 'op1', '--kind', 'node', '--name', 'n2', '--out', 'n2', '--passphrase-file', 'nope.txt'],
    ['CLI_USAGE', 2, 'ca', 'init-root', '--dir', 'r2', '--name', 'R', '--passphrase-file', 'pass.txt', '--shares', '3']);
});

test('malformed PEM and DER are typed errors, for sign and for verify', async (t) => {
  const dir = network(t);
  writeFileSync(path.join(dir, 'garbage.csr'), 'this is not PEM\n');
  writeFileSync(path.join(dir, 'random.csr'), '-----BEGIN CERTIFICATE REQUEST-----\nAAECAwQFBgcICQ==\n-----END CERTIFICATE REQUEST-----\n');
  await failsCleanly(dir, ['PKI_PEM_INVALID', 1, 'ca', 'sign', '--ca', 'root', '--csr', 'garbage.csr', '--out', 'op1/x.pem', '--passphrase-file', 'pass.txt'],
    ['PKI_DER_INVALID', 1, 'ca', 'sign', '--ca', 'root', '--csr', 'random.csr', '--out', 'op1/x.pem', '--passphrase-file', 'pass.txt']);
  writeFileSync(path.join(dir, 'garbage.pem'), '-----BEGIN CERTIFICATE-----\n!!!!\n-----END CERTIFICATE-----\n');
  invalid(await verify(dir, 'garbage.pem'), 'PKI_PEM_INVALID');
  invalid(await verify(dir, 'random.csr'), 'PKI_PEM_INVALID');
});

test('a wrong passphrase writes nothing', async (t) => {
  const dir = network(t);
  await failsCleanly(dir, ['PKI_WRONG_PASSPHRASE', 1, 'ca', 'issue', '--ca', 'op1', '--kind', 'node', '--name', 'node2', '--out', 'node2', '--passphrase-file', 'wrong.txt'],
    ['PKI_WRONG_PASSPHRASE', 1, 'ca', 'revoke', '--ca', 'op1', '--cert', 'node1/cert.pem', '--passphrase-file', 'wrong.txt'],
    ['PKI_WRONG_PASSPHRASE', 1, 'ca', 'crl', '--ca', 'op1', '--out', 'op1/crl.pem', '--passphrase-file', 'wrong.txt']);
});

test('a CA directory is not overwritten without --force', async (t) => {
  const dir = network(t);
  await failsCleanly(dir, ['PKI_CA_DIRECTORY', 1, 'ca', 'init-root', '--dir', 'root', '--name', 'Other Root', '--passphrase-file', 'pass.txt'],
    ['PKI_CA_DIRECTORY', 1, 'ca', 'init-operator', '--dir', 'op1', '--name', 'Other', '--passphrase-file', 'pass.txt'],
    ['PKI_CA_DIRECTORY', 1, 'ca', 'sign', '--ca', 'root', '--csr', 'op1/ca.csr', '--out', 'op1/ca.pem', '--passphrase-file', 'pass.txt'],
    ['PKI_CA_DIRECTORY', 1, 'ca', 'crl', '--ca', 'op1', '--out', 'no/such/dir/crl.pem', '--passphrase-file', 'pass.txt'],
    ['PKI_CA_DIRECTORY', 1, 'ca', 'issue', '--ca', 'op1/ca.csr', '--kind', 'org', '--name', 'x', '--out', 'x', '--passphrase-file', 'pass.txt']);
  const old = readFileSync(path.join(dir, 'root/ca.pem'), 'utf8');
  assert.equal((await bsn(dir, 'ca', 'init-root', '--dir', 'root', '--name', 'Other Root', '--passphrase-file', 'pass.txt', '--force')).code, 0);
  assert.notEqual(readFileSync(path.join(dir, 'root/ca.pem'), 'utf8'), old);
});

test('a CSR whose signature does not match is refused', async (t) => {
  const dir = network(t);
  const csr = readFileSync(path.join(dir, 'op1/ca.csr'), 'utf8');
  // Renaming the subject inside the signed part (same length) breaks the self-signature.
  const der = Buffer.from(csr.replace(/-----[^-]+-----/g, '').replace(/\s+/g, ''), 'base64');
  const at = der.indexOf(Buffer.from('Operator One'));
  der.write('Operator Two', at);
  writeFileSync(path.join(dir, 'forged.csr'), `-----BEGIN CERTIFICATE REQUEST-----\n${der.toString('base64')}\n-----END CERTIFICATE REQUEST-----\n`);
  await failsCleanly(dir, ['PKI_CSR_SIGNATURE_INVALID', 1, 'ca', 'sign', '--ca', 'root', '--csr', 'forged.csr', '--out', 'op2.pem', '--passphrase-file', 'pass.txt']);
});

test('tampered certificates fail on their signature', async (t) => {
  const dir = network(t);
  const pem = readFileSync(path.join(dir, 'node1/cert.pem'), 'utf8');
  const der = Buffer.from(pem.replace(/-----[^-]+-----/g, '').replace(/\s+/g, ''), 'base64');
  const write = (name: string, bytes: Buffer): void => writeFileSync(path.join(dir, name), `-----BEGIN CERTIFICATE-----\n${bytes.toString('base64')}\n-----END CERTIFICATE-----\n`);
  const tbs = Buffer.from(der);
  tbs[20] = (tbs[20] ?? 0) ^ 0x01; // inside the serial number
  write('tbs.pem', tbs);
  const sig = Buffer.from(der);
  sig[sig.length - 5] = (sig[sig.length - 5] ?? 0) ^ 0x01; // inside s
  write('sig.pem', sig);
  const [byTbs, bySig] = await Promise.all([verify(dir, 'tbs.pem'), verify(dir, 'sig.pem')]);
  invalid(byTbs, 'PKI_SIGNATURE_INVALID', 'OU=node, CN=node1');
  invalid(bySig, 'PKI_SIGNATURE_INVALID', 'OU=node, CN=node1');
});

test('validity: expired and not yet valid, by --at', async (t) => {
  const dir = network(t);
  assert.equal((await bsn(dir, 'ca', 'issue', '--ca', 'op1', '--kind', 'org', '--name', 'acme', '--days', '1', '--out', 'acme', '--passphrase-file', 'pass.txt')).code, 0);
  const soon = new Date(Date.now() + 3 * 86_400_000).toISOString();
  const [expired, valid, early, late] = await Promise.all([
    verify(dir, 'acme/cert.pem', '--at', soon),
    verify(dir, 'acme/cert.pem'),
    verify(dir, 'node1/cert.pem', '--at', '2001-01-01T00:00:00Z'),
    verify(dir, 'node1/cert.pem', '--at', '2199-01-01T00:00:00Z'),
  ]);
  invalid(expired, 'PKI_EXPIRED', 'OU=org, CN=acme');
  assert.equal(valid.stdout, 'valid\n');
  invalid(early, 'PKI_NOT_YET_VALID', 'CN=Example Network Root CA');
  invalid(late, 'PKI_EXPIRED', 'CN=Example Network Root CA');
  await failsCleanly(dir, ['CLI_USAGE', 2, 'ca', 'verify', '--root', 'root/ca.pem', 'node1/cert.pem', '--at', 'yesterday']);
});

test('a certificate of another network fails as an unknown root', async (t) => {
  const dir = network(t);
  // Another network with the very same names: only the keys tell them apart.
  await makeNetwork(dir, { root: 'evil', op: 'evilop', node: 'evilnode' });
  const verdicts = await Promise.all([
    bsn(dir, 'ca', 'verify', '--root', 'root/ca.pem', 'evil/ca.pem'),
    bsn(dir, 'ca', 'verify', '--root', 'root/ca.pem', '--chain', 'evilop/ca.pem', 'evilnode/cert.pem'),
    bsn(dir, 'ca', 'verify', '--root', 'root/ca.pem', '--chain', 'evilop/ca.pem', 'node1/cert.pem'),
    bsn(dir, 'ca', 'verify', '--root', 'evil/ca.pem', '--chain', 'evilop/ca.pem', 'node1/cert.pem'),
  ]);
  invalid(verdicts[0]!, 'PKI_UNKNOWN_ROOT', 'CN=Example Network Root CA');
  invalid(verdicts[1]!, 'PKI_UNKNOWN_ROOT', 'CN=Operator One');
  invalid(verdicts[2]!, 'PKI_UNKNOWN_ROOT', 'OU=node, CN=node1');
  invalid(verdicts[3]!, 'PKI_UNKNOWN_ROOT', 'OU=node, CN=node1');
});

test('a leaf cannot act as a CA, and an operator CA cannot sign another CA', async (t) => {
  const dir = network(t);
  await failsCleanly(dir, ['PKI_NOT_A_CA', 1, 'ca', 'issue', '--ca', 'node1', '--kind', 'node', '--name', 'node2', '--out', 'node2', '--passphrase-file', 'pass.txt'],
    ['PKI_PATH_LENGTH', 1, 'ca', 'sign', '--ca', 'op1', '--csr', 'op1/ca.csr', '--out', 'sub.pem', '--passphrase-file', 'pass.txt'],
    ['PKI_POLICY', 1, 'ca', 'issue', '--ca', 'root', '--kind', 'node', '--name', 'node2', '--out', 'node2', '--passphrase-file', 'pass.txt'],
    ['PKI_POLICY', 1, 'ca', 'issue', '--ca', 'op1', '--kind', 'node', '--name', 'node2', '--san', 'bad name!', '--out', 'node2', '--passphrase-file', 'pass.txt']);
});

test('revoking a certificate of another CA is refused; revoking twice is harmless', async (t) => {
  const dir = network(t);
  await failsCleanly(dir, ['PKI_NOT_ISSUED_BY_CA', 1, 'ca', 'revoke', '--ca', 'root', '--cert', 'node1/cert.pem', '--passphrase-file', 'pass.txt'],
    ['PKI_POLICY', 1, 'ca', 'revoke', '--ca', 'op1', '--cert', 'node1/cert.pem', '--reason', 'boredom', '--passphrase-file', 'pass.txt']);
  assert.equal((await bsn(dir, 'ca', 'revoke', '--ca', 'op1', '--cert', 'node1/cert.pem', '--passphrase-file', 'pass.txt')).code, 0);
  const again = await bsn(dir, 'ca', 'revoke', '--ca', 'op1', '--cert', 'node1/cert.pem', '--passphrase-file', 'pass.txt', '--json');
  assert.equal(JSON.parse(again.stdout).alreadyRevoked, true);
  // The root revokes the operator CA; the leaf under it is then invalid too.
  assert.equal((await bsn(dir, 'ca', 'revoke', '--ca', 'root', '--cert', 'op1/ca.pem', '--reason', 'cACompromise', '--passphrase-file', 'pass.txt')).code, 0);
  assert.equal((await bsn(dir, 'ca', 'crl', '--ca', 'root', '--out', 'root.crl', '--passphrase-file', 'pass.txt')).code, 0);
  // The same CRL with its signature damaged.
  const der = Buffer.from(readFileSync(path.join(dir, 'root.crl'), 'utf8').replace(/-----[^-]+-----/g, '').replace(/\s+/g, ''), 'base64');
  der[der.length - 3] = (der[der.length - 3] ?? 0) ^ 0x01;
  writeFileSync(path.join(dir, 'bad.crl'), `-----BEGIN X509 CRL-----\n${der.toString('base64')}\n-----END X509 CRL-----\n`);
  const [revoked, strict, missing, damaged] = await Promise.all([
    verify(dir, 'node1/cert.pem', '--crl', 'root.crl'),
    verify(dir, 'node1/cert.pem', '--crl', 'root.crl', '--require-crl'),
    verify(dir, 'node1/cert.pem', '--require-crl'),
    verify(dir, 'node1/cert.pem', '--crl', 'bad.crl'),
  ]);
  invalid(revoked, 'PKI_REVOKED', 'CN=Operator One');
  invalid(strict, 'PKI_REVOKED', 'CN=Operator One');
  invalid(missing, 'PKI_CRL_MISSING', 'CN=Operator One');
  invalid(damaged, 'PKI_CRL_INVALID');
});
