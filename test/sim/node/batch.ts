/** Batches of node-level runs for CI: every failure names its scenario, n, seed and replay command. */
import { describeSpec, replayCommand, runNodeSim, type NodeRunOutcome, type NodeRunSpec } from './run.js';
import { NODE_SCENARIOS, type NodeScenarioName } from './scenarios.js';

/** `count` specs cycling through `scenarios`, seeds derived from `baseSeed`. */
export function batchSpecs(n: number, count: number, baseSeed: number, scenarios: readonly NodeScenarioName[] = NODE_SCENARIOS): NodeRunSpec[] {
  return Array.from({ length: count }, (_, i) => ({ scenario: scenarios[i % scenarios.length]!, n, seed: (baseSeed * 1000 + i) >>> 0 }));
}

export interface NodeBatchSummary {
  readonly runs: number;
  readonly heights: number;
  readonly scenarios: number;
  readonly failures: readonly string[];
  readonly maxRound: number;
  readonly maxKeeperRounds: number;
  readonly maxExecutionsPerHeight: number;
  /** Byzantine proposals replaced by an attack (forged id, oversize, far-future blocks). */
  readonly attacks: number;
  readonly wallSeconds: number;
}

export function failureText(o: NodeRunOutcome): string {
  return `${describeSpec(o.spec)}\n    ${o.violations.join('\n    ')}\n    replay: ${replayCommand(o.spec)}`;
}

export async function runNodeBatch(specs: readonly NodeRunSpec[]): Promise<NodeBatchSummary> {
  const started = Date.now();
  const failures: string[] = [];
  let heights = 0;
  let maxRound = 0;
  let maxKeeperRounds = 0;
  let maxExecutionsPerHeight = 0;
  let attacks = 0;
  for (const spec of specs) {
    const o = await runNodeSim(spec);
    heights += o.heights;
    maxRound = Math.max(maxRound, o.figures.maxRound);
    maxKeeperRounds = Math.max(maxKeeperRounds, o.figures.maxKeeperRounds);
    maxExecutionsPerHeight = Math.max(maxExecutionsPerHeight, o.figures.maxExecutionsPerHeight);
    attacks += o.figures.attacks;
    if (o.violations.length > 0) failures.push(failureText(o));
  }
  const scenarios = new Set(specs.map((s) => s.scenario)).size;
  return { runs: specs.length, heights, scenarios, failures, maxRound, maxKeeperRounds, maxExecutionsPerHeight, attacks, wallSeconds: (Date.now() - started) / 1000 };
}
