import { parentPort, workerData } from 'node:worker_threads';
import type { StatelessCheck, StatelessCheckFactory, StatelessVerdict } from '../../execution/index.js';
import { VerifyPoolError } from './errors.js';
import type { BatchRequest, BatchResponse, WorkerInit } from './verify-protocol.js';

/*
 * A VerifyPool worker: loads the application's stateless check named in workerData, then answers
 * batches. It imports the application module by URL, so the engine stays ignorant of tx formats.
 */

const { spec } = workerData as WorkerInit;
const module = (await import(spec.moduleUrl)) as Record<string, unknown>;
const factory = module[spec.exportName];
if (typeof factory !== 'function') throw new VerifyPoolError(`${spec.moduleUrl} has no function '${spec.exportName}'`);
const check = (factory as StatelessCheckFactory)(spec.config);

function safeCheck(run: StatelessCheck, tx: Uint8Array): StatelessVerdict {
  try {
    return run(tx);
  } catch (cause) {
    // A check that throws is a bug of the application; refuse the tx rather than admit it unchecked.
    return { ok: false, code: 'TX_INVALID', reason: `stateless check failed: ${cause instanceof Error ? cause.message : String(cause)}` };
  }
}

parentPort!.on('message', (req: BatchRequest) => {
  const verdicts: StatelessVerdict[] = [];
  for (let i = 0; i + 1 < req.offsets.length; i++) verdicts.push(safeCheck(check, req.data.subarray(req.offsets[i]!, req.offsets[i + 1]!)));
  const response: BatchResponse = { id: req.id, verdicts };
  parentPort!.postMessage(response);
});
