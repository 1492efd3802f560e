/**
 * The values the consensus engine exchanges with its host. Heights and rounds are safe integers;
 * voting power is bigint so that quorum arithmetic is exact for any total.
 */
export type Height = number;
/** A round of one height; `NIL_ROUND` (-1) stands for "no round" (the paper's -1). */
export type Round = number;
export const NIL_ROUND = -1;

/** Lowercase hex of `suite.hash(value)`: what votes name instead of the value itself. */
export type ValueId = string;
/** Lowercase hex of the first 20 bytes of `suite.hash(publicKey.bytes)`. */
export type Address = string;

export type VoteType = 'prevote' | 'precommit';
export type Step = 'unstarted' | 'propose' | 'prevote' | 'precommit' | 'commit';
export type TimeoutKind = 'propose' | 'prevote' | 'precommit';

/** ⟨PROPOSAL, h, r, v, vr⟩ signed by the proposer of (h, r). */
export interface Proposal {
  readonly kind: 'proposal';
  readonly height: Height;
  readonly round: Round;
  readonly validRound: Round;
  readonly value: Uint8Array;
  readonly valueId: ValueId;
  readonly proposer: Address;
  readonly signature: Uint8Array;
}

/** ⟨PREVOTE|PRECOMMIT, h, r, id(v) or nil⟩ signed by a validator. */
export interface Vote {
  readonly kind: 'vote';
  readonly type: VoteType;
  readonly height: Height;
  readonly round: Round;
  /** null is a vote for nil. */
  readonly valueId: ValueId | null;
  readonly validator: Address;
  readonly signature: Uint8Array;
}

export type ConsensusMessage = Proposal | Vote;

/** A value together with the round in which it was locked or seen valid (the paper's lockedValue/Round). */
export interface RoundValue {
  readonly round: Round;
  readonly value: Uint8Array;
  readonly valueId: ValueId;
}

export function toHex(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('hex');
}

export function fromHex(hex: string): Uint8Array {
  return new Uint8Array(Buffer.from(hex, 'hex'));
}
