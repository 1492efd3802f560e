/** Shared pieces of the fault-test harness: paths, waits, the node binary, port ranges. */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, readlinkSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { createServer } from 'node:net';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { DIST_MAIN, distIsFresh } from '../support/dist.js';
import { getSuite } from '../../src/crypto/index.js';
import { DEV_KV_CHAIN, isNodeProcess, loadLayout, readPids } from '../../src/network/devnet.js';

export const REPO = path.resolve(fileURLToPath(new URL('../..', import.meta.url)));
/** The devnet's kv chain: the fault tests write to it. */
export const CHAIN = DEV_KV_CHAIN;
export const suite = getSuite('ecdsa-p256');

export const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** Polls `check` until it returns a value other than undefined/false; throws `message()` at the deadline. */
export async function waitFor<T>(check: () => Promise<T | undefined | false> | T | undefined | false, options: { timeoutMs: number; intervalMs?: number; message: () => string | Promise<string> }): Promise<T> {
  const until = Date.now() + options.timeoutMs;
  for (;;) {
    const value = await check();
    if (value !== undefined && value !== false) return value;
    if (Date.now() > until) throw new Error(`timed out after ${options.timeoutMs} ms: ${await options.message()}`);
    await sleep(options.intervalMs ?? 100);
  }
}

// ---- the node binary ---------------------------------------------------------------------------

export interface NodeCommand {
  readonly command: string;
  readonly args: string[];
  readonly kind: 'dist' | 'tsx';
}

let commandOnce: Promise<NodeCommand> | undefined;

/**
 * How to run a city node: the built `dist/cli/main.js` when it is newer than every source file
 * (tsx costs ~1 s of start-up per process, and the crash loop starts a node 50 times); otherwise
 * `npm run build` once, under a lock so that test files running in parallel build only once; if
 * the build fails (someone's work in progress), the TypeScript source under tsx.
 */
export function nodeCommand(): Promise<NodeCommand> {
  commandOnce ??= (async () => {
    const dist: NodeCommand = { command: process.execPath, args: [DIST_MAIN], kind: 'dist' };
    if (distIsFresh()) return dist;
    const lock = path.join(REPO, 'node_modules', '.cache', 'bsn-e2e-build.lock');
    mkdirSync(path.dirname(lock), { recursive: true });
    const until = Date.now() + 120_000;
    for (;;) {
      try {
        mkdirSync(lock);
        break;
      } catch {
        // Another test file builds; a lock older than 3 minutes was left by a killed run.
        if (existsSync(lock) && Date.now() - statSync(lock).mtimeMs > 180_000) rmSync(lock, { recursive: true, force: true });
        if (Date.now() > until) throw new Error(`waited 120 s for the build lock ${lock}`);
        await sleep(250);
      }
    }
    try {
      if (distIsFresh()) return dist;
      const build = spawnSync('npm', ['run', 'build'], { cwd: REPO, encoding: 'utf8', timeout: 120_000 });
      if (build.status === 0) return dist;
      process.stderr.write(`e2e: npm run build failed (status ${build.status}); running nodes from source under tsx\n${build.stdout}${build.stderr}\n`);
      return { command: process.execPath, args: ['--import', 'tsx', path.join(REPO, 'src', 'cli', 'main.ts')], kind: 'tsx' };
    } finally {
      rmSync(lock, { recursive: true, force: true });
    }
  })();
  return commandOnce;
}

// ---- ports -------------------------------------------------------------------------------------

function portFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = createServer();
    server.once('error', () => resolve(false));
    server.listen(port, '127.0.0.1', () => server.close(() => resolve(true)));
  });
}

/**
 * A base port of its own for each test file: `slot` (fixed per file) picks a range of 40, so files
 * running in parallel never collide; a range someone else holds moves the whole set up by 1000.
 */
export async function basePortFor(slot: number): Promise<number> {
  for (let shift = 0; shift < 8; shift++) {
    // Below Linux's ephemeral range (32768-60999): an outgoing connection cannot take a port between our check and our listen.
    const base = 22_000 + shift * 1000 + slot * 40;
    const ports = [0, 1, 2, 3].flatMap((i) => [base + i * 10, base + i * 10 + 1, base + i * 10 + 2]);
    if ((await Promise.all(ports.map(portFree))).every(Boolean)) return base;
  }
  throw new Error(`no free port range for e2e slot ${slot} (tried 22000+k*1000+${slot * 40})`);
}


// ---- networks `bsn up` started -----------------------------------------------------------------

/**
 * SIGKILLs the nodes of the network in `net` that `bsn up` started (detached, so no exit hook of
 * ours reaches them): the pids in its pid file that really are its nodes, and, where /proc lists
 * processes, any `node start --config <net>/...` (a pid file can be stale or gone: `bsn down`
 * removes it). Test cleanups run it before the temp dir goes: a failed test must not leave
 * nodes behind.
 */
export function killNetworkNodes(net: string): void {
  const layout = loadLayout(net);
  const pids = new Set<number>();
  if (layout) {
    for (const [name, pid] of Object.entries(readPids(net))) {
      const node = layout.nodes.find((n) => n.name === name);
      if (node && isNodeProcess(pid, path.join(layout.dir, name, path.basename(node.config)))) pids.add(pid);
    }
  }
  const root = `${path.resolve(net)}${path.sep}`;
  let entries: string[] = [];
  try {
    entries = readdirSync('/proc').filter((e) => /^\d+$/.test(e));
  } catch {
    // no /proc: the pid file is all there is
  }
  for (const entry of entries) {
    try {
      const argv = readFileSync(`/proc/${entry}/cmdline`, 'utf8').split('\0');
      const at = argv.indexOf('--config');
      if (at > 1 && argv[at - 1] === 'start' && argv[at - 2] === 'node' && path.resolve(readlinkSync(`/proc/${entry}/cwd`), argv[at + 1] ?? '').startsWith(root)) pids.add(Number(entry));
    } catch {
      // gone meanwhile, or not ours to read
    }
  }
  for (const pid of pids) {
    try {
      process.kill(-pid, 'SIGKILL');
    } catch {
      try {
        process.kill(pid, 'SIGKILL');
      } catch {
        // already gone
      }
    }
  }
}

/** A temp dir whose one cleanup kills the `bsn up` nodes of `<dir>/net` first, then removes it. */
export function upDir(t: { after(fn: () => void | Promise<void>): void }, prefix: string): { dir: string; net: string } {
  const dir = mkdtempSync(path.join(tmpdir(), prefix));
  const net = path.join(dir, 'net');
  t.after(() => {
    killNetworkNodes(net);
    rmSync(dir, { recursive: true, force: true });
  });
  return { dir, net };
}
