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
import { execFileSync, spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import { ClassicLevel } from 'classic-level';
import { getSuite } from '../../src/crypto/index.js';
import { KvApplication } from '../../src/execution/index.js';
import { closeAgent, closedLoop, openLoop, summarize, TxFeed, type RunResult, type Sink } from './load.js';
import { chainCounters, commitsFromLog, freeBasePort, machineCpuSeconds, monotonicUs, Network, processCpuSeconds, refuseNewNodes } from './net.js';
import { profileSpan, summarizeProfile, type ProfileSummary } from './profile.js';
import type { SignRequest, SignResponse, VerifyResponse } from './sign-worker.js';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const MAIN = path.join(ROOT, 'dist/cli/main.js');
const QUICK = process.argv.includes('--quick');
/** Keeps the temp directory (node logs, configs, CPU profiles) for a closer look. */
const KEEP = process.argv.includes('--keep');
const CHAIN = 'demo';
const SENDERS = 2000;
const NONCES = 50;
const VALUE_BYTES = 32;
const TX_PATH = `/chains/${CHAIN}/txs?wait=commit`;

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

function newestMtime(dir: string): number {
  let newest = 0;
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = path.join(dir, e.name);
    if (e.isDirectory()) newest = Math.max(newest, newestMtime(p));
    else if (e.name.endsWith('.ts') && !e.name.endsWith('.test.ts')) newest = Math.max(newest, statSync(p).mtimeMs);
  }
  return newest;
}

function ensureBuilt(): boolean {
  let built = 0;
  try {
    built = statSync(MAIN).mtimeMs;
  } catch {
    // not built yet
  }
  if (built > newestMtime(path.join(ROOT, 'src'))) return false;
  log('dist/ is older than src/: npm run build');
  execFileSync('npm', ['run', 'build'], { cwd: ROOT, stdio: ['ignore', 'ignore', 'inherit'] });
  return true;
}

// ---------------------------------------------------------------- signing and ceilings

interface Signed {
  readonly txOf: (k: number) => Uint8Array;
  readonly total: number;
  readonly bytesPerTx: number;
  readonly signMs: number;
  readonly workers: Worker[];
}

/** Signs SENDERS × NONCES txs on one worker per core; tx k = sender k mod S, nonce ⌊k / S⌋. */
async function signAll(): Promise<Signed> {
  const n = os.availableParallelism();
  const t0 = performance.now();
  const ranges = Array.from({ length: n }, (_, i) => ({ from: Math.floor((i * SENDERS) / n), to: Math.floor(((i + 1) * SENDERS) / n) }));
  const workers = ranges.map((r) => startWorker({ chainId: CHAIN, from: r.from, to: r.to, nonces: NONCES, valueBytes: VALUE_BYTES }));
  const parts = await Promise.all(workers.map((w) => nextMessage<SignResponse>(w)));
  const owner = new Uint16Array(SENDERS);
  ranges.forEach((r, i) => owner.fill(i, r.from, r.to));
  const txOf = (k: number) => {
    const s = k % SENDERS;
    const w = owner[s]!;
    const { bytes, offsets } = parts[w]!;
    const i = (s - ranges[w]!.from) * NONCES + Math.floor(k / SENDERS);
    return bytes.subarray(offsets[i]!, offsets[i + 1]!);
  };
  return { txOf, total: SENDERS * NONCES, bytesPerTx: txOf(0).length, signMs: performance.now() - t0, workers };
}

/** The worker under tsx: Node 20 does not apply --import hooks to a worker's entry module. */
function startWorker(data: SignRequest): Worker {
  const entry = new URL('./sign-worker.ts', import.meta.url);
  const tsx = import.meta.resolve('tsx/esm/api');
  const bootstrap = `import(${JSON.stringify(tsx)}).then((t) => { t.register(); return import(${JSON.stringify(entry.href)}); });`;
  return new Worker(bootstrap, { eval: true, workerData: data });
}

function nextMessage<T>(w: Worker): Promise<T> {
  return new Promise((resolve, reject) => {
    w.once('message', resolve);
    w.once('error', reject);
  });
}

/** All worker threads run the stateless check at once: the machine's verification ceiling. */
async function verifyCeiling(workers: Worker[], ms: number): Promise<{ perS: number; threads: number }> {
  const replies = workers.map((w) => nextMessage<VerifyResponse>(w));
  for (const w of workers) w.postMessage({ cmd: 'verify', ms });
  const done = await Promise.all(replies);
  return { perS: done.reduce((a, d) => a + (d.count * 1000) / d.ms, 0), threads: workers.length };
}

/** KvApplication.executeBlock + commit on a real LevelDB, blocks of 1,000: with and without signature checks. */
async function executionCeiling(signed: Signed, dir: string): Promise<{ verifyingPerS: number; preCheckedPerS: number; blockTxs: number }> {
  const suite = getSuite('ecdsa-p256');
  const db = new ClassicLevel<string, Uint8Array>(dir, { valueEncoding: 'view' });
  await db.open();
  try {
    const app = await KvApplication.open(db, CHAIN, { suite });
    await app.initChain({ chainId: CHAIN, time: 0, appState: null });
    const block = 1000;
    const blocks = QUICK ? 3 : 6;
    let k = 0;
    let height = 0;
    const run = async (preChecked: boolean) => {
      const t0 = performance.now();
      for (let b = 0; b < blocks; b++) {
        const txs = Array.from({ length: block }, () => signed.txOf(k++));
        height++;
        const r = await app.executeBlock({ height, time: height, statelessChecked: preChecked ? txs.map(() => true) : undefined }, txs);
        if (!r.results.every((x) => x.ok)) throw new Error('a bench tx failed in execution');
        await app.commit(height, r.executionId);
      }
      return (blocks * block * 1000) / (performance.now() - t0);
    };
    await run(false); // warm-up: JIT, key cache
    const verifyingPerS = await run(false);
    const preCheckedPerS = await run(true);
    return { verifyingPerS, preCheckedPerS, blockTxs: block };
  } finally {
    await db.close();
  }
}

/** The generator against a trivial HTTP endpoint (another process that reads the body and answers 202). */
async function generatorCeiling(signed: Signed, port: number): Promise<{ perS: number; generatorCpuPct: number; serverCpuPct: number; inFlight: number }> {
  const script = `require('node:http').createServer((q, s) => { q.resume(); q.on('end', () => { s.writeHead(202, { 'content-type': 'application/json' }); s.end('{"hash":"00"}'); }); }).listen(${port}, '127.0.0.1', () => console.log('ready'));`;
  const server = spawn(process.execPath, ['-e', script], { stdio: ['ignore', 'pipe', 'inherit'] });
  try {
    await new Promise<void>((resolve, reject) => {
      server.stdout.once('data', () => resolve());
      server.once('exit', (code) => reject(new Error(`trivial server exited ${code}`)));
    });
    const feed = new TxFeed(signed.txOf, signed.total, SENDERS);
    const sink: Sink = { ports: [port], path: `/chains/${CHAIN}/txs`, expect: 202 };
    const inFlight = 256;
    let cpu0 = process.cpuUsage();
    let srv0 = 0;
    let cpuPct = 0;
    let srvPct = 0;
    const run = await closedLoop(feed, sink, { inFlight, warmupS: 0.5, measureS: QUICK ? 1.5 : 2.5, drainS: 2 }, (edge) => {
      if (edge === 'start') {
        cpu0 = process.cpuUsage();
        srv0 = processCpuSeconds(server.pid!) ?? 0;
      } else {
        const c = process.cpuUsage(cpu0);
        const s = (QUICK ? 1.5 : 2.5) * 1000;
        cpuPct = (100 * (c.user + c.system)) / 1000 / s;
        srvPct = (100 * ((processCpuSeconds(server.pid!) ?? 0) - srv0) * 1000) / s;
      }
    });
    return { perS: summarize(run).committedPerS, generatorCpuPct: cpuPct, serverCpuPct: srvPct, inFlight };
  } finally {
    server.kill('SIGKILL');
  }
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

export interface PhaseReport {
  readonly network: string;
  readonly phase: string;
  readonly load: string;
  readonly windowS: number;
  readonly submitted: number;
  readonly committed: number;
  readonly failed: Record<string, number>;
  readonly unanswered: number;
  readonly failedAnyTime: Record<string, number>;
  readonly committedPerS: number;
  readonly latencyMs: { min: number; p50: number; p99: number; max: number; mean: number } | undefined;
  readonly blocks: number | undefined;
  readonly txsPerBlock: number | undefined;
  /** % of one core over the window: per node, their sum, the generator, the whole machine (of cores × 100 %), and everything else. */
  readonly cpu: { nodes: Record<string, number>; nodesTotal: number; generator: number; machineBusy: number; other: number };
  readonly openLoopLatenessMs?: { max: number; p99: number };
  readonly feedExhausted: boolean;
  readonly nodesAliveAfter: string[];
  /** Monotonic µs of the window, to cut the node's CPU profile. */
  readonly windowUs: { startUs: number; endUs: number };
  readonly windowEpochMs: { start: number; end: number };
  /** From the first node's log ('committed' lines in the window): filled in after the network stops. */
  readonly blockLog?: { blocks: number; emptyBlocks: number; maxTxs: number; heightMsP50: number; heightMsMax: number };
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
  const sink: Sink = { ports: net.nodes.map((n) => n.httpPort), path: TX_PATH, expect: 200 };
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

// ---------------------------------------------------------------- output

const f0 = (x: number | undefined) => (x === undefined || Number.isNaN(x) ? '-' : Math.round(x).toLocaleString('en-US'));
const f1 = (x: number | undefined) => (x === undefined || Number.isNaN(x) ? '-' : x.toFixed(1));

function table(head: string[], rows: string[][]): string {
  const width = head.map((h, i) => Math.max(3, h.length, ...rows.map((r) => r[i]!.length)));
  // Columns of figures are right-aligned.
  const right = head.map((_, i) => rows.length > 0 && rows.every((r) => /^[-\d,.%× /]*$/.test(r[i]!)));
  const line = (cells: string[]) => `| ${cells.map((c, i) => (right[i] ? c.padStart(width[i]!) : c.padEnd(width[i]!))).join(' | ')} |`;
  return [line(head), `| ${width.map((w, i) => (right[i] ? `${'-'.repeat(w - 1)}:` : '-'.repeat(w))).join(' | ')} |`, ...rows.map(line)].join('\n');
}

function phaseTables(reports: PhaseReport[]): string {
  const main = table(
    ['network', 'load', 'window s', 'submitted', 'committed', 'failed', 'committed tx/s', 'min ms', 'p50 ms', 'p99 ms', 'max ms', 'blocks', 'tx/block', 'empty blocks', 'height ms p50 / max'],
    reports.map((r) => [
      r.network,
      r.load,
      f1(r.windowS),
      f0(r.submitted),
      f0(r.committed),
      f0(Object.values(r.failed).reduce((a, b) => a + b, 0) + r.unanswered),
      f0(r.committedPerS),
      f0(r.latencyMs?.min),
      f0(r.latencyMs?.p50),
      f0(r.latencyMs?.p99),
      f0(r.latencyMs?.max),
      f0(r.blocks),
      f1(r.txsPerBlock),
      f0(r.blockLog?.emptyBlocks),
      r.blockLog ? `${f0(r.blockLog.heightMsP50)} / ${f0(r.blockLog.heightMsMax)}` : '-',
    ]),
  );
  const cpu = table(
    ['network', 'load', 'node CPU % of one core (each)', 'nodes total %', 'node CPU ms per committed tx (all nodes)', 'generator %', `machine busy % (of ${os.availableParallelism() * 100})`, 'other processes %'],
    reports.map((r) => [
      r.network,
      r.load,
      Object.values(r.cpu.nodes).map((x) => f0(x)).join(' / '),
      f0(r.cpu.nodesTotal),
      (r.cpu.nodesTotal * 10 / r.committedPerS).toFixed(2),
      f0(r.cpu.generator),
      f0(r.cpu.machineBusy),
      f0(r.cpu.other),
    ]),
  );
  const failures = reports.flatMap((r) => [
    ...Object.entries(r.failedAnyTime).map(([why, n]) => `  ${r.network}, ${r.load}: ${n} × ${why} (${r.failed[why] ?? 0} of them in the window)`),
    ...(r.unanswered ? [`  ${r.network}, ${r.load}: ${r.unanswered} unanswered when the drain ended`] : []),
    ...(r.feedExhausted && r.phase !== 'cold keys' ? [`  ${r.network}, ${r.load}: ran out of pre-signed txs`] : []),
    ...(r.openLoopLatenessMs ? [`  ${r.network}, ${r.load}: (not a failure) the generator sent txs late by up to ${f0(r.openLoopLatenessMs.max)} ms (p99 ${f0(r.openLoopLatenessMs.p99)} ms)`] : []),
    ...(r.nodesAliveAfter.length < Object.keys(r.cpu.nodes).length ? [`  ${r.network}, ${r.load}: only ${r.nodesAliveAfter.join(', ')} still running afterwards`] : []),
  ]);
  const failed = reports.some((r) => Object.keys(r.failedAnyTime).length > 0);
  return `${main}\n\n${cpu}\n\n${failed ? 'failed txs (warm-up and drain included) and notes' : 'no failed txs (warm-up and drain included); notes'}:\n${failures.join('\n')}\n`;
}

function profileTable(p: ProfileSummary, title: string, rows: number, full: boolean): string {
  const lines = [
    `${title}: ${f0(p.busyMs)} ms busy of ${f0(p.sampledMs)} ms sampled${p.windowed ? ' (samples in the window only)' : ' (whole run)'}`,
    table(
      ['self time, by function', 'location', 'ms', '%', 'called from (project code, nearest first; share)'],
      p.topFunctions
        .slice(0, rows)
        .map((e) => [e.name.split('  ')[0]!, e.name.split('  ')[1] ?? '', f0(e.selfMs), f1(e.pct), (p.callers[e.name] ?? []).map((c) => `${c.via} (${f0(c.pct)} %)`).join('; ')]),
    ),
  ];
  if (!full) return lines.join('\n');
  return [
    ...lines,
    '',
    table(['self time, by module', 'ms', '%'], p.topModules.map((e) => [e.name, f0(e.selfMs), f1(e.pct)])),
    '',
    table(['inclusive time, project functions', 'location', 'ms', '%'], p.topInclusive.map((e) => [e.name.split('  ')[0]!, e.name.split('  ')[1] ?? '', f0(e.selfMs), f1(e.pct)])),
  ].join('\n');
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
  const rebuilt = ensureBuilt();

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
