import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { Wallet, parseEther } from 'ethers';
import { startGateway, type GatewayOptions } from '../../src/gateway/index.js';
import { secondsToNextUtcDay } from '../../src/gateway/quota/index.js';
import { signRequest } from '../../src/gateway/rest/index.js';
import { parseNodeConfig } from '../../src/node/index.js';
import { issueLeaf } from '../../src/pki/index.js';
import type { TestPki } from '../support/network-pki.js';
import { startSingleNode } from '../support/single-node.js';

const PASSPHRASE = 'correct horse battery staple'; // the one test/support/network-pki.ts uses

interface WsClient {
  on(event: 'open' | 'close', listener: () => void): void;
  on(event: 'message', listener: (data: Buffer) => void): void;
  on(event: 'error', listener: (err: Error) => void): void;
  on(event: 'unexpected-response', listener: (req: unknown, res: { statusCode: number; headers: Record<string, string> }) => void): void;
  send(data: string): void;
  close(): void;
}
const WebSocket = createRequire(import.meta.url)('ws') as new (url: string) => WsClient;

async function issueUser(pki: TestPki, name: string, app: string, kind: 'user' | 'org' = 'user') {
  const out = path.join(pki.dir, `user-${name}`);
  await issueLeaf({ caDir: path.join(pki.dir, 'op1'), out, kind, name, app, secret: { passphrase: PASSPHRASE } });
  return { certPem: readFileSync(path.join(out, 'cert.pem'), 'utf8'), keyPem: readFileSync(path.join(out, 'key.pem'), 'utf8') };
}

interface Reply {
  status: number;
  retryAfter: string | null;
  json: Record<string, unknown> & { error?: { code: string | number; message: string } };
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

test('quotas: requests per second and transactions per day, over REST, JSON-RPC and WebSocket', { timeout: 60_000 }, async (t) => {
  const funded = Wallet.createRandom();
  const evm = (chainId: string, evmChainId: number) => ({ chainId, app: 'evm' as const, appState: { chainId: evmChainId, alloc: { [funded.address]: { balance: parseEther('10').toString() } } } });
  const { node, pki, stop } = await startSingleNode([{ chainId: 'kv', app: 'kv' }, evm('evm', 4242), evm('evm2', 4343)]);
  t.after(stop);
  const options: GatewayOptions = {
    listen: '127.0.0.1:0',
    rest: {},
    quotas: { default: { txPerDay: 1000 }, apps: { kv: { requestsPerSecond: 1, burst: 3 }, evm: { txPerDay: 3 }, evm2: { requestsPerSecond: 1, burst: 2 } } },
    // No share kept for signed callers here, so anonymous JSON-RPC sees the whole budget
    // (the share is tested in traffic-limits.test.ts).
    traffic: { authenticatedShare: 0 },
  };
  let gateway = await startGateway(node, options);
  t.after(() => gateway.close());
  const alice = await issueUser(pki, 'alice', 'kv');
  const evan = await issueUser(pki, 'evan', 'evm');

  const send = async (caller: { certPem: string; keyPem: string }, method: string, reqPath: string, body?: unknown): Promise<Reply> => {
    const text = body === undefined ? undefined : JSON.stringify(body);
    const headers = { ...signRequest({ gateway: gateway.id, method, path: reqPath, ...(text !== undefined && { body: text }), appId: reqPath.split('/')[2]!, certPem: caller.certPem, privateKey: caller.keyPem }), ...(text !== undefined && { 'content-type': 'application/json' }) };
    const response = await fetch(`http://${gateway.address}${reqPath}`, { method, headers, ...(text !== undefined && { body: text }) });
    return { status: response.status, retryAfter: response.headers.get('retry-after'), json: (await response.json()) as Reply['json'] };
  };
  const rpc = async (chain: string, body: unknown): Promise<{ status: number; retryAfter: string | null; json: unknown }> => {
    const response = await fetch(gateway.rpcUrl(chain), { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
    return { status: response.status, retryAfter: response.headers.get('retry-after'), json: await response.json() };
  };
  const transfer = (nonce: number, chainId = 4242) => funded.signTransaction({ type: 2, chainId, nonce, to: Wallet.createRandom().address, value: 1n, gasLimit: 21_000, maxFeePerGas: 0, maxPriorityFeePerGas: 0 });
  const sendRaw = (id: number, raw: string) => ({ jsonrpc: '2.0', id, method: 'eth_sendRawTransaction', params: [raw] });

  await t.test('a burst over the requests per second gets 429 with Retry-After, and succeeds after waiting it', async () => {
    for (let i = 0; i < 3; i++) assert.equal((await send(alice, 'GET', '/apps/kv/state/0x00')).status, 200);
    const refused = await send(alice, 'GET', '/apps/kv/state/0x00');
    assert.equal(refused.status, 429, JSON.stringify(refused.json));
    assert.equal(refused.json.error?.code, 'QUOTA_REQUESTS_PER_SECOND');
    assert.equal(refused.retryAfter, '1');
    // Unsigned REST requests are refused by authentication and take no token of the app (M3):
    // they cannot use up the budget of its signed callers. Per-IP limits bound them instead.
    assert.equal((await fetch(`http://${gateway.address}/apps/kv/blocks/1`)).status, 401);
    await sleep(Number(refused.retryAfter) * 1000);
    assert.equal((await send(alice, 'GET', '/apps/kv/state/0x00')).status, 200);
    const metrics = (await node.metrics.render()).body;
    assert.match(metrics, /^bsn_gateway_quota_refusals_total\{app="kv",quota="QUOTA_REQUESTS_PER_SECOND"\} 1$/m);
    // Other apps are not affected.
    assert.equal((await send(evan, 'GET', '/apps/evm/blocks/0')).status, 400);
  });

  await t.test('JSON-RPC over HTTP and each WebSocket message take a request token', async (st) => {
    const chainIdCall = { jsonrpc: '2.0', id: 1, method: 'eth_chainId' };
    assert.equal((await rpc('evm2', chainIdCall)).status, 200);
    assert.equal((await rpc('evm2', chainIdCall)).status, 200);
    const refused = await rpc('evm2', chainIdCall);
    assert.equal(refused.status, 429);
    assert.equal(refused.retryAfter, '1');
    assert.deepEqual((refused.json as { error: { code: number } }).error.code, -32005);
    await sleep(2000); // the bucket is full again (burst 2 at 1/s)

    const socket = new WebSocket(gateway.rpcUrl('evm2', 'ws'));
    const messages: unknown[] = [];
    socket.on('message', (data) => messages.push(JSON.parse(data.toString('utf8'))));
    await new Promise<void>((resolve, reject) => {
      socket.on('open', resolve);
      socket.on('error', reject);
    });
    st.after(() => socket.close());
    // The upgrade request took one token; one message takes the other; the next is refused.
    socket.send(JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'eth_chainId' }));
    socket.send(JSON.stringify({ jsonrpc: '2.0', id: 2, method: 'eth_chainId' }));
    while (messages.length < 2) await sleep(20);
    assert.deepEqual(messages[0], { jsonrpc: '2.0', id: 1, result: '0x10f7' });
    const error = (messages[1] as { id: unknown; error: { code: number; message: string } });
    assert.equal(error.id, null);
    assert.equal(error.error.code, -32005);
    assert.match(error.error.message, /requests per second; retry in 1 s/);
    await sleep(1000);
    socket.send(JSON.stringify({ jsonrpc: '2.0', id: 3, method: 'eth_chainId' }));
    while (messages.length < 3) await sleep(20);
    assert.deepEqual(messages[2], { jsonrpc: '2.0', id: 3, result: '0x10f7' });
    // An upgrade over the quota is refused with 429 before any WebSocket exists.
    await rpc('evm2', { jsonrpc: '2.0', id: 1, method: 'eth_chainId' });
    const status = await new Promise<number>((resolve) => {
      const late = new WebSocket(gateway.rpcUrl('evm2', 'ws'));
      late.on('unexpected-response', (_req, res) => resolve(res.statusCode));
      late.on('open', () => {
        late.close();
        resolve(101);
      });
      late.on('error', () => undefined);
    });
    assert.equal(status, 429);
  });

  const raws = await Promise.all([0, 1, 2, 3, 4].map((n) => transfer(n)));
  await t.test('transactions per day: REST and each send of a JSON-RPC batch count; the refused tx is not submitted', async () => {
    assert.equal((await send(evan, 'POST', '/apps/evm/transactions', { tx: raws[0] })).status, 202);
    // A tx the mempool refuses does not use the quota.
    const junk = await send(evan, 'POST', '/apps/evm/transactions', { tx: '0xdeadbeef' });
    assert.equal(junk.status, 400);
    const batch = await rpc('evm', [sendRaw(1, raws[1]!), { jsonrpc: '2.0', id: 9, method: 'eth_chainId' }, sendRaw(2, raws[2]!), sendRaw(3, raws[3]!)]);
    assert.equal(batch.status, 200, 'part of the batch succeeded');
    const expectedWait = secondsToNextUtcDay(Date.now());
    assert.ok(Math.abs(Number(batch.retryAfter) - expectedWait) <= 2, `Retry-After ${batch.retryAfter}, about ${expectedWait} expected`);
    const [a, b, c, d] = batch.json as { result?: string; error?: { code: number; message: string } }[];
    assert.match(String(a?.result), /^0x[0-9a-f]{64}$/);
    assert.equal(b?.result, '0x1092');
    assert.match(String(c?.result), /^0x[0-9a-f]{64}$/);
    assert.equal(d?.error?.code, -32005);
    assert.match(d?.error?.message ?? '', /3 transactions/);

    const single = await rpc('evm', sendRaw(4, raws[3]!));
    assert.equal(single.status, 429);
    assert.ok(Math.abs(Number(single.retryAfter) - expectedWait) <= 2);
    const rest = await send(evan, 'POST', '/apps/evm/transactions', { tx: raws[3] });
    assert.equal(rest.status, 429);
    assert.equal(rest.json.error?.code, 'QUOTA_TX_PER_DAY');
    assert.ok(Math.abs(Number(rest.retryAfter) - expectedWait) <= 2);
    // A bad request is refused for what it is, before any quota is counted or checked.
    assert.equal((await send(evan, 'POST', '/apps/evm/transactions', { tx: 'nope' })).json.error?.code, 'REST_BAD_REQUEST');

    // The three admitted txs commit; the refused one is nowhere.
    const evmChain = node.chains.get('evm')!;
    for (let i = 0; i < 200 && evmChain.mempool.count > 0; i++) await sleep(25);
    assert.equal(evmChain.mempool.count, 0);
    const nonce = await rpc('evm', { jsonrpc: '2.0', id: 1, method: 'eth_getTransactionCount', params: [funded.address, 'latest'] });
    assert.equal((nonce.json as { result: string }).result, '0x3');
    const refusedHash = (await import('ethers')).keccak256(raws[3]!);
    const lookup = await rpc('evm', { jsonrpc: '2.0', id: 1, method: 'eth_getTransactionByHash', params: [refusedHash] });
    assert.equal((lookup.json as { result: unknown }).result, null);
  });

  await t.test('the day count survives a gateway restart', async () => {
    await gateway.close();
    gateway = await startGateway(node, options);
    const rest = await send(evan, 'POST', '/apps/evm/transactions', { tx: raws[3] });
    assert.equal(rest.status, 429, JSON.stringify(rest.json));
    assert.equal(rest.json.error?.code, 'QUOTA_TX_PER_DAY');
    // Apps under the default quota still submit.
    const other = await rpc('evm2', sendRaw(1, await transfer(0, 4343)));
    assert.match(String((other.json as { result?: string }).result), /^0x[0-9a-f]{64}$/, JSON.stringify(other.json));
  });
});

test('the node config takes gateway quotas, and refuses bad ones', () => {
  const base = { name: 'n', dataDir: 'd', network: { rootCert: 'r', crls: ['c'] }, tls: { cert: 'c', chain: ['o'], key: 'k' }, p2p: { listen: '127.0.0.1:1' }, http: { listen: '127.0.0.1:2' } };
  const parse = (quotas: unknown) => parseNodeConfig(JSON.stringify({ ...base, gateway: { listen: '127.0.0.1:3', quotas } }), '/tmp');
  const config = parse({ default: { requestsPerSecond: 50, burst: 100 }, apps: { evm: { txPerDay: 10_000 } } });
  assert.deepEqual(config.gateway?.quotas, { default: { requestsPerSecond: 50, burst: 100 }, apps: { evm: { txPerDay: 10_000 } } });
  assert.equal(parseNodeConfig(JSON.stringify({ ...base, gateway: { listen: '127.0.0.1:3' } }), '/tmp').gateway?.quotas, undefined);
  for (const bad of [{ default: { requestsPerSecond: 0 } }, { default: { burst: 1.5 } }, { apps: { evm: { txPerDay: -1 } } }, { default: { perMinute: 1 } }, { apps: [] }]) {
    assert.throws(() => parse(bad), (err: Error & { code?: string }) => err.code === 'NODE_CONFIG_INVALID' || /config/i.test(err.message), JSON.stringify(bad));
  }
});
