import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { createJsonRpcHandler, EvmChainView, startGateway, type JsonRpcResponse } from '../../src/gateway/index.js';
import { startSingleNode } from '../support/single-node.js';

const METHODS = ['eth_chainId', 'eth_getBalance', 'eth_getTransactionCount', 'eth_getCode', 'eth_getStorageAt', 'eth_call', 'eth_estimateGas', 'eth_feeHistory', 'eth_sendRawTransaction',
  'eth_getTransactionByHash', 'eth_getTransactionReceipt', 'eth_getBlockByNumber', 'eth_getBlockByHash', 'eth_getLogs', 'eth_syncing', 'net_version', 'nope', '__proto__', 'constructor'];

function assertWellFormed(response: JsonRpcResponse | JsonRpcResponse[] | undefined): void {
  for (const r of response === undefined ? [] : Array.isArray(response) ? response : [response]) {
    assert.equal(r.jsonrpc, '2.0');
    assert.ok('id' in r);
    if ('error' in r) {
      assert.equal(typeof r.error.code, 'number');
      assert.equal(typeof r.error.message, 'string');
      assert.notEqual(r.error.code, -32603, `internal error for ${JSON.stringify(r)}`);
    } else assert.ok('result' in r);
  }
}

test('the JSON-RPC gateway answers bad input with well-formed errors', { timeout: 30_000 }, async (t) => {
  const { node, stop } = await startSingleNode(['kvchain', { chainId: 'evm', app: 'evm', appState: { chainId: 4242 } }]);
  t.after(stop);
  const view = EvmChainView.of(node, 'evm')!;
  assert.equal(EvmChainView.of(node, 'kvchain'), undefined);
  const handle = createJsonRpcHandler(view, { limits: { maxBatch: 10 } });

  // Random strings and random JSON: never a throw, always a JSON-RPC error or result.
  await fc.assert(fc.asyncProperty(fc.string({ maxLength: 200 }), async (s) => assertWellFormed(await handle(s))), { numRuns: 300 });
  await fc.assert(fc.asyncProperty(fc.json({ maxDepth: 3 }), async (s) => assertWellFormed(await handle(s))), { numRuns: 300 });
  const param = fc.oneof(fc.jsonValue({ maxDepth: 2 }), fc.constantFrom('latest', 'pending', '0x0', '0x1', '0x', '0xzz', `0x${'11'.repeat(20)}`, `0x${'22'.repeat(32)}`, {}, { to: `0x${'11'.repeat(20)}` }));
  const request = fc.record({ jsonrpc: fc.constantFrom('2.0', '1.0'), id: fc.oneof(fc.integer(), fc.string(), fc.constant(null)), method: fc.constantFrom(...METHODS), params: fc.array(param, { maxLength: 4 }) });
  await fc.assert(fc.asyncProperty(fc.oneof(request, fc.array(request, { minLength: 1, maxLength: 5 })), async (r) => assertWellFormed(await handle(JSON.stringify(r)))), { numRuns: 400 });

  const error = async (body: string) => {
    const r = (await handle(body)) as JsonRpcResponse;
    return 'error' in r ? r.error : undefined;
  };
  assert.equal((await error('{'))?.code, -32700);
  assert.equal((await error('[]'))?.code, -32600);
  assert.equal((await error('{"jsonrpc":"2.0","id":1}'))?.code, -32600);
  assert.equal((await error('{"jsonrpc":"2.0","id":1,"method":"eth_foo"}'))?.code, -32601);
  assert.equal((await error('{"jsonrpc":"2.0","id":1,"method":"eth_getBalance","params":["0x12"]}'))?.code, -32602);
  assert.equal((await error('{"jsonrpc":"2.0","id":1,"method":"eth_sendRawTransaction","params":["0x0102"]}'))?.code, -32000);
  const batch = JSON.stringify(Array.from({ length: 11 }, (_, i) => ({ jsonrpc: '2.0', id: i, method: 'eth_chainId' })));
  assert.match((await error(batch))?.message ?? '', /exceeds the limit of 10/);
  const ok = (await handle(JSON.stringify([{ jsonrpc: '2.0', id: 1, method: 'eth_chainId' }, { jsonrpc: '2.0', method: 'eth_chainId' }, { jsonrpc: '2.0', id: 2, method: 'net_version' }]))) as JsonRpcResponse[];
  assert.deepEqual(ok, [{ jsonrpc: '2.0', id: 1, result: '0x1092' }, { jsonrpc: '2.0', id: 2, result: '4242' }]);

  // Over HTTP: unknown chain and non-EVM chain 404, oversized body 413, bad JSON -32700.
  const gateway = await startGateway(node, { listen: '127.0.0.1:0', limits: { maxRequestBytes: 64 * 1024 } });
  t.after(() => gateway.close());
  const post = (url: string, body: string) => fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body });
  const chainId = JSON.stringify({ jsonrpc: '2.0', id: 7, method: 'eth_chainId' });
  assert.equal((await post(gateway.rpcUrl('nope'), chainId)).status, 404);
  assert.equal((await post(gateway.rpcUrl('kvchain'), chainId)).status, 404);
  const good = await post(gateway.rpcUrl('evm'), chainId);
  assert.equal(good.status, 200);
  assert.deepEqual(await good.json(), { jsonrpc: '2.0', id: 7, result: '0x1092' });
  const big = await post(gateway.rpcUrl('evm'), JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'eth_call', params: [{ data: `0x${'00'.repeat(64 * 1024)}` }] }));
  assert.equal(big.status, 413);
  assert.equal(((await big.json()) as { error: { code: number } }).error.code, -32600);
  const bad = await post(gateway.rpcUrl('evm'), '{"jsonrpc":');
  assert.equal(((await bad.json()) as { error: { code: number } }).error.code, -32700);
  const plain = await fetch(gateway.rpcUrl('evm'), { method: 'POST', headers: { 'content-type': 'text/plain' }, body: chainId });
  assert.deepEqual(await plain.json(), { jsonrpc: '2.0', id: 7, result: '0x1092' });
});
