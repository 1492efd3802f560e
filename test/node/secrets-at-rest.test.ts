/*
 * Secrets at rest (review L5): the data directory and the gateway store are 0700 whatever the
 * umask; key and secret files that group or others may read are warned about, by name; webhook
 * secrets are sealed by the vault in the gateway store.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { chmodSync, mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Writable } from 'node:stream';
import { pino } from 'pino';
import { GatewayStore } from '../../src/gateway/store.js';
import { HostedKeyVault } from '../../src/gateway/users/index.js';
import { initialState, WebhookStore, type WebhookDefinition } from '../../src/gateway/events/webhook-store.js';
import { parseNodeConfig } from '../../src/node/index.js';
import { operationsToken, warnReadableSecrets } from '../../src/node/secret-files.js';
import { startSingleNode } from '../support/single-node.js';

const mode = (p: string) => statSync(p).mode & 0o777;

test('the data directory and the gateway store are created 0700 under a permissive umask', async () => {
  const old = process.umask(0o002);
  try {
    const { node, stop } = await startSingleNode(['kv']);
    try {
      assert.equal(mode(node.config.dataDir), 0o700);
      assert.equal(mode(path.join(node.config.dataDir, 'wal')), 0o700);
    } finally {
      await stop();
    }
    const dir = mkdtempSync(path.join(tmpdir(), 'bsn-store-'));
    try {
      const store = await GatewayStore.open(path.join(dir, 'gateway'));
      await store.close();
      assert.equal(mode(path.join(dir, 'gateway')), 0o700);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  } finally {
    process.umask(old);
  }
});

test('key and secret files readable by group or others are warned about, each by name', () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'bsn-secrets-'));
  try {
    for (const f of ['key.pem', 'token.txt', 'pass.txt', 'vault.txt']) writeFileSync(path.join(dir, f), 'a-long-enough-secret-value\n', { mode: 0o600 });
    const config = parseNodeConfig(
      JSON.stringify({
        name: 'n', dataDir: 'd', network: { rootCert: 'r', crls: ['c'] }, tls: { cert: 'c', chain: ['o'], key: 'key.pem' }, p2p: { listen: '127.0.0.1:1' },
        http: { tokenFile: 'token.txt' },
        gateway: { listen: '127.0.0.1:2', users: { caDir: 'ca', caPassphraseFile: 'pass.txt', vaultSecretFile: 'vault.txt' } },
      }),
      dir,
    );
    const lines: { level: number; msg: string; file: string }[] = [];
    const log = pino({ level: 'info' }, new Writable({ write: (c: Buffer, _e, done) => (lines.push(JSON.parse(c.toString()) as (typeof lines)[number]), done()) }));
    assert.deepEqual(warnReadableSecrets(config, log), []);
    chmodSync(path.join(dir, 'key.pem'), 0o640);
    chmodSync(path.join(dir, 'vault.txt'), 0o604);
    assert.deepEqual(warnReadableSecrets(config, log), [path.join(dir, 'key.pem'), path.join(dir, 'vault.txt')]);
    assert.deepEqual(lines.map((l) => [l.level, l.file]), [[40, path.join(dir, 'key.pem')], [40, path.join(dir, 'vault.txt')]]);
    assert.match(lines[0]!.msg, /key\.pem' is readable by group or others/);
    assert.equal(operationsToken(config), 'a-long-enough-secret-value');
    writeFileSync(path.join(dir, 'token.txt'), 'short\n');
    assert.throws(() => operationsToken(config), { code: 'NODE_CONFIG_INVALID' });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('webhook secrets are sealed in the gateway store when it has a vault, and read back', async () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'bsn-hooks-'));
  const store = await GatewayStore.open(path.join(dir, 'gateway'));
  try {
    const vault = await HostedKeyVault.open(store.sublevel('users'), 'vault secret', { scryptN: 1 << 12 });
    const raw = store.sublevel('webhooks');
    const hooks = new WebhookStore(raw, vault);
    const secret = `whsec_${'ab'.repeat(32)}`;
    const def: WebhookDefinition = { id: 'h1', appId: 'app', url: 'https://example.com/h', type: 'blocks', secret, createdAt: 1, createdBy: 'CN=admin' };
    await hooks.create(def, initialState(1));
    const stored = (await raw.get('def!app!h1'))!;
    assert.ok(!stored.includes(secret) && !stored.includes('ab'.repeat(32)), stored);
    assert.match((JSON.parse(stored) as WebhookDefinition).secret, /^v1\./);
    assert.equal((await hooks.list('app'))[0]!.definition.secret, secret);
    // Sealed under its owner: the same sealed secret on another webhook's record does not open.
    await raw.put('def!app!h2', JSON.stringify({ ...(JSON.parse(stored) as WebhookDefinition), id: 'h2' }));
    await raw.put('state!app!h2', JSON.stringify(initialState(1)));
    await assert.rejects(hooks.list('app'), { code: 'VAULT_UNSEAL_FAILED' });
  } finally {
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  }
});
