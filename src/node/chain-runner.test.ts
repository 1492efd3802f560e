import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { ClassicLevel } from 'classic-level';
import { getSuite, type KeyPair } from '../crypto/index.js';
import { BlockStore, decodeBlock, WriteAheadLog } from '../chain/index.js';
import { DEFAULT_CONSENSUS_CONFIG, verifyCommitCertificate, decodeCommitCertificate } from '../consensus/index.js';
import { buildKvTx, KvApplication } from '../execution/index.js';
import { Mempool } from './mempool/index.js';
import { ChainRunner } from './chain-runner.js';
import { decodeConsensusMessage } from './consensus-wire.js';
import { parseGenesis, type ChainGenesis } from './genesis.js';

const suite = getSuite('ecdsa-p256');
const quiet = { info: () => undefined, warn: () => undefined };

interface Node {
  runner: ChainRunner;
  db: ClassicLevel<string, Uint8Array>;
  mempool: Mempool;
  app: KvApplication;
  store: BlockStore;
  wal: WriteAheadLog;
  online: boolean;
}

async function startNode(dir: string, genesis: ChainGenesis, key: KeyPair, name: string, net: Map<string, Node>): Promise<Node> {
  const db = new ClassicLevel<string, Uint8Array>(path.join(dir, name), { valueEncoding: 'view' });
  const app = await KvApplication.open(db, 'demo', { suite });
  const mempool = Mempool.open(app, { hash: (tx) => suite.hash(tx), workers: 0 });
  const store = await BlockStore.open(db, 'demo');
  const { wal, recovery } = WriteAheadLog.open(path.join(dir, `${name}.wal`));
  const node: Node = { db, app, mempool, store, wal, online: true, runner: undefined as unknown as ChainRunner };
  node.runner = new ChainRunner({
    genesis,
    app,
    mempool,
    store,
    wal,
    walRecords: recovery.records,
    privateKey: key.privateKey,
    consensus: { ...DEFAULT_CONSENSUS_CONFIG },
    limits: { maxBlockBytes: 1024 * 1024, maxBlockTxs: 1000 },
    log: quiet,
    network: {
      // In-memory gossip: every other online node receives a decoded copy, asynchronously.
      broadcastConsensus(bytes) {
        for (const [peer, other] of net) {
          if (other === node || !other.online || !node.online) continue;
          setImmediate(() => other.online && other.runner.onMessage(name, decodeConsensusMessage(bytes)));
          void peer;
        }
      },
      reportInvalid: () => undefined,
    },
  });
  net.set(name, node);
  await node.runner.start();
  return node;
}

async function stopNode(node: Node): Promise<void> {
  node.online = false;
  await node.runner.stop();
  await node.mempool.close();
  node.wal.close();
  await node.db.close();
}

async function waitFor(cond: () => boolean, ms: number): Promise<void> {
  const until = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > until) throw new Error('timed out waiting');
    await new Promise((r) => setTimeout(r, 10));
  }
}

test('four validators order kv transactions into identical, certified blocks; a restarted node keeps its chain', async (t) => {
  const dir = mkdtempSync(path.join(tmpdir(), 'bsn-runner-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const keys = Array.from({ length: 4 }, () => suite.generateKeyPair());
  const genesis = parseGenesis(
    JSON.stringify({
      chainId: 'demo',
      suite: 'ecdsa-p256',
      app: 'kv',
      time: 1_700_000_000_000,
      validators: keys.map((k, i) => ({ name: `node${i + 1}`, publicKey: Buffer.from(k.publicKey.bytes).toString('hex'), power: 1 })),
    }),
  );
  const net = new Map<string, Node>();
  const nodes: Node[] = [];
  for (let i = 0; i < 4; i++) nodes.push(await startNode(dir, genesis, keys[i]!, `node${i + 1}`, net));

  // No transactions: no blocks.
  await new Promise((r) => setTimeout(r, 200));
  assert.deepEqual(nodes.map((n) => n.store.height), [0, 0, 0, 0]);

  const clients = [suite.generateKeyPair(), suite.generateKeyPair()];
  const client = clients[0]!;
  const enc = new TextEncoder();
  for (let i = 0; i < 20; i++) {
    const nonce = i >> 1;
    const tx = buildKvTx({ chainId: 'demo', privateKey: clients[i & 1]!.privateKey, nonce, ops: [{ type: 'put', key: enc.encode(`k${i}`), value: enc.encode(`v${i}`) }] });
    // Every node's mempool gets the tx, as gossip would deliver it.
    for (const n of nodes) await n.mempool.add(tx);
  }
  await waitFor(() => nodes.every((n) => n.mempool.count === 0), 20_000);
  const height = Math.min(...nodes.map((n) => n.store.height));
  assert.ok(height >= 1);
  for (let h = 1; h <= height; h++) {
    const blocks = await Promise.all(nodes.map((n) => n.store.block(h)));
    for (const b of blocks) assert.deepEqual(Buffer.from(b!), Buffer.from(blocks[0]!));
    const cert = decodeCommitCertificate((await nodes[0]!.store.certificate(h))!);
    verifyCommitCertificate(cert, nodes[0]!.runner.validators, suite, 'demo');
  }
  const txCount = (
    await Promise.all(Array.from({ length: height }, async (_, i) => decodeBlock((await nodes[0]!.store.block(i + 1))!).txs.length))
  ).reduce((a, b) => a + b, 0);
  assert.equal(txCount, 20);
  const value = await nodes[2]!.app.query('get', enc.encode('k19'));
  assert.equal(new TextDecoder().decode(value.value), 'v19');

  // Restart node 4 from its data: same chain, same state.
  const before = await nodes[3]!.app.info();
  await stopNode(nodes[3]!);
  nodes[3] = await startNode(dir, genesis, keys[3]!, 'node4', net);
  assert.equal(nodes[3].store.height, nodes[0]!.store.height);
  assert.deepEqual(Buffer.from((await nodes[3].app.info()).stateRoot), Buffer.from(before.stateRoot));

  // One more batch after the restart commits on all four.
  const tx = buildKvTx({ chainId: 'demo', privateKey: client.privateKey, nonce: 10, ops: [{ type: 'put', key: enc.encode('after'), value: enc.encode('restart') }] });
  for (const n of nodes) await n.mempool.add(tx);
  await waitFor(() => nodes.every((n) => n.store.height > height && n.mempool.count === 0), 20_000);
  for (const n of nodes) await stopNode(n);
});
