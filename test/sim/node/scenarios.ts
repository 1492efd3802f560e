/**
 * Node-level scenarios: which validators are Byzantine and how, and which honest network
 * faults apply until the heal time. Everything is drawn from the seed: (scenario, n, seed) is a run.
 */
import { Prng } from '../prng.js';
import { UnknownScenarioError } from './errors.js';
import { planChanges, type SetChanges } from './vset.js';

export type Attack =
  /** Proposals (unsigned and signed) and votes with rounds near 2^53. */
  | 'hugeRound'
  /** C2: a proposal claiming valueId(B_bad) with a valid block B, then B_bad proposed, signed. */
  | 'forgedValueId'
  /** Its proposals carry more txs or bytes than the chain's limits (otherwise valid). */
  | 'oversize'
  /** Its proposals carry a time far past every clock. */
  | 'farFuture'
  /** Signed votes spread over millions of rounds. */
  | 'voteSpam'
  /** Next-height votes and proposals with junk signatures, naming every validator. */
  | 'junkNextHeight'
  /** Block-sync answers: a certificate of another height, or of another block. */
  | 'lyingSync'
  /** In its proposer round, 30 distinct valid blocks besides its own, each correctly signed. */
  | 'manyValues';

/**
 * What a Byzantine node does: an attack, or (only in vsetByzantine) 'followerSpam' — a follower
 * that signs proposals and votes of this height and the next, at rounds inside the window,
 * before it is a validator (and goes on once it is one).
 */
export type Behaviour = Attack | 'followerSpam';

export const ATTACKS: readonly Attack[] = ['hugeRound', 'forgedValueId', 'oversize', 'farFuture', 'voteSpam', 'junkNextHeight', 'lyingSync', 'manyValues'];

export type Fault = 'calm' | 'delay' | 'drop' | 'partition' | 'crash';

export const NODE_SCENARIOS = [
  'calm',
  'delay',
  'drop',
  'partition',
  'crash',
  ...ATTACKS,
  'forgedValueIdCrash',
  'lyingSyncPartition',
  // Validator-set changes (vset.ts): honest churn under delays, drops, a partition or a crash;
  // and churn that removes a Byzantine validator mid-run, later adding a Byzantine follower.
  'vsetChurn',
  'vsetByzantine',
] as const;
export type NodeScenarioName = (typeof NODE_SCENARIOS)[number];
type VsetScenarioName = 'vsetChurn' | 'vsetByzantine';
/** Followers of a vset scenario: nodes n and n+1 start with a key, outside the genesis set. */
const FOLLOWERS = 2;

export interface NodeScenario {
  readonly name: NodeScenarioName;
  readonly n: number;
  readonly seed: number;
  /** Node index → its behaviour; the others are honest. At most f = ⌊(n−1)/3⌋ in the genesis set. */
  readonly byzantine: ReadonlyMap<number, Behaviour>;
  /** Nodes n.. that start as followers (their runner has a key, not in the genesis set). */
  readonly followers: number;
  /** Heights whose block changes the set (vset scenarios; empty otherwise), a function of the seed. */
  readonly changes: SetChanges;
  readonly fault: Fault;
  readonly faultFrom: number;
  readonly healAt: number;
  readonly end: number;
  readonly drop: number;
  /** Honest nodes on each side during a partition. */
  readonly groups: readonly (readonly number[])[];
  readonly crash: { readonly node: number; readonly at: number; readonly downFor: number } | undefined;
  /** Mean one-way delay (ms) during the fault window and after. */
  readonly faultDelayMean: number;
  readonly calmDelayMean: number;
}

const FAULT_OF: Record<Exclude<NodeScenarioName, VsetScenarioName>, Fault> = {
  calm: 'calm',
  delay: 'delay',
  drop: 'drop',
  partition: 'partition',
  crash: 'crash',
  hugeRound: 'delay',
  forgedValueId: 'delay',
  oversize: 'calm',
  farFuture: 'drop',
  voteSpam: 'delay',
  junkNextHeight: 'calm',
  lyingSync: 'crash',
  forgedValueIdCrash: 'crash',
  lyingSyncPartition: 'partition',
  manyValues: 'calm',
};

function attackOf(name: NodeScenarioName): Attack | undefined {
  if (name === 'forgedValueIdCrash') return 'forgedValueId';
  if (name === 'lyingSyncPartition') return 'lyingSync';
  return (ATTACKS as readonly string[]).includes(name) ? (name as Attack) : undefined;
}

export function isScenario(name: string): name is NodeScenarioName {
  return (NODE_SCENARIOS as readonly string[]).includes(name);
}

export function buildNodeScenario(name: string, n: number, seed: number): NodeScenario {
  if (!isScenario(name)) throw new UnknownScenarioError(`unknown scenario '${name}'; known: ${NODE_SCENARIOS.join(', ')}`);
  const prng = new Prng(seed ^ 0x5eed);
  const f = Math.floor((n - 1) / 3);
  const attack = attackOf(name);
  const byzantine = new Map<number, Behaviour>();
  if (attack) for (const i of prng.shuffle([...Array(n).keys()]).slice(0, f)) byzantine.set(i, attack);
  // Vset draws come from their own stream, so the other scenarios' runs stay as they were.
  const vset = name === 'vsetChurn' || name === 'vsetByzantine' ? new Prng(seed ^ 0x7e57) : undefined;
  const followers = vset ? FOLLOWERS : 0;
  const removed = name === 'vsetByzantine' ? vset!.int(n) : undefined;
  if (removed !== undefined) {
    byzantine.set(removed, vset!.pick(ATTACKS));
    byzantine.set(n + 1, 'followerSpam');
  }
  const honest = [...Array(n + followers).keys()].filter((i) => !byzantine.has(i));
  // A Byzantine node and a crashed one would be half of a four-node set: vsetByzantine has no crash.
  const fault = name === 'vsetChurn' ? vset!.pick<Fault>(['delay', 'drop', 'crash', 'partition']) : name === 'vsetByzantine' ? vset!.pick<Fault>(['delay', 'drop']) : FAULT_OF[name];
  const faultFrom = 200 + prng.int(300);
  const healAt = faultFrom + 1500 + prng.int(1000);
  const shuffled = prng.shuffle([...honest]);
  const cut = 1 + prng.int(shuffled.length - 1);
  const crashNode = prng.pick(honest);
  const faulty = new Set([...byzantine.keys(), ...(fault === 'crash' ? [crashNode] : [])]);
  const plan = { n, followers: Array.from({ length: followers }, (_, i) => n + i), faulty };
  const changes = vset ? planChanges(seed, { ...plan, ...(removed !== undefined && { remove: removed, addLate: n + 1 }) }) : new Map();
  return {
    name,
    n,
    seed,
    byzantine,
    followers,
    changes,
    fault,
    faultFrom,
    healAt,
    end: healAt + 3500,
    drop: fault === 'drop' ? 0.2 + prng.float() * 0.3 : 0,
    groups: fault === 'partition' ? [shuffled.slice(0, cut), shuffled.slice(cut)] : [],
    crash: fault === 'crash' ? { node: crashNode, at: faultFrom + prng.int(500), downFor: 600 + prng.int(900) } : undefined,
    faultDelayMean: fault === 'delay' ? 40 + prng.int(120) : 15,
    calmDelayMean: 8 + prng.int(12),
  };
}
