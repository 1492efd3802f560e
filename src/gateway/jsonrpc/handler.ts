import { BsnError } from '../../errors.js';
import type { EvmChainView } from './chain-view.js';
import { JsonRpcError, RPC_CODE } from './errors.js';
import { METHODS } from './methods.js';

/*
 * Ethereum JSON-RPC 2.0 over one EVM app chain, independent of the transport: a request body
 * (text) in, the response value out (undefined when every request was a notification). Nothing
 * a client sends makes it throw: every failure is a JSON-RPC error object.
 */

export type JsonRpcId = string | number | null;

export interface JsonRpcErrorObject {
  readonly code: number;
  readonly message: string;
  readonly data?: string;
}

export type JsonRpcResponse =
  | { readonly jsonrpc: '2.0'; readonly id: JsonRpcId; readonly result: unknown }
  | { readonly jsonrpc: '2.0'; readonly id: JsonRpcId; readonly error: JsonRpcErrorObject };

export interface JsonRpcLimits {
  /** Longest request body, in bytes of UTF-8. */
  readonly maxRequestBytes: number;
  /** Most requests in one batch. */
  readonly maxBatch: number;
}

export const DEFAULT_JSONRPC_LIMITS: JsonRpcLimits = Object.freeze({ maxRequestBytes: 5 * 1024 * 1024, maxBatch: 100 });

export interface JsonRpcHandlerOptions {
  readonly limits?: Partial<JsonRpcLimits>;
  /** Called with errors that are this node's fault (answered as -32603). */
  readonly onInternalError?: (method: string, err: unknown) => void;
  /** Methods beyond the standard ones (the WebSocket transport adds eth_subscribe here). */
  readonly extraMethods?: Readonly<Record<string, (params: unknown) => Promise<unknown>>>;
}

export type JsonRpcHandler = (body: string) => Promise<JsonRpcResponse | JsonRpcResponse[] | undefined>;

const failure = (id: JsonRpcId, code: number, message: string, data?: string): JsonRpcResponse => ({ jsonrpc: '2.0', id, error: data === undefined ? { code, message } : { code, message, data } });

export function createJsonRpcHandler(view: EvmChainView, options: JsonRpcHandlerOptions = {}): JsonRpcHandler {
  const limits = { ...DEFAULT_JSONRPC_LIMITS, ...options.limits };

  const one = async (request: unknown): Promise<JsonRpcResponse | undefined> => {
    if (typeof request !== 'object' || request === null || Array.isArray(request)) return failure(null, RPC_CODE.invalidRequest, 'invalid request: expected an object');
    const r = request as Record<string, unknown>;
    const rawId = r['id'];
    const validId = rawId === null || typeof rawId === 'string' || (typeof rawId === 'number' && Number.isFinite(rawId));
    const id: JsonRpcId = validId ? (rawId as JsonRpcId) : null;
    if (rawId !== undefined && !validId) return failure(null, RPC_CODE.invalidRequest, 'invalid request: id must be a string, a number or null');
    if (r['jsonrpc'] !== '2.0') return failure(id, RPC_CODE.invalidRequest, 'invalid request: jsonrpc must be "2.0"');
    const method = r['method'];
    if (typeof method !== 'string') return failure(id, RPC_CODE.invalidRequest, 'invalid request: method must be a string');
    const params = r['params'];
    if (params !== undefined && (typeof params !== 'object' || params === null)) return failure(id, RPC_CODE.invalidRequest, 'invalid request: params must be an array or an object');
    const response = await call(method, params, id);
    // A request without an id is a notification: it runs, and gets no answer.
    return rawId === undefined ? undefined : response;
  };

  const call = async (method: string, params: unknown, id: JsonRpcId): Promise<JsonRpcResponse> => {
    const extra = options.extraMethods && Object.hasOwn(options.extraMethods, method) ? options.extraMethods[method] : undefined;
    const standard = Object.hasOwn(METHODS, method) ? METHODS[method] : undefined;
    if (!extra && !standard) return failure(id, RPC_CODE.methodNotFound, `the method ${method.slice(0, 100)} does not exist/is not available`);
    try {
      const result = extra ? await extra(params) : await standard!(view, params);
      return { jsonrpc: '2.0', id, result };
    } catch (err) {
      if (err instanceof JsonRpcError) return failure(id, err.rpcCode, err.message, err.data);
      // A typed error from below (a query path, a codec check) is a refusal, not a crash.
      if (err instanceof BsnError) return failure(id, RPC_CODE.server, err.message);
      options.onInternalError?.(method, err);
      return failure(id, RPC_CODE.internal, 'internal error');
    }
  };

  return async (body) => {
    if (Buffer.byteLength(body, 'utf8') > limits.maxRequestBytes) return failure(null, RPC_CODE.invalidRequest, `request larger than ${limits.maxRequestBytes} bytes`);
    let parsed: unknown;
    try {
      parsed = JSON.parse(body);
    } catch {
      return failure(null, RPC_CODE.parse, 'parse error');
    }
    if (!Array.isArray(parsed)) return one(parsed);
    if (parsed.length === 0) return failure(null, RPC_CODE.invalidRequest, 'invalid request: empty batch');
    if (parsed.length > limits.maxBatch) return failure(null, RPC_CODE.invalidRequest, `batch of ${parsed.length} requests exceeds the limit of ${limits.maxBatch}`);
    // In order: a batch of sends from one account must reach the mempool in nonce order.
    const out: JsonRpcResponse[] = [];
    for (const request of parsed) {
      const response = await one(request);
      if (response) out.push(response);
    }
    return out.length === 0 ? undefined : out;
  };
}
