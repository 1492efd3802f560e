/**
 * npm run bench:consensus — simulated heights decided per CPU-second for n = 4, and messages
 * and CPU per height for n = 4, 16, 64, 128, on a calm network (real ed25519 signatures,
 * every node verifying every message it counts). Bounded to well under two minutes.
 */
import { cpus } from 'node:os';
import { buildScenario } from '../../test/sim/scenario.js';
import { Simulation } from '../../test/sim/simulator.js';

/** Calm runs; `short` ones start healed and stop after two heights, to bound the large sizes. */
function measure(n: number, runs: number, short = false): { heights: number; cpuMs: number; broadcasts: number; deliveries: number } {
  let heights = 0;
  let cpuMs = 0;
  let broadcasts = 0;
  let deliveries = 0;
  for (let i = 0; i < runs; i++) {
    const scenario = buildScenario('calm', n, 1000 + i);
    const sim = new Simulation(short ? { ...scenario, healAt: 0 } : scenario);
    const start = process.cpuUsage();
    const stats = sim.run();
    const used = process.cpuUsage(start);
    cpuMs += (used.user + used.system) / 1000;
    heights += stats.heights;
    broadcasts += stats.broadcasts;
    deliveries += stats.deliveries;
  }
  return { heights, cpuMs, broadcasts, deliveries };
}

console.log(`machine: ${cpus().length} × ${cpus()[0]?.model ?? 'cpu'}, Node ${process.version}`);
measure(4, 3); // warm-up
const four = measure(4, 20);
console.log(`n=4: ${four.heights} heights in ${(four.cpuMs / 1000).toFixed(2)} CPU s = ${((four.heights * 1000) / four.cpuMs).toFixed(0)} heights per CPU-second`);
console.log('');
console.log('| n | heights | broadcasts / height | deliveries / height | CPU ms / height (whole network) | CPU ms / height / node |');
console.log('| ---: | ---: | ---: | ---: | ---: | ---: |');
for (const [n, runs, short] of [
  [4, 10, false],
  [16, 3, false],
  [64, 3, true],
  [128, 1, true],
] as const) {
  const m = measure(n, runs, short);
  const per = (x: number) => (x / m.heights).toFixed(1);
  console.log(`| ${n} | ${m.heights} | ${per(m.broadcasts)} | ${per(m.deliveries)} | ${per(m.cpuMs)} | ${(m.cpuMs / m.heights / n).toFixed(2)} |`);
}
