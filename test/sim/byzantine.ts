/**
 * What Byzantine validators do to their outgoing messages. Each runs the honest driver (the
 * amnesia validator with the lock rule removed, see variants.ts) and lies on the way out.
 */
import type { PrivateKey, Suite } from '../../src/crypto/index.js';
import { signProposal, signVote, valueIdOf, type Address, type ConsensusMessage, type Proposal, type Vote } from '../../src/consensus/index.js';
import type { Prng } from './prng.js';
import type { Behaviour } from './scenario.js';

export interface Outgoing {
  readonly to: readonly number[];
  readonly message: ConsensusMessage;
}

export interface LiarContext {
  readonly rng: Prng;
  readonly suite: Suite;
  readonly chainId: string;
  readonly key: PrivateKey;
  readonly address: Address;
  readonly peers: readonly number[];
  readonly validators: readonly Address[];
  proposerOf(height: number, round: number): Address;
  /** Values seen proposed at the current height, to vote for the "wrong" one. */
  readonly seenValueIds: readonly string[];
  /** Records a value as proposed (for the validity invariant). */
  proposed(valueId: string): void;
}

function split(rng: Prng, peers: readonly number[]): [number[], number[]] {
  const shuffled = rng.shuffle([...peers]);
  const cut = rng.int(shuffled.length + 1);
  return [shuffled.slice(0, cut), shuffled.slice(cut)];
}

function altValue(ctx: LiarContext, height: number, round: number, tag: string): Uint8Array {
  // Sometimes the second value is invalid, so validity is tested too.
  const prefix = ctx.rng.chance(0.3) ? 'x' : 'v';
  return new TextEncoder().encode(`${prefix}|${height}|${round}|${tag}|${ctx.rng.next()}`);
}

function equivocateProposal(p: Proposal, ctx: LiarContext): Outgoing[] {
  const value = altValue(ctx, p.height, p.round, 'equivocation');
  const valueId = valueIdOf(ctx.suite, value);
  ctx.proposed(valueId);
  const other = signProposal(ctx.suite, ctx.key, ctx.address, { height: p.height, round: p.round, validRound: -1, value, valueId }, ctx.chainId);
  const [a, b] = split(ctx.rng, ctx.peers);
  return [
    { to: a, message: p },
    { to: b, message: other },
  ];
}

function doubleVote(v: Vote, ctx: LiarContext): Outgoing[] {
  const others = ctx.seenValueIds.filter((id) => id !== v.valueId);
  const valueId = v.valueId === null ? (others.length > 0 ? ctx.rng.pick(others) : null) : ctx.rng.chance(0.5) && others.length > 0 ? ctx.rng.pick(others) : null;
  if (valueId === v.valueId) return [{ to: ctx.peers, message: v }];
  const other = signVote(ctx.suite, ctx.key, ctx.address, { type: v.type, height: v.height, round: v.round, valueId }, ctx.chainId);
  const [a, b] = split(ctx.rng, ctx.peers);
  return [
    { to: a, message: v },
    { to: b, message: other },
  ];
}

/**
 * The strongest voter: besides its own vote it signs the same vote for every value it has
 * seen at the height, so any value that honest nodes lean towards gets its weight.
 */
function voteForEverything(v: Vote, ctx: LiarContext): Outgoing[] {
  const extra = ctx.seenValueIds.filter((id) => id !== v.valueId).slice(-3);
  const votes = extra.map((valueId) => signVote(ctx.suite, ctx.key, ctx.address, { type: v.type, height: v.height, round: v.round, valueId }, ctx.chainId));
  // A precommit for a value goes to one peer only: that peer alone may decide, the others move
  // on to later rounds — exactly where only the lock protects the decided value.
  const to = (m: Vote) => (m.type === 'precommit' && m.valueId !== null ? [ctx.rng.pick(ctx.peers)] : ctx.peers);
  return [v, ...votes].map((message) => ({ to: to(message), message }));
}

/** As proposer: a fresh value for all peers but one, which gets the honest (re-)proposal. */
function overrideProposal(p: Proposal, ctx: LiarContext): Outgoing[] {
  const value = new TextEncoder().encode(`v|${p.height}|${p.round}|override|${ctx.rng.next()}`);
  const valueId = valueIdOf(ctx.suite, value);
  ctx.proposed(valueId);
  const other = signProposal(ctx.suite, ctx.key, ctx.address, { height: p.height, round: p.round, validRound: -1, value, valueId }, ctx.chainId);
  const peers = ctx.rng.shuffle([...ctx.peers]);
  return [
    { to: peers.slice(0, 1), message: p },
    { to: peers.slice(1), message: other },
  ];
}

/** Forged proposal and precommits in other validators' names, with signatures that cannot verify. */
function forge(v: Vote, ctx: LiarContext): Outgoing[] {
  const value = new TextEncoder().encode(`v|${v.height}|${v.round}|forged|${ctx.rng.next()}`);
  const valueId = valueIdOf(ctx.suite, value);
  ctx.proposed(valueId);
  const junk = () => Uint8Array.from({ length: 64 }, () => ctx.rng.int(256));
  const proposal: Proposal = { kind: 'proposal', height: v.height, round: v.round, validRound: -1, value, valueId, proposer: ctx.proposerOf(v.height, v.round), signature: junk() };
  const votes: Vote[] = ctx.validators.flatMap((validator) =>
    (['prevote', 'precommit'] as const).map((type) => ({ kind: 'vote' as const, type, height: v.height, round: v.round, valueId, validator, signature: junk() })),
  );
  const [victims] = split(ctx.rng, ctx.peers);
  return [{ to: ctx.peers, message: v }, ...[proposal, ...votes].map((message) => ({ to: victims, message }))];
}

export function outgoing(behaviour: Behaviour, m: ConsensusMessage, ctx: LiarContext): Outgoing[] {
  switch (behaviour) {
    case 'silent':
      return [];
    case 'equivocatingProposer':
      return m.kind === 'proposal' ? equivocateProposal(m, ctx) : [{ to: ctx.peers, message: m }];
    case 'doubleVoter':
      return m.kind === 'vote' ? doubleVote(m, ctx) : [{ to: ctx.peers, message: m }];
    case 'chaos':
      return m.kind === 'proposal' ? overrideProposal(m, ctx) : voteForEverything(m, ctx);
    case 'forger':
      return m.kind === 'vote' && m.type === 'prevote' ? forge(m, ctx) : [{ to: ctx.peers, message: m }];
    default:
      return [{ to: ctx.peers, message: m }];
  }
}
