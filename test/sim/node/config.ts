/** The chain every node-level run simulates: kv, ed25519, small limits and fast virtual timeouts. */
import type { ConsensusConfig } from '../../../src/consensus/index.js';

export const CHAIN_ID = 'sim';
export const GENESIS_TIME = 1_700_000_000_000;
export const LIMITS = { maxBlockBytes: 16 * 1024, maxBlockTxs: 40 } as const;
/** A small window, so that the bounds on per-height state are tight enough to notice a breach. */
export const ROUNDS_AHEAD = 50;
export const CONSENSUS: ConsensusConfig = {
  timeouts: {
    propose: { base: 300, delta: 100 },
    prevote: { base: 150, delta: 75 },
    precommit: { base: 150, delta: 75 },
  },
  createEmptyBlocks: false,
  emptyBlocksInterval: 0,
  maxRoundsAhead: ROUNDS_AHEAD,
};
export const TX_INTERVAL_MS = 300;
export const SYNC_INTERVAL_MS = 250;
export const REGOSSIP_MS = 400;
export const BYZANTINE_TICK_MS = 200;
/** Hard stops that keep a broken run from hanging the test runner. */
export const MAX_EVENTS = 400_000;
export const MAX_EVENT_WALL_MS = 3_000;
