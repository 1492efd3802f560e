/** Before the networks start: signing every tx on worker threads, and the ceilings the bench compares against. */
import { spawn } from 'node:child_process';
import os from 'node:os';
import { Worker } from 'node:worker_threads';
import { ClassicLevel } from 'classic-level';
import { getSuite } from '../../src/crypto/index.js';
import { KvApplication } from '../../src/execution/index.js';
import { closedLoop, summarize, TxFeed, type Sink } from './load.js';
import { processCpuSeconds } from './net.js';
import type { SignRequest, SignResponse, VerifyResponse } from './sign-worker.js';
import { CHAIN, NONCES, QUICK, SENDERS, VALUE_BYTES } from './settings.js';

export interface Signed {
  readonly txOf: (k: number) => Uint8Array;
  readonly total: number;
  readonly bytesPerTx: number;
  readonly signMs: number;
  readonly workers: Worker[];
}

/** Signs SENDERS × NONCES txs on one worker per core; tx k = sender k mod S, nonce ⌊k / S⌋. */
export async function signAll(): Promise<Signed> {
  const n = os.availableParallelism();
  const t0 = performance.now();
  const ranges = Array.from({ length: n }, (_, i) => ({ from: Math.floor((i * SENDERS) / n), to: Math.floor(((i + 1) * SENDERS) / n) }));
  const workers = ranges.map((r) => startWorker({ chainId: CHAIN, from: r.from, to: r.to, nonces: NONCES, valueBytes: VALUE_BYTES }));
  const parts = await Promise.all(workers.map((w) => nextMessage<SignResponse>(w)));
  const owner = new Uint16Array(SENDERS);
  ranges.forEach((r, i) => owner.fill(i, r.from, r.to));
  const txOf = (k: number) => {
    const s = k % SENDERS;
    const w = owner[s]!;
    const { bytes, offsets } = parts[w]!;
    const i = (s - ranges[w]!.from) * NONCES + Math.floor(k / SENDERS);
    return bytes.subarray(offsets[i]!, offsets[i + 1]!);
  };
  return { txOf, total: SENDERS * NONCES, bytesPerTx: txOf(0).length, signMs: performance.now() - t0, workers };
}

/** The worker under tsx: Node 20 does not apply --import hooks to a worker's entry module. */
export function startWorker(data: SignRequest): Worker {
  const entry = new URL('./sign-worker.ts', import.meta.url);
  const tsx = import.meta.resolve('tsx/esm/api');
  const bootstrap = `import(${JSON.stringify(tsx)}).then((t) => { t.register(); return import(${JSON.stringify(entry.href)}); });`;
  return new Worker(bootstrap, { eval: true, workerData: data });
}

export function nextMessage<T>(w: Worker): Promise<T> {
  return new Promise((resolve, reject) => {
    w.once('message', resolve);
    w.once('error', reject);
  });
}

/** All worker threads run the stateless check at once: the machine's verification ceiling. */
export async function verifyCeiling(workers: Worker[], ms: number): Promise<{ perS: number; threads: number }> {
  const replies = workers.map((w) => nextMessage<VerifyResponse>(w));
  for (const w of workers) w.postMessage({ cmd: 'verify', ms });
  const done = await Promise.all(replies);
  return { perS: done.reduce((a, d) => a + (d.count * 1000) / d.ms, 0), threads: workers.length };
}

/** KvApplication.executeBlock + commit on a real LevelDB, blocks of 1,000: with and without signature checks. */
export async function executionCeiling(signed: Signed, dir: string): Promise<{ verifyingPerS: number; preCheckedPerS: number; blockTxs: number }> {
  const suite = getSuite('ecdsa-p256');
  const db = new ClassicLevel<string, Uint8Array>(dir, { valueEncoding: 'view' });
  await db.open();
  try {
    const app = await KvApplication.open(db, CHAIN, { suite });
    await app.initChain({ chainId: CHAIN, time: 0, appState: null });
    const block = 1000;
    const blocks = QUICK ? 3 : 6;
    let k = 0;
    let height = 0;
    const run = async (preChecked: boolean) => {
      const t0 = performance.now();
      for (let b = 0; b < blocks; b++) {
        const txs = Array.from({ length: block }, () => signed.txOf(k++));
        height++;
        const r = await app.executeBlock({ height, time: height, statelessChecked: preChecked ? txs.map(() => true) : undefined }, txs);
        if (!r.results.every((x) => x.ok)) throw new Error('a bench tx failed in execution');
        await app.commit(height, r.executionId);
      }
      return (blocks * block * 1000) / (performance.now() - t0);
    };
    await run(false); // warm-up: JIT, key cache
    const verifyingPerS = await run(false);
    const preCheckedPerS = await run(true);
    return { verifyingPerS, preCheckedPerS, blockTxs: block };
  } finally {
    await db.close();
  }
}

/** The generator against a trivial HTTP endpoint (another process that reads the body and answers 202). */
export async function generatorCeiling(signed: Signed, port: number): Promise<{ perS: number; generatorCpuPct: number; serverCpuPct: number; inFlight: number }> {
  const script = `require('node:http').createServer((q, s) => { q.resume(); q.on('end', () => { s.writeHead(202, { 'content-type': 'application/json' }); s.end('{"hash":"00"}'); }); }).listen(${port}, '127.0.0.1', () => console.log('ready'));`;
  // Its own process group, killed whole; and with the bench process at the latest.
  const server = spawn(process.execPath, ['-e', script], { stdio: ['ignore', 'pipe', 'inherit'], detached: true });
  const killServer = () => {
    try {
      process.kill(-server.pid!, 'SIGKILL');
    } catch {
      server.kill('SIGKILL');
    }
  };
  process.once('exit', killServer);
  try {
    await new Promise<void>((resolve, reject) => {
      server.stdout.once('data', () => resolve());
      server.once('exit', (code) => reject(new Error(`trivial server exited ${code}`)));
    });
    const feed = new TxFeed(signed.txOf, signed.total, SENDERS);
    const sink: Sink = { ports: [port], path: `/chains/${CHAIN}/txs`, expect: 202 };
    const inFlight = 256;
    let cpu0 = process.cpuUsage();
    let srv0 = 0;
    let cpuPct = 0;
    let srvPct = 0;
    const run = await closedLoop(feed, sink, { inFlight, warmupS: 0.5, measureS: QUICK ? 1.5 : 2.5, drainS: 2 }, (edge) => {
      if (edge === 'start') {
        cpu0 = process.cpuUsage();
        srv0 = processCpuSeconds(server.pid!) ?? 0;
      } else {
        const c = process.cpuUsage(cpu0);
        const s = (QUICK ? 1.5 : 2.5) * 1000;
        cpuPct = (100 * (c.user + c.system)) / 1000 / s;
        srvPct = (100 * ((processCpuSeconds(server.pid!) ?? 0) - srv0) * 1000) / s;
      }
    });
    return { perS: summarize(run).committedPerS, generatorCpuPct: cpuPct, serverCpuPct: srvPct, inFlight };
  } finally {
    killServer();
    process.off('exit', killServer);
  }
}
