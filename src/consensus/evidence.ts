/**
 * Equivocation evidence: two messages signed by one validator for the same (height, round,
 * type) that name different values. Anyone holding the validator set of that height can check
 * it with `verifyEvidence`, so it can be put on chain and acted upon (slashing, removal).
 */
import type { Suite } from '../crypto/index.js';
import { InvalidEvidenceError } from './errors.js';
import { verifyProposalSignature, verifyVoteSignature } from './sign.js';
import type { ValidatorSet } from './validator-set.js';
import type { Proposal, Vote } from './types.js';

export interface DuplicateVoteEvidence {
  readonly kind: 'duplicateVote';
  readonly first: Vote;
  readonly second: Vote;
}

export interface DuplicateProposalEvidence {
  readonly kind: 'duplicateProposal';
  readonly first: Proposal;
  readonly second: Proposal;
}

export type Evidence = DuplicateVoteEvidence | DuplicateProposalEvidence;

/** The validator an evidence accuses. */
export function offender(evidence: Evidence): string {
  return evidence.kind === 'duplicateVote' ? evidence.first.validator : evidence.first.proposer;
}

/** Throws InvalidEvidenceError unless `evidence` proves equivocation by a member of `validators`. */
export function verifyEvidence(evidence: Evidence, validators: ValidatorSet, suite: Suite, chainId: string): void {
  const { first: a, second: b } = evidence;
  const who = offender(evidence);
  const validator = validators.get(who);
  if (!validator) throw new InvalidEvidenceError(`${who} is not a validator of this height`);
  if (a.height !== b.height || a.round !== b.round) throw new InvalidEvidenceError('the two messages are for different heights or rounds');
  if (a.valueId === b.valueId) throw new InvalidEvidenceError('the two messages name the same value');
  if (evidence.kind === 'duplicateVote') {
    const { first, second } = evidence;
    if (first.type !== second.type) throw new InvalidEvidenceError('a prevote and a precommit do not conflict');
    if (second.validator !== who) throw new InvalidEvidenceError('the two votes are from different validators');
    for (const v of [first, second]) {
      if (!verifyVoteSignature(suite, validator.publicKey, v, chainId)) throw new InvalidEvidenceError('a vote signature does not verify');
    }
  } else {
    const { first, second } = evidence;
    if (second.proposer !== who) throw new InvalidEvidenceError('the two proposals are from different proposers');
    for (const p of [first, second]) {
      if (!verifyProposalSignature(suite, validator.publicKey, p, chainId)) throw new InvalidEvidenceError('a proposal signature does not verify');
    }
  }
}
