/**
 * Counts the weighted votes of one height, per round and type, and reports the thresholds of
 * Algorithm 1 as they are crossed: a polka (+2/3 prevotes) for a value, for nil or for anything;
 * +2/3 precommits for a value or for anything; and +1/3 of the power voting in a higher round
 * (the L55 round skip). As in the paper, a threshold for a value counts the distinct
 * validators that sent that vote: an equivocating validator counts towards each value it
 * voted for (its second vote comes back as evidence), but only once towards "any". Counting
 * only its first vote would be no safer — quorum intersection already allows f to vote twice
 * — and would cost liveness: honest nodes that heard different halves could never agree
 * that a polka happened (CometBFT needs peer "maj23" claims for the same reason).
 */
import type { DuplicateVoteEvidence } from './evidence.js';
import type { ValidatorSet } from './validator-set.js';
import type { Address, Round, ValueId, Vote, VoteType } from './types.js';

export type Threshold =
  | { readonly kind: 'polkaValue'; readonly round: Round; readonly valueId: ValueId }
  | { readonly kind: 'polkaNil'; readonly round: Round }
  | { readonly kind: 'polkaAny'; readonly round: Round }
  | { readonly kind: 'precommitValue'; readonly round: Round; readonly valueId: ValueId }
  | { readonly kind: 'precommitAny'; readonly round: Round }
  | { readonly kind: 'skipRound'; readonly round: Round };

/** The quorum arithmetic, a seam so the simulator can prove it catches a wrong one. */
export interface Quorums {
  isQuorum(power: bigint): boolean;
  exceedsOneThird(power: bigint): boolean;
}

export type AddResult =
  | { readonly kind: 'added'; readonly thresholds: readonly Threshold[] }
  | { readonly kind: 'duplicate' }
  /** Counted too (see above), and reported. */
  | { readonly kind: 'equivocation'; readonly evidence: DuplicateVoteEvidence; readonly thresholds: readonly Threshold[] };

const NIL = '';
/** Distinct values one validator may get counted for in one slot; more is only noise. */
const MAX_VOTES_PER_SLOT = 3;

class Tally {
  readonly votes = new Map<Address, Vote[]>();
  readonly byValue = new Map<string, bigint>();
  any = 0n;

  add(vote: Vote, power: bigint): bigint {
    const earlier = this.votes.get(vote.validator);
    if (earlier) earlier.push(vote);
    else {
      this.votes.set(vote.validator, [vote]);
      this.any += power;
    }
    const key = vote.valueId ?? NIL;
    const sum = (this.byValue.get(key) ?? 0n) + power;
    this.byValue.set(key, sum);
    return sum;
  }

  power(valueId: ValueId | null): bigint {
    return this.byValue.get(valueId ?? NIL) ?? 0n;
  }
}

class RoundVotes {
  readonly prevote = new Tally();
  readonly precommit = new Tally();
  /** Power of the distinct validators that sent any vote in this round (for L55). */
  readonly voters = new Set<Address>();
  voterPower = 0n;
}

export class VoteKeeper {
  private readonly rounds = new Map<Round, RoundVotes>();
  private readonly emitted = new Set<string>();
  private readonly quorums: Quorums;

  constructor(
    private readonly validators: ValidatorSet,
    quorums?: Quorums,
  ) {
    this.quorums = quorums ?? validators;
  }

  private round(round: Round): RoundVotes {
    let r = this.rounds.get(round);
    if (!r) this.rounds.set(round, (r = new RoundVotes()));
    return r;
  }

  /** Rounds with at least one counted vote (bounded by the round window). */
  get roundCount(): number {
    return this.rounds.size;
  }

  /** Whether the same signer's vote for the same value, round and type is already counted. */
  has(vote: Vote): boolean {
    const earlier = this.rounds.get(vote.round)?.[vote.type].votes.get(vote.validator);
    return earlier !== undefined && earlier.some((v) => v.valueId === vote.valueId);
  }

  /** Adds a vote whose signature, signer and height the driver has already checked. */
  add(vote: Vote): AddResult {
    const power = this.validators.powerOf(vote.validator);
    const r = this.round(vote.round);
    const tally = r[vote.type];
    const earlier = tally.votes.get(vote.validator);
    if (earlier?.some((v) => v.valueId === vote.valueId)) return { kind: 'duplicate' };
    if (earlier && earlier.length >= MAX_VOTES_PER_SLOT) return { kind: 'duplicate' };
    const sum = tally.add(vote, power);
    if (!r.voters.has(vote.validator)) {
      r.voters.add(vote.validator);
      r.voterPower += power;
    }
    const thresholds = this.crossed(vote, tally, sum, r);
    if (earlier) return { kind: 'equivocation', evidence: { kind: 'duplicateVote', first: earlier[0]!, second: vote }, thresholds };
    return { kind: 'added', thresholds };
  }

  private crossed(vote: Vote, tally: Tally, sum: bigint, r: RoundVotes): Threshold[] {
    const out: Threshold[] = [];
    const emit = (t: Threshold, key: string): void => {
      if (this.emitted.has(key)) return;
      this.emitted.add(key);
      out.push(t);
    };
    const { round, valueId, type } = vote;
    if (this.quorums.isQuorum(sum)) {
      if (type === 'prevote') {
        if (valueId === null) emit({ kind: 'polkaNil', round }, `pn/${round}`);
        else emit({ kind: 'polkaValue', round, valueId }, `pv/${round}/${valueId}`);
      } else if (valueId !== null) emit({ kind: 'precommitValue', round, valueId }, `cv/${round}/${valueId}`);
    }
    if (this.quorums.isQuorum(tally.any)) {
      if (type === 'prevote') emit({ kind: 'polkaAny', round }, `pa/${round}`);
      else emit({ kind: 'precommitAny', round }, `ca/${round}`);
    }
    if (this.quorums.exceedsOneThird(r.voterPower)) emit({ kind: 'skipRound', round }, `sk/${round}`);
    return out;
  }

  /** +2/3 prevotes for `valueId` (nil when null) in `round`. */
  polka(round: Round, valueId: ValueId | null): boolean {
    const r = this.rounds.get(round);
    return r !== undefined && this.quorums.isQuorum(r.prevote.power(valueId));
  }

  polkaAny(round: Round): boolean {
    const r = this.rounds.get(round);
    return r !== undefined && this.quorums.isQuorum(r.prevote.any);
  }

  precommitAny(round: Round): boolean {
    const r = this.rounds.get(round);
    return r !== undefined && this.quorums.isQuorum(r.precommit.any);
  }

  /** The value with +2/3 precommits in `round`, if any (two would need +1/3 equivocating). */
  precommitValue(round: Round): ValueId | null {
    const r = this.rounds.get(round);
    if (!r) return null;
    for (const [key, power] of r.precommit.byValue) if (key !== NIL && this.quorums.isQuorum(power)) return key;
    return null;
  }

  /** Rounds that have a precommit quorum for some value, with that value. */
  *decidable(): Generator<{ round: Round; valueId: ValueId }> {
    for (const round of this.rounds.keys()) {
      const valueId = this.precommitValue(round);
      if (valueId !== null) yield { round, valueId };
    }
  }

  /** The highest round above `current` in which validators with +1/3 of the power voted (L55). */
  skipRound(current: Round): Round | null {
    let best: Round | null = null;
    for (const [round, r] of this.rounds) {
      if (round > current && (best === null || round > best) && this.quorums.exceedsOneThird(r.voterPower)) best = round;
    }
    return best;
  }

  /** Every counted vote of the height, for relaying to peers. */
  *all(): Generator<Vote> {
    for (const r of this.rounds.values()) for (const tally of [r.prevote, r.precommit]) for (const list of tally.votes.values()) yield* list;
  }

  /** The counted votes of one type and round (for certificates and re-gossip). */
  votes(round: Round, type: VoteType, valueId?: ValueId | null): Vote[] {
    const tally = this.rounds.get(round)?.[type];
    if (!tally) return [];
    const all = [...tally.votes.values()].flat();
    return valueId === undefined ? all : all.filter((v) => v.valueId === valueId);
  }
}
