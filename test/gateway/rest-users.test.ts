import { test } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import { readdirSync, readFileSync } from 'node:fs';
import fc from 'fast-check';
import { Wallet, parseEther } from 'ethers';
import { getSuite } from '../../src/crypto/index.js';
import { buildKvTx } from '../../src/execution/index.js';
import { startGateway, type Gateway } from '../../src/gateway/index.js';
import { GatewayStore } from '../../src/gateway/store.js';
import { HostedKeyVault, UserRegistry } from '../../src/gateway/users/index.js';
import { createCsr, encodePem, parseCertificatePem, parseCsrPem, importPkcs8, exportPkcs8 } from '../../src/pki/index.js';
import { leafSubject } from '../../src/pki/index.js';
import { startSingleNode } from '../support/single-node.js';
import { signRequest } from '../../src/gateway/rest/index.js';
import { createRequire } from 'node:module';
import { expectError, hexOf, issueCaller, PASSPHRASE, restClient, type Caller } from './rest-users-support.js';

const VAULT_SECRET = 'the vault secret of this test gateway';

interface WsClient {
  on(event: 'open', listener: () => void): void;
  on(event: 'close', listener: (code: number) => void): void;
  on(event: 'error', listener: (err: Error) => void): void;
}
const WebSocket = createRequire(import.meta.url)('ws') as new (url: string, options: { headers: Record<string, string> }) => WsClient;

function csrPem(privateKey: ReturnType<ReturnType<typeof getSuite>['generateKeyPair']>['privateKey'], cn = 'whatever the client asks'): string {
  return encodePem('CERTIFICATE REQUEST', createCsr(leafSubject({ kind: 'org', name: cn }), privateKey).der);
}

/** Every file of a LevelDB directory, concatenated: what a thief of the disk would read. */
function storeBytes(dir: string): Buffer {
  return Buffer.concat(readdirSync(dir).map((f) => readFileSync(path.join(dir, f))));
}

test('gateway users: admin role, own-key and hosted users, deletion, against a real node', { timeout: 240_000 }, async (t) => {
  const funded = Wallet.createRandom();
  const { node, pki, stop } = await startSingleNode([
    { chainId: 'kv', app: 'kv' },
    { chainId: 'evm', app: 'evm', appState: { chainId: 4242, alloc: { [funded.address]: { balance: parseEther('10').toString() } } } },
  ]);
  t.after(stop);
  const storeDir = path.join(pki.dir, 'gateway-store');
  const users = { caDir: path.join(pki.dir, 'op1'), caPassphrase: PASSPHRASE, vaultSecret: VAULT_SECRET, scryptN: 1 << 14 };
  // A short re-check interval: an open events socket of a deleted user is closed (L8(5)).
  let gateway: Gateway | undefined = await startGateway(node, { listen: '127.0.0.1:0', storeDir, rest: { users }, traffic: { ws: { recheckIntervalMs: 200 } } });
  t.after(() => gateway?.close());
  let send = restClient(`http://${gateway.address}`, gateway.id);

  const kvAdmin = await issueCaller(pki, 'kv-admin', 'org', 'kv');
  const evmAdmin = await issueCaller(pki, 'evm-admin', 'org', 'evm');
  const orgAnyApp = await issueCaller(pki, 'org-any', 'org');
  const kvUser = await issueCaller(pki, 'kv-user', 'user', 'kv');
  const ownKey = getSuite('ed25519').generateKeyPair().privateKey;
  let dave: Caller | undefined;
  let hostedKvAddress = '';

  await t.test('own-key: a CSR becomes a user certificate of the app; the user transacts with its own key', async () => {
    const created = await send(kvAdmin, 'POST', '/apps/kv/users', { name: 'dave', mode: 'own-key', csr: csrPem(ownKey) });
    assert.equal(created.status, 201, JSON.stringify(created.json));
    const cert = parseCertificatePem(created.json['certificate'] as string);
    assert.equal(cert.subjectText, 'OU=user, OU=app:kv, CN=dave');
    assert.deepEqual(cert.extensions.identity, { role: 'user', app: 'kv' });
    assert.deepEqual(cert.publicKey.bytes, ownKey.publicKey.bytes);
    assert.equal(created.json['fingerprint'], cert.fingerprint);
    assert.equal(created.json['serial'], cert.serial);
    assert.equal(created.json['suite'], 'ed25519');
    assert.equal(created.json['address'], undefined);
    dave = { certPem: created.json['certificate'] as string, keyPem: ownKey };

    const tx = buildKvTx({ chainId: 'kv', privateKey: ownKey, nonce: 0, ops: [{ type: 'put', key: Buffer.from('own'), value: Buffer.from('key') }] });
    const submitted = await send(dave, 'POST', '/apps/kv/transactions?wait=commit', { tx: `0x${Buffer.from(tx).toString('hex')}` });
    assert.equal(submitted.status, 200, JSON.stringify(submitted.json));
    const found = await send(dave, 'GET', `/apps/kv/transactions/${submitted.json['hash'] as string}`);
    assert.equal(found.status, 200, JSON.stringify(found.json));
    assert.equal(found.json['status'], 'committed');
    assert.equal(found.json['height'], submitted.json['height']);
    assert.equal(found.json['index'], 0);
    assert.equal(found.json['nonce'], 0);
    assert.deepEqual((found.json['kv'] as { ops: unknown[] }).ops, [{ op: 'put', key: hexOf('own'), value: hexOf('key') }]);
  });

  await t.test('hosted (kv): the gateway makes the key, returns only the certificate, and signs writes for the admin', async () => {
    const created = await send(kvAdmin, 'POST', '/apps/kv/users', { name: 'erin', mode: 'hosted', suite: 'sm2' });
    assert.equal(created.status, 201, JSON.stringify(created.json));
    assert.equal(created.json['mode'], 'hosted');
    assert.equal(created.json['suite'], 'sm2');
    assert.deepEqual(Object.keys(created.json).filter((k) => /key/i.test(k)), []);
    hostedKvAddress = created.json['address'] as string;
    assert.match(hostedKvAddress, /^[0-9a-f]{40}$/);

    const put = await send(kvAdmin, 'POST', '/apps/kv/users/erin/transactions?wait=commit', { key: hexOf('colour'), value: hexOf('blue') });
    assert.equal(put.status, 200, JSON.stringify(put.json));
    assert.equal(put.json['from'], hostedKvAddress);
    assert.equal(put.json['nonce'], 0);
    const state = await send(kvAdmin, 'GET', `/apps/kv/state/${hexOf('colour')}`);
    assert.equal(state.json['value'], hexOf('blue'));
    const found = await send(kvAdmin, 'GET', `/apps/kv/transactions/${put.json['hash'] as string}`);
    assert.equal(found.json['from'], hostedKvAddress);
    assert.equal((found.json['kv'] as { suite: string }).suite, 'sm2');

    // Two at once: the gateway gives them consecutive nonces, and both commit.
    const [a, b] = await Promise.all([
      send(kvAdmin, 'POST', '/apps/kv/users/erin/transactions', { key: hexOf('a'), value: hexOf('1') }),
      send(kvAdmin, 'POST', '/apps/kv/users/erin/transactions', { key: hexOf('b'), value: hexOf('2') }),
    ]);
    assert.equal(a.status, 202, JSON.stringify(a.json));
    assert.equal(b.status, 202, JSON.stringify(b.json));
    assert.deepEqual([a.json['nonce'], b.json['nonce']].sort(), [1, 2]);
    for (const key of ['a', 'b']) {
      let value: unknown = null;
      for (let i = 0; i < 200 && value === null; i++) {
        value = (await send(kvAdmin, 'GET', `/apps/kv/state/${hexOf(key)}`)).json['value'];
        if (value === null) await new Promise((r) => setTimeout(r, 50));
      }
      assert.equal(value, hexOf(key === 'a' ? '1' : '2'));
    }
  });

  await t.test('hosted (EVM): an Ethereum key made by the gateway sends a committed transfer', async () => {
    const created = await send(evmAdmin, 'POST', '/apps/evm/users', { name: 'carol', mode: 'hosted' });
    assert.equal(created.status, 201, JSON.stringify(created.json));
    const carol = created.json['address'] as string;
    assert.match(carol, /^0x[0-9a-fA-F]{40}$/);
    const fund = await funded.signTransaction({ type: 2, chainId: 4242, nonce: 0, to: carol, value: parseEther('1'), gasLimit: 21_000, maxFeePerGas: 0, maxPriorityFeePerGas: 0 });
    assert.equal((await send(evmAdmin, 'POST', '/apps/evm/transactions?wait=commit', { tx: fund })).status, 200);

    const to = Wallet.createRandom().address;
    const sent = await send(evmAdmin, 'POST', '/apps/evm/users/carol/transactions?wait=commit', { to, value: '12345' });
    assert.equal(sent.status, 200, JSON.stringify(sent.json));
    assert.equal(sent.json['from'], carol.toLowerCase());
    const receipt = await send(evmAdmin, 'GET', `/apps/evm/transactions/${sent.json['hash'] as string}/receipt`);
    assert.equal(receipt.status, 200, JSON.stringify(receipt.json));
    assert.equal(receipt.json['status'], 1);
    assert.equal(String(receipt.json['from']).toLowerCase(), carol.toLowerCase());
    assert.equal(receipt.json['gasUsed'], '21000');
    const found = await send(evmAdmin, 'GET', `/apps/evm/transactions/${sent.json['hash'] as string}`);
    assert.equal(found.status, 200, JSON.stringify(found.json));
    assert.equal(found.json['status'], 'committed');
    assert.equal(found.json['height'], sent.json['height']);
    const evm = found.json['evm'] as { type: number; to: string; value: string; gas: string; data: string };
    assert.deepEqual({ ...evm, gas: undefined }, { type: 2, to: to.toLowerCase(), value: '12345', gas: undefined, data: '0x' });
    assert.ok(Number(evm.gas) >= 21_000, evm.gas);
    // No `to`: a deployment (init code returning the runtime 602a60005260206000f3, which returns 42).
    const deployed = await send(evmAdmin, 'POST', '/apps/evm/users/carol/transactions?wait=commit', { data: '0x69602a60005260206000f3600052600a6016f3' });
    assert.equal(deployed.status, 200, JSON.stringify(deployed.json));
    const deployReceipt = await send(evmAdmin, 'GET', `/apps/evm/transactions/${deployed.json['hash'] as string}/receipt`);
    const contract = deployReceipt.json['contractAddress'] as string;
    assert.match(contract, /^0x[0-9a-f]{40}$/i);
    assert.equal((await send(evmAdmin, 'POST', '/apps/evm/call', { to: contract })).json['result'], `0x${'00'.repeat(31)}2a`);
    // A transfer the account cannot pay for fails at the estimate, before anything is signed.
    expectError(await send(evmAdmin, 'POST', '/apps/evm/users/carol/transactions', { to, value: parseEther('5').toString() }), 400, 'REST_CALL_FAILED');
  });

  await t.test('a transaction held in the mempool (a nonce gap) is pending, without height', async () => {
    const gap = buildKvTx({ chainId: 'kv', privateKey: getSuite('ecdsa-p256').generateKeyPair().privateKey, nonce: 2, ops: [{ type: 'put', key: Buffer.from('gap'), value: Buffer.from('x') }] });
    const kvSent = await send(kvUser, 'POST', '/apps/kv/transactions', { tx: `0x${Buffer.from(gap).toString('hex')}` });
    assert.equal(kvSent.status, 202, JSON.stringify(kvSent.json));
    const kvFound = await send(kvUser, 'GET', `/apps/kv/transactions/${kvSent.json['hash'] as string}`);
    assert.deepEqual([kvFound.status, kvFound.json['status'], kvFound.json['height'], kvFound.json['index'], kvFound.json['nonce']], [200, 'pending', null, null, 2]);
    const evmGap = await funded.signTransaction({ type: 2, chainId: 4242, nonce: 5, to: funded.address, value: 1n, gasLimit: 21_000, maxFeePerGas: 0, maxPriorityFeePerGas: 0 });
    const evmSent = await send(evmAdmin, 'POST', '/apps/evm/transactions', { tx: evmGap });
    assert.equal(evmSent.status, 202, JSON.stringify(evmSent.json));
    const evmFound = await send(evmAdmin, 'GET', `/apps/evm/transactions/${evmSent.json['hash'] as string}`);
    assert.deepEqual([evmFound.status, evmFound.json['status'], evmFound.json['height'], evmFound.json['from'], evmFound.json['nonce']], [200, 'pending', null, funded.address.toLowerCase(), 5]);
  });

  await t.test('refusals: duplicates, unknown users, bad CSRs, non-admins, replays, unknown transactions', async () => {
    expectError(await send(kvAdmin, 'POST', '/apps/kv/users', { name: 'erin', mode: 'hosted' }), 409, 'USER_EXISTS');
    expectError(await send(kvAdmin, 'GET', '/apps/kv/users/nobody'), 404, 'USER_NOT_FOUND');
    expectError(await send(kvAdmin, 'DELETE', '/apps/kv/users/nobody'), 404, 'USER_NOT_FOUND');
    expectError(await send(kvAdmin, 'POST', '/apps/kv/users/nobody/transactions', { key: '0x01', value: '0x02' }), 404, 'USER_NOT_FOUND');
    expectError(await send(kvAdmin, 'POST', '/apps/kv/users/dave/transactions', { key: '0x01', value: '0x02' }), 409, 'USER_NOT_HOSTED');
    expectError(await send(kvAdmin, 'POST', '/apps/kv/users/erin/transactions', { to: Wallet.createRandom().address }), 400, 'REST_BAD_REQUEST');

    expectError(await send(kvAdmin, 'POST', '/apps/kv/users', { name: 'x1', mode: 'own-key', csr: 'not a PEM' }), 400, 'PKI_PEM_INVALID');
    const good = parseCsrPem(csrPem(getSuite('ecdsa-p256').generateKeyPair().privateKey));
    const tampered = new Uint8Array(good.der);
    tampered[tampered.length - 5]! ^= 0x01;
    expectError(await send(kvAdmin, 'POST', '/apps/kv/users', { name: 'x2', mode: 'own-key', csr: encodePem('CERTIFICATE REQUEST', tampered) }), 400, 'PKI_CSR_SIGNATURE_INVALID');
    expectError(await send(kvAdmin, 'POST', '/apps/kv/users', { name: 'x3', mode: 'hosted', suite: 'secp256k1' }), 400, 'REST_BAD_REQUEST');
    expectError(await send(kvAdmin, 'POST', '/apps/kv/users', { name: 'x4', mode: 'own-key' }), 400, 'REST_BAD_REQUEST');
    expectError(await send(kvAdmin, 'POST', '/apps/kv/users', { name: 'x5', mode: 'hosted', csr: csrPem(ownKey) }), 400, 'REST_BAD_REQUEST');
    expectError(await send(kvAdmin, 'POST', '/apps/kv/users', { name: '../x', mode: 'hosted' }), 400, 'REST_BAD_REQUEST');

    expectError(await send(kvUser, 'POST', '/apps/kv/users', { name: 'y1', mode: 'hosted' }), 403, 'AUTH_NOT_APP_ADMIN');
    expectError(await send(kvUser, 'GET', '/apps/kv/users'), 403, 'AUTH_NOT_APP_ADMIN');
    expectError(await send(orgAnyApp, 'GET', '/apps/kv/users'), 403, 'AUTH_NOT_APP_ADMIN');
    expectError(await send(kvUser, 'POST', '/apps/kv/users/erin/transactions', { key: '0x01', value: '0x02' }), 403, 'AUTH_NOT_APP_ADMIN');
    expectError(await send(evmAdmin, 'GET', '/apps/kv/users'), 403, 'AUTH_FORBIDDEN');
    expectError(await send(undefined, 'GET', '/apps/kv/users'), 401, 'AUTH_MISSING');

    const nonce = new Uint8Array(16).fill(7);
    assert.equal((await send(kvAdmin, 'POST', '/apps/kv/users', { name: 'once', mode: 'hosted' }, { nonce })).status, 201);
    expectError(await send(kvAdmin, 'POST', '/apps/kv/users', { name: 'once', mode: 'hosted' }, { nonce }), 409, 'AUTH_REPLAY');

    expectError(await send(kvAdmin, 'GET', `/apps/kv/transactions/0x${'ab'.repeat(32)}`), 404, 'TX_NOT_FOUND');
    expectError(await send(evmAdmin, 'GET', `/apps/evm/transactions/0x${'ab'.repeat(32)}`), 404, 'TX_NOT_FOUND');
    expectError(await send(kvAdmin, 'GET', '/apps/kv/transactions/0x1234'), 400, 'REST_BAD_REQUEST');

    const list = await send(kvAdmin, 'GET', '/apps/kv/users');
    assert.deepEqual((list.json['users'] as { name: string }[]).map((u) => u.name).sort(), ['dave', 'erin', 'once']);
  });

  await t.test('a deleted user is refused by the gateway although its certificate still chains', async () => {
    assert.equal((await send(dave, 'GET', '/apps/kv/blocks/1')).status, 200);
    const eventsPath = '/apps/kv/events';
    const socket = new WebSocket(`ws://${gateway!.address}${eventsPath}`, { headers: signRequest({ gateway: gateway!.id, method: 'GET', path: eventsPath, appId: 'kv', certPem: dave!.certPem, privateKey: dave!.keyPem }) });
    await new Promise<void>((resolve, reject) => {
      socket.on('open', () => resolve());
      socket.on('error', reject);
    });
    const socketClosed = new Promise<number>((resolve) => socket.on('close', (code: number) => resolve(code)));
    const deleted = await send(kvAdmin, 'DELETE', '/apps/kv/users/dave');
    assert.equal(deleted.status, 204, JSON.stringify(deleted.json));
    // Its open events socket goes too, at the next re-check (L8(5)).
    assert.equal(await socketClosed, 4401);
    const tx = buildKvTx({ chainId: 'kv', privateKey: ownKey, nonce: 1, ops: [{ type: 'put', key: Buffer.from('own'), value: Buffer.from('again') }] });
    expectError(await send(dave, 'POST', '/apps/kv/transactions', { tx: `0x${Buffer.from(tx).toString('hex')}` }), 403, 'USER_DELETED');
    expectError(await send(dave, 'GET', '/apps/kv/blocks/1'), 403, 'USER_DELETED');
    expectError(await send(kvAdmin, 'GET', '/apps/kv/users/dave'), 404, 'USER_NOT_FOUND');
    // The name is free again; the new certificate is a new user.
    const again = await send(kvAdmin, 'POST', '/apps/kv/users', { name: 'dave', mode: 'hosted' });
    assert.equal(again.status, 201, JSON.stringify(again.json));
  });

  await t.test('fuzzed user and hosted-transaction bodies: never a 500, nothing changes on a refusal', async () => {
    const names = async () => ((await send(kvAdmin, 'GET', '/apps/kv/users')).json['users'] as { name: string }[]).map((u) => u.name).sort();
    const created: string[] = [];
    const body = fc.oneof(
      fc.anything(),
      fc.record({ name: fc.oneof(fc.string(), fc.constant('')), mode: fc.oneof(fc.constantFrom('own-key', 'hosted', 'other'), fc.anything()), csr: fc.oneof(fc.string(), fc.constant('-----BEGIN CERTIFICATE REQUEST-----\nAAAA\n-----END CERTIFICATE REQUEST-----\n')), suite: fc.oneof(fc.constantFrom('sm2', 'secp256k1', 'rsa'), fc.anything()) }, { requiredKeys: [] }),
    );
    await fc.assert(
      fc.asyncProperty(body, async (value) => {
        const before = await names();
        const text = JSON.stringify(value) ?? 'null';
        const reply = await send(kvAdmin, 'POST', '/apps/kv/users', undefined, { raw: text });
        assert.ok(reply.status < 500, `${reply.status} ${JSON.stringify(reply.json)} for ${text}`);
        if (reply.status === 201) created.push(reply.json['name'] as string);
        else {
          assert.deepEqual(await names(), before);
          assert.match(reply.json.error?.code ?? '', /^[A-Z_]+$/);
        }
      }),
      { numRuns: 60 },
    );
    // A generated body that happens to be valid registers a user: remove those for the checks below.
    for (const name of created) assert.equal((await send(kvAdmin, 'DELETE', `/apps/kv/users/${name}`)).status, 204);
    const height = node.chains.get('kv')!.store.height;
    const pool = node.chains.get('kv')!.mempool.count;
    let accepted = 0;
    const txBody = fc.oneof(fc.anything(), fc.record({ key: fc.oneof(fc.string(), fc.constant('0x')), value: fc.oneof(fc.string(), fc.constant('0x0g')), to: fc.string(), gas: fc.anything() }, { requiredKeys: [] }));
    await fc.assert(
      fc.asyncProperty(txBody, async (value) => {
        const text = JSON.stringify(value) ?? 'null';
        const reply = await send(kvAdmin, 'POST', '/apps/kv/users/erin/transactions', undefined, { raw: text });
        assert.ok(reply.status < 500, `${reply.status} ${JSON.stringify(reply.json)} for ${text}`);
        if (reply.status === 202) accepted++;
      }),
      { numRuns: 60 },
    );
    if (accepted === 0) {
      assert.equal(node.chains.get('kv')!.store.height, height);
      assert.equal(node.chains.get('kv')!.mempool.count, pool);
    }
  });

  await t.test('hosted keys are sealed at rest; the store survives a restart; a wrong vault secret is refused', async () => {
    await gateway!.close();
    gateway = undefined;
    const store = await GatewayStore.open(storeDir);
    const registry = await UserRegistry.open(store.sublevel('users'));
    const erin = (await registry.get('kv', 'erin'))!;
    const carol = (await registry.get('evm', 'carol'))!;
    const vault = await HostedKeyVault.open(store.sublevel('users'), VAULT_SECRET);
    const pkcs8 = vault.unseal(erin.sealedKey!, 'kv/erin/cert');
    const ethKey = vault.unseal(carol.sealedEthKey!, 'evm/carol/eth');
    assert.equal(importPkcs8(pkcs8).suite, 'sm2');
    assert.equal(new Wallet(`0x${Buffer.from(ethKey).toString('hex')}`).address, carol.address);
    // A sealed key moved onto another user does not open.
    assert.throws(() => vault.unseal(erin.sealedKey!, 'kv/dave/cert'), { code: 'VAULT_UNSEAL_FAILED' });
    await assert.rejects(HostedKeyVault.open(store.sublevel('users'), 'not the secret'), { code: 'GATEWAY_VAULT_SECRET' });
    await store.close();

    const disk = storeBytes(storeDir);
    const scalar = exportPkcs8(importPkcs8(pkcs8));
    for (const secret of [Buffer.from(pkcs8), Buffer.from(scalar.subarray(-32)), Buffer.from(ethKey)]) {
      for (const form of [secret, Buffer.from(secret.toString('hex')), Buffer.from(secret.toString('base64'))]) assert.equal(disk.indexOf(form), -1);
    }

    gateway = await startGateway(node, { listen: '127.0.0.1:0', storeDir, rest: { users } });
    send = restClient(`http://${gateway.address}`, gateway.id);
    const list = await send(kvAdmin, 'GET', '/apps/kv/users');
    assert.deepEqual((list.json['users'] as { name: string }[]).map((u) => u.name).sort(), ['dave', 'erin', 'once']);
    expectError(await send(dave, 'GET', '/apps/kv/blocks/1'), 403, 'USER_DELETED');
    const put = await send(kvAdmin, 'POST', '/apps/kv/users/erin/transactions?wait=commit', { key: hexOf('after'), value: hexOf('restart') });
    assert.equal(put.status, 200, JSON.stringify(put.json));
    assert.ok((put.json['nonce'] as number) >= 3);
    assert.equal(put.json['from'], hostedKvAddress);
  });

  await t.test('without gateway.users, user routes answer 503; the routes are in the OpenAPI document', async () => {
    const bare = await startGateway(node, { listen: '127.0.0.1:0', storeDir: path.join(pki.dir, 'bare-store'), rest: {} });
    try {
      const bareSend = restClient(`http://${bare.address}`, bare.id);
      expectError(await bareSend(kvAdmin, 'POST', '/apps/kv/users', { name: 'z', mode: 'hosted' }), 503, 'USERS_NOT_CONFIGURED');
      expectError(await bareSend(kvAdmin, 'GET', '/apps/kv/users'), 503, 'USERS_NOT_CONFIGURED');
      expectError(await bareSend(kvUser, 'GET', '/apps/kv/users'), 403, 'AUTH_NOT_APP_ADMIN');
      const doc = (await (await fetch(`http://${bare.address}/docs/json`)).json()) as { paths: Record<string, Record<string, { security?: unknown[] }>> };
      for (const [p, m] of [
        ['/apps/{appId}/transactions/{hash}', 'get'],
        ['/apps/{appId}/users', 'post'],
        ['/apps/{appId}/users', 'get'],
        ['/apps/{appId}/users/{name}', 'get'],
        ['/apps/{appId}/users/{name}', 'delete'],
        ['/apps/{appId}/users/{name}/transactions', 'post'],
      ] as const) assert.ok(doc.paths[p]?.[m], `${m} ${p}`);
      assert.deepEqual(doc.paths['/apps/{appId}/users']!['post']!.security, [{ bsnSignature: [] }]);
      assert.deepEqual(doc.paths['/apps/{appId}/transactions/{hash}']!['get']!.security, [{ bsnSignature: [] }, { bsnApiKey: [] }]);
    } finally {
      await bare.close();
    }
  });
});

