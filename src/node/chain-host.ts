import path from 'node:path';
import type { ClassicLevel } from 'classic-level';
import type { Logger } from 'pino';
import type { PrivateKey } from '../crypto/index.js';
import { BlockStore, WriteAheadLog, checkBlockLinks, decodeBlock } from '../chain/index.js';
import { decodeCommitCertificate, valueIdOf, verifyCommitCertificate, type ConsensusConfig, type ConsensusMessage } from '../consensus/index.js';
import { EvmApplication, EvmCallPool, evmChainIdOf, GovApplication, KvApplication, type Application, type EvmQueryOptions } from '../execution/index.js';
import type { CodecValue } from '../codec/index.js';
import { BlockSync, CHANNEL, MessageDecodeError, type PeerManager, type Router } from '../p2p/index.js';
import { ChainRunner } from './chain-runner.js';
import type { NodeConfig } from './config.js';
import { decodeConsensusMessage } from './consensus-wire.js';
import type { CommitWaiters } from './commit-waiters.js';
import { DuplicateEvmChainIdError, GenesisError, NodeConfigError, WireFormatError, SyncedBlockMismatchError } from './errors.js';
import type { ChainGenesis } from './genesis.js';
import { Mempool, MempoolBadSignatureError, MempoolMalformedError, MempoolWrongChainError, type VerifyPool } from './mempool/index.js';
import type { NodeMetrics } from './metrics.js';

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

/** What a hosted chain shares with the rest of its city node. */
export interface ChainHostContext {
  readonly config: NodeConfig;
  readonly log: Logger;
  readonly db: ClassicLevel<string, Uint8Array>;
  readonly peers: PeerManager;
  readonly router: Router;
  readonly metrics: NodeMetrics;
  readonly verifyPool: VerifyPool;
  readonly callPool: EvmCallPool;
  readonly waiters: CommitWaiters;
  readonly commitListeners: ReadonlyMap<string, ReadonlySet<(height: number) => void>>;
  readonly nodeKey: PrivateKey;
  /** The chains hosted already (an EVM chain id must not repeat among them). */
  readonly chains: ReadonlyMap<string, HostedChain>;
}

/**
 * Wires one chain into its city node: its state machine, mempool, block store, WAL, consensus
 * runner and block sync, registered with the router. The chain runs when this returns.
 */
export async function openChain(ctx: ChainHostContext, genesis: ChainGenesis): Promise<{ chain: HostedChain; unregister: () => void }> {
const nodeKey = ctx.nodeKey;
  const chainId = genesis.file.chainId;
  const suite = genesis.suite;
  const chainLog = ctx.log.child({ chain: chainId });
  // Txs signed for one EVM chain id replay on every chain that shares it (review L7).
  const evmId = evmChainIdOfGenesis(genesis);
  const twin = evmId === undefined ? undefined : [...ctx.chains.values()].find((c) => evmChainIdOfGenesis(c.genesis) === evmId);
  if (twin) throw new DuplicateEvmChainIdError(`chains '${twin.genesis.file.chainId}' and '${chainId}' both have EVM chain id ${evmId}: a transaction for one would be valid on the other`);
  const app = await openApplication(ctx.db, genesis, { pool: ctx.callPool, ...(ctx.config.calls.gasCap !== undefined && { gasCap: BigInt(ctx.config.calls.gasCap) }) });
  const mempool = Mempool.open(app, { hash: (tx) => suite.hash(tx), pool: ctx.verifyPool, limits: { maxTxs: ctx.config.mempool.maxTxs, maxBytes: ctx.config.mempool.maxBytes, maxInFlight: ctx.config.mempool.maxInFlight } });
  const store = await BlockStore.open(ctx.db, chainId);
  const { wal, recovery } = WriteAheadLog.open(path.join(ctx.config.dataDir, 'wal', `${chainId}.wal`));
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
    consensus: consensusConfig(ctx.config),
    // A proposal carries its whole block in one frame: keep blocks well under the frame limit.
    limits: { maxBlockBytes: Math.min(1024 * 1024, Math.floor(ctx.config.p2p.maxFrameBytes / 2)), maxBlockTxs: 5000, maxBlockDriftMs: ctx.config.consensus.maxBlockDriftMs },
    log: chainLog,
    network: {
      broadcastConsensus: (bytes) => ctx.router.broadcast(chainId, CHANNEL.consensus, bytes),
      reportInvalid: (peer, reason) => {
        const conn = ctx.peers.connection(peer);
        if (conn) ctx.router.reportInvalid(conn.peer, reason);
      },
    },
    onCommit: (block, latencyMs, results) => {
      // Peers that missed this height's votes (restarted, partitioned) learn it here and block-sync it.
      sync.announce();
      ctx.waiters.committed(chainId, (tx: Uint8Array) => Buffer.from(suite.hash(tx)).toString('hex'), block.txs, block.header.height, results);
      for (const listener of ctx.commitListeners.get(chainId) ?? []) listener(block.header.height);
      ctx.metrics.height.set({ chain: chainId }, block.header.height);
      ctx.metrics.committedTxs.inc({ chain: chainId }, block.txs.length);
      ctx.metrics.commitLatency.observe({ chain: chainId }, latencyMs / 1000);
      ctx.metrics.mempoolSize.set({ chain: chainId }, mempool.count);
      ctx.metrics.mempoolBytes.set({ chain: chainId }, mempool.bytes);
    },
  });
  const sync = new BlockSync({
    router: ctx.router,
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
    serve: { requestsPerSecond: ctx.config.p2p.syncRequestsPerSecond, burst: ctx.config.p2p.syncBurst, maxReplyBytes: ctx.config.p2p.syncMaxReplyBytes },
  });
  const syncHandlers = sync.handlers();
  const unregister = ctx.router.register(chainId, {
    ...syncHandlers,
    onConsensus: (peer, body) => runner.onMessage(peer.fingerprint, decodePeerConsensusMessage(body)),
    onTransaction: async (peer, body) => {
      try {
        await mempool.add(body);
        ctx.router.broadcast(chainId, CHANNEL.transactions, body);
      } catch (err) {
        ctx.metrics.txRejected.inc({ chain: chainId, code: (err as { code?: string }).code ?? 'UNKNOWN' });
        chainLog.debug({ peer: peer.name, err: (err as Error).message }, 'gossiped tx refused');
        // A tx no honest node would relay costs the sender score (M13); a stale or duplicate one does not.
        if (isPeerFault(err)) ctx.router.reportInvalid(peer, err);
      }
    },
  });
      await runner.start();
  sync.start();
  ctx.metrics.height.set({ chain: chainId }, store.height);
  chainLog.info({ height: store.height, validator: runner.isValidator }, 'hosting chain');
  return { chain: { genesis, app, mempool, store, runner, sync, wal }, unregister };
}

export async function closeChain(c: HostedChain): Promise<void> {
  c.sync.stop();
  await c.runner.stop();
  await c.mempool.close();
  c.wal.close();
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
