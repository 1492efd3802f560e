export * from './errors.js';
export * from './block.js';
export { BlockStore } from './block-store.js';
export { merkleRoot } from './merkle.js';
export { WriteAheadLog, WAL_MAX_RECORD, type WalRecovery } from './wal.js';
