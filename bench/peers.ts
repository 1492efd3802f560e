/*
 * `npm run bench:peers`: the same transfer and ERC-20 bench files, with the same settings,
 * against BSN (the four validators of `bsn up`) and a Hardhat node, both on loopback; prints the
 * figures side by side with their ratios and writes every result, report and a summary to
 * bench/results/peers-<timestamp>/. docs/performance.md, "bench:peers", says what it runs.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { createProgress } from '../src/bench/progress.js';
import { renderHtmlReport } from '../src/bench/report-html.js';
import type { BenchResult, RoundResult } from '../src/bench/result.js';
import { runBench } from '../src/bench/run.js';
import { loadBenchFile, overrideTarget, parseBenchSpec, type BenchSpec } from '../src/bench/spec.js';
import { alignRows, describeRateControl, failedPercent, formatMs, formatNumber, summaryLine } from '../src/bench/summary.js';
import { ensureBuilt, externalPeer, ROOT, startBsn, startHardhat, type Peer } from './peers-targets.js';

const USAGE = `npm run bench:peers -- [options]     (each option also as an environment variable)
  --workloads LIST  bench files to run, comma-separated: names in           BENCH_PEERS_WORKLOADS  (transfer,erc20)
                    bench/workloads, or paths to .yaml/.json files
  --rounds N        only the first N rounds of each file                    BENCH_PEERS_ROUNDS
  --duration S      every round measures S seconds (instead of its own)     BENCH_PEERS_DURATION
  --warmup S        every round warms up S seconds                          BENCH_PEERS_WARMUP
  --rate TPS        every round sends at a fixed rate of TPS tx/s           BENCH_PEERS_RATE
  --load N          every round keeps N transactions in flight              BENCH_PEERS_LOAD
  --accounts N      sender accounts                                         BENCH_PEERS_ACCOUNTS
  --peer NAME=URL   one more JSON-RPC endpoint to compare (repeatable)      BENCH_PEERS_EXTRA (space-separated)
  --no-hardhat      do not start the Hardhat node
  --base-port P     BSN nodes on P..P+32, Hardhat on P+50                   BENCH_PEERS_BASE_PORT  (43200)
  --out DIR         where results go (bench/results/peers-<timestamp>)
  --keep            keep the temp directory (node logs, configs)`;

interface Settings {
  workloads: string[];
  rounds?: number;
  duration?: number;
  warmup?: number;
  rate?: number;
  load?: number;
  accounts?: number;
  extraPeers: string[];
  hardhat: boolean;
  basePort: number;
  out: string;
  keep: boolean;
}

function positive(name: string, v: string | undefined, zeroOk = false): number | undefined {
  if (v === undefined || v === '') return undefined;
  const n = Number(v);
  if (!Number.isFinite(n) || n < 0 || (n === 0 && !zeroOk)) throw new Error(`${name} must be a ${zeroOk ? 'non-negative' : 'positive'} number, not '${v}'`);
  return n;
}

function settingsFrom(argv: string[], env: NodeJS.ProcessEnv): Settings {
  const { values } = parseArgs({
    args: argv,
    options: {
      workloads: { type: 'string' }, rounds: { type: 'string' }, duration: { type: 'string' }, warmup: { type: 'string' },
      rate: { type: 'string' }, load: { type: 'string' }, accounts: { type: 'string' }, peer: { type: 'string', multiple: true },
      'no-hardhat': { type: 'boolean' }, 'base-port': { type: 'string' }, out: { type: 'string' }, keep: { type: 'boolean' }, help: { type: 'boolean' },
    },
  });
  if (values.help) {
    console.log(USAGE);
    process.exit(0);
  }
  const pick = (flag: string | undefined, name: string) => flag ?? env[`BENCH_PEERS_${name}`];
  const s: Settings = {
    workloads: (pick(values.workloads, 'WORKLOADS') ?? 'transfer,erc20').split(',').map((w) => w.trim()).filter(Boolean),
    rounds: positive('--rounds', pick(values.rounds, 'ROUNDS')),
    duration: positive('--duration', pick(values.duration, 'DURATION')),
    warmup: positive('--warmup', pick(values.warmup, 'WARMUP'), true),
    rate: positive('--rate', pick(values.rate, 'RATE')),
    load: positive('--load', pick(values.load, 'LOAD')),
    accounts: positive('--accounts', pick(values.accounts, 'ACCOUNTS')),
    extraPeers: values.peer ?? (env.BENCH_PEERS_EXTRA ?? '').split(/\s+/).filter(Boolean),
    hardhat: !values['no-hardhat'],
    basePort: positive('--base-port', pick(values['base-port'], 'BASE_PORT')) ?? 43200,
    out: values.out ?? path.join(ROOT, 'bench', 'results', `peers-${new Date().toISOString().replace(/[:.]/g, '-')}`),
    keep: Boolean(values.keep),
  };
  if (s.rate !== undefined && s.load !== undefined) throw new Error('give at most one of --rate and --load');
  if (s.rounds !== undefined && !Number.isInteger(s.rounds)) throw new Error('--rounds must be a whole number');
  return s;
}

/** The bench file with the command line's settings applied to every round (checked again by its schema). */
function applySettings(spec: BenchSpec, s: Settings, file: string): BenchSpec {
  const rounds = spec.rounds.slice(0, s.rounds ?? spec.rounds.length).map((r) => {
    const next: Record<string, unknown> = { ...r };
    if (s.duration !== undefined) {
      next.duration = s.duration;
      delete next.txCount;
    }
    if (s.warmup !== undefined) {
      next.warmup = s.warmup;
      delete next.warmupTx;
    }
    if (s.rate !== undefined) next.rate = { type: 'fixed-rate', tps: s.rate };
    if (s.load !== undefined) next.rate = { type: 'fixed-load', inFlight: Math.round(s.load) };
    return next;
  });
  return parseBenchSpec({ ...spec, rounds, ...(s.accounts !== undefined ? { accounts: Math.round(s.accounts) } : {}) }, `${file} with the bench:peers settings`);
}

/** The engine samples the pids; the table names them after the peer's processes (node1…, hardhat). */
function withNames(result: BenchResult, peer: Peer): BenchResult {
  const names = new Map(peer.processes.map((p) => [p.pid, p.name]));
  const rounds = result.rounds.map((r): RoundResult => (r.resources ? { ...r, resources: r.resources.map((u) => ({ ...u, name: names.get(u.pid) ?? u.name })) } : r));
  return { ...result, rounds };
}

interface Row {
  readonly workload: string;
  readonly round: string;
  readonly peer: string;
  readonly r: RoundResult;
  /** CPU % of one core of every process of the peer, summed. */
  readonly cpu: number | undefined;
}

async function runOnPeer(spec: BenchSpec, file: string, peer: Peer, outDir: string, workload: string): Promise<Row[]> {
  const target = overrideTarget(spec, peer.url);
  const progress = createProgress(process.stderr);
  const pids = peer.processes.map((p) => p.pid);
  let raw: BenchResult;
  try {
    raw = await runBench(target, { benchFile: file.startsWith(`${ROOT}${path.sep}`) ? path.relative(ROOT, file) : file, progress, pids: pids.length ? pids : 'none', log: (l) => console.error(`  ${peer.name}: ${l}`) });
  } finally {
    progress.end();
  }
  const result = withNames(raw, peer);
  const base = path.join(outDir, `${workload}-${peer.name}`);
  writeFileSync(`${base}.json`, `${JSON.stringify(result, null, 2)}\n`);
  writeFileSync(`${base}.html`, renderHtmlReport(result));
  console.log(summaryLine(result));
  return result.rounds.map((r) => ({
    workload, round: r.label, peer: peer.name, r,
    cpu: r.resources?.length ? r.resources.reduce((s, u) => s + u.cpuPercentAvg, 0) : undefined,
  }));
}

function ratio(a: number, b: number): string {
  return b > 0 && a > 0 ? `${(a / b).toFixed(2)}×` : '-';
}

function comparison(rows: readonly Row[], peers: readonly string[]): { figures: string; ratios: string } {
  const lat = (r: RoundResult, ms: number) => (r.succeeded > 0 ? formatMs(ms) : '-');
  const figures = [
    ['workload', 'round', 'load', 'peer', 'tx/s', 'p50 ms', 'p99 ms', 'failed %', 'CPU % (all processes)'],
    ...rows.map((x) => [x.workload, x.round, describeRateControl(x.r.rateControl), x.peer, formatNumber(x.r.throughput, 1), lat(x.r, x.r.latencyMs.p50), lat(x.r, x.r.latencyMs.p99), failedPercent(x.r).toFixed(1), x.cpu === undefined ? '-' : formatNumber(x.cpu, 0)]),
  ];
  const ratioRows: string[][] = [['workload', 'round', 'peer', 'tx/s BSN ÷ peer', 'p99 peer ÷ BSN']];
  for (const b of rows.filter((x) => x.peer === 'bsn')) {
    for (const p of peers.filter((n) => n !== 'bsn')) {
      const o = rows.find((x) => x.peer === p && x.workload === b.workload && x.round === b.round);
      if (o) ratioRows.push([b.workload, b.round, p, ratio(b.r.throughput, o.r.throughput), ratio(o.r.latencyMs.p99, b.r.latencyMs.p99)]);
    }
  }
  const right = (n: number, from: number) => Array.from({ length: n }, (_, i) => i >= from);
  const ratios = ratioRows.length > 1 ? alignRows(ratioRows, right(5, 3)) : '(no other peer to compare with)';
  return { figures: alignRows(figures, right(9, 4)), ratios };
}

async function main(): Promise<void> {
  const s = settingsFrom(process.argv.slice(2), process.env);
  const t0 = Date.now();
  const log = (m: string) => console.error(`[${((Date.now() - t0) / 1000).toFixed(0).padStart(3)} s] ${m}`);
  const specs = s.workloads.map((w) => {
    // A name is a file of bench/workloads; anything that looks like a path is a bench file of yours.
    const isPath = /[/\\]|\.(ya?ml|json)$/.test(w);
    const file = isPath ? path.resolve(w) : path.join(ROOT, 'bench', 'workloads', `${w}.yaml`);
    return { workload: isPath ? path.basename(w).replace(/\.[^.]+$/, '') : w, file, spec: applySettings(loadBenchFile(file), s, file) };
  });
  ensureBuilt(log);
  const tmp = mkdtempSync(path.join(os.tmpdir(), 'bsn-peers-'));
  const peers: Peer[] = [];
  let stopping: Promise<void> | undefined;
  const stopAll = () =>
    (stopping ??= (async () => {
      for (const p of [...peers].reverse()) await p.stop().catch((err: Error) => log(`stopping ${p.name}: ${err.message}`));
      if (s.keep) log(`kept ${tmp}`);
      else rmSync(tmp, { recursive: true, force: true });
    })());
  for (const sig of ['SIGINT', 'SIGTERM'] as const) {
    process.once(sig, () => {
      log(`${sig}: stopping the peers`);
      void stopAll().finally(() => process.exit(130));
    });
  }
  try {
    peers.push(await startBsn(path.join(tmp, 'bsn'), s.basePort, log));
    if (s.hardhat) peers.push(await startHardhat(path.join(tmp, 'hardhat'), s.basePort + 50, log));
    for (const extra of s.extraPeers) peers.push(externalPeer(extra));
    mkdirSync(s.out, { recursive: true });
    const rows: Row[] = [];
    const failures: { workload: string; peer: string; error: string; code?: string }[] = [];
    for (const { workload, file, spec } of specs) {
      for (const peer of peers) {
        log(`${workload} on ${peer.description}`);
        try {
          rows.push(...(await runOnPeer(spec, file, peer, s.out, workload)));
        } catch (err) {
          // One peer failing one workload leaves the other figures worth having; the exit code says so.
          const e = err as Error & { code?: string };
          log(`${workload} on ${peer.name} failed: ${e.message}${e.code ? ` [${e.code}]` : ''}`);
          failures.push({ workload, peer: peer.name, error: e.message, code: e.code });
        }
      }
    }
    const names = peers.map((p) => p.name);
    const { figures, ratios } = comparison(rows, names);
    console.log(`\n${figures}\n\n${ratios}\n`);
    for (const f of failures) console.log(`not measured: ${f.workload} on ${f.peer}: ${f.error}`);
    if (failures.length > 0) process.exitCode = 1;
    const summary = {
      settings: { ...s, out: undefined },
      specs: specs.map((x) => ({ workload: x.workload, file: path.relative(ROOT, x.file), spec: x.spec })),
      machine: { cpus: os.availableParallelism(), cpuModel: os.cpus()[0]?.model ?? '?', node: process.version, loadAverage: os.loadavg() },
      peers: peers.map((p) => ({ name: p.name, description: p.description, url: p.url, processes: p.processes })),
      rows: rows.map((x) => ({ workload: x.workload, round: x.round, peer: x.peer, rate: x.r.rateControl, throughput: x.r.throughput, p50Ms: x.r.latencyMs.p50, p99Ms: x.r.latencyMs.p99, failedPercent: failedPercent(x.r), cpuPercent: x.cpu })),
      failures,
      tables: { figures, ratios },
    };
    writeFileSync(path.join(s.out, 'summary.json'), `${JSON.stringify(summary, null, 2)}\n`);
    log(`results, reports and summary.json in ${path.relative(process.cwd(), s.out) || '.'}`);
  } finally {
    await stopAll();
  }
}

main().catch((err: Error) => {
  console.error(`bench:peers: ${err.message}${'code' in err ? ` [${String(err.code)}]` : ''}`);
  process.exitCode = 1;
});
