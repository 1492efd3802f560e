/**
 * The validity oracle: a separate KvApplication that follows the chain as honest nodes first
 * commit it, and checks each block as it arrives — links to its parent (checkBlockLinks), the
 * chain's block limits, a time within the drift of the virtual clock, the validator set it names
 * (the scenario's set of that height, its changes applied) — and re-executes it to the roots in
 * its header. A second honest commit of a height must be the same bytes (agreement, checked
 * online; checks.ts re-checks the stores at the end).
 */
import type { ClassicLevel } from 'classic-level';
import { MemoryLevel } from 'memory-level';
import { checkBlockLinks, encodeBlock, type Block, type BlockHeader } from '../../../src/chain/index.js';
import { valueIdOf } from '../../../src/consensus/index.js';
import { KvApplication } from '../../../src/execution/index.js';
import type { ChainGenesis } from '../../../src/node/genesis.js';
import { DEFAULT_MAX_BLOCK_DRIFT_MS } from '../../../src/node/proposal-checks.js';
import { validatorSetHash } from '../../../src/node/validator-hash.js';
import { CHAIN_ID, LIMITS } from './config.js';
import { ScheduledSets } from './vset.js';

interface Canonical {
  readonly id: string;
  readonly header: BlockHeader;
  readonly by: string;
}

const same = (a: Uint8Array, b: Uint8Array) => Buffer.from(a).equals(Buffer.from(b));

export class Reference {
  readonly canonical = new Map<number, Canonical>();
  readonly violations: string[] = [];
  private tail: Promise<void> = Promise.resolve();
  private broken = false;

  private constructor(
    readonly app: KvApplication,
    private readonly genesis: ChainGenesis,
    private readonly sets: ScheduledSets,
  ) {}

  /** `sets`: the scenario's set of each height (its changes applied); genesis rotated when absent. */
  static async open(genesis: ChainGenesis, sets = new ScheduledSets(genesis.validators, new Map())): Promise<Reference> {
    const db = new MemoryLevel<string, Uint8Array>({ valueEncoding: 'view' });
    const app = await KvApplication.open(db as unknown as ClassicLevel<string, Uint8Array>, CHAIN_ID, { suite: genesis.suite });
    const g = genesis.file;
    await app.initChain({ chainId: g.chainId, time: g.time, appState: null });
    return new Reference(app, genesis, sets);
  }

  /** The committed height the oracle's state is at. */
  async height(): Promise<number> {
    return (await this.app.info()).height;
  }

  /** An honest node committed `block` at virtual time `now`; resolves once it is checked. */
  committed(node: string, block: Block, now: number): Promise<void> {
    const h = block.header.height;
    const id = valueIdOf(this.genesis.suite, encodeBlock(block));
    const known = this.canonical.get(h);
    if (known) {
      if (known.id !== id) this.violations.push(`agreement: height ${h} committed as ${known.id.slice(0, 12)} by ${known.by} and as ${id.slice(0, 12)} by ${node}`);
      return this.tail;
    }
    this.canonical.set(h, { id, header: block.header, by: node });
    const run = this.tail.then(() => this.check(node, block, now));
    this.tail = run.catch((err: unknown) => {
      this.broken = true;
      this.violations.push(`validity: height ${h} (first committed by ${node}) does not re-execute: ${(err as Error).message}`);
    });
    return this.tail;
  }

  private async check(node: string, block: Block, now: number): Promise<void> {
    const h = block.header.height;
    const suite = this.genesis.suite;
    const fail = (why: string) => this.violations.push(`validity: height ${h} (first committed by ${node}): ${why}`);
    const parent = this.canonical.get(h - 1)?.header;
    try {
      checkBlockLinks(suite, block, parent, CHAIN_ID);
    } catch (err) {
      fail((err as Error).message);
    }
    const bytes = block.txs.reduce((sum, tx) => sum + tx.length, 0);
    if (block.txs.length > LIMITS.maxBlockTxs || bytes > LIMITS.maxBlockBytes) fail(`${block.txs.length} txs / ${bytes} bytes exceed the limits ${LIMITS.maxBlockTxs} / ${LIMITS.maxBlockBytes}`);
    if (block.header.time > now + DEFAULT_MAX_BLOCK_DRIFT_MS) fail(`time ${block.header.time} is ${block.header.time - now} ms past the clock at commit`);
    const set = this.sets.at(h);
    if (!same(block.header.validatorSetHash, validatorSetHash(suite, set))) fail('names another validator set');
    if (!set.get(block.header.proposer)) fail(`names proposer ${block.header.proposer}, not a validator`);
    if (this.broken) return;
    const exec = await this.app.executeBlock({ height: h, time: block.header.time }, block.txs);
    if (!same(exec.stateRoot, block.header.stateRoot) || !same(exec.resultsRoot, block.header.resultsRoot)) fail('its roots are not those its transactions compute');
    await this.app.commit(h, exec.executionId);
  }

  /** Resolves once every block handed over so far is checked. */
  idle(): Promise<void> {
    return this.tail;
  }
}
