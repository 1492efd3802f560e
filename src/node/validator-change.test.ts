import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { ClassicLevel } from 'classic-level';
import { getSuite, type KeyPair } from '../crypto/index.js';
import { BlockStore, decodeBlock, WriteAheadLog } from '../chain/index.js';
import { DEFAULT_CONSENSUS_CONFIG, decodeCommitCertificate, validatorAddress, verifyCommitCertificate } from '../consensus/index.js';
import { buildKvTx, KvApplication, type BlockContext, type ExecutionResult, type ValidatorUpdate } from '../execution/index.js';
import { Mempool } from './mempool/index.js';
import { ChainRunner } from './chain-runner.js';
import { decodeConsensusMessage } from './consensus-wire.js';
import { parseGenesis, type ChainGenesis } from './genesis.js';
import { validatorSetHash } from './validator-hash.js';

/*
 * The engine's side of governance: an application that changes the validator set from a block
 * on (here a kv chain whose set is a function of the height, standing in for the governance
 * chain), and runners that follow it — a follower becomes a validator, a removed one stops
 * voting, certificates verify against the set of their height, and a restart keeps the sets.
 */

const suite = getSuite('ecdsa-p256');
const quiet = { info: () => undefined, warn: () => undefined };
const keys: KeyPair[] = Array.from({ length: 5 }, () => suite.generateKeyPair());
const update = (i: number): ValidatorUpdate => ({ name: `node${i + 1}`, publicKey: keys[i]!.publicKey.bytes, power: 1 });
/** Height whose block changes the set → the set from the next height on. */
const CHANGES = new Map<number, ValidatorUpdate[]>([
  [2, [0, 1, 2, 4].map(update)],
  [5, [0, 1, 2, 3, 4].map(update)],
]);

/** The kv application, with the set changes of CHANGES added to its execution results. */
function changingSets(app: KvApplication): KvApplication {
  const execute = app.executeBlock.bind(app);
  app.executeBlock = async (ctx: BlockContext, txs: readonly Uint8Array[]): Promise<ExecutionResult> => {
    const result = await execute(ctx, txs);
    const next = CHANGES.get(ctx.height);
    return next ? { ...result, nextValidators: next } : result;
  };
  return app;
}

interface Node {
  name: string;
  runner: ChainRunner;
  db: ClassicLevel<string, Uint8Array>;
  mempool: Mempool;
  store: BlockStore;
  wal: WriteAheadLog;
  online: boolean;
}

async function startNode(dir: string, genesis: ChainGenesis, index: number, net: Map<string, Node>): Promise<Node> {
  const name = `node${index + 1}`;
  const db = new ClassicLevel<string, Uint8Array>(path.join(dir, name), { valueEncoding: 'view' });
  const app = changingSets(await KvApplication.open(db, 'demo', { suite }));
  const mempool = Mempool.open(app, { hash: (tx) => suite.hash(tx), workers: 0 });
  const store = await BlockStore.open(db, 'demo');
  const { wal, recovery } = WriteAheadLog.open(path.join(dir, `${name}.wal`));
  const node: Node = { name, db, mempool, store, wal, online: true, runner: undefined as unknown as ChainRunner };
  node.runner = new ChainRunner({
    genesis,
    app,
    mempool,
    store,
    wal,
    walRecords: recovery.records,
    privateKey: keys[index]!.privateKey,
    consensus: { ...DEFAULT_CONSENSUS_CONFIG },
    limits: { maxBlockBytes: 1024 * 1024, maxBlockTxs: 1 },
    log: quiet,
    network: {
      broadcastConsensus(bytes) {
        for (const other of net.values()) {
          if (other === node || !other.online || !node.online) continue;
          setImmediate(() => other.online && other.runner.onMessage(name, decodeConsensusMessage(bytes)));
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

async function waitFor(cond: () => boolean, ms: number, what: string): Promise<void> {
  const until = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > until) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

test('a block that changes the validator set: the follower votes from the next height, the removed one stops, restarts keep the sets', async (t) => {
  const dir = mkdtempSync(path.join(tmpdir(), 'bsn-vset-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const genesis = parseGenesis(
    JSON.stringify({
      chainId: 'demo',
      suite: 'ecdsa-p256',
      app: 'kv',
      time: 1_700_000_000_000,
      validators: [0, 1, 2, 3].map((i) => ({ name: `node${i + 1}`, publicKey: Buffer.from(keys[i]!.publicKey.bytes).toString('hex'), power: 1 })),
    }),
  );
  const net = new Map<string, Node>();
  const nodes: Node[] = [];
  for (let i = 0; i < 5; i++) nodes.push(await startNode(dir, genesis, i, net));
  assert.equal(nodes[4]!.runner.isValidator, false, 'node5 starts as a follower');

  const client = suite.generateKeyPair();
  const enc = new TextEncoder();
  let nonce = 0;
  const commitOne = async (): Promise<void> => {
    const tx = buildKvTx({ chainId: 'demo', privateKey: client.privateKey, nonce: nonce++, ops: [{ type: 'put', key: enc.encode(`k${nonce}`), value: enc.encode('v') }] });
    for (const n of nodes) if (n.online) await n.mempool.add(tx);
    await waitFor(() => nodes.every((n) => !n.online || n.store.height >= nonce), 20_000, `height ${nonce}`);
  };
  for (let h = 1; h <= 3; h++) await commitOne();
  // From height 3 on: node1, node2, node3 and node5.
  assert.equal(nodes[4]!.runner.isValidator, true, 'node5 votes from height 3');
  assert.equal(nodes[3]!.runner.isValidator, false, 'node4 no longer votes');

  // node4 goes down while it is out of the set: the chain does not need it.
  await stopNode(nodes[3]!);
  for (let h = 4; h <= 5; h++) await commitOne();
  // Back from height 6 (five validators): node4 restarts from its data with the sets stored beside the blocks.
  nodes[3] = await startNode(dir, genesis, 3, net);
  await waitFor(() => nodes[3]!.store.height >= 5 || nodes[3]!.store.height >= 3, 5_000, 'node4 restarted');
  // node4 missed heights 4-5 (no block sync in this harness): a new height needs 4 of 5, and the other four give it.
  for (let h = 6; h <= 7; h++) {
    const tx = buildKvTx({ chainId: 'demo', privateKey: client.privateKey, nonce: nonce++, ops: [{ type: 'put', key: enc.encode(`k${nonce}`), value: enc.encode('v') }] });
    for (const n of nodes) if (n !== nodes[3]) await n.mempool.add(tx);
    await waitFor(() => [0, 1, 2, 4].every((i) => nodes[i]!.store.height >= nonce), 20_000, `height ${nonce}`);
  }

  const address = (i: number) => validatorAddress(suite, keys[i]!.publicKey);
  const expected = (h: number): number[] => (h <= 2 ? [0, 1, 2, 3] : h <= 5 ? [0, 1, 2, 4] : [0, 1, 2, 3, 4]);
  for (let h = 1; h <= 7; h++) {
    const node = nodes[0]!;
    const set = node.runner.validatorSetFor(h)!;
    assert.deepEqual(set.validators.map((v) => v.address).sort(), expected(h).map(address).sort(), `set of height ${h}`);
    const block = decodeBlock((await node.store.block(h))!);
    assert.deepEqual(Buffer.from(block.header.validatorSetHash), Buffer.from(validatorSetHash(suite, set)), `header ${h} names its set`);
    const cert = decodeCommitCertificate((await node.store.certificate(h))!);
    verifyCommitCertificate(cert, set, suite, 'demo');
    const signers = new Set(cert.signatures.map((s) => s.validator));
    if (h >= 3 && h <= 5) assert.equal(signers.has(address(3)), false, `node4 signed nothing at height ${h}`);
    if (h === 3) assert.equal(signers.has(address(4)) || signers.size === 3, true);
  }
  // The restarted node computes the same sets from its store, and names the newcomer.
  assert.deepEqual(
    nodes[3]!.runner.validatorSetFor(4)!.validators.map((v) => v.address),
    nodes[0]!.runner.validatorSetFor(4)!.validators.map((v) => v.address),
  );
  assert.equal(nodes[0]!.runner.sets.nameOf(address(4)), 'node5');
  for (const n of nodes) if (n.online) await stopNode(n);
});
