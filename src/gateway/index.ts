// The gateway of a city node: Ethereum JSON-RPC per EVM app chain over HTTP and WebSocket (docs/gateway.md).
export { startGateway, type Gateway, type GatewayOptions } from './server.js';
export * from './jsonrpc/index.js';
