import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { ed25519, getSuite, SUITE_NAMES, UnknownSuiteError, type Suite } from '../../crypto/index.js';
import { buildKvTx, kvAddress, kvStatelessSpec } from '../../execution/index.js';
import { MempoolBusyError, MempoolClosedError, VerifyPool, VerifyPoolError } from './index.js';

const te = new TextEncoder();
const CHAIN = 'pool-test';

function suiteOrSkip(name: string): Suite | undefined {
  try {
    return getSuite(name);
  } catch (e) {
    if (e instanceof UnknownSuiteError) return undefined;
    throw e;
  }
}

test('the pool verifies txs of every suite and rejects forged ones', async (t) => {
  const pool = new VerifyPool(kvStatelessSpec(CHAIN), { size: 2, batchSize: 8 });
  try {
    for (const name of SUITE_NAMES) {
      const suite = suiteOrSkip(name);
      if (!suite) {
        t.diagnostic(`suite ${name} is not in this build; skipped`);
        continue;
      }
      const { privateKey } = suite.generateKeyPair();
      const txs = Array.from({ length: 8 }, (_, i) => buildKvTx({ chainId: CHAIN, privateKey, nonce: i, ops: [{ type: 'put', key: te.encode(`k${i}`), value: te.encode('v') }] }));
      const forged = txs.map((tx) => {
        const f = Uint8Array.from(tx);
        f[f.length - 3]! ^= 0x40;
        return f;
      });
      const verdicts = await Promise.all([...txs, ...forged].map((tx) => pool.check(tx)));
      const sender = kvAddress(suite, privateKey.publicKey.bytes);
      assert.deepEqual(verdicts.slice(0, 8), txs.map((_, i) => ({ ok: true, sender, nonce: i })), name);
      for (const v of verdicts.slice(8)) assert.equal(v.ok ? 'OK' : v.code, 'TX_BAD_SIGNATURE', name);
    }
    assert.equal((await pool.check(Uint8Array.of(1, 2, 3))).ok, false);
  } finally {
    await pool.close();
  }
});

test('close() rejects queued checks and later ones with MEMPOOL_CLOSED', async () => {
  const pool = new VerifyPool(kvStatelessSpec(CHAIN), { size: 1 });
  const pending = assert.rejects(pool.check(Uint8Array.of(1)), MempoolClosedError);
  await pool.close();
  await pending;
  await assert.rejects(pool.check(Uint8Array.of(1)), MempoolClosedError);
});

test('a check module that cannot load fails every check with a typed error, without hanging', async () => {
  const pool = new VerifyPool({ moduleUrl: new URL('./no-such-module.js', import.meta.url).href, exportName: 'x', config: null }, { size: 2 });
  await assert.rejects(pool.check(Uint8Array.of(1)), VerifyPoolError);
  await assert.rejects(pool.check(Uint8Array.of(1)), VerifyPoolError);
  await pool.close();
});

test('the built JavaScript starts its workers without tsx, and an idle pool lets the process exit', { timeout: 60_000 }, async () => {
  const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');
  const out = mkdtempSync(path.join(tmpdir(), 'bsn-pool-dist-'));
  try {
    const tsc = path.join(root, 'node_modules/typescript/bin/tsc');
    const files = ['src/node/mempool/verify-pool.ts', 'src/node/mempool/verify-worker.ts', 'src/execution/kv/stateless.ts', 'src/execution/kv/tx.ts'];
    const flags = ['--outDir', out, '--rootDir', root, '--module', 'NodeNext', '--moduleResolution', 'NodeNext', '--target', 'ES2022'];
    execFileSync(process.execPath, [tsc, ...flags, '--skipLibCheck', '--noCheck', '--types', 'node', ...files.map((f) => path.join(root, f))], { cwd: root });
    writeFileSync(path.join(out, 'package.json'), '{"type":"module"}');
    symlinkSync(path.join(root, 'node_modules'), path.join(out, 'node_modules'), 'dir');
    const script = `
      import { VerifyPool } from './src/node/mempool/verify-pool.js';
      import { kvStatelessSpec } from './src/execution/kv/stateless.js';
      import { buildKvTx } from './src/execution/kv/tx.js';
      import { ed25519 } from './src/crypto/index.js';
      const spec = kvStatelessSpec('c');
      if (!spec.moduleUrl.endsWith('.js')) throw new Error('not the built module: ' + spec.moduleUrl);
      const pool = new VerifyPool(spec, { size: 1 });
      const tx = buildKvTx({ chainId: 'c', privateKey: ed25519.generateKeyPair().privateKey, nonce: 0, ops: [{ type: 'delete', key: Uint8Array.of(1) }] });
      const verdict = await pool.check(tx);
      await pool.close();
      // An idle pool that nobody closes must not keep the process alive.
      const forgotten = new VerifyPool(spec, { size: 1 });
      const again = await forgotten.check(tx);
      console.log(JSON.stringify(verdict.ok && again.ok));`;
    writeFileSync(path.join(out, 'run.mjs'), script);
    const stdout = execFileSync(process.execPath, ['run.mjs'], { cwd: out, env: { ...process.env, NODE_OPTIONS: '' }, timeout: 30_000 }).toString();
    assert.equal(stdout.trim(), 'true');
  } finally {
    rmSync(out, { recursive: true, force: true });
  }
});

test('one pool serves the checks of many chains, each with its own chain id', async () => {
  const pool = new VerifyPool(undefined, { size: 1, batchSize: 4 });
  try {
    const suite = getSuite('ed25519');
    const { privateKey } = suite.generateKeyPair();
    const chains = Array.from({ length: 20 }, (_, i) => `chain-${i}`);
    const verifiers = chains.map((c) => pool.verifierFor(kvStatelessSpec(c)));
    const own = chains.map((c) => buildKvTx({ chainId: c, privateKey, nonce: 0, ops: [{ type: 'put', key: te.encode('k'), value: te.encode(c) }] }));
    // Each chain's verifier accepts its own txs and refuses the neighbour's, interleaved in one turn.
    const verdicts = await Promise.all(verifiers.flatMap((v, i) => [v.check(own[i]!), v.check(own[(i + 1) % own.length]!)]));
    verdicts.forEach((v, j) => assert.equal(v.ok ? 'OK' : v.code, j % 2 === 0 ? 'OK' : 'TX_WRONG_CHAIN', `verdict ${j}`));
    await verifiers[0]!.close();
    assert.equal((await verifiers[1]!.check(own[1]!)).ok, true, 'closing one chain verifier leaves the pool running');
    await assert.rejects(pool.check(own[0]!), VerifyPoolError);
  } finally {
    await pool.close();
  }
});

test('M13: the verification queue is bounded in txs and bytes; beyond it checks get MEMPOOL_BUSY at once, and it takes txs again once drained', async () => {
  const pool = new VerifyPool(kvStatelessSpec(CHAIN), { size: 1, maxQueued: 100, maxQueuedBytes: 64 * 1024 });
  try {
    const garbage = (i: number) => Uint8Array.of(i & 255, 1, 2, 3);
    const settled = await Promise.allSettled(Array.from({ length: 1000 }, (_, i) => pool.check(garbage(i))));
    const busy = settled.filter((s) => s.status === 'rejected');
    assert.equal(busy.length, 900, 'all over the bound refused');
    for (const s of busy) assert.ok((s as PromiseRejectedResult).reason instanceof MempoolBusyError);
    assert.equal(settled.filter((s) => s.status === 'fulfilled').length, 100, 'the ones queued were all checked');
    assert.equal(pool.queued, 0);
    const big = new Uint8Array(40 * 1024);
    const bytes = await Promise.allSettled([pool.check(big), pool.check(big)]);
    assert.equal(bytes[0]!.status, 'fulfilled');
    assert.ok(bytes[1]!.status === 'rejected' && bytes[1]!.reason instanceof MempoolBusyError, 'over the byte bound');
    assert.equal((await pool.check(garbage(1))).ok, false, 'admits again once drained');
  } finally {
    await pool.close();
  }
});

test('M13: batches take turns across chains and keep each chain\'s order, whatever is queued behind', async () => {
  const pool = new VerifyPool(undefined, { size: 1, batchSize: 4, maxBatchesPerWorker: 1 });
  try {
    const a = pool.verifierFor(kvStatelessSpec('chain-a'));
    const b = pool.verifierFor(kvStatelessSpec('chain-b'));
    const order: string[] = [];
    const key = ed25519.generateKeyPair().privateKey;
    const tx = (chainId: string, nonce: number) => buildKvTx({ chainId, privateKey: key, nonce, ops: [{ type: 'put', key: te.encode('k'), value: te.encode('v') }] });
    const all = [
      ...Array.from({ length: 40 }, (_, i) => a.check(tx('chain-a', i)).then((v) => order.push(`a${v.ok ? v.nonce : 'x'}`))),
      ...Array.from({ length: 8 }, (_, i) => b.check(tx('chain-b', i)).then((v) => order.push(`b${v.ok ? v.nonce : 'x'}`))),
    ];
    await Promise.all(all);
    const bDone = order.indexOf('b7');
    assert.ok(bDone < 24, `chain b's 8 txs did not wait behind all 40 of chain a (b7 at ${bDone}: ${order.join(' ')})`);
    assert.deepEqual(order.filter((o) => o.startsWith('a')), Array.from({ length: 40 }, (_, i) => `a${i}`));
    assert.deepEqual(order.filter((o) => o.startsWith('b')), Array.from({ length: 8 }, (_, i) => `b${i}`));
  } finally {
    await pool.close();
  }
});
