// Ethereum JSON-RPC over a city node's EVM app chains, independent of the transport (docs/gateway.md).
export { createJsonRpcHandler, DEFAULT_JSONRPC_LIMITS, type JsonRpcHandler, type JsonRpcHandlerOptions, type JsonRpcLimits, type JsonRpcResponse, type JsonRpcId, type JsonRpcErrorObject } from './handler.js';
export { EvmChainView, type CallRequest, type CallOutcome } from './chain-view.js';
export { JsonRpcError, RPC_CODE } from './errors.js';
export { LOG_LIMITS, bloomMayContain } from './logs.js';
export { formatBlock, formatLog, formatReceipt } from './format.js';
