import { createHash } from 'node:crypto';
import { CodecError } from '../codec/index.js';
import type { PeerConnection } from './connection.js';
import { HelloTimeoutError, MessageDecodeError, NetworkMismatchError, ProtocolViolationError, RouterUsageError } from './errors.js';
import type { Frame } from './frame.js';
import type { PeerIdentity } from './identity.js';
import { CHANNEL, PROTOCOL_VERSION, decodeControl, decodeEnvelope, encodeControl, encodeEnvelope, isChainChannel, type ChainChannel, type HostedChain } from './messages.js';
import { errorFields, silentLogger, type P2pLogger } from './observe.js';
import type { PeerManager } from './peer-manager.js';
import { SeenSet } from './seen-set.js';

/**
 * What a hosted chain gives the router. Message handlers get the body bytes of the envelope and
 * decode them themselves; one that throws a codec error (or returns a promise rejected with one)
 * has the sender scored down, anything else is logged as this node's own fault.
 */
export interface ChainHandlers {
  onConsensus?(peer: PeerIdentity, body: Uint8Array): void | Promise<void>;
  onTransaction?(peer: PeerIdentity, body: Uint8Array): void | Promise<void>;
  onSync?(peer: PeerIdentity, body: Uint8Array): void | Promise<void>;
  /** A connected peer turned out to host this chain (by its hello or a later update). */
  onPeerReady?(peer: PeerIdentity, height: number): void;
  /** A peer hosting this chain disconnected or stopped hosting it. */
  onPeerGone?(peer: PeerIdentity): void;
  /** The chain's current height, sent to peers in hello and chain updates. */
  height?(): number;
}

export interface RouterOptions {
  /** The network's id: the root CA certificate's fingerprint. */
  readonly networkId: string;
  /** A peer that sends no hello within this time is dropped (default 10 s). */
  readonly helloTimeoutMs?: number;
  /** How many transactions the gossip duplicate filter remembers (default 50,000). */
  readonly seenTransactions?: number;
  readonly logger?: P2pLogger;
}

export interface PeerChainInfo {
  readonly peer: PeerIdentity;
  readonly height: number;
}

interface PeerState {
  readonly conn: PeerConnection;
  ready: boolean;
  chains: Map<string, number>;
  helloTimer: NodeJS.Timeout | undefined;
}

/**
 * Multiplexes the app chains of this node over the peer manager's connections: exchanges hello,
 * tracks which peer hosts which chain, dispatches each message to its chain's handlers and gossips
 * only to peers hosting the chain. Nothing a peer sends can throw out of here.
 */
export class Router {
  private readonly peers = new Map<string, PeerState>();
  private readonly chains = new Map<string, ChainHandlers>();
  private readonly seen: SeenSet;
  private readonly helloTimeoutMs: number;
  private readonly logger: P2pLogger;
  private announcePending = false;
  private closed = false;
  private readonly listeners = {
    connected: (conn: PeerConnection) => this.onConnected(conn),
    disconnected: (conn: PeerConnection) => this.onDisconnected(conn),
    frame: (conn: PeerConnection, frame: Frame) => this.onFrame(conn, frame),
  };

  constructor(
    readonly manager: PeerManager,
    private readonly options: RouterOptions,
  ) {
    this.seen = new SeenSet(options.seenTransactions ?? 50_000);
    this.helloTimeoutMs = options.helloTimeoutMs ?? 10_000;
    this.logger = options.logger ?? silentLogger;
    manager.on('connected', this.listeners.connected);
    manager.on('disconnected', this.listeners.disconnected);
    manager.on('frame', this.listeners.frame);
    for (const conn of manager.connections()) this.onConnected(conn);
  }

  /** Hosts a chain; returns the function that stops hosting it. */
  register(chainId: string, handlers: ChainHandlers): () => void {
    if (this.chains.has(chainId)) throw new RouterUsageError(`chain ${chainId} is already registered`);
    this.chains.set(chainId, handlers);
    this.scheduleAnnounce();
    for (const state of this.peers.values()) {
      const height = state.ready ? state.chains.get(chainId) : undefined;
      if (height !== undefined) handlers.onPeerReady?.(state.conn.peer, height);
    }
    return () => {
      if (this.chains.get(chainId) !== handlers) return;
      this.chains.delete(chainId);
      this.scheduleAnnounce();
    };
  }

  /** Sends to every ready peer that hosts the chain; returns how many it went to. */
  broadcast(chainId: string, channel: ChainChannel, body: Uint8Array): number {
    checkChannel(channel);
    const payload = encodeEnvelope(chainId, body);
    const key = channel === CHANNEL.transactions ? txKey(chainId, body) : undefined;
    if (key !== undefined) this.seen.record(key, undefined);
    let sent = 0;
    for (const state of this.peers.values()) {
      if (!state.ready || !state.chains.has(chainId)) continue;
      const fingerprint = state.conn.peer.fingerprint;
      if (key !== undefined) {
        if (this.seen.has(key, fingerprint)) continue;
        this.seen.record(key, fingerprint);
      }
      if (this.manager.send(state.conn, channel, payload)) sent++;
    }
    return sent;
  }

  /** Sends to one peer, if it is connected and has said hello. */
  send(peer: PeerIdentity | string, chainId: string, channel: ChainChannel, body: Uint8Array): boolean {
    checkChannel(channel);
    const state = this.peers.get(typeof peer === 'string' ? peer : peer.fingerprint);
    if (!state?.ready) return false;
    return this.manager.send(state.conn, channel, encodeEnvelope(chainId, body));
  }

  /** The ready peers that host `chainId`, with the last height each reported. */
  peersHosting(chainId: string): PeerChainInfo[] {
    const out: PeerChainInfo[] = [];
    for (const state of this.peers.values()) {
      const height = state.ready ? state.chains.get(chainId) : undefined;
      if (height !== undefined) out.push({ peer: state.conn.peer, height });
    }
    return out;
  }

  /** Records a newer (or, after a failed sync, lower) height of a peer's chain, learned by block sync. */
  setPeerHeight(peer: PeerIdentity, chainId: string, height: number): void {
    const state = this.peers.get(peer.fingerprint);
    if (state?.ready && state.chains.has(chainId)) state.chains.set(chainId, height);
  }

  /** For the chain layer: `peer` sent something that failed validation. */
  reportInvalid(peer: PeerIdentity, reason: string | Error): void {
    this.manager.reportInvalid(peer, reason);
  }

  /** Detaches from the peer manager and clears hello timers (the manager's close() closes connections). */
  close(): void {
    this.closed = true;
    this.manager.off('connected', this.listeners.connected);
    this.manager.off('disconnected', this.listeners.disconnected);
    this.manager.off('frame', this.listeners.frame);
    for (const state of this.peers.values()) clearTimeout(state.helloTimer);
    this.peers.clear();
  }

  private hostedChains(): HostedChain[] {
    return [...this.chains].map(([chainId, handlers]) => ({ chainId, height: handlers.height?.() ?? 0 }));
  }

  /** Coalesces the chain updates of many registrations in one tick (a node starting 1,000 chains). */
  private scheduleAnnounce(): void {
    if (this.announcePending) return;
    this.announcePending = true;
    queueMicrotask(() => {
      this.announcePending = false;
      if (this.closed) return;
      const payload = encodeControl({ type: 'chains', chains: this.hostedChains() });
      for (const state of this.peers.values()) this.manager.send(state.conn, CHANNEL.control, payload);
    });
  }

  private onConnected(conn: PeerConnection): void {
    const state: PeerState = { conn, ready: false, chains: new Map(), helloTimer: undefined };
    this.peers.set(conn.peer.fingerprint, state);
    state.helloTimer = setTimeout(() => conn.drop(new HelloTimeoutError(`no hello from ${conn.peer.name} in ${this.helloTimeoutMs} ms`)), this.helloTimeoutMs);
    this.manager.send(conn, CHANNEL.control, encodeControl({ type: 'hello', version: PROTOCOL_VERSION, networkId: this.options.networkId, chains: this.hostedChains() }));
  }

  private onDisconnected(conn: PeerConnection): void {
    const state = this.peers.get(conn.peer.fingerprint);
    if (state?.conn !== conn) return;
    clearTimeout(state.helloTimer);
    this.peers.delete(conn.peer.fingerprint);
    if (state.ready) this.updateChains(state, new Map());
  }

  private onFrame(conn: PeerConnection, frame: Frame): void {
    const state = this.peers.get(conn.peer.fingerprint);
    if (state?.conn !== conn) return;
    try {
      if (frame.channel === CHANNEL.control) this.onControl(state, frame.payload);
      else if (isChainChannel(frame.channel)) this.onChainMessage(state, frame.channel, frame.payload);
      // Unknown channels are left for later protocol versions: counted, not punished.
      else this.manager.counters.ignoredUnknownChannel++;
    } catch (err) {
      this.peerFault(conn.peer, err);
    }
  }

  private onControl(state: PeerState, payload: Uint8Array): void {
    const message = decodeControl(payload);
    const { peer } = state.conn;
    if (message.type === 'chains') {
      if (!state.ready) throw new ProtocolViolationError('chain update before hello');
      this.updateChains(state, new Map(message.chains.map((c) => [c.chainId, c.height])));
      return;
    }
    if (state.ready) throw new ProtocolViolationError('a second hello');
    if (message.networkId !== this.options.networkId || message.version !== PROTOCOL_VERSION) {
      const reason = new NetworkMismatchError(`peer ${peer.name} is on network ${message.networkId} protocol ${message.version}; this node is on ${this.options.networkId} protocol ${PROTOCOL_VERSION}`);
      this.logger.warn({ peer: peer.name, fingerprint: peer.fingerprint, networkId: message.networkId, version: message.version }, 'dropped a peer of another network or protocol');
      state.conn.drop(reason);
      return;
    }
    clearTimeout(state.helloTimer);
    state.helloTimer = undefined;
    state.ready = true;
    this.updateChains(state, new Map(message.chains.map((c) => [c.chainId, c.height])));
  }

  /** Replaces the peer's chain list and tells the chains this node hosts who joined and who left. */
  private updateChains(state: PeerState, next: Map<string, number>): void {
    const previous = state.chains;
    state.chains = next;
    const { peer } = state.conn;
    for (const chainId of previous.keys()) if (!next.has(chainId)) this.chains.get(chainId)?.onPeerGone?.(peer);
    for (const [chainId, height] of next) if (!previous.has(chainId)) this.chains.get(chainId)?.onPeerReady?.(peer, height);
  }

  private onChainMessage(state: PeerState, channel: ChainChannel, payload: Uint8Array): void {
    if (!state.ready) throw new ProtocolViolationError('chain message before hello');
    const { chainId, body } = decodeEnvelope(payload);
    const handlers = this.chains.get(chainId);
    if (!handlers) {
      this.manager.counters.ignoredUnknownChain++;
      return;
    }
    const { peer } = state.conn;
    if (channel === CHANNEL.transactions) {
      if (!this.seen.record(txKey(chainId, body), peer.fingerprint)) {
        this.manager.counters.duplicateTransactions++;
        return;
      }
      this.invoke(peer, () => handlers.onTransaction?.(peer, body));
    } else if (channel === CHANNEL.consensus) {
      this.invoke(peer, () => handlers.onConsensus?.(peer, body));
    } else {
      this.invoke(peer, () => handlers.onSync?.(peer, body));
    }
  }

  private invoke(peer: PeerIdentity, call: () => void | Promise<void>): void {
    try {
      const result = call();
      if (result instanceof Promise) result.catch((err: unknown) => this.peerFault(peer, err));
    } catch (err) {
      this.peerFault(peer, err);
    }
  }

  /** Scores the peer for what it sent; an error that is not about the peer's data is ours, and only logged. */
  private peerFault(peer: PeerIdentity, err: unknown): void {
    if (err instanceof MessageDecodeError || err instanceof CodecError) {
      this.manager.counters.decodeErrors++;
      this.manager.penalize(peer, 'undecodable', err instanceof MessageDecodeError ? err : new MessageDecodeError(err.message, { cause: err }));
    } else if (err instanceof ProtocolViolationError) {
      this.manager.penalize(peer, 'protocol', err);
    } else {
      this.logger.warn({ peer: peer.name, ...errorFields(err) }, 'a chain handler failed on a peer message');
    }
  }
}

function checkChannel(channel: number): void {
  if (!isChainChannel(channel)) throw new RouterUsageError(`channel ${channel} does not carry chain messages`);
}

function txKey(chainId: string, body: Uint8Array): string {
  return `${chainId}\u0000${createHash('sha256').update(body).digest('base64')}`;
}
