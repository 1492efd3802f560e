/**
 * The commit certificate: the +2/3 precommits that decided a block, checkable by anyone who
 * holds the validator set of that height — light clients, block sync, cross-chain proofs —
 * without running the engine.
 */
import type { Suite } from '../crypto/index.js';
import { InvalidCommitCertificateError } from './errors.js';
import { verifyVoteSignature } from './sign.js';
import type { ValidatorSet } from './validator-set.js';
import type { Address, Height, Round, ValueId, Vote } from './types.js';

export interface CommitSignature {
  readonly validator: Address;
  readonly signature: Uint8Array;
}

export interface CommitCertificate {
  readonly height: Height;
  readonly round: Round;
  /** The decided block's hash (the value id precommitted). */
  readonly valueId: ValueId;
  /** Sorted by validator address, one per validator. */
  readonly signatures: readonly CommitSignature[];
}

/** Builds the certificate from precommits the vote keeper counted for (height, round, valueId). */
export function makeCommitCertificate(height: Height, round: Round, valueId: ValueId, precommits: readonly Vote[]): CommitCertificate {
  const signatures = precommits
    .filter((v) => v.type === 'precommit' && v.height === height && v.round === round && v.valueId === valueId)
    .map((v) => ({ validator: v.validator, signature: v.signature }))
    .sort((a, b) => (a.validator < b.validator ? -1 : a.validator > b.validator ? 1 : 0));
  return { height, round, valueId, signatures };
}

/**
 * Throws InvalidCommitCertificateError unless validators holding more than two thirds of the
 * power of `validators` (the set of the certificate's height) signed a precommit for
 * (height, round, valueId) on `chainId`. Every signature is checked, not just enough of them:
 * a certificate carrying a bad signature is malformed and should not be relayed.
 */
export function verifyCommitCertificate(cert: CommitCertificate, validators: ValidatorSet, suite: Suite, chainId: string): void {
  if (!Number.isSafeInteger(cert.height) || cert.height < 0 || !Number.isSafeInteger(cert.round) || cert.round < 0) {
    throw new InvalidCommitCertificateError('height and round must be non-negative integers');
  }
  const body = { type: 'precommit' as const, height: cert.height, round: cert.round, valueId: cert.valueId };
  const seen = new Set<Address>();
  let power = 0n;
  for (const { validator, signature } of cert.signatures) {
    if (seen.has(validator)) throw new InvalidCommitCertificateError(`validator ${validator} signed twice`);
    seen.add(validator);
    const member = validators.get(validator);
    if (!member) throw new InvalidCommitCertificateError(`${validator} is not a validator of height ${cert.height}`);
    const vote: Vote = { kind: 'vote', ...body, validator, signature };
    if (!verifyVoteSignature(suite, member.publicKey, vote, chainId)) {
      throw new InvalidCommitCertificateError(`the signature of ${validator} does not verify`);
    }
    power += member.power;
  }
  if (!validators.isQuorum(power)) {
    throw new InvalidCommitCertificateError(`signers hold ${power} of ${validators.totalPower} voting power; more than two thirds is needed`);
  }
}
