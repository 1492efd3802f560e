/** Shared by the CI simulation tests: a batch of runs that fails with every failing seed's replay command. */
import assert from 'node:assert/strict';
import { batchSpec, describe, replayCommand, runOne, type RunOutcome, type RunSpec } from './run.js';
import { SCENARIOS } from './scenario.js';
import type { Variant } from './variants.js';

export interface BatchSummary {
  readonly runs: number;
  readonly heights: number;
  readonly scenarios: number;
  readonly maxRoundsAfterHeal: number;
}

/** `count` runs of n validators, cycling through every scenario, seeds derived from `baseSeed`. */
export function runBatch(n: number, count: number, baseSeed: number): BatchSummary {
  const failures: RunOutcome[] = [];
  let heights = 0;
  let maxRounds = 0;
  for (let i = 0; i < count; i++) {
    const spec = batchSpec(baseSeed, i, { n, scenario: SCENARIOS[i % SCENARIOS.length]! });
    const o = runOne(spec);
    heights += o.heights;
    maxRounds = Math.max(maxRounds, o.maxRoundsAfterHeal);
    if (o.violations.length > 0) failures.push(o);
  }
  const text = failures.map((o) => `${describe(o)}\n    ${o.violations.join('\n    ')}\n    replay: ${replayCommand(o.spec)}`).join('\n');
  assert.equal(failures.length, 0, `invariants violated:\n${text}`);
  return { runs: count, heights, scenarios: Math.min(count, SCENARIOS.length), maxRoundsAfterHeal: maxRounds };
}

/** Runs a broken variant until the first violation; returns how many runs that took (or null). */
export function runsUntilCaught(
  variant: Variant,
  fixed: Omit<Partial<RunSpec>, 'variant'>,
  baseSeed: number,
  budget: number,
  kind: RegExp = /./,
): { runs: number; outcome: RunOutcome } | null {
  for (let i = 0; i < budget; i++) {
    const outcome = runOne(batchSpec(baseSeed, i, { ...fixed, variant }));
    if (outcome.violations.some((v) => kind.test(v))) return { runs: i + 1, outcome };
  }
  return null;
}
