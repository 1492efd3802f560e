import { test } from 'node:test';
import assert from 'node:assert/strict';
import { X509Certificate } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { Wallet, parseEther } from 'ethers';
import { startGateway, type GatewayOptions } from '../../src/gateway/index.js';
import { Meter, type UsageReport } from '../../src/gateway/metering/index.js';
import { GatewayStore } from '../../src/gateway/store.js';
import { utcDay } from '../../src/gateway/quota/index.js';
import { signRequest } from '../../src/gateway/rest/index.js';
import { issueLeaf } from '../../src/pki/index.js';
import type { TestPki } from '../support/network-pki.js';
import { startSingleNode } from '../support/single-node.js';

const PASSPHRASE = 'correct horse battery staple'; // the one test/support/network-pki.ts uses
// Init code that deploys a 1-byte runtime (STOP): a creation whose gas is more than a transfer's.
const DEPLOY_STOP = '0x600180600b6000396000f300';

interface Caller {
  certPem: string;
  keyPem: string;
}

interface WsClient {
  on(event: 'open', listener: () => void): void;
  on(event: 'message', listener: (data: Buffer) => void): void;
  send(data: string): void;
  close(): void;
}
const WebSocket = createRequire(import.meta.url)('ws') as new (url: string) => WsClient;

async function issue(pki: TestPki, name: string, app: string, kind: 'user' | 'org') {
  const out = path.join(pki.dir, `leaf-${name}`);
  await issueLeaf({ caDir: path.join(pki.dir, 'op1'), out, kind, name, app, secret: { passphrase: PASSPHRASE } });
  return { certPem: readFileSync(path.join(out, 'cert.pem'), 'utf8'), keyPem: readFileSync(path.join(out, 'key.pem'), 'utf8') };
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

test('metering: requests, bytes, transactions and gas per app and caller, persisted, with an admin-only usage route', { timeout: 60_000 }, async (t) => {
  const funded = Wallet.createRandom();
  const { node, pki, stop } = await startSingleNode([{ chainId: 'kv', app: 'kv' }, { chainId: 'evm', app: 'evm', appState: { chainId: 4242, alloc: { [funded.address]: { balance: parseEther('10').toString() } } } }]);
  t.after(stop);
  // Flushes only when asked (the usage route) and on close.
  const options: GatewayOptions = { listen: '127.0.0.1:0', rest: {}, meterFlushMs: 3_600_000 };
  let gateway = await startGateway(node, options);
  t.after(() => gateway.close());
  const evan = await issue(pki, 'evan', 'evm', 'user');
  const admin = await issue(pki, 'evm-admin', 'evm', 'org');
  const kvAdmin = await issue(pki, 'kv-admin', 'kv', 'org');
  const fingerprint = (c: Caller) => new X509Certificate(c.certPem).fingerprint256;
  const expected = { requests: 0, requestBytes: 0, responseBytes: 0 };

  const send = async (caller: Caller | undefined, method: string, reqPath: string, body?: unknown) => {
    const text = body === undefined ? undefined : JSON.stringify(body);
    const headers = { ...(caller && signRequest({ gateway: gateway.id, method, path: reqPath, ...(text !== undefined && { body: text }), appId: reqPath.split('/')[2]!, certPem: caller.certPem, privateKey: caller.keyPem })), ...(text !== undefined && { 'content-type': 'application/json' }) };
    const response = await fetch(`http://${gateway.address}${reqPath}`, { method, headers, ...(text !== undefined && { body: text }) });
    const answer = await response.text();
    if (caller === evan) {
      expected.requests += 1;
      expected.requestBytes += text === undefined ? 0 : Buffer.byteLength(text);
      expected.responseBytes += Buffer.byteLength(answer);
    }
    return { status: response.status, json: JSON.parse(answer) as Record<string, unknown> & { error?: { code: string } } };
  };
  const rpc = async (body: unknown, headers: Record<string, string> = {}) => {
    const text = JSON.stringify(body);
    const response = await fetch(gateway.rpcUrl('evm'), { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: text });
    const answer = await response.text();
    return { requestBytes: Buffer.byteLength(text), responseBytes: Buffer.byteLength(answer), json: JSON.parse(answer) as { result?: unknown } };
  };
  const usage = async (caller: Caller, query = '') => send(caller, 'GET', `/apps/evm/usage${query}`);
  const receipt = async (hash: string) => {
    for (let i = 0; i < 200; i++) {
      const r = (await rpc({ jsonrpc: '2.0', id: 1, method: 'eth_getTransactionReceipt', params: [hash] })).json.result as { gasUsed: string } | null;
      if (r) return r;
      await sleep(25);
    }
    throw new Error(`no receipt for ${hash}`);
  };
  const today = utcDay(Date.now());

  // evan (a signed REST caller): a transfer (21,000 gas), reads, and one refused request.
  const transfer = await funded.signTransaction({ type: 2, chainId: 4242, nonce: 0, to: Wallet.createRandom().address, value: 1n, gasLimit: 21_000, maxFeePerGas: 0, maxPriorityFeePerGas: 0 });
  const submitted = await send(evan, 'POST', '/apps/evm/transactions', { tx: transfer });
  assert.equal(submitted.status, 202);
  await receipt(submitted.json['hash'] as string);
  assert.equal((await send(evan, 'GET', '/apps/evm/blocks/1')).status, 200);
  assert.equal((await send(evan, 'POST', '/apps/evm/transactions', { tx: '0xdeadbeef' })).status, 400);

  // Anonymous JSON-RPC: a contract creation, whose gas is read from its receipt.
  const deploy = await funded.signTransaction({ type: 2, chainId: 4242, nonce: 1, data: DEPLOY_STOP, gasLimit: 100_000, maxFeePerGas: 0, maxPriorityFeePerGas: 0 });
  const sent = await rpc([{ jsonrpc: '2.0', id: 1, method: 'eth_sendRawTransaction', params: [deploy] }, { jsonrpc: '2.0', id: 2, method: 'eth_chainId' }]);
  const deployHash = (sent.json as unknown as { result: string }[])[0]!.result;
  const deployGas = BigInt((await receipt(deployHash)).gasUsed);
  assert.ok(deployGas > 21_000n);
  // An x-api-key nobody checked (JSON-RPC has no key check) bills nobody; and one WebSocket message.
  const keyed = await rpc({ jsonrpc: '2.0', id: 1, method: 'eth_blockNumber' }, { 'x-api-key': 'bsnk_not-checked' });
  const socket = new WebSocket(gateway.rpcUrl('evm', 'ws'));
  const wsAnswer = new Promise<string>((resolve) => socket.on('message', (d) => resolve(d.toString('utf8'))));
  await new Promise<void>((resolve) => socket.on('open', resolve));
  const wsRequest = JSON.stringify({ jsonrpc: '2.0', id: 5, method: 'eth_chainId' });
  socket.send(wsRequest);
  const wsReply = await wsAnswer;
  socket.close();

  const check = (report: UsageReport) => {
    assert.equal(report.appId, 'evm');
    assert.equal(report.days.length, 1);
    const day = report.days[0]!;
    assert.equal(day.day, today);
    assert.deepEqual(day.callers[fingerprint(evan)], { ...expected, txs: 1, gas: '21000' });
    // The unchecked key bills nobody: only the two certificates (the admin after its first query) and anonymous.
    for (const caller of Object.keys(day.callers)) assert.ok([fingerprint(admin), fingerprint(evan), 'anonymous'].includes(caller), caller);
    const anonymous = day.callers['anonymous'];
    assert.ok(anonymous, JSON.stringify(day.callers));
    assert.equal(anonymous.txs, 1);
    assert.equal(anonymous.gas, deployGas.toString());
    assert.ok(anonymous.requests >= 1 + 2 + 1 + 1, 'the send batch, the receipt polls, the keyed call, the WebSocket message');
    assert.ok(anonymous.requestBytes >= sent.requestBytes + keyed.requestBytes + Buffer.byteLength(wsRequest));
    assert.ok(anonymous.responseBytes >= sent.responseBytes + keyed.responseBytes + Buffer.byteLength(wsReply));
    assert.equal(report.total.gas, (21_000n + deployGas).toString());
    assert.equal(report.total.txs, 2);
  };

  await t.test('the app admin reads the usage; it counts exactly what was sent', async () => {
    const first = await usage(admin);
    assert.equal(first.status, 200, JSON.stringify(first.json));
    check(first.json as unknown as UsageReport);
    const ranged = await usage(admin, `?from=${utcDay(Date.now() - 30 * 86_400_000)}&to=${today}`);
    assert.equal(ranged.status, 200, JSON.stringify(ranged.json));
    assert.deepEqual((ranged.json as unknown as UsageReport).days[0]?.callers[fingerprint(evan)], (first.json as unknown as UsageReport).days[0]?.callers[fingerprint(evan)]);
    const empty = (await usage(admin, '?from=2020-01-01&to=2020-12-31')).json as unknown as UsageReport;
    assert.deepEqual(empty.days, []);
    assert.equal(empty.total.requests, 0);
  });

  await t.test('only the app admin may read it; bad ranges are refused', async () => {
    const forbidden = await usage(evan);
    assert.equal(forbidden.status, 403);
    assert.equal(forbidden.json.error?.code, 'AUTH_NOT_APP_ADMIN');
    assert.equal((await usage(kvAdmin)).status, 403, 'an admin of another app');
    assert.equal((await send(undefined, 'GET', '/apps/evm/usage')).status, 401);
    assert.equal((await send(admin, 'GET', '/apps/nope/usage')).status, 404);
    for (const q of ['?from=2026-02-30', '?from=2026-01-02&to=2026-01-01', '?from=2020-01-01&to=2022-01-01', '?from=yesterday', '?day=2026-01-01']) {
      const bad = await usage(admin, q);
      assert.equal(bad.status, 400, q);
      assert.equal(bad.json.error?.code, 'REST_BAD_REQUEST', q);
    }
    // evan's refused usage query is metered like any request of his (send() counted it).
  });

  await t.test('the counts survive a gateway restart, and reach the node\'s Prometheus registry', async () => {
    await gateway.close();
    gateway = await startGateway(node, options);
    const after = await usage(admin);
    assert.equal(after.status, 200);
    check(after.json as unknown as UsageReport);
    const metrics = (await node.metrics.render()).body;
    const value = (name: string) => Number(new RegExp(`^${name}\\{app="evm"\\} (\\d+)`, 'm').exec(metrics)?.[1]);
    assert.equal(value('bsn_gateway_gas_total'), 21_000 + Number(deployGas));
    assert.equal(value('bsn_gateway_txs_total'), 2);
    assert.ok(value('bsn_gateway_requests_total') >= expected.requests + 5);
    assert.ok(value('bsn_gateway_response_bytes_total') >= expected.responseBytes);
  });
});

test('gas of a transaction still pending when the gateway stopped is credited after the restart', { timeout: 30_000 }, async (t) => {
  const funded = Wallet.createRandom();
  const { node, pki, stop } = await startSingleNode([{ chainId: 'evm', app: 'evm', appState: { chainId: 4242, alloc: { [funded.address]: { balance: parseEther('1').toString() } } } }]);
  t.after(stop);
  const dir = path.join(pki.dir, 'meter-store');
  const raw = await funded.signTransaction({ type: 2, chainId: 4242, nonce: 0, to: Wallet.createRandom().address, value: 1n, gasLimit: 21_000, maxFeePerGas: 0, maxPriorityFeePerGas: 0 });
  const hash = (await import('ethers')).keccak256(raw);

  let store = await GatewayStore.open(dir);
  let meter = await Meter.open({ node, db: store.sublevel('meter'), flushIntervalMs: 3_600_000 });
  // Metered as accepted, but not committed yet when the meter closes: it stays pending in the store.
  meter.submitted('evm', 'caller-1', hash);
  await meter.close();
  await store.close();

  await node.submit('evm', Buffer.from(raw.slice(2), 'hex'));
  for (let i = 0; i < 200 && node.chains.get('evm')!.store.height < 1; i++) await sleep(25);
  store = await GatewayStore.open(dir);
  meter = await Meter.open({ node, db: store.sublevel('meter'), flushIntervalMs: 3_600_000 });
  t.after(async () => {
    await meter.close();
    await store.close();
  });
  const report = await meter.usage('evm', utcDay(Date.now()), utcDay(Date.now()));
  assert.deepEqual(report.days[0]?.callers['caller-1'], { requests: 0, requestBytes: 0, responseBytes: 0, txs: 1, gas: '21000' });
  // Credited once: the next flush finds nothing pending.
  assert.equal((await meter.usage('evm', utcDay(Date.now()), utcDay(Date.now()))).total.gas, '21000');
});
