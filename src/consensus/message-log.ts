/**
 * One height's message log: the proposals and (through the vote keeper) the votes a driver has
 * accepted, each checked before it counts (well-formed, from a validator, from the round's
 * proposer, signed, value hash), with equivocation reported once per slot. The driver decides
 * what the log implies (driver.ts); this file only decides what gets in.
 */
import type { Suite } from '../crypto/index.js';
import type { Evidence } from './evidence.js';
import type { RejectReason } from './outputs.js';
import { messageSlot } from './recovery.js';
import { valueIdOf, verifyProposalSignature, verifyVoteSignature } from './sign.js';
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
  /** A message of the next height: kept by the driver for when it gets there. */
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
    if (m.height !== this.o.height) {
      if (m.height !== this.o.height + 1) return 'wrongHeight';
      this.o.onNextHeight(m);
      return null;
    }
    return m.kind === 'vote' ? this.ingestVote(m) : this.ingestProposal(m);
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
    const member = this.o.validators.get(v.validator);
    if (!member) return 'notValidator';
    // A copy of a vote already counted changes nothing; skipping it before the signature check
    // keeps re-gossip cheap. A different vote for the same slot is checked and becomes evidence.
    if (this.o.keeper.has(v)) return null;
    if (!verifyVoteSignature(this.o.suite, member.publicKey, v, this.o.chainId)) return 'badSignature';
    const result = this.o.keeper.add(v);
    if (result.kind === 'equivocation') this.report(`${v.validator}/${messageSlot(v)}`, result.evidence);
    return null;
  }

  private ingestProposal(p: Proposal): RejectReason | null {
    const member = this.o.validators.get(p.proposer);
    if (!member) return 'notValidator';
    if (this.o.validators.proposer(p.round) !== p.proposer) return 'notProposer';
    const list = this.proposalsAt(p.round);
    if (list.some((q) => q.valueId === p.valueId && q.validRound === p.validRound)) return null;
    if (valueIdOf(this.o.suite, p.value) !== p.valueId) return 'badValueId';
    if (!verifyProposalSignature(this.o.suite, member.publicKey, p, this.o.chainId)) return 'badSignature';
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
