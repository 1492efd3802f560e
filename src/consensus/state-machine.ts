/**
 * The round state machine of Tendermint (Buchman, Kwon, Milosevic 2018, Algorithm 1) as one pure
 * function. `// Lnn` marks the line of Algorithm 1 each arm implements. The driver (driver.ts)
 * decides which input applies — it holds the message log and the vote keeper — and performs the
 * outputs; nothing here signs, sends, stores or reads a clock.
 */
import type { Height, Round, RoundValue, Step, TimeoutKind, ValueId, VoteType } from './types.js';
import { NIL_ROUND } from './types.js';

export interface RoundState {
  readonly height: Height;
  readonly round: Round;
  readonly step: Step;
  readonly locked: RoundValue | null;
  readonly valid: RoundValue | null;
  readonly decision: RoundValue | null;
}

/** What the state machine needs to know of a proposal from proposer(h, r). */
export interface ProposedValue {
  readonly round: Round;
  readonly validRound: Round;
  readonly value: Uint8Array;
  readonly valueId: ValueId;
}

export type Input =
  | { readonly kind: 'newRound'; readonly round: Round; readonly isProposer: boolean }
  | { readonly kind: 'proposeValue'; readonly round: Round; readonly value: Uint8Array; readonly valueId: ValueId }
  | { readonly kind: 'proposal'; readonly proposal: ProposedValue; readonly valid: boolean }
  | { readonly kind: 'proposalAndPolkaPrevious'; readonly proposal: ProposedValue; readonly valid: boolean }
  | { readonly kind: 'polkaAny'; readonly round: Round }
  | { readonly kind: 'proposalAndPolkaCurrent'; readonly proposal: ProposedValue }
  | { readonly kind: 'polkaNil'; readonly round: Round }
  | { readonly kind: 'precommitAny'; readonly round: Round }
  | { readonly kind: 'proposalAndPrecommitValue'; readonly proposal: ProposedValue }
  | { readonly kind: 'skipRound'; readonly round: Round }
  | { readonly kind: 'timeout'; readonly timeout: TimeoutKind; readonly round: Round };

export type Output =
  | { readonly kind: 'propose'; readonly height: Height; readonly round: Round; readonly value: Uint8Array; readonly valueId: ValueId; readonly validRound: Round }
  | { readonly kind: 'getValue'; readonly height: Height; readonly round: Round }
  | { readonly kind: 'vote'; readonly type: VoteType; readonly height: Height; readonly round: Round; readonly valueId: ValueId | null }
  | { readonly kind: 'scheduleTimeout'; readonly timeout: TimeoutKind; readonly height: Height; readonly round: Round }
  | { readonly kind: 'newRound'; readonly height: Height; readonly round: Round }
  | { readonly kind: 'decide'; readonly height: Height; readonly round: Round; readonly value: Uint8Array; readonly valueId: ValueId };

export interface Transition {
  readonly state: RoundState;
  readonly outputs: readonly Output[];
  /** False when the input does not apply in this state; the state is then unchanged. */
  readonly applied: boolean;
}

export type ApplyFn = (state: RoundState, input: Input) => Transition;

/** The state of a height before its first round (L2–L9 for one height). */
export function initialState(height: Height): RoundState {
  return { height, round: NIL_ROUND, step: 'unstarted', locked: null, valid: null, decision: null };
}

const to = (state: RoundState, ...outputs: Output[]): Transition => ({ state, outputs, applied: true });
const unchanged = (state: RoundState): Transition => ({ state, outputs: [], applied: false });
const withStep = (s: RoundState, step: Step): RoundState => ({ ...s, step });

function vote(s: RoundState, type: VoteType, valueId: ValueId | null): Output {
  return { kind: 'vote', type, height: s.height, round: s.round, valueId };
}

function timeout(s: RoundState, kind: TimeoutKind): Output {
  return { kind: 'scheduleTimeout', timeout: kind, height: s.height, round: s.round };
}

/** L11–L21: StartRound. The proposer re-proposes its valid value or asks the host for one. */
function startRound(s: RoundState, round: Round, isProposer: boolean): Transition {
  const next: RoundState = { ...s, round, step: 'propose' }; // L12, L13
  if (!isProposer) return to(next, timeout(next, 'propose')); // L21
  if (next.valid) {
    // L15, L16, L19
    const { value, valueId, round: validRound } = next.valid;
    return to(next, { kind: 'propose', height: s.height, round, value, valueId, validRound });
  }
  // L18: getValue() may take a while (no empty blocks); the timeout keeps the round bounded.
  return to(next, { kind: 'getValue', height: s.height, round }, timeout(next, 'propose'));
}

/** L23–L27: prevote a fresh proposal unless locked on another value. */
function prevoteFresh(s: RoundState, p: ProposedValue, valid: boolean): Transition {
  const ok = valid && (s.locked === null || s.locked.valueId === p.valueId); // L23
  return to(withStep(s, 'prevote'), vote(s, 'prevote', ok ? p.valueId : null)); // L24/L26, L27
}

/** L29–L33: prevote a re-proposed value if our lock is not newer than its proof of lock. */
function prevotePrevious(s: RoundState, p: ProposedValue, valid: boolean): Transition {
  const ok = valid && (s.locked === null || s.locked.round <= p.validRound || s.locked.valueId === p.valueId); // L29
  return to(withStep(s, 'prevote'), vote(s, 'prevote', ok ? p.valueId : null)); // L30/L32, L33
}

/** L36–L43: a polka for the proposal of this round; lock on it if we still are at prevote. */
function polkaCurrent(s: RoundState, p: ProposedValue): Transition {
  const seen: RoundValue = { round: s.round, value: p.value, valueId: p.valueId };
  if (s.step === 'prevote') {
    // L37–L41, then L42–L43
    const next: RoundState = { ...s, step: 'precommit', locked: seen, valid: seen };
    return to(next, vote(s, 'precommit', p.valueId));
  }
  return to({ ...s, valid: seen }); // L42, L43
}

/** L49–L54: +2/3 precommits for a proposed value in some round: decide. */
function decide(s: RoundState, p: ProposedValue): Transition {
  if (s.decision) return unchanged(s);
  const decision: RoundValue = { round: p.round, value: p.value, valueId: p.valueId };
  return to({ ...s, step: 'commit', decision }, { kind: 'decide', height: s.height, round: p.round, value: p.value, valueId: p.valueId });
}

/** L55/L56 and L67: move to a later round; the driver feeds back `newRound` with the proposer. */
function skipTo(s: RoundState, round: Round): Transition {
  return to({ ...s, round, step: 'unstarted' }, { kind: 'newRound', height: s.height, round });
}

export function apply(s: RoundState, input: Input): Transition {
  if (s.step === 'commit') return unchanged(s);
  switch (input.kind) {
    case 'newRound': // L11
      return s.step === 'unstarted' && input.round >= Math.max(0, s.round)
        ? startRound(s, input.round, input.isProposer)
        : unchanged(s);
    case 'proposeValue': // L18 (the answer of getValue)
      return s.step === 'propose' && input.round === s.round && !s.valid
        ? to(s, { kind: 'propose', height: s.height, round: s.round, value: input.value, valueId: input.valueId, validRound: NIL_ROUND }) // L19
        : unchanged(s);
    case 'proposal': // L22
      return s.step === 'propose' && input.proposal.round === s.round && input.proposal.validRound === NIL_ROUND
        ? prevoteFresh(s, input.proposal, input.valid)
        : unchanged(s);
    case 'proposalAndPolkaPrevious': {
      // L28
      const vr = input.proposal.validRound;
      return s.step === 'propose' && input.proposal.round === s.round && vr >= 0 && vr < s.round
        ? prevotePrevious(s, input.proposal, input.valid)
        : unchanged(s);
    }
    case 'polkaAny': // L34
      return s.step === 'prevote' && input.round === s.round ? to(s, timeout(s, 'prevote')) : unchanged(s);
    case 'proposalAndPolkaCurrent': // L36
      return (s.step === 'prevote' || s.step === 'precommit') && input.proposal.round === s.round ? polkaCurrent(s, input.proposal) : unchanged(s);
    case 'polkaNil': // L44–L46
      return s.step === 'prevote' && input.round === s.round ? to(withStep(s, 'precommit'), vote(s, 'precommit', null)) : unchanged(s);
    case 'precommitAny': // L47, L48
      return s.step !== 'unstarted' && input.round === s.round ? to(s, timeout(s, 'precommit')) : unchanged(s);
    case 'proposalAndPrecommitValue': // L49
      return decide(s, input.proposal);
    case 'skipRound': // L55
      return input.round > s.round ? skipTo(s, input.round) : unchanged(s);
    case 'timeout':
      return onTimeout(s, input.timeout, input.round);
  }
}

function onTimeout(s: RoundState, kind: TimeoutKind, round: Round): Transition {
  if (round !== s.round) return unchanged(s);
  switch (kind) {
    case 'propose': // L57–L60
      return s.step === 'propose' ? to(withStep(s, 'prevote'), vote(s, 'prevote', null)) : unchanged(s);
    case 'prevote': // L61–L64
      return s.step === 'prevote' ? to(withStep(s, 'precommit'), vote(s, 'precommit', null)) : unchanged(s);
    case 'precommit': // L65–L67
      return s.step === 'unstarted' ? unchanged(s) : skipTo(s, s.round + 1);
  }
}
