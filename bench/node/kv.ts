/**
 * npm run bench:node — throughput and commit latency of signed `kv` txs on the four-node local
 * network of `bsn up`, at a fixed offered load (open loop) and at saturation (closed loop), with
 * the same workload against a one-validator network as the baseline, in the same run.
 *
 *   npm run bench:node              # the full run, about 3 minutes
 *   npm run bench:node -- --quick   # shorter phases, for trying changes to the bench
 *   npm run bench:node -- --keep    # keep the temp directory: node logs, configs, CPU profiles
 *
 * Before the networks start: every tx is signed on worker threads (2,000 ecdsa-p256 senders, a
 * run of nonces each); the same threads then measure the machine's stateless-check ceiling
 * (decode + verify, all cores at once); the kv state machine's in-process execution ceiling is
 * measured on a real LevelDB; and the generator's own ceiling is measured against a trivial HTTP
 * endpoint in another process. Node processes run the built `dist/cli/main.js` (rebuilt when
 * src/ is newer); node1 of the four-node network runs with --cpu-prof. Everything listens on
 * 127.0.0.1 only. Networks are stopped and the temp directory removed however the bench ends.
 * Prints tables; writes bench/results/node-kv.json.
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { closeAgent, closedLoop, openLoop, summarize, TxFeed, type RunResult, type Sink } from './load.js';
import { chainCounters, commitsFromLog, ensureBuilt, freeBasePort, machineCpuSeconds, monotonicUs, Network, processCpuSeconds, refuseNewNodes } from './net.js';
import { profileSpan, summarizeProfile, type ProfileSummary } from './profile.js';
import { f0, f1, phaseTables, profileTable, table, type PhaseReport } from './report.js';
import { executionCeiling, generatorCeiling, signAll, verifyCeiling, type Signed } from './ceilings.js';
import { CHAIN, NONCES, QUICK, SENDERS, TX_PATH, VALUE_BYTES } from './settings.js';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const MAIN = path.join(ROOT, 'dist/cli/main.js');

/** Keeps the temp directory (node logs, configs, CPU profiles) for a closer look. */
const KEEP = process.argv.includes('--keep');

const PLAN = QUICK
  ? { rate: 200, fixed: { warmupS: 1, measureS: 4 }, levels: [64, 1024], sat: { warmupS: 1, measureS: 3 }, base: { fixedS: 3, satS: 3 }, drainS: 8 }
  : { rate: 200, fixed: { warmupS: 3, measureS: 15 }, levels: [64, 256, 1024], sat: { warmupS: 2, measureS: 8 }, base: { fixedS: 8, satS: 6 }, drainS: 10 };

const started = Date.now();
const log = (msg: string) => console.log(`[${((Date.now() - started) / 1000).toFixed(0).padStart(3)} s] ${msg}`);

// ---------------------------------------------------------------- machine and build

function machine() {
  const git = (...args: string[]) => {
    try {
      return execFileSync('git', args, { cwd: ROOT, encoding: 'utf8' }).trim();
    } catch {
      return '?';
    }
  };
  return {
    cores: os.availableParallelism(),
    cpu: os.cpus()[0]?.model ?? '?',
    node: process.version,
    memGiB: Math.round(os.totalmem() / 2 ** 30),
    loadAverage: os.loadavg().map((x) => Number(x.toFixed(2))),
    commit: git('rev-parse', '--short', 'HEAD'),
    dirtySrcFiles: git('status', '--porcelain', '--', 'src').split('\n').filter(Boolean).length,
    date: new Date().toISOString(),
  };
}

// ---------------------------------------------------------------- phases on a network

interface Snapshot {
  readonly us: number;
  readonly ms: number;
  readonly epochMs: number;
  readonly nodeCpu: (number | undefined)[];
  readonly gen: NodeJS.CpuUsage;
  readonly machine: { busy: number; total: number };
  readonly counters: Promise<{ height: number; committed: number } | undefined>;
}

function snapshot(net: Network): Snapshot {
  return {
    us: monotonicUs(),
    ms: performance.now(),
    epochMs: Date.now(),
    nodeCpu: net.nodes.map((n) => processCpuSeconds(n.pid)),
    gen: process.cpuUsage(),
    machine: machineCpuSeconds(),
    counters: chainCounters(net.nodes[0]!.httpPort),
  };
}


async function runPhase(net: Network, feed: TxFeed, phase: string, load: string, go: (onWindow: (edge: 'start' | 'end') => void) => Promise<RunResult>): Promise<PhaseReport> {
  const snaps: Partial<Record<'start' | 'end', Snapshot>> = {};
  const run = await go((edge) => (snaps[edge] = snapshot(net)));
  const a = snaps.start!;
  const b = snaps.end!;
  const s = summarize(run);
  const windowS = (b.ms - a.ms) / 1000;
  const pct = (cpuS: number) => (100 * cpuS) / windowS;
  const nodes: Record<string, number> = {};
  net.nodes.forEach((n, i) => (nodes[n.name] = pct((b.nodeCpu[i] ?? NaN) - (a.nodeCpu[i] ?? NaN))));
  const nodesTotal = Object.values(nodes).reduce((x, y) => x + y, 0);
  const generator = pct((b.gen.user + b.gen.system - a.gen.user - a.gen.system) / 1e6);
  const machineBusy = pct(b.machine.busy - a.machine.busy);
  const [ca, cb] = await Promise.all([a.counters, b.counters]);
  const blocks = ca && cb ? cb.height - ca.height : undefined;
  const txsPerBlock = ca && cb && blocks ? (cb.committed - ca.committed) / blocks : undefined;
  const report: PhaseReport = {
    network: net.label,
    phase,
    load,
    windowS,
    ...s,
    blocks,
    txsPerBlock,
    cpu: { nodes, nodesTotal, generator, machineBusy, other: Math.max(0, machineBusy - nodesTotal - generator) },
    ...(run.lateness ? { openLoopLatenessMs: run.lateness } : {}),
    feedExhausted: run.exhausted,
    nodesAliveAfter: net.alive(),
    windowUs: { startUs: a.us, endUs: b.us },
    windowEpochMs: { start: a.epochMs, end: b.epochMs },
  };
  log(`${net.label} ${phase} ${load}: ${report.committedPerS.toFixed(0)} tx/s committed, p50 ${report.latencyMs?.p50.toFixed(0) ?? '-'} ms, p99 ${report.latencyMs?.p99.toFixed(0) ?? '-'} ms`);
  return report;
}

/** Adds what the first node's log says about the blocks committed in each window. */
function withBlockLog(reports: PhaseReport[], logFile: string): PhaseReport[] {
  const commits = commitsFromLog(logFile);
  return reports.map((r) => {
    const inWindow = commits.filter((c) => c.time >= r.windowEpochMs.start && c.time < r.windowEpochMs.end);
    if (inWindow.length === 0) return r;
    const ms = inWindow.map((c) => c.latencyMs).sort((a, b) => a - b);
    return {
      ...r,
      blockLog: {
        blocks: inWindow.length,
        emptyBlocks: inWindow.filter((c) => c.txs === 0).length,
        maxTxs: Math.max(...inWindow.map((c) => c.txs)),
        heightMsP50: ms[Math.ceil(ms.length / 2) - 1]!,
        heightMsMax: ms.at(-1)!,
      },
    };
  });
}

async function phases(net: Network, signed: Signed, short: boolean): Promise<PhaseReport[]> {
  const feed = new TxFeed(signed.txOf, signed.total, SENDERS);
  const sink: Sink = { ports: net.nodes.map((n) => n.httpPort), path: TX_PATH, expect: 200, token: net.token };
  const fixed = short ? { warmupS: Math.min(PLAN.fixed.warmupS, 2), measureS: PLAN.base.fixedS } : PLAN.fixed;
  const sat = short ? { warmupS: PLAN.sat.warmupS, measureS: PLAN.base.satS } : PLAN.sat;
  const out: PhaseReport[] = [];
  // One tx per sender first: every node parses each sender's public key once (worker and main
  // thread caches), which costs more than verifying; the phases after it run with warm caches.
  feed.stopAt = SENDERS;
  out.push(
    await runPhase(net, feed, 'cold keys', `1st tx of ${SENDERS} senders, 256 in flight`, (w) => closedLoop(feed, sink, { inFlight: 256, warmupS: 0, measureS: 60, drainS: PLAN.drainS }, w)),
  );
  feed.stopAt = Number.POSITIVE_INFINITY;
  out.push(
    await runPhase(net, feed, 'fixed load', `${PLAN.rate} tx/s open loop`, (w) => openLoop(feed, sink, { rate: PLAN.rate, ...fixed, drainS: PLAN.drainS }, w)),
  );
  for (const inFlight of PLAN.levels) {
    out.push(await runPhase(net, feed, 'saturation', `${inFlight} in flight`, (w) => closedLoop(feed, sink, { inFlight, ...sat, drainS: PLAN.drainS }, w)));
  }
  if (feed.skipped > 0) log(`${feed.skipped} txs skipped: their sender had a failed tx`);
  return out;
}

// ---------------------------------------------------------------- main

const tmp = mkdtempSync(path.join(os.tmpdir(), 'bsn-bench-node-'));
const nets: Network[] = [];
let cleaned = false;
async function cleanup(): Promise<void> {
  if (cleaned) return;
  cleaned = true;
  await Promise.all(nets.map((n) => n.stop(5000)));
  closeAgent();
  if (KEEP) console.log(`kept ${tmp}`);
  else rmSync(tmp, { recursive: true, force: true });
}
for (const sig of ['SIGINT', 'SIGTERM'] as const) {
  process.once(sig, () => {
    console.error(`\n${sig}: stopping the networks`);
    refuseNewNodes();
    void cleanup().finally(() => process.exit(130));
  });
}
const guard = setTimeout(
  () => {
    console.error('the bench ran over 6 minutes: stopping');
    void cleanup().finally(() => process.exit(1));
  },
  6 * 60_000,
);
guard.unref();

try {
  const m = machine();
  console.log(`machine: ${m.cores} cores (${m.cpu}), ${m.memGiB} GiB, Node ${m.node}, load average ${m.loadAverage.join(' ')}, commit ${m.commit}${m.dirtySrcFiles ? ` + ${m.dirtySrcFiles} uncommitted src files` : ''}`);
  console.log(`the ${m.cores} cores are shared by every node process, the load generator and whatever else runs on the machine\n`);
  const rebuilt = ensureBuilt(ROOT, log);

  log(`signing ${(SENDERS * NONCES).toLocaleString('en-US')} kv txs (${SENDERS} ecdsa-p256 senders × ${NONCES} nonces) on ${os.availableParallelism()} worker threads`);
  const signed = await signAll();
  log(`signed in ${(signed.signMs / 1000).toFixed(1)} s (keys included), ${signed.bytesPerTx} bytes per tx`);
  const verify = await verifyCeiling(signed.workers, QUICK ? 800 : 1500);
  for (const w of signed.workers) w.postMessage({ cmd: 'exit' });
  log(`stateless-check ceiling: ${f0(verify.perS)} txs/s on ${verify.threads} threads`);
  const exec = await executionCeiling(signed, path.join(tmp, 'exec-db'));
  log(`execution ceiling (executeBlock + commit, blocks of ${exec.blockTxs}): ${f0(exec.verifyingPerS)} tx/s verifying signatures, ${f0(exec.preCheckedPerS)} tx/s with them pre-checked`);

  const base = await freeBasePort(200);
  const gen = await generatorCeiling(signed, base + 199);
  log(`generator ceiling: ${f0(gen.perS)} req/s to a trivial endpoint (${gen.inFlight} in flight; generator ${f0(gen.generatorCpuPct)} % CPU, server ${f0(gen.serverCpuPct)} %)`);

  log(`four-node network (bsn up layout) on 127.0.0.1:${base}..${base + 31}; node1 under --cpu-prof`);
  const profDir = path.join(tmp, 'profile');
  mkdirSync(profDir);
  const { net: four, layout } = await Network.fourNodes(path.join(tmp, 'net4'), base, MAIN, profDir);
  nets.push(four);
  let fourReports = await phases(four, signed, false);
  await four.stop();
  fourReports = withBlockLog(fourReports, four.nodes[0]!.log);
  log('four-node network stopped');

  // The profile of node1 (main thread and verify worker): in the saturation window with the
  // highest throughput, and in the cold-keys window (every sender's first tx).
  const best = fourReports.filter((r) => r.phase === 'saturation').sort((a, b) => b.committedPerS - a.committedPerS)[0]!;
  const cold = fourReports.find((r) => r.phase === 'cold keys')!;
  const files = readdirSync(profDir).filter((f) => f.endsWith('.cpuprofile'));
  const mainFile = files.find((f) => /\.0\.\d+\.cpuprofile$/.test(f));
  const profiles: { window: string; thread: string; summary: ProfileSummary }[] = [];
  for (const [label, r] of [[`saturation, ${best.load}`, best], [`cold keys, ${cold.load}`, cold]] as const) {
    for (const f of files) {
      const file = path.join(profDir, f);
      const span = profileSpan(file);
      const overlaps = span.startUs < r.windowUs.startUs && span.endUs > r.windowUs.endUs;
      const summary = summarizeProfile(file, ROOT, overlaps ? r.windowUs : undefined);
      profiles.push({ window: label, thread: f === mainFile ? 'main thread' : `worker thread (${f})`, summary: { ...summary, file: f } });
    }
  }
  const mainFirst = (a: { thread: string }, b: { thread: string }) => (a.thread === 'main thread' ? -1 : b.thread === 'main thread' ? 1 : 0);
  profiles.sort((a, b) => (a.window === b.window ? mainFirst(a, b) : 0));

  log('one-validator network (node1 alone, same PKI and consensus settings)');
  const solo = await Network.oneValidator(layout, path.join(tmp, 'net1'), base + 100, MAIN);
  nets.push(solo);
  let soloReports = await phases(solo, signed, true);
  await solo.stop();
  soloReports = withBlockLog(soloReports, solo.nodes[0]!.log);
  log('one-validator network stopped');

  // ------------------------------------------------------------ report
  const reports = [...fourReports, ...soloReports];
  const ceiling = (rs: PhaseReport[]) => Math.max(...rs.filter((r) => r.phase === 'saturation').map((r) => r.committedPerS));
  const fourMax = ceiling(fourReports);
  const soloMax = ceiling(soloReports);
  const fixed4 = fourReports.find((r) => r.phase === 'fixed load')!;
  const fixed1 = soloReports.find((r) => r.phase === 'fixed load')!;
  const ratios = {
    saturationThroughput4over1: fourMax / soloMax,
    fixedLoadP50Latency4over1: (fixed4.latencyMs?.p50 ?? NaN) / (fixed1.latencyMs?.p50 ?? NaN),
    fixedLoadP99Latency4over1: (fixed4.latencyMs?.p99 ?? NaN) / (fixed1.latencyMs?.p99 ?? NaN),
    fourOverExecutionCeiling: fourMax / exec.verifyingPerS,
    soloOverExecutionCeiling: soloMax / exec.verifyingPerS,
    /** The issue's measure: committed tx/s ÷ (machine's verifies/s ÷ validators). */
    fourOverVerifyCeilingPerValidator: fourMax / (verify.perS / 4),
    soloOverVerifyCeiling: soloMax / verify.perS,
  };

  console.log('\n## Ceilings measured before the networks started\n');
  console.log(
    table(
      ['measurement', 'how', 'per second'],
      [
        ['signing (keys included)', `${os.availableParallelism()} worker threads`, f0((signed.total * 1000) / signed.signMs)],
        ['stateless check (decode + ECDSA P-256 verify)', `${verify.threads} threads at once, warm key cache`, f0(verify.perS)],
        ['kv executeBlock + commit, verifying', `1 thread, blocks of ${exec.blockTxs}, LevelDB sync`, f0(exec.verifyingPerS)],
        ['kv executeBlock + commit, signatures pre-checked', 'same, statelessChecked = true', f0(exec.preCheckedPerS)],
        ['generator → trivial HTTP endpoint', `${gen.inFlight} in flight; gen ${f0(gen.generatorCpuPct)} %, server ${f0(gen.serverCpuPct)} % CPU`, f0(gen.perS)],
      ],
    ),
  );
  console.log('\n## Signed kv txs, ?wait=commit, spread over the nodes\n');
  console.log(phaseTables(reports));
  console.log('## Ratios\n');
  console.log(
    table(
      ['ratio', 'value'],
      [
        ['saturation throughput, 4 validators ÷ 1 validator', f1(100 * ratios.saturationThroughput4over1) + ' %'],
        ['p50 latency at fixed load, 4 ÷ 1', `${ratios.fixedLoadP50Latency4over1.toFixed(2)}×`],
        ['p99 latency at fixed load, 4 ÷ 1', `${ratios.fixedLoadP99Latency4over1.toFixed(2)}×`],
        ['4 validators ÷ in-process execution ceiling (verifying)', f1(100 * ratios.fourOverExecutionCeiling) + ' %'],
        ['1 validator ÷ in-process execution ceiling (verifying)', f1(100 * ratios.soloOverExecutionCeiling) + ' %'],
        ['4 validators ÷ (verify ceiling ÷ 4 validators)', f1(100 * ratios.fourOverVerifyCeilingPerValidator) + ' %'],
        ['1 validator ÷ verify ceiling', f1(100 * ratios.soloOverVerifyCeiling) + ' %'],
      ],
    ),
  );
  console.log('\n## CPU profile of node1 (4 validators, node --cpu-prof)\n');
  console.log('Shares of the non-idle samples; a sample is wall time, so on a starved machine "busy ms" includes time spent waiting for a core.\n');
  for (const p of profiles) {
    const full = p.window === profiles[0]!.window;
    console.log(`### ${p.window}: ${profileTable(p.summary, p.thread, full ? 15 : 8, full)}\n`);
  }

  const result = {
    bench: 'node-kv',
    command: 'npm run bench:node' + (QUICK ? ' -- --quick' : ''),
    machine: { ...m, rebuiltDist: rebuilt },
    workload: { chainId: CHAIN, suite: 'ecdsa-p256', senders: SENDERS, noncesPerSender: NONCES, bytesPerTx: signed.bytesPerTx, opsPerTx: 1, valueBytes: VALUE_BYTES, request: `POST ${TX_PATH}` },
    plan: PLAN,
    ceilings: {
      signPerS: (signed.total * 1000) / signed.signMs,
      statelessCheckPerS: verify.perS,
      statelessCheckThreads: verify.threads,
      execution: exec,
      generator: gen,
    },
    phases: reports,
    ratios,
    profile: { node: 'node1 of the four-node network', windows: profiles },
    durationS: (Date.now() - started) / 1000,
  };
  mkdirSync(path.join(ROOT, 'bench/results'), { recursive: true });
  writeFileSync(path.join(ROOT, 'bench/results/node-kv.json'), `${JSON.stringify(result, null, 2)}\n`);
  log('wrote bench/results/node-kv.json');
} catch (err) {
  console.error('bench failed:', err);
  process.exitCode = 1;
} finally {
  await cleanup();
  clearTimeout(guard);
}
