import { InvalidConsensusConfigError } from './errors.js';
import type { Round, TimeoutKind } from './types.js';

/** A timeout of round r lasts `base + r·delta` ms, so that after the network stabilises the rounds eventually outlast message delays. */
export interface TimeoutGrowth {
  readonly base: number;
  readonly delta: number;
}

export interface ConsensusConfig {
  readonly timeouts: Readonly<Record<TimeoutKind, TimeoutGrowth>>;
  /** When false, a height's first round starts only once the host has something to propose or a peer has started it. */
  readonly createEmptyBlocks: boolean;
  /** With createEmptyBlocks, the wait before an empty height starts anyway (ms; 0 = at once). */
  readonly emptyBlocksInterval: number;
  /**
   * Messages for a round more than this far above the current one are refused (default
   * DEFAULT_MAX_ROUNDS_AHEAD). Honest validators' rounds stay close: a round ends only with
   * +2/3 of the power taking part in it, so a live quorum that runs far ahead of a validator has
   * also been committing heights, which the laggard then block-syncs. The bound keeps a peer
   * from making us compute proposers of, or keep votes for, rounds near 2^53.
   */
  readonly maxRoundsAhead?: number;
}

export const DEFAULT_MAX_ROUNDS_AHEAD = 1000;

export function maxRoundsAhead(config: ConsensusConfig): number {
  return config.maxRoundsAhead ?? DEFAULT_MAX_ROUNDS_AHEAD;
}

export const DEFAULT_CONSENSUS_CONFIG: ConsensusConfig = {
  timeouts: {
    propose: { base: 3000, delta: 500 },
    prevote: { base: 1000, delta: 500 },
    precommit: { base: 1000, delta: 500 },
  },
  createEmptyBlocks: false,
  emptyBlocksInterval: 0,
};

export function timeoutDuration(config: ConsensusConfig, kind: TimeoutKind, round: Round): number {
  const { base, delta } = config.timeouts[kind];
  return base + round * delta;
}

export function validateConfig(config: ConsensusConfig): ConsensusConfig {
  for (const kind of ['propose', 'prevote', 'precommit'] as const) {
    const { base, delta } = config.timeouts[kind];
    if (!(Number.isFinite(base) && base > 0 && Number.isFinite(delta) && delta >= 0)) {
      throw new InvalidConsensusConfigError(`timeout ${kind} needs base > 0 and delta >= 0, got ${base}/${delta}`);
    }
  }
  if (!(Number.isFinite(config.emptyBlocksInterval) && config.emptyBlocksInterval >= 0)) {
    throw new InvalidConsensusConfigError(`emptyBlocksInterval must be >= 0, got ${config.emptyBlocksInterval}`);
  }
  const ahead = maxRoundsAhead(config);
  if (!(ahead === Number.POSITIVE_INFINITY || (Number.isSafeInteger(ahead) && ahead >= 1))) {
    throw new InvalidConsensusConfigError(`maxRoundsAhead must be a positive integer, got ${ahead}`);
  }
  return config;
}
