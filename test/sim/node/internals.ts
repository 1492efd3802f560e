/**
 * A test-only window onto a runner's per-height state, for the simulator's memory bounds.
 * ChainRunner and Driver keep these private; the simulator reads them by name, and a field that
 * is renamed reads as -1 so a refactor shows up as a failed bound instead of a silent pass.
 * (The seam it stands in for: a `ChainRunner.internals()` returning these sizes.)
 */
import type { ConsensusMessage } from '../../../src/consensus/index.js';
import type { ChainRunner } from '../../../src/node/chain-runner.js';
import { RunnerInternalsError } from './errors.js';

export interface RunnerSizes {
  readonly height: number;
  readonly round: number;
  /** Rounds the vote keeper holds a record for. */
  readonly keeperRounds: number;
  /** Rounds the message log holds proposals for. */
  readonly proposalRounds: number;
  /** Next-height messages the driver keeps. */
  readonly future: number;
  readonly candidates: number;
  readonly validity: number;
  readonly held: number;
}

function field(o: unknown, name: string): unknown {
  return o !== null && typeof o === 'object' ? (o as Record<string, unknown>)[name] : undefined;
}

function size(o: unknown): number {
  if (o instanceof Map || o instanceof Set) return o.size;
  if (Array.isArray(o)) return o.length;
  return -1;
}

export function runnerSizes(runner: ChainRunner): RunnerSizes {
  const driver = field(runner, 'driver');
  const log = field(driver, 'log');
  const keeper = field(field(log, 'o'), 'keeper');
  return {
    height: runner.height,
    round: runner.round,
    keeperRounds: size(field(keeper, 'rounds')),
    proposalRounds: size(field(log, 'proposals')),
    future: size(field(driver, 'future')),
    candidates: size(field(runner, 'candidates')),
    validity: size(field(runner, 'validity')),
    held: size(field(runner, 'held')),
  };
}

/** The next-height messages the driver keeps, to check that each is authenticated. */
export function futureMessages(runner: ChainRunner): readonly ConsensusMessage[] {
  const future = field(field(runner, 'driver'), 'future');
  return Array.isArray(future) ? (future as ConsensusMessage[]) : [];
}

/** Counts the jobs queued on a runner's serial queue that have not finished yet. */
export function countQueuedJobs(runner: ChainRunner): { pending(): number } {
  const queue = field(runner, 'queue') as { run<T>(job: () => Promise<T>): Promise<T> } | undefined;
  // Without the count, settle could not tell an idle runner from a busy one and runs would stop replaying.
  if (typeof queue?.run !== 'function') throw new RunnerInternalsError('ChainRunner has no serial queue at .queue: update test/sim/node/internals.ts');
  let pending = 0;
  const run = queue.run.bind(queue);
  queue.run = <T>(job: () => Promise<T>): Promise<T> => {
    pending++;
    return run(async () => {
      try {
        return await job();
      } finally {
        pending--;
      }
    });
  };
  return { pending: () => pending };
}
