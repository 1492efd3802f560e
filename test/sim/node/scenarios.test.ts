import { test } from 'node:test';
import assert from 'node:assert/strict';
import { UnknownScenarioError } from './errors.js';
import { buildNodeScenario, NODE_SCENARIOS } from './scenarios.js';

test('node scenarios: Byzantine validators stay within f, faults hit honest nodes only, an unknown name is a typed error', () => {
  for (const name of NODE_SCENARIOS) {
    for (const n of [4, 7]) {
      for (let seed = 1; seed <= 20; seed++) {
        const s = buildNodeScenario(name, n, seed);
        assert.ok(s.byzantine.size <= Math.floor((n - 1) / 3), `${name} n=${n} seed=${seed}: ${s.byzantine.size} Byzantine`);
        if (s.crash) assert.ok(!s.byzantine.has(s.crash.node), `${name}: the crashed node is Byzantine`);
        for (const g of s.groups) for (const i of g) assert.ok(!s.byzantine.has(i));
        assert.ok(s.faultFrom < s.healAt && s.healAt < s.end);
        assert.deepEqual(buildNodeScenario(name, n, seed), s, 'a scenario is a function of its seed');
      }
    }
  }
  assert.throws(() => buildNodeScenario('noSuchScenario', 4, 1), (err: unknown) => err instanceof UnknownScenarioError && err.code === 'SIM_UNKNOWN_SCENARIO');
});
