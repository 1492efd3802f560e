import { test } from 'node:test';
import assert from 'node:assert/strict';
import { runNodeSim } from './run.js';
import type { NodeScenarioName } from './scenarios.js';

// A seed is a run: the same (scenario, n, seed) twice gives the same commit log (virtual times,
// nodes, heights, block ids) and the same number of events, or a failing seed could not be replayed.
const scenarios: readonly NodeScenarioName[] = ['drop', 'forgedValueIdCrash', 'lyingSyncPartition', 'voteSpam'];

for (const scenario of scenarios) {
  test(`determinism: ${scenario} n=4 replays exactly from its seed`, async () => {
    const a = await runNodeSim({ scenario, n: 4, seed: 424242 });
    const b = await runNodeSim({ scenario, n: 4, seed: 424242 });
    assert.ok(a.commitLog.length > 0, 'the run committed nothing');
    assert.deepEqual(b.commitLog, a.commitLog);
    assert.equal(b.events, a.events);
    assert.deepEqual(b.violations, a.violations);
    const other = await runNodeSim({ scenario, n: 4, seed: 424243 });
    assert.notDeepEqual(other.commitLog, a.commitLog, 'another seed gave the same run: the seed is not used');
  });
}
