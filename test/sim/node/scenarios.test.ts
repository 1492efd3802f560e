import { test } from 'node:test';
import assert from 'node:assert/strict';
import { UnknownScenarioError } from './errors.js';
import { buildNodeScenario, NODE_SCENARIOS } from './scenarios.js';
import { MIN_SET, setIsSound, type Member } from './vset.js';

test('node scenarios: Byzantine validators stay within f, faults hit honest nodes only, an unknown name is a typed error', () => {
  for (const name of NODE_SCENARIOS) {
    for (const n of [4, 7]) {
      for (let seed = 1; seed <= 20; seed++) {
        const s = buildNodeScenario(name, n, seed);
        const inGenesis = [...s.byzantine.keys()].filter((i) => i < n);
        assert.ok(inGenesis.length <= Math.floor((n - 1) / 3), `${name} n=${n} seed=${seed}: ${inGenesis.length} Byzantine`);
        if (s.crash) assert.ok(!s.byzantine.has(s.crash.node), `${name}: the crashed node is Byzantine`);
        for (const g of s.groups) for (const i of g) assert.ok(!s.byzantine.has(i));
        assert.ok(s.faultFrom < s.healAt && s.healAt < s.end);
        assert.deepEqual(buildNodeScenario(name, n, seed), s, 'a scenario is a function of its seed');
      }
    }
  }
  assert.throws(() => buildNodeScenario('noSuchScenario', 4, 1), (err: unknown) => err instanceof UnknownScenarioError && err.code === 'SIM_UNKNOWN_SCENARIO');
});

test('vset scenarios: every scheduled set has at least 4 members and the faulty ones under a third of the power; the Byzantine validator leaves before the Byzantine follower joins', () => {
  let adds = 0;
  let removes = 0;
  let powers = 0;
  for (const name of NODE_SCENARIOS) {
    for (const n of [4, 7]) {
      for (let seed = 1; seed <= 40; seed++) {
        const s = buildNodeScenario(name, n, seed);
        const vset = name === 'vsetChurn' || name === 'vsetByzantine';
        assert.equal(s.changes.size > 0, vset, `${name}: only vset scenarios change the set`);
        assert.equal(s.followers, vset ? 2 : 0);
        const faulty = new Set([...s.byzantine.keys(), ...(s.crash ? [s.crash.node] : [])]);
        let prev: readonly Member[] = Array.from({ length: n }, (_, index) => ({ index, power: 1 }));
        let removedAt: number | undefined;
        let addedAt: number | undefined;
        for (const [h, set] of [...s.changes].sort((a, b) => a[0] - b[0])) {
          assert.ok(set.length >= MIN_SET && setIsSound(set, faulty), `${name} n=${n} seed=${seed}: unsound set from height ${h + 1}`);
          assert.equal(new Set(set.map((m) => m.index)).size, set.length, 'a member twice');
          for (const m of set) assert.ok(m.index < n + s.followers && m.power >= 1 && m.power <= 3);
          const was = new Map(prev.map((m) => [m.index, m.power]));
          adds += set.filter((m) => !was.has(m.index)).length;
          removes += prev.filter((m) => !set.some((x) => x.index === m.index)).length;
          powers += set.filter((m) => was.has(m.index) && was.get(m.index) !== m.power).length;
          const byz = [...s.byzantine].find(([i, b]) => i < n && b !== 'followerSpam')?.[0];
          if (name === 'vsetByzantine' && removedAt === undefined && !set.some((m) => m.index === byz)) removedAt = h;
          if (name === 'vsetByzantine' && addedAt === undefined && set.some((m) => m.index === n + 1)) addedAt = h;
          prev = set;
        }
        if (name === 'vsetByzantine') {
          assert.ok(removedAt !== undefined && removedAt <= 12, `seed ${seed}: the Byzantine validator is removed mid-run (at ${removedAt})`);
          assert.equal(s.byzantine.get(n + 1), 'followerSpam');
          if (addedAt !== undefined) assert.ok(addedAt > removedAt, 'the Byzantine follower joins after the other leaves');
        }
      }
    }
  }
  assert.ok(adds > 100 && removes > 100 && powers > 100, `schedules mix the three changes (${adds} adds, ${removes} removes, ${powers} power changes)`);
});
