/**
 * One seeded run of n validators on a virtual clock. Each instance is a host around the real
 * `Driver`: it performs the driver's outputs (persist, broadcast, timeouts, decisions), keeps a
 * durable store that survives crashes, re-gossips when stuck and serves commit certificates to
 * peers that fell behind. The run ends when every honest validator has decided two heights past
 * the point where the network healed, or when the liveness deadline passes.
 */
import { Driver, InvalidCommitCertificateError, offender, type CommitCertificate, type ConsensusConfig, type ConsensusSnapshot, type ConsensusMessage, type DriverOutput } from '../../src/consensus/index.js';
import { outgoing, type LiarContext } from './byzantine.js';
import { EventQueue } from './heap.js';
import { suite as realSuite, testValidator, type TestValidator } from './keys.js';
import { Network } from './network.js';
import { Prng } from './prng.js';
import type { Behaviour, Scenario } from './scenario.js';
import { Ledger, type Decision } from './ledger.js';
import { applyWithoutLock, seamsOf, trustingSuite, type Variant } from './variants.js';

export const CHAIN_ID = 'sim-chain';
export const SIM_CONFIG: ConsensusConfig = {
  timeouts: { propose: { base: 1000, delta: 500 }, prevote: { base: 500, delta: 250 }, precommit: { base: 500, delta: 250 } },
  createEmptyBlocks: false,
  emptyBlocksInterval: 0,
};
const COMMIT_DELAY = 300; // like CometBFT's timeout_commit: a pause between heights
const GOSSIP_INTERVAL = 1000;
const HEIGHTS_AFTER_HEAL = 2;
const LIVENESS_DEADLINE = 120_000;
const MAX_HISTORY = 200;

type Wire =
  | { readonly kind: 'consensus'; readonly message: ConsensusMessage }
  | { readonly kind: 'commit'; readonly height: number; readonly value: Uint8Array; readonly certificate: CommitCertificate }
  | { readonly kind: 'status'; readonly height: number };

type SimEvent = { readonly time: number; readonly seq: number } & (
  | { readonly kind: 'deliver'; readonly to: number; readonly from: number; readonly wire: Wire }
  | { readonly kind: 'timer'; readonly to: number; readonly epoch: number; readonly timeout: 'propose' | 'prevote' | 'precommit' | 'emptyBlocks'; readonly height: number; readonly round: number }
  | { readonly kind: 'nextHeight' | 'gossip' | 'restart' | 'tx'; readonly to: number; readonly epoch: number }
  | { readonly kind: 'crash'; readonly to: number }
);

interface Instance {
  readonly id: number;
  readonly member: TestValidator;
  readonly behaviour: Behaviour;
  driver: Driver | null;
  epoch: number;
  durable: { snapshot: ConsensusSnapshot | null; blocks: Map<number, Decision> };
  pending: boolean;
  progress: string;
  stuckTicks: number;
  stuckHeight: number;
  history: ConsensusMessage[];
  seen: string[];
  replied: Map<string, number>;
}

export interface RunStats {
  readonly events: number;
  readonly broadcasts: number;
  readonly deliveries: number;
  readonly virtualTime: number;
  readonly heights: number;
}

export class Simulation {
  readonly ledger: Ledger;
  private readonly queue = new EventQueue<SimEvent>();
  private readonly rng: Prng;
  private readonly network: Network;
  private readonly instances: Instance[] = [];
  private seq = 0;
  now = 0;
  stats = { events: 0, broadcasts: 0, deliveries: 0 };
  private target = Number.POSITIVE_INFINITY;
  /** Set to receive one line per broadcast (npm run sim -- --trace). */
  trace: ((line: string) => void) | null = null;

  constructor(
    readonly scenario: Scenario,
    readonly variant: Variant = 'honest',
  ) {
    this.rng = new Prng(scenario.seed);
    this.network = new Network(scenario, this.rng.fork());
    const members = scenario.powers.map((p, i) => testValidator(i, p));
    this.ledger = new Ledger(scenario, members, CHAIN_ID, realSuite);
    members.forEach((member, i) => {
      const behaviour = scenario.behaviours[i]!;
      this.instances.push(this.instance(member, behaviour));
      if (behaviour === 'twins') this.instances.push(this.instance(member, behaviour));
    });
  }

  private instance(member: TestValidator, behaviour: Behaviour): Instance {
    const id = this.instances.length;
    const durable = { snapshot: null, blocks: new Map<number, Decision>() };
    return { id, member, behaviour, driver: null, epoch: 0, durable, pending: false, progress: '', stuckTicks: 0, stuckHeight: 0, history: [], seen: [], replied: new Map() };
  }

  private push(event: DistributiveOmit<SimEvent, 'seq'>): void {
    this.queue.push({ ...event, seq: this.seq++ } as SimEvent);
  }

  run(): RunStats {
    const { scenario } = this;
    for (const inst of this.instances) {
      this.boot(inst);
      this.push({ kind: 'gossip', to: inst.id, epoch: inst.epoch, time: this.rng.range(0, GOSSIP_INTERVAL) });
    }
    for (const c of scenario.crashes) {
      if (c.instance >= this.instances.length) continue;
      this.push({ kind: 'crash', to: c.instance, time: c.at });
      this.push({ kind: 'restart', to: c.instance, epoch: -1, time: c.at + c.downFor });
    }
    for (const t of scenario.txBursts) for (const inst of this.instances) this.push({ kind: 'tx', to: inst.id, epoch: -1, time: t + this.rng.range(0, 50) });
    if (scenario.load === 'sparse') this.target = scenario.txBursts.length;
    const deadline = (scenario.load === 'sparse' ? Math.max(...scenario.txBursts) : scenario.healAt) + LIVENESS_DEADLINE;
    let healed = scenario.healAt <= 0;
    if (healed && scenario.load === 'busy') this.target = HEIGHTS_AFTER_HEAL;
    if (healed) this.ledger.healed(new Map(this.instances.map((i) => [i.id, { height: 1, round: 0 }])));
    for (let e = this.queue.pop(); e; e = this.queue.pop()) {
      if (e.time > deadline) break;
      if (!healed && e.time >= scenario.healAt) {
        healed = true;
        this.target = this.ledger.maxHonestHeight() + HEIGHTS_AFTER_HEAL;
        this.ledger.healed(new Map(this.instances.map((i) => [i.id, { height: i.driver?.height ?? 0, round: i.driver?.round ?? 0 }])));
      }
      this.now = e.time;
      this.stats.events++;
      this.handle(e);
      if (healed && this.ledger.minHonestHeight() >= this.target) break;
    }
    this.ledger.finish(this.target);
    return { ...this.stats, virtualTime: this.now, heights: this.ledger.minHonestHeight() };
  }

  get targetHeight(): number {
    return this.target;
  }

  private boot(inst: Instance): void {
    const height = this.ledger.lastDecided(inst.id) + 1;
    const options = {
      chainId: CHAIN_ID,
      suite: this.variant === 'unsignedVotes' ? trustingSuite(realSuite) : realSuite,
      validators: this.ledger.validatorsAt(height),
      height,
      privateKey: inst.member.key,
      isValid: (h: number, value: Uint8Array) => this.ledger.isValid(h, value),
      config: SIM_CONFIG,
      seams: inst.behaviour === 'amnesia' ? { apply: applyWithoutLock } : seamsOf(this.variant),
    };
    const snapshot = inst.durable.snapshot;
    inst.driver = snapshot && snapshot.height === height ? Driver.restore(options, snapshot) : new Driver(options);
    inst.seen = [];
    this.perform(inst, inst.driver.start());
    this.wake(inst);
  }

  private wake(inst: Instance): void {
    if (this.scenario.load === 'busy') inst.pending = true;
    if (inst.pending && inst.driver) this.perform(inst, inst.driver.valueAvailable());
  }

  private handle(e: SimEvent): void {
    const inst = this.instances[e.to]!;
    if (e.kind === 'crash') {
      inst.driver = null;
      inst.epoch++;
      return;
    }
    if (e.kind === 'restart') {
      if (!inst.driver) {
        this.boot(inst);
        this.push({ kind: 'gossip', to: inst.id, epoch: inst.epoch, time: this.now + GOSSIP_INTERVAL });
      }
      return;
    }
    const driver = inst.driver;
    if (!driver) return;
    if ('epoch' in e && e.epoch !== -1 && e.epoch !== inst.epoch) return;
    switch (e.kind) {
      case 'deliver':
        return this.deliver(inst, driver, e.from, e.wire);
      case 'timer':
        return this.perform(inst, driver.onTimeout(e.timeout, e.height, e.round));
      case 'nextHeight':
        if (driver.step === 'commit') {
          this.perform(inst, driver.nextHeight(this.ledger.validatorsAt(driver.height + 1)));
          inst.seen = [];
          this.wake(inst);
        }
        return;
      case 'tx':
        inst.pending = true;
        return this.perform(inst, driver.valueAvailable());
      case 'gossip':
        this.gossip(inst, driver);
        this.push({ kind: 'gossip', to: inst.id, epoch: inst.epoch, time: this.now + GOSSIP_INTERVAL * this.rng.range(0.8, 1.2) });
    }
  }

  private deliver(inst: Instance, driver: Driver, from: number, wire: Wire): void {
    if (wire.kind === 'consensus') {
      if (inst.history.length < MAX_HISTORY) inst.history.push(wire.message);
      if (wire.message.kind === 'proposal' && wire.message.height === driver.height) inst.seen.push(wire.message.valueId);
      return this.perform(inst, driver.receive(wire.message), from);
    }
    if (wire.kind === 'status') {
      if (wire.height < driver.height) this.serveCommit(inst, from, wire.height);
      return;
    }
    if (wire.height !== driver.height || driver.step === 'commit') return;
    try {
      this.perform(inst, driver.applyCommit(wire.certificate, wire.value));
    } catch (error) {
      if (!(error instanceof InvalidCommitCertificateError)) throw error;
      this.ledger.violation(`instance ${inst.id} was sent a commit certificate that does not verify: ${error.message}`);
    }
  }

  /** A stuck node relays what it holds for the height: the gossip property Algorithm 1 assumes. */
  private gossip(inst: Instance, driver: Driver): void {
    // Relay once per round while a height is not deciding, and with back-off within a long
    // round; a height that decides within a tick costs no gossip at all.
    const progress = `${driver.height}/${driver.round}`;
    inst.stuckTicks = driver.height === inst.stuckHeight ? inst.stuckTicks + 1 : 0;
    inst.stuckHeight = driver.height;
    const fresh = progress !== inst.progress;
    const stuck = inst.stuckTicks > 0 && (fresh || (inst.stuckTicks & (inst.stuckTicks - 1)) === 0);
    if (stuck) inst.progress = progress;
    if (inst.behaviour === 'replayer') {
      for (let i = 0; i < 5 && inst.history.length > 0; i++) this.send(inst, [this.rng.int(this.instances.length)], { kind: 'consensus', message: this.rng.pick(inst.history) });
    }
    if (!stuck || driver.isWaiting || inst.behaviour === 'silent') return;
    const others = this.peers(inst);
    for (const m of driver.gossipMessages()) this.send(inst, others, { kind: 'consensus', message: m });
    this.send(inst, others, { kind: 'status', height: driver.height });
  }

  private serveCommit(inst: Instance, to: number, height: number): void {
    const block = inst.durable.blocks.get(height);
    const key = `${to}/${height}`;
    if (!block || (inst.replied.get(key) ?? -Infinity) > this.now - GOSSIP_INTERVAL || inst.behaviour === 'silent') return;
    if (this.scenario.syncOnlyAfterHeal && this.now < this.scenario.healAt) return;
    inst.replied.set(key, this.now);
    this.send(inst, [to], { kind: 'commit', height, value: block.value, certificate: block.certificate });
  }

  private peers(inst: Instance): number[] {
    return this.instances.filter((o) => o.id !== inst.id).map((o) => o.id);
  }

  private send(inst: Instance, to: readonly number[], wire: Wire): void {
    for (const target of to) {
      if (target === inst.id) continue;
      for (const delay of this.network.deliveries(inst.id, target, this.now)) {
        if (wire.kind === 'consensus') this.stats.deliveries++;
        this.push({ kind: 'deliver', to: target, from: inst.id, wire, time: this.now + delay });
      }
    }
  }

  private perform(inst: Instance, outputs: DriverOutput[], from?: number): void {
    for (const o of outputs) this.performOne(inst, o, from);
  }

  private performOne(inst: Instance, o: DriverOutput, from?: number): void {
    const driver = inst.driver!;
    switch (o.kind) {
      case 'persist':
        inst.durable.snapshot = o.snapshot;
        return;
      case 'broadcast':
        return this.broadcast(inst, o.message);
      case 'scheduleTimeout':
        this.push({ kind: 'timer', to: inst.id, epoch: inst.epoch, timeout: o.timeout, height: o.height, round: o.round, time: this.now + o.durationMs });
        return;
      case 'getValue':
        if (inst.pending) this.perform(inst, driver.proposeValue(o.height, o.round, this.ledger.makeValue(o.height, o.round, inst.id)));
        return;
      case 'decide':
        inst.durable.blocks.set(o.height, { height: o.height, round: o.round, value: o.value, valueId: o.valueId, certificate: o.certificate });
        this.ledger.decided(inst.id, inst.behaviour, { height: o.height, round: o.round, value: o.value, valueId: o.valueId, certificate: o.certificate }, this.now);
        if (this.scenario.load === 'sparse') inst.pending = false;
        this.push({ kind: 'nextHeight', to: inst.id, epoch: inst.epoch, time: this.now + COMMIT_DELAY });
        return;
      case 'evidence':
        this.ledger.evidence(offender(o.evidence));
        return;
      case 'rejected':
        if (o.reason === 'wrongHeight' && from !== undefined && o.message.height < driver.height) this.serveCommit(inst, from, o.message.height);
    }
  }

  private broadcast(inst: Instance, message: ConsensusMessage): void {
    this.stats.broadcasts++;
    if (this.trace) this.trace(`${this.now.toFixed(0)} #${inst.id} ${describeMessage(message)}`);
    this.ledger.sent(inst.behaviour, message, this.now);
    const ctx: LiarContext = {
      rng: this.rng,
      suite: realSuite,
      chainId: CHAIN_ID,
      key: inst.member.key,
      address: inst.member.validator.address,
      peers: this.peers(inst),
      validators: this.ledger.validatorsAt(message.height).validators.map((v) => v.address),
      proposerOf: (h, r) => this.ledger.validatorsAt(h).proposer(r),
      seenValueIds: inst.seen,
      proposed: (id) => this.ledger.proposed(id),
    };
    for (const out of outgoing(inst.behaviour, message, ctx)) this.send(inst, out.to, { kind: 'consensus', message: out.message });
  }
}

type DistributiveOmit<T, K extends PropertyKey> = T extends unknown ? Omit<T, K> : never;

export function describeMessage(m: ConsensusMessage): string {
  const id = (v: string | null) => (v === null ? 'nil' : v.slice(0, 8));
  return m.kind === 'vote' ? `${m.type} h${m.height} r${m.round} ${id(m.valueId)}` : `proposal h${m.height} r${m.round} vr${m.validRound} ${id(m.valueId)}`;
}
