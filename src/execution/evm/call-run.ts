import { Address } from '@ethereumjs/util';
import { decode, encode, type CodecValue } from '../../codec/index.js';
import { logsOf, resultCode } from './block.js';
import type { CallOp, CallSpec } from './call-protocol.js';
import { isNotRun, type CallRequest, type EvmExecutor, type NotRun, type Ran } from './executor.js';
import type { CommittedState } from './overlay.js';

/*
 * One `call` or `estimateGas` query, run to its encoded answer (see query.ts for the shapes).
 * This is the CPU-heavy part, so it runs in a call worker (call-worker.ts), never on the node's
 * main thread. An estimate's binary search runs on the same state as its first call: one height.
 */

export async function runCallOp(executor: EvmExecutor, state: CommittedState, height: number, timeMs: number, op: CallOp, spec: CallSpec): Promise<Uint8Array> {
  const block = executor.block(height + 1, timeMs);
  const req: CallRequest = {
    ...(spec.from && { from: new Address(spec.from) }),
    ...(spec.to && { to: new Address(spec.to) }),
    data: spec.data,
    value: spec.value,
    gas: spec.gas,
  };
  const once = (r: CallRequest) => executor.call(state, block, r);
  return op === 'call' ? encodeCall(await once(req)) : encodeEstimate(await estimate(once, req));
}

/** eth_estimateGas: the least gas limit (within 1.5%, as geth) with which the call succeeds. */
async function estimate(run: (req: CallRequest) => Promise<Ran | NotRun>, req: CallRequest): Promise<{ gas: bigint; failure: Ran | NotRun | undefined }> {
  const succeeds = async (r: CallRequest) => {
    const out = await run(r);
    return !isNotRun(out) && resultCode(out) === 'OK';
  };
  const first = await run(req);
  if (isNotRun(first) || resultCode(first) !== 'OK') return { gas: 0n, failure: first };
  let lo = first.totalGasSpent - 1n;
  let hi = req.gas;
  // Refunds and the 63/64 rule make the limit needed exceed the gas used; try a little above first.
  const guess = ((first.totalGasSpent + (first.gasRefund ?? 0n) + 2300n) * 64n) / 63n;
  if (guess < hi && (await succeeds({ ...req, gas: guess }))) hi = guess;
  else if (guess < hi) lo = guess;
  while (hi - lo > 1n && (hi - lo) * 1000n > hi * 15n) {
    const mid = (lo + hi) / 2n;
    if (await succeeds({ ...req, gas: mid })) hi = mid;
    else lo = mid;
  }
  return { gas: hi, failure: undefined };
}

function encodeCall(r: Ran | NotRun): Uint8Array {
  if (isNotRun(r)) return encode({ ok: false, code: r.code, returnData: new Uint8Array(0), gasUsed: 0, logs: [], reason: r.reason });
  const code = resultCode(r);
  const logs: CodecValue[] = logsOf(r).map((l) => [l.address, [...l.topics], l.data]);
  const reason = code === 'OK' ? '' : code === 'REVERTED' ? 'execution reverted' : (r.execResult.exceptionError?.error ?? code);
  return encode({ ok: code === 'OK', code, returnData: r.execResult.returnValue, gasUsed: r.totalGasSpent, logs, reason });
}

function encodeEstimate(e: { gas: bigint; failure: Ran | NotRun | undefined }): Uint8Array {
  if (e.failure === undefined) return encode({ ok: true, code: 'OK', gas: e.gas, returnData: new Uint8Array(0), reason: '' });
  const call = decode(encodeCall(e.failure)) as { code: string; returnData: Uint8Array; reason: string };
  return encode({ ok: false, code: call.code, gas: 0, returnData: call.returnData, reason: call.reason });
}
