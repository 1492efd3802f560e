/**
 * npm run sim -- --runs N --seed S [--scenario NAME] [--n N] [--variant NAME] [--quiet]
 * npm run sim -- --replay --seed S --scenario NAME --n N [--variant NAME] [--trace]
 *
 * Runs seeded simulations and checks the invariants after each; a failing run prints its
 * violations and the one command that replays it. Exits 1 if any run failed.
 */
import { parseArgs } from 'node:util';
import { batchSpec, describe, replayCommand, runOne, type RunOutcome, type RunSpec } from './run.js';
import { buildScenario, SCENARIOS, type ScenarioName } from './scenario.js';
import { describeMessage, Simulation } from './simulator.js';
import { VARIANTS, type Variant } from './variants.js';

const { values } = parseArgs({
  options: {
    runs: { type: 'string', default: '100' },
    seed: { type: 'string', default: '1' },
    scenario: { type: 'string' },
    n: { type: 'string' },
    variant: { type: 'string', default: 'honest' },
    replay: { type: 'boolean', default: false },
    trace: { type: 'boolean', default: false },
    quiet: { type: 'boolean', default: false },
  },
});

function fail(message: string): never {
  console.error(message);
  process.exit(2);
}

const variant = values.variant as Variant;
if (!VARIANTS.includes(variant)) fail(`unknown variant ${variant}; known: ${VARIANTS.join(', ')}`);
if (values.scenario && !SCENARIOS.includes(values.scenario as ScenarioName)) fail(`unknown scenario ${values.scenario}; known: ${SCENARIOS.join(', ')}`);
const seed = Number(values.seed) >>> 0;
const runs = Number(values.runs);
if (!Number.isSafeInteger(runs) || runs < 1) fail('--runs must be a positive integer');
const fixed: Partial<RunSpec> = { variant, ...(values.scenario ? { scenario: values.scenario as ScenarioName } : {}), ...(values.n ? { n: Number(values.n) } : {}) };

function report(o: RunOutcome): void {
  console.log(`FAIL ${describe(o)}${o.spec.variant === 'honest' ? '' : ` [variant ${o.spec.variant}]`}`);
  for (const v of o.violations) console.log(`  - ${v}`);
  console.log(`  replay: ${replayCommand(o.spec)}`);
}

if (values.replay) {
  if (!values.scenario || !values.n) fail('--replay needs --seed, --scenario and --n');
  const spec: RunSpec = { seed, scenario: values.scenario as ScenarioName, n: Number(values.n), variant };
  if (values.trace) {
    const sim = new Simulation(buildScenario(spec.scenario, spec.n, spec.seed), variant);
    sim.trace = (line) => console.log(line);
    sim.run();
    void describeMessage;
  }
  const o = runOne(spec);
  if (o.violations.length > 0) report(o);
  else console.log(`ok ${describe(o)}`);
  process.exit(o.violations.length > 0 ? 1 : 0);
}

const started = process.cpuUsage();
const scenarios = new Set<string>();
let heights = 0;
let failed = 0;
for (let i = 0; i < runs; i++) {
  const o = runOne(batchSpec(seed, i, fixed));
  scenarios.add(`${o.spec.scenario}`);
  heights += o.heights;
  if (o.violations.length > 0) {
    failed++;
    report(o);
  } else if (!values.quiet && runs <= 20) console.log(`ok ${describe(o)}`);
}
const cpu = process.cpuUsage(started);
console.log(
  `${runs} runs (${failed} failed), ${scenarios.size} scenarios, ${heights} heights decided, ` +
    `${((cpu.user + cpu.system) / 1e6).toFixed(1)} s CPU; base seed ${seed}${variant === 'honest' ? '' : `, variant ${variant}`}`,
);
process.exit(failed > 0 ? 1 : 0);
