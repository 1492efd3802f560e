import { test } from 'node:test';
import assert from 'node:assert/strict';
import { runsUntilCaught } from './batch.js';
import { replayCommand } from './run.js';

// Each deliberately broken engine must be caught within its budget. The runs are seeded, so
// the number of runs needed is fixed; it is printed and recorded in docs/consensus.md.
const cases = [
  { variant: 'noLock', fixed: { scenario: 'lockStress', n: 4 }, budget: 40 },
  { variant: 'oneThirdQuorum', fixed: { scenario: 'partition', n: 4 }, budget: 20 },
  { variant: 'unsignedVotes', fixed: { scenario: 'forger', n: 4 }, budget: 20 },
] as const;

for (const c of cases) {
  test(`teeth: the simulator catches the ${c.variant} variant within ${c.budget} runs`, (t) => {
    const caught = runsUntilCaught(c.variant, c.fixed, 0x7ee7, c.budget);
    assert.ok(caught, `${c.variant} survived ${c.budget} runs: the simulator has no teeth for it`);
    t.diagnostic(`caught after ${caught.runs} run(s): ${caught.outcome.violations[0]}; replay: ${replayCommand(caught.outcome.spec)}`);
  });
}

// Beyond the first symptom (often a certificate that does not verify on its own), the broken
// quorum and the unchecked signatures lead to two honest nodes deciding different blocks.
for (const c of cases.filter((x) => x.variant !== 'noLock')) {
  test(`teeth: the ${c.variant} variant breaks agreement within ${c.budget} runs`, (t) => {
    const caught = runsUntilCaught(c.variant, c.fixed, 0x7ee7, c.budget, /^agreement/);
    assert.ok(caught, `${c.variant} kept agreement for ${c.budget} runs`);
    t.diagnostic(`agreement broken after ${caught.runs} run(s); replay: ${replayCommand(caught.outcome.spec)}`);
  });
}
