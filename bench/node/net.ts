/**
 * Networks for bench/node/kv.ts: the four-node local network of `bsn up` (files made by
 * initDevnet, processes spawned here so that one of them can carry --cpu-prof), and a
 * one-validator network made of the same PKI. Node processes are children of the bench; every
 * one still alive is killed when the bench exits, however it exits.
 */
import { spawn, execFileSync, type ChildProcess } from 'node:child_process';
import { mkdirSync, openSync, closeSync, readFileSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import path from 'node:path';
import { initDevnet, OPS_TOKEN_FILE, readOpsToken, waitReady, type DevnetLayout } from '../../src/network/devnet.js';
import { CHAIN } from './settings.js';

export interface RunningNode {
  readonly name: string;
  readonly httpPort: number;
  readonly child: ChildProcess;
  readonly pid: number;
  /** process.hrtime in µs when it was spawned (CLOCK_MONOTONIC, the clock of V8's profiler). */
  readonly spawnedAtUs: number;
  readonly log: string;
}

const live = new Set<ChildProcess>();
let refuseSpawns = false;

/** After this, no node process is started any more (the bench is being interrupted). */
export function refuseNewNodes(): void {
  refuseSpawns = true;
}
process.on('exit', () => {
  for (const child of live) if (child.exitCode === null && child.signalCode === null) killGroup(child, 'SIGKILL');
});

/** Signals the child's process group (spawned detached, it leads one): nothing it started outlives it. */
function killGroup(child: ChildProcess, signal: NodeJS.Signals): void {
  try {
    if (child.pid !== undefined) process.kill(-child.pid, signal);
  } catch {
    child.kill(signal);
  }
}

export const monotonicUs = (): number => Number(process.hrtime.bigint() / 1000n);

/** Starts `node [nodeArgs] main node start --config FILE`, output appended to `log`. */
function spawnNode(name: string, httpPort: number, main: string, config: string, log: string, nodeArgs: string[]): RunningNode {
  if (refuseSpawns) throw new Error('interrupted: no new node is started');
  const fd = openSync(log, 'a');
  const child = spawn(process.execPath, [...nodeArgs, main, 'node', 'start', '--config', config], { stdio: ['ignore', fd, fd], detached: true });
  closeSync(fd);
  live.add(child);
  child.once('exit', () => live.delete(child));
  if (child.pid === undefined) throw new Error(`could not start ${name}`);
  return { name, httpPort, child, pid: child.pid, spawnedAtUs: monotonicUs(), log };
}

export class Network {
  private constructor(
    readonly label: string,
    readonly nodes: RunningNode[],
    /** The operations token of the nodes (`/chains/*` needs it). */
    readonly token: string | undefined,
  ) {}

  /** The network of `bsn up`: initDevnet's files in `dir`, four processes; `profile` adds --cpu-prof to node1. */
  static async fourNodes(dir: string, basePort: number, main: string, profileDir?: string): Promise<{ net: Network; layout: DevnetLayout }> {
    const layout = await initDevnet(dir, basePort, () => undefined);
    const nodes = layout.nodes.map((n, i) =>
      spawnNode(n.name, n.httpPort, main, n.config, n.log, i === 0 && profileDir ? ['--cpu-prof', `--cpu-prof-dir=${profileDir}`] : []),
    );
    const net = new Network('4 validators', nodes, readOpsToken(layout.dir));
    await net.ready(layout);
    return { net, layout };
  }

  /**
   * A one-validator network: node1's certificate and key from the four-node layout, a genesis
   * naming node1 alone, no peers, the same consensus settings; its own data directory and ports.
   */
  static async oneValidator(four: DevnetLayout, dir: string, basePort: number, main: string): Promise<Network> {
    mkdirSync(dir, { recursive: true });
    const node1 = four.nodes[0]!;
    const node1Dir = path.dirname(node1.config);
    const genesis = JSON.parse(readFileSync(path.join(four.dir, 'kv.genesis.json'), 'utf8')) as { validators: { name: string }[] };
    const single = { ...genesis, time: Date.now(), validators: genesis.validators.filter((v) => v.name === node1.name) };
    writeFileSync(path.join(dir, 'kv.genesis.json'), `${JSON.stringify(single, null, 2)}\n`);
    const cfg = JSON.parse(readFileSync(node1.config, 'utf8')) as {
      network: { rootCert: string; crls: string[] };
      tls: { cert: string; chain: string[]; key: string };
      [k: string]: unknown;
    };
    const at = (p: string) => path.resolve(node1Dir, p);
    const httpPort = basePort + 1;
    const config = {
      ...cfg,
      dataDir: path.join(dir, 'data'),
      network: { rootCert: at(cfg.network.rootCert), crls: cfg.network.crls.map(at) },
      tls: { cert: at(cfg.tls.cert), chain: cfg.tls.chain.map(at), key: at(cfg.tls.key) },
      p2p: { listen: `127.0.0.1:${basePort}`, peers: [] },
      http: { listen: `127.0.0.1:${httpPort}`, tokenFile: path.join(four.dir, OPS_TOKEN_FILE) },
      chains: [{ genesis: path.join(dir, 'kv.genesis.json') }],
    };
    const configFile = path.join(dir, 'node.json');
    writeFileSync(configFile, `${JSON.stringify(config, null, 2)}\n`);
    const node = spawnNode('solo', httpPort, main, configFile, path.join(dir, 'node.log'), []);
    const net = new Network('1 validator', [node], readOpsToken(four.dir));
    // The layout names it node1, as its config does: waitReady checks that /status answers as that node.
    await net.ready({ version: 1, dir, chainId: CHAIN, rootFingerprint: four.rootFingerprint, nodes: [{ ...node1, httpPort, p2pPort: basePort, config: configFile }] });
    return net;
  }

  /** Waits until every node sees its peers; on failure, stops them before rethrowing. */
  private async ready(layout: DevnetLayout): Promise<void> {
    try {
      await this.waitUp(layout);
    } catch (err) {
      await this.stop(3000);
      throw err;
    }
  }

  private async waitUp(layout: DevnetLayout): Promise<void> {
    const died = new Promise<never>((_, reject) => {
      for (const n of this.nodes) n.child.once('exit', (code, signal) => reject(new Error(`${n.name} exited (${signal ?? code}) during start-up; see ${n.log}`)));
    });
    died.catch(() => undefined);
    await Promise.race([waitReady(layout, 30_000), died]);
  }

  alive(): string[] {
    return this.nodes.filter((n) => n.child.exitCode === null && n.child.signalCode === null).map((n) => n.name);
  }

  /** SIGTERM (graceful: --cpu-prof writes its profile), SIGKILL after `ms`. */
  async stop(ms = 15_000): Promise<void> {
    await Promise.all(
      this.nodes.map(async (n) => {
        if (n.child.exitCode !== null || n.child.signalCode !== null) return;
        const exited = new Promise<void>((resolve) => n.child.once('exit', () => resolve()));
        killGroup(n.child, 'SIGTERM');
        const timer = setTimeout(() => killGroup(n.child, 'SIGKILL'), ms);
        await exited;
        clearTimeout(timer);
      }),
    );
  }
}

let clockTicks: number | undefined;
function ticksPerSecond(): number {
  if (clockTicks === undefined) {
    try {
      clockTicks = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;
    } catch {
      clockTicks = 100;
    }
  }
  return clockTicks;
}

/** user + system CPU seconds of a process, all its threads (/proc/PID/stat fields 14 and 15). */
export function processCpuSeconds(pid: number): number | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(fields[11]) + Number(fields[12])) / ticksPerSecond();
  } catch {
    return undefined;
  }
}

/** Busy and total CPU seconds of the whole machine, all cores (/proc/stat). */
export function machineCpuSeconds(): { busy: number; total: number } {
  const line = readFileSync('/proc/stat', 'utf8').split('\n')[0]!;
  const v = line.trim().split(/\s+/).slice(1).map(Number);
  const total = v.reduce((a, b) => a + b, 0);
  const idle = (v[3] ?? 0) + (v[4] ?? 0);
  return { busy: (total - idle) / ticksPerSecond(), total: total / ticksPerSecond() };
}

/** bsn_chain_height and bsn_committed_txs_total of chain `kv` on one node. */
export async function chainCounters(httpPort: number): Promise<{ height: number; committed: number } | undefined> {
  try {
    const text = await (await fetch(`http://127.0.0.1:${httpPort}/metrics`, { signal: AbortSignal.timeout(3000) })).text();
    const read = (name: string) => {
      const m = new RegExp(`^${name}\\{[^}]*chain="${CHAIN}"[^}]*\\} (\\S+)$`, 'm').exec(text);
      // A labelled counter has no line for the chain until its first increment.
      return m ? Number(m[1]) : 0;
    };
    return { height: read('bsn_chain_height'), committed: read('bsn_committed_txs_total') };
  } catch {
    return undefined;
  }
}

/** A base port such that base .. base+span-1 are all free on 127.0.0.1 right now. */
export async function freeBasePort(span: number): Promise<number> {
  const free = (port: number) =>
    new Promise<boolean>((resolve) => {
      const s = createServer();
      s.once('error', () => resolve(false));
      s.listen(port, '127.0.0.1', () => s.close(() => resolve(true)));
    });
  for (let attempt = 0; attempt < 50; attempt++) {
    const base = 30_000 + Math.floor(Math.random() * 2_000) * 10;
    let ok = true;
    for (let p = base; p < base + span && ok; p++) ok = await free(p);
    if (ok) return base;
  }
  throw new Error('no free port range found on 127.0.0.1');
}

export interface CommitLine {
  /** Epoch ms. */
  readonly time: number;
  readonly height: number;
  readonly txs: number;
  /** The node's own measure: start of the height to its commit. */
  readonly latencyMs: number;
}

/** The 'committed' lines of a node's JSON log (one per height). */
export function commitsFromLog(file: string): CommitLine[] {
  const out: CommitLine[] = [];
  for (const line of readFileSync(file, 'utf8').split('\n')) {
    if (!line.includes('"committed"')) continue;
    try {
      const r = JSON.parse(line) as { msg?: string; time: number; height: number; txs: number; latencyMs: number };
      if (r.msg === 'committed') out.push({ time: r.time, height: r.height, txs: r.txs, latencyMs: r.latencyMs });
    } catch {
      // a torn last line
    }
  }
  return out;
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

/** Builds dist/ when it is older than any source file under `root`/src; true when it built. */
export function ensureBuilt(root: string, log: (msg: string) => void): boolean {
  let built = 0;
  try {
    built = statSync(path.join(root, 'dist/cli/main.js')).mtimeMs;
  } catch {
    // not built yet
  }
  if (built > newestMtime(path.join(root, 'src'))) return false;
  log('dist/ is older than src/: npm run build');
  execFileSync('npm', ['run', 'build'], { cwd: root, stdio: ['ignore', 'ignore', 'inherit'] });
  return true;
}
