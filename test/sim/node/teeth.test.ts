import { test } from 'node:test';
import assert from 'node:assert/strict';
import { batchSpecs, failureText } from './batch.js';
import { replayCommand, runNodeSim, type NodeRunSpec } from './run.js';
import type { NodeScenarioName } from './scenarios.js';

/**
 * Each fixed critical finding, put back through ChainRunnerOptions.regressions, must be caught
 * within a fixed budget of seeded runs; the runs are deterministic, so the count is a figure
 * (recorded in docs/simulator.md). The same seeds with the fix in place must pass: the switch,
 * not the scenario, makes the difference.
 */
const cases: readonly { name: string; scenario: NodeScenarioName; n: number; regressions: NodeRunSpec['regressions']; kind: RegExp; budget: number }[] = [
  // C2: a forged proposal caches validity under B_bad's id; B_bad (bad links or time) is then committed.
  { name: 'C2 (validity cached under a claimed value id)', scenario: 'forgedValueId', n: 4, regressions: { C2: true }, kind: /^(validity|agreement|liveness)/, budget: 10 },
  { name: 'C2 with f = 2 of n = 7', scenario: 'forgedValueId', n: 7, regressions: { C2: true }, kind: /^(validity|agreement|liveness)/, budget: 10 },
  // C1: a proposal claiming a round near 2^53 reaches the O(round) proposer computation.
  { name: 'C1 (no round window): rounds near 2^53', scenario: 'hugeRound', n: 4, regressions: { C1: true }, kind: /^work/, budget: 5 },
  // C1 (and M9): signed votes across millions of rounds are all kept.
  { name: 'C1 (no round window): votes across millions of rounds', scenario: 'voteSpam', n: 4, regressions: { C1: true }, kind: /^memory/, budget: 5 },
];

for (const c of cases) {
  test(`teeth: the node simulator catches ${c.name} within ${c.budget} runs, and passes the same seeds with the fix`, async (t) => {
    const specs = batchSpecs(c.n, c.budget, 0x7ee7, [c.scenario]);
    let caught: { runs: number; violation: string; replay: string } | undefined;
    for (const [i, spec] of specs.entries()) {
      const o = await runNodeSim({ ...spec, regressions: c.regressions });
      const hit = o.violations.find((v) => c.kind.test(v));
      if (hit) {
        caught = { runs: i + 1, violation: hit, replay: replayCommand(o.spec) };
        break;
      }
    }
    assert.ok(caught, `${c.name} survived ${c.budget} runs of ${c.scenario}: the simulator has no teeth for it`);
    t.diagnostic(`caught after ${caught.runs} run(s): ${caught.violation}; replay: ${caught.replay}`);
    for (const spec of specs.slice(0, caught.runs)) {
      const fixed = await runNodeSim(spec);
      assert.equal(fixed.violations.length, 0, `with the fix: ${failureText(fixed)}`);
    }
  });
}
