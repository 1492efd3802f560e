import { EventEmitter } from 'node:events';
import { SyncRangeError, SyncRateLimitedError, SyncTimeoutError } from './errors.js';
import type { PeerIdentity } from './identity.js';
import { BLOCKS_REPLY_OVERHEAD, CHANNEL, MAX_BLOCKS_PER_REQUEST, decodeSync, encodeSync, envelopeOverhead, type SyncMessage, type SyncedBlock } from './messages.js';
import { errorFields, silentLogger, type P2pLogger } from './observe.js';
import type { ChainHandlers, Router } from './router.js';
import { SyncServeGate, type SyncServeLimits } from './serve-limits.js';

/** The part of `BlockStore` (src/chain/block-store.ts) that sync needs. */
export interface SyncStore {
  readonly height: number;
  block(height: number): Promise<Uint8Array | undefined>;
  certificate(height: number): Promise<Uint8Array | undefined>;
  append(height: number, block: Uint8Array, certificate: Uint8Array): Promise<void>;
}

/** Throws (or rejects) when the block or its commit certificate is not valid at `height`. */
export type VerifyBlock = (height: number, block: Uint8Array, certificate: Uint8Array) => Promise<void>;

export interface BlockSyncOptions {
  readonly router: Router;
  readonly chainId: string;
  readonly store: SyncStore;
  readonly verify: VerifyBlock;
  /** A request with no answer in this time goes to another peer (default 10 s). */
  readonly requestTimeoutMs?: number;
  /** How long a peer that failed a request is passed over (default 2 s). */
  readonly retryMs?: number;
  /** Blocks per request, at most MAX_BLOCKS_PER_REQUEST. */
  readonly batch?: number;
  /**
   * A node following consensus that learns of a peer one block ahead usually commits that block
   * itself within milliseconds; sync fetches it only if this node is still at the same height this
   * long after it first saw the peer ahead (default 1 s), so blocks are not fetched twice.
   */
  readonly followGraceMs?: number;
  readonly now?: () => number;
  readonly logger?: P2pLogger;
  /** What this node serves one peer: requests per second and bytes per answer (H4). */
  readonly serve?: Partial<SyncServeLimits>;
}

export interface BlockSyncEvents {
  /** The store reached the highest height any peer reported. */
  caughtUp: [height: number];
}

interface Pending {
  readonly id: number;
  readonly peer: PeerIdentity;
  readonly from: number;
  readonly count: number;
  readonly timer: NodeJS.Timeout;
}

/**
 * Block sync of one chain: serves its blocks to peers, and when started fetches the blocks it lacks
 * from the peer reporting the highest height, one request at a time, verifying each block before
 * it is stored. A peer that fails (bad block, error, timeout, nothing to give) is passed over for
 * `retryMs` and its reported height is lowered to what it proved; an invalid block also costs it score.
 */
export class BlockSync extends EventEmitter<BlockSyncEvents> {
  private readonly router: Router;
  private readonly chainId: string;
  private readonly store: SyncStore;
  private readonly requestTimeoutMs: number;
  private readonly retryMs: number;
  private readonly batch: number;
  private readonly followGraceMs: number;
  private readonly now: () => number;
  private readonly logger: P2pLogger;
  private readonly avoid = new Map<string, number>();
  private pending: Pending | undefined;
  private applying = false;
  private retryTimer: NodeJS.Timeout | undefined;
  private nextId = 1;
  private running = false;
  private caughtUp = false;
  /** The height at which pump first saw a peer one block ahead, and when. */
  private lagHeight = -1;
  private lagSince = 0;

  constructor(private readonly options: BlockSyncOptions) {
    super();
    this.router = options.router;
    this.chainId = options.chainId;
    this.store = options.store;
    this.requestTimeoutMs = options.requestTimeoutMs ?? 10_000;
    this.retryMs = options.retryMs ?? 2_000;
    this.batch = Math.max(1, Math.min(options.batch ?? MAX_BLOCKS_PER_REQUEST, MAX_BLOCKS_PER_REQUEST));
    this.followGraceMs = options.followGraceMs ?? 1000;
    this.now = options.now ?? Date.now;
    this.logger = options.logger ?? silentLogger;
  }

  /** Handlers to merge into the chain's router registration. */
  handlers(): Required<Pick<ChainHandlers, 'onSync' | 'onPeerReady' | 'onPeerGone' | 'height'>> {
    return {
      onSync: (peer, body) => this.onMessage(peer, body),
      // The hello this node sent may be older than its height now (it committed before the peer's
      // hello arrived, so its announce skipped the peer): tell the peer the current height.
      onPeerReady: (peer) => {
        if (this.running) this.reply(peer, { type: 'status', height: this.store.height });
        this.pump();
      },
      onPeerGone: (peer) => {
        if (this.pending?.peer.fingerprint === peer.fingerprint) this.fail(peer, new SyncTimeoutError(`${peer.name} disconnected`));
      },
      height: () => this.store.height,
    };
  }

  get isCaughtUp(): boolean {
    return this.caughtUp;
  }

  /** The highest height any ready peer hosting the chain reported. */
  get targetHeight(): number {
    return Math.max(this.store.height, ...this.router.peersHosting(this.chainId).map((p) => p.height));
  }

  /** Starts following the peers' heights; asks every peer for a fresh status. */
  start(): void {
    if (this.running) return;
    this.running = true;
    this.caughtUp = false;
    this.router.broadcast(this.chainId, CHANNEL.sync, encodeSync({ type: 'statusRequest' }));
    this.pump();
  }

  stop(): void {
    this.running = false;
    if (this.pending) clearTimeout(this.pending.timer);
    this.pending = undefined;
    clearTimeout(this.retryTimer);
    this.retryTimer = undefined;
  }

  /** Tells the peers this node's height, e.g. after committing blocks. */
  announce(): void {
    this.router.broadcast(this.chainId, CHANNEL.sync, encodeSync({ type: 'status', height: this.store.height }));
  }

  /** Throws MessageDecodeError on a body that is not a sync message: the router scores the peer. */
  async onMessage(peer: PeerIdentity, body: Uint8Array): Promise<void> {
    const message = decodeSync(body);
    switch (message.type) {
      case 'statusRequest':
        this.reply(peer, { type: 'status', height: this.store.height });
        return;
      case 'status':
        this.router.setPeerHeight(peer, this.chainId, message.height);
        this.pump();
        return;
      case 'getBlocks':
        return this.serve(peer, message.requestId, message.from, message.count);
      case 'blocks':
        return this.onBlocks(peer, message.requestId, message.blocks);
      case 'error':
        return this.onError(peer, message);
    }
  }

  private reply(peer: PeerIdentity, message: SyncMessage): void {
    this.router.send(peer, this.chainId, CHANNEL.sync, encodeSync(message));
  }

  /** Serving side (H4): each peer's request queue and rate, made on first use. */
  private serveGate: SyncServeGate | undefined;

  /**
   * Serves what this node has of [from, from + count), never past its height, the frame limit or
   * the answer bound. A peer's requests are served one after the other (a few may wait); one over
   * its request rate, over that queue, or arriving for a peer with half its outgoing queue still
   * unread, gets a SyncRateLimitedError reply (a few bytes) instead of blocks.
   */
  private serve(peer: PeerIdentity, requestId: number, from: number, count: number): Promise<void> {
    if (from < 1 || count < 1 || count > MAX_BLOCKS_PER_REQUEST) {
      const error = new SyncRangeError(`refused getBlocks from ${from} count ${count}: heights start at 1, count must be 1..${MAX_BLOCKS_PER_REQUEST}`);
      this.reply(peer, { type: 'error', requestId, code: error.code, message: error.message });
      this.router.manager.penalize(peer, 'protocol', error);
      return Promise.resolve();
    }
    const gate = (this.serveGate ??= new SyncServeGate(this.options.serve, this.now));
    const queued = gate.enqueue(peer.fingerprint, () => {
      const conn = this.router.manager.connection(peer.fingerprint);
      if (conn && conn.queuedBytes > conn.queueLimit / 2) return this.refuse(peer, requestId, `busy: ${conn.queuedBytes} bytes already wait`);
      return this.serveRange(peer, requestId, from, count, gate.limits);
    });
    if (typeof queued === 'string') this.refuse(peer, requestId, queued);
    return typeof queued === 'string' ? Promise.resolve() : queued;
  }

  private refuse(peer: PeerIdentity, requestId: number, why: string): void {
    this.router.manager.counters.syncRateLimited++;
    const error = new SyncRateLimitedError(`${why} (${peer.name})`);
    this.reply(peer, { type: 'error', requestId, code: error.code, message: error.message });
  }

  private async serveRange(peer: PeerIdentity, requestId: number, from: number, count: number, limits: SyncServeLimits): Promise<void> {
    const last = Math.min(this.store.height, from + count - 1);
    let budget = this.router.manager.maxFrameBytes - 1 - envelopeOverhead(this.chainId) - BLOCKS_REPLY_OVERHEAD.fixed;
    let replyBytes = 0;
    const blocks: SyncedBlock[] = [];
    for (let height = from; height <= last; height++) {
      const [block, certificate] = await Promise.all([this.store.block(height), this.store.certificate(height)]);
      if (!block || !certificate) break;
      budget -= BLOCKS_REPLY_OVERHEAD.perBlock + block.length + certificate.length;
      replyBytes += block.length + certificate.length;
      if (budget < 0 || (blocks.length > 0 && replyBytes > limits.maxReplyBytes)) break;
      blocks.push({ height, block, certificate });
    }
    if (blocks.length === 0 && from <= last) {
      const error = new SyncRangeError(`block ${from} alone does not fit in a frame of ${this.router.manager.maxFrameBytes} bytes`);
      this.reply(peer, { type: 'error', requestId, code: error.code, message: error.message });
      return;
    }
    this.reply(peer, { type: 'blocks', requestId, blocks });
  }

  /** Asks the best peer for the next batch when nothing is in flight. */
  private pump(): void {
    if (!this.running || this.pending || this.applying) return;
    const height = this.store.height;
    const now = this.now();
    const candidates = this.router.peersHosting(this.chainId).filter((p) => p.height > height);
    const eligible = candidates.filter((p) => (this.avoid.get(p.peer.fingerprint) ?? 0) <= now);
    if (candidates.length === 0) return this.reachedTarget();
    // Following consensus, one block behind: consensus likely commits it any moment (see followGraceMs).
    if (this.caughtUp && Math.max(...candidates.map((p) => p.height)) === height + 1) {
      if (this.lagHeight !== height) {
        this.lagHeight = height;
        this.lagSince = now;
      }
      if (now < this.lagSince + this.followGraceMs) return this.retryAt(this.lagSince + this.followGraceMs);
    }
    this.caughtUp = false;
    if (eligible.length === 0) return this.retryLater();
    // Highest height first; the fingerprint breaks ties so that runs are reproducible.
    eligible.sort((a, b) => b.height - a.height || (a.peer.fingerprint < b.peer.fingerprint ? -1 : 1));
    const target = eligible[0]!;
    const from = height + 1;
    const count = Math.min(this.batch, target.height - height);
    const id = this.nextId++;
    const timer = setTimeout(() => this.onTimeout(id), this.requestTimeoutMs);
    this.pending = { id, peer: target.peer, from, count, timer };
    if (!this.router.send(target.peer, this.chainId, CHANNEL.sync, encodeSync({ type: 'getBlocks', requestId: id, from, count }))) {
      this.fail(target.peer, new SyncTimeoutError(`could not send to ${target.peer.name}`));
    }
  }

  private reachedTarget(): void {
    if (this.caughtUp || this.router.peersHosting(this.chainId).length === 0) return;
    this.caughtUp = true;
    this.logger.info({ chainId: this.chainId, height: this.store.height }, 'block sync caught up');
    this.emit('caughtUp', this.store.height);
  }

  private retryAt(time: number): void {
    if (this.retryTimer) return;
    this.retryTimer = setTimeout(() => {
      this.retryTimer = undefined;
      this.pump();
    }, Math.max(1, time - this.now()));
  }

  private retryLater(): void {
    if (this.retryTimer) return;
    const now = this.now();
    const wait = Math.max(1, Math.min(...[...this.avoid.values()].filter((t) => t > now)) - now);
    this.retryTimer = setTimeout(() => {
      this.retryTimer = undefined;
      this.pump();
    }, Number.isFinite(wait) ? wait : this.retryMs);
  }

  /** Passes over the peer for a while and lets the next request go elsewhere. */
  private fail(peer: PeerIdentity, reason: Error, provenHeight?: number): void {
    if (this.pending?.peer.fingerprint === peer.fingerprint) {
      clearTimeout(this.pending.timer);
      this.pending = undefined;
    }
    this.avoid.set(peer.fingerprint, this.now() + this.retryMs);
    if (provenHeight !== undefined) this.router.setPeerHeight(peer, this.chainId, provenHeight);
    this.logger.info({ chainId: this.chainId, peer: peer.name, ...errorFields(reason) }, 'block sync request failed; trying another peer');
    this.pump();
  }

  private onTimeout(id: number): void {
    if (this.pending?.id !== id) return;
    const { peer } = this.pending;
    // Its claimed height is disregarded until it reports again: a silent peer must not hold caughtUp back forever.
    this.fail(peer, new SyncTimeoutError(`no blocks from ${peer.name} in ${this.requestTimeoutMs} ms`), this.store.height);
  }

  private onError(peer: PeerIdentity, message: Extract<SyncMessage, { type: 'error' }>): void {
    if (this.pending?.id !== message.requestId || this.pending.peer.fingerprint !== peer.fingerprint) return;
    this.fail(peer, new SyncRangeError(`peer refused: ${message.code} ${message.message}`), this.store.height);
  }

  private async onBlocks(peer: PeerIdentity, requestId: number, blocks: readonly SyncedBlock[]): Promise<void> {
    const request = this.pending;
    // A late answer to a request that timed out is dropped, not scored: the peer was only slow.
    if (request?.id !== requestId || request.peer.fingerprint !== peer.fingerprint) return;
    clearTimeout(request.timer);
    this.pending = undefined;
    if (blocks.length === 0) {
      // It claimed a height of at least request.from (heights only grow): an empty answer is a lie
      // that would hold caughtUp and eth_syncing back (L8 (4)); it costs the peer score.
      const error = new SyncRangeError(`${peer.name} claimed a height it has no block ${request.from} for`);
      this.router.manager.penalize(peer, 'protocol', error);
      return this.fail(peer, error, request.from - 1);
    }
    this.applying = true;
    try {
      await this.apply(peer, request, blocks);
    } finally {
      this.applying = false;
    }
    this.pump();
  }

  private async apply(peer: PeerIdentity, request: Pending, blocks: readonly SyncedBlock[]): Promise<void> {
    for (const [i, b] of blocks.entries()) {
      if (!this.running) return;
      // Consensus committed this height while the request was out: not the peer's fault, skip it.
      if (i < request.count && b.height === request.from + i && b.height <= this.store.height) continue;
      if (i >= request.count || b.height !== request.from + i || b.height !== this.store.height + 1) {
        const error = new SyncRangeError(`${peer.name} answered with height ${b.height} where ${request.from + i} was due`);
        this.router.manager.penalize(peer, 'protocol', error);
        return this.fail(peer, error, this.store.height);
      }
      try {
        await this.options.verify(b.height, b.block, b.certificate);
      } catch (err) {
        const reason = err instanceof Error ? err : new Error(String(err));
        this.router.reportInvalid(peer, reason);
        return this.fail(peer, reason, b.height - 1);
      }
      try {
        await this.store.append(b.height, b.block, b.certificate);
      } catch (err) {
        // Consensus may have stored this height meanwhile: not the peer's fault. Otherwise the
        // block verified but failed to apply (it does not execute to its roots, or does not
        // match its certificate): the peer served it, so the peer is avoided and scored (H5).
        if (this.store.height >= b.height) continue;
        const reason = err instanceof Error ? err : new Error(String(err));
        this.logger.warn({ chainId: this.chainId, peer: peer.name, height: b.height, ...errorFields(reason) }, 'a synced block failed to apply');
        this.router.reportInvalid(peer, reason);
        return this.fail(peer, reason, b.height - 1);
      }
    }
  }
}
