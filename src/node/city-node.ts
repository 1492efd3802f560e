import { mkdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { ClassicLevel } from 'classic-level';
import type { Logger } from 'pino';
import type { PrivateKey } from '../crypto/index.js';
import { parseCertificatePem, readPrivateKeyPem } from '../pki/index.js';
import { EvmCallPool } from '../execution/index.js';
import { CHANNEL, PeerManager, Router } from '../p2p/index.js';
import { splitHostPort, type NodeConfig } from './config.js';
import { CrlReloader, type ReloadOutcome } from './crl-reloader.js';
import { CommitWaiters } from './commit-waiters.js';
import { NodeConfigError, NodeListenError } from './errors.js';
import { loadGenesis, type ChainGenesis } from './genesis.js';
import { VerifyPool } from './mempool/index.js';
import { NodeMetrics } from './metrics.js';
import { closeChain, openChain, type ChainHostContext, type HostedChain } from './chain-host.js';

export type { HostedChain } from './chain-host.js';

const REGOSSIP_MS = 1000;

/** One hosted chain in `bsn status` and /status. */
export interface ChainStatus {
  readonly chainId: string;
  readonly height: number;
  readonly round: number;
  readonly mempool: number;
  readonly caughtUp: boolean;
  /** Whether this node votes at the current height. */
  readonly validator: boolean;
  /** The names of the current height's validators. */
  readonly validators: readonly string[];
  /** Who signed the last commit certificate (by name). */
  readonly lastSigners: readonly string[];
}

/**
 * A city node: one LevelDB, one mutual-TLS peer network, and the app chains it hosts. It wires
 * the layers together and owns nothing the layers below do not already do.
 */
export class CityNode {
  readonly metrics = new NodeMetrics();
  readonly chains = new Map<string, HostedChain>();
  private regossipTimer: NodeJS.Timeout | undefined;
  private readonly waiters = new CommitWaiters();
  /** Told each height a hosted chain commits (after the application committed it). */
  private readonly commitListeners = new Map<string, Set<(height: number) => void>>();
  private p2pPort = 0;
  private crlReloader: CrlReloader | undefined;
  /** Told the CRLs each time new ones are put in force (the gateway's authenticator, in `bsn node start`). */
  private readonly crlListeners = new Set<(pems: readonly string[]) => void>();

  /** One set of signature-checking threads for every chain this node hosts. */
  private readonly verifyPool: VerifyPool;
  /** One set of eth_call threads for every EVM chain, off the thread that drives consensus (H3). */
  private readonly callPool: EvmCallPool;
  private nodeKey: PrivateKey | undefined;
  /** Per hosted chain, the function that takes it off the router. */
  private readonly unregister = new Map<string, () => void>();
  /** Hosting and unhosting run one at a time. */
  private hosting: Promise<unknown> = Promise.resolve();
  private readonly chainListeners = new Set<(chainId: string, hosted: boolean) => void>();

  private constructor(
    readonly config: NodeConfig,
    private readonly log: Logger,
    private readonly db: ClassicLevel<string, Uint8Array>,
    readonly peers: PeerManager,
    readonly router: Router,
  ) {
    this.verifyPool = new VerifyPool(undefined, { size: config.mempool.verifyWorkers, maxQueued: config.mempool.maxVerifyQueue });
    const { workers, maxQueued, timeoutMs, cpuShare } = config.calls;
    this.callPool = new EvmCallPool({ ...(workers !== undefined && { workers }), ...(maxQueued !== undefined && { maxQueued }), ...(timeoutMs !== undefined && { timeoutMs }), ...(cpuShare !== undefined && { cpuShare }) });
  }

  static async start(config: NodeConfig, log: Logger): Promise<CityNode> {
    const read = (file: string, what: string) => {
      try {
        return readFileSync(file, 'utf8');
      } catch (cause) {
        throw new NodeConfigError(`cannot read ${what} '${file}': ${(cause as Error).message}`, { cause });
      }
    };
    const rootPem = read(config.network.rootCert, 'root certificate');
    const certPem = read(config.tls.cert, 'node certificate');
    const keyPem = read(config.tls.key, 'node key');
    const transport = {
      certChainPem: certPem + config.tls.chain.map((f) => read(f, 'CA certificate')).join(''),
      keyPem,
      rootPem,
      crlPems: config.network.crls.map((f) => read(f, 'CRL')),
      maxFrameBytes: config.p2p.maxFrameBytes,
      maxQueuedBytes: config.p2p.maxQueuedBytes,
      limits: { maxInbound: config.p2p.maxInbound, maxInboundPerIp: config.p2p.maxInboundPerIp, maxInboundPerIdentity: config.p2p.maxInboundPerIdentity },
    };
    // 0700 (dataDir too, when this creates it): chain state and the gateway's sealed keys are the node's alone.
    mkdirSync(path.join(config.dataDir, 'wal'), { recursive: true, mode: 0o700 });
    const db = new ClassicLevel<string, Uint8Array>(path.join(config.dataDir, 'db'), { valueEncoding: 'view' });
    await db.open();
    const p2pLog = log.child({ module: 'p2p' });
    const peers = new PeerManager({ transport, persistentPeers: config.p2p.peers, logger: p2pLog });
    const router = new Router(peers, { networkId: parseCertificatePem(rootPem).fingerprint, logger: p2pLog });
    const node = new CityNode(config, log, db, peers, router);
    node.metrics.observeP2p(() => peers.metrics());
    node.crlReloader = new CrlReloader({
      files: config.network.crls,
      initialPems: transport.crlPems,
      apply: (pems) => node.applyCrls(pems),
      intervalMs: config.network.crlReloadIntervalMs,
      watch: config.network.crlWatch,
      expiryWarningMs: config.network.crlExpiryWarningHours * 3_600_000,
      onExpiry: (issuer, seconds) => node.metrics.crlNextUpdate.set({ issuer }, seconds),
      log: p2pLog,
    });
    node.nodeKey = readPrivateKeyPem(keyPem);
    try {
      for (const chain of config.chains) await node.host(loadGenesis(chain.genesis));
    } catch (err) {
      // The chains hosted so far run (timers, workers, LevelDB): stop them, then fail the start.
      await node.stop().catch(() => undefined);
      throw err;
    }
    const listen = splitHostPort(config.p2p.listen);
    try {
      node.p2pPort = (await peers.listen(listen.port, listen.host)).port;
    } catch (cause) {
      // The chains already run: stop them, or the process lives on without a p2p listener.
      await node.stop();
      throw new NodeListenError('p2p', config.p2p.listen, cause);
    }
    peers.start();
    node.crlReloader.start();
    node.regossipTimer = setInterval(() => {
      for (const c of node.chains.values()) {
        c.runner.regossip();
        node.metrics.round.set({ chain: c.genesis.file.chainId }, c.runner.round);
        node.metrics.mempoolSize.set({ chain: c.genesis.file.chainId }, c.mempool.count);
      }
      node.metrics.peers.set(peers.connections().length);
    }, REGOSSIP_MS);
    log.info({ p2p: `${listen.host}:${node.p2pPort}`, chains: [...node.chains.keys()] }, 'city node started');
    return node;
  }

  get p2pAddress(): string {
    return `${splitHostPort(this.config.p2p.listen).host}:${this.p2pPort}`;
  }

  /** Heights, rounds and peers, for `bsn status` and the /status endpoint. */
  status(): { name: string; peers: string[]; chains: ChainStatus[] } {
    return {
      name: this.config.name,
      peers: this.peers.connections().map((c) => c.peer.name),
      chains: [...this.chains.values()].map((c) => ({
        chainId: c.genesis.file.chainId,
        height: c.store.height,
        round: c.runner.round,
        mempool: c.mempool.count,
        caughtUp: c.sync.isCaughtUp,
        validator: c.runner.isValidator,
        validators: c.runner.validators.validators.map((v) => c.runner.sets.nameOf(v.address)),
        lastSigners: c.runner.lastSigners.map((a) => c.runner.sets.nameOf(a)),
      })),
    };
  }

  /**
   * Calls `listener` with each height chain `chainId` commits from now on, once its state is
   * committed (so reads at that height see it); returns the function that stops it. Listeners
   * must not throw and should return quickly: they run on the chain's commit path.
   */
  onCommitted(chainId: string, listener: (height: number) => void): () => void {
    let set = this.commitListeners.get(chainId);
    if (!set) this.commitListeners.set(chainId, (set = new Set()));
    set.add(listener);
    return () => {
      set.delete(listener);
    };
  }

  /** Admits a tx into a chain's mempool and gossips it; throws the mempool's typed rejection. */
  async submit(chainId: string, tx: Uint8Array): Promise<{ hash: string }> {
    const chain = this.chains.get(chainId);
    if (!chain) throw new NodeConfigError(`this node does not host chain '${chainId}'`);
    const added = await chain.mempool.add(tx);
    this.router.broadcast(chainId, CHANNEL.transactions, tx);
    return { hash: added.hash };
  }

  /**
   * Resolves with the height at which `tx` commits; rejects after `timeoutMs`, when `signal`
   * aborts (a caller whose submission was refused gives up at once instead of holding a timer
   * for the whole timeout), or when the node stops.
   */
  commitWaiter(chainId: string, tx: Uint8Array, timeoutMs: number, signal?: AbortSignal): Promise<number> {
    const chain = this.chains.get(chainId);
    if (!chain) return Promise.reject(new NodeConfigError(`this node does not host chain '${chainId}'`));
    return this.waiters.wait(chainId, Buffer.from(chain.genesis.suite.hash(tx)).toString('hex'), timeoutMs, signal);
  }

  /**
   * Reads the CRL files again now (SIGHUP); new CRLs go to TLS, to the live connections (revoked
   * peers are dropped) and to the listeners of onCrlsReloaded. Never throws: a bad file is logged.
   */
  reloadCrls(trigger = 'request'): ReloadOutcome {
    return this.crlReloader?.reload(trigger) ?? 'unchanged';
  }

  /** Calls `listener` with the CRLs each time new ones are put in force; returns the function that stops it. */
  onCrlsReloaded(listener: (pems: readonly string[]) => void): () => void {
    this.crlListeners.add(listener);
    return () => {
      this.crlListeners.delete(listener);
    };
  }

  private applyCrls(pems: readonly string[]): void {
    const dropped = this.peers.updateCrls(pems);
    if (dropped.length > 0) this.log.warn({ peers: dropped.map((p) => p.name) }, 'revoked peers disconnected');
    for (const listener of this.crlListeners) listener(pems);
  }

  /**
   * Starts hosting a chain while the node runs (the app lifecycle places apps on nodes by
   * governance): its state machine, mempool, consensus and block sync, announced to the peers.
   */
  hostChain(genesis: ChainGenesis): Promise<HostedChain> {
    return this.serially(async () => {
      const chainId = genesis.file.chainId;
      if (this.chains.has(chainId)) throw new NodeConfigError(`this node already hosts chain '${chainId}'`);
      await this.host(genesis);
      for (const listener of this.chainListeners) listener(chainId, true);
      return this.chains.get(chainId)!;
    });
  }

  /** Stops hosting a chain while the node runs; its blocks and state stay in the store. */
  unhostChain(chainId: string): Promise<void> {
    return this.serially(async () => {
      const chain = this.chains.get(chainId);
      if (!chain) throw new NodeConfigError(`this node does not host chain '${chainId}'`);
      this.unregister.get(chainId)?.();
      this.unregister.delete(chainId);
      this.chains.delete(chainId);
      await closeChain(chain);
      this.log.info({ chain: chainId }, 'stopped hosting chain');
      for (const listener of this.chainListeners) listener(chainId, false);
    });
  }

  /** Calls `listener` each time a chain starts or stops being hosted; returns the function that stops it. */
  onChainsChanged(listener: (chainId: string, hosted: boolean) => void): () => void {
    this.chainListeners.add(listener);
    return () => {
      this.chainListeners.delete(listener);
    };
  }

  private serially<T>(step: () => Promise<T>): Promise<T> {
    const run = this.hosting.then(step, step);
    this.hosting = run.catch(() => undefined);
    return run;
  }

  async stop(): Promise<void> {
    this.crlReloader?.close();
    if (this.regossipTimer) clearInterval(this.regossipTimer);
    this.waiters.cancelAll();
    await this.hosting;
    for (const c of this.chains.values()) await closeChain(c);
    await this.verifyPool.close();
    await this.callPool.close();
    this.router.close();
    await this.peers.close();
    await this.db.close();
    this.log.info({}, 'city node stopped');
  }

  private async host(genesis: ChainGenesis): Promise<void> {
    const { chain, unregister } = await openChain(this.hostContext(), genesis);
    this.unregister.set(genesis.file.chainId, unregister);
    this.chains.set(genesis.file.chainId, chain);
  }

  private hostContext(): ChainHostContext {
    return {
      config: this.config,
      log: this.log,
      db: this.db,
      peers: this.peers,
      router: this.router,
      metrics: this.metrics,
      verifyPool: this.verifyPool,
      callPool: this.callPool,
      waiters: this.waiters,
      commitListeners: this.commitListeners,
      nodeKey: this.nodeKey!,
      chains: this.chains,
    };
  }
}
