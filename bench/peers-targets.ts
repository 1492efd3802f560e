/*
 * The peers of `npm run bench:peers`: the four-node BSN network of `bsn up` and a Hardhat node,
 * both on loopback, started as processes of this machine so that their CPU and memory can be
 * sampled. Every process started here is stopped by `stop()`, and on exit however it comes.
 */
import { spawn, execFileSync, type ChildProcess } from 'node:child_process';
import { closeSync, mkdirSync, openSync, readdirSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import path from 'node:path';
import { initDevnet, startDevnet, stopDevnet, waitReady } from '../src/network/devnet.js';
import { findListeningPids } from '../src/bench/resources.js';

export const ROOT = path.resolve(import.meta.dirname, '..');
const MAIN = path.join(ROOT, 'dist', 'cli', 'main.js');

export interface Peer {
  /** Short name used in tables and file names: bsn, hardhat, ganache, … */
  readonly name: string;
  readonly description: string;
  /** The Ethereum JSON-RPC endpoint the bench sends to. */
  readonly url: string;
  /** Processes of this peer on this machine, with names for the resources table. */
  readonly processes: readonly { pid: number; name: string }[];
  stop(): Promise<void>;
}

const started = new Set<ChildProcess>();
/** Signals the child's process group (spawned detached, it leads one): nothing it started outlives it. */
function killGroup(child: ChildProcess, signal: NodeJS.Signals): void {
  try {
    if (child.pid !== undefined) process.kill(-child.pid, signal);
  } catch {
    child.kill(signal);
  }
}
process.on('exit', () => {
  for (const c of started) if (c.exitCode === null && c.signalCode === null) killGroup(c, 'SIGKILL');
});

function tryListen(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = createServer();
    s.once('error', () => resolve(false));
    s.listen(port, '127.0.0.1', () => s.close(() => resolve(true)));
  });
}

/**
 * Fails early, naming the port, when something listens there (an earlier run left behind). A
 * port held only for a moment (sockets of a network that just stopped) gets a few seconds.
 */
export async function assertPortFree(port: number, graceMs = 5_000): Promise<void> {
  const until = Date.now() + graceMs;
  while (!(await tryListen(port))) {
    const pids = findListeningPids(port);
    if (pids.length > 0 || Date.now() >= until) {
      throw new Error(`127.0.0.1:${port} is in use (${pids.length ? `pid ${pids.join(', ')}` : 'not by a listening socket we can see'}); choose another --base-port`);
    }
    await new Promise((r) => setTimeout(r, 250));
  }
}

function newestTs(dir: string): number {
  let newest = 0;
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = path.join(dir, e.name);
    if (e.isDirectory()) newest = Math.max(newest, newestTs(p));
    else if (e.name.endsWith('.ts') && !e.name.endsWith('.test.ts')) newest = Math.max(newest, statSync(p).mtimeMs);
  }
  return newest;
}

function statSafe(p: string): boolean {
  try {
    return statSync(p).isFile();
  } catch {
    return false;
  }
}

/** The node processes run dist/ (what users run, not tsx): rebuild it when src/ is newer. */
export function ensureBuilt(log: (s: string) => void): void {
  let built = 0;
  try {
    built = statSync(MAIN).mtimeMs;
  } catch {
    /* not built yet */
  }
  if (built > newestTs(path.join(ROOT, 'src'))) return;
  log('dist/ is older than src/: npm run build');
  try {
    execFileSync('npm', ['run', 'build'], { cwd: ROOT, stdio: ['ignore', 'ignore', 'inherit'] });
  } catch (err) {
    // tsc still writes dist/ when it reports type errors (work in progress elsewhere in src/).
    if (!built && !statSafe(MAIN)) throw err;
    log('npm run build reported errors (above); running the dist/ it wrote');
  }
}

/** `bsn up`'s network (initDevnet's files, the same four processes), gateways on loopback. */
export async function startBsn(dir: string, basePort: number, log: (s: string) => void): Promise<Peer> {
  const layout = await initDevnet(dir, basePort, () => undefined);
  if (!layout.evmChainId) throw new Error('the local network has no EVM chain');
  for (const n of layout.nodes) for (const p of [n.p2pPort, n.httpPort, n.gatewayPort]) if (p) await assertPortFree(p);
  log(`starting four BSN city nodes (ports ${basePort}–${basePort + 32}) in ${dir}`);
  const pids = startDevnet(layout, { node: process.execPath, args: [MAIN] });
  const stop = async () => {
    await stopDevnet(dir);
  };
  try {
    await waitReady(layout, 60_000);
  } catch (err) {
    await stop();
    throw err;
  }
  const node1 = layout.nodes[0]!;
  return {
    name: 'bsn',
    description: `BSN, four validators (bsn up), JSON-RPC of node1's gateway, chain '${layout.evmChainId}'`,
    url: `http://127.0.0.1:${node1.gatewayPort}/apps/${layout.evmChainId}/rpc`,
    processes: layout.nodes.map((n) => ({ pid: pids[n.name]!, name: `bsn ${n.name}` })),
    stop,
  };
}

async function waitForRpc(url: string, child: ChildProcess, timeoutMs: number): Promise<void> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`the Hardhat node exited with code ${child.exitCode}; see its log`);
    try {
      const res = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"jsonrpc":"2.0","id":1,"method":"eth_chainId","params":[]}', signal: AbortSignal.timeout(1_000) });
      if (res.ok) return;
    } catch {
      /* not listening yet */
    }
    if (Date.now() > until) throw new Error(`the Hardhat node did not answer at ${url} within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

/**
 * `hardhat node` from a project of its own in `dir` (a minimal config; node_modules linked to
 * ours, since Hardhat refuses an installation outside the project). Its twenty default accounts
 * come from the same development mnemonic that `bsn up` funds, so one bench file fits both.
 */
export async function startHardhat(dir: string, port: number, log: (s: string) => void): Promise<Peer> {
  await assertPortFree(port);
  mkdirSync(dir, { recursive: true });
  writeFileSync(path.join(dir, 'hardhat.config.cjs'), 'module.exports = { networks: { hardhat: { chainId: 31337 } } };\n');
  symlinkSync(path.join(ROOT, 'node_modules'), path.join(dir, 'node_modules'), 'dir');
  const logFile = path.join(dir, 'hardhat.log');
  const fd = openSync(logFile, 'a');
  const bin = path.join(dir, 'node_modules', 'hardhat', 'internal', 'cli', 'bootstrap.js');
  const child = spawn(process.execPath, [bin, 'node', '--hostname', '127.0.0.1', '--port', String(port)], { cwd: dir, stdio: ['ignore', fd, fd], detached: true });
  closeSync(fd);
  started.add(child);
  const stop = async () => {
    if (child.exitCode === null && child.signalCode === null) {
      killGroup(child, 'SIGTERM');
      const killer = setTimeout(() => killGroup(child, 'SIGKILL'), 5_000);
      await new Promise((r) => child.once('exit', r));
      clearTimeout(killer);
    }
    started.delete(child);
  };
  const url = `http://127.0.0.1:${port}`;
  log(`starting a Hardhat node at ${url} (log ${logFile})`);
  try {
    await waitForRpc(url, child, 60_000);
  } catch (err) {
    await stop();
    throw err;
  }
  // The process that listens, in case the launcher ever forks.
  const pids = findListeningPids(port);
  return {
    name: 'hardhat',
    description: 'Hardhat node (automine, chain id 31337)',
    url,
    processes: (pids.length ? pids : [child.pid!]).map((pid) => ({ pid, name: 'hardhat node' })),
    stop,
  };
}

/** Any JSON-RPC endpoint given with `--peer name=url`; its processes are found by port when local. */
export function externalPeer(spec: string): Peer {
  const eq = spec.indexOf('=');
  if (eq < 1) throw new Error(`--peer ${spec}: expected name=url, e.g. ganache=http://127.0.0.1:8545`);
  const name = spec.slice(0, eq);
  const url = spec.slice(eq + 1);
  if (!/^[a-z0-9][a-z0-9_-]*$/i.test(name) || name === 'bsn') throw new Error(`--peer ${spec}: the name must be letters, digits, - or _ (and not 'bsn')`);
  const u = new URL(url);
  const local = ['127.0.0.1', 'localhost', '[::1]'].includes(u.hostname);
  const port = Number(u.port || (u.protocol === 'https:' ? 443 : 80));
  const pids = local ? findListeningPids(port) : [];
  return { name, description: `${name} at ${url} (started by you)`, url, processes: pids.map((pid) => ({ pid, name })), stop: async () => {} };
}
