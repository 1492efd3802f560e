import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { createRequire } from 'node:module';
import path from 'node:path';
import { readdirSync, readFileSync } from 'node:fs';
import fc from 'fast-check';
import { Wallet, parseEther } from 'ethers';
import { getSuite } from '../../src/crypto/index.js';
import { buildKvTx } from '../../src/execution/index.js';
import { startGateway } from '../../src/gateway/index.js';
import { startSingleNode } from '../support/single-node.js';
import { expectError, hexOf, issueCaller, PASSPHRASE, restClient } from './rest-users-support.js';

const RETURNS_42 = '0x1111111111111111111111111111111111111111';

interface WsClient {
  send(data: string): void;
  close(): void;
  on(event: 'message', f: (data: Buffer) => void): void;
  on(event: 'open', f: () => void): void;
  on(event: 'error', f: (err: Error) => void): void;
  on(event: 'unexpected-response', f: (req: unknown, res: { statusCode: number }) => void): void;
}
const WebSocket = createRequire(import.meta.url)('ws') as new (url: string, options?: { headers?: Record<string, string> }) => WsClient;

/** Opens the app's event socket with an API key; the HTTP status when the upgrade is refused. */
async function openEvents(base: string, appId: string, apiKey: string): Promise<WsClient | number> {
  const ws = new WebSocket(`ws://${base}/apps/${appId}/events`, { headers: { 'x-api-key': apiKey } });
  return new Promise((resolve, reject) => {
    ws.on('open', () => resolve(ws));
    ws.on('unexpected-response', (_req, res) => resolve(res.statusCode));
    ws.on('error', reject);
  });
}

test('API keys: admin-made, read-only, per app, revocable', { timeout: 180_000 }, async (t) => {
  const funded = Wallet.createRandom();
  const { node, pki, stop } = await startSingleNode([
    { chainId: 'kv', app: 'kv' },
    { chainId: 'evm', app: 'evm', appState: { chainId: 4242, alloc: { [funded.address]: { balance: parseEther('10').toString() }, [RETURNS_42]: { code: '0x602a60005260206000f3' } } } },
  ]);
  t.after(stop);
  const storeDir = path.join(pki.dir, 'gateway-store');
  const gateway = await startGateway(node, { listen: '127.0.0.1:0', storeDir, rest: { users: { caDir: path.join(pki.dir, 'op1'), caPassphrase: PASSPHRASE, vaultSecret: 'v', scryptN: 1 << 14 } } });
  let closed = false;
  t.after(() => (closed ? undefined : gateway.close()));
  const send = restClient(`http://${gateway.address}`, gateway.id);
  const kvAdmin = await issueCaller(pki, 'kv-admin', 'org', 'kv');
  const evmAdmin = await issueCaller(pki, 'evm-admin', 'org', 'evm');
  const kvUser = await issueCaller(pki, 'kv-user', 'user', 'kv');

  // Something to read: a committed kv write and a committed EVM transfer.
  const tx = buildKvTx({ chainId: 'kv', privateKey: getSuite('ecdsa-p256').generateKeyPair().privateKey, nonce: 0, ops: [{ type: 'put', key: Buffer.from('k'), value: Buffer.from('v') }] });
  const kvHash = (await send(kvUser, 'POST', '/apps/kv/transactions?wait=commit', { tx: `0x${Buffer.from(tx).toString('hex')}` })).json['hash'] as string;
  const transfer = await funded.signTransaction({ type: 2, chainId: 4242, nonce: 0, to: Wallet.createRandom().address, value: 1n, gasLimit: 21_000, maxFeePerGas: 0, maxPriorityFeePerGas: 0 });
  const evmHash = (await send(evmAdmin, 'POST', '/apps/evm/transactions?wait=commit', { tx: transfer })).json['hash'] as string;

  const made = await send(kvAdmin, 'POST', '/apps/kv/apikeys', { label: 'dashboard' });
  const evmKey = (await send(evmAdmin, 'POST', '/apps/evm/apikeys', {})).json['key'] as string;
  let kvKey = '';

  await t.test('the admin makes a key, shown once; the list has ids, never keys', async () => {
    assert.equal(made.status, 201, JSON.stringify(made.json));
    kvKey = made.json['key'] as string;
    assert.match(kvKey, /^bsnk_[A-Za-z0-9_-]{43}$/);
    assert.equal(made.json['label'], 'dashboard');
    const list = await send(kvAdmin, 'GET', '/apps/kv/apikeys');
    assert.equal(list.status, 200);
    assert.deepEqual((list.json['keys'] as { id: string }[]).map((k) => k.id), [made.json['id']]);
    assert.ok(!JSON.stringify(list.json).includes(kvKey));
    assert.equal((list.json['keys'] as { createdBy: string }[])[0]!.createdBy.length, 95);
    expectError(await send(kvUser, 'POST', '/apps/kv/apikeys', {}), 403, 'AUTH_NOT_APP_ADMIN');
    expectError(await send(kvUser, 'GET', '/apps/kv/apikeys'), 403, 'AUTH_NOT_APP_ADMIN');
  });

  await t.test('read-only routes answer an API key of the app', async () => {
    const read = (p: string, key = kvKey) => send(undefined, 'GET', p, undefined, { apiKey: key });
    assert.equal((await read('/apps/kv/blocks/1')).status, 200);
    assert.equal((await read(`/apps/kv/state/${hexOf('k')}`)).json['value'], hexOf('v'));
    const found = await read(`/apps/kv/transactions/${kvHash}`);
    assert.equal(found.status, 200, JSON.stringify(found.json));
    assert.equal(found.json['status'], 'committed');
    assert.equal((await read(`/apps/evm/transactions/${evmHash}/receipt`, evmKey)).json['status'], 1);
    assert.equal((await read(`/apps/evm/transactions/${evmHash}`, evmKey)).json['status'], 'committed');
    const call = await send(undefined, 'POST', '/apps/evm/call', { to: RETURNS_42 }, { apiKey: evmKey });
    assert.equal(call.json['result'], `0x${'00'.repeat(31)}2a`);
  });

  await t.test('writes and admin routes never take an API key; a key of another app is 403', async () => {
    const raw = `0x${Buffer.from(tx).toString('hex')}`;
    expectError(await send(undefined, 'POST', '/apps/kv/transactions', { tx: raw }, { apiKey: kvKey }), 401, 'APIKEY_NOT_ALLOWED');
    expectError(await send(undefined, 'POST', '/apps/kv/users', { name: 'x', mode: 'hosted' }, { apiKey: kvKey }), 401, 'APIKEY_NOT_ALLOWED');
    expectError(await send(undefined, 'POST', '/apps/kv/apikeys', {}, { apiKey: kvKey }), 401, 'APIKEY_NOT_ALLOWED');
    expectError(await send(undefined, 'GET', '/apps/kv/apikeys', undefined, { apiKey: kvKey }), 401, 'APIKEY_NOT_ALLOWED');
    expectError(await send(undefined, 'GET', '/apps/kv/blocks/1', undefined, { apiKey: evmKey }), 403, 'APIKEY_WRONG_APP');
    expectError(await send(undefined, 'GET', '/apps/kv/blocks/1', undefined, { apiKey: 'bsnk_' + 'A'.repeat(43) }), 401, 'APIKEY_INVALID');
    expectError(await send(undefined, 'GET', '/apps/kv/blocks/1', undefined, { apiKey: 'nonsense' }), 401, 'APIKEY_INVALID');
    // A signature and a key together are ambiguous.
    expectError(await send(kvUser, 'GET', '/apps/kv/blocks/1', undefined, { apiKey: kvKey }), 401, 'AUTH_MALFORMED');
    expectError(await send(undefined, 'GET', '/apps/nope/blocks/1', undefined, { apiKey: kvKey }), 404, 'APP_NOT_FOUND');
  });

  await t.test('a replayed admin request is 409; fuzzed bodies never 500 and change nothing when refused', async () => {
    const nonce = new Uint8Array(20).fill(3);
    assert.equal((await send(kvAdmin, 'POST', '/apps/kv/apikeys', { label: 'replayed' }, { nonce })).status, 201);
    expectError(await send(kvAdmin, 'POST', '/apps/kv/apikeys', { label: 'replayed' }, { nonce }), 409, 'AUTH_REPLAY');
    const ids = async () => ((await send(kvAdmin, 'GET', '/apps/kv/apikeys')).json['keys'] as { id: string }[]).map((k) => k.id).sort();
    const made: string[] = [];
    await fc.assert(
      fc.asyncProperty(fc.oneof(fc.anything(), fc.record({ label: fc.oneof(fc.string({ maxLength: 120 }), fc.anything()) }, { requiredKeys: [] })), async (value) => {
        const before = await ids();
        const text = JSON.stringify(value) ?? 'null';
        const reply = await send(kvAdmin, 'POST', '/apps/kv/apikeys', undefined, { raw: text });
        assert.ok(reply.status < 500, `${reply.status} ${JSON.stringify(reply.json)} for ${text}`);
        if (reply.status === 201) made.push(reply.json['id'] as string);
        else assert.deepEqual(await ids(), before);
      }),
      { numRuns: 60 },
    );
    for (const id of made) assert.equal((await send(kvAdmin, 'DELETE', `/apps/kv/apikeys/${id}`)).status, 204);
    await fc.assert(
      // '.' and '..' are dot segments: fetch removes them from the path it sends, so the request
      // the gateway gets is not the one that was signed (401), whatever the id.
      fc.asyncProperty(fc.string({ maxLength: 80 }).filter((id) => id !== '.' && id !== '..'), async (id) => {
        const before = await ids();
        const reply = await send(kvAdmin, 'DELETE', `/apps/kv/apikeys/${encodeURIComponent(id)}`);
        assert.ok(reply.status === 404 || reply.status === 400, `${reply.status} for ${id}`);
        assert.deepEqual(await ids(), before);
      }),
      { numRuns: 40 },
    );
  });

  await t.test('an API key opens the app\'s event socket (reads only); another app\'s key does not', async () => {
    const ws = await openEvents(gateway.address, 'kv', kvKey);
    assert.ok(typeof ws !== 'number', `upgrade refused with ${String(ws)}`);
    const first = new Promise<Record<string, unknown>>((resolve) => ws.on('message', (data) => {
      const m = JSON.parse(data.toString('utf8')) as Record<string, unknown>;
      if (m['event']) resolve(m);
    }));
    ws.send(JSON.stringify({ op: 'subscribe', id: 's1', type: 'blocks', fromHeight: 1 }));
    const event = (await first)['event'] as Record<string, unknown>;
    assert.equal(event['height'], 1);
    ws.close();
    assert.equal(await openEvents(gateway.address, 'kv', evmKey), 403);
    assert.equal(await openEvents(gateway.address, 'kv', 'bsnk_' + 'A'.repeat(43)), 401);
  });

  await t.test('a revoked key stops working at once; the store holds only the keys\' hashes', async () => {
    const id = made.json['id'] as string;
    assert.equal((await send(kvAdmin, 'DELETE', `/apps/kv/apikeys/${id}`)).status, 204);
    expectError(await send(undefined, 'GET', '/apps/kv/blocks/1', undefined, { apiKey: kvKey }), 401, 'APIKEY_INVALID');
    expectError(await send(kvAdmin, 'DELETE', `/apps/kv/apikeys/${id}`), 404, 'APIKEY_NOT_FOUND');
    assert.equal((await send(undefined, 'GET', '/apps/evm/blocks/1', undefined, { apiKey: evmKey })).status, 200);
    await gateway.close();
    closed = true;
    const disk = Buffer.concat(readdirSync(storeDir).map((f) => readFileSync(path.join(storeDir, f))));
    assert.notEqual(disk.indexOf(createHash('sha256').update(evmKey).digest('hex')), -1, 'the record (its hash) is on disk');
    assert.equal(disk.indexOf(evmKey), -1);
    assert.equal(disk.indexOf(evmKey.slice(5)), -1);
  });
});
