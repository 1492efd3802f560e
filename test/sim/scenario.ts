/**
 * Fault scenarios: each is a recipe that, given n and a seed, lays out one run — delays, drops,
 * duplicates, partitions that form and heal, crashes with restarts, Byzantine validators and
 * validator-set changes. Everything is drawn from the seed, so (scenario, n, seed) is a run.
 */
import { Prng } from './prng.js';

export type Behaviour = 'honest' | 'silent' | 'equivocatingProposer' | 'doubleVoter' | 'amnesia' | 'replayer' | 'forger' | 'twins' | 'chaos';
export const BYZANTINE: readonly Behaviour[] = ['silent', 'equivocatingProposer', 'doubleVoter', 'amnesia', 'replayer', 'forger', 'twins', 'chaos'];

export type DelayModel =
  | { readonly kind: 'uniform'; readonly min: number; readonly max: number }
  /** Mostly fast, sometimes very slow: the tail that reorders messages. */
  | { readonly kind: 'bimodal'; readonly min: number; readonly max: number; readonly slowProb: number; readonly slowMax: number }
  | { readonly kind: 'exponential'; readonly min: number; readonly mean: number; readonly cap: number };

export interface Partition {
  readonly from: number;
  readonly to: number;
  /** Instance ids per side; messages cross sides only outside [from, to). */
  readonly groups: readonly (readonly number[])[];
}

export interface Crash {
  readonly instance: number;
  readonly at: number;
  readonly downFor: number;
}

export interface Scenario {
  readonly name: string;
  readonly n: number;
  readonly seed: number;
  readonly powers: readonly bigint[];
  /** Per validator index. A 'twins' validator runs two instances with one key. */
  readonly behaviours: readonly Behaviour[];
  readonly faultDelay: DelayModel;
  readonly calmDelay: DelayModel;
  readonly drop: number;
  readonly duplicate: number;
  readonly partitions: readonly Partition[];
  readonly crashes: readonly Crash[];
  /** From this time on the network behaves: no partitions, drops or crashes; bounded delays. */
  readonly healAt: number;
  /** Validator-set changes taking effect at a height: [validator index, new power] (0 removes). */
  readonly valsetChanges: ReadonlyMap<number, readonly (readonly [number, bigint])[]>;
  /** 'busy': there is always something to propose; 'sparse': transactions arrive in bursts. */
  readonly load: 'busy' | 'sparse';
  readonly txBursts: readonly number[];
  /** Block sync (serving commit certificates to laggards) only once healed: it would mask consensus bugs. */
  readonly syncOnlyAfterHeal: boolean;
}

export const SCENARIOS = [
  'calm',
  'lossy',
  'partition',
  'crash',
  'equivocator',
  'doubleVoter',
  'amnesia',
  'silent',
  'replayer',
  'forger',
  'twins',
  'churn',
  'sparse',
  'mixed',
  'lockStress',
] as const;
export type ScenarioName = (typeof SCENARIOS)[number];

const CALM: DelayModel = { kind: 'uniform', min: 5, max: 60 };

function faultyDelay(rng: Prng): DelayModel {
  return rng.pick<DelayModel>([
    { kind: 'bimodal', min: 5, max: 80, slowProb: 0.1, slowMax: 3000 },
    { kind: 'exponential', min: 2, mean: 150, cap: 4000 },
    { kind: 'uniform', min: 1, max: 700 },
  ]);
}

function partitions(rng: Prng, instances: number, healAt: number): Partition[] {
  const out: Partition[] = [];
  let t = rng.range(0, 1500);
  const episodes = 1 + rng.int(3);
  for (let e = 0; e < episodes && t < healAt - 500; e++) {
    const to = Math.min(healAt, t + rng.range(500, 4000));
    const ids = rng.shuffle([...Array(instances).keys()]);
    const cut = 1 + rng.int(Math.max(1, instances - 1));
    const groups = rng.chance(0.3) && instances >= 3 ? [ids.slice(0, cut), ids.slice(cut, cut + 1), ids.slice(cut + 1)] : [ids.slice(0, cut), ids.slice(cut)];
    out.push({ from: t, to, groups: groups.filter((g) => g.length > 0) });
    t = to + rng.range(0, 1500);
  }
  return out;
}

function crashes(rng: Prng, instances: number, healAt: number, count: number): Crash[] {
  return Array.from({ length: count }, () => {
    const at = rng.range(0, healAt - 600);
    return { instance: rng.int(instances), at, downFor: Math.min(rng.range(100, 4000), healAt - at - 100) };
  });
}

/** How many validators may be Byzantine with equal powers: f with n ≥ 3f + 1. */
export const maxFaulty = (n: number): number => Math.floor((n - 1) / 3);

function byzantine(rng: Prng, n: number, kinds: readonly Behaviour[], count = maxFaulty(n)): Behaviour[] {
  const behaviours: Behaviour[] = Array(n).fill('honest');
  for (const i of rng.shuffle([...Array(n).keys()]).slice(0, count)) behaviours[i] = rng.pick(kinds);
  return behaviours;
}

export function buildScenario(name: ScenarioName, n: number, seed: number): Scenario {
  const rng = new Prng(seed ^ 0x5eed);
  const healAt = Math.round(rng.range(2500, 7000));
  const base: Scenario = {
    name, n, seed, healAt,
    powers: Array(n).fill(1n),
    behaviours: Array(n).fill('honest'),
    faultDelay: faultyDelay(rng),
    calmDelay: CALM,
    drop: 0,
    duplicate: 0,
    partitions: [],
    crashes: [],
    valsetChanges: new Map(),
    load: 'busy',
    txBursts: [],
    syncOnlyAfterHeal: false,
  };
  const single: Partial<Record<ScenarioName, Behaviour>> = {
    equivocator: 'equivocatingProposer', doubleVoter: 'doubleVoter', amnesia: 'amnesia', silent: 'silent', replayer: 'replayer', forger: 'forger', twins: 'twins',
  };
  const lossy = { drop: rng.range(0.02, 0.25), duplicate: rng.range(0, 0.2) };
  const behaviour = single[name];
  if (behaviour) return { ...base, ...lossy, behaviours: byzantine(rng, n, [behaviour]), partitions: rng.chance(0.4) ? partitions(rng, n, healAt) : [] };
  switch (name) {
    case 'calm':
      return { ...base, faultDelay: CALM };
    case 'lossy':
      return { ...base, ...lossy };
    case 'partition':
      return { ...base, duplicate: lossy.duplicate, partitions: partitions(rng, n, healAt) };
    case 'crash':
      return { ...base, ...lossy, crashes: crashes(rng, n, healAt, 1 + rng.int(Math.max(1, n))) };
    case 'churn': {
      const powers = Array.from({ length: n }, () => BigInt(1 + rng.int(10)));
      const changes = new Map<number, [number, bigint][]>();
      for (let k = 0; k < 3; k++) {
        const height = 2 + rng.int(8);
        changes.set(height, [...(changes.get(height) ?? []), [rng.int(n), BigInt(rng.int(n > 1 ? 12 : 1) + (n > 1 ? 0 : 1))]]);
      }
      return { ...base, ...lossy, powers, valsetChanges: changes, partitions: rng.chance(0.5) ? partitions(rng, n, healAt) : [] };
    }
    case 'sparse': {
      const bursts = Array.from({ length: 2 + rng.int(3) }, (_, i) => 500 + i * 20000 + rng.range(0, 3000));
      return { ...base, faultDelay: CALM, load: 'sparse', txBursts: bursts, healAt: 0 };
    }
    case 'mixed':
      return {
        ...base,
        ...lossy,
        behaviours: byzantine(rng, n, BYZANTINE, rng.int(maxFaulty(n) + 1)),
        partitions: rng.chance(0.6) ? partitions(rng, n, healAt) : [],
        crashes: rng.chance(0.5) ? crashes(rng, n, healAt, 1 + rng.int(2)) : [],
      };
    case 'lockStress':
      // Flaky links and an adversary that equivocates both as proposer and as voter: the
      // situations where only the lock rule keeps a decided value from being overturned.
      return {
        ...base,
        healAt: Math.round(rng.range(8000, 15000)),
        drop: rng.range(0.1, 0.35),
        duplicate: 0.05,
        behaviours: byzantine(rng, n, ['chaos']),
        partitions: partitions(rng, n, 8000),
        syncOnlyAfterHeal: true,
      };
    default:
      return base;
  }
}
