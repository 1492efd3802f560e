import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import fc from 'fast-check';
import { getSuite } from '../../crypto/index.js';
import { parseNodeConfig } from '../../node/index.js';
import { createCsr, leafSubject, validateChain, parseCertificatePem, exportPkcs8 } from '../../pki/index.js';
import { makeTestPki } from '../../../test/support/network-pki.js';
import { GatewayStore } from '../store.js';
import { ApiKeyRegistry, HostedKeyVault, UserCertIssuer, usersOptionsFromConfig } from './index.js';

const PASSPHRASE = 'correct horse battery staple';

test('gateway users: config, vault, issuer and API key registry', { timeout: 120_000 }, async (t) => {
  const dir = mkdtempSync(path.join(tmpdir(), 'bsn-users-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const store = await GatewayStore.open(path.join(dir, 'store'));
  t.after(() => store.close());

  await t.test('gateway.users in the node config: paths resolved, exactly one source per secret', () => {
    const base = { name: 'n', dataDir: 'd', network: { rootCert: 'r', crls: ['c'] }, tls: { cert: 'c', chain: ['o'], key: 'k' }, p2p: { listen: '127.0.0.1:1' }, http: { listen: '127.0.0.1:2' } };
    const parse = (users: unknown) => parseNodeConfig(JSON.stringify({ ...base, gateway: { listen: '127.0.0.1:3', users } }), '/etc/bsn');
    const config = parse({ caDir: 'op1', caPassphraseFile: 'pass.txt', vaultSecretEnv: 'BSN_VAULT' });
    assert.deepEqual(config.gateway?.users, { caDir: '/etc/bsn/op1', caPassphraseFile: '/etc/bsn/pass.txt', vaultSecretEnv: 'BSN_VAULT', certDays: 365 });
    assert.throws(() => parse({ caDir: 'op1', caPassphraseFile: 'a', caPassphraseEnv: 'B', vaultSecretEnv: 'V' }), { code: 'NODE_CONFIG_INVALID' });
    assert.throws(() => parse({ caDir: 'op1', caPassphraseFile: 'a' }), /vaultSecretFile/);
    assert.throws(() => parse({ caDir: 'op1', caPassphraseFile: 'a', vaultSecretEnv: 'V', extra: 1 }), { code: 'NODE_CONFIG_INVALID' });
    assert.equal(parseNodeConfig(JSON.stringify({ ...base, gateway: { listen: '127.0.0.1:3' } }), '/').gateway?.users, undefined);
  });

  await t.test('secrets come from the first line of a file or from the environment', () => {
    const file = path.join(dir, 'pass.txt');
    writeFileSync(file, 'the passphrase\nsecond line\n');
    process.env['BSN_TEST_VAULT'] = 'vault secret';
    const options = usersOptionsFromConfig({ caDir: 'op', caPassphraseFile: file, vaultSecretEnv: 'BSN_TEST_VAULT', certDays: 30 });
    assert.deepEqual(options, { caDir: 'op', caPassphrase: 'the passphrase', vaultSecret: 'vault secret', certDays: 30 });
    assert.throws(() => usersOptionsFromConfig({ caDir: 'op', caPassphraseFile: file, vaultSecretEnv: 'BSN_TEST_UNSET_VARIABLE', certDays: 1 }), { code: 'GATEWAY_USERS_CONFIG' });
    assert.throws(() => usersOptionsFromConfig({ caDir: 'op', caPassphraseFile: path.join(dir, 'absent'), vaultSecretEnv: 'BSN_TEST_VAULT', certDays: 1 }), { code: 'GATEWAY_USERS_CONFIG' });
    delete process.env['BSN_TEST_VAULT'];
  });

  await t.test('the vault seals under the secret and the owner; a wrong secret is refused at open', async () => {
    const sub = store.sublevel('vault-test');
    const vault = await HostedKeyVault.open(sub, 's3cret', { scryptN: 1 << 12 });
    await fc.assert(
      fc.property(fc.uint8Array({ minLength: 1, maxLength: 200 }), fc.string({ minLength: 1, maxLength: 40 }), (plain, owner) => {
        const sealed = vault.seal(plain, owner);
        assert.deepEqual(new Uint8Array(vault.unseal(sealed, owner)), plain);
        assert.ok(!Buffer.from(sealed.slice(3), 'base64').includes(Buffer.from(plain)) || plain.length < 4);
        assert.throws(() => vault.unseal(sealed, `${owner}x`), { code: 'VAULT_UNSEAL_FAILED' });
        const bytes = Buffer.from(sealed.slice(3), 'base64');
        bytes[bytes.length - 1]! ^= 1;
        assert.throws(() => vault.unseal(`v1.${bytes.toString('base64')}`, owner), { code: 'VAULT_UNSEAL_FAILED' });
      }),
      { numRuns: 50 },
    );
    assert.throws(() => vault.unseal('garbage', 'o'), { code: 'VAULT_UNSEAL_FAILED' });
    // Reopened with the same secret it opens what it sealed; with another it refuses to start.
    const sealed = vault.seal(Uint8Array.of(1, 2, 3), 'o');
    assert.deepEqual([...(await HostedKeyVault.open(sub, 's3cret')).unseal(sealed, 'o')], [1, 2, 3]);
    await assert.rejects(HostedKeyVault.open(sub, 'other'), { code: 'GATEWAY_VAULT_SECRET' });
    await assert.rejects(HostedKeyVault.open(store.sublevel('vault-empty'), ''), { code: 'GATEWAY_VAULT_SECRET' });
  });

  await t.test('the issuer certifies CSR keys as users of one app, and refuses a root CA or a wrong passphrase', async () => {
    const pki = await makeTestPki('sm2');
    t.after(() => pki.cleanup());
    const op = path.join(pki.dir, 'op1');
    await assert.rejects(UserCertIssuer.open(op, 'wrong'), { code: 'PKI_WRONG_PASSPHRASE' });
    await assert.rejects(UserCertIssuer.open(path.join(pki.dir, 'root'), PASSPHRASE), { code: 'PKI_POLICY' });
    const issuer = await UserCertIssuer.open(op, PASSPHRASE, 10);
    assert.equal(issuer.caSuite, 'sm2');
    const key = getSuite('ecdsa-p256').generateKeyPair().privateKey;
    const cert = issuer.issue(createCsr(leafSubject({ kind: 'node', name: 'asks-to-be-a-node', app: 'other' }), key), { name: 'alice', appId: 'demo' });
    assert.equal(cert.subjectText, 'OU=user, OU=app:demo, CN=alice');
    const result = validateChain({ roots: [parseCertificatePem(pki.rootPem)], intermediates: [parseCertificatePem(pki.operatorPem)], leaf: cert, crls: [], purpose: 'client' });
    assert.deepEqual(result.identity, { role: 'user', app: 'demo' });
    assert.ok(cert.notAfter.getTime() - Date.now() <= 10 * 86_400_000);
    const hosted = issuer.hostedKey('ed25519');
    assert.equal(issuer.issue(hosted.csr, { name: 'bob', appId: 'demo' }).suite, 'ed25519');
    assert.ok(exportPkcs8(hosted.privateKey).length > 0);
    assert.throws(() => issuer.hostedKey('secp256k1'), { code: 'PKI_UNSUPPORTED_ALGORITHM' });
  });

  await t.test('API keys: only the hash is kept; malformed, unknown, revoked and foreign keys are refused', async () => {
    const keys = await ApiKeyRegistry.open(store.sublevel('apikeys'));
    const { record, key } = await keys.create('demo', 'AA:BB', 'ci');
    assert.equal(keys.check(key, 'demo').id, record.id);
    assert.throws(() => keys.check(key, 'other'), { code: 'APIKEY_WRONG_APP' });
    assert.throws(() => keys.check(`${key}x`, 'demo'), { code: 'APIKEY_INVALID' });
    fc.assert(fc.property(fc.string({ maxLength: 60 }), (k) => assert.throws(() => keys.check(k, 'demo'), { code: 'APIKEY_INVALID' })));
    const reopened = await ApiKeyRegistry.open(store.sublevel('apikeys'));
    assert.equal(reopened.check(key, 'demo').id, record.id);
    assert.ok(!JSON.stringify(reopened.list('demo')).includes(key));
    await reopened.revoke('demo', record.id);
    assert.throws(() => reopened.check(key, 'demo'), { code: 'APIKEY_INVALID' });
    await assert.rejects(reopened.revoke('demo', record.id), { code: 'APIKEY_NOT_FOUND' });
  });
});
