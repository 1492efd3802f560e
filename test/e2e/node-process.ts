/** One city node as an OS process a test starts, SIGKILLs and restarts. */
import { spawn, type ChildProcess } from 'node:child_process';
import { EventEmitter } from 'node:events';
import { closeSync, existsSync, openSync, readFileSync, writeSync } from 'node:fs';
import path from 'node:path';
import { readOpsToken, type DevnetNode } from '../../src/network/devnet.js';
import { killGroup } from '../support/processes.js';
import { REPO, CHAIN, sleep, type NodeCommand } from './util.js';
// ---- processes ---------------------------------------------------------------------------------

const children = new Set<ChildProcess>();
let exitHookInstalled = false;

/** Last line of defence: whatever a test left running dies with the test process. */
function installExitHook(): void {
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  process.on('exit', () => {
    for (const child of children) killGroup(child, 'SIGKILL');
  });
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    process.once(signal, () => {
      for (const child of children) killGroup(child, 'SIGKILL');
      process.exit(130);
    });
  }
}

/** Kills every node process this test file started (its process group), now. */
export function killAllNodes(): void {
  for (const child of children) killGroup(child, 'SIGKILL');
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
  /** The network's operations token, as `Authorization` headers for `/chains/*`. */
  get authHeaders(): Record<string, string> {
    const token = readOpsToken(path.dirname(path.dirname(this.info.config)));
    return token === undefined ? {} : { authorization: `Bearer ${token}` };
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
    const child = spawn(this.command.command, [...this.command.args, 'node', 'start', '--config', this.info.config], { cwd: REPO, stdio: ['ignore', 'pipe', 'pipe'], detached: true });
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
    killGroup(child, signal);
    const timer = new Promise<'timeout'>((resolve) => setTimeout(() => resolve('timeout'), timeoutMs).unref());
    if ((await Promise.race([this.exited, timer])) === 'timeout') {
      killGroup(child, 'SIGKILL');
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
    const res = await fetch(`${this.url}/chains/${CHAIN}/blocks/${height}`, { headers: this.authHeaders, signal: AbortSignal.timeout(5000) });
    if (res.status === 404) return undefined;
    if (!res.ok) throw new Error(`${this.name}: GET block ${height} answered ${res.status}`);
    return ((await res.json()) as { block: string }).block;
  }

  async query(key: Uint8Array): Promise<string | null> {
    const res = await fetch(`${this.url}/chains/${CHAIN}/query/get?data=${Buffer.from(key).toString('hex')}`, { headers: this.authHeaders, signal: AbortSignal.timeout(5000) });
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

