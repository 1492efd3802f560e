/**
 * The simulated network of real nodes: each validator runs the real ChainRunner with the real
 * driver, KvApplication, Mempool (stateless checks inline: a worker pool's timing would make a
 * run depend on the OS scheduler) and BlockStore, all on memory-level, with the WAL in memory
 * (it survives a simulated crash, as a synced file would) and the clock and timers virtual.
 */
import type { ClassicLevel } from 'classic-level';
import { MemoryLevel } from 'memory-level';
import { BlockStore, type Block } from '../../../src/chain/index.js';
import type { PrivateKey } from '../../../src/crypto/index.js';
import { KvApplication } from '../../../src/execution/index.js';
import { ChainRunner, type ConsensusLog } from '../../../src/node/chain-runner.js';
import { decodeConsensusMessage as decodeWire } from '../../../src/node/consensus-wire.js';
import { parseGenesis, type ChainGenesis } from '../../../src/node/genesis.js';
import { Mempool } from '../../../src/node/mempool/index.js';
import { testValidator } from '../keys.js';
import { Prng } from '../prng.js';
import { CHAIN_ID, CONSENSUS, GENESIS_TIME, LIMITS } from './config.js';
import { countQueuedJobs } from './internals.js';
import type { Reference } from './reference.js';
import type { NodeScenario } from './scenarios.js';
import { VirtualTime } from './virtual.js';
import { ScheduledSets, withFaultyStore, withSetChanges, type EngineFault } from './vset.js';

export interface Regressions {
  readonly C1?: boolean;
  readonly C2?: boolean;
}

/** A WAL in memory: appends are "durable" at once, and survive a crash of the node. */
class MemoryWal implements ConsensusLog {
  records: Uint8Array[] = [];
  append(record: Uint8Array): void {
    this.records.push(record.slice());
  }
  discard(): void {
    this.records = [];
  }
}

export class SimNode {
  readonly name: string;
  readonly db = new MemoryLevel<string, Uint8Array>({ valueEncoding: 'view' });
  readonly wal = new MemoryWal();
  runner: ChainRunner | undefined;
  app: KvApplication | undefined;
  mempool: Mempool | undefined;
  store: BlockStore | undefined;
  jobs: { pending(): number } = { pending: () => 0 };
  online = false;
  /** Block executions per height (the application's executeBlock calls). */
  readonly executions = new Map<number, number>();

  constructor(
    readonly index: number,
    readonly key: PrivateKey,
    readonly honest: boolean,
  ) {
    this.name = `node${index}`;
  }

  get height(): number {
    return this.store?.height ?? 0;
  }
}

export interface ClusterHooks {
  /** Outgoing consensus bytes of a Byzantine node's own runner: the attack decides what is sent. */
  outgoing(node: SimNode, bytes: Uint8Array): void;
  onCommit(node: SimNode, block: Block): void;
  /** Outgoing consensus bytes of an honest node (what it signed, for the membership checks). */
  sent?(node: SimNode, bytes: Uint8Array): void;
}

export function simGenesis(n: number): ChainGenesis {
  const validators = Array.from({ length: n }, (_, i) => ({
    name: `node${i}`,
    publicKey: Buffer.from(testValidator(i).key.publicKey.bytes).toString('hex'),
    power: 1,
  }));
  return parseGenesis(JSON.stringify({ chainId: CHAIN_ID, suite: 'ed25519', app: 'kv', time: GENESIS_TIME, validators }));
}

export class Cluster {
  readonly time = new VirtualTime(GENESIS_TIME + 1000);
  readonly genesis: ChainGenesis;
  /** The validator set of every height: genesis, rotation and the scenario's changes. */
  readonly sets: ScheduledSets;
  readonly nodes: SimNode[];
  readonly prng: Prng;
  readonly reports = new Map<string, number>();
  hooks: ClusterHooks | undefined;
  private side = 0;
  private readonly sidePromises = new Set<Promise<unknown>>();

  constructor(
    readonly scenario: NodeScenario,
    readonly reference: Reference,
    private readonly regressions: Regressions | undefined,
    private readonly engineFault?: EngineFault,
  ) {
    this.genesis = simGenesis(scenario.n);
    this.sets = new ScheduledSets(this.genesis.validators, scenario.changes);
    this.prng = new Prng(scenario.seed);
    // Nodes n.. are followers: a key of their own, not in the genesis set.
    this.nodes = Array.from({ length: scenario.n + scenario.followers }, (_, i) => new SimNode(i, testValidator(i).key, !scenario.byzantine.has(i)));
  }

  get honest(): SimNode[] {
    return this.nodes.filter((n) => n.honest);
  }

  /** Work outside any runner's queue (mempool admission, sync answers) that `settle` waits for. */
  track(p: Promise<unknown>): void {
    this.side++;
    const done = p.then(
      () => undefined,
      () => undefined,
    );
    this.sidePromises.add(done);
    void done.then(() => {
      this.side--;
      this.sidePromises.delete(done);
    });
  }

  private idle(): boolean {
    return this.side === 0 && this.nodes.every((n) => n.jobs.pending() === 0);
  }

  /** Waits until every runner's queue is empty and no side work is left (then the next event may run). */
  async settle(): Promise<void> {
    for (;;) {
      if (this.idle()) {
        await new Promise<void>((resolve) => setImmediate(resolve));
        if (this.idle()) return;
      }
      await Promise.all([...this.nodes.flatMap((n) => (n.runner && n.jobs.pending() > 0 ? [n.runner.whenIdle()] : [])), ...this.sidePromises, this.reference.idle()]);
    }
  }

  async start(node: SimNode): Promise<void> {
    const db = node.db as unknown as ClassicLevel<string, Uint8Array>;
    const app = await KvApplication.open(db, CHAIN_ID, { suite: this.genesis.suite });
    const execute = app.executeBlock.bind(app);
    app.executeBlock = (ctx, txs) => {
      node.executions.set(ctx.height, (node.executions.get(ctx.height) ?? 0) + 1);
      return execute(ctx, txs);
    };
    withSetChanges(app, this.scenario.changes, this.engineFault, this.scenario.n, node.index);
    const mempool = Mempool.open(app, { hash: (tx) => this.genesis.suite.hash(tx), workers: 0 });
    const store = await BlockStore.open(db, CHAIN_ID);
    withFaultyStore(store, this.engineFault);
    const runner = new ChainRunner({
      genesis: this.genesis,
      app,
      mempool,
      store,
      wal: node.wal,
      walRecords: [...node.wal.records],
      privateKey: node.key,
      consensus: CONSENSUS,
      limits: LIMITS,
      log: this.log(node),
      // Date.now() is whole milliseconds; block times are encoded as integers.
      now: () => Math.floor(this.time.now),
      timers: this.time.timers(),
      ...(this.regressions ? { regressions: this.regressions } : {}),
      network: {
        broadcastConsensus: (bytes) => {
          if (!node.online) return;
          if (!node.honest && this.hooks) return this.hooks.outgoing(node, bytes);
          this.hooks?.sent?.(node, bytes);
          this.broadcast(node.index, bytes);
        },
        reportInvalid: (_peer, reason) => {
          const kind = reason.replace(/[:(].*$/, '').trim();
          this.reports.set(kind, (this.reports.get(kind) ?? 0) + 1);
        },
      },
      onCommit: (block) => this.hooks?.onCommit(node, block),
    });
    node.jobs = countQueuedJobs(runner);
    Object.assign(node, { app, mempool, store, runner, online: true });
    await runner.start();
  }

  /** Runner warnings, kept (the last few) for failure reports; SIM_LOG=1 prints them. */
  readonly warnings: string[] = [];
  private log(node: SimNode) {
    const print = process.env['SIM_LOG'] === '1';
    return {
      info: () => undefined,
      warn: (obj: object, msg: string) => {
        const line = `${this.time.elapsed.toFixed(0)} ${node.name}: ${msg} ${JSON.stringify(obj)}`;
        if (print) console.log(line);
        if (this.warnings.push(line) > 50) this.warnings.shift();
      },
    };
  }

  async crash(node: SimNode): Promise<void> {
    if (!node.online) return;
    node.online = false;
    await node.runner?.stop();
    await node.mempool?.close();
    node.runner = undefined;
  }

  broadcast(from: number, bytes: Uint8Array): void {
    for (const to of this.nodes) if (to.index !== from) this.send(from, to.index, bytes);
  }

  /** One message on one link, subject to the scenario's faults (partitions never cut a Byzantine node's links). */
  send(from: number, to: number, bytes: Uint8Array): void {
    const s = this.scenario;
    const t = this.time.elapsed;
    const faulty = t >= s.faultFrom && t < s.healAt;
    if (faulty && s.drop > 0 && this.prng.chance(s.drop)) return;
    if (faulty && s.groups.length > 0 && this.nodes[from]!.honest && this.nodes[to]!.honest) {
      const side = (i: number) => s.groups.findIndex((g) => g.includes(i));
      if (side(from) !== side(to)) return;
    }
    const delay = this.prng.exponential(faulty ? s.faultDelayMean : s.calmDelayMean) + 1;
    this.time.at(delay, () => this.deliver(from, to, bytes));
  }

  private deliver(from: number, to: number, bytes: Uint8Array): void {
    const node = this.nodes[to]!;
    if (!node.online || !node.runner) return;
    let message;
    try {
      message = decodeWire(bytes);
    } catch {
      this.reports.set('undecodable', (this.reports.get('undecodable') ?? 0) + 1);
      return;
    }
    node.runner.onMessage(`node${from}`, message);
  }
}
