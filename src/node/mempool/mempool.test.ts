import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { ClassicLevel } from 'classic-level';
import { ecdsaP256, ed25519, type PrivateKey } from '../../crypto/index.js';
import { buildKvTx, KvApplication, type KvOp } from '../../execution/index.js';
import { InlineVerifier, Mempool, type DroppedTx, type MempoolLimits } from './index.js';

const CHAIN = 'mempool-test';
const te = new TextEncoder();
const hash = (tx: Uint8Array) => ed25519.hash(tx);
const hex = (b: Uint8Array) => Buffer.from(b).toString('hex');
const put = (k: string, v = 'v'): KvOp => ({ type: 'put', key: te.encode(k), value: te.encode(v) });
// Keys per sender: a kv key belongs to its first writer (H2), and these tests are about the mempool, not ownership.
const tx = (key: PrivateKey, nonce: number, value = 'v', chainId = CHAIN) => buildKvTx({ chainId, privateKey: key, nonce, ops: [put(`${hex(key.publicKey.bytes).slice(0, 8)}/k${nonce}`, value)] });

interface Fixture {
  app: KvApplication;
  pool: Mempool;
  dropped: DroppedTx[];
  /** Executes and commits a block, then updates the mempool as a node does. */
  commit(txs: Uint8Array[]): Promise<string[]>;
}

async function withMempool(limits: Partial<MempoolLimits>, fn: (f: Fixture) => Promise<void>, workers?: number): Promise<void> {
  const dir = mkdtempSync(path.join(tmpdir(), 'bsn-mempool-'));
  const db = new ClassicLevel<string, Uint8Array>(dir, { valueEncoding: 'view' });
  const app = await KvApplication.open(db, CHAIN, { suite: ed25519 });
  await app.initChain({ chainId: CHAIN, time: 0, appState: null });
  const pool =
    workers === undefined
      ? new Mempool({ app, verifier: new InlineVerifier((t) => app.checkStateless(t)), hash, limits })
      : Mempool.open(app, { hash, workers, limits });
  const dropped: DroppedTx[] = [];
  pool.onDropped((d) => dropped.push(d));
  const commit = async (txs: Uint8Array[]) => {
    const height = (await app.info()).height + 1;
    const r = await app.executeBlock({ height, time: height }, txs);
    await app.commit(height, r.executionId);
    await pool.update(height, txs);
    return r.results.map((x) => x.code);
  };
  try {
    await fn({ app, pool, dropped, commit });
  } finally {
    await pool.close();
    await db.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

async function codeOf(p: Promise<unknown>): Promise<string> {
  try {
    await p;
    return 'OK';
  } catch (e) {
    return (e as { code?: string }).code ?? String(e);
  }
}

const alice = ed25519.generateKeyPair().privateKey;
const bob = ed25519.generateKeyPair().privateKey;
const carol = ecdsaP256.generateKeyPair().privateKey;

test('per-sender nonce order: a gap is held and promoted when it fills; reap interleaves senders', async () => {
  await withMempool({}, async ({ pool }) => {
    let available = 0;
    pool.onTxsAvailable(() => available++);
    const a2 = await pool.add(tx(alice, 2));
    assert.equal(a2.ready, false);
    await Promise.resolve();
    assert.equal(available, 0, 'a tx behind a gap is not available');
    assert.deepEqual(pool.reap(1 << 20, 100), []);
    assert.equal((await pool.add(tx(bob, 0))).ready, true);
    await Promise.resolve();
    assert.equal(available, 1);
    await pool.add(tx(alice, 0));
    await pool.add(tx(bob, 1));
    assert.equal(pool.readyCount, 3);
    assert.equal((await pool.add(tx(alice, 1))).ready, true);
    assert.equal(pool.readyCount, 5, 'nonce 1 filled the gap and promoted nonce 2');
    assert.equal(pool.count, 5);
    const order = pool.reap(1 << 20, 100).map((t) => hex(t));
    // bob's head arrived first, then alice's nonce 0; each sender's txs stay in nonce order.
    assert.deepEqual(order, [tx(bob, 0), tx(alice, 0), tx(bob, 1), tx(alice, 1), tx(alice, 2)].map(hex));
    assert.equal(pool.reap(1 << 20, 2).length, 2);
    const small = pool.reap(tx(bob, 0).length, 100);
    assert.deepEqual(small.map(hex), [hex(tx(bob, 0))]);
  });
});

test('duplicates, replays, the nonce window and malformed txs get their reasons', async () => {
  await withMempool({ maxPerSender: 4, maxTxBytes: 4096 }, async ({ pool, commit }) => {
    const first = tx(alice, 0);
    const [x, y] = await Promise.all([codeOf(pool.add(first)), codeOf(pool.add(first))]);
    assert.deepEqual([x, y].sort(), ['MEMPOOL_DUPLICATE', 'OK']);
    assert.equal(await codeOf(pool.add(tx(alice, 0, 'other value'))), 'MEMPOOL_NONCE_TAKEN');
    assert.equal(await codeOf(pool.add(tx(alice, 3))), 'OK');
    assert.equal(await codeOf(pool.add(tx(alice, 4))), 'MEMPOOL_NONCE_TOO_FAR');
    assert.equal(await codeOf(pool.add(new Uint8Array(4097))), 'MEMPOOL_TOO_LARGE');
    assert.equal(await codeOf(pool.add(Uint8Array.of(0x80))), 'MEMPOOL_MALFORMED');
    assert.equal(await codeOf(pool.add(tx(bob, 0, 'v', 'another-chain'))), 'MEMPOOL_WRONG_CHAIN');
    const forged = Uint8Array.from(tx(bob, 0));
    forged[forged.length - 1]! ^= 1;
    assert.equal(await codeOf(pool.add(forged)), 'MEMPOOL_BAD_SIGNATURE');
    assert.deepEqual(await commit([first]), ['OK']);
    assert.equal(pool.has(hex(hash(first))), false);
    assert.equal(await codeOf(pool.add(first)), 'MEMPOOL_NONCE_TOO_LOW', 'a replay of a committed tx');
    assert.equal(await codeOf(pool.add(tx(alice, 4))), 'OK', 'the window moved with the committed nonce');
  });
});

test('update() removes committed txs and drops those that became invalid, with a reason', async () => {
  await withMempool({}, async ({ pool, dropped, commit }) => {
    for (let n = 0; n < 3; n++) await pool.add(tx(alice, n));
    await pool.add(tx(bob, 0));
    await pool.add(tx(bob, 1));
    let available = 0;
    pool.onTxsAvailable(() => available++);
    // Another proposer's block used alice's nonces 0 and 1 with other txs.
    const theirs = [tx(alice, 0, 'theirs'), tx(alice, 1, 'theirs'), tx(bob, 0)];
    assert.deepEqual(await commit(theirs), ['OK', 'OK', 'OK']);
    await Promise.resolve();
    assert.deepEqual(pool.reap(1 << 20, 100).map(hex), [tx(alice, 2), tx(bob, 1)].map(hex));
    assert.equal(pool.count, 2);
    assert.deepEqual(dropped.map((d) => [d.nonce, d.error.code]), [[0, 'MEMPOOL_NONCE_TOO_LOW'], [1, 'MEMPOOL_NONCE_TOO_LOW']]);
    assert.equal(available, 1, 'txs are still available after the commit');
    await commit(pool.reap(1 << 20, 100));
    assert.equal(pool.count, 0);
    assert.equal(pool.bytes, 0);
    assert.equal(pool.readyCount, 0);
  });
});

test('when full, the sender holding the most txs loses its highest nonce; otherwise MEMPOOL_FULL', async () => {
  await withMempool({ maxTxs: 6, maxPerSender: 8 }, async ({ pool, dropped }) => {
    for (let n = 0; n < 4; n++) await pool.add(tx(alice, n));
    await pool.add(tx(bob, 0));
    await pool.add(tx(bob, 1));
    assert.equal(await codeOf(pool.add(tx(carol, 0))), 'OK');
    await Promise.resolve();
    assert.deepEqual(dropped.map((d) => [d.nonce, d.error.code]), [[3, 'MEMPOOL_EVICTED']]);
    assert.equal(pool.has(hex(hash(tx(alice, 3)))), false);
    assert.equal(await codeOf(pool.add(tx(alice, 3))), 'MEMPOOL_FULL', 'alice would hold 4, nobody holds more');
    assert.equal(await codeOf(pool.add(tx(carol, 1))), 'OK', 'carol (2 after) evicts from alice (3)');
    assert.equal(await codeOf(pool.add(tx(bob, 2))), 'MEMPOOL_FULL', 'bob would hold 3, alice holds only 2 now');
    assert.equal(pool.count, 6);
  });
  const big = tx(alice, 0, 'x'.repeat(1000));
  await withMempool({ maxBytes: 3 * big.length, maxPerSender: 8 }, async ({ pool }) => {
    for (let n = 0; n < 3; n++) await pool.add(tx(alice, n, 'x'.repeat(1000)));
    assert.equal(pool.bytes, 3 * big.length);
    assert.equal(await codeOf(pool.add(tx(bob, 0))), 'OK', 'bytes are bounded too');
    assert.ok(pool.bytes <= 3 * big.length);
    assert.equal(pool.count, 3);
  });
});

test('Mempool.open verifies on worker threads and shuts them down on close', async () => {
  await withMempool(
    {},
    async ({ pool, commit }) => {
      const txs = Array.from({ length: 32 }, (_, n) => tx(n % 2 ? alice : carol, n >> 1));
      const added = await Promise.all(txs.map((t) => pool.add(t)));
      assert.equal(added.filter((a) => a.ready).length >= 1, true);
      assert.equal(pool.readyCount, 32);
      const forged = Uint8Array.from(tx(bob, 0));
      forged[forged.length - 2]! ^= 1;
      assert.equal(await codeOf(pool.add(forged)), 'MEMPOOL_BAD_SIGNATURE');
      const block = pool.reap(1 << 20, 30);
      assert.equal(block.length, 30);
      assert.deepEqual(new Set(await commit(block)), new Set(['OK']));
      assert.equal(pool.count, 2);
    },
    2,
  );
});

test('M13: txs in flight are bounded; beyond the bound admission is refused as MEMPOOL_BUSY and nothing is lost', async () => {
  await withMempool({ maxInFlight: 5 }, async ({ pool }) => {
    const senders = Array.from({ length: 20 }, () => ed25519.generateKeyPair().privateKey);
    const codes = await Promise.all(senders.map((key) => codeOf(pool.add(tx(key, 0)))));
    assert.equal(codes.filter((c) => c === 'OK').length, 5);
    assert.equal(codes.filter((c) => c === 'MEMPOOL_BUSY').length, 15);
    assert.equal(pool.count, 5);
    // Once the in-flight ones are done, the refused ones go in.
    const again = await Promise.all(senders.map((key, i) => (codes[i] === 'OK' ? Promise.resolve('OK') : codeOf(pool.add(tx(key, 0))))));
    assert.ok(again.filter((c) => c === 'OK').length >= 10, again.join(' '));
  });
});
