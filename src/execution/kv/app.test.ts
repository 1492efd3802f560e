import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { ClassicLevel } from 'classic-level';
import { decode } from '../../codec/index.js';
import { ecdsaP256, ed25519, type PrivateKey } from '../../crypto/index.js';
import { ChainStateError, ExecutionHeightError, QueryError, UnknownExecutionError } from '../errors.js';
import { resultsRoot } from '../results.js';
import { buildKvTx, genesisStateRoot, KvApplication, kvAddress, nextStateRoot, type KvOp } from './index.js';

const CHAIN = 'kv-test';
const te = new TextEncoder();
const hex = (b: Uint8Array) => Buffer.from(b).toString('hex');
const put = (k: string, v: string): KvOp => ({ type: 'put', key: te.encode(k), value: te.encode(v) });
const del = (k: string): KvOp => ({ type: 'delete', key: te.encode(k) });
const GENESIS = { chainId: CHAIN, time: 0, appState: [[te.encode('seed'), te.encode('s0')]] };

type Db = ClassicLevel<string, Uint8Array>;

async function withDb(fn: (open: () => Promise<{ db: Db; app: KvApplication }>) => Promise<void>): Promise<void> {
  const dir = mkdtempSync(path.join(tmpdir(), 'bsn-kv-'));
  const dbs: Db[] = [];
  try {
    await fn(async () => {
      const db = new ClassicLevel<string, Uint8Array>(dir, { valueEncoding: 'view' });
      dbs.push(db);
      return { db, app: await KvApplication.open(db, CHAIN, { suite: ed25519 }) };
    });
  } finally {
    for (const db of dbs) if (db.status === 'open') await db.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

const alice = ed25519.generateKeyPair().privateKey;
const bob = ecdsaP256.generateKeyPair().privateKey;
const tx = (key: PrivateKey, nonce: number, ops: KvOp[], chainId = CHAIN) => buildKvTx({ chainId, privateKey: key, nonce, ops });
const addr = (key: PrivateKey) => kvAddress(key.suite === 'ed25519' ? ed25519 : ecdsaP256, key.publicKey.bytes);

async function get(app: KvApplication, key: string): Promise<string | undefined> {
  const { value } = await app.query('get', te.encode(key));
  return value && Buffer.from(value).toString('utf8');
}

async function nonce(app: KvApplication, key: PrivateKey): Promise<number> {
  return decode((await app.query('nonce', te.encode(addr(key)))).value!) as number;
}

/** Three blocks: puts, deletes, and failures of every execution-time kind. */
function blocks(): Uint8Array[][] {
  const forged = Uint8Array.from(tx(alice, 2, [put('x', 'forged')]));
  forged[forged.length - 1]! ^= 1;
  return [
    [tx(alice, 0, [put('a', '1'), put('b', '2')]), tx(bob, 0, [put('c', '3')])],
    [tx(alice, 1, [del('a'), put('b', '22')]), tx(alice, 1, [put('z', 'replay')]), tx(bob, 5, [put('z', 'gap')]), forged],
    [tx(alice, 2, [put('a', 'back'), del('seed')]), tx(bob, 1, [put('c', '33')], 'other-chain'), tx(bob, 1, [del('c')])],
  ];
}

async function run(app: KvApplication, chain: Uint8Array[][]) {
  const out = [];
  for (const [i, txs] of chain.entries()) {
    const r = await app.executeBlock({ height: i + 1, time: 1000 + i }, txs);
    await app.commit(i + 1, r.executionId);
    out.push(r);
  }
  return out;
}

test('blocks of puts and deletes; failed txs are recorded and change nothing', async () => {
  await withDb(async (open) => {
    const { app } = await open();
    await assert.rejects(app.executeBlock({ height: 1, time: 0 }, []), ChainStateError);
    const genesis = await app.initChain(GENESIS);
    assert.equal(genesis.height, 0);
    assert.equal(await get(app, 'seed'), 's0');
    const results = await run(app, blocks());
    assert.deepEqual(
      results.map((r) => r.results.map((x) => x.code)),
      [['OK', 'OK'], ['OK', 'TX_BAD_NONCE', 'TX_BAD_NONCE', 'TX_BAD_SIGNATURE'], ['OK', 'TX_WRONG_CHAIN', 'OK']],
    );
    assert.deepEqual(hex(results[1]!.resultsRoot), hex(resultsRoot(ed25519, results[1]!.results)));
    assert.deepEqual(
      await Promise.all(['a', 'b', 'c', 'z', 'x', 'seed'].map((k) => get(app, k))),
      ['back', '22', undefined, undefined, undefined, undefined],
    );
    assert.equal(await nonce(app, alice), 3);
    assert.equal(await nonce(app, bob), 2);
    const info = await app.info();
    assert.equal(info.height, 3);
    assert.deepEqual(info.stateRoot, results[2]!.stateRoot);
    assert.equal((await app.query('get', te.encode('b'))).height, 3);
  });
});

test('the state root is the documented hash chain over write sets', async () => {
  await withDb(async (open) => {
    const { app } = await open();
    const genesis = await app.initChain(GENESIS);
    const key = (k: string) => Buffer.from(k).toString('hex');
    const root0 = genesisStateRoot(ed25519, CHAIN, { writes: new Map([[key('seed'), te.encode('s0')]]), nonces: new Map(), owners: new Map() });
    assert.equal(hex(genesis.stateRoot), hex(root0));
    const [first, second] = await run(app, blocks().slice(0, 2));
    const writes1 = new Map([[key('a'), te.encode('1')], [key('b'), te.encode('2')], [key('c'), te.encode('3')]]);
    const root1 = nextStateRoot(ed25519, root0, 1, {
      writes: writes1,
      nonces: new Map([[addr(alice), 1], [addr(bob), 1]]),
      owners: new Map([[key('a'), addr(alice)], [key('b'), addr(alice)], [key('c'), addr(bob)]]),
    });
    assert.equal(hex(first!.stateRoot), hex(root1));
    const writes2 = new Map<string, Uint8Array | null>([[key('a'), null], [key('b'), te.encode('22')]]);
    const root2 = nextStateRoot(ed25519, root1, 2, { writes: writes2, nonces: new Map([[addr(alice), 2]]), owners: new Map() });
    assert.equal(hex(second!.stateRoot), hex(root2), 'failed txs write nothing');
  });
});

test('two independent instances agree byte for byte; another block order gives another root', async () => {
  const roots: string[][] = [];
  for (const order of [[0, 1, 2], [0, 1, 2], [1, 0, 2]]) {
    await withDb(async (open) => {
      const { app } = await open();
      await app.initChain(GENESIS);
      const chain = blocks();
      const results = await run(app, order.map((i) => chain[i]!));
      roots.push(results.map((r) => hex(r.stateRoot) + hex(r.resultsRoot)));
    });
  }
  assert.deepEqual(roots[0], roots[1]);
  assert.notEqual(roots[2]![2], roots[0]![2]);
});

test('two candidates of one height execute speculatively; only the committed one persists', async () => {
  await withDb(async (open) => {
    const { app } = await open();
    await app.initChain(GENESIS);
    const before = await app.info();
    const a = await app.executeBlock({ height: 1, time: 1 }, [tx(alice, 0, [put('k', 'from-a')])]);
    const b = await app.executeBlock({ height: 1, time: 2 }, [tx(alice, 0, [put('k', 'from-b')]), tx(bob, 0, [put('j', 'b')])]);
    assert.notEqual(hex(a.stateRoot), hex(b.stateRoot));
    assert.notEqual(a.executionId, b.executionId);
    assert.deepEqual(await app.info(), before, 'execution persists nothing');
    assert.equal(await get(app, 'k'), undefined);
    await assert.rejects(app.commit(2, b.executionId), ExecutionHeightError);
    await app.commit(1, b.executionId);
    assert.equal(await get(app, 'k'), 'from-b');
    assert.equal(await get(app, 'j'), 'b');
    assert.deepEqual((await app.info()).stateRoot, b.stateRoot);
    await assert.rejects(app.commit(2, a.executionId), UnknownExecutionError);
    await assert.rejects(app.executeBlock({ height: 3, time: 3 }, []), ExecutionHeightError);
    const next = await app.executeBlock({ height: 2, time: 3 }, [tx(alice, 1, [del('k')])]);
    assert.deepEqual(next.results, [{ ok: true, code: 'OK' }]);
  });
});

test('a restart reproduces info, values and nonces, and execution goes on from there', async () => {
  let restarted = '';
  await withDb(async (open) => {
    const first = await open();
    await first.app.initChain(GENESIS);
    const chain = blocks();
    await run(first.app, chain.slice(0, 2));
    const info = await first.app.info();
    const values = await Promise.all(['a', 'b', 'c', 'seed'].map((k) => get(first.app, k)));
    await first.app.executeBlock({ height: 3, time: 9 }, chain[2]!); // executed, never committed
    await first.db.close();

    const second = await open();
    assert.deepEqual(await second.app.info(), info);
    assert.deepEqual(await Promise.all(['a', 'b', 'c', 'seed'].map((k) => get(second.app, k))), values);
    assert.equal(await nonce(second.app, alice), 2);
    const third = await second.app.executeBlock({ height: 3, time: 9 }, chain[2]!);
    assert.deepEqual(third.results.map((r) => r.code), ['OK', 'TX_WRONG_CHAIN', 'OK']);

    restarted = hex((await second.app.commit(3, third.executionId)).stateRoot);
  });
  await withDb(async (open) => {
    const { app } = await open();
    await app.initChain(GENESIS);
    const results = await run(app, blocks());
    assert.equal(hex(results[2]!.stateRoot), restarted, 'a restart in the middle changes no root');
  });
});

test('checkTx: stateful admission against committed nonces', async () => {
  await withDb(async (open) => {
    const { app } = await open();
    await app.initChain(GENESIS);
    const first = tx(alice, 0, [put('a', '1')]);
    assert.deepEqual(await app.checkTx(first, 'new'), { ok: true, sender: addr(alice), nonce: 0, nextNonce: 0, priority: 0 });
    assert.deepEqual(await app.checkTx(tx(alice, 4, [put('a', '1')]), 'new'), { ok: true, sender: addr(alice), nonce: 4, nextNonce: 0, priority: 0 });
    const r = await app.executeBlock({ height: 1, time: 1 }, [first]);
    await app.commit(1, r.executionId);
    const again = await app.checkTx(first, 'recheck');
    assert.equal(again.ok ? 'OK' : again.code, 'TX_NONCE_TOO_LOW');
    const wrong = await app.checkTx(tx(alice, 1, [put('a', '1')], 'elsewhere'), 'new');
    assert.equal(wrong.ok ? 'OK' : wrong.code, 'TX_WRONG_CHAIN');
    const garbage = await app.checkTx(Uint8Array.of(0xff), 'new');
    assert.equal(garbage.ok ? 'OK' : garbage.code, 'TX_MALFORMED');
  });
});

test('prepareProposal keeps nonce order, skips what would fail, respects limits', async () => {
  await withDb(async (open) => {
    const { app } = await open();
    await app.initChain(GENESIS);
    const a0 = tx(alice, 0, [put('a', '0')]);
    const a1 = tx(alice, 1, [put('a', '1'.repeat(100))]);
    const a3 = tx(alice, 3, [put('a', '3')]);
    const b0 = tx(bob, 0, [put('b', '0')]);
    const other = tx(bob, 1, [put('b', '1')], 'elsewhere');
    const all = [a0, a1, a3, other, b0];
    assert.deepEqual(await app.prepareProposal(all, { maxBytes: 1 << 20, maxTxs: 100 }), [a0, a1, b0]);
    assert.deepEqual(await app.prepareProposal(all, { maxBytes: 1 << 20, maxTxs: 1 }), [a0]);
    assert.deepEqual(await app.prepareProposal(all, { maxBytes: a0.length + b0.length, maxTxs: 100 }), [a0, b0]);
    const r = await app.executeBlock({ height: 1, time: 1, statelessChecked: [true, true, true] }, [a0, a1, b0]);
    assert.deepEqual(r.results.map((x) => x.code), ['OK', 'OK', 'OK']);
  });
});

test('queries: unknown paths and bad arguments are typed errors', async () => {
  await withDb(async (open) => {
    const { app } = await open();
    await app.initChain(GENESIS);
    await assert.rejects(app.query('scan', new Uint8Array(0)), QueryError);
    await assert.rejects(app.query('get', new Uint8Array(0)), QueryError);
    await assert.rejects(app.query('nonce', te.encode('XYZ')), QueryError);
    assert.deepEqual(await app.query('get', te.encode('missing')), { height: 0, value: undefined });
    assert.equal(decode((await app.query('nonce', te.encode('00'.repeat(20)))).value!), 0);
  });
});

test('H2: a kv key belongs to its first writer; another signer can neither overwrite nor delete it', async () => {
  await withDb(async (open) => {
    const { app } = await open();
    await app.initChain(GENESIS);
    const key = (k: string) => te.encode(k);
    const [first] = await run(app, [[tx(alice, 0, [put('owned', 'alice')]), tx(bob, 0, [put('owned', 'bob')])]]);
    // In one block: the first write makes alice the owner, so bob's tx fails (its nonce is used).
    assert.deepEqual(first!.results.map((r) => r.code), ['OK', 'TX_UNAUTHORIZED']);
    assert.equal(new TextDecoder().decode((await app.query('get', key('owned'))).value), 'alice');
    assert.equal(Buffer.from((await app.query('owner', key('owned'))).value!).toString('utf8'), addr(alice));
    // Admission refuses what execution would: bob overwriting, bob deleting.
    for (const op of [put('owned', 'bob'), del('owned')]) {
      const verdict = await app.checkTx(tx(bob, 1, [op]), 'new');
      assert.equal(verdict.ok ? 'ok' : verdict.code, 'TX_UNAUTHORIZED');
    }
    const [second] = await run2(app, 2, [tx(bob, 1, [del('owned')]), tx(alice, 1, [del('owned')]), tx(bob, 2, [put('owned', 'squat')])]);
    assert.deepEqual(second!.results.map((r) => r.code), ['TX_UNAUTHORIZED', 'OK', 'TX_UNAUTHORIZED'], 'a deleted key stays its owner\'s');
    assert.equal((await app.query('get', key('owned'))).value, undefined);
  });
});

async function run2(app: KvApplication, height: number, txs: Uint8Array[]) {
  const r = await app.executeBlock({ height, time: 1000 + height }, txs);
  await app.commit(height, r.executionId);
  return [r];
}
