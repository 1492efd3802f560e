import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import { BenchSetupError } from './errors.js';
import type { SignedBatch } from './sign-worker.js';
import type { SignTask } from './workloads.js';

/**
 * Worker threads that pre-sign a round's transactions before it starts, so that signing never
 * competes with sending. It also keeps the figure for the generator's ceiling: transactions
 * signed per second of wall time, over every batch signed in the run.
 */
export class SignerPool {
  private readonly workers: Worker[];
  private signed = 0;
  private signingMs = 0;

  private constructor(
    readonly size: number,
    workers: Worker[],
  ) {
    this.workers = workers;
  }

  /** Starts `size` workers and waits until each has loaded its code, so that start-up is not counted as signing time. */
  static async start(size: number): Promise<SignerPool> {
    const workers = Array.from({ length: size }, () => startWorker());
    try {
      await Promise.all(
        workers.map(
          (w) =>
            new Promise<void>((resolve, reject) => {
              w.once('message', () => resolve());
              w.once('error', (err) => reject(new BenchSetupError(`a signing worker did not start: ${err.message}`)));
            }),
        ),
      );
    } catch (err) {
      await Promise.all(workers.map((w) => w.terminate()));
      throw err;
    }
    return new SignerPool(size, workers);
  }

  /** Runs task i on worker i (at most one task per worker) and concatenates the results in task order. */
  async sign(tasks: readonly SignTask[]): Promise<Uint8Array[]> {
    if (tasks.length > this.size) throw new RangeError(`${tasks.length} tasks for ${this.size} workers`);
    const started = performance.now();
    const results = await Promise.all(tasks.map((task, i) => this.run(this.workers[i]!, task)));
    const txs = results.flat();
    this.signingMs += performance.now() - started;
    this.signed += txs.length;
    return txs;
  }

  /** Transactions per second of wall time spent signing, all workers together. */
  signedPerSecond(): number {
    return this.signingMs > 0 ? (this.signed / this.signingMs) * 1000 : 0;
  }

  async close(): Promise<void> {
    await Promise.all(this.workers.map((w) => w.terminate()));
  }

  private run(worker: Worker, task: SignTask): Promise<Uint8Array[]> {
    return new Promise((resolve, reject) => {
      const onError = (err: Error) => {
        worker.off('message', onMessage);
        reject(new BenchSetupError(`a signing worker failed: ${err.message}`));
      };
      const onMessage = (batch: SignedBatch) => {
        worker.off('error', onError);
        if (batch.error !== undefined) return reject(new BenchSetupError(`signing failed: ${batch.error}`));
        const out: Uint8Array[] = [];
        for (let i = 0; i + 1 < batch.offsets.length; i++) out.push(batch.bytes.subarray(batch.offsets[i]!, batch.offsets[i + 1]!));
        resolve(out);
      };
      worker.once('error', onError);
      worker.once('message', onMessage);
      worker.postMessage(task);
    });
  }
}

/**
 * Starts sign-worker next to this module with this module's own extension: .js from dist/, .ts
 * under tsx, where a bootstrap registers tsx inside the worker first (Node 20 does not pass
 * `--import tsx` loader hooks to a worker's entry), as src/node/mempool/verify-pool.ts does.
 */
function startWorker(): Worker {
  const extension = path.extname(fileURLToPath(import.meta.url));
  const entry = new URL(`./sign-worker${extension}`, import.meta.url);
  if (extension !== '.ts') return new Worker(entry);
  const tsx = import.meta.resolve('tsx/esm/api');
  const bootstrap = `import(${JSON.stringify(tsx)}).then((t) => { t.register(); return import(${JSON.stringify(entry.href)}); });`;
  return new Worker(bootstrap, { eval: true });
}
