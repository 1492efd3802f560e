import { CandidateExecutions, ExclusiveLock } from '../candidates.js';
import type { ClassicLevel } from 'classic-level';
import type { Common } from '@ethereumjs/common';
import { Address, createZeroAddress } from '@ethereumjs/util';
import type {
  AppInfo,
  Application,
  BlockContext,
  CheckTxKind,
  CheckTxResult,
  ExecutionResult,
  Genesis,
  ProposalLimits,
  QueryResult,
  StatelessCheckSpec,
  StatelessVerdict,
} from '../application.js';
import { ChainStateError, ExecutionHeightError, GenesisError, UnknownExecutionError } from '../errors.js';
import { runBlockTxs } from './block.js';
import { evmCommon, evmTxCommon } from './common.js';
import { EvmTxError } from './errors.js';
import { EvmExecutor, maxCost } from './executor.js';
import { parseEvmGenesis } from './genesis.js';
import type { Overlay } from './overlay.js';
import { EvmQueries, type EvmQueryOptions } from './query.js';
import { evmResultsRoot, type EvmTxResult } from './receipts.js';
import { evmGenesisStateRoot, evmNextStateRoot } from './root.js';
import { CheckedTxCache, SenderCache } from './sender-cache.js';
import { evmStatelessSpec, evmStatelessVerdict } from './stateless.js';
import { EvmStore } from './store.js';
import { checkEvmTx, EVM_TX_LIMITS, evmTxHashHex, type CheckedEvmTx, type EvmTxLimits } from './tx.js';

export interface EvmAppOptions {
  /** The Ethereum chain id (EIP-155) of this app chain; a genesis appState.chainId must agree. */
  readonly chainId: number;
  /** Gas of all txs of a block together; 30,000,000 unless set. */
  readonly blockGasLimit?: bigint;
  /** Receives the fees (0x address); the zero address unless set. */
  readonly coinbase?: string;
  readonly limits?: EvmTxLimits;
  /** Candidate executions kept for one height before the oldest is dropped. */
  readonly maxExecutions?: number;
  /** eth_call / eth_estimateGas: the worker pool they run on and their gas cap (query.ts). */
  readonly calls?: EvmQueryOptions;
}

export const DEFAULT_BLOCK_GAS_LIMIT = 30_000_000n;

interface Execution extends ExecutionResult {
  readonly results: readonly EvmTxResult[];
  readonly overlay: Overlay;
  readonly records: Map<string, Uint8Array>;
}

/**
 * Ethereum transactions on the EthereumJS VM behind the Application interface, over a flat state
 * in LevelDB (docs/evm.md). Query paths are documented on EvmQueries (query.ts).
 */
export class EvmApplication implements Application {
  readonly statelessCheck: StatelessCheckSpec;
  private readonly executions: CandidateExecutions<Execution>;
  private executionSeq = 0;
  private readonly senders = new SenderCache();
  private readonly checkedTxs = new CheckedTxCache<CheckedEvmTx>();
  private readonly queries: EvmQueries;
  private readonly lock = new ExclusiveLock();

  private constructor(
    private readonly store: EvmStore,
    readonly name: string,
    readonly chainId: number,
    /** The Common txs are decoded with (evmTxCommon); the VMs have their own. */
    readonly common: Common,
    private readonly executor: EvmExecutor,
    private readonly limits: EvmTxLimits,
    maxExecutions: number,
    calls: EvmQueryOptions,
  ) {
    this.statelessCheck = evmStatelessSpec(chainId, limits);
    this.executions = new CandidateExecutions(maxExecutions);
    this.queries = new EvmQueries(store, executor.params, calls);
  }

  /** Opens the EVM state of chain `name` in the node's LevelDB (its own sublevel). */
  static async open(db: ClassicLevel<string, Uint8Array>, name: string, options: EvmAppOptions): Promise<EvmApplication> {
    const store = await EvmStore.open(db, name);
    const params = {
      common: evmCommon(options.chainId),
      chainId: options.chainId,
      blockGasLimit: options.blockGasLimit ?? DEFAULT_BLOCK_GAS_LIMIT,
      coinbase: options.coinbase === undefined ? createZeroAddress() : new Address(Buffer.from(options.coinbase.replace(/^0x/, ''), 'hex')),
    };
    // Calls (eth_call) run on their own VMs in worker threads, never on this one (query.ts).
    const executor = await EvmExecutor.create(params);
    return new EvmApplication(store, name, options.chainId, evmTxCommon(options.chainId), executor, options.limits ?? EVM_TX_LIMITS, options.maxExecutions ?? 64, options.calls ?? {});
  }

  get blockGasLimit(): bigint {
    return this.executor.params.blockGasLimit;
  }

  /** The last height whose state, receipts and block record are committed (info().height, synchronously). */
  get committedHeight(): number {
    return this.store.height;
  }

  async info(): Promise<AppInfo> {
    return { height: this.store.height, stateRoot: this.store.stateRoot };
  }

  checkStateless(tx: Uint8Array): StatelessVerdict {
    const verdict = evmStatelessVerdict(tx, this.common, this.limits);
    if (verdict.ok) this.senders.set(evmTxHashHex(tx), verdict.sender);
    return verdict;
  }

  /**
   * Lets this application reuse a sender that this node's stateless check (in a worker) recovered
   * from exactly these bytes, so that neither checkTx nor executeBlock recovers it again. Only
   * verdicts of `statelessCheck` may be passed here.
   */
  noteStatelessVerdict(tx: Uint8Array, verdict: StatelessVerdict): void {
    if (verdict.ok) this.senders.set(evmTxHashHex(tx), verdict.sender);
  }

  async checkTx(tx: Uint8Array, _kind: CheckTxKind): Promise<CheckTxResult> {
    let c: CheckedEvmTx;
    try {
      c = this.checked(tx);
    } catch (cause) {
      if (cause instanceof EvmTxError) return { ok: false, code: cause.rejectCode, reason: cause.message };
      throw cause;
    }
    const account = await this.store.account(Buffer.from(c.sender.bytes).toString('hex'));
    const next = account?.nonce ?? 0n;
    const from = c.sender.toString();
    if (c.tx.nonce < next) return { ok: false, code: 'TX_NONCE_TOO_LOW', reason: `nonce too low: address ${from}, tx: ${c.tx.nonce} state: ${next}` };
    if (c.tx.nonce > BigInt(Number.MAX_SAFE_INTEGER)) return { ok: false, code: 'TX_INVALID', reason: 'nonce too high' };
    if (c.tx.gasLimit > this.blockGasLimit) return { ok: false, code: 'TX_INVALID', reason: `exceeds block gas limit: tx gas ${c.tx.gasLimit}, block gas limit ${this.blockGasLimit}` };
    const intrinsic = c.tx.getIntrinsicGas();
    if (c.tx.gasLimit < intrinsic) return { ok: false, code: 'TX_INVALID', reason: `intrinsic gas too low: gas ${c.tx.gasLimit}, minimum needed ${intrinsic}` };
    const cost = maxCost(c.tx);
    const balance = account?.balance ?? 0n;
    if (balance < cost) return { ok: false, code: 'TX_INVALID', reason: `insufficient funds for gas * price + value: address ${from} have ${balance} want ${cost}` };
    return { ok: true, sender: from, nonce: Number(c.tx.nonce), nextNonce: Number(next), priority: 0 };
  }

  initChain(genesis: Genesis): Promise<AppInfo> {
    return this.lock.run(async () => {
      if (genesis.chainId !== this.name) throw new GenesisError(`genesis is for chain '${genesis.chainId}', this is '${this.name}'`);
      if (this.store.height > 0) throw new ChainStateError(`initChain at height ${this.store.height}`);
      const { chainId, overlay } = parseEvmGenesis(genesis);
      if (chainId !== undefined && chainId !== this.chainId) throw new GenesisError(`genesis names Ethereum chain id ${chainId}, this application runs ${this.chainId}`);
      await this.store.commit(0, evmGenesisStateRoot(this.chainId, overlay), overlay, { records: new Map() });
      return this.info();
    });
  }

  async prepareProposal(candidates: readonly Uint8Array[], limits: ProposalLimits): Promise<Uint8Array[]> {
    const decoded = candidates.map((tx) => this.tryChecked(tx));
    const senders = [...new Set(decoded.flatMap((c) => (c ? [Buffer.from(c.sender.bytes).toString('hex')] : [])))];
    await this.store.prefetchAccounts(senders);
    const next = new Map<string, bigint>();
    for (const s of senders) next.set(s, (await this.store.account(s))?.nonce ?? 0n);
    const chosen: Uint8Array[] = [];
    let bytes = 0;
    let gas = 0n;
    for (const [i, c] of decoded.entries()) {
      if (chosen.length >= limits.maxTxs) break;
      const raw = candidates[i]!;
      const sender = c && Buffer.from(c.sender.bytes).toString('hex');
      // A tx that could not run is left out rather than recorded as failed.
      if (c === undefined || bytes + raw.length > limits.maxBytes || gas + c.tx.gasLimit > this.blockGasLimit || c.tx.nonce !== next.get(sender!)) continue;
      next.set(sender!, c.tx.nonce + 1n);
      chosen.push(raw);
      bytes += raw.length;
      gas += c.tx.gasLimit;
    }
    return chosen;
  }

  executeBlock(ctx: BlockContext, txs: readonly Uint8Array[]): Promise<ExecutionResult> {
    return this.lock.run(async () => {
      this.requireInitialized();
      if (ctx.height !== this.store.height + 1) throw new ExecutionHeightError(`cannot execute height ${ctx.height}: committed height is ${this.store.height}`);
      // Senders come from this node's earlier checks of the same bytes when it has them (the
      // statelessChecked flags say so); the cache is keyed by hash, so a miss just recovers.
      const checked = txs.map((tx) => this.checkedOrError(tx));
      await this.store.prefetchAccounts(checked.flatMap((c) => (c instanceof EvmTxError ? [] : [c.sender, ...(c.tx.to ? [c.tx.to] : [])].map((a) => Buffer.from(a.bytes).toString('hex')))));
      const overlay = this.executor.begin(this.store);
      const { results, records } = await runBlockTxs(this.executor, overlay, ctx.height, ctx.time, checked);
      const execution: Execution = {
        executionId: `${ctx.height}/${++this.executionSeq}`,
        height: ctx.height,
        stateRoot: evmNextStateRoot(this.store.stateRoot, ctx.height, overlay),
        resultsRoot: evmResultsRoot(results),
        results,
        overlay,
        records,
      };
      this.executions.remember(execution);
      return { executionId: execution.executionId, height: ctx.height, stateRoot: execution.stateRoot, resultsRoot: execution.resultsRoot, results };
    });
  }

  commit(height: number, executionId: string): Promise<AppInfo> {
    return this.lock.run(async () => {
      if (height !== this.store.height + 1) throw new ExecutionHeightError(`cannot commit height ${height}: committed height is ${this.store.height}`);
      const execution = this.executions.get(executionId);
      if (execution === undefined || execution.height !== height) throw new UnknownExecutionError(`no execution '${executionId}' of height ${height}`);
      await this.store.commit(height, execution.stateRoot, execution.overlay, { records: execution.records });
      this.executions.clear();
      return this.info();
    });
  }

  query(path: string, data: Uint8Array): Promise<QueryResult> {
    return this.queries.query(path, data);
  }

  private checked(tx: Uint8Array): CheckedEvmTx {
    const hashHex = evmTxHashHex(tx);
    const hit = this.checkedTxs.get(hashHex);
    if (hit) return hit;
    const known = this.senders.get(hashHex);
    const c = checkEvmTx(tx, this.common, this.limits, known);
    if (known === undefined) this.senders.set(hashHex, c.sender);
    this.checkedTxs.set(hashHex, c);
    return c;
  }

  private checkedOrError(tx: Uint8Array): CheckedEvmTx | EvmTxError {
    try {
      return this.checked(tx);
    } catch (cause) {
      if (cause instanceof EvmTxError) return cause;
      throw cause;
    }
  }

  private tryChecked(tx: Uint8Array): CheckedEvmTx | undefined {
    const c = this.checkedOrError(tx);
    return c instanceof EvmTxError ? undefined : c;
  }


  private requireInitialized(): void {
    if (!this.store.initialized) throw new ChainStateError(`chain '${this.name}' has no genesis state; call initChain first`);
  }

}
