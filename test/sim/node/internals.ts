/**
 * The simulator's view of a runner's per-height state, for its memory bounds and its wait until
 * every runner is idle: `ChainRunner.internals()` and `futureMessages()`, the runner's own
 * test-facing seam.
 */
import type { ConsensusMessage } from '../../../src/consensus/index.js';
import type { ChainRunner } from '../../../src/node/chain-runner.js';

export type RunnerSizes = ReturnType<ChainRunner['internals']>;

export function runnerSizes(runner: ChainRunner): RunnerSizes {
  return runner.internals();
}

/** The next-height messages the driver keeps, to check that each is authenticated. */
export function futureMessages(runner: ChainRunner): readonly ConsensusMessage[] {
  return runner.futureMessages();
}

/** The jobs queued on a runner's serial queue that have not finished yet. */
export function countQueuedJobs(runner: ChainRunner): { pending(): number } {
  return { pending: () => runner.internals().queued };
}
