import { parentPort } from 'node:worker_threads';
import type { StatelessCheck, StatelessCheckFactory, StatelessCheckSpec, StatelessVerdict } from '../../execution/index.js';
import { VerifyPoolError } from './errors.js';
import type { BatchRequest, BatchResponse, SpecMessage } from './verify-protocol.js';

/*
 * A VerifyPool worker: loads the stateless checks the pool sends it (one per chain), then answers
 * batches. It imports each application module by URL, so the engine stays ignorant of tx formats.
 * A check that cannot be loaded ends the worker: the pool sees the exit and reports it.
 */

const checks = new Map<string, Promise<StatelessCheck>>();

async function load(spec: StatelessCheckSpec): Promise<StatelessCheck> {
  const module = (await import(spec.moduleUrl)) as Record<string, unknown>;
  const factory = module[spec.exportName];
  if (typeof factory !== 'function') throw new VerifyPoolError(`${spec.moduleUrl} has no function '${spec.exportName}'`);
  return (factory as StatelessCheckFactory)(spec.config);
}

function safeCheck(run: StatelessCheck, tx: Uint8Array): StatelessVerdict {
  try {
    return run(tx);
  } catch (cause) {
    // A check that throws is a bug of the application; refuse the tx rather than admit it unchecked.
    return { ok: false, code: 'TX_INVALID', reason: `stateless check failed: ${cause instanceof Error ? cause.message : String(cause)}` };
  }
}

parentPort!.on('message', (msg: SpecMessage | BatchRequest) => {
  if (msg.kind === 'spec') {
    const loading = load(msg.spec);
    loading.catch((err: unknown) => setImmediate(() => {
      throw err;
    }));
    checks.set(msg.key, loading);
    return;
  }
  void answer(msg);
});

async function answer(req: BatchRequest): Promise<void> {
  const check = await checks.get(req.key)!;
  const verdicts: StatelessVerdict[] = [];
  for (let i = 0; i + 1 < req.offsets.length; i++) verdicts.push(safeCheck(check, req.data.subarray(req.offsets[i]!, req.offsets[i + 1]!)));
  const response: BatchResponse = { id: req.id, verdicts };
  parentPort!.postMessage(response);
}
