/**
 * The fault-test harness (CometBFT e2e in spirit): a real four-node local network in a temp
 * directory, each city node its own OS process that a test starts, SIGKILLs and restarts; a load
 * generator that records which transactions the network acknowledged as committed; and the
 * invariant checks (identical blocks on every node, every acknowledged tx in the chain).
 *
 * Every wait here has a deadline and fails with what it was waiting for; `Devnet.cleanup` (run
 * it in `after`) kills every child even when a test failed, and a process exit hook kills what
 * is left, so no node outlives its test file.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { createHash } from 'node:crypto';
import { EventEmitter } from 'node:events';
import { closeSync, existsSync, mkdirSync, mkdtempSync, openSync, readdirSync, readFileSync, rmSync, statSync, writeSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { decodeBlock } from '../../src/chain/index.js';
import { getSuite, type PrivateKey } from '../../src/crypto/index.js';
import { buildKvTx } from '../../src/execution/index.js';
import { initDevnet, type DevnetLayout, type DevnetNode } from '../../src/network/devnet.js';
import { Prng } from '../sim/prng.js';

export const REPO = path.resolve(fileURLToPath(new URL('../..', import.meta.url)));
export const CHAIN = 'demo';
const suite = getSuite('ecdsa-p256');

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

function newestMtime(dir: string, skip: (file: string) => boolean): number {
  let newest = 0;
  for (const entry of readdirSync(dir, { recursive: true })) {
    const file = path.join(dir, String(entry));
    if (skip(file)) continue;
    const stat = statSync(file);
    if (stat.isFile()) newest = Math.max(newest, stat.mtimeMs);
  }
  return newest;
}

const DIST_MAIN = path.join(REPO, 'dist', 'cli', 'main.js');

function distIsFresh(): boolean {
  if (!existsSync(DIST_MAIN)) return false;
  return statSync(DIST_MAIN).mtimeMs > newestMtime(path.join(REPO, 'src'), (f) => f.endsWith('.test.ts'));
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
    const base = 42_000 + shift * 1000 + slot * 40;
    const ports = [0, 1, 2, 3].flatMap((i) => [base + i * 10, base + i * 10 + 1]);
    if ((await Promise.all(ports.map(portFree))).every(Boolean)) return base;
  }
  throw new Error(`no free port range for e2e slot ${slot} (tried 42000+k*1000+${slot * 40})`);
}

// ---- processes ---------------------------------------------------------------------------------

const children = new Set<ChildProcess>();
let exitHookInstalled = false;

/** Last line of defence: whatever a test left running dies with the test process. */
function installExitHook(): void {
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  process.on('exit', () => {
    for (const child of children) child.kill('SIGKILL');
  });
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    process.once(signal, () => {
      for (const child of children) child.kill('SIGKILL');
      process.exit(130);
    });
  }
}

export interface ChainStatus {
  readonly chainId: string;
  readonly height: number;
  readonly round: number;
  readonly mempool: number;
  readonly caughtUp: boolean;
}
export interface NodeStatus {
  readonly name: string;
  readonly peers: string[];
  readonly chains: ChainStatus[];
}

export interface LogLine {
  readonly msg?: string;
  readonly level?: number;
  readonly [field: string]: unknown;
}

/** One city node process of the test network. */
export class NodeProcess extends EventEmitter<{ line: [LogLine]; exit: [code: number | null, signal: NodeJS.Signals | null] }> {
  private child: ChildProcess | undefined;
  private exited: Promise<void> = Promise.resolve();
  /** How many times this node was started. */
  starts = 0;
  kills = 0;
  /** Set by exit: a node that died on its own (not by our signal) is a finding. */
  readonly unexpectedExits: string[] = [];
  private expectingExit = false;

  constructor(
    readonly index: number,
    readonly info: DevnetNode,
    private readonly command: NodeCommand,
  ) {
    super();
  }

  get name(): string {
    return this.info.name;
  }
  get url(): string {
    return `http://127.0.0.1:${this.info.httpPort}`;
  }
  get alive(): boolean {
    return this.child !== undefined;
  }
  get pid(): number | undefined {
    return this.child?.pid;
  }

  /** Spawns the node exactly as `bsn up` does (node start --config), logging to its node.log. */
  start(): void {
    if (this.child) throw new Error(`${this.name} is already running`);
    installExitHook();
    const log = openSync(this.info.log, 'a');
    const child = spawn(this.command.command, [...this.command.args, 'node', 'start', '--config', this.info.config], { cwd: REPO, stdio: ['ignore', 'pipe', 'pipe'] });
    children.add(child);
    this.child = child;
    this.starts++;
    this.expectingExit = false;
    let pending = '';
    const onChunk = (chunk: Buffer) => {
      writeSync(log, chunk);
      if (this.listenerCount('line') === 0) return;
      pending += chunk.toString('utf8');
      let nl: number;
      while ((nl = pending.indexOf('\n')) >= 0) {
        const text = pending.slice(0, nl);
        pending = pending.slice(nl + 1);
        if (!text.startsWith('{')) continue;
        try {
          this.emit('line', JSON.parse(text) as LogLine);
        } catch {
          // a torn line: the process was killed mid-write
        }
      }
    };
    child.stdout!.on('data', onChunk);
    child.stderr!.on('data', onChunk);
    this.exited = new Promise((resolve) => {
      child.once('exit', (code, signal) => {
        children.delete(child);
        if (this.child === child) this.child = undefined;
        if (!this.expectingExit) this.unexpectedExits.push(`${this.name} exited by itself: code ${code} signal ${signal}`);
        // The pipes may still hold the last lines; close the log when they end.
        let open = 2;
        const done = () => {
          if (--open === 0) {
            closeSync(log);
            this.emit('exit', code, signal);
            resolve();
          }
        };
        if (child.stdout!.readableEnded) done();
        else child.stdout!.once('close', done);
        if (child.stderr!.readableEnded) done();
        else child.stderr!.once('close', done);
      });
    });
  }

  /** Sends `signal` and waits (bounded) for the process to be gone. */
  async kill(signal: NodeJS.Signals = 'SIGKILL', timeoutMs = 10_000): Promise<void> {
    const child = this.child;
    if (!child) return;
    this.expectingExit = true;
    if (signal === 'SIGKILL') this.kills++;
    child.kill(signal);
    const timer = new Promise<'timeout'>((resolve) => setTimeout(() => resolve('timeout'), timeoutMs).unref());
    if ((await Promise.race([this.exited, timer])) === 'timeout') {
      child.kill('SIGKILL');
      await Promise.race([this.exited, sleep(5000)]);
      throw new Error(`${this.name} (pid ${child.pid}) did not exit within ${timeoutMs} ms of ${signal}`);
    }
  }

  async restart(): Promise<void> {
    await this.kill('SIGKILL');
    this.start();
  }

  async status(timeoutMs = 2000): Promise<NodeStatus | undefined> {
    try {
      const res = await fetch(`${this.url}/status`, { signal: AbortSignal.timeout(timeoutMs) });
      return res.ok ? ((await res.json()) as NodeStatus) : undefined;
    } catch {
      return undefined;
    }
  }

  /** The demo chain's committed height, or undefined when the node does not answer. */
  async height(): Promise<number | undefined> {
    return (await this.status())?.chains.find((c) => c.chainId === CHAIN)?.height;
  }

  async metrics(): Promise<string> {
    const res = await fetch(`${this.url}/metrics`, { signal: AbortSignal.timeout(3000) });
    return res.text();
  }

  /** The block at `height` as base64 (undefined when the node has none), straight from its store. */
  async block(height: number): Promise<string | undefined> {
    const res = await fetch(`${this.url}/chains/${CHAIN}/blocks/${height}`, { signal: AbortSignal.timeout(5000) });
    if (res.status === 404) return undefined;
    if (!res.ok) throw new Error(`${this.name}: GET block ${height} answered ${res.status}`);
    return ((await res.json()) as { block: string }).block;
  }

  async query(key: Uint8Array): Promise<string | null> {
    const res = await fetch(`${this.url}/chains/${CHAIN}/query/get?data=${Buffer.from(key).toString('hex')}`, { signal: AbortSignal.timeout(5000) });
    if (!res.ok) throw new Error(`${this.name}: query answered ${res.status}`);
    return ((await res.json()) as { value: string | null }).value;
  }

  /** The node's log so far, parsed (torn or non-JSON lines skipped). */
  logLines(): LogLine[] {
    if (!existsSync(this.info.log)) return [];
    const out: LogLine[] = [];
    for (const text of readFileSync(this.info.log, 'utf8').split('\n')) {
      if (!text.startsWith('{')) continue;
      try {
        out.push(JSON.parse(text) as LogLine);
      } catch {
        // torn by a kill
      }
    }
    return out;
  }

  /** Resolves with the first log line `match` accepts from now on; rejects at the deadline. */
  nextLine(match: (line: LogLine) => boolean, timeoutMs: number, what: string): Promise<LogLine> {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.off('line', onLine);
        reject(new Error(`${this.name}: no log line '${what}' within ${timeoutMs} ms`));
      }, timeoutMs);
      const onLine = (line: LogLine) => {
        if (!match(line)) return;
        clearTimeout(timer);
        this.off('line', onLine);
        resolve(line);
      };
      this.on('line', onLine);
    });
  }
}

// ---- the network -------------------------------------------------------------------------------

export interface DevnetOptions {
  /** Fixed per test file: selects the port range (see basePortFor). */
  readonly slot: number;
  readonly label: string;
  /** Runs after the network's files exist and before any node starts (extra certificates, CRLs). */
  readonly beforeStart?: (layout: DevnetLayout) => Promise<void>;
  /** Start the four nodes and wait until each sees its three peers (default true). */
  readonly start?: boolean;
}

export class Devnet {
  /** Keep the directory for diagnosis (set on failure, or BSN_E2E_KEEP=1). */
  keep = process.env.BSN_E2E_KEEP === '1';
  private constructor(
    readonly dir: string,
    readonly layout: DevnetLayout,
    readonly nodes: NodeProcess[],
    readonly command: NodeCommand,
  ) {}

  static async create(options: DevnetOptions): Promise<Devnet> {
    const command = await nodeCommand();
    const dir = mkdtempSync(path.join(tmpdir(), `bsn-e2e-${options.label}-`));
    let layout: DevnetLayout;
    try {
      layout = await initDevnet(path.join(dir, 'net'), await basePortFor(options.slot), () => undefined);
      await options.beforeStart?.(layout);
    } catch (err) {
      rmSync(dir, { recursive: true, force: true });
      throw err;
    }
    const net = new Devnet(dir, layout, layout.nodes.map((n, i) => new NodeProcess(i, n, command)), command);
    if (options.start ?? true) {
      try {
        for (const node of net.nodes) node.start();
        await net.waitConnected(net.nodes, 30_000);
      } catch (err) {
        // The caller gets no Devnet to clean up: do it here, keeping the logs.
        net.keep = true;
        await net.cleanup();
        throw err;
      }
    }
    return net;
  }

  get pki(): string {
    return path.join(this.layout.dir, 'pki');
  }
  get passphrase(): string {
    return readFileSync(path.join(this.pki, 'passphrase.txt'), 'utf8').trim();
  }
  /** The four nodes, for destructuring. */
  get four(): [NodeProcess, NodeProcess, NodeProcess, NodeProcess] {
    const [a, b, c, d] = this.nodes;
    return [a!, b!, c!, d!];
  }
  get live(): NodeProcess[] {
    return this.nodes.filter((n) => n.alive);
  }

  /** Runs `body`; on failure keeps the directory and adds its path and the heights to the error. */
  async guard<T>(body: () => Promise<T>): Promise<T> {
    try {
      return await body();
    } catch (err) {
      this.keep = true;
      const heights = await this.heights().catch(() => []);
      const e = err as Error;
      e.message = `${e.message}\n  heights now: ${JSON.stringify(heights)}\n  node logs kept in ${this.layout.dir}/node*/node.log`;
      throw e;
    }
  }

  /** Waits until each of `nodes` answers /status and is connected to every other of them. */
  async waitConnected(nodes: NodeProcess[], timeoutMs: number): Promise<void> {
    const names = nodes.map((n) => n.name);
    let last: (NodeStatus | undefined)[] = [];
    await waitFor(
      async () => {
        last = await Promise.all(nodes.map((n) => n.status()));
        return last.every((s, i) => s && names.every((name, j) => i === j || s.peers.includes(name)));
      },
      { timeoutMs, intervalMs: 200, message: () => `nodes ${names.join(',')} to connect to each other; peers: ${JSON.stringify(last.map((s, i) => [names[i], s?.peers ?? 'down']))}` },
    );
  }

  /** Heights of every node (undefined for one that does not answer). */
  heights(): Promise<(number | undefined)[]> {
    return Promise.all(this.nodes.map((n) => (n.alive ? n.height() : Promise.resolve(undefined))));
  }

  async maxHeight(nodes: NodeProcess[] = this.live): Promise<number> {
    const hs = await Promise.all(nodes.map((n) => n.height()));
    return Math.max(0, ...hs.map((h) => h ?? 0));
  }

  /** Waits until every one of `nodes` has committed `height`. */
  async waitHeight(nodes: NodeProcess[], height: number, timeoutMs: number, what: string): Promise<void> {
    let hs: (number | undefined)[] = [];
    await waitFor(
      async () => {
        hs = await Promise.all(nodes.map((n) => n.height()));
        return hs.every((h) => h !== undefined && h >= height);
      },
      { timeoutMs, intervalMs: 100, message: () => `${what}: ${nodes.map((n, i) => `${n.name}=${hs[i] ?? 'down'}`).join(' ')} (want ≥ ${height})` },
    );
  }

  /** Waits until `nodes` agree on one height that stays put for `stableMs` (load stopped); returns it. */
  async waitSettled(nodes: NodeProcess[], timeoutMs: number, stableMs = 1500): Promise<number> {
    let hs: (number | undefined)[] = [];
    let since = Date.now();
    let previous = '';
    return waitFor(
      async () => {
        hs = await Promise.all(nodes.map((n) => n.height()));
        const key = JSON.stringify(hs);
        if (key !== previous) {
          previous = key;
          since = Date.now();
        }
        const h = hs[0];
        return h !== undefined && hs.every((x) => x === h) && Date.now() - since >= stableMs ? h : undefined;
      },
      { timeoutMs, intervalMs: 150, message: () => `nodes to settle on one height: ${nodes.map((n, i) => `${n.name}=${hs[i] ?? 'down'}`).join(' ')}` },
    );
  }

  /**
   * Fetches blocks 1..height from every node in `nodes` and asserts they are byte-for-byte equal;
   * returns them (base64) for further checks.
   */
  async assertIdenticalBlocks(nodes: NodeProcess[], height: number): Promise<string[]> {
    const all = await Promise.all(nodes.map((n) => fetchBlocks(n, height)));
    const reference = all[0]!;
    for (let h = 1; h <= height; h++) {
      const first = reference[h - 1];
      if (first === undefined) throw new Error(`${nodes[0]!.name} has no block ${h} (of ${height})`);
      for (const [i, blocks] of all.entries()) {
        if (blocks[h - 1] === undefined) throw new Error(`${nodes[i]!.name} has no block ${h} (of ${height})`);
        if (blocks[h - 1] !== first) throw new Error(`FORK: block ${h} differs between ${nodes[0]!.name} and ${nodes[i]!.name}`);
      }
    }
    return reference as string[];
  }

  /** Kills every node (SIGKILL, waited for) and removes the directory unless it is kept. */
  async cleanup(): Promise<void> {
    await Promise.all(this.nodes.map((n) => n.kill('SIGKILL').catch(() => undefined)));
    if (this.keep) process.stderr.write(`e2e: network kept in ${this.dir}\n`);
    else rmSync(this.dir, { recursive: true, force: true });
  }
}

async function fetchBlocks(node: NodeProcess, height: number): Promise<(string | undefined)[]> {
  const out: (string | undefined)[] = new Array(height);
  let next = 1;
  const worker = async () => {
    while (next <= height) {
      const h = next++;
      out[h - 1] = await node.block(h);
    }
  };
  await Promise.all(Array.from({ length: 8 }, worker));
  return out;
}

/** Every tx of blocks (base64, heights 1..n) by its hex suite hash, with the height it is at. */
export function txIndex(blocks: readonly string[]): Map<string, number> {
  const index = new Map<string, number>();
  for (const [i, b] of blocks.entries()) {
    for (const tx of decodeBlock(new Uint8Array(Buffer.from(b, 'base64'))).txs) {
      const hash = txHash(tx);
      if (index.has(hash)) throw new Error(`tx ${hash} is in block ${index.get(hash)} and again in block ${i + 1}`);
      index.set(hash, i + 1);
    }
  }
  return index;
}

export function txHash(tx: Uint8Array): string {
  return Buffer.from(suite.hash(tx)).toString('hex');
}

// ---- load --------------------------------------------------------------------------------------

export interface SignedTx {
  readonly sender: number;
  readonly nonce: number;
  readonly key: Uint8Array;
  readonly value: Uint8Array;
  readonly bytes: Uint8Array;
  readonly hash: string;
}

/** A transaction the network acknowledged as committed: `?wait=commit` answered 200 with a height. */
export interface Ack {
  readonly tx: SignedTx;
  readonly height: number;
  readonly node: string;
  readonly at: number;
}

export interface LoadOptions {
  readonly senders: number;
  readonly txsPerSender: number;
  readonly seed: number;
  /** A request without an answer in this time is abandoned and retried (default 8 s). */
  readonly requestTimeoutMs?: number;
  readonly label?: string;
}

export interface LoadStats {
  submitted: number;
  acked: number;
  retries: number;
  /** Sent again and found already committed (nonce too low): in the chain, not acknowledged to us. */
  committedUnacked: number;
  /** Answers that are neither success nor a retryable condition, by code. */
  errors: Record<string, number>;
  abandonedSenders: number;
}

/**
 * Pre-signed kv puts from many senders, each sender a worker that submits its txs in nonce order
 * with `?wait=commit` (so the concurrency is bounded by the number of senders) to a random live
 * node. A failed or timed-out submission is retried with the same bytes on another node; only a
 * 200 with a height counts as acknowledged.
 */
export class LoadGenerator {
  readonly txs: SignedTx[][];
  readonly acked: Ack[] = [];
  readonly stats: LoadStats = { submitted: 0, acked: 0, retries: 0, committedUnacked: 0, errors: {}, abandonedSenders: 0 };
  readonly ackEvents = new EventEmitter<{ ack: [Ack] }>();
  private running = false;
  private workers: Promise<void>[] = [];
  private readonly abort = new AbortController();
  private readonly random: Prng;
  private readonly requestTimeoutMs: number;

  constructor(
    private readonly net: Devnet,
    options: LoadOptions,
  ) {
    this.random = new Prng(options.seed);
    this.requestTimeoutMs = options.requestTimeoutMs ?? 8000;
    const label = options.label ?? 'load';
    this.txs = Array.from({ length: options.senders }, (_, s) => {
      const { privateKey } = suite.generateKeyPair();
      return Array.from({ length: options.txsPerSender }, (_, nonce) => signPut(privateKey, s, nonce, label));
    });
  }

  start(): void {
    if (this.running) return;
    this.running = true;
    this.workers = this.txs.map((list) => this.worker(list));
  }

  /** Stops submitting; in-flight requests are aborted (never counted as acknowledged). */
  async stop(): Promise<void> {
    this.running = false;
    this.abort.abort();
    await Promise.all(this.workers);
  }

  /** Waits until `n` more transactions are acknowledged. */
  async waitAcks(n: number, timeoutMs: number): Promise<void> {
    const target = this.acked.length + n;
    await waitFor(() => this.acked.length >= target, { timeoutMs, intervalMs: 50, message: () => `${n} acknowledged txs (have ${this.acked.length}, want ${target}; stats ${JSON.stringify(this.stats)})` });
  }

  private async worker(list: SignedTx[]): Promise<void> {
    for (const tx of list) {
      let attempts = 0;
      for (;;) {
        if (!this.running) return;
        const outcome = await this.submit(tx);
        if (outcome === 'acked' || outcome === 'committed') break;
        if (outcome === 'fatal' || ++attempts > 200) {
          this.stats.abandonedSenders++;
          return;
        }
        this.stats.retries++;
        await sleep(100 + this.random.int(200));
      }
    }
  }

  private async submit(tx: SignedTx): Promise<'acked' | 'committed' | 'retry' | 'fatal'> {
    const live = this.net.live;
    if (live.length === 0) return 'retry';
    const node = this.random.pick(live);
    this.stats.submitted++;
    let res: Response;
    let body: { height?: number; error?: { code: string; message: string } };
    try {
      res = await fetch(`${node.url}/chains/${CHAIN}/txs?wait=commit`, {
        method: 'POST',
        body: tx.bytes,
        headers: { 'content-type': 'application/octet-stream' },
        signal: AbortSignal.any([this.abort.signal, AbortSignal.timeout(this.requestTimeoutMs)]),
      });
      body = (await res.json()) as typeof body;
    } catch {
      return 'retry'; // the node died, or is slow: the same bytes go to another node
    }
    if (res.status === 200 && typeof body.height === 'number') {
      const ack: Ack = { tx, height: body.height, node: node.name, at: Date.now() };
      this.acked.push(ack);
      this.stats.acked++;
      this.ackEvents.emit('ack', ack);
      return 'acked';
    }
    const code = body.error?.code ?? `HTTP_${res.status}`;
    if (code === 'MEMPOOL_NONCE_TOO_LOW') {
      this.stats.committedUnacked++;
      return 'committed';
    }
    if (['MEMPOOL_DUPLICATE', 'MEMPOOL_FULL', 'NODE_COMMIT_TIMEOUT', 'MEMPOOL_NONCE_TAKEN', 'MEMPOOL_CLOSED', 'MEMPOOL_EVICTED'].includes(code)) return 'retry';
    this.stats.errors[code] = (this.stats.errors[code] ?? 0) + 1;
    return res.status >= 500 ? 'retry' : 'fatal';
  }
}

function signPut(privateKey: PrivateKey, sender: number, nonce: number, label: string): SignedTx {
  const key = new TextEncoder().encode(`${label}/s${sender}/n${nonce}`);
  const value = createHash('sha256').update(`${label}/${sender}/${nonce}/${privateKey.publicKey.bytes.length}`).digest().subarray(0, 16);
  const bytes = buildKvTx({ chainId: CHAIN, privateKey, nonce, ops: [{ type: 'put', key, value: new Uint8Array(value) }] });
  return { sender, nonce, key, value: new Uint8Array(value), bytes, hash: txHash(bytes) };
}

/**
 * The invariant of the fault tests: every acknowledged tx is in the chain, at the height its
 * acknowledgement named, and its key reads back its value on every given node.
 */
export async function assertAckedPresent(acked: readonly Ack[], blocks: readonly string[], nodes: NodeProcess[]): Promise<void> {
  const index = txIndex(blocks);
  const missing = acked.filter((a) => !index.has(a.tx.hash));
  if (missing.length > 0) {
    throw new Error(`LOST: ${missing.length} of ${acked.length} acknowledged txs are in no block, e.g. sender ${missing[0]!.tx.sender} nonce ${missing[0]!.tx.nonce} acknowledged by ${missing[0]!.node} at height ${missing[0]!.height}`);
  }
  const misplaced = acked.filter((a) => index.get(a.tx.hash) !== a.height);
  if (misplaced.length > 0) {
    const m = misplaced[0]!;
    throw new Error(`${misplaced.length} acknowledged txs are not at the height acknowledged, e.g. ${m.tx.hash} acknowledged at ${m.height} by ${m.node}, in block ${index.get(m.tx.hash)}`);
  }
  // Read back a sample of keys on every node (the state, not only the blocks).
  const sample = acked.filter((_, i) => i % Math.max(1, Math.floor(acked.length / 50)) === 0);
  for (const node of nodes) {
    for (const a of sample) {
      const value = await node.query(a.tx.key);
      if (value !== Buffer.from(a.tx.value).toString('hex')) throw new Error(`${node.name} reads ${value} for acknowledged key ${new TextDecoder().decode(a.tx.key)}`);
    }
  }
}

/** Parses one counter or gauge value out of Prometheus text (sum over label sets). */
export function metricValue(text: string, name: string): number {
  let sum = 0;
  for (const line of text.split('\n')) {
    if (line.startsWith('#')) continue;
    const m = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{[^}]*\})?\s+(\S+)/.exec(line);
    if (m && m[1] === name) sum += Number(m[3]);
  }
  return sum;
}
