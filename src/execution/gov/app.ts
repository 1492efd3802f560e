import type { ClassicLevel } from 'classic-level';
import type { CodecValue } from '../../codec/index.js';
import type { Suite } from '../../crypto/index.js';
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
  TxResult,
  ValidatorUpdate,
} from '../application.js';
import { CandidateExecutions, ExclusiveLock } from '../candidates.js';
import { ChainStateError, ExecutionHeightError, GenesisError, UnknownExecutionError } from '../errors.js';
import { resultsRoot } from '../results.js';
import { GovError, GovHistoryBadHeightError, GovHistoryNotCommittedError, GovWrongChainError } from './errors.js';
import { signerOf } from './identity.js';
import { checkGovTx, expireProposals } from './process.js';
import { queryGov } from './query.js';
import { genesisState } from './genesis.js';
import { sameValidators, stateRootOf, toValidatorUpdates, type GovState } from './state.js';
import { govRejection, govStatelessSpec, govStatelessVerdict } from './stateless.js';
import { GovStore } from './store.js';
import { decodeGovTx, GOV_LIMITS, verifyGovTx, type DecodedGovTx, type GovLimits } from './tx.js';
import type { AppRecord, GovRegistry } from './types.js';

export interface GovAppOptions {
  /** The chain's suite: its hash makes the roots and the proposal ids. */
  readonly suite: Suite;
  readonly limits?: GovLimits;
  readonly maxExecutions?: number;
  /** Versions of each app whose records stay in memory for appAt (APP_HISTORY_WINDOW, 64). */
  readonly appHistoryWindow?: number;
}

interface Execution extends ExecutionResult {
  readonly state: GovState;
  readonly time: number;
  readonly failed: readonly [number, string][];
}

interface Committed {
  readonly state: GovState;
  readonly stateRoot: Uint8Array;
  readonly time: number;
}

/**
 * The governance chain's state machine (docs/governance.md): the registry of operators, nodes,
 * orgs, revocations, plans and rules, changed by proposals that pass their rule. The committed
 * state lives in memory; each commit persists the records that changed.
 */
export class GovApplication implements Application {
  readonly statelessCheck: StatelessCheckSpec;
  private readonly executions: CandidateExecutions<Execution>;
  private executionSeq = 0;
  private readonly lock = new ExclusiveLock();
  private registryCache: GovRegistry | undefined;

  private constructor(
    private readonly store: GovStore,
    readonly chainId: string,
    private readonly suite: Suite,
    private readonly limits: GovLimits,
    private committed: Committed | undefined,
    maxExecutions: number,
  ) {
    this.statelessCheck = govStatelessSpec(chainId, limits);
    this.executions = new CandidateExecutions(maxExecutions);
  }

  /** Opens the gov state of `chainId` in the node's LevelDB (sublevel `gov:<chainId>`). */
  static async open(db: ClassicLevel<string, Uint8Array>, chainId: string, options: GovAppOptions): Promise<GovApplication> {
    const store = GovStore.open(db, chainId, options.appHistoryWindow);
    const loaded = await store.load();
    const committed = loaded && { state: loaded.state, stateRoot: loaded.meta.stateRoot, time: loaded.time };
    return new GovApplication(store, chainId, options.suite, options.limits ?? GOV_LIMITS, committed, options.maxExecutions ?? 64);
  }

  /**
   * The validators a genesis appState makes (its active nodes, sorted by name), after verifying
   * it as initChain does at `time` (ms; the genesis time). The node checks the genesis file's
   * validator list against this.
   */
  static validatorsOf(appState: CodecValue, time: number = Date.now()): ValidatorUpdate[] {
    return toValidatorUpdates(genesisState('gov', appState, time).validators());
  }

  /** The committed registry (synchronous, for the node layer). */
  registry(): GovRegistry {
    const state = this.requireCommitted().state;
    this.registryCache ??= state.registry();
    return this.registryCache;
  }

  /**
   * App `appId`'s record as committed at gov height `govHeight`: the last version at or below it,
   * undefined before the app was created (or for an unknown app). Deterministic: every node that
   * committed `govHeight` answers alike, after restarts too. Throws GovHistoryNotCommittedError
   * above the committed height, GovHistoryBadHeightError for a height that is not a safe
   * integer ≥ 0, and GovHistoryNotInMemoryError for a version older than the last
   * `appHistoryWindow` of the app: then ask appAtAsync, which answers the same.
   */
  appAt(appId: string, govHeight: number): AppRecord | undefined {
    this.checkGovHeight(govHeight);
    return this.store.history.at(appId, govHeight);
  }

  /** As appAt for any committed height, reading versions older than the window from LevelDB. */
  async appAtAsync(appId: string, govHeight: number): Promise<AppRecord | undefined> {
    this.checkGovHeight(govHeight);
    return this.store.history.atAsync(appId, govHeight);
  }

  /** The gov heights where app `appId`'s record changed, ascending (the first: its creation); [] if unknown. */
  appVersions(appId: string): number[] {
    return this.store.history.versions(appId);
  }

  private checkGovHeight(govHeight: number): void {
    if (!Number.isSafeInteger(govHeight) || govHeight < 0) throw new GovHistoryBadHeightError(`gov height ${String(govHeight)} is not an integer ≥ 0`);
    const committed = this.committed?.state.height;
    if (committed === undefined || govHeight > committed) {
      throw new GovHistoryNotCommittedError(`gov height ${govHeight} is not committed on this node yet (committed: ${committed ?? 'none'})`);
    }
  }

  async info(): Promise<AppInfo> {
    return { height: this.committed?.state.height ?? 0, stateRoot: this.committed?.stateRoot ?? new Uint8Array(0) };
  }

  checkStateless(tx: Uint8Array): StatelessVerdict {
    return govStatelessVerdict(tx, this.chainId, this.limits);
  }

  async checkTx(tx: Uint8Array, _kind: CheckTxKind): Promise<CheckTxResult> {
    const committed = this.requireCommitted();
    try {
      const decoded = this.decodeForChain(tx);
      const state = committed.state;
      const next = state.nonceOf(decoded.sender);
      // The next block's time is about now (an idle chain's last block may be hours old): a
      // certificate issued since then is valid for it. Execution judges again at the block's time.
      const ctx = { suite: this.suite, height: state.height + 1, time: Math.max(committed.time, Date.now()) };
      // A later nonce waits in the mempool for the txs before it; only who signed it is checked.
      if (decoded.nonce > next) signerOf(state, decoded.cert, ctx.time);
      else checkGovTx(state, decoded, tx, ctx);
      return { ok: true, sender: decoded.sender, nonce: decoded.nonce, nextNonce: next, priority: 0 };
    } catch (cause) {
      if (cause instanceof GovError) return govRejection(cause);
      throw cause;
    }
  }

  initChain(genesis: Genesis): Promise<AppInfo> {
    return this.lock.run(async () => {
      if (genesis.chainId !== this.chainId) throw new GenesisError(`genesis is for chain '${genesis.chainId}', this is '${this.chainId}'`);
      if (this.committed && this.committed.state.height > 0) throw new ChainStateError(`initChain at height ${this.committed.state.height}`);
      const state = genesisState(this.chainId, genesis.appState, genesis.time);
      const stateRoot = stateRootOf(this.suite, state);
      await this.store.commit(0, stateRoot, genesis.time, state, this.committed?.state);
      this.setCommitted({ state, stateRoot, time: genesis.time });
      return this.info();
    });
  }

  async prepareProposal(candidates: readonly Uint8Array[], limits: ProposalLimits): Promise<Uint8Array[]> {
    const committed = this.requireCommitted();
    // A dry run of the block on a copy: a tx that would fail is left out rather than recorded as failed.
    const state = committed.state.clone();
    state.height++;
    const ctx = { suite: this.suite, height: state.height, time: Math.max(committed.time, Date.now()) };
    expireProposals(state, ctx.time, ctx.height);
    const chosen: Uint8Array[] = [];
    let bytes = 0;
    for (const raw of candidates) {
      if (chosen.length >= limits.maxTxs) break;
      if (bytes + raw.length > limits.maxBytes) continue;
      try {
        checkGovTx(state, this.decodeForChain(raw), raw, ctx)();
      } catch (cause) {
        if (cause instanceof GovError) continue;
        throw cause;
      }
      chosen.push(raw);
      bytes += raw.length;
    }
    return chosen;
  }

  executeBlock(ctx: BlockContext, txs: readonly Uint8Array[]): Promise<ExecutionResult> {
    return this.lock.run(async () => {
      const committed = this.requireCommitted();
      if (ctx.height !== committed.state.height + 1) throw new ExecutionHeightError(`cannot execute height ${ctx.height}: committed height is ${committed.state.height}`);
      const state = committed.state.clone();
      state.height = ctx.height;
      const before = committed.state.validators();
      expireProposals(state, ctx.time, ctx.height);
      const tctx = { suite: this.suite, height: ctx.height, time: ctx.time };
      const failed: [number, string][] = [];
      const results = txs.map((tx, i): TxResult => {
        try {
          const decoded = this.decodeForChain(tx);
          if (ctx.statelessChecked?.[i] !== true) verifyGovTx(decoded);
          checkGovTx(state, decoded, tx, tctx)();
          return { ok: true, code: 'OK' };
        } catch (cause) {
          if (!(cause instanceof GovError)) throw cause;
          failed.push([i, cause.code]);
          return { ok: false, code: cause.code };
        }
      });
      const after = state.validators();
      const execution: Execution = {
        executionId: `${ctx.height}/${++this.executionSeq}`,
        height: ctx.height,
        stateRoot: stateRootOf(this.suite, state),
        resultsRoot: resultsRoot(this.suite, results),
        results,
        ...(!sameValidators(before, after) && { nextValidators: toValidatorUpdates(after) }),
        state,
        time: ctx.time,
        failed,
      };
      this.executions.remember(execution);
      const { executionId, height, stateRoot, resultsRoot: rr, nextValidators } = execution;
      return { executionId, height, stateRoot, resultsRoot: rr, results, ...(nextValidators && { nextValidators }) };
    });
  }

  commit(height: number, executionId: string): Promise<AppInfo> {
    return this.lock.run(async () => {
      const committed = this.requireCommitted();
      if (height !== committed.state.height + 1) throw new ExecutionHeightError(`cannot commit height ${height}: committed height is ${committed.state.height}`);
      const execution = this.executions.get(executionId);
      if (execution === undefined || execution.height !== height) throw new UnknownExecutionError(`no execution '${executionId}' of height ${height}`);
      await this.store.commit(height, execution.stateRoot, execution.time, execution.state, committed.state, execution.failed);
      this.setCommitted({ state: execution.state, stateRoot: execution.stateRoot, time: execution.time });
      this.executions.clear();
      return this.info();
    });
  }

  async query(path: string, data: Uint8Array): Promise<QueryResult> {
    const committed = this.requireCommitted();
    // The committed state is replaced, never changed in place: reading it is consistent.
    const registry = this.registry();
    return { height: committed.state.height, value: await queryGov(committed.state, registry, path, data, this.store) };
  }

  private setCommitted(committed: Committed): void {
    this.committed = committed;
    this.registryCache = undefined;
  }

  private requireCommitted(): Committed {
    if (!this.committed) throw new ChainStateError(`chain '${this.chainId}' has no genesis state; call initChain first`);
    return this.committed;
  }

  private decodeForChain(tx: Uint8Array): DecodedGovTx {
    const decoded = decodeGovTx(tx, this.limits);
    if (decoded.chainId !== this.chainId) throw new GovWrongChainError(`tx is for chain '${decoded.chainId}', this is '${this.chainId}'`);
    return decoded;
  }
}
