import { BsnError } from '../../errors.js';

/*
 * Why an eth_call / eth_estimateGas could not be answered (as opposed to a call that ran and
 * failed, which is an answer: REVERTED, OUT_OF_GAS...). `statusCode` is what the REST gateway
 * answers with; JSON-RPC answers -32000 with the message, which keeps geth's wording.
 */
export abstract class EvmCallError extends BsnError {
  abstract readonly statusCode: number;
}

/** The call ran past the time budget and was abandoned (its worker thread terminated). */
export class EvmCallTimeoutError extends EvmCallError {
  readonly code = 'EVM_CALL_TIMEOUT';
  readonly statusCode = 504;
}

/** Every call worker is busy and the queue is full: retry later. */
export class EvmCallBusyError extends EvmCallError {
  readonly code = 'EVM_CALL_BUSY';
  readonly statusCode = 503;
}

/** The call pool is closed (the node is stopping). */
export class EvmCallPoolClosedError extends EvmCallError {
  readonly code = 'EVM_CALL_POOL_CLOSED';
  readonly statusCode = 503;
}

/** A call worker failed (crashed, or a state read failed); a bug or a damaged store, not the caller's fault. */
export class EvmCallWorkerError extends EvmCallError {
  readonly code = 'EVM_CALL_WORKER_FAILED';
  readonly statusCode = 500;
}
