import type { RpcClient, RpcError } from './http.js';
import type { Outcome } from './recorder.js';

/*
 * Commit detection on a JSON-RPC target: poll eth_blockNumber, fetch each new block with its tx
 * hashes (batched), and resolve a watched transaction when its block is first seen; then its
 * receipt (batched) says whether it succeeded. A transaction's latency is send → first sight of
 * its block, so the poll interval is the resolution. Works on any chain that speaks JSON-RPC.
 */

interface Watch {
  readonly sentAt: number;
  readonly resolve: (o: Outcome) => void;
  observedAt?: number;
  /** When its receipt was last asked for directly (see recheckStale). */
  checkedAt?: number;
}

const BATCH = 100;

export class CommitTracker {
  private readonly watches = new Map<string, Watch>();
  private readonly receiptQueue: string[] = [];
  /** When each recent block was first seen: the commit time of a tx found by its receipt. */
  private readonly blockSeenAt = new Map<number, number>();
  private nextBlock = 0;
  private registered = 0;
  private timer: NodeJS.Timeout | undefined;
  private running = false;
  private stopped = false;

  constructor(
    private readonly rpc: RpcClient,
    private readonly pollMs: number,
    private readonly timeoutMs: number,
    /** Whether to fetch receipts for status (reverted transactions count as failed). */
    private readonly checkReceipts = true,
  ) {}

  start(fromBlock: number): void {
    this.nextBlock = fromBlock;
    this.stopped = false;
    this.schedule();
  }

  stop(): void {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    for (const [hash, w] of this.watches) {
      this.watches.delete(hash);
      w.resolve({ ok: false, at: performance.now(), reason: 'the run ended before the transaction was seen committed' });
    }
  }

  get watching(): number {
    return this.watches.size;
  }

  /** Register before sending: resolves when the tx's block is seen (and its receipt read). */
  watch(hash: string, sentAt: number): Promise<Outcome> {
    this.registered++;
    return new Promise((resolve) => this.watches.set(hash.toLowerCase(), { sentAt, resolve }));
  }

  /** The send was refused: stop watching without an outcome. */
  unwatch(hash: string): void {
    this.watches.delete(hash.toLowerCase());
  }

  private schedule(): void {
    if (this.stopped) return;
    this.timer = setTimeout(() => void this.poll(), this.pollMs);
  }

  private async poll(): Promise<void> {
    if (this.running) return;
    this.running = true;
    try {
      await this.scanBlocks();
      await this.readReceipts();
      await this.recheckStale();
      this.expire();
    } catch {
      // A failed poll is retried at the next interval; persistent failures end as timeouts.
    } finally {
      this.running = false;
      this.schedule();
    }
  }

  private async scanBlocks(): Promise<void> {
    const registeredBefore = this.registered;
    const head = Number(BigInt(await this.rpc.call<string>('eth_blockNumber')));
    if (this.watches.size === 0 && this.receiptQueue.length === 0) {
      // Nothing to look for; skip the blocks unless a watch came in while we asked.
      if (this.registered === registeredBefore) this.nextBlock = Math.max(this.nextBlock, head + 1);
      return;
    }
    while (this.nextBlock <= head) {
      const numbers = Array.from({ length: Math.min(BATCH, head - this.nextBlock + 1) }, (_, i) => this.nextBlock + i);
      const blocks = await this.rpc.batch(numbers.map((n) => ({ method: 'eth_getBlockByNumber', params: [`0x${n.toString(16)}`, false] })));
      const now = performance.now();
      for (const [i, block] of blocks.entries()) {
        if (block instanceof Error || block === null) {
          // Not there yet on this node: look again from here at the next poll.
          this.nextBlock = numbers[i]!;
          return;
        }
        this.blockSeenAt.set(numbers[i]!, now);
        this.blockSeenAt.delete(numbers[i]! - 10_000);
        for (const h of (block as { transactions: string[] }).transactions) this.observe(String(h).toLowerCase(), now);
      }
      this.nextBlock = numbers[numbers.length - 1]! + 1;
    }
  }

  private observe(hash: string, now: number): void {
    const w = this.watches.get(hash);
    if (!w || w.observedAt !== undefined) return;
    w.observedAt = now;
    if (!this.checkReceipts) {
      this.watches.delete(hash);
      w.resolve({ ok: true, at: now });
    } else this.receiptQueue.push(hash);
  }

  private async readReceipts(): Promise<void> {
    while (this.receiptQueue.length > 0) {
      const hashes = this.receiptQueue.splice(0, BATCH);
      const receipts = await this.rpc.batch(hashes.map((h) => ({ method: 'eth_getTransactionReceipt', params: [h] })));
      for (const [i, receipt] of receipts.entries()) {
        const hash = hashes[i]!;
        const w = this.watches.get(hash);
        if (!w) continue;
        if (receipt === null || receipt instanceof Error) {
          if (receipt instanceof Error) this.finish(hash, { ok: false, at: w.observedAt!, reason: `receipt: ${(receipt as RpcError).message}` });
          else this.receiptQueue.push(hash); // indexed a moment after the block on some clients
          continue;
        }
        const status = (receipt as { status?: string }).status;
        this.finish(hash, status === '0x0' ? { ok: false, at: w.observedAt!, reason: 'reverted' } : { ok: true, at: w.observedAt! });
      }
      if (receipts.every((r) => r === null)) return;
    }
  }

  /**
   * A tx not seen in any block a while after its send is looked up by its receipt: a node may
   * list a block before all of its txs are indexed (the block listing then misses them), and
   * its commit time is then when its block was first seen.
   */
  private async recheckStale(): Promise<void> {
    const now = performance.now();
    const staleMs = Math.max(1_000, 10 * this.pollMs);
    const stale = [...this.watches.entries()].filter(([, w]) => w.observedAt === undefined && now - w.sentAt > staleMs && now - (w.checkedAt ?? 0) > staleMs).slice(0, BATCH);
    if (stale.length === 0) return;
    for (const [, w] of stale) w.checkedAt = now;
    const receipts = await this.rpc.batch(stale.map(([h]) => ({ method: 'eth_getTransactionReceipt', params: [h] })));
    for (const [i, receipt] of receipts.entries()) {
      if (receipt === null || receipt instanceof Error) continue;
      const { status, blockNumber } = receipt as { status?: string; blockNumber?: string };
      const at = (blockNumber !== undefined && this.blockSeenAt.get(Number(BigInt(blockNumber)))) || now;
      this.finish(stale[i]![0], status === '0x0' ? { ok: false, at, reason: 'reverted' } : { ok: true, at });
    }
  }

  private expire(): void {
    const now = performance.now();
    for (const [hash, w] of this.watches) {
      if (w.observedAt === undefined && now - w.sentAt > this.timeoutMs) this.finish(hash, { ok: false, at: now, reason: `timeout: not committed after ${Math.round(this.timeoutMs / 1000)} s` });
    }
  }

  private finish(hash: string, outcome: Outcome): void {
    const w = this.watches.get(hash);
    if (!w) return;
    this.watches.delete(hash);
    w.resolve(outcome);
  }
}

/** Groups failure messages: numbers and hex in a message would make every failure its own group. */
export function failureReason(message: string): string {
  return message
    .replace(/0x[0-9a-fA-F]+/g, '0x…')
    .replace(/\d+/g, 'N')
    .slice(0, 200);
}
