import { decodeBlock, encodeBlock, type Block, type BlockHeader } from '../chain/index.js';
import {
  authenticateProposal,
  decodeCommitCertificate,
  Driver,
  encodeCommitCertificate,
  maxRoundsAhead,
  valueIdOf,
  type AuthenticationContext,
  type ConsensusMessage,
  type DriverOutput,
  type Proposal,
  type ValidatorSet,
} from '../consensus/index.js';
import { realTimers, type ChainRunnerInternals, type ChainRunnerOptions, type ChainTimers } from './chain-runner-options.js';
import { encodeConsensusMessage } from './consensus-wire.js';
import { ChainDivergenceError, SyncedBlockMismatchError } from './errors.js';
import { buildBlock, checkCommittedBlock, checkProposedBlock } from './proposal-checks.js';
import { SerialQueue } from './serial-queue.js';
import { ChainValidators } from './chain-validators.js';
import { recoverApplication } from './app-recovery.js';
import { CandidateBlocks, type Candidate } from './candidate-blocks.js';
import { HeldProposals } from './held-proposals.js';
import { restoreSnapshot, WalRecordWriter } from './wal-records.js';
import { validateAsBeforeC2, type RegressionSeam } from './regressions.js';

export type { ChainLog, ChainNetwork, ChainRunnerInternals, ChainRunnerOptions, ChainTimers, ConsensusLog } from './chain-runner-options.js';

// As the driver's message log (message-log.ts).
const MAX_PROPOSALS_PER_ROUND = 4;

/**
 * Drives one app chain: the consensus driver, the application and the block store, with the
 * network and the clock at the edges. Every event (message, timeout, tx available, sync) goes
 * through one serial queue, so the driver and the application see one call at a time.
 *
 * The path of a block: getValue → reap mempool → prepareProposal → executeBlock → propose;
 * a peer's proposal → links and roots checked by executing it → driver; decide → block store
 * (synced) → application commit → WAL discard → mempool update → next height.
 */
export class ChainRunner {
  readonly chainId: string;
  private driver!: Driver;
  private readonly queue: SerialQueue;
  private validatorSet: ValidatorSet;
  /** Every set the chain had: genesis, rotation, and the changes its blocks decided (governance). */
  readonly sets: ChainValidators;
  /** Consensus addresses whose precommits are in the last commit certificate (status: who votes). */
  lastSigners: readonly string[] = [];
  /** The next height's set as predicted (this one advanced), for checking proposals held for it. */
  private nextSet: ValidatorSet | undefined;
  private readonly walWriter = new WalRecordWriter();
  private readonly candidates = new CandidateBlocks();
  private readonly validity = new Map<string, boolean>();
  private readonly validatedPerRound = new Map<number, number>();
  /** Proposals for the next height, validated once their parent is committed. */
  private readonly held = new HeldProposals();
  private lastHeader: BlockHeader | undefined;
  private readonly timers = new Set<unknown>();
  private readonly clock: ChainTimers;
  private stopped = false;
  private heightStartedAt = 0;
  /** A getValue this node could not answer yet for lack of transactions. */
  private deferredProposal: { height: number; round: number } | undefined;
  private readonly now: () => number;

  constructor(private readonly o: ChainRunnerOptions) {
    this.chainId = o.genesis.file.chainId;
    this.now = o.now ?? Date.now;
    this.clock = o.timers ?? realTimers;
    this.validatorSet = o.genesis.validators;
    this.sets = new ChainValidators(o.genesis);
    this.queue = new SerialQueue((err) => o.log.warn({ chain: this.chainId, err: (err as Error).message }, 'chain event failed'));
  }

  get height(): number {
    return this.o.store.height;
  }
  get round(): number {
    return this.driver?.round ?? 0;
  }
  get validators(): ValidatorSet {
    return this.validatorSet;
  }

  /**
   * The set that decides `height`, for any height up to the next one (block sync verifies the
   * certificate of height + 1 with it). Later heights' sets are not known yet: undefined.
   */
  validatorSetFor(height: number): ValidatorSet | undefined {
    return height >= 1 && height <= this.o.store.height + 1 ? this.sets.at(height) : undefined;
  }

  /** Whether this node's key is in the set of the current height (it votes). */
  get isValidator(): boolean {
    return this.driver?.address !== null && this.driver?.address !== undefined && this.validatorSet.get(this.driver.address) !== undefined;
  }


  /** Recovers (replays stored blocks the application lacks, restores the WAL) and starts consensus. */
  async start(): Promise<void> {
    await this.queue.run(async () => {
      await this.sets.load(this.o.store);
      await recoverApplication(this.o, (bytes) => this.candidateFor(bytes, decodeBlock(bytes)));
      const tip = this.o.store.height;
      this.lastHeader = tip > 0 ? decodeBlock((await this.o.store.block(tip))!).header : undefined;
      this.validatorSet = this.sets.at(tip + 1);
      this.driver = this.makeDriver(tip + 1);
      this.heightStartedAt = this.now();
      await this.perform(this.driver.start(), undefined);
      if (this.o.mempool.readyCount > 0) await this.perform(this.driver.valueAvailable(), undefined);
    });
    this.o.mempool.onTxsAvailable(() => this.enqueue(() => this.onTxsAvailable()));
  }

  /** A consensus message from `peer` (already decoded). */
  onMessage(peer: string, message: ConsensusMessage): void {
    void this.queue.run(async () => {
      if (this.stopped) return;
      if (message.kind === 'proposal' && message.height > this.driver.height) {
        // Only the next height's proposals are worth holding (later ones come again by regossip).
        if (message.height === this.driver.height + 1) this.hold(peer, message);
        return;
      }
      if (message.kind === 'proposal' && message.height === this.driver.height) {
        if (this.o.regressions?.C2) await validateAsBeforeC2(this.regressionSeam(), peer, message);
        else {
          // Authenticated first (C2, M8): nothing is executed for a message its proposer did not sign.
          const reason = authenticateProposal(message, this.authContext());
          if (reason) return this.o.network.reportInvalid(peer, `consensus message rejected: ${reason}`);
          await this.validateProposal(peer, message);
        }
      }
      await this.perform(this.driver.receive(message), peer);
    });
  }

  private regressionSeam(): RegressionSeam {
    return { validity: this.validity, lastHeader: this.lastHeader, suite: this.o.genesis.suite, chainId: this.chainId, log: this.o.log, execute: (bytes, block) => this.candidateFor(bytes, block) };
  }

  private authContext(height = this.driver.height, validators = this.validatorSet): AuthenticationContext {
    const round = height === this.driver.height ? Math.max(this.driver.round, 0) : 0;
    return { suite: this.o.genesis.suite, chainId: this.chainId, height, validators, maxRound: round + this.roundsAhead() };
  }

  private roundsAhead(): number {
    return this.o.regressions?.C1 ? Number.POSITIVE_INFINITY : maxRoundsAhead(this.o.consensus);
  }

  /** Keeps a next-height proposal, authenticated against the next height's set, bounded in number. */
  private hold(peer: string, proposal: Proposal): void {
    this.nextSet ??= this.validatorSet.next();
    const reason = this.held.hold(peer, proposal, this.authContext(this.driver.height + 1, this.nextSet));
    if (reason) this.o.network.reportInvalid(peer, `held proposal rejected: ${reason}`);
  }

  /** A block with its commit certificate from block sync: verified, executed, committed. */
  async applySyncedBlock(height: number, blockBytes: Uint8Array, certificateBytes: Uint8Array): Promise<void> {
    await this.queue.run(async () => {
      if (height !== this.o.store.height + 1) return;
      const block = decodeBlock(blockBytes);
      const certificate = decodeCommitCertificate(certificateBytes);
      // Bound to each other before anything is executed (H5).
      if (certificate.height !== height || block.header.height !== height) {
        throw new SyncedBlockMismatchError(`block sync gave a certificate of height ${certificate.height} and a block of height ${block.header.height} for height ${height}`);
      }
      if (certificate.valueId !== valueIdOf(this.o.genesis.suite, blockBytes)) throw new SyncedBlockMismatchError(`the block of height ${height} is not the one its certificate commits`);
      await this.candidateFor(blockBytes, block);
      await this.perform(this.driver.applyCommit(certificate, blockBytes), undefined);
    });
  }

  /** Re-sends what this node signed at the current height, for peers that missed it. */
  regossip(): void {
    // An idle chain has signed nothing at its current height: it costs no queue work.
    if (this.stopped || !this.driver || this.driver.signedMessages().length === 0) return;
    void this.queue.run(async () => {
      if (this.stopped || !this.driver) return;
      for (const m of this.driver.signedMessages()) this.broadcast(m);
    });
  }

  /**
   * The sizes of the current height's state, all bounded (see docs/security.md): the simulator
   * checks them after every event. `queued` is the events not yet handled.
   */
  internals(): ChainRunnerInternals {
    const sizes = this.driver ? this.driver.sizes() : { keeperRounds: 0, proposalRounds: 0, future: 0 };
    return { height: this.height, round: this.round, ...sizes, candidates: this.candidates.size, validity: this.validity.size, held: this.held.size, queued: this.queue.pending };
  }

  /** The next-height messages the driver keeps (the simulator checks each is authenticated). */
  futureMessages(): readonly ConsensusMessage[] {
    return this.driver ? this.driver.futureMessages() : [];
  }

  /** Resolves once every event queued so far has been handled (tests, the simulator). */
  whenIdle(): Promise<void> {
    return this.queue.run(async () => undefined);
  }

  async stop(): Promise<void> {
    this.stopped = true;
    for (const t of this.timers) this.clock.clear(t);
    this.timers.clear();
    await this.queue.run(async () => undefined);
  }

  private makeDriver(height: number): Driver {
    const options = {
      chainId: this.chainId,
      suite: this.o.genesis.suite,
      validators: this.validatorSet,
      height,
      privateKey: this.o.privateKey,
      isValid: (_h: number, value: Uint8Array) => this.validity.get(valueIdOf(this.o.genesis.suite, value)) ?? false,
      config: { ...this.o.consensus, maxRoundsAhead: this.roundsAhead() },
    };
    if (this.o.walRecords.length > 0 && this.o.privateKey) {
      const snapshot = restoreSnapshot(this.o.genesis.suite, this.o.walRecords)!;
      if (snapshot.height === height) {
        for (const m of snapshot.signed) if (m.kind === 'proposal') this.validity.set(m.valueId, true);
        this.o.log.info({ chain: this.chainId, height, round: snapshot.round, signed: snapshot.signed.length }, 'restoring consensus from the WAL');
        return Driver.restore(options, snapshot);
      }
    }
    return new Driver(options);
  }

  /** Executes `block` (once per value) and checks its roots against its header. */
  private async candidateFor(bytes: Uint8Array, block: Block): Promise<Candidate> {
    const id = valueIdOf(this.o.genesis.suite, bytes);
    const known = this.candidates.get(id);
    if (known) return known;
    const execution = await this.o.app.executeBlock({ height: block.header.height, time: block.header.time, statelessChecked: this.checkedInMempool(block.txs) }, block.txs);
    const same = (a: Uint8Array, b: Uint8Array) => Buffer.from(a).equals(Buffer.from(b));
    if (!same(execution.stateRoot, block.header.stateRoot) || !same(execution.resultsRoot, block.header.resultsRoot)) {
      throw new ChainDivergenceError(`block ${block.header.height} states roots this node does not compute`);
    }
    const candidate = { block, execution };
    this.candidates.set(id, candidate);
    return candidate;
  }

  /** Txs this node's mempool admitted have passed the stateless check (signature) already. */
  private checkedInMempool(txs: readonly Uint8Array[]): boolean[] {
    const suite = this.o.genesis.suite;
    return txs.map((tx) => this.o.mempool.has(Buffer.from(suite.hash(tx)).toString('hex')));
  }

  /**
   * Decides validity of an authenticated proposal's block before the driver sees it (the
   * driver's check is synchronous), keyed by the value id computed here from the value.
   */
  private async validateProposal(peer: string, proposal: Proposal): Promise<void> {
    const id = valueIdOf(this.o.genesis.suite, proposal.value);
    if (this.validity.has(id)) return;
    // The driver keeps at most MAX_PROPOSALS_PER_ROUND values per round: executing more of an
    // equivocating proposer's blocks would be work for nothing.
    const seen = this.validatedPerRound.get(proposal.round) ?? 0;
    if (seen >= MAX_PROPOSALS_PER_ROUND) return;
    this.validatedPerRound.set(proposal.round, seen + 1);
    let ok = false;
    try {
      const block = decodeBlock(proposal.value);
      const context = { suite: this.o.genesis.suite, chainId: this.chainId, parent: this.lastHeader, validators: this.validators };
      checkProposedBlock(block, proposal.value.length, proposal.proposer, { ...context, limits: this.o.limits, now: this.now() });
      await this.candidateFor(proposal.value, block);
      ok = true;
    } catch (err) {
      this.o.log.warn({ chain: this.chainId, peer, height: proposal.height, err: (err as Error).message }, 'invalid proposal');
      this.o.network.reportInvalid(peer, `invalid proposal: ${(err as Error).message}`);
    }
    this.validity.set(id, ok);
  }

  private enqueue(step: () => DriverOutput[]): void {
    void this.queue.run(async () => {
      if (!this.stopped) await this.perform(step(), undefined);
    });
  }

  /** Performs the driver's outputs in order; a `persist` is durable before anything after it. */
  private async perform(outputs: DriverOutput[], peer: string | undefined): Promise<void> {
    for (const o of outputs) {
      if (this.stopped) return;
      switch (o.kind) {
        case 'persist':
          this.o.wal.append(this.walWriter.record(o.snapshot));
          break;
        case 'broadcast':
          this.broadcast(o.message);
          break;
        case 'scheduleTimeout':
          this.schedule(o.durationMs, () => this.driver.onTimeout(o.timeout, o.height, o.round));
          break;
        case 'getValue':
          await this.perform(await this.propose(o.height, o.round), undefined);
          break;
        case 'decide':
          await this.commit(o.height, o.value, encodeCommitCertificate(o.certificate));
          break;
        case 'evidence':
          this.o.log.warn({ chain: this.chainId, evidence: o.evidence.kind }, 'equivocation detected');
          break;
        case 'rejected':
          // Votes of a past height arrive late in any asynchronous network: not an offence.
          if (peer && o.reason !== 'wrongHeight') this.o.network.reportInvalid(peer, `consensus message rejected: ${o.reason}`);
          break;
      }
    }
  }

  private broadcast(message: ConsensusMessage): void {
    this.o.network.broadcastConsensus(encodeConsensusMessage(message));
  }

  private schedule(ms: number, step: () => DriverOutput[]): void {
    const timer = this.clock.set(ms, () => {
      this.timers.delete(timer);
      this.enqueue(step);
    });
    this.timers.add(timer);
  }

  /**
   * Transactions arrived. The event may run after the txs that caused it were already proposed
   * and committed; only a mempool with ready txs starts a height or answers a deferred proposal.
   */
  private onTxsAvailable(): DriverOutput[] {
    if (this.o.mempool.readyCount === 0) return [];
    const deferred = this.deferredProposal;
    if (deferred && deferred.height === this.driver.height && deferred.round === this.driver.round) {
      this.deferredProposal = undefined;
      void this.queue.run(async () => {
        if (!this.stopped) await this.perform(await this.propose(deferred.height, deferred.round), undefined);
      });
      return [];
    }
    return this.driver.valueAvailable();
  }

  /** Builds, executes and returns the proposal of this node for (height, round). */
  private async propose(height: number, round: number): Promise<DriverOutput[]> {
    const { maxBlockBytes, maxBlockTxs } = this.o.limits;
    // A round started by a peer's vote may reach this proposer before the txs do: without empty
    // blocks it waits for them (the driver takes a value "possibly much later") rather than
    // proposing an empty block; the other validators' propose timeouts bound the wait.
    if (!this.o.consensus.createEmptyBlocks && this.o.mempool.readyCount === 0) {
      this.deferredProposal = { height, round };
      return [];
    }
    const txs = await this.o.app.prepareProposal(this.o.mempool.reap(maxBlockBytes, maxBlockTxs), { maxBytes: maxBlockBytes, maxTxs: maxBlockTxs });
    const parent = this.lastHeader;
    const time = Math.max(this.now(), parent ? parent.time : 0);
    // Every reaped tx came through this node's mempool, so its signature was checked on admission.
    const execution = await this.o.app.executeBlock({ height, time, statelessChecked: txs.map(() => true) }, txs);
    const context = { suite: this.o.genesis.suite, chainId: this.chainId, parent, validators: this.validators };
    const block = buildBlock(context, { height, time, txs, execution, proposer: this.driver.address ?? '' });
    const value = encodeBlock(block);
    const id = valueIdOf(this.o.genesis.suite, value);
    this.candidates.set(id, { block, execution });
    this.validity.set(id, true);
    return this.driver.proposeValue(height, round, value);
  }

  /** Stores the decided block, commits its state, and moves consensus to the next height. */
  private async commit(height: number, value: Uint8Array, certificate: Uint8Array): Promise<void> {
    const block = decodeBlock(value);
    // A second line of defence: a decided block that does not fit its chain halts it here
    // (a typed error, nothing stored) rather than enter the store that peers sync from.
    if (!this.o.regressions?.C2) checkCommittedBlock(block, { suite: this.o.genesis.suite, chainId: this.chainId, parent: this.lastHeader, validators: this.validators });
    const candidate = await this.candidateFor(value, block);
    this.lastSigners = decodeCommitCertificate(certificate).signatures.map((s) => s.validator);
    const updates = candidate.execution.nextValidators;
    await this.o.store.append(height, value, certificate, updates ? this.sets.change(height, updates) : undefined);
    await this.o.app.commit(height, candidate.execution.executionId);
    this.lastHeader = candidate.block.header;
    this.candidates.clear();
    this.validity.clear();
    this.validatedPerRound.clear();
    // The block is in the store (synced), so this height's snapshots are stale: see discard().
    this.o.wal.discard();
    this.walWriter.reset();
    await this.o.mempool.update(height, candidate.block.txs);
    const latency = this.now() - this.heightStartedAt;
    this.heightStartedAt = this.now();
    this.o.onCommit?.(candidate.block, latency, candidate.execution.results);
    this.o.log.info({ chain: this.chainId, height, txs: candidate.block.txs.length, latencyMs: latency }, 'committed');
    for (const t of this.timers) this.clock.clear(t);
    this.timers.clear();
    this.validatorSet = this.sets.at(height + 1);
    this.nextSet = undefined;
    if (updates) this.o.log.info({ chain: this.chainId, height: height + 1, validators: this.validatorSet.validators.map((v) => this.sets.nameOf(v.address)) }, 'validator set changed');
    const next = this.driver.nextHeight(this.validatorSet);
    const held = this.held.take(height + 1, updates ? this.authContext() : undefined);
    for (const h of held) await this.validateProposal(h.peer, h.proposal);
    await this.perform(next, undefined);
    for (const h of held) await this.perform(this.driver.receive(h.proposal), h.peer);
    if (this.o.mempool.readyCount > 0) await this.perform(this.driver.valueAvailable(), undefined);
  }
}
