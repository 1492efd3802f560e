/**
 * One height's message log: the proposals and (through the vote keeper) the votes a driver has
 * accepted, each checked before it counts (well-formed, from a validator, from the round's
 * proposer, signed, value hash), with equivocation reported once per slot. The driver decides
 * what the log implies (driver.ts); this file only decides what gets in.
 */
import type { Suite } from '../crypto/index.js';
import type { Evidence } from './evidence.js';
import type { RejectReason } from './outputs.js';
import { authenticate, authenticateProposal, authenticateVote, type AuthenticationContext } from './authenticate.js';
import { messageSlot } from './recovery.js';
import type { ConsensusMessage, Height, Proposal, Round, Vote } from './types.js';
import type { ValidatorSet } from './validator-set.js';
import type { VoteKeeper } from './vote-keeper.js';
import { wellFormed } from './well-formed.js';

// A bound on what a Byzantine proposer can make us store per round.
const MAX_PROPOSALS_PER_ROUND = 4;

export interface MessageLogOptions {
  readonly suite: Suite;
  readonly chainId: string;
  readonly height: Height;
  readonly validators: ValidatorSet;
  readonly keeper: VoteKeeper;
  /** The driver's current round: messages more than `maxRoundsAhead` above it are refused. */
  readonly currentRound: () => Round;
  readonly maxRoundsAhead: number;
  /** A signed message of the next height: kept by the driver for when it gets there. */
  readonly onNextHeight: (m: ConsensusMessage) => void;
  readonly onEvidence: (evidence: Evidence) => void;
}

export class MessageLog {
  private readonly proposals = new Map<Round, Proposal[]>();
  private readonly reported = new Set<string>();

  constructor(private readonly o: MessageLogOptions) {}

  get keeper(): VoteKeeper {
    return this.o.keeper;
  }

  /** Rounds with at least one accepted proposal. */
  get proposalRoundCount(): number {
    return this.proposals.size;
  }

  /** The proposals accepted for `round` (more than one only from an equivocating proposer). */
  proposalsAt(round: Round): readonly Proposal[] {
    return this.proposals.get(round) ?? [];
  }

  /** Every proposal and counted vote, for the host's gossip. */
  all(): ConsensusMessage[] {
    return [...[...this.proposals.values()].flat(), ...this.o.keeper.all()];
  }

  /** Checks a peer's message; null when it was taken (or is a harmless copy), else why not. */
  ingest(m: ConsensusMessage): RejectReason | null {
    if (!wellFormed(m, this.o.suite.hashLength)) return 'malformed';
    if (m.height === this.o.height + 1) return this.ingestNext(m);
    if (m.height !== this.o.height) return 'wrongHeight';
    return m.kind === 'vote' ? this.ingestVote(m) : this.ingestProposal(m);
  }

  /** What the checks of this height need (authenticate.ts). */
  context(): AuthenticationContext {
    const { suite, chainId, height, validators, maxRoundsAhead } = this.o;
    return { suite, chainId, height, validators, maxRound: this.o.currentRound() + maxRoundsAhead };
  }

  /**
   * A message of the next height is signature-checked (against this height's validators, which
   * the next height keeps unless governance changes them) before it is kept, so a peer cannot
   * crowd out real early votes with junk. Its proposer is checked when its height starts.
   */
  private ingestNext(m: ConsensusMessage): RejectReason | null {
    const reason = authenticate(m, { ...this.context(), height: this.o.height + 1, maxRound: this.o.maxRoundsAhead, checkProposer: false });
    if (reason === 'notValidator') return null; // possibly a validator the next height adds: dropped, re-gossip brings it again
    if (reason) return reason;
    this.o.onNextHeight(m);
    return null;
  }

  /** Records a message this validator signed itself (already checked by construction). */
  addOwn(m: ConsensusMessage): void {
    if (m.kind === 'vote') this.o.keeper.add(m);
    else {
      const list = this.proposalsAt(m.round);
      if (!list.some((q) => q.valueId === m.valueId)) this.proposals.set(m.round, [...list, m]);
    }
  }

  private ingestVote(v: Vote): RejectReason | null {
    // A copy of a vote already counted changes nothing; skipping it before the signature check
    // keeps re-gossip cheap. A different vote for the same slot is checked and becomes evidence.
    if (this.o.validators.get(v.validator) && v.round <= this.o.currentRound() + this.o.maxRoundsAhead && this.o.keeper.has(v)) return null;
    const reason = authenticateVote(v, this.context());
    if (reason) return reason;
    const result = this.o.keeper.add(v);
    if (result.kind === 'equivocation') this.report(`${v.validator}/${messageSlot(v)}`, result.evidence);
    return null;
  }

  private ingestProposal(p: Proposal): RejectReason | null {
    const list = this.proposalsAt(p.round);
    const copy = list.find((q) => q.valueId === p.valueId && q.validRound === p.validRound);
    // Only a byte-identical copy is harmless; anything else is checked in full.
    if (copy && copy.proposer === p.proposer && Buffer.from(copy.signature).equals(p.signature) && Buffer.from(copy.value).equals(p.value)) return null;
    const reason = authenticateProposal(p, this.context());
    if (reason) return reason;
    if (list.some((q) => q.valueId === p.valueId && q.validRound === p.validRound)) return null;
    if (list.length > 0) this.report(`${p.proposer}/${p.round}/proposal`, { kind: 'duplicateProposal', first: list[0]!, second: p });
    // An equivocating proposer's second value is kept too: a quorum may form on either.
    if (list.length < MAX_PROPOSALS_PER_ROUND) this.proposals.set(p.round, [...list, p]);
    return null;
  }

  private report(key: string, evidence: Evidence): void {
    if (this.reported.has(key)) return;
    this.reported.add(key);
    this.o.onEvidence(evidence);
  }
}
