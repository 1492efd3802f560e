import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ecdsaP256 } from '../../src/crypto/index.js';
import { buildKvTx } from '../../src/execution/index.js';
import { startHttp } from '../../src/node/index.js';
import { startSingleNode } from '../support/single-node.js';

const TOKEN = 'operations-token-for-tests';
const te = new TextEncoder();

test('M13: submissions beyond the in-flight bound are refused with 503 MEMPOOL_BUSY, not queued without end; the others are admitted', async (t) => {
  const { node, stop } = await startSingleNode(['kv1'], { mempool: { verifyWorkers: 1, maxInFlight: 2 } });
  const http = await startHttp(node, '127.0.0.1:0', { token: TOKEN });
  t.after(async () => {
    http.server.close();
    http.server.closeAllConnections();
    await stop();
  });
  const txs = Array.from({ length: 30 }, (_, i) => buildKvTx({ chainId: 'kv1', privateKey: ecdsaP256.generateKeyPair().privateKey, nonce: 0, ops: [{ type: 'put', key: te.encode(`k${i}`), value: te.encode('v') }] }));
  const replies = await Promise.all(
    txs.map(async (tx) => {
      const res = await fetch(`http://${http.address}/chains/kv1/txs`, { method: 'POST', body: tx, headers: { authorization: `Bearer ${TOKEN}` } });
      return { status: res.status, code: ((await res.json()) as { error?: { code: string } }).error?.code };
    }),
  );
  const busy = replies.filter((r) => r.status === 503);
  assert.ok(busy.length > 0, `some were refused as busy: ${JSON.stringify(replies)}`);
  assert.ok(busy.every((r) => r.code === 'MEMPOOL_BUSY'));
  assert.ok(replies.filter((r) => r.status === 202).length >= 2, 'the ones in flight went in');
  assert.equal(replies.filter((r) => r.status !== 202 && r.status !== 503).length, 0);
});
