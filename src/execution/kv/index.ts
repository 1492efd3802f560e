// The kv state machine: signed key-value writes behind the Application interface.
export { KvApplication, type KvAppOptions } from './app.js';
export {
  buildKvTx,
  checkKvTxStateless,
  decodeKvTx,
  encodeKvTx,
  kvAddress,
  kvSigningBytes,
  signKvTx,
  verifyKvTx,
  PublicKeyCache,
  KV_LIMITS,
  KV_TX_DOMAIN,
  KV_TX_VERSION,
  type DecodedKvTx,
  type KvLimits,
  type KvOp,
  type KvTx,
  type KvTxBody,
} from './tx.js';
export { createKvStatelessCheck, kvStatelessSpec, kvStatelessVerdict } from './stateless.js';
export { encodeWriteSet, genesisStateRoot, nextStateRoot, type WriteSet } from './root.js';
export * from './errors.js';
