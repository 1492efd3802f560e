import type { PublicKey } from '../crypto/index.js';
import { InvalidValidatorSetError } from './errors.js';
import type { Address, Round } from './types.js';

export interface Validator {
  readonly address: Address;
  readonly publicKey: PublicKey;
  readonly power: bigint;
}

/** A bound that keeps priority arithmetic far from any overflow when ported to int64 (CometBFT uses the same). */
export const MAX_TOTAL_VOTING_POWER = (1n << 63n) / 8n;

// CometBFT keeps priorities within a window of twice the total power so that a validator that
// joined long ago cannot starve the others; we use the same factor.
const PRIORITY_WINDOW_FACTOR = 2n;
// Recent proposers kept for repeated lookups (gossip re-checks the same few rounds).
const PROPOSER_CACHE = 64;

function floorDiv(a: bigint, b: bigint): bigint {
  const q = a / b;
  return a % b !== 0n && (a < 0n) !== (b < 0n) ? q - 1n : q;
}

function rescaleAndCenter(priorities: bigint[], total: bigint): void {
  let max = priorities[0]!;
  let min = max;
  let sum = 0n;
  for (const p of priorities) {
    if (p > max) max = p;
    if (p < min) min = p;
  }
  const window = PRIORITY_WINDOW_FACTOR * total;
  if (max - min > window) {
    const ratio = (max - min + window - 1n) / window;
    for (let i = 0; i < priorities.length; i++) priorities[i] = priorities[i]! / ratio;
  }
  for (const p of priorities) sum += p;
  const average = floorDiv(sum, BigInt(priorities.length));
  for (let i = 0; i < priorities.length; i++) priorities[i] = priorities[i]! - average;
}

/** One step of weighted round robin: everyone gains its power, the richest proposes and pays the total. */
function incrementOnce(priorities: bigint[], validators: readonly Validator[], total: bigint): number {
  let best = 0;
  for (let i = 0; i < priorities.length; i++) {
    priorities[i] = priorities[i]! + validators[i]!.power;
    // Ties go to the lower index, i.e. the smaller address, so every node picks the same one.
    if (priorities[i]! > priorities[best]!) best = i;
  }
  priorities[best] = priorities[best]! - total;
  return best;
}

/**
 * The validators of one height, sorted by address, with CometBFT-style proposer priorities:
 * the proposer of round r is found by r further weighted round-robin steps from round 0, so
 * every node computes the same proposer for every (height, round) and each validator proposes
 * in proportion to its power.
 */
export class ValidatorSet {
  readonly validators: readonly Validator[];
  readonly totalPower: bigint;
  private readonly index: ReadonlyMap<Address, number>;
  /** Priorities after round 0's proposer was chosen. */
  private readonly priorities: readonly bigint[];
  private readonly roundZero: Address;
  /** Priorities after the proposer of `round` was chosen. */
  private cursor: { round: Round; priorities: bigint[] } | undefined;
  private readonly recent = new Map<Round, Address>();

  private constructor(validators: readonly Validator[], priorities: readonly bigint[], roundZero: Address) {
    this.validators = validators;
    this.totalPower = validators.reduce((sum, v) => sum + v.power, 0n);
    this.index = new Map(validators.map((v, i) => [v.address, i]));
    this.priorities = priorities;
    this.roundZero = roundZero;
  }

  /** The set of the first height: all priorities start at zero. */
  static genesis(validators: readonly Validator[]): ValidatorSet {
    const sorted = ValidatorSet.validated(validators);
    return ValidatorSet.advanced(sorted, sorted.map(() => 0n));
  }

  private static validated(validators: readonly Validator[]): Validator[] {
    if (validators.length === 0) throw new InvalidValidatorSetError('a validator set needs at least one validator');
    const sorted = [...validators].sort((a, b) => (a.address < b.address ? -1 : a.address > b.address ? 1 : 0));
    let total = 0n;
    for (let i = 0; i < sorted.length; i++) {
      const v = sorted[i]!;
      if (v.power <= 0n) throw new InvalidValidatorSetError(`validator ${v.address} has power ${v.power}; it must be positive`);
      if (i > 0 && sorted[i - 1]!.address === v.address) throw new InvalidValidatorSetError(`validator ${v.address} appears twice`);
      total += v.power;
    }
    if (total > MAX_TOTAL_VOTING_POWER) throw new InvalidValidatorSetError(`total voting power ${total} exceeds ${MAX_TOTAL_VOTING_POWER}`);
    return sorted;
  }

  private static advanced(validators: readonly Validator[], priorities: bigint[]): ValidatorSet {
    const total = validators.reduce((sum, v) => sum + v.power, 0n);
    rescaleAndCenter(priorities, total);
    const chosen = incrementOnce(priorities, validators, total);
    return new ValidatorSet(validators, priorities, validators[chosen]!.address);
  }

  get size(): number {
    return this.validators.length;
  }

  get(address: Address): Validator | undefined {
    const i = this.index.get(address);
    return i === undefined ? undefined : this.validators[i];
  }

  powerOf(address: Address): bigint {
    return this.get(address)?.power ?? 0n;
  }

  /** More than two thirds of the total power, exactly: 3·power > 2·total. */
  isQuorum(power: bigint): boolean {
    return power * 3n > this.totalPower * 2n;
  }

  /** More than one third of the total power: at least one honest validator is among them. */
  exceedsOneThird(power: bigint): boolean {
    return power * 3n > this.totalPower;
  }

  /**
   * The proposer of `round`: `round` weighted round-robin steps from round 0. A cursor walks
   * forward (rounds are asked for mostly in increasing order) and a bounded cache keeps recent
   * answers; a round behind the cursor is recomputed from round 0 in O(round) time and O(n)
   * memory. Nothing here grows with the round: callers bound the rounds they ask for (the
   * driver refuses messages more than `maxRoundsAhead` above its round).
   */
  proposer(round: Round): Address {
    if (!Number.isSafeInteger(round) || round < 0) throw new RangeError(`round ${round} is not a round`);
    if (round === 0) return this.roundZero;
    const cached = this.recent.get(round);
    if (cached !== undefined) return cached;
    if (!this.cursor || this.cursor.round > round) this.cursor = { round: 0, priorities: this.startPriorities() };
    const c = this.cursor;
    let chosen = this.roundZero;
    while (c.round < round) {
      chosen = this.validators[incrementOnce(c.priorities, this.validators, this.totalPower)]!.address;
      c.round++;
      if (round - c.round < PROPOSER_CACHE) this.remember(c.round, chosen);
    }
    return chosen;
  }

  private startPriorities(): bigint[] {
    const p = [...this.priorities];
    rescaleAndCenter(p, this.totalPower);
    return p;
  }

  private remember(round: Round, address: Address): void {
    if (this.recent.size >= PROPOSER_CACHE) this.recent.delete(this.recent.keys().next().value!);
    this.recent.set(round, address);
  }

  /**
   * The set of the next height. `updates` change powers (0 removes a validator, an unknown
   * address adds one). Newcomers start well below zero priority, as in CometBFT, so that
   * joining and leaving cannot be used to jump the proposer queue.
   */
  next(updates: readonly Validator[] = []): ValidatorSet {
    const priority = new Map(this.validators.map((v, i) => [v.address, this.priorities[i]!]));
    const byAddress = new Map(this.validators.map((v) => [v.address, v]));
    for (const u of updates) {
      if (u.power === 0n) byAddress.delete(u.address);
      else byAddress.set(u.address, u);
    }
    const validators = ValidatorSet.validated([...byAddress.values()]);
    const total = validators.reduce((sum, v) => sum + v.power, 0n);
    const newcomer = -(total + (total >> 3n));
    return ValidatorSet.advanced(validators, validators.map((v) => priority.get(v.address) ?? newcomer));
  }
}
