import { test } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import { readFileSync } from 'node:fs';
import { Wallet, parseEther } from 'ethers';
import { getSuite } from '../../src/crypto/index.js';
import { buildKvTx } from '../../src/execution/index.js';
import { startGateway } from '../../src/gateway/index.js';
import { signRequest } from '../../src/gateway/rest/index.js';
import { issueLeaf } from '../../src/pki/index.js';
import type { TestPki } from '../support/network-pki.js';
import { startSingleNode } from '../support/single-node.js';

const PASSPHRASE = 'correct horse battery staple'; // the one test/support/network-pki.ts uses
const RETURNS_42 = '0x1111111111111111111111111111111111111111';
const REVERTS = '0x2222222222222222222222222222222222222222';

async function issueUser(pki: TestPki, name: string, app: string) {
  const out = path.join(pki.dir, `user-${name}`);
  await issueLeaf({ caDir: path.join(pki.dir, 'op1'), out, kind: 'user', name, app, secret: { passphrase: PASSPHRASE } });
  return { certPem: readFileSync(path.join(out, 'cert.pem'), 'utf8'), keyPem: readFileSync(path.join(out, 'key.pem'), 'utf8') };
}

interface Reply {
  status: number;
  json: Record<string, unknown> & { error?: { code: string; message: string; data?: string } };
}

test('the REST routes of the gateway, signed, against a real node', { timeout: 120_000 }, async (t) => {
  const funded = Wallet.createRandom();
  const { node, pki, stop } = await startSingleNode([
    { chainId: 'kv', app: 'kv' },
    {
      chainId: 'evm',
      app: 'evm',
      appState: {
        chainId: 4242,
        alloc: {
          [funded.address]: { balance: parseEther('10').toString() },
          [RETURNS_42]: { code: '0x602a60005260206000f3' },
          [REVERTS]: { code: '0x60006000fd' },
        },
      },
    },
  ]);
  t.after(stop);
  const gateway = await startGateway(node, { listen: '127.0.0.1:0', rest: { maxBodyBytes: 64 * 1024 } });
  t.after(() => gateway.close());
  const base = `http://${gateway.address}`;
  const alice = await issueUser(pki, 'alice', 'kv');
  const evan = await issueUser(pki, 'evan', 'evm');

  const send = async (caller: { certPem: string; keyPem: string } | undefined, method: string, reqPath: string, body?: unknown, options: { nonce?: Uint8Array; raw?: string } = {}): Promise<Reply> => {
    const text = options.raw ?? (body === undefined ? undefined : JSON.stringify(body));
    const appId = reqPath.split('/')[2]!;
    const headers = {
      ...(caller && signRequest({ gateway: gateway.id, method, path: reqPath, ...(text !== undefined && { body: text }), appId, certPem: caller.certPem, privateKey: caller.keyPem, ...(options.nonce && { nonce: options.nonce }) })),
      ...(text !== undefined && { 'content-type': 'application/json' }),
    };
    const response = await fetch(base + reqPath, { method, headers, ...(text !== undefined && { body: text }) });
    return { status: response.status, json: (await response.json()) as Reply['json'] };
  };
  const expectError = (reply: Reply, status: number, code: string | RegExp) => {
    assert.equal(reply.status, status, JSON.stringify(reply.json));
    assert.match(reply.json.error?.code ?? '', typeof code === 'string' ? new RegExp(`^${code}$`) : code);
  };

  const kvKey = getSuite('ecdsa-p256').generateKeyPair().privateKey;
  const enc = new TextEncoder();

  await t.test('a kv transaction commits, its value and block read back', async () => {
    const tx = buildKvTx({ chainId: 'kv', privateKey: kvKey, nonce: 0, ops: [{ type: 'put', key: enc.encode('greeting'), value: enc.encode('hello') }] });
    const submitted = await send(alice, 'POST', '/apps/kv/transactions?wait=commit', { tx: `0x${Buffer.from(tx).toString('hex')}` });
    assert.equal(submitted.status, 200, JSON.stringify(submitted.json));
    const { hash, height } = submitted.json as { hash: string; height: number };
    assert.match(hash, /^0x[0-9a-f]{64}$/);
    assert.ok(height >= 1);

    const state = await send(alice, 'GET', `/apps/kv/state/0x${Buffer.from('greeting').toString('hex')}`);
    assert.equal(state.status, 200, JSON.stringify(state.json));
    assert.equal(state.json['value'], `0x${Buffer.from('hello').toString('hex')}`);
    const absent = await send(alice, 'GET', '/apps/kv/state/0x00');
    assert.equal(absent.json['value'], null);

    const block = await send(alice, 'GET', `/apps/kv/blocks/${height}`);
    assert.equal(block.status, 200, JSON.stringify(block.json));
    assert.equal(block.json['height'], height);
    assert.deepEqual(block.json['txs'], [hash]);
    assert.match(String(block.json['hash']), /^0x[0-9a-f]{64}$/);
    assert.match(String(block.json['stateRoot']), /^0x[0-9a-f]+$/);
    assert.equal(typeof block.json['time'], 'number');
    expectError(await send(alice, 'GET', `/apps/kv/blocks/${height + 1000}`), 404, 'REST_NOT_FOUND');

    // The same tx again is a mempool (or committed) rejection with its own code.
    expectError(await send(alice, 'POST', '/apps/kv/transactions', { tx: `0x${Buffer.from(tx).toString('hex')}` }), 400, /^MEMPOOL_/);
    expectError(await send(alice, 'POST', '/apps/kv/transactions', { tx: '0xdeadbeef' }), 400, /^MEMPOOL_/);
  });

  await t.test('an ethers-signed EVM transfer, its receipt, and read-only calls', async () => {
    const to = Wallet.createRandom().address;
    const signed = await funded.signTransaction({ type: 2, chainId: 4242, nonce: 0, to, value: parseEther('1'), gasLimit: 21_000, maxFeePerGas: 0, maxPriorityFeePerGas: 0 });
    const submitted = await send(evan, 'POST', '/apps/evm/transactions', { tx: signed });
    assert.equal(submitted.status, 202, JSON.stringify(submitted.json));
    const hash = submitted.json['hash'] as string;
    let receipt: Reply | undefined;
    for (let i = 0; i < 100; i++) {
      receipt = await send(evan, 'GET', `/apps/evm/transactions/${hash}/receipt`);
      if (receipt.status === 200) break;
      expectError(receipt, 404, 'REST_NOT_FOUND');
      await new Promise((r) => setTimeout(r, 50));
    }
    assert.equal(receipt?.status, 200, JSON.stringify(receipt?.json));
    assert.equal(receipt!.json['txHash'], hash);
    assert.equal(receipt!.json['status'], 1);
    assert.equal(String(receipt!.json['from']).toLowerCase(), funded.address.toLowerCase());
    assert.equal(String(receipt!.json['to']).toLowerCase(), to.toLowerCase());
    assert.equal(receipt!.json['gasUsed'], '21000');
    const block = await send(evan, 'GET', `/apps/evm/blocks/${receipt!.json['height'] as number}`);
    assert.ok((block.json['txs'] as string[]).includes(hash));

    const call = await send(evan, 'POST', '/apps/evm/call', { to: RETURNS_42 });
    assert.equal(call.status, 200, JSON.stringify(call.json));
    assert.equal(call.json['result'], `0x${'00'.repeat(31)}2a`);
    const reverted = await send(evan, 'POST', '/apps/evm/call', { to: REVERTS, data: '0x1234', from: funded.address });
    expectError(reverted, 400, 'REST_CALL_FAILED');
    assert.equal(reverted.json.error?.data, '0x');
    // Routes of the other kind of app.
    expectError(await send(evan, 'GET', '/apps/evm/state/0x00'), 404, 'REST_WRONG_APP_KIND');
    expectError(await send(alice, 'POST', '/apps/kv/call', { to: RETURNS_42 }), 404, 'REST_WRONG_APP_KIND');
  });

  await t.test('authentication and bad input each get their status', async () => {
    const unsigned = await fetch(`${base}/apps/kv/blocks/1`);
    assert.equal(unsigned.status, 401);
    assert.equal(((await unsigned.json()) as Reply['json']).error?.code, 'AUTH_MISSING');

    const nonce = new Uint8Array(16).fill(9);
    assert.equal((await send(alice, 'GET', '/apps/kv/blocks/1', undefined, { nonce })).status, 200);
    expectError(await send(alice, 'GET', '/apps/kv/blocks/1', undefined, { nonce }), 409, 'AUTH_REPLAY');

    expectError(await send(alice, 'GET', '/apps/evm/blocks/1'), 403, 'AUTH_FORBIDDEN');
    expectError(await send(alice, 'GET', '/apps/nope/blocks/1'), 404, 'APP_NOT_FOUND');

    const bad = await send(alice, 'POST', '/apps/kv/transactions', { tx: 'not hex' });
    expectError(bad, 400, 'REST_BAD_REQUEST');
    assert.match(bad.json.error?.message ?? '', /body\/tx/);
    expectError(await send(alice, 'POST', '/apps/kv/transactions', { tx: '0x00', extra: 1 }), 400, 'REST_BAD_REQUEST');
    expectError(await send(alice, 'POST', '/apps/kv/transactions?wait=soon', { tx: '0x0000' }), 400, 'REST_BAD_REQUEST');
    expectError(await send(alice, 'GET', '/apps/kv/blocks/abc'), 400, 'REST_BAD_REQUEST');
    expectError(await send(alice, 'POST', '/apps/kv/transactions', undefined, { raw: '{"tx":' }), 400, 'REST_BAD_JSON');
    expectError(await send(alice, 'POST', '/apps/kv/transactions', { tx: `0x${'00'.repeat(64 * 1024)}` }), 413, 'REST_BODY_TOO_LARGE');
  });

  await t.test('the OpenAPI document lists the routes and the auth scheme; /docs serves the UI', async () => {
    const response = await fetch(`${base}/docs/json`);
    assert.equal(response.status, 200);
    const doc = (await response.json()) as { openapi: string; paths: Record<string, Record<string, { security?: unknown[] }>>; components: { securitySchemes: Record<string, unknown> } };
    assert.match(doc.openapi, /^3\./);
    for (const [p, m] of [
      ['/apps/{appId}/transactions', 'post'],
      ['/apps/{appId}/blocks/{height}', 'get'],
      ['/apps/{appId}/transactions/{hash}/receipt', 'get'],
      ['/apps/{appId}/call', 'post'],
      ['/apps/{appId}/state/{key}', 'get'],
    ] as const) {
      assert.ok(doc.paths[p]?.[m], `${m} ${p} in ${Object.keys(doc.paths).join(', ')}`);
      // Writes need a signature; reads also take an app's API key (docs/gateway-users.md).
      assert.deepEqual(doc.paths[p]![m]!.security, p === '/apps/{appId}/transactions' ? [{ bsnSignature: [] }] : [{ bsnSignature: [] }, { bsnApiKey: [] }]);
    }
    assert.equal(doc.paths['/apps/{chainId}/rpc'], undefined);
    assert.ok(doc.components.securitySchemes['bsnSignature']);
    const page = await fetch(`${base}/docs`);
    assert.equal(page.status, 200);
    assert.match(await page.text(), /swagger-ui/i);
    const ui = await fetch(`${base}/docs/static/index.html`);
    assert.equal(ui.status, 200);
    assert.match(await ui.text(), /swagger/i);
    const bundle = await fetch(`${base}/docs/static/swagger-ui-bundle.js`);
    assert.equal(bundle.status, 200);
    await bundle.arrayBuffer();
  });
});
