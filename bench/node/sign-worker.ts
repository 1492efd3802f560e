/**
 * Worker thread of bench/node/kv.ts. Generates the keys of senders [from, to), signs `nonces`
 * kv txs for each (one 'put' of a 32-byte value), and sends them back as one transferred buffer.
 * Then, on {cmd: 'verify'}, runs the mempool's stateless check (decode, limits, chainId, ECDSA
 * verify, with a warm public-key cache) over its own txs for `ms` and reports how many it did:
 * the machine's signature-verification ceiling, measured on all worker threads at once.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { getSuite } from '../../src/crypto/index.js';
import { buildKvTx, kvStatelessVerdict, PublicKeyCache } from '../../src/execution/index.js';

export interface SignRequest {
  readonly chainId: string;
  readonly from: number;
  readonly to: number;
  readonly nonces: number;
  readonly valueBytes: number;
}

/** txs of sender s (from ≤ s < to) with nonce n are bytes[offsets[i]..offsets[i+1]), i = (s - from)·nonces + n. */
export interface SignResponse {
  readonly kind: 'signed';
  readonly bytes: Uint8Array;
  readonly offsets: Uint32Array;
  readonly ms: number;
}

export interface VerifyResponse {
  readonly kind: 'verified';
  readonly count: number;
  readonly ms: number;
}

const req = workerData as SignRequest;
const suite = getSuite('ecdsa-p256');
const started = performance.now();
const txs: Uint8Array[] = [];
const value = new Uint8Array(req.valueBytes);
for (let s = req.from; s < req.to; s++) {
  const privateKey = suite.generateKeyPair().privateKey;
  for (let n = 0; n < req.nonces; n++) {
    for (let i = 0; i < value.length; i++) value[i] = (s * 31 + n * 7 + i) & 0xff;
    txs.push(buildKvTx({ chainId: req.chainId, privateKey, nonce: n, ops: [{ type: 'put', key: Buffer.from(`bench/${s}/${n}`), value }] }));
  }
}
const offsets = new Uint32Array(txs.length + 1);
for (let i = 0; i < txs.length; i++) offsets[i + 1] = offsets[i]! + txs[i]!.length;
const bytes = new Uint8Array(offsets[txs.length]!);
for (let i = 0; i < txs.length; i++) bytes.set(txs[i]!, offsets[i]!);
const signed: SignResponse = { kind: 'signed', bytes, offsets, ms: performance.now() - started };
parentPort!.postMessage(signed, [bytes.buffer, offsets.buffer]);

parentPort!.on('message', (msg: { cmd: 'verify'; ms: number } | { cmd: 'exit' }) => {
  if (msg.cmd === 'exit') process.exit(0);
  const keys = new PublicKeyCache();
  // Warm the key cache (one tx per sender), as a node's verify worker is after its first block.
  for (let i = 0; i < txs.length; i += req.nonces) kvStatelessVerdict(txs[i]!, req.chainId, undefined, keys);
  const t0 = performance.now();
  let count = 0;
  while (performance.now() - t0 < msg.ms) {
    for (let k = 0; k < 64; k++) {
      if (!kvStatelessVerdict(txs[count % txs.length]!, req.chainId, undefined, keys).ok) throw new Error('a valid tx failed verification');
      count++;
    }
  }
  const done: VerifyResponse = { kind: 'verified', count, ms: performance.now() - t0 };
  parentPort!.postMessage(done);
});
