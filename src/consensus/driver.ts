/**
 * The driver: keeps one height's message log (message-log.ts checks every message before it
 * counts), decides which input of Algorithm 1 applies (state-machine.ts), signs what the state
 * machine asks for, and returns every effect as a `DriverOutput` for the host to perform.
 * It holds no clock, no socket and no disk; it is deterministic given its calls.
 */
import type { PrivateKey, Suite } from '../crypto/index.js';
import { makeCommitCertificate, verifyCommitCertificate, type CommitCertificate } from './certificate.js';
import { DEFAULT_CONSENSUS_CONFIG, maxRoundsAhead, timeoutDuration, validateConfig, type ConsensusConfig } from './config.js';
import { InvalidCommitCertificateError, InvalidSnapshotError } from './errors.js';
import { MessageLog } from './message-log.js';
import type { DriverOutput } from './outputs.js';
import { checkSnapshot, SignGuard, type ConsensusSnapshot } from './recovery.js';
import { signProposal, signVote, validatorAddress, valueIdOf } from './sign.js';
import { apply, initialState, type ApplyFn, type Input, type Output, type ProposedValue, type RoundState } from './state-machine.js';
import type { Address, ConsensusMessage, Height, Round, Step, TimeoutKind, ValueId } from './types.js';
import { NIL_ROUND } from './types.js';
import type { ValidatorSet } from './validator-set.js';
import { VoteKeeper, type Quorums } from './vote-keeper.js';

/** Replaceable parts, so the simulator can run deliberately broken engines and show it catches them. */
export interface DriverSeams {
  readonly apply?: ApplyFn;
  readonly quorums?: (validators: ValidatorSet) => Quorums;
}

export interface DriverOptions {
  readonly chainId: string;
  readonly suite: Suite;
  readonly validators: ValidatorSet;
  readonly height: Height;
  /** This validator's key; null for a node that follows consensus without voting. */
  readonly privateKey: PrivateKey | null;
  /** The application's verdict on a proposed value; must be deterministic. */
  readonly isValid: (height: Height, value: Uint8Array) => boolean;
  readonly config?: ConsensusConfig;
  readonly seams?: DriverSeams;
}

// Bounds on what peers can make us store for the next height: in all, and per signer (an honest
// validator sends a few messages per round it reaches early; more is junk from a Byzantine one).
const MAX_FUTURE_MESSAGES = 4096;
const MAX_FUTURE_PER_SIGNER = 64;

export class Driver {
  readonly address: Address | null;
  private readonly config: ConsensusConfig;
  private readonly applyFn: ApplyFn;
  private validators: ValidatorSet;
  private log: MessageLog;
  private state: RoundState;
  private guard: SignGuard;
  private validity = new Map<ValueId, boolean>();
  private fired = new Set<string>();
  private future: ConsensusMessage[] = [];
  private futureBySigner = new Map<Address, number>();
  private waiting = true;
  private restored: ConsensusSnapshot | null = null;
  private synced: CommitCertificate | null = null;
  private out: DriverOutput[] = [];

  constructor(private readonly options: DriverOptions) {
    this.config = validateConfig(options.config ?? DEFAULT_CONSENSUS_CONFIG);
    this.applyFn = options.seams?.apply ?? apply;
    this.address = options.privateKey ? validatorAddress(options.suite, options.privateKey.publicKey) : null;
    this.validators = options.validators;
    this.log = this.newLog(options.height);
    this.state = initialState(options.height);
    this.guard = new SignGuard(options.height);
  }

  /** A driver that resumes from the last durable snapshot (see recovery.ts); call `start` next. */
  static restore(options: DriverOptions, snapshot: ConsensusSnapshot): Driver {
    const driver = new Driver(options);
    if (!driver.address) throw new InvalidSnapshotError('only a validator with a key has a snapshot to restore');
    if (snapshot.height !== options.height) throw new InvalidSnapshotError(`snapshot is of height ${snapshot.height}, not ${options.height}`);
    checkSnapshot(snapshot, driver.address);
    driver.restored = snapshot;
    driver.guard = new SignGuard(snapshot.height, snapshot.signed);
    driver.state = { ...driver.state, locked: snapshot.locked, valid: snapshot.valid };
    return driver;
  }

  get height(): Height {
    return this.state.height;
  }
  get round(): Round {
    return this.state.round;
  }
  get step(): Step {
    return this.state.step;
  }
  get roundState(): RoundState {
    return this.state;
  }
  get validatorSet(): ValidatorSet {
    return this.validators;
  }
  /** Whether the height waits for something to propose (no empty blocks). */
  get isWaiting(): boolean {
    return this.waiting;
  }

  /** The sizes of this height's state, for bounds checks (the simulator, metrics). */
  sizes(): { readonly keeperRounds: number; readonly proposalRounds: number; readonly future: number } {
    return { keeperRounds: this.log.keeper.roundCount, proposalRounds: this.log.proposalRoundCount, future: this.future.length };
  }

  /** The next-height messages kept for when that height starts (each signature-checked). */
  futureMessages(): readonly ConsensusMessage[] {
    return this.future;
  }

  /** What must be persisted now for a restart to be safe (also emitted in `persist` outputs). */
  snapshot(): ConsensusSnapshot {
    const { height, round, locked, valid } = this.state;
    return { version: 1, height, round: Math.max(round, 0), locked, valid, signed: [...this.guard.order] };
  }

  /** Messages this validator signed at the current height, for re-gossip to peers that missed them. */
  signedMessages(): readonly ConsensusMessage[] {
    return this.guard.order;
  }

  /**
   * Everything this node holds for the current height — proposals and every counted vote —
   * for the host's gossip. The algorithm assumes that what one correct node received, all
   * eventually receive; relaying these is how a host provides that.
   */
  gossipMessages(): ConsensusMessage[] {
    return this.log.all();
  }

  /** Begins the current height: at once, after the empty-blocks interval, or when there is something to order. */
  start(): DriverOutput[] {
    return this.run(() => {
      if (this.restored) {
        for (const m of this.restored.signed) this.send(m, false);
        this.startRound(this.restored.round);
        return;
      }
      const { createEmptyBlocks, emptyBlocksInterval } = this.config;
      if (createEmptyBlocks && emptyBlocksInterval === 0) this.startRound(0);
      else if (createEmptyBlocks) this.out.push({ kind: 'scheduleTimeout', timeout: 'emptyBlocks', height: this.height, round: 0, durationMs: emptyBlocksInterval });
    });
  }

  /** The host has transactions: a waiting height starts. */
  valueAvailable(): DriverOutput[] {
    return this.run(() => {
      if (this.waiting) this.startRound(0);
    });
  }

  /** The answer to a `getValue` output. */
  proposeValue(height: Height, round: Round, value: Uint8Array): DriverOutput[] {
    return this.run(() => {
      if (height !== this.height) return;
      this.transition({ kind: 'proposeValue', round, value, valueId: valueIdOf(this.options.suite, value) });
    });
  }

  /** A timeout scheduled earlier has fired (the host need not cancel stale ones; they are ignored). */
  onTimeout(kind: TimeoutKind | 'emptyBlocks', height: Height, round: Round): DriverOutput[] {
    return this.run(() => {
      if (height !== this.height) return;
      if (kind === 'emptyBlocks') {
        if (this.waiting) this.startRound(0);
      } else this.transition({ kind: 'timeout', timeout: kind, round }); // L57, L61, L65
    });
  }

  receive(message: ConsensusMessage): DriverOutput[] {
    return this.run(() => {
      const reason = this.log.ingest(message);
      if (reason) this.out.push({ kind: 'rejected', reason, message });
      else if (this.waiting && message.height === this.height) this.startRound(0);
    });
  }

  /**
   * Decides the current height from a commit certificate learned by block sync. Throws
   * InvalidCommitCertificateError if it does not verify against this height's validators.
   */
  applyCommit(certificate: CommitCertificate, value: Uint8Array): DriverOutput[] {
    if (certificate.height !== this.height || this.state.decision) return [];
    verifyCommitCertificate(certificate, this.validators, this.options.suite, this.options.chainId);
    const valueId = valueIdOf(this.options.suite, value);
    if (valueId !== certificate.valueId) throw new InvalidCommitCertificateError('the value does not hash to the certified block hash');
    return this.run(() => {
      const body = { type: 'precommit' as const, height: certificate.height, round: certificate.round, valueId };
      for (const s of certificate.signatures) this.log.keeper.add({ kind: 'vote', ...body, validator: s.validator, signature: s.signature });
      this.waiting = false;
      this.synced = certificate;
      this.transition({ kind: 'proposalAndPrecommitValue', proposal: { round: certificate.round, validRound: NIL_ROUND, value, valueId } }); // L49
    });
  }

  /** After `decide`: moves to the next height with its validator set and replays early messages. */
  nextHeight(validators: ValidatorSet): DriverOutput[] {
    const height = this.height + 1;
    this.validators = validators;
    this.log = this.newLog(height);
    this.state = initialState(height);
    this.guard = new SignGuard(height);
    this.validity = new Map();
    this.fired = new Set();
    this.waiting = true;
    this.restored = null;
    this.synced = null;
    const early = this.future.filter((m) => m.height === height);
    this.future = [];
    this.futureBySigner = new Map();
    const out = this.start();
    for (const m of early) out.push(...this.receive(m));
    return out;
  }

  private newLog(height: Height): MessageLog {
    const { suite, chainId } = this.options;
    const keeper = new VoteKeeper(this.validators, this.options.seams?.quorums?.(this.validators));
    return new MessageLog({
      suite,
      chainId,
      height,
      validators: this.validators,
      keeper,
      currentRound: () => Math.max(this.state.round, 0),
      maxRoundsAhead: maxRoundsAhead(this.config),
      onNextHeight: (m) => this.keepForNextHeight(m),
      onEvidence: (evidence) => this.out.push({ kind: 'evidence', evidence }),
    });
  }

  private keepForNextHeight(m: ConsensusMessage): void {
    const signer = m.kind === 'vote' ? m.validator : m.proposer;
    const count = this.futureBySigner.get(signer) ?? 0;
    if (this.future.length >= MAX_FUTURE_MESSAGES || count >= MAX_FUTURE_PER_SIGNER) return;
    this.futureBySigner.set(signer, count + 1);
    this.future.push(m);
  }

  private run(body: () => void): DriverOutput[] {
    this.out = [];
    body();
    this.evaluate();
    return this.out;
  }

  private startRound(round: Round): void {
    this.waiting = false;
    this.transition({ kind: 'newRound', round, isProposer: this.validators.proposer(round) === this.address }); // L11
  }

  private isValid(p: ProposedValue): boolean {
    let valid = this.validity.get(p.valueId);
    if (valid === undefined) this.validity.set(p.valueId, (valid = this.options.isValid(this.height, p.value)));
    return valid;
  }

  // ---- choosing the input of Algorithm 1 -------------------------------------------------------

  private evaluate(): void {
    while (!this.waiting && this.state.step !== 'commit' && this.fireOne()) {
      // each rule that fires changes the step or round, or is marked fired, so this ends
    }
  }

  private fireOne(): boolean {
    return this.tryDecide() || this.trySkip() || this.tryProposal() || this.tryPolkaCurrent() || this.tryPrevoteQuorums() || this.tryPrecommitAny();
  }

  private once(rule: string): boolean {
    const key = `${this.state.round}/${rule}`;
    if (this.fired.has(key)) return false;
    this.fired.add(key);
    return true;
  }

  private tryDecide(): boolean {
    for (const { round, valueId } of this.log.keeper.decidable()) {
      const p = this.log.proposalsAt(round).find((q) => q.valueId === valueId);
      if (p && this.isValid(p)) return this.transition({ kind: 'proposalAndPrecommitValue', proposal: p }); // L49
    }
    return false;
  }

  private trySkip(): boolean {
    const round = this.log.keeper.skipRound(this.state.round);
    return round !== null && this.transition({ kind: 'skipRound', round }); // L55
  }

  private tryProposal(): boolean {
    if (this.state.step !== 'propose') return false;
    for (const p of this.log.proposalsAt(this.state.round)) {
      if (p.validRound === NIL_ROUND) return this.transition({ kind: 'proposal', proposal: p, valid: this.isValid(p) }); // L22
      if (p.validRound < p.round && this.log.keeper.polka(p.validRound, p.valueId)) {
        return this.transition({ kind: 'proposalAndPolkaPrevious', proposal: p, valid: this.isValid(p) }); // L28
      }
    }
    return false;
  }

  private tryPolkaCurrent(): boolean {
    const { step, round } = this.state;
    if (step !== 'prevote' && step !== 'precommit') return false;
    for (const p of this.log.proposalsAt(round)) {
      if (this.log.keeper.polka(round, p.valueId) && this.isValid(p) && this.once('L36')) {
        return this.transition({ kind: 'proposalAndPolkaCurrent', proposal: p }); // L36
      }
    }
    return false;
  }

  private tryPrevoteQuorums(): boolean {
    const { step, round } = this.state;
    if (step !== 'prevote') return false;
    if (this.log.keeper.polka(round, null)) return this.transition({ kind: 'polkaNil', round }); // L44
    return this.log.keeper.polkaAny(round) && this.once('L34') && this.transition({ kind: 'polkaAny', round }); // L34
  }

  private tryPrecommitAny(): boolean {
    const { round } = this.state;
    return this.log.keeper.precommitAny(round) && this.once('L47') && this.transition({ kind: 'precommitAny', round }); // L47
  }

  // ---- performing the state machine's outputs ----------------------------------------------

  private transition(input: Input): boolean {
    const t = this.applyFn(this.state, input);
    if (!t.applied) return false;
    this.state = t.state;
    for (const o of t.outputs) this.perform(o);
    return true;
  }

  private perform(o: Output): void {
    switch (o.kind) {
      case 'propose':
        this.sign(`${o.round}/proposal`, () =>
          signProposal(this.options.suite, this.options.privateKey!, this.address!, o, this.options.chainId),
        );
        return;
      case 'vote':
        this.sign(`${o.round}/${o.type}`, () => signVote(this.options.suite, this.options.privateKey!, this.address!, o, this.options.chainId));
        return;
      case 'getValue':
        this.out.push(o);
        return;
      case 'scheduleTimeout':
        this.out.push({ ...o, durationMs: timeoutDuration(this.config, o.timeout, o.round) });
        return;
      case 'newRound':
        this.startRound(o.round);
        return;
      case 'decide': {
        // A certificate from block sync is kept as it came: some of its signers may have been
        // counted here for another vote (equivocation), and it verified on its own already.
        const certificate =
          this.synced?.round === o.round && this.synced.valueId === o.valueId
            ? this.synced
            : makeCommitCertificate(o.height, o.round, o.valueId, this.log.keeper.votes(o.round, 'precommit', o.valueId));
        this.out.push({ ...o, certificate });
      }
    }
  }

  /** Signs a new message for `slot`, or re-sends the one signed before (never a second one). */
  private sign(slot: string, make: () => ConsensusMessage): void {
    const earlier = this.guard.existing(slot);
    if (earlier) return this.send(earlier, false);
    if (!this.address || !this.validators.get(this.address)) return;
    const message = make();
    this.guard.remember(message);
    this.send(message, true);
  }

  private send(m: ConsensusMessage, persistFirst: boolean): void {
    if (persistFirst) this.out.push({ kind: 'persist', snapshot: this.snapshot() });
    this.out.push({ kind: 'broadcast', message: m });
    this.log.addOwn(m);
  }
}
