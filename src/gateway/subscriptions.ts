import { randomBytes } from 'node:crypto';
import type { EvmChainView } from './jsonrpc/chain-view.js';
import { invalidParams } from './jsonrpc/errors.js';
import { formatBlock } from './jsonrpc/format.js';
import { findLogs } from './jsonrpc/logs.js';
import { paramsOf, parseFilter, type LogFilter } from './jsonrpc/params.js';

/** How often the chain's height is read. CityNode has no public commit event; see docs/gateway.md. */
export const POLL_MS = 100;
/** Subscriptions one WebSocket connection may hold. */
export const MAX_SUBSCRIPTIONS_PER_SOCKET = 32;

type Subscription = { kind: 'newHeads' } | { kind: 'logs'; filter: LogFilter };

/** The subscriptions of one WebSocket connection; `push` sends an eth_subscription notification. */
export class SocketSubscriptions implements CommitListener<EvmChainView> {
  private readonly subs = new Map<string, Subscription>();
  /** newHeads subscriptions made by the request being answered: they get the current head next. */
  private fresh: string[] = [];

  constructor(
    private readonly hub: CommitPoller,
    private readonly push: (message: string) => void,
  ) {}

  /** The eth_subscribe / eth_unsubscribe methods for this connection's JSON-RPC handler. */
  methods(): Record<string, (params: unknown) => Promise<unknown>> {
    return {
      eth_subscribe: async (params) => {
        const [kind, filter] = paramsOf(params, 1, 2);
        if (this.subs.size >= MAX_SUBSCRIPTIONS_PER_SOCKET) throw invalidParams(`at most ${MAX_SUBSCRIPTIONS_PER_SOCKET} subscriptions per connection`);
        let sub: Subscription;
        if (kind === 'newHeads') sub = { kind: 'newHeads' };
        else if (kind === 'logs') sub = { kind: 'logs', filter: parseFilter(filter ?? {}) };
        else throw invalidParams(`unsupported subscription '${String(kind).slice(0, 40)}' (newHeads, logs)`);
        const id = `0x${randomBytes(16).toString('hex')}`;
        this.subs.set(id, sub);
        if (sub.kind === 'newHeads') this.fresh.push(id);
        this.hub.attach(this);
        return id;
      },
      eth_unsubscribe: async (params) => {
        const [id] = paramsOf(params, 1, 1);
        const removed = typeof id === 'string' && this.subs.delete(id);
        if (this.subs.size === 0) this.hub.detach(this);
        return removed;
      },
    };
  }

  /**
   * Sends the current head to newHeads subscriptions just made, once their id was answered. A
   * client that looked for a receipt and then subscribed would otherwise wait forever for a
   * block that committed in between: this chain makes no empty blocks to wake it later.
   */
  async greet(view: EvmChainView): Promise<void> {
    const ids = this.fresh;
    this.fresh = [];
    if (ids.length === 0) return;
    const head = await this.head(view, view.height);
    if (head) for (const id of ids) if (this.subs.has(id)) this.send(id, head);
  }

  close(): void {
    this.subs.clear();
    this.hub.detach(this);
  }

  /** Sends what height `h` means for each subscription. */
  async onBlock(view: EvmChainView, h: number): Promise<void> {
    let head: Record<string, unknown> | null | undefined;
    if ([...this.subs.values()].some((s) => s.kind === 'logs')) await appCommitted(view, h);
    for (const [id, sub] of this.subs) {
      if (sub.kind === 'newHeads') {
        head ??= await this.head(view, h);
        if (head) this.send(id, head);
      } else {
        for (const log of await findLogs(view, h, h, { ...sub.filter, from: { kind: 'number', height: h }, to: { kind: 'number', height: h } })) this.send(id, log);
      }
    }
  }

  private async head(view: EvmChainView, h: number): Promise<Record<string, unknown> | null> {
    const block = await formatBlock(view, h, false);
    if (!block) return null;
    const { transactions: _t, uncles: _u, withdrawals: _w, totalDifficulty: _d, size: _s, ...header } = block;
    return header;
  }

  private send(subscription: string, result: unknown): void {
    this.push(JSON.stringify({ jsonrpc: '2.0', method: 'eth_subscription', params: { subscription, result } }));
  }
}

/**
 * Waits (briefly) until the app has committed height `h`. The node stores a block before the app
 * commits its receipts and block record, so for a moment the block store's height is ahead of the
 * logs: reading them then would find none and miss them for good.
 */
async function appCommitted(view: EvmChainView, h: number): Promise<void> {
  for (let i = 0; i < 200 && !(await view.blockRecord(h)); i++) await new Promise((r) => setTimeout(r, 5));
}

/** What a CommitPoller watches: a chain's committed height. */
export interface HeightSource {
  readonly height: number;
}

/** Told of each new committed height, in order, while attached to a CommitPoller. */
export interface CommitListener<S extends HeightSource> {
  onBlock(source: S, height: number): Promise<void>;
}

/**
 * Watches one chain's committed height while some listener is attached, and hands each new
 * height, in order, to every listener: the eth_subscribe connections of an EVM chain, and the
 * event feeds of src/gateway/events (any app chain). The default source type is the EVM view the
 * JSON-RPC subscriptions read.
 */
export class CommitPoller<S extends HeightSource = EvmChainView> {
  private readonly listeners = new Set<CommitListener<S>>();
  private timer: NodeJS.Timeout | undefined;
  private seen = 0;
  private busy = false;
  private again = false;

  private unsubscribe: (() => void) | undefined;

  /**
   * `subscribe`, when given, tells the poller at once of each commit (CityNode.onCommitted), so
   * listeners hear of a block as soon as it is committed; the poll every POLL_MS stays as the
   * fallback for heights that arrive another way (block sync).
   */
  constructor(
    private readonly view: S,
    private readonly onError: (err: unknown) => void,
    private readonly subscribe?: (wake: () => void) => () => void,
  ) {}

  attach(listener: CommitListener<S>): void {
    this.listeners.add(listener);
    if (this.timer) return;
    this.seen = this.view.height;
    this.timer = setInterval(() => void this.tick(), POLL_MS);
    this.unsubscribe = this.subscribe?.(() => void this.tick());
  }

  detach(listener: CommitListener<S>): void {
    this.listeners.delete(listener);
    if (this.listeners.size === 0) this.stop();
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
    this.unsubscribe?.();
    this.unsubscribe = undefined;
  }

  private async tick(): Promise<void> {
    // A wake-up while a pass runs is not dropped: the pass goes round once more.
    if (this.busy) {
      this.again = true;
      return;
    }
    this.busy = true;
    try {
      do {
        this.again = false;
        while (this.seen < this.view.height) {
          const h = ++this.seen;
          for (const listener of [...this.listeners]) await listener.onBlock(this.view, h);
        }
      } while (this.again);
    } catch (err) {
      this.onError(err);
    } finally {
      this.busy = false;
    }
  }
}
