// Stateless checks of signed kv txs (decode, limits, chain, signature) per second: on the main
// thread, and in the mempool's worker pool at several sizes and batch sizes, in the same run.
// Run: node --import tsx bench/mempool/verify.ts [txs per measurement, default 2000; sm2 a quarter]
// 16 senders sign round-robin, so each worker's public-key cache holds every key after warm-up.
import os from 'node:os';
import { getSuite, type SuiteName } from '../../src/crypto/index.js';
import { buildKvTx, kvStatelessSpec, kvStatelessVerdict, PublicKeyCache } from '../../src/execution/index.js';
import { defaultPoolSize, VerifyPool } from '../../src/node/mempool/index.js';

const CHAIN = 'bench';
const N = Number(process.argv[2] ?? 2000);
const ROUNDS = 3;

function signedTxs(suiteName: SuiteName, n: number): Uint8Array[] {
  const suite = getSuite(suiteName);
  const keys = Array.from({ length: 16 }, () => suite.generateKeyPair().privateKey);
  return Array.from({ length: n }, (_, i) =>
    buildKvTx({ chainId: CHAIN, privateKey: keys[i % 16]!, nonce: i >> 4, ops: [{ type: 'put', key: Buffer.from(`key-${i}`), value: new Uint8Array(100) }] }),
  );
}

/** Median of a few rounds: the machine is shared. */
async function median(n: number, fn: () => Promise<void> | void): Promise<number> {
  const rates: number[] = [];
  for (let r = 0; r < ROUNDS; r++) {
    const start = performance.now();
    await fn();
    rates.push(n / ((performance.now() - start) / 1000));
  }
  return rates.sort((a, b) => a - b)[ROUNDS >> 1]!;
}

/** Rate of the pool, and how busy the main thread's event loop was meanwhile (0..1). */
async function poolRate(txs: Uint8Array[], size: number, batchSize: number): Promise<{ rate: number; mainBusy: number }> {
  const pool = new VerifyPool(kvStatelessSpec(CHAIN), { size, batchSize });
  try {
    await Promise.all(txs.slice(0, 200).map((tx) => pool.check(tx))); // start-up and warm-up
    const before = performance.eventLoopUtilization();
    const rate = await median(txs.length, async () => {
      const verdicts = await Promise.all(txs.map((tx) => pool.check(tx)));
      if (!verdicts.every((v) => v.ok)) throw new Error('a valid tx failed verification');
    });
    return { rate, mainBusy: performance.eventLoopUtilization(before).utilization };
  } finally {
    await pool.close();
  }
}

const fmt = (n: number) => Math.round(n).toLocaleString('en-US').padStart(7);
const pct = (x: number) => `${Math.round(x * 100)}%`.padStart(4);
console.log(`node ${process.version}, ${os.cpus().length} cores (${os.cpus()[0]?.model ?? '?'}), load average ${os.loadavg()[0]!.toFixed(1)}`);
console.log(`${N} txs of ~${signedTxs('ed25519', 1)[0]!.length} bytes per measurement; default pool size max(1, cores - 1) = ${defaultPoolSize()}`);
console.log('tx/s verified (main-thread event loop busy while the pool works)\n');
console.log('suite        main thread | pool 1, batch 1 | pool 1, batch 64 | pool 2, batch 64');
for (const name of ['ed25519', 'ecdsa-p256', 'secp256k1', 'sm2'] as const) {
  // sm2 is pure JavaScript (@noble/curves; node:crypto has no SM2 signatures): fewer txs.
  const txs = signedTxs(name, name === 'sm2' ? N >> 2 : N);
  const keys = new PublicKeyCache();
  const main = await median(txs.length, () => {
    for (const tx of txs) if (!kvStatelessVerdict(tx, CHAIN, undefined, keys).ok) throw new Error('a valid tx failed verification');
  });
  const cells = [];
  for (const [size, batch] of [[1, 1], [1, 64], [2, 64]] as const) {
    const { rate, mainBusy } = await poolRate(txs, size, batch);
    cells.push(`${fmt(rate)} (${pct(mainBusy)})`);
  }
  console.log(`${name.padEnd(12)} ${fmt(main)}     | ${cells.join('  | ')}`);
}
console.log(`\nload average at the end ${os.loadavg()[0]!.toFixed(1)}`);
