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
  /** Admission and accounting around bodies and calls (the gateway's quotas and metering). */
  readonly hooks?: JsonRpcHooks;
}

/** Who sent a body, passed by the transport to the hooks; hooks may note what they did in it. */
export interface JsonRpcContext {
  readonly appId: string;
  readonly caller: string;
  readonly transport: 'http' | 'ws';
  /** The client's address (per-IP limits). */
  readonly ip?: string;
  /** Set by a hook that refused something for a quota: seconds until it may succeed. */
  retryAfterSeconds?: number;
}

export interface JsonRpcHooks {
  /** Before a body is parsed: an error object refuses the whole body (answered with id null). */
  readonly beforeBody?: (body: string, context: JsonRpcContext) => JsonRpcErrorObject | undefined;
  /** Before each call runs: an error object is answered in its place and the method does not run. */
  readonly beforeCall?: (method: string, context: JsonRpcContext) => Promise<JsonRpcErrorObject | undefined>;
  /** After each call that beforeCall let run (including notifications), with its outcome. */
  readonly afterCall?: (method: string, outcome: { readonly result: unknown } | { readonly error: JsonRpcErrorObject }, context: JsonRpcContext) => Promise<void>;
  /** After a body was answered; `response` is undefined when nothing is sent back. */
  readonly afterBody?: (body: string, response: JsonRpcResponse | JsonRpcResponse[] | undefined, context: JsonRpcContext) => void;
}

/** A body in, the response value out; `context` (given by the transport) reaches the hooks. */
export type JsonRpcHandler = (body: string, context?: JsonRpcContext) => Promise<JsonRpcResponse | JsonRpcResponse[] | undefined>;

const failure = (id: JsonRpcId, code: number, message: string, data?: string): JsonRpcResponse => ({ jsonrpc: '2.0', id, error: data === undefined ? { code, message } : { code, message, data } });

export function createJsonRpcHandler(view: EvmChainView, options: JsonRpcHandlerOptions = {}): JsonRpcHandler {
  const limits = { ...DEFAULT_JSONRPC_LIMITS, ...options.limits };

  const hooks = options.hooks;

  const one = async (request: unknown, context: JsonRpcContext | undefined): Promise<JsonRpcResponse | undefined> => {
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
    const response = await guardedCall(method, params, id, context);
    // A request without an id is a notification: it runs, and gets no answer.
    return rawId === undefined ? undefined : response;
  };

  const guardedCall = async (method: string, params: unknown, id: JsonRpcId, context: JsonRpcContext | undefined): Promise<JsonRpcResponse> => {
    if (!hooks || !context) return call(method, params, id);
    let refusal: JsonRpcErrorObject | undefined;
    try {
      refusal = await hooks.beforeCall?.(method, context);
    } catch (err) {
      options.onInternalError?.(method, err);
      return failure(id, RPC_CODE.internal, 'internal error');
    }
    if (refusal) return failure(id, refusal.code, refusal.message, refusal.data);
    const response = await call(method, params, id);
    // The call ran: a failing hook after it must not turn its answer into an error.
    await hooks.afterCall?.(method, 'error' in response ? { error: response.error } : { result: response.result }, context).catch((err: unknown) => options.onInternalError?.(method, err));
    return response;
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

  const answer = async (body: string, context: JsonRpcContext | undefined): Promise<JsonRpcResponse | JsonRpcResponse[] | undefined> => {
    const refusal = context && hooks?.beforeBody?.(body, context);
    if (refusal) return failure(null, refusal.code, refusal.message, refusal.data);
    if (Buffer.byteLength(body, 'utf8') > limits.maxRequestBytes) return failure(null, RPC_CODE.invalidRequest, `request larger than ${limits.maxRequestBytes} bytes`);
    let parsed: unknown;
    try {
      parsed = JSON.parse(body);
    } catch {
      return failure(null, RPC_CODE.parse, 'parse error');
    }
    if (!Array.isArray(parsed)) return one(parsed, context);
    if (parsed.length === 0) return failure(null, RPC_CODE.invalidRequest, 'invalid request: empty batch');
    if (parsed.length > limits.maxBatch) return failure(null, RPC_CODE.invalidRequest, `batch of ${parsed.length} requests exceeds the limit of ${limits.maxBatch}`);
    // In order: a batch of sends from one account must reach the mempool in nonce order.
    const out: JsonRpcResponse[] = [];
    for (const request of parsed) {
      const response = await one(request, context);
      if (response) out.push(response);
    }
    return out.length === 0 ? undefined : out;
  };

  return async (body, context) => {
    const response = await answer(body, context);
    if (context && hooks?.afterBody) hooks.afterBody(body, response, context);
    return response;
  };
}
