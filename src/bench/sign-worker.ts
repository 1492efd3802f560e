/*
 * A signing worker of `bsn bench` (started by signer.ts): signs one SignTask and sends the
 * transactions back as one transferred buffer with their offsets.
 */
import { parentPort } from 'node:worker_threads';
import { signTask, type SignTask } from './workloads.js';

export interface SignedBatch {
  readonly bytes: Uint8Array;
  readonly offsets: Uint32Array;
  readonly error?: string;
}

// Warm the signing paths (JIT, key caches) before the pool starts timing, so that a small
// round's signing rate is not mostly start-up.
const dummy = `0x${'11'.repeat(20)}`;
signTask({ kind: 'evm', workload: 'transfer', ctx: { chainId: 1, fee: { type: 'eip1559', maxFee: 0n, maxPriority: 0n }, recipients: [dummy], customers: 1 }, senders: [{ key: `0x${'22'.repeat(32)}`, firstNonce: 0 }], perSender: 50, seed: 1 });
signTask({ kind: 'kv', chainId: 'warm-up', senders: 5, perSender: 10, valueBytes: 32, keyPrefix: 'warm-up', seed: 1 });
parentPort!.postMessage({ ready: true });

parentPort!.on('message', (task: SignTask) => {
  try {
    const txs = signTask(task);
    const offsets = new Uint32Array(txs.length + 1);
    for (let i = 0; i < txs.length; i++) offsets[i + 1] = offsets[i]! + txs[i]!.length;
    const bytes = new Uint8Array(offsets[txs.length]!);
    for (let i = 0; i < txs.length; i++) bytes.set(txs[i]!, offsets[i]!);
    const batch: SignedBatch = { bytes, offsets };
    parentPort!.postMessage(batch, [bytes.buffer, offsets.buffer]);
  } catch (err) {
    const batch: SignedBatch = { bytes: new Uint8Array(0), offsets: new Uint32Array(1), error: (err as Error).message };
    parentPort!.postMessage(batch);
  }
});
