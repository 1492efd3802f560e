// The mempool of one chain: admission (stateless checks on worker threads, then the
// application's checkTx), per-sender nonce order, bounded size with eviction, reap and update.
export { Mempool, DEFAULT_MEMPOOL_LIMITS, type AddedTx, type DroppedTx, type MempoolLimits, type MempoolOptions } from './mempool.js';
export { VerifyPool, defaultPoolSize, type VerifyPoolOptions } from './verify-pool.js';
export { InlineVerifier, type TxVerifier } from './verifier.js';
export * from './errors.js';
