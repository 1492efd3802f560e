import { test } from 'node:test';
import assert from 'node:assert/strict';
import { apply, initialState, type Input, type Output, type ProposedValue, type RoundState } from './state-machine.js';

const v = (id: string, round = 0, validRound = -1): ProposedValue => ({ round, validRound, value: new Uint8Array([id.charCodeAt(0)]), valueId: id });
const at = (round: number, step: RoundState['step'], extra: Partial<RoundState> = {}): RoundState => ({ ...initialState(5), round, step, ...extra });
const lock = (id: string, round: number) => ({ round, value: new Uint8Array([id.charCodeAt(0)]), valueId: id });
const prevote = (round: number, valueId: string | null): Output => ({ kind: 'vote', type: 'prevote', height: 5, round, valueId });
const precommit = (round: number, valueId: string | null): Output => ({ kind: 'vote', type: 'precommit', height: 5, round, valueId });
const timeout = (t: 'propose' | 'prevote' | 'precommit', round: number): Output => ({ kind: 'scheduleTimeout', timeout: t, height: 5, round });

interface Row {
  line: string;
  from: RoundState;
  input: Input;
  step?: RoundState['step'];
  outputs: Output[];
  applied?: boolean;
  check?: (s: RoundState) => void;
}

const rows: Row[] = [
  { line: 'L11/L21 non-proposer schedules timeout propose', from: initialState(5), input: { kind: 'newRound', round: 0, isProposer: false }, step: 'propose', outputs: [timeout('propose', 0)] },
  { line: 'L14/L18 proposer without valid value asks for one', from: initialState(5), input: { kind: 'newRound', round: 0, isProposer: true }, step: 'propose', outputs: [{ kind: 'getValue', height: 5, round: 0 }, timeout('propose', 0)] },
  {
    line: 'L15/L16 proposer re-proposes its valid value with its round',
    from: at(2, 'unstarted', { valid: lock('a', 1) }),
    input: { kind: 'newRound', round: 2, isProposer: true },
    step: 'propose',
    outputs: [{ kind: 'propose', height: 5, round: 2, value: new Uint8Array([97]), valueId: 'a', validRound: 1 }],
  },
  { line: 'L18/L19 the host value is proposed', from: at(0, 'propose'), input: { kind: 'proposeValue', round: 0, value: new Uint8Array([98]), valueId: 'b' }, step: 'propose', outputs: [{ kind: 'propose', height: 5, round: 0, value: new Uint8Array([98]), valueId: 'b', validRound: -1 }] },
  { line: 'L22/L24 unlocked: prevote the value', from: at(0, 'propose'), input: { kind: 'proposal', proposal: v('a'), valid: true }, step: 'prevote', outputs: [prevote(0, 'a')] },
  { line: 'L22/L24 locked on the same value', from: at(1, 'propose', { locked: lock('a', 0) }), input: { kind: 'proposal', proposal: v('a', 1), valid: true }, step: 'prevote', outputs: [prevote(1, 'a')] },
  { line: 'L22/L26 locked on another value: prevote nil', from: at(1, 'propose', { locked: lock('b', 0) }), input: { kind: 'proposal', proposal: v('a', 1), valid: true }, step: 'prevote', outputs: [prevote(1, null)] },
  { line: 'L22/L26 invalid value: prevote nil', from: at(0, 'propose'), input: { kind: 'proposal', proposal: v('a'), valid: false }, step: 'prevote', outputs: [prevote(0, null)] },
  { line: 'L22 needs vr = -1', from: at(2, 'propose'), input: { kind: 'proposal', proposal: v('a', 2, 1), valid: true }, outputs: [], applied: false },
  { line: 'L22 only in step propose', from: at(0, 'prevote'), input: { kind: 'proposal', proposal: v('a'), valid: true }, outputs: [], applied: false },
  { line: 'L28/L30 lock older than vr: prevote', from: at(3, 'propose', { locked: lock('b', 1) }), input: { kind: 'proposalAndPolkaPrevious', proposal: v('a', 3, 2), valid: true }, step: 'prevote', outputs: [prevote(3, 'a')] },
  { line: 'L28/L30 lock at vr exactly: prevote', from: at(3, 'propose', { locked: lock('b', 2) }), input: { kind: 'proposalAndPolkaPrevious', proposal: v('a', 3, 2), valid: true }, step: 'prevote', outputs: [prevote(3, 'a')] },
  { line: 'L28/L32 lock newer than vr on another value: nil', from: at(3, 'propose', { locked: lock('b', 2) }), input: { kind: 'proposalAndPolkaPrevious', proposal: v('a', 3, 1), valid: true }, step: 'prevote', outputs: [prevote(3, null)] },
  { line: 'L28/L30 newer lock on the same value', from: at(3, 'propose', { locked: lock('a', 2) }), input: { kind: 'proposalAndPolkaPrevious', proposal: v('a', 3, 1), valid: true }, step: 'prevote', outputs: [prevote(3, 'a')] },
  { line: 'L28/L32 invalid value', from: at(3, 'propose'), input: { kind: 'proposalAndPolkaPrevious', proposal: v('a', 3, 1), valid: false }, step: 'prevote', outputs: [prevote(3, null)] },
  { line: 'L28 needs vr < round', from: at(3, 'propose'), input: { kind: 'proposalAndPolkaPrevious', proposal: v('a', 3, 3), valid: true }, outputs: [], applied: false },
  { line: 'L34 polka any schedules timeout prevote', from: at(0, 'prevote'), input: { kind: 'polkaAny', round: 0 }, step: 'prevote', outputs: [timeout('prevote', 0)] },
  { line: 'L34 not for another round', from: at(1, 'prevote'), input: { kind: 'polkaAny', round: 0 }, outputs: [], applied: false },
  {
    line: 'L36–L43 at prevote: lock, set valid, precommit',
    from: at(2, 'prevote'),
    input: { kind: 'proposalAndPolkaCurrent', proposal: v('a', 2) },
    step: 'precommit',
    outputs: [precommit(2, 'a')],
    check: (s) => {
      assert.deepEqual([s.locked?.round, s.locked?.valueId, s.valid?.round, s.valid?.valueId], [2, 'a', 2, 'a']);
    },
  },
  {
    line: 'L42/L43 at precommit: only the valid value moves',
    from: at(2, 'precommit', { locked: lock('b', 1) }),
    input: { kind: 'proposalAndPolkaCurrent', proposal: v('a', 2) },
    step: 'precommit',
    outputs: [],
    check: (s) => {
      assert.equal(s.locked?.valueId, 'b');
      assert.deepEqual([s.valid?.round, s.valid?.valueId], [2, 'a']);
    },
  },
  { line: 'L36 not at propose', from: at(2, 'propose'), input: { kind: 'proposalAndPolkaCurrent', proposal: v('a', 2) }, outputs: [], applied: false },
  { line: 'L44 polka nil: precommit nil', from: at(0, 'prevote'), input: { kind: 'polkaNil', round: 0 }, step: 'precommit', outputs: [precommit(0, null)] },
  { line: 'L44 only at prevote', from: at(0, 'precommit'), input: { kind: 'polkaNil', round: 0 }, outputs: [], applied: false },
  { line: 'L47 precommit any schedules timeout precommit', from: at(0, 'precommit'), input: { kind: 'precommitAny', round: 0 }, step: 'precommit', outputs: [timeout('precommit', 0)] },
  { line: 'L47 at any step', from: at(0, 'propose'), input: { kind: 'precommitAny', round: 0 }, step: 'propose', outputs: [timeout('precommit', 0)] },
  {
    line: 'L49 decide a value of an earlier round',
    from: at(3, 'prevote'),
    input: { kind: 'proposalAndPrecommitValue', proposal: v('a', 1) },
    step: 'commit',
    outputs: [{ kind: 'decide', height: 5, round: 1, value: new Uint8Array([97]), valueId: 'a' }],
  },
  { line: 'L49 nothing after commit', from: at(3, 'commit'), input: { kind: 'proposalAndPrecommitValue', proposal: v('b', 3) }, outputs: [], applied: false },
  { line: 'L55 skip to a higher round', from: at(1, 'prevote'), input: { kind: 'skipRound', round: 4 }, step: 'unstarted', outputs: [{ kind: 'newRound', height: 5, round: 4 }] },
  { line: 'L55 never backwards', from: at(4, 'prevote'), input: { kind: 'skipRound', round: 4 }, outputs: [], applied: false },
  { line: 'L57 timeout propose: prevote nil', from: at(1, 'propose'), input: { kind: 'timeout', timeout: 'propose', round: 1 }, step: 'prevote', outputs: [prevote(1, null)] },
  { line: 'L58 stale timeout propose', from: at(1, 'prevote'), input: { kind: 'timeout', timeout: 'propose', round: 1 }, outputs: [], applied: false },
  { line: 'L61 timeout prevote: precommit nil', from: at(1, 'prevote'), input: { kind: 'timeout', timeout: 'prevote', round: 1 }, step: 'precommit', outputs: [precommit(1, null)] },
  { line: 'L62 timeout prevote of another round', from: at(2, 'prevote'), input: { kind: 'timeout', timeout: 'prevote', round: 1 }, outputs: [], applied: false },
  { line: 'L65 timeout precommit: next round', from: at(1, 'precommit'), input: { kind: 'timeout', timeout: 'precommit', round: 1 }, step: 'unstarted', outputs: [{ kind: 'newRound', height: 5, round: 2 }] },
  { line: 'L66 stale timeout precommit', from: at(2, 'precommit'), input: { kind: 'timeout', timeout: 'precommit', round: 1 }, outputs: [], applied: false },
];

for (const row of rows) {
  test(`state machine ${row.line}`, () => {
    const t = apply(row.from, row.input);
    assert.equal(t.applied, row.applied ?? true);
    assert.deepEqual(t.outputs, row.outputs);
    if (row.applied === false) assert.equal(t.state, row.from);
    if (row.step) assert.equal(t.state.step, row.step);
    row.check?.(t.state);
  });
}

test('state machine: apply is pure (same input, same result, input state untouched)', () => {
  const from = at(3, 'propose', { locked: lock('b', 2) });
  const frozen = structuredClone(from);
  const input: Input = { kind: 'proposalAndPolkaPrevious', proposal: v('a', 3, 1), valid: true };
  assert.deepEqual(apply(from, input), apply(from, input));
  assert.deepEqual(from, frozen);
});
