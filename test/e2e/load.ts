/** The load generator: pre-signed txs, bounded concurrency, a record of what was acknowledged. */

import { createHash } from 'node:crypto';
import { EventEmitter } from 'node:events';
import type { PrivateKey } from '../../src/crypto/index.js';
import { buildKvTx } from '../../src/execution/index.js';
import { Prng } from '../sim/prng.js';
import { CHAIN, sleep, waitFor, suite } from './util.js';
import { NodeProcess } from './node-process.js';
import { txHash, txIndex, Devnet } from './network.js';
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
        headers: { 'content-type': 'application/octet-stream', ...node.authHeaders },
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

