/** The workload of bench/node/kv.ts: one chain, many senders, one 32-byte put per tx. */
export const CHAIN = 'kv';
export const SENDERS = 2000;
export const NONCES = 50;
export const VALUE_BYTES = 32;
export const TX_PATH = `/chains/${CHAIN}/txs?wait=commit`;
export const QUICK = process.argv.includes('--quick');
