/*
 * Review M6, the lookup side: a committed tx's result is readable afterwards, and the gateway's
 * tx lookup reports it (committed, or failed with the result code), not just "committed".
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { ClassicLevel } from 'classic-level';
import { decode, encode } from '../../src/codec/index.js';
import { ecdsaP256, ed25519 } from '../../src/crypto/index.js';
import { buildKvTx, KvApplication, type KvOp } from '../../src/execution/index.js';
import { TxLookup } from '../../src/gateway/rest/tx-lookup.js';
import { GatewayStore } from '../../src/gateway/store.js';
import { startSingleNode } from '../support/single-node.js';

const te = new TextEncoder();
const put = (k: string, v: string): KvOp => ({ type: 'put', key: te.encode(k), value: te.encode(v) });

test('kv records the failed txs of each block: query "result" answers [ok, code, executed], after a reopen too', async () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'bsn-kv-results-'));
  const alice = ed25519.generateKeyPair().privateKey;
  const bob = ecdsaP256.generateKeyPair().privateKey;
  const tx = (key: typeof alice, nonce: number, ops: KvOp[]) => buildKvTx({ chainId: 'kv', privateKey: key, nonce, ops });
  try {
    let db = new ClassicLevel<string, Uint8Array>(dir, { valueEncoding: 'view' });
    let app = await KvApplication.open(db, 'kv', { suite: ed25519 });
    await app.initChain({ chainId: 'kv', time: 0, appState: null });
    // alice owns 'x' first; bob's write of it runs (its nonce is used) and fails; bob's nonce 5 does not run.
    const block = [tx(alice, 0, [put('x', 'a')]), tx(bob, 0, [put('x', 'b')]), tx(bob, 5, [put('y', 'b')])];
    const r = await app.executeBlock({ height: 1, time: 1 }, block);
    assert.deepEqual(r.results.map((x) => x.code), ['OK', 'TX_UNAUTHORIZED', 'TX_BAD_NONCE']);
    await app.commit(1, r.executionId);
    const result = async (h: number, i: number) => {
      const v = (await app.query('result', encode([h, i]))).value;
      return v === undefined ? undefined : decode(v);
    };
    const expected = [[true, 'OK', true], [false, 'TX_UNAUTHORIZED', true], [false, 'TX_BAD_NONCE', false]];
    assert.deepEqual([await result(1, 0), await result(1, 1), await result(1, 2)], expected);
    assert.equal(await result(2, 0), undefined, 'a height not committed yet');
    await assert.rejects(app.query('result', encode(['x'])), { code: 'EXEC_BAD_QUERY' });
    await db.close();
    db = new ClassicLevel<string, Uint8Array>(dir, { valueEncoding: 'view' });
    app = await KvApplication.open(db, 'kv', { suite: ed25519 });
    assert.deepEqual([await result(1, 0), await result(1, 1), await result(1, 2)], expected);
    await db.close();
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('the tx lookup reports a committed kv tx with its result', { timeout: 30_000 }, async (t) => {
  const { node, pki, stop } = await startSingleNode(['kv']);
  t.after(stop);
  const store = await GatewayStore.open(path.join(pki.dir, 'gw'));
  t.after(() => store.close());
  const lookup = new TxLookup(node, store, () => {
    throw new Error('no EVM app here');
  });
  const raw = buildKvTx({ chainId: 'kv', privateKey: ecdsaP256.generateKeyPair().privateKey, nonce: 0, ops: [put('k', 'v')] });
  const height = node.commitWaiter('kv', raw, 20_000);
  await node.submit('kv', raw);
  assert.equal(await height, 1);
  const found = await lookup.find('kv', node.chains.get('kv')!.genesis.suite.hash(raw));
  assert.deepEqual([found?.status, found?.result, found?.height, found?.index], ['committed', { ok: true, code: 'OK', executed: true }, 1, 0]);
});
