/** Runs of the simulator: one (scenario, n, seed, variant), or many derived from a base seed. */
import { buildScenario, SCENARIOS, type ScenarioName } from './scenario.js';
import { Simulation } from './simulator.js';
import { Prng } from './prng.js';
import type { Variant } from './variants.js';

export interface RunSpec {
  readonly scenario: ScenarioName;
  readonly n: number;
  readonly seed: number;
  readonly variant: Variant;
}

export interface RunOutcome {
  readonly spec: RunSpec;
  readonly violations: readonly string[];
  readonly heights: number;
  readonly broadcasts: number;
  readonly deliveries: number;
  readonly events: number;
  readonly virtualTime: number;
  readonly maxRoundsAfterHeal: number;
  readonly evidence: number;
}

export function runOne(spec: RunSpec): RunOutcome {
  const sim = new Simulation(buildScenario(spec.scenario, spec.n, spec.seed), spec.variant);
  const stats = sim.run();
  return {
    spec,
    violations: sim.ledger.violations,
    heights: stats.heights,
    broadcasts: stats.broadcasts,
    deliveries: stats.deliveries,
    events: stats.events,
    virtualTime: stats.virtualTime,
    maxRoundsAfterHeal: sim.ledger.maxRoundsAfterHeal,
    evidence: sim.ledger.evidenceCount,
  };
}

/** The one command that replays a run exactly. */
export function replayCommand(spec: RunSpec): string {
  const variant = spec.variant === 'honest' ? '' : ` --variant ${spec.variant}`;
  return `npm run sim -- --replay --seed ${spec.seed} --scenario ${spec.scenario} --n ${spec.n}${variant}`;
}

export const SIM_SIZES = [1, 4, 7, 10] as const;

/** The i-th run of a batch with base seed `seed`: its own seed, scenario and n (unless fixed). */
export function batchSpec(seed: number, i: number, fixed: Partial<RunSpec> = {}): RunSpec {
  const rng = new Prng((seed + Math.imul(i, 0x9e3779b1)) >>> 0);
  return {
    seed: rng.next(),
    scenario: fixed.scenario ?? rng.pick(SCENARIOS),
    n: fixed.n ?? rng.pick(SIM_SIZES),
    variant: fixed.variant ?? 'honest',
  };
}

export function describe(o: RunOutcome): string {
  const { spec } = o;
  return `${spec.scenario} n=${spec.n} seed=${spec.seed}: ${o.heights} heights, ${o.broadcasts} broadcasts, ${(o.virtualTime / 1000).toFixed(1)} s simulated`;
}
