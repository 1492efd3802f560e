import { mkdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { ClassicLevel } from 'classic-level';
import type { Logger } from 'pino';
import type { PrivateKey } from '../crypto/index.js';
import { parseCertificatePem, readPrivateKeyPem } from '../pki/index.js';
import { BlockStore, WriteAheadLog, checkBlockLinks, decodeBlock } from '../chain/index.js';
import { decodeCommitCertificate, valueIdOf, verifyCommitCertificate, type ConsensusConfig, type ConsensusMessage } from '../consensus/index.js';
import { EvmApplication, EvmCallPool, evmChainIdOf, GovApplication, KvApplication, type Application, type EvmQueryOptions } from '../execution/index.js';
import type { CodecValue } from '../codec/index.js';
import { BlockSync, CHANNEL, MessageDecodeError, PeerManager, Router } from '../p2p/index.js';
import { ChainRunner } from './chain-runner.js';
import { splitHostPort, type NodeConfig } from './config.js';
import { CrlReloader, type ReloadOutcome } from './crl-reloader.js';
import { decodeConsensusMessage } from './consensus-wire.js';
import { CommitWaiters } from './commit-waiters.js';
import { DuplicateEvmChainIdError, NodeConfigError, NodeListenError, WireFormatError, SyncedBlockMismatchError } from './errors.js';
import { loadGenesis, type ChainGenesis } from './genesis.js';
import { GenesisError } from './errors.js';
import { Mempool, MempoolBadSignatureError, MempoolMalformedError, MempoolWrongChainError, VerifyPool } from './mempool/index.js';
import { NodeMetrics } from './metrics.js';

/** One hosted app chain and everything that serves it. */
export interface HostedChain {
  readonly genesis: ChainGenesis;
  readonly app: Application;
  readonly mempool: Mempool;
  readonly store: BlockStore;
  readonly runner: ChainRunner;
  readonly sync: BlockSync;
  readonly wal: WriteAheadLog;
}

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
    const nodeKey = readPrivateKeyPem(keyPem);
    try {
      for (const chain of config.chains) await node.host(loadGenesis(chain.genesis), nodeKey);
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

  async stop(): Promise<void> {
    this.crlReloader?.close();
    if (this.regossipTimer) clearInterval(this.regossipTimer);
    this.waiters.cancelAll();
    for (const c of this.chains.values()) {
      c.sync.stop();
      await c.runner.stop();
      await c.mempool.close();
      c.wal.close();
    }
    await this.verifyPool.close();
    await this.callPool.close();
    this.router.close();
    await this.peers.close();
    await this.db.close();
    this.log.info({}, 'city node stopped');
  }

  private async host(genesis: ChainGenesis, nodeKey: PrivateKey): Promise<void> {
    const chainId = genesis.file.chainId;
    const suite = genesis.suite;
    const chainLog = this.log.child({ chain: chainId });
    // Txs signed for one EVM chain id replay on every chain that shares it (review L7).
    const evmId = evmChainIdOfGenesis(genesis);
    const twin = evmId === undefined ? undefined : [...this.chains.values()].find((c) => evmChainIdOfGenesis(c.genesis) === evmId);
    if (twin) throw new DuplicateEvmChainIdError(`chains '${twin.genesis.file.chainId}' and '${chainId}' both have EVM chain id ${evmId}: a transaction for one would be valid on the other`);
    const app = await openApplication(this.db, genesis, { pool: this.callPool, ...(this.config.calls.gasCap !== undefined && { gasCap: BigInt(this.config.calls.gasCap) }) });
    const mempool = Mempool.open(app, { hash: (tx) => suite.hash(tx), pool: this.verifyPool, limits: { maxTxs: this.config.mempool.maxTxs, maxBytes: this.config.mempool.maxBytes, maxInFlight: this.config.mempool.maxInFlight } });
    const store = await BlockStore.open(this.db, chainId);
    const { wal, recovery } = WriteAheadLog.open(path.join(this.config.dataDir, 'wal', `${chainId}.wal`));
    if (recovery.truncatedBytes > 0) chainLog.warn({ bytes: recovery.truncatedBytes }, 'cut a torn tail off the consensus WAL');
    // Every node of the chain's suite holds its key: it votes at the heights whose set has it
    // (the governance chain adds and removes validators as it runs).
    const ownKey = nodeKey.suite === suite.name ? nodeKey : null;
    const runner = new ChainRunner({
      genesis,
      app,
      mempool,
      store,
      wal,
      walRecords: recovery.records,
      privateKey: ownKey,
      consensus: consensusConfig(this.config),
      // A proposal carries its whole block in one frame: keep blocks well under the frame limit.
      limits: { maxBlockBytes: Math.min(1024 * 1024, Math.floor(this.config.p2p.maxFrameBytes / 2)), maxBlockTxs: 5000, maxBlockDriftMs: this.config.consensus.maxBlockDriftMs },
      log: chainLog,
      network: {
        broadcastConsensus: (bytes) => this.router.broadcast(chainId, CHANNEL.consensus, bytes),
        reportInvalid: (peer, reason) => {
          const conn = this.peers.connection(peer);
          if (conn) this.router.reportInvalid(conn.peer, reason);
        },
      },
      onCommit: (block, latencyMs, results) => {
        // Peers that missed this height's votes (restarted, partitioned) learn it here and block-sync it.
        sync.announce();
        this.waiters.committed(chainId, (tx: Uint8Array) => Buffer.from(suite.hash(tx)).toString('hex'), block.txs, block.header.height, results);
        for (const listener of this.commitListeners.get(chainId) ?? []) listener(block.header.height);
        this.metrics.height.set({ chain: chainId }, block.header.height);
        this.metrics.committedTxs.inc({ chain: chainId }, block.txs.length);
        this.metrics.commitLatency.observe({ chain: chainId }, latencyMs / 1000);
        this.metrics.mempoolSize.set({ chain: chainId }, mempool.count);
        this.metrics.mempoolBytes.set({ chain: chainId }, mempool.bytes);
      },
    });
    const sync = new BlockSync({
      router: this.router,
      chainId,
      // The runner stores a synced block itself (through the driver's decide), after executing it.
      store: { get height() { return store.height; }, block: (h) => store.block(h), certificate: (h) => store.certificate(h), append: (h, b, c) => runner.applySyncedBlock(h, b, c) },
      verify: async (height, blockBytes, certBytes) => {
        const cert = decodeCommitCertificate(certBytes);
        // The certificate is bound to this block at this height before anything runs (H5).
        if (cert.height !== height) throw new SyncedBlockMismatchError(`a certificate of height ${cert.height} came for height ${height}`);
        if (cert.valueId !== valueIdOf(suite, blockBytes)) throw new SyncedBlockMismatchError(`the block of height ${height} is not the one its certificate commits`);
        const validators = runner.validatorSetFor(height);
        if (!validators) throw new SyncedBlockMismatchError(`height ${height} is past the next one; its validator set is not known yet`);
        verifyCommitCertificate(cert, validators, suite, chainId);
        const parent = height > 1 ? decodeBlock((await store.block(height - 1))!).header : undefined;
        checkBlockLinks(suite, decodeBlock(blockBytes), parent, chainId);
      },
      logger: chainLog,
      serve: { requestsPerSecond: this.config.p2p.syncRequestsPerSecond, burst: this.config.p2p.syncBurst, maxReplyBytes: this.config.p2p.syncMaxReplyBytes },
    });
    const syncHandlers = sync.handlers();
    this.router.register(chainId, {
      ...syncHandlers,
      onConsensus: (peer, body) => runner.onMessage(peer.fingerprint, decodePeerConsensusMessage(body)),
      onTransaction: async (peer, body) => {
        try {
          await mempool.add(body);
          this.router.broadcast(chainId, CHANNEL.transactions, body);
        } catch (err) {
          this.metrics.txRejected.inc({ chain: chainId, code: (err as { code?: string }).code ?? 'UNKNOWN' });
          chainLog.debug({ peer: peer.name, err: (err as Error).message }, 'gossiped tx refused');
          // A tx no honest node would relay costs the sender score (M13); a stale or duplicate one does not.
          if (isPeerFault(err)) this.router.reportInvalid(peer, err);
        }
      },
    });
    await runner.start();
    sync.start();
    this.metrics.height.set({ chain: chainId }, store.height);
    this.chains.set(chainId, { genesis, app, mempool, store, runner, sync, wal });
    chainLog.info({ height: store.height, validator: runner.isValidator }, 'hosting chain');
  }
}

function consensusConfig(config: NodeConfig): ConsensusConfig {
  const c = config.consensus;
  return {
    timeouts: {
      propose: { base: c.timeoutProposeMs, delta: c.timeoutDeltaMs },
      prevote: { base: c.timeoutPrevoteMs, delta: c.timeoutDeltaMs },
      precommit: { base: c.timeoutPrecommitMs, delta: c.timeoutDeltaMs },
    },
    createEmptyBlocks: c.emptyBlocksIntervalMs > 0,
    emptyBlocksInterval: c.emptyBlocksIntervalMs,
    maxRoundsAhead: c.maxRoundsAhead,
  };
}

/**
 * A peer's consensus message. Bytes that are CBOR but not a consensus message (WireFormatError)
 * are the peer's fault like undecodable ones: as a MessageDecodeError the router scores the peer,
 * where any other error would be logged as this node's own failure and the peer go unpunished.
 */
function decodePeerConsensusMessage(body: Uint8Array): ConsensusMessage {
  try {
    return decodeConsensusMessage(body);
  } catch (err) {
    if (err instanceof WireFormatError) throw new MessageDecodeError(`undecodable consensus message: ${err.message}`, { cause: err });
    throw err;
  }
}

/**
 * A gossiped tx that the relaying node must have known to be bad: it fails the stateless check
 * every node runs before relaying. Nonce, duplicate, full or busy refusals depend on timing and
 * on this node's state, so an honest peer can cause them.
 */
function isPeerFault(err: unknown): err is Error {
  return err instanceof MempoolBadSignatureError || err instanceof MempoolMalformedError || err instanceof MempoolWrongChainError;
}

/**
 * A governance chain's validators are its registry's active nodes: a genesis file whose list
 * says otherwise would start consensus with a set the chain's own state contradicts.
 */
function checkGovValidators(genesis: ChainGenesis): void {
  const { chainId, appState, time } = genesis.file;
  let expected;
  try {
    expected = GovApplication.validatorsOf((appState ?? null) as CodecValue, time);
  } catch (cause) {
    throw new GenesisError(`chain '${chainId}': its governance genesis state is refused: ${(cause as Error).message}`, { cause });
  }
  const key = (publicKey: Uint8Array | string, power: number | bigint) => `${typeof publicKey === 'string' ? publicKey : Buffer.from(publicKey).toString('hex')}/${power}`;
  const want = expected.map((v) => key(v.publicKey, v.power)).sort();
  const have = genesis.validators.validators.map((v) => key(v.publicKey.bytes, v.power)).sort();
  if (want.join() !== have.join()) throw new GenesisError(`chain '${chainId}': the genesis validators are not the registry's active nodes (${expected.map((v) => v.name).join(', ')})`);
}

/** The Ethereum chain id of an EVM chain's genesis; undefined for other apps (and a bad appState, which openApplication reports). */
function evmChainIdOfGenesis(genesis: ChainGenesis): number | undefined {
  if (genesis.file.app !== 'evm') return undefined;
  try {
    return evmChainIdOf({ appState: (genesis.file.appState ?? null) as CodecValue });
  } catch {
    return undefined;
  }
}

async function openApplication(db: ClassicLevel<string, Uint8Array>, genesis: ChainGenesis, calls: EvmQueryOptions): Promise<Application> {
  const { chainId, app, appState } = genesis.file;
  if (app === 'kv') return KvApplication.open(db, chainId, { suite: genesis.suite });
  if (app === 'gov') {
    checkGovValidators(genesis);
    return GovApplication.open(db, chainId, { suite: genesis.suite });
  }
  const evmChainId = evmChainIdOf({ appState: (appState ?? null) as CodecValue });
  if (evmChainId === undefined) throw new NodeConfigError(`chain '${chainId}' runs the EVM: its genesis appState needs a numeric chainId`);
  return EvmApplication.open(db, chainId, { chainId: evmChainId, calls });
}
