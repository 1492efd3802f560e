import { authenticateProposal, type AuthenticationContext, type Proposal, type RejectReason } from '../consensus/index.js';

// Next-height proposals held: a few rounds' worth from the next proposers.
const MAX_HELD = 16;

export interface HeldProposal {
  readonly peer: string;
  readonly proposal: Proposal;
}

/**
 * Proposals for the next height, kept until their parent commits. Each is authenticated on
 * arrival against the next height's set *as predicted* (this height's, rotated); when the block
 * that commits changes the set (governance), take() judges them again against the real one. A
 * proposal the prediction cannot place (not a member, not the proposer of its round) may come
 * from a validator the next height adds: it is dropped without blame, and regossip brings it.
 */
export class HeldProposals {
  private held: HeldProposal[] = [];

  get size(): number {
    return this.held.length;
  }

  /** Keeps `proposal` if it authenticates; returns the reason to blame `peer` for, or undefined. */
  hold(peer: string, proposal: Proposal, predicted: AuthenticationContext): RejectReason | undefined {
    if (this.held.length >= MAX_HELD || this.held.some((h) => h.proposal.valueId === proposal.valueId && h.proposal.round === proposal.round)) return undefined;
    const reason = authenticateProposal(proposal, predicted);
    if (reason === 'notValidator' || reason === 'notProposer') return undefined;
    if (reason) return reason;
    this.held.push({ peer, proposal });
    return undefined;
  }

  /** The held proposals of `height`, emptied; judged again against `actual` when the set changed. */
  take(height: number, actual: AuthenticationContext | undefined): HeldProposal[] {
    const held = this.held.filter((h) => h.proposal.height === height && (!actual || authenticateProposal(h.proposal, actual) === null));
    this.held = [];
    return held;
  }
}
