/**
 * Validator-set changes in node-level runs. A scenario may start some nodes as followers (a key,
 * not in the genesis set) and carry a schedule: heights whose block puts a new set in force from
 * the next height on (a follower added, a validator removed, a power changed). The schedule is
 * drawn from the seed once, so it is a pure function of (seed, height): every node's application
 * wrapper returns the same `nextValidators` for the same block, as the governance chain would.
 *
 * Also here: the sets every check uses (ScheduledSets), the record of what honest nodes sign
 * (Membership), the store-side checks, and test-only wrong engine behaviours for the teeth.
 */
import type { BlockStore } from '../../../src/chain/index.js';
import { decodeCommitCertificate, type ConsensusMessage, type Validator, type ValidatorSet } from '../../../src/consensus/index.js';
import type { KvApplication, ValidatorUpdate } from '../../../src/execution/index.js';
import type { ChainRunner } from '../../../src/node/chain-runner.js';
import { advanceValidatorSet } from '../../../src/node/validator-hash.js';
import { decodeValidatorUpdates } from '../../../src/node/validator-updates.js';
import { suite, testValidator } from '../keys.js';
import { Prng } from '../prng.js';

export interface Member {
  readonly index: number;
  readonly power: number;
}

/** Height whose block changes the set → the whole set from the next height on. */
export type SetChanges = ReadonlyMap<number, readonly Member[]>;

/** Never fewer validators than this (n = 4 tolerates one fault). */
export const MIN_SET = 4;
const MAX_POWER = 3;
/** Changes per run; runs commit about 18 heights, so the last change lands mid-run. */
const CHANGES = 6;
/** A member's stretch of heights long enough that it must have signed in it. */
const MIN_STRETCH = 4;
/** Members, powers and the round-0 proposer: what two sets must share to be the same set. */
export const describeSet = (set: ValidatorSet): string => `${set.validators.map((v) => `${v.address.slice(0, 8)}:${v.power}`).join(',')} first ${set.proposer(0).slice(0, 8)}`;

/**
 * Wrong engine behaviours, put in by test-only wrappers (never by editing src/): the checks must
 * catch each. 'ignoreNextValidators': the runner never sees the application's change;
 * 'lateNextValidators': it applies each change one height late; 'forgetStoredSets': the block
 * store drops the set stored beside a block (a restart loses it); 'removedKeepsSigning': a
 * node's runner misses the change that removes it (it goes on as a validator).
 */
export const ENGINE_FAULTS = ['ignoreNextValidators', 'lateNextValidators', 'forgetStoredSets', 'removedKeepsSigning'] as const;
export type EngineFault = (typeof ENGINE_FAULTS)[number];

export const isEngineFault = (s: string): s is EngineFault => (ENGINE_FAULTS as readonly string[]).includes(s);

export interface PlanOptions {
  /** Genesis validators are 0..n-1, power 1. */
  readonly n: number;
  readonly followers: readonly number[];
  /** Byzantine and crashing nodes: together always under a third of the power. */
  readonly faulty: ReadonlySet<number>;
  /** A Byzantine genesis validator to remove as early as the set allows. */
  readonly remove?: number;
  /** A Byzantine follower to add once `remove` is out (from the fourth change on). */
  readonly addLate?: number;
}

const power = (set: readonly Member[], which?: ReadonlySet<number>) => set.reduce((s, m) => s + (!which || which.has(m.index) ? m.power : 0), 0);

/** Whether a set keeps the run's assumptions: at least MIN_SET members, faulty power < 1/3. */
export function setIsSound(set: readonly Member[], faulty: ReadonlySet<number>): boolean {
  return set.length >= MIN_SET && 3 * power(set, faulty) < power(set);
}

/** The schedule of set changes, drawn from `seed` alone. */
export function planChanges(seed: number, o: PlanOptions): Map<number, Member[]> {
  const prng = new Prng(seed ^ 0x75e7);
  const everyone = [...Array(o.n).keys(), ...o.followers];
  let set: Member[] = Array.from({ length: o.n }, (_, index) => ({ index, power: 1 }));
  const changes = new Map<number, Member[]>();
  let h = 1 + prng.int(2);
  for (let k = 0; k < CHANGES; k++, h += 1 + prng.int(3)) {
    const has = (i: number) => set.some((m) => m.index === i);
    const add = (i: number): Member[] => [...set, { index: i, power: 1 + prng.int(2) }];
    const outsiders = everyone.filter((i) => !has(i) && i !== o.addLate);
    const options: Member[][] = [];
    if (o.remove !== undefined && has(o.remove)) {
      options.push(set.filter((m) => m.index !== o.remove));
      for (const i of outsiders.filter((x) => !o.faulty.has(x))) options.push(add(i));
    } else if (o.addLate !== undefined && !has(o.addLate) && k >= 3) options.push(add(o.addLate));
    const random: Member[][] = [];
    if (outsiders.length > 0) random.push(add(prng.pick(outsiders)));
    const victim = prng.pick(set);
    random.push(set.filter((m) => m !== victim));
    const changed = prng.pick(set);
    const to = 1 + ((changed.power + prng.int(MAX_POWER - 1)) % MAX_POWER);
    random.push(set.map((m) => (m === changed ? { index: m.index, power: to } : m)));
    options.push(...prng.shuffle(random));
    const next = options.find((s) => setIsSound(s, o.faulty));
    if (!next) continue;
    set = next;
    changes.set(h, set);
  }
  return changes;
}

export function validatorOf(m: Member): Validator {
  return { ...testValidator(m.index).validator, power: BigInt(m.power) };
}

export function updateOf(m: Member): ValidatorUpdate {
  return { name: `node${m.index}`, publicKey: testValidator(m.index).key.publicKey.bytes, power: m.power };
}

/** The set of every height under the schedule, as advanceValidatorSet computes it (memoized). */
export class ScheduledSets {
  private readonly sets: ValidatorSet[];

  constructor(
    genesis: ValidatorSet,
    readonly changes: SetChanges,
  ) {
    this.sets = [genesis, genesis];
  }

  at(height: number): ValidatorSet {
    for (let h = this.sets.length; h <= height; h++) {
      const full = this.changes.get(h - 1);
      this.sets.push(advanceValidatorSet(this.sets[h - 1]!, full?.map(validatorOf)));
    }
    return this.sets[Math.max(1, height)]!;
  }

  isMember(index: number, height: number): boolean {
    return this.at(height).get(testValidator(index).validator.address) !== undefined;
  }
}

/** Whether the block of `height` removes node `index` from the set (genesis: 0..n-1). */
function removes(changes: SetChanges, n: number, index: number, height: number): boolean {
  const next = changes.get(height);
  if (!next || next.some((m) => m.index === index)) return false;
  const before = [...changes.keys()].filter((h) => h < height).sort((a, b) => b - a)[0];
  return before === undefined ? index < n : changes.get(before)!.some((m) => m.index === index);
}

/** Returns the schedule's `nextValidators` from node `index`'s executeBlock (or, with a fault, does it wrong). */
export function withSetChanges(app: KvApplication, changes: SetChanges, fault: EngineFault | undefined, n: number, index: number): void {
  if (changes.size === 0) return;
  const execute = app.executeBlock.bind(app);
  app.executeBlock = async (ctx, txs) => {
    const result = await execute(ctx, txs);
    if (fault === 'ignoreNextValidators') return result;
    if (fault === 'removedKeepsSigning' && removes(changes, n, index, ctx.height)) return result;
    const next = changes.get(fault === 'lateNextValidators' ? ctx.height - 1 : ctx.height);
    return next ? { ...result, nextValidators: next.map(updateOf) } : result;
  };
}

/** 'forgetStoredSets': a store whose append drops the set beside the block. */
export function withFaultyStore(store: BlockStore, fault: EngineFault | undefined): void {
  if (fault !== 'forgetStoredSets') return;
  const append = store.append.bind(store);
  store.append = (height, block, certificate) => append(height, block, certificate);
}

/**
 * What honest nodes sign, checked as it is sent: a node signs a height's proposal or vote only
 * if that height's set holds it (a removed validator signs nothing after its removal, a follower
 * nothing before the height after the block that adds it).
 */
export class Membership {
  readonly violations: string[] = [];
  /** Node → heights it signed something at. */
  readonly signed = new Map<number, Set<number>>();
  private readonly reported = new Set<string>();

  constructor(private readonly sets: ScheduledSets) {}

  sent(index: number, m: ConsensusMessage): void {
    let heights = this.signed.get(index);
    if (!heights) this.signed.set(index, (heights = new Set()));
    heights.add(m.height);
    const what = m.kind === 'vote' ? m.type : 'proposal';
    // Re-gossip sends the same messages again: one report each.
    const key = `${index}/${m.height}/${m.round}/${what}`;
    if (this.sets.isMember(index, m.height) || this.reported.has(key) || this.reported.size > 20) return;
    this.reported.add(key);
    this.violations.push(`membership: node${index} signed a ${what} of height ${m.height} round ${m.round}, and is not in that height's set${this.since(index, m.height)}`);
  }

  private since(index: number, height: number): string {
    for (let h = height - 1; h >= 1; h--) if (this.sets.isMember(index, h)) return ` (removed by block ${h})`;
    return ' (a follower)';
  }

  /**
   * Every honest node that was never down signs at some height of each stretch of at least
   * `MIN_STRETCH` heights (up to `top`) in which it is a member: a newcomer takes part from
   * the height after the block that added it.
   */
  takesPart(index: number, top: number): string[] {
    const out: string[] = [];
    const heights = this.signed.get(index) ?? new Set<number>();
    for (let a = 1; a <= top; a++) {
      if (!this.sets.isMember(index, a) || (a > 1 && this.sets.isMember(index, a - 1))) continue;
      let b = a;
      while (b < top && this.sets.isMember(index, b + 1)) b++;
      const signed = [...heights].some((h) => h >= a && h <= b);
      if (b - a + 1 >= MIN_STRETCH && !signed) out.push(`membership: node${index}, a validator from height ${a} to ${b}${a > 1 ? ` (added by block ${a - 1})` : ''}, signed nothing there`);
    }
    return out;
  }
}

/**
 * The runner's own view, read as it enters each height: its current set (and validatorSetFor)
 * is the schedule's for that height, proposer order included, and it votes only if a member.
 */
export class RunnerViews {
  readonly violations: string[] = [];
  private readonly seen = new Map<number, number>();

  constructor(private readonly sets: ScheduledSets) {}

  check(index: number, runner: ChainRunner): void {
    const h = runner.height + 1;
    if (this.seen.get(index) === h || this.violations.length > 20) return;
    this.seen.set(index, h);
    const want = describeSet(this.sets.at(h));
    if (describeSet(runner.validators) !== want) this.violations.push(`vset: node${index} enters height ${h} with another set than the schedule's`);
    else if (describeSet(runner.validatorSetFor(h)!) !== want) this.violations.push(`vset: node${index}'s validatorSetFor(${h}) is not its current set`);
    if (runner.isValidator !== this.sets.isMember(index, h)) this.violations.push(`vset: node${index} at height ${h} ${runner.isValidator ? 'votes' : 'does not vote'}, but the schedule ${runner.isValidator ? 'leaves it out' : 'has it'}`);
  }
}

/** The store's recorded changes and its certificates' signers against the schedule. */
export async function storeMatchesSchedule(name: string, store: BlockStore, sets: ScheduledSets): Promise<string[]> {
  const out: string[] = [];
  const recorded = await store.validatorChanges();
  for (let h = 1; h <= store.height; h++) {
    const want = sets.changes.get(h);
    const bytes = recorded.get(h);
    if (!want && !bytes) continue;
    if (!want || !bytes) {
      out.push(`vset: ${name}'s store ${bytes ? 'records a change' : 'records no change'} at height ${h}; the schedule has ${want ? 'one' : 'none'}`);
      continue;
    }
    const got = decodeValidatorUpdates(suite, bytes).validators.map((v) => `${v.address}:${v.power}`);
    const expected = want.map((m) => `${testValidator(m.index).validator.address}:${m.power}`);
    if (got.join() !== expected.join()) out.push(`vset: ${name}'s store records another set at height ${h} than the schedule`);
  }
  for (let h = 1; h <= store.height; h++) {
    const cert = decodeCommitCertificate((await store.certificate(h))!);
    const set = sets.at(h);
    const outsider = cert.signatures.find((s) => !set.get(s.validator));
    if (outsider) out.push(`vset: ${name}'s certificate of height ${h} holds a signature of ${outsider.validator.slice(0, 8)}, not in that height's set`);
  }
  return out;
}
