/**
 * Deliberately broken engines, built only from the driver's seams, to prove the simulator has
 * teeth: each must be caught within a fixed budget of runs. Also the state machine of the
 * Byzantine "amnesia" validator, which forgets its lock on purpose.
 */
import type { Suite } from '../../src/crypto/index.js';
import { apply, type DriverSeams, type Input, type RoundState, type Transition } from '../../src/consensus/index.js';

export const VARIANTS = ['honest', 'noLock', 'oneThirdQuorum', 'unsignedVotes'] as const;
export type Variant = (typeof VARIANTS)[number];

/** L23 and L29 without their lock conditions; the lock itself is kept so nothing else changes. */
export function applyWithoutLock(s: RoundState, input: Input): Transition {
  if (input.kind !== 'proposal' && input.kind !== 'proposalAndPolkaPrevious') return apply(s, input);
  const t = apply({ ...s, locked: null }, input);
  return t.applied ? { ...t, state: { ...t.state, locked: s.locked } } : { state: s, outputs: [], applied: false };
}

export function seamsOf(variant: Variant): DriverSeams {
  switch (variant) {
    case 'noLock':
      return { apply: applyWithoutLock };
    case 'oneThirdQuorum':
      return { quorums: (vs) => ({ isQuorum: (p) => vs.exceedsOneThird(p), exceedsOneThird: (p) => vs.exceedsOneThird(p) }) };
    default:
      return {};
  }
}

/** A suite whose verify accepts anything: the engine then counts unsigned and forged messages. */
export function trustingSuite(suite: Suite): Suite {
  return { ...suite, verify: () => true };
}
