import { encode } from '../codec/index.js';
import type { PrivateKey, PublicKey, Suite } from '../crypto/index.js';
import type { Address, Height, Proposal, Round, ValueId, Vote, VoteType } from './types.js';
import { fromHex, toHex } from './types.js';

/** The fields of a vote that its signature covers (everything but the signature and the signer). */
export interface VoteBody {
  readonly type: VoteType;
  readonly height: Height;
  readonly round: Round;
  readonly valueId: ValueId | null;
}

/** The fields of a proposal that its signature covers; the value is covered through its id. */
export interface ProposalBody {
  readonly height: Height;
  readonly round: Round;
  readonly validRound: Round;
  readonly valueId: ValueId;
}

// Domain separation: a signature over one message type on one chain must never verify as
// another type or on another chain, so both are fields of every signed map. The canonical codec
// (deterministic CBOR) gives each body exactly one byte string.
const DOMAIN = 'bsn/consensus/v1';

/** The exact bytes a validator signs for a vote on chain `chainId`. */
export function voteSignBytes(vote: VoteBody, chainId: string): Uint8Array {
  return encode({
    domain: DOMAIN,
    type: vote.type,
    chain_id: chainId,
    height: vote.height,
    round: vote.round,
    value_id: vote.valueId === null ? null : fromHex(vote.valueId),
  });
}

/** The exact bytes a proposer signs for a proposal on chain `chainId`; the value is covered through its id. */
export function proposalSignBytes(proposal: ProposalBody, chainId: string): Uint8Array {
  return encode({
    domain: DOMAIN,
    type: 'proposal',
    chain_id: chainId,
    height: proposal.height,
    round: proposal.round,
    valid_round: proposal.validRound,
    value_id: fromHex(proposal.valueId),
  });
}

// Suites may return Buffers; messages carry plain Uint8Arrays so that equality and encoding do not depend on the suite.
function plain(b: Uint8Array): Uint8Array {
  return Object.getPrototypeOf(b) === Uint8Array.prototype ? b : new Uint8Array(b.buffer, b.byteOffset, b.byteLength);
}

/** Address of a validator key: the first 20 bytes of the suite's hash of the raw public key. */
export function validatorAddress(suite: Suite, publicKey: PublicKey): Address {
  return toHex(suite.hash(publicKey.bytes).subarray(0, 20));
}

export function signVote(suite: Suite, key: PrivateKey, validator: Address, body: VoteBody, chainId: string): Vote {
  const signature = plain(suite.sign(key, voteSignBytes(body, chainId)));
  return { kind: 'vote', type: body.type, height: body.height, round: body.round, valueId: body.valueId, validator, signature };
}

export function signProposal(
  suite: Suite,
  key: PrivateKey,
  proposer: Address,
  body: ProposalBody & { readonly value: Uint8Array },
  chainId: string,
): Proposal {
  const signature = plain(suite.sign(key, proposalSignBytes(body, chainId)));
  const { height, round, validRound, value, valueId } = body;
  return { kind: 'proposal', height, round, validRound, value, valueId, proposer, signature };
}

export function verifyVoteSignature(suite: Suite, publicKey: PublicKey, vote: Vote, chainId: string): boolean {
  return suite.verify(publicKey, voteSignBytes(vote, chainId), vote.signature);
}

export function verifyProposalSignature(suite: Suite, publicKey: PublicKey, proposal: Proposal, chainId: string): boolean {
  return suite.verify(publicKey, proposalSignBytes(proposal, chainId), proposal.signature);
}

/** The id votes use for `value`. */
export function valueIdOf(suite: Suite, value: Uint8Array): ValueId {
  return toHex(suite.hash(value));
}
