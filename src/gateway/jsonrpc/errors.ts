import { BsnError } from '../../errors.js';

/** JSON-RPC 2.0 and Ethereum error codes, as geth answers them (ethers and viem switch on these). */
export const RPC_CODE = {
  parse: -32700,
  invalidRequest: -32600,
  methodNotFound: -32601,
  invalidParams: -32602,
  internal: -32603,
  /** geth: a tx refused by the pool, a call that could not start, a missing header. */
  server: -32000,
  /** geth: a query whose answer would be too large (eth_getLogs). */
  limitExceeded: -32005,
  /** geth: eth_call / eth_estimateGas reverted; `data` is the revert data. */
  executionReverted: 3,
} as const;

/**
 * An error that becomes a JSON-RPC error object. `code` (the BSN code) is stable for logs and
 * metrics; `rpcCode` and the message are what Ethereum clients read, so the message keeps geth's
 * wording where clients match on it ("nonce too low", "insufficient funds", "execution reverted").
 */
export class JsonRpcError extends BsnError {
  readonly code: string;

  constructor(
    readonly rpcCode: number,
    message: string,
    code: string,
    /** The error object's `data`: revert data (0x-hex) for code 3. */
    readonly data?: string,
  ) {
    super(message);
    this.code = code;
  }
}

export const invalidParams = (message: string): JsonRpcError => new JsonRpcError(RPC_CODE.invalidParams, message, 'RPC_INVALID_PARAMS');
export const invalidRequest = (message: string): JsonRpcError => new JsonRpcError(RPC_CODE.invalidRequest, message, 'RPC_INVALID_REQUEST');
export const serverError = (message: string, code = 'RPC_SERVER'): JsonRpcError => new JsonRpcError(RPC_CODE.server, message, code);
