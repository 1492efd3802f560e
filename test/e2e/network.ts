/** A real four-node local network in a temp directory, with invariant checks over its blocks. */

import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { decodeBlock } from '../../src/chain/index.js';
import { initDevnet, type DevnetLayout } from '../../src/network/devnet.js';
import { waitFor, nodeCommand, basePortFor, suite, type NodeCommand } from './util.js';
import { killAllNodes, NodeProcess, type NodeStatus } from './node-process.js';
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
    // Whatever did not die in time: its process group goes now, before its directory does.
    killAllNodes();
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

