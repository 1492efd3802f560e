import { test } from 'node:test';
import assert from 'node:assert/strict';
import { batchSpecs, failureText } from './batch.js';
import { replayCommand, runNodeSim, type NodeRunSpec } from './run.js';
import { buildNodeScenario, type NodeScenarioName } from './scenarios.js';
import type { EngineFault } from './vset.js';

/*
 * Validator-set changes under faults (vset.ts): followers added, validators removed, powers
 * changed at heights drawn from the seed, with the usual checks plus the membership ones. Run
 * counts are bounded so that the file stays under a minute on a loaded 2-core machine; the
 * sim-n4-* and sim-n7 batches cycle through both scenarios too (106 more runs).
 */

async function batch(t: { diagnostic(m: string): void }, specs: readonly NodeRunSpec[]): Promise<void> {
  const failures: string[] = [];
  let changes = 0;
  let heights = 0;
  for (const spec of specs) {
    const o = await runNodeSim(spec);
    if (o.violations.length > 0) failures.push(failureText(o));
    const s = buildNodeScenario(spec.scenario, spec.n, spec.seed);
    // A change by block h is in force once h + 1 is committed by every honest node.
    const applied = [...s.changes.keys()].filter((h) => h < o.heights).length;
    assert.ok(applied >= 2, `${replayCommand(spec)}: only ${applied} set changes took effect in ${o.heights} heights`);
    changes += applied;
    heights += o.heights;
  }
  assert.equal(failures.length, 0, `invariants violated:\n${failures.join('\n')}`);
  t.diagnostic(JSON.stringify({ runs: specs.length, heights, changesInForce: changes }));
}

for (const [scenario, runs] of [['vsetChurn', 5], ['vsetByzantine', 4]] as const) {
  test(`node simulation: ${scenario} n=4, ${runs} seeded runs keep agreement, validity, liveness, the bounds and membership`, async (t) => {
    await batch(t, batchSpecs(4, runs, 0x5e71, [scenario]));
  });
}

// n = 7 (nine nodes) costs two to three times a run of n = 4; the sim-n7 batches add five runs of each scenario.
test('node simulation: vsetByzantine n=7, one seeded run', async (t) => {
  await batch(t, batchSpecs(7, 1, 0x5e77, ['vsetByzantine']));
});

test('determinism: vsetByzantine n=4 replays exactly from its seed', async () => {
  const a = await runNodeSim({ scenario: 'vsetByzantine', n: 4, seed: 515151 });
  const b = await runNodeSim({ scenario: 'vsetByzantine', n: 4, seed: 515151 });
  assert.ok(a.commitLog.length > 0);
  assert.deepEqual(b.commitLog, a.commitLog);
  assert.equal(b.events, a.events);
  assert.deepEqual(b.violations, a.violations);
});

/**
 * Teeth: a wrong engine behaviour, put in by a test-only wrapper (vset.ts), is caught within a
 * fixed budget of runs; the same seeds pass without it.
 */
const teeth: readonly { fault: EngineFault; scenario: NodeScenarioName; kind: RegExp; budget: number }[] = [
  // The runner never sees nextValidators: headers name the old set, certificates do not verify, the newcomer never signs.
  { fault: 'ignoreNextValidators', scenario: 'vsetChurn', kind: /^(validity|membership|vset)/, budget: 2 },
  // Each change applied one height late: headers name another set, the removed validator signs a height too many.
  { fault: 'lateNextValidators', scenario: 'vsetChurn', kind: /^(validity|membership)/, budget: 2 },
  // The store drops the set beside its block: what a restart would read no longer matches the schedule.
  { fault: 'forgetStoredSets', scenario: 'vsetChurn', kind: /^vset/, budget: 2 },
  // One node misses the block that removes it: it goes on signing, which only the membership check sees at once.
  { fault: 'removedKeepsSigning', scenario: 'vsetChurn', kind: /^membership/, budget: 2 },
];

/** Runs without a fault, by seed: the teeth share their baselines. */
const baselines = new Map<number, Promise<Awaited<ReturnType<typeof runNodeSim>>>>();
const baseline = (spec: NodeRunSpec) => baselines.get(spec.seed) ?? baselines.set(spec.seed, runNodeSim(spec)).get(spec.seed)!;

for (const c of teeth) {
  test(`teeth: the vset checks catch an engine that does ${c.fault} within ${c.budget} runs, and pass the same seeds without it`, async (t) => {
    const specs = batchSpecs(4, c.budget, 0x7ee8, [c.scenario]);
    let caught: { runs: number; violation: string } | undefined;
    for (const [i, spec] of specs.entries()) {
      const o = await runNodeSim({ ...spec, engineFault: c.fault });
      const hit = o.violations.find((v) => c.kind.test(v));
      if (hit) {
        caught = { runs: i + 1, violation: hit };
        break;
      }
    }
    assert.ok(caught, `${c.fault} survived ${c.budget} runs of ${c.scenario}`);
    t.diagnostic(`caught after ${caught.runs} run(s): ${caught.violation}`);
    for (const spec of specs.slice(0, caught.runs)) {
      const fixed = await baseline(spec);
      assert.equal(fixed.violations.length, 0, `without the fault: ${failureText(fixed)}`);
    }
  });
}
