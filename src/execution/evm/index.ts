// The EVM state machine: Ethereum transactions on the EthereumJS VM over a flat state (docs/evm.md).
export { EvmApplication, DEFAULT_BLOCK_GAS_LIMIT, type EvmAppOptions } from './app.js';
export { evmCommon, evmTxCommon, EVM_HARDFORK, NATIVE_CRYPTO } from './common.js';
export { createEvmStatelessCheck, evmStatelessSpec, evmStatelessVerdict, checkEvmTxStateless } from './stateless.js';
export { checkEvmTx, evmTxHashHex, EVM_TX_LIMITS, type CheckedEvmTx, type DecodedEvmTx, type EvmTx, type EvmTxLimits } from './tx.js';
export { evmChainIdOf, parseEvmGenesis, type EvmGenesis } from './genesis.js';
export { decodeBlockRecord, decodeReceipt, evmResultsRoot, type EvmBlockRecord, type EvmLog, type EvmReceipt, type EvmTxResult } from './receipts.js';
export { encodeEvmWriteSet, evmGenesisStateRoot, evmNextStateRoot } from './root.js';
export { bytesU256, u256Bytes } from './u256.js';
export * from './errors.js';
export { EvmCallPool, CALL_POOL_DEFAULTS, defaultCallWorkers, type EvmCallPoolOptions } from './call-pool.js';
export * from './call-errors.js';
export { DEFAULT_CALL_GAS_CAP, type EvmQueryOptions } from './query.js';
