/**
 * The checks that make a peer's message count, cheapest first, each before anything that
 * depends on it: shape, height, round window, membership, proposer of the round, value hash
 * computed here from the value, signature. Nothing a message *claims* is trusted before the
 * signature check passes; in particular the round bounds the proposer computation, so it is
 * checked first (review finding C1), and a host that validates a proposal's block (executes
 * it) does so only after `authenticateProposal` accepts it (C2, M8).
 */
import type { Suite } from '../crypto/index.js';
import type { RejectReason } from './outputs.js';
import { valueIdOf, verifyProposalSignature, verifyVoteSignature } from './sign.js';
import type { ConsensusMessage, Height, Proposal, Round, Vote } from './types.js';
import type { ValidatorSet } from './validator-set.js';
import { wellFormed } from './well-formed.js';

export interface AuthenticationContext {
  readonly suite: Suite;
  readonly chainId: string;
  readonly height: Height;
  readonly validators: ValidatorSet;
  /** The highest round accepted: the current round plus the window (config.maxRoundsAhead). */
  readonly maxRound: Round;
  /**
   * Whether the proposer of the message's round is checked. False only for messages of the next
   * height, whose proposer order is not known until this height decides.
   */
  readonly checkProposer?: boolean;
}

/** The shape, height and round checks every message passes before any lookup. */
function framing(m: ConsensusMessage, c: AuthenticationContext): RejectReason | null {
  if (!wellFormed(m, c.suite.hashLength)) return 'malformed';
  if (m.height !== c.height) return 'wrongHeight';
  if (m.round > c.maxRound) return 'roundTooFar';
  return null;
}

/** null when `p` is a proposal of `c.height` signed by the proposer of its round, else why not. */
export function authenticateProposal(p: Proposal, c: AuthenticationContext): RejectReason | null {
  const framed = framing(p, c);
  if (framed) return framed;
  const member = c.validators.get(p.proposer);
  if (!member) return 'notValidator';
  if (c.checkProposer !== false && c.validators.proposer(p.round) !== p.proposer) return 'notProposer';
  if (valueIdOf(c.suite, p.value) !== p.valueId) return 'badValueId';
  if (!verifyProposalSignature(c.suite, member.publicKey, p, c.chainId)) return 'badSignature';
  return null;
}

/** null when `v` is a vote of `c.height` signed by a validator, else why not. */
export function authenticateVote(v: Vote, c: AuthenticationContext): RejectReason | null {
  const framed = framing(v, c);
  if (framed) return framed;
  const member = c.validators.get(v.validator);
  if (!member) return 'notValidator';
  if (!verifyVoteSignature(c.suite, member.publicKey, v, c.chainId)) return 'badSignature';
  return null;
}

export function authenticate(m: ConsensusMessage, c: AuthenticationContext): RejectReason | null {
  return m.kind === 'vote' ? authenticateVote(m, c) : authenticateProposal(m, c);
}
