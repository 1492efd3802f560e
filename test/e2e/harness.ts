/**
 * The fault-test harness (CometBFT e2e in spirit): a real four-node local network in a temp
 * directory, each city node its own OS process that a test starts, SIGKILLs and restarts; a load
 * generator that records which transactions the network acknowledged as committed; and the
 * invariant checks (identical blocks on every node, every acknowledged tx in the chain).
 *
 * Every wait here has a deadline and fails with what it was waiting for; `Devnet.cleanup` (run
 * it in `after`) kills every child even when a test failed, and a process exit hook kills what
 * is left, so no node outlives its test file.
 */
export * from './util.js';
export * from './node-process.js';
export * from './network.js';
export * from './load.js';
