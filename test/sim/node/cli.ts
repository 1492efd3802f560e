/**
 * npm run sim:node -- --scenario NAME --n N --seed S [--regression C1|C2]... [--engine-fault F] [--log]
 * npm run sim:node -- --runs R --seed S [--n N] [--scenario NAME] [--regression ...]
 *
 * Replays one node-level run (a failing seed from CI names its scenario, n and seed), or runs a
 * batch. Prints violations and figures; exits 1 if any run failed.
 */
import { parseArgs } from 'node:util';
import { batchSpecs } from './batch.js';
import { describeSpec, replayCommand, runNodeSim, type NodeRunSpec } from './run.js';
import { isScenario, NODE_SCENARIOS } from './scenarios.js';
import { ENGINE_FAULTS, isEngineFault } from './vset.js';

const { values } = parseArgs({
  options: {
    scenario: { type: 'string' },
    n: { type: 'string', default: '4' },
    seed: { type: 'string', default: '1' },
    runs: { type: 'string' },
    regression: { type: 'string', multiple: true, default: [] },
    'engine-fault': { type: 'string' },
    log: { type: 'boolean', default: false },
  },
});

function usage(message: string): never {
  console.error(message);
  process.exit(2);
}

const n = Number(values.n);
const seed = Number(values.seed) >>> 0;
if (values.scenario !== undefined && !isScenario(values.scenario)) usage(`unknown scenario ${values.scenario}; known: ${NODE_SCENARIOS.join(', ')}`);
for (const r of values.regression) if (r !== 'C1' && r !== 'C2') usage(`unknown regression ${r}; known: C1, C2`);
const fault = values['engine-fault'];
if (fault !== undefined && !isEngineFault(fault)) usage(`unknown engine fault ${fault}; known: ${ENGINE_FAULTS.join(', ')}`);
const engineFault = fault !== undefined && isEngineFault(fault) ? { engineFault: fault } : {};
const regressions = values.regression.length > 0 ? { C1: values.regression.includes('C1'), C2: values.regression.includes('C2') } : undefined;

const specs: NodeRunSpec[] =
  values.runs === undefined
    ? [{ scenario: values.scenario ?? usage('--scenario (or --runs) is needed'), n, seed, ...(regressions ? { regressions } : {}), ...engineFault } as NodeRunSpec]
    : batchSpecs(n, Number(values.runs), seed, values.scenario && isScenario(values.scenario) ? [values.scenario] : NODE_SCENARIOS).map((s) => ({ ...s, ...(regressions ? { regressions } : {}), ...engineFault }));

let failed = 0;
const started = Date.now();
for (const spec of specs) {
  const o = await runNodeSim(spec);
  if (values.log) for (const line of o.commitLog) console.log(`  ${line}`);
  const figures = JSON.stringify(o.figures);
  if (o.violations.length > 0) {
    failed++;
    console.log(`FAIL ${describeSpec(spec)}: ${o.heights} heights, ${o.events} events ${figures}`);
    for (const v of o.violations) console.log(`  - ${v}`);
    console.log(`  replay: ${replayCommand(spec)}`);
  } else console.log(`ok ${describeSpec(spec)}: ${o.heights} heights, ${o.events} events ${figures}`);
}
console.log(`${specs.length} runs, ${failed} failed, ${((Date.now() - started) / 1000).toFixed(1)} s`);
process.exit(failed > 0 ? 1 : 0);
