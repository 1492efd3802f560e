import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { getSuite } from '../../src/crypto/index.js';
import { buildKvTx } from '../../src/execution/index.js';
import { startHttp } from '../../src/node/index.js';
import { KvClient } from '../../src/sdk/kv-client.js';
import { startSingleNode } from '../support/single-node.js';

const TOKEN = 'operations-token-for-tests';

test('the operations endpoint: writes commit, reads answer, and every bad request gets its own error', async (t) => {
  const { node, stop } = await startSingleNode(['demo']);
  const http = await startHttp(node, '127.0.0.1:0', { token: TOKEN });
  t.after(async () => {
    http.server.close();
    http.server.closeAllConnections();
    await stop();
  });
  const base = `http://${http.address}`;
  const auth = { authorization: `Bearer ${TOKEN}` };
  const post = (path: string, body: Uint8Array) => fetch(`${base}${path}`, { method: 'POST', body, headers: auth });
  const get = (path: string) => fetch(`${base}${path}`, { headers: auth });
  const user = getSuite('ed25519').generateKeyPair();
  const client = new KvClient(base, 'demo', { token: TOKEN });
  const enc = new TextEncoder();

  const put = await client.put(user.privateKey, enc.encode('k'), enc.encode('v1'));
  assert.equal(put.height, 1);
  assert.equal(new TextDecoder().decode((await client.get(enc.encode('k'))).value), 'v1');
  assert.equal(await client.nextNonce(user.privateKey), 1);

  const health = await (await fetch(`${base}/health`)).json();
  assert.deepEqual(health, { ok: true, name: 'node1' });
  const metrics = await (await fetch(`${base}/metrics`)).text();
  assert.match(metrics, /bsn_chain_height\{chain="demo"\} 1/);
  assert.match(metrics, /bsn_committed_txs_total\{chain="demo"\} 1/);
  assert.match(metrics, /bsn_p2p_peers_banned 0/);
  assert.match(metrics, /bsn_p2p_decode_errors 0/);

  const expectError = async (res: Response, status: number, code: string) => {
    assert.equal(res.status, status);
    assert.equal(((await res.json()) as { error: { code: string } }).error.code, code);
  };
  // Replay of a committed tx, a wrong chain, garbage, an oversized body, unknown routes and chains.
  const replay = buildKvTx({ chainId: 'demo', privateKey: user.privateKey, nonce: 0, ops: [{ type: 'put', key: enc.encode('k'), value: enc.encode('again') }] });
  await expectError(await post('/chains/demo/txs', replay), 400, 'MEMPOOL_NONCE_TOO_LOW');
  const foreign = buildKvTx({ chainId: 'other', privateKey: user.privateKey, nonce: 1, ops: [{ type: 'put', key: enc.encode('k'), value: enc.encode('x') }] });
  await expectError(await post('/chains/demo/txs', foreign), 400, 'MEMPOOL_WRONG_CHAIN');
  const forged = Uint8Array.from(buildKvTx({ chainId: 'demo', privateKey: user.privateKey, nonce: 1, ops: [{ type: 'put', key: enc.encode('k'), value: enc.encode('x') }] }));
  forged[forged.length - 2]! ^= 1;
  await expectError(await post('/chains/demo/txs', forged), 400, 'MEMPOOL_BAD_SIGNATURE');
  await expectError(await post('/chains/demo/txs', Uint8Array.of(0xff, 0x00)), 400, 'MEMPOOL_MALFORMED');
  await expectError(await post('/chains/demo/txs', new Uint8Array(1024 * 1024 + 1)), 413, 'HTTP_BODY_TOO_LARGE');
  await expectError(await post('/chains/nope/txs', replay), 404, 'NODE_UNKNOWN_CHAIN');
  await expectError(await get('/chains/demo/query/get?data=zz'), 400, 'HTTP_BAD_QUERY');
  await expectError(await get('/chains/demo/query/teleport?data=00'), 400, 'EXEC_BAD_QUERY');
  await expectError(await get('/chains/demo/blocks/99'), 404, 'NODE_UNKNOWN_BLOCK');
  await expectError(await fetch(`${base}/nothing`), 404, 'HTTP_NOT_FOUND');

  // Generated bodies: each is refused with a typed 400, and the node keeps committing afterwards.
  await fc.assert(
    fc.asyncProperty(fc.uint8Array({ maxLength: 600 }), async (body) => {
      const res = await post('/chains/demo/txs', body);
      assert.equal(res.status, 400);
      assert.match(((await res.json()) as { error: { code: string } }).error.code, /^MEMPOOL_/);
    }),
    { numRuns: 200 },
  );
  assert.equal((await client.put(user.privateKey, enc.encode('k'), enc.encode('v2'))).height, 2);
});
