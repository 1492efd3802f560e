import type { Suite } from '../../crypto/index.js';
import { isVoterName, prepareAction, type ActionContext } from './actions.js';
import { BsnError } from '../../errors.js';
import {
  GovBadNonceError,
  GovDuplicateVoteError,
  GovError,
  GovExpiredError,
  GovInvalidArgumentError,
  GovNonceTooLowError,
  GovNotVoterError,
  GovProposalClosedError,
  GovUnknownActionError,
  GovUnknownProposalError,
} from './errors.js';
import { signerOf, type Signer } from './identity.js';
import { decide, resolveRule, ruleOf, votersOf } from './rules.js';
import type { GovState } from './state.js';
import { govProposalId, type DecodedGovTx, type GovPayload } from './tx.js';
import { GOV_ACTIONS, type GovAction, type ProposalRecord, type VoteRecord } from './types.js';

/*
 * What one signed gov tx does to the state. `checkGovTx` runs every check and returns the change
 * as a closure, so that a failing tx changes nothing (its nonce included) and checkTx can run the
 * same checks without writing.
 */

export const MIN_EXPIRY_MS = 60_000;
export const MAX_EXPIRY_MS = 30 * 24 * 3600_000;

export interface TxContext {
  readonly suite: Suite;
  readonly height: number;
  /** Block time, ms (checkTx: the latest block time this node knows). */
  readonly time: number;
}

/** Checks `tx` (already decoded and verified) against `state`; the returned function applies it. */
export function checkGovTx(state: GovState, tx: DecodedGovTx, bytes: Uint8Array, ctx: TxContext): () => void {
  return asGov(() => checkTx(state, tx, bytes, ctx));
}

/**
 * Runs `fn`, turning any other typed failure (a certificate library's, say) into a GovError: a
 * tx's fate must be a result code, never an exception out of executeBlock.
 */
function asGov<T>(fn: () => T): T {
  try {
    return fn();
  } catch (cause) {
    if (cause instanceof BsnError && !(cause instanceof GovError)) throw new GovInvalidArgumentError(`${cause.code}: ${cause.message}`, { cause });
    throw cause;
  }
}

function checkTx(state: GovState, tx: DecodedGovTx, bytes: Uint8Array, ctx: TxContext): () => void {
  const next = state.nonceOf(tx.sender);
  if (tx.nonce < next) throw new GovNonceTooLowError(`nonce ${tx.nonce} is below the signer's next nonce ${next}`);
  if (tx.nonce > next) throw new GovBadNonceError(`nonce ${tx.nonce} is not the signer's next nonce ${next}`);
  const signer = signerOf(state, tx.cert, ctx.time);
  const p = tx.payload;
  const change = p.kind === 'propose' ? checkPropose(state, p, bytes, signer, ctx) : checkVote(state, p, bytes, signer, ctx);
  return () => {
    change();
    state.maps.nonce.set(tx.sender, tx.nonce + 1);
  };
}

type Payload<K extends GovPayload['kind']> = Extract<GovPayload, { kind: K }>;

function checkPropose(state: GovState, payload: Payload<'propose'>, bytes: Uint8Array, signer: Signer, ctx: TxContext): () => void {
  if (!(GOV_ACTIONS as readonly string[]).includes(payload.action)) throw new GovUnknownActionError(`unknown action '${payload.action}' (known: ${GOV_ACTIONS.join(', ')})`);
  const action = payload.action as GovAction;
  if (payload.expiresAt < ctx.time + MIN_EXPIRY_MS || payload.expiresAt > ctx.time + MAX_EXPIRY_MS) {
    throw new GovExpiredError(`expiresAt ${iso(payload.expiresAt)} is not 1 minute to 30 days after the block time ${iso(ctx.time)}`);
  }
  const id = govProposalId(ctx.suite, bytes);
  const actx: ActionContext = { height: ctx.height, time: ctx.time, proposal: id, proposer: signer.name, suite: ctx.suite.name };
  const prepared = prepareAction(state, action, payload.args, actx);
  const clauses = resolveRule(ruleOf(state.maps.rule, action), {
    operators: state.activeOperators().map((o) => o.name),
    concerned: prepared.concerned,
    ...(prepared.appOwner !== undefined && { appOwner: prepared.appOwner }),
    isVoter: (name) => isVoterName(state, name),
  });
  const txHash = hex(ctx.suite.hash(bytes));
  const votes: VoteRecord[] = votersOf(clauses).has(signer.name) ? [{ voter: signer.name, fingerprint: signer.fingerprint, yes: true, height: ctx.height, tx: txHash }] : [];
  const proposal: ProposalRecord = {
    id,
    action,
    args: prepared.args,
    proposer: signer.name,
    proposerFingerprint: signer.fingerprint,
    height: ctx.height,
    createdAt: ctx.time,
    expiresAt: payload.expiresAt,
    clauses,
    votes,
    status: 'open',
  };
  return () => {
    state.maps.proposal.set(id, proposal);
    settle(state, proposal, ctx, () => prepared.apply(state));
  };
}

function checkVote(state: GovState, payload: Payload<'vote'>, bytes: Uint8Array, signer: Signer, ctx: TxContext): () => void {
  const proposal = state.maps.proposal.get(payload.proposalId);
  if (!proposal) throw new GovUnknownProposalError(`no proposal ${payload.proposalId}`);
  if (proposal.status === 'expired' || (proposal.status === 'open' && ctx.time > proposal.expiresAt)) {
    throw new GovExpiredError(`proposal ${proposal.id} expired at ${iso(proposal.expiresAt)}`);
  }
  if (proposal.status !== 'open') throw new GovProposalClosedError(`proposal ${proposal.id} is ${proposal.status}`);
  if (!votersOf(proposal.clauses).has(signer.name)) throw new GovNotVoterError(`${signer.name} is not a voter of proposal ${proposal.id}`);
  if (proposal.votes.some((v) => v.voter === signer.name)) throw new GovDuplicateVoteError(`${signer.name} voted on proposal ${proposal.id} already`);
  const vote: VoteRecord = { voter: signer.name, fingerprint: signer.fingerprint, yes: payload.yes, height: ctx.height, tx: hex(ctx.suite.hash(bytes)) };
  return () => {
    const voted = { ...proposal, votes: [...proposal.votes, vote] };
    state.maps.proposal.set(proposal.id, voted);
    settle(state, voted, ctx, () => {
      // Prepared again: the registry may have changed since the proposal was made.
      const actx = { height: ctx.height, time: ctx.time, proposal: proposal.id, proposer: proposal.proposer, suite: ctx.suite.name };
      prepareAction(state, proposal.action, proposal.args, actx).apply(state);
    });
  };
}

/** Closes a proposal its votes decide: executes it (or marks it failed) when passed, or rejects it. */
function settle(state: GovState, proposal: ProposalRecord, ctx: TxContext, execute: () => void): void {
  const decision = decide(proposal.clauses, proposal.votes);
  if (decision === 'open') return;
  if (decision === 'rejected') {
    state.maps.proposal.set(proposal.id, { ...proposal, status: 'rejected', decidedHeight: ctx.height });
    return;
  }
  try {
    asGov(execute);
    state.maps.proposal.set(proposal.id, { ...proposal, status: 'executed', decidedHeight: ctx.height });
  } catch (cause) {
    if (!(cause instanceof GovError)) throw cause;
    state.maps.proposal.set(proposal.id, { ...proposal, status: 'failed', decidedHeight: ctx.height, error: `${cause.code}: ${cause.message}` });
  }
}

/** Marks every open proposal whose expiresAt is before `time` expired. */
export function expireProposals(state: GovState, time: number, height: number): void {
  for (const p of state.maps.proposal.values()) {
    if (p.status === 'open' && p.expiresAt < time) state.maps.proposal.set(p.id, { ...p, status: 'expired', decidedHeight: height });
  }
}

/** A time for messages; any uint a tx may carry, where Date#toISOString would throw past year 275760. */
const iso = (ms: number): string => (ms <= 8.64e15 ? new Date(ms).toISOString() : `${ms} ms`);

const hex = (b: Uint8Array): string => Buffer.from(b).toString('hex');
