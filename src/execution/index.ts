// The execution layer: the interface between the engine and a state machine, and the state machines.
export * from './application.js';
export * from './errors.js';
export { encodeTxResult, resultsRoot, TX_RESULT_VERSION } from './results.js';
export * from './kv/index.js';
export * from './evm/index.js';
export * from './gov/index.js';
