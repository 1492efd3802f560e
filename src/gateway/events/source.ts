import { decodeBlock, headerHash } from '../../chain/index.js';
import type { CityNode, HostedChain } from '../../node/index.js';
import { EvmChainView } from '../jsonrpc/chain-view.js';
import { findLogs } from '../jsonrpc/logs.js';
import type { LogFilter } from '../jsonrpc/params.js';
import { CommitPoller, type HeightSource } from '../subscriptions.js';

/*
 * The events of one app chain, per committed height: a block event for every block, and on EVM
 * apps the logs that match a filter. Consumers keep their own position and read height by height
 * (backfill and live are the same walk); the CommitPoller wakes them when the height moves.
 */

/** A committed block. `hash` is the suite hash of the BSN header (as GET /blocks/:height gives it). */
export interface BlockEvent {
  readonly type: 'block';
  readonly height: number;
  readonly hash: string;
  /** Milliseconds since the epoch, from the block header. */
  readonly time: number;
  readonly txCount: number;
  /** EVM apps: the block's Ethereum-facing hash (JSON-RPC's blockHash). */
  readonly ethHash?: string;
}

/** One EVM log, as eth_getLogs gives it but with numbers as JSON numbers. */
export interface LogEvent {
  readonly type: 'log';
  readonly height: number;
  readonly ethBlockHash: string;
  readonly txHash: string;
  readonly txIndex: number;
  /** The log's index among all logs of its block (not only the matching ones). */
  readonly logIndex: number;
  readonly address: string;
  readonly topics: readonly string[];
  readonly data: string;
}

export type AppEvent = BlockEvent | LogEvent;

/** What a consumer subscribes to. */
export type EventSpec = { readonly type: 'blocks' } | { readonly type: 'logs'; readonly filter: LogFilter };

/** A place in the event stream: the first event not yet delivered is at `height`, index ≥ `index`. */
export interface Position {
  readonly height: number;
  readonly index: number;
}

/** An event's index within its height: the log index, 0 for a block. */
export const eventIndex = (event: AppEvent): number => (event.type === 'log' ? event.logIndex : 0);

const CACHED_BLOCKS = 64;
const hex = (bytes: Uint8Array): string => `0x${Buffer.from(bytes).toString('hex')}`;

export class AppEventSource implements HeightSource {
  readonly poller: CommitPoller<AppEventSource>;
  private readonly blocks = new Map<number, BlockEvent>();

  private constructor(
    readonly appId: string,
    private readonly chain: HostedChain,
    private readonly view: EvmChainView | undefined,
    onError: (err: unknown) => void,
    subscribe: (wake: () => void) => () => void,
  ) {
    this.poller = new CommitPoller<AppEventSource>(this, onError, subscribe);
  }

  /** The source of app `appId`, or undefined when this node does not host it. */
  static of(node: CityNode, appId: string, onError: (err: unknown) => void): AppEventSource | undefined {
    const chain = node.chains.get(appId);
    return chain ? new AppEventSource(appId, chain, EvmChainView.of(node, appId), onError, (wake) => node.onCommitted(appId, wake)) : undefined;
  }

  /** Whether log events exist here. */
  get hasLogs(): boolean {
    return this.view !== undefined;
  }

  get height(): number {
    return this.chain.store.height;
  }

  /**
   * The events of committed height `height` for `spec`, in order; [] beyond the head. Undefined
   * while the block is stored but the app has not committed it yet (the node appends a block,
   * then commits its receipts): its logs are not readable yet, so ask again shortly.
   */
  async events(height: number, spec: EventSpec): Promise<AppEvent[] | undefined> {
    if (height < 1 || height > this.height) return [];
    if (spec.type === 'blocks') {
      const block = await this.block(height);
      return block ? [block] : [];
    }
    if (!this.view) return [];
    if ((await this.chain.app.info()).height < height) return undefined;
    const at = { kind: 'number', height } as const;
    const logs = await findLogs(this.view, height, height, { ...spec.filter, from: at, to: at });
    return logs.map((log) => ({
      type: 'log',
      height,
      ethBlockHash: String(log['blockHash']),
      txHash: String(log['transactionHash']),
      txIndex: Number(log['transactionIndex']),
      logIndex: Number(log['logIndex']),
      address: String(log['address']),
      topics: log['topics'] as string[],
      data: String(log['data']),
    }));
  }

  stop(): void {
    this.poller.stop();
  }

  private async block(height: number): Promise<BlockEvent | undefined> {
    const cached = this.blocks.get(height);
    if (cached) return cached;
    const bytes = await this.chain.store.block(height);
    if (!bytes) return undefined;
    const { header, txs } = decodeBlock(bytes);
    const ethHash = this.view ? await this.view.blockHash(height) : undefined;
    const event: BlockEvent = { type: 'block', height, hash: hex(headerHash(this.chain.genesis.suite, header)), time: header.time, txCount: txs.length, ...(ethHash && { ethHash }) };
    this.blocks.set(height, event);
    // Consumers walk forward together, so the oldest entry is the one to drop.
    if (this.blocks.size > CACHED_BLOCKS) this.blocks.delete(this.blocks.keys().next().value!);
    return event;
  }
}

/** One event source per app chain of a node, made on first use. */
export class EventSources {
  private readonly sources = new Map<string, AppEventSource>();

  constructor(
    private readonly node: CityNode,
    private readonly onError: (err: unknown) => void,
  ) {}

  get(appId: string): AppEventSource | undefined {
    let source = this.sources.get(appId);
    if (!source) {
      // Only hosted apps are remembered: a caller cannot grow this map with made-up ids.
      source = AppEventSource.of(this.node, appId, this.onError);
      if (source) this.sources.set(appId, source);
    }
    return source;
  }

  /** Drops the source of a chain that stopped or started being hosted; the next get() makes a new one. */
  forget(appId: string): void {
    this.sources.get(appId)?.stop();
    this.sources.delete(appId);
  }

  stop(): void {
    for (const source of this.sources.values()) source.stop();
  }
}
