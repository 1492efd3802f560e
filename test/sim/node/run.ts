/**
 * One node-level run: (scenario, n, seed[, regressions]) → the commit log, the violations and
 * the figures. Every event runs only once all runners are idle, so a seed replays exactly.
 */
import { performance } from 'node:perf_hooks';
import { encodeBlock } from '../../../src/chain/index.js';
import { valueIdOf } from '../../../src/consensus/index.js';
import { buildKvTx } from '../../../src/execution/index.js';
import { decodeConsensusMessage } from '../../../src/node/consensus-wire.js';
import { testValidator } from '../keys.js';
import { ByzantineNode, storeAnswer, type SyncAnswer } from './byzantine.js';
import { Bounds, finalChecks, type BoundFigures } from './checks.js';
import { Cluster, simGenesis, type Regressions } from './cluster.js';
import { BYZANTINE_TICK_MS, CHAIN_ID, MAX_EVENT_WALL_MS, MAX_EVENTS, REGOSSIP_MS, SYNC_INTERVAL_MS, TX_INTERVAL_MS } from './config.js';
import { proposerMeter } from './meter.js';
import { Reference } from './reference.js';
import { buildNodeScenario, type NodeScenarioName } from './scenarios.js';
import { Membership, RunnerViews, ScheduledSets, storeMatchesSchedule, type EngineFault } from './vset.js';

export interface NodeRunSpec {
  readonly scenario: NodeScenarioName;
  readonly n: number;
  readonly seed: number;
  readonly regressions?: Regressions;
  /** A test-only wrong engine behaviour around validator-set changes (vset.ts), for the teeth. */
  readonly engineFault?: EngineFault;
}

export interface NodeRunOutcome {
  readonly spec: NodeRunSpec;
  readonly violations: readonly string[];
  /** Every honest commit, in order: "time node height id". */
  readonly commitLog: readonly string[];
  /** The lowest honest height at the end. */
  readonly heights: number;
  readonly events: number;
  readonly figures: BoundFigures & { furthestProposer: number; maxEventWallMs: number; attacks: number };
  readonly reports: ReadonlyMap<string, number>;
}

const CLIENTS = 3;

export function describeSpec(s: NodeRunSpec): string {
  const reg = s.regressions ? Object.entries(s.regressions).filter(([, on]) => on).map(([k]) => k) : [];
  return `scenario=${s.scenario} n=${s.n} seed=${s.seed}${reg.length ? ` regressions=${reg.join(',')}` : ''}${s.engineFault ? ` engineFault=${s.engineFault}` : ''}`;
}

export function replayCommand(s: NodeRunSpec): string {
  const reg = s.regressions ? Object.entries(s.regressions).filter(([, on]) => on).map(([k]) => ` --regression ${k}`).join('') : '';
  return `npm run sim:node -- --scenario ${s.scenario} --n ${s.n} --seed ${s.seed}${reg}${s.engineFault ? ` --engine-fault ${s.engineFault}` : ''}`;
}

// Block sync answers a batch, as the p2p layer's getBlocks does, so a restarted node catches up
// with a chain that keeps committing.
const SYNC_BATCH = 8;

export async function runNodeSim(spec: NodeRunSpec, observe?: (c: Cluster) => void | Promise<void>): Promise<NodeRunOutcome> {
  const meter = proposerMeter();
  meter.reset();
  const scenario = buildNodeScenario(spec.scenario, spec.n, spec.seed);
  const genesis = simGenesis(spec.n);
  const reference = await Reference.open(genesis, new ScheduledSets(genesis.validators, scenario.changes));
  const c = new Cluster(scenario, reference, spec.regressions, spec.engineFault);
  const membership = new Membership(c.sets);
  const views = new RunnerViews(c.sets);
  const { time, prng } = c;
  const bounds = new Bounds(c, meter);
  const byzantine = new Map<number, ByzantineNode>();
  for (const [i, attack] of scenario.byzantine) byzantine.set(i, new ByzantineNode(c, c.nodes[i]!, attack, prng.fork()));
  const commitLog: string[] = [];
  c.hooks = {
    outgoing: (node, bytes) => byzantine.get(node.index)!.outgoing(bytes),
    onCommit: (node, block) => {
      if (!node.honest) return;
      commitLog.push(`${time.elapsed} ${node.name} ${block.header.height} ${valueIdOf(c.genesis.suite, encodeBlock(block)).slice(0, 16)}`);
      c.track(reference.committed(node.name, block, time.now));
      bounds.onCommit(node, block.header.height);
    },
    sent: (node, bytes) => membership.sent(node.index, decodeConsensusMessage(bytes)),
  };
  const every = (period: number, fn: () => void | Promise<void>, phase = 0) => {
    const loop = async () => {
      await fn();
      if (time.elapsed + period <= scenario.end) time.at(period, loop);
    };
    time.at(phase, loop);
  };

  // Clients: kv writes to every running node's mempool (gossip is not what is under test).
  const nonces = new Array<number>(CLIENTS).fill(0);
  every(TX_INTERVAL_MS, () => {
    const client = prng.int(CLIENTS);
    const nonce = nonces[client]!++;
    const value = new Uint8Array(16 + prng.int(48)).map(() => prng.int(256));
    const key = new TextEncoder().encode(`c${client}/${nonce}`);
    const tx = buildKvTx({ chainId: CHAIN_ID, privateKey: testValidator(100 + client).key, nonce, ops: [{ type: 'put', key, value }] });
    for (const node of c.nodes) if (node.online && node.mempool) c.track(node.mempool.add(tx));
  }, 50);
  // Block sync: each node asks a random peer for its next height.
  for (const node of c.nodes) {
    every(SYNC_INTERVAL_MS, () => {
      if (!node.online) return;
      const peer = c.nodes[(node.index + 1 + prng.int(c.nodes.length - 1)) % c.nodes.length]!;
      const height = node.height + 1;
      time.at(prng.exponential(scenario.calmDelayMean) + 1, async () => {
        const lie = !peer.honest && peer.online ? await byzantine.get(peer.index)!.answerSync(height) : undefined;
        const answer: SyncAnswer[] = peer.honest ? await storeAnswer(peer, height, SYNC_BATCH) : lie ? [lie] : [];
        if (answer.length === 0) return;
        time.at(prng.exponential(scenario.calmDelayMean) + 1, () => {
          const apply = async () => {
            for (const [i, a] of answer.entries()) {
              if (!node.online || !node.runner) return;
              await node.runner.applySyncedBlock(height + i, a.block, a.certificate);
            }
          };
          c.track(apply());
        });
      });
    }, 100 + node.index * 7);
  }
  // As a city node does (REGOSSIP_MS): what a node signed at its height goes out again, so
  // messages lost before the heal are eventually delivered, which the algorithm assumes.
  for (const node of c.nodes) every(REGOSSIP_MS, () => void (node.online && node.runner?.regossip()), 300 + node.index * 11);
  for (const b of byzantine.values()) every(BYZANTINE_TICK_MS, () => b.tick(), 120);
  const crash = scenario.crash;
  if (crash) {
    time.at(crash.at - time.elapsed, () => c.crash(c.nodes[crash.node]!));
    time.at(crash.at + crash.downFor - time.elapsed, () => c.start(c.nodes[crash.node]!));
  }
  let healHeight = 0;
  time.at(scenario.healAt - time.elapsed, () => void (healHeight = Math.max(...c.honest.map((n) => n.height))));

  const violations: string[] = [];
  for (const node of c.nodes) await c.start(node);
  await c.settle();
  let maxEventWallMs = 0;
  for (let ev = time.next(scenario.end); ev; ev = time.next(scenario.end)) {
    const t0 = performance.now();
    await ev.fn();
    await c.settle();
    const wall = performance.now() - t0;
    maxEventWallMs = Math.max(maxEventWallMs, wall);
    bounds.sample();
    if (scenario.changes.size > 0) for (const node of c.honest) if (node.online && node.runner) views.check(node.index, node.runner);
    if (wall > MAX_EVENT_WALL_MS) {
      violations.push(`work: one event took ${wall.toFixed(0)} ms of wall time (backstop ${MAX_EVENT_WALL_MS} ms)`);
      break;
    }
    if (time.events > MAX_EVENTS) {
      violations.push(`work: more than ${MAX_EVENTS} events by virtual time ${time.elapsed} ms`);
      break;
    }
  }
  await observe?.(c);
  for (const node of c.nodes) await c.crash(node);
  await c.settle();
  violations.push(...reference.violations, ...bounds.violations, ...membership.violations, ...views.violations, ...(await finalChecks(c, healHeight)));
  if (scenario.changes.size > 0) violations.push(...(await vsetChecks(c, membership)));
  return {
    spec,
    violations,
    commitLog,
    heights: Math.min(...c.honest.map((n) => n.height)),
    events: time.events,
    figures: { ...bounds.figures, furthestProposer: meter.furthest, maxEventWallMs, attacks: [...byzantine.values()].reduce((s, b) => s + b.attempts, 0) },
    reports: c.reports,
  };
}

/**
 * Runs with set changes: each honest store records the schedule's changes, its certificates hold
 * members only, and every honest node never down takes part in each long stretch it is a member.
 */
async function vsetChecks(c: Cluster, membership: Membership): Promise<string[]> {
  const out: string[] = [];
  const top = Math.min(...c.honest.map((n) => n.height));
  for (const node of c.honest) {
    if (node.store) out.push(...(await storeMatchesSchedule(node.name, node.store, c.sets)));
    if (c.scenario.crash?.node !== node.index) out.push(...membership.takesPart(node.index, top));
  }
  return out;
}
