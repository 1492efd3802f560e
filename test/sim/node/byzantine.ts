/**
 * Byzantine validators. Each runs the real ChainRunner with its real key (so it follows the chain
 * and knows when it proposes); its outgoing messages pass through its attack, which may replace,
 * forge or add to them, and a periodic tick sends the attack's junk. The adversary is omniscient:
 * it reads honest stores and uses the validity oracle's state to give crafted blocks right roots.
 */
import { decodeBlock, encodeBlock, txRoot, type Block } from '../../../src/chain/index.js';
import {
  signProposal,
  signVote,
  valueIdOf,
  type ConsensusMessage,
  type Proposal,
  type Vote,
} from '../../../src/consensus/index.js';
import { buildKvTx } from '../../../src/execution/index.js';
import { decodeConsensusMessage, encodeConsensusMessage } from '../../../src/node/consensus-wire.js';
import { testValidator } from '../keys.js';
import type { Prng } from '../prng.js';
import type { Cluster, SimNode } from './cluster.js';
import { CHAIN_ID, LIMITS } from './config.js';
import type { Behaviour } from './scenarios.js';

const MAX_ROUND = Number.MAX_SAFE_INTEGER;
const MANY_VALUES = 30;
/** The ways B_bad of the C2 attack breaks its chain while its roots stay right. */
const BAD_HEADERS = ['parentHash', 'olderThanParent', 'farFuture', 'proposer', 'validatorSet', 'txRoot'] as const;

export interface SyncAnswer {
  readonly block: Uint8Array;
  readonly certificate: Uint8Array;
}

/** Up to `max` consecutive blocks from `height` on, with their certificates, from a node's store. */
export async function storeAnswer(node: SimNode, height: number, max = 1): Promise<SyncAnswer[]> {
  const store = node.store;
  const out: SyncAnswer[] = [];
  for (let h = height; store && node.online && h <= store.height && out.length < max; h++) {
    out.push({ block: (await store.block(h))!, certificate: (await store.certificate(h))! });
  }
  return out;
}

export class ByzantineNode {
  /** (height/round) → [the id its runner votes for, the id the attack votes for instead]. */
  private readonly rewrite = new Map<string, [string, string]>();
  private ticks = 0;
  attempts = 0;

  constructor(
    private readonly c: Cluster,
    readonly node: SimNode,
    readonly attack: Behaviour,
    private readonly prng: Prng,
  ) {}

  private get suite() {
    return this.c.genesis.suite;
  }
  private get address(): string {
    return testValidator(this.node.index).validator.address;
  }

  private sendAll(m: ConsensusMessage): void {
    this.c.broadcast(this.node.index, encodeConsensusMessage(m));
  }

  private propose(p: { height: number; round: number; validRound: number; value: Uint8Array; valueId?: string }): Proposal {
    const valueId = p.valueId ?? valueIdOf(this.suite, p.value);
    return signProposal(this.suite, this.node.key, this.address, { ...p, valueId }, CHAIN_ID);
  }

  private vote(type: Vote['type'], height: number, round: number, valueId: string | null): Vote {
    return signVote(this.suite, this.node.key, this.address, { type, height, round, valueId }, CHAIN_ID);
  }

  /** What its own runner broadcast: passed on, or replaced by the attack. */
  outgoing(bytes: Uint8Array): void {
    const m = decodeConsensusMessage(bytes);
    if (m.kind === 'vote') {
      const swap = this.rewrite.get(`${m.height}/${m.round}`);
      if (swap && m.valueId === swap[0]) return this.sendAll(this.vote(m.type, m.height, m.round, swap[1]));
      return this.c.broadcast(this.node.index, bytes);
    }
    if (m.validRound !== -1 || !['forgedValueId', 'oversize', 'farFuture', 'manyValues'].includes(this.attack)) return this.c.broadcast(this.node.index, bytes);
    this.attempts++;
    if (this.attack === 'forgedValueId') return this.forgeValueId(m);
    if (this.attack === 'manyValues') return this.manyValues(m);
    this.c.track(this.craftBlock(m));
  }

  /**
   * C2: first a proposal that claims Y = valueId(B_bad) but carries its valid block B (signed over
   * Y, so only the value hash gives it away), then B_bad itself, correctly signed, in this round.
   */
  private forgeValueId(p: Proposal): void {
    const block = decodeBlock(p.value);
    const bad = this.badHeader(block, this.prng.pick(BAD_HEADERS));
    const badValue = encodeBlock(bad);
    const y = valueIdOf(this.suite, badValue);
    this.sendAll(this.propose({ height: p.height, round: p.round, validRound: -1, value: p.value, valueId: y }));
    this.sendAll(this.propose({ height: p.height, round: p.round, validRound: -1, value: badValue }));
    this.rewrite.set(`${p.height}/${p.round}`, [p.valueId, y]);
  }

  /** Its own block and MANY_VALUES variants (times 1 ms apart: same roots, other ids), each signed. */
  private manyValues(p: Proposal): void {
    this.c.broadcast(this.node.index, encodeConsensusMessage(p));
    const block = decodeBlock(p.value);
    for (let i = 1; i <= MANY_VALUES; i++) {
      const value = encodeBlock({ ...block, header: { ...block.header, time: block.header.time + i } });
      this.sendAll(this.propose({ height: p.height, round: p.round, validRound: -1, value }));
    }
  }

  private badHeader(block: Block, how: (typeof BAD_HEADERS)[number]): Block {
    const h = block.header;
    const random = () => new Uint8Array(Array.from({ length: 32 }, () => this.prng.int(256)));
    switch (how) {
      case 'parentHash':
        return { ...block, header: { ...h, parentHash: random() } };
      case 'olderThanParent':
        return { ...block, header: { ...h, time: Math.max(0, h.time - 60_000) } };
      case 'farFuture':
        return { ...block, header: { ...h, time: h.time + 3_600_000 } };
      case 'proposer':
        return { ...block, header: { ...h, proposer: testValidator((this.node.index + 1) % this.c.scenario.n).validator.address } };
      case 'validatorSet':
        return { ...block, header: { ...h, validatorSetHash: random() } };
      case 'txRoot':
        return { ...block, header: { ...h, txRoot: random() } };
    }
  }

  /** Oversize or far-future: a block otherwise valid, its roots computed on the oracle's state. */
  private async craftBlock(p: Proposal): Promise<void> {
    const block = decodeBlock(p.value);
    const h = block.header;
    const ref = this.c.reference;
    if ((await ref.height()) !== h.height - 1) return this.sendAll(p);
    let txs = block.txs;
    let time = h.time;
    if (this.attack === 'farFuture') time = h.time + 3_600_000 * (1 + this.prng.int(24));
    else {
      const key = testValidator(900 + this.node.index).key;
      const big = this.prng.chance(0.5);
      const count = big ? 24 : LIMITS.maxBlockTxs + 1 - txs.length + this.prng.int(20);
      const size = big ? 900 : 8;
      const junk = Array.from({ length: Math.max(1, count) }, (_, i) =>
        buildKvTx({ chainId: CHAIN_ID, privateKey: key, nonce: 1_000_000 + i, ops: [{ type: 'put', key: new Uint8Array([i & 255, i >> 8]), value: new Uint8Array(size) }] }),
      );
      txs = [...txs, ...junk];
    }
    const exec = await ref.app.executeBlock({ height: h.height, time }, txs);
    const crafted: Block = { header: { ...h, time, txRoot: txRoot(this.suite, txs), stateRoot: exec.stateRoot, resultsRoot: exec.resultsRoot }, txs };
    const value = encodeBlock(crafted);
    const q = this.propose({ height: p.height, round: p.round, validRound: -1, value });
    this.rewrite.set(`${p.height}/${p.round}`, [p.valueId, q.valueId]);
    this.sendAll(q);
  }

  /** The attack's periodic junk. */
  tick(): void {
    const runner = this.node.runner;
    if (!this.node.online || !runner) return;
    const height = runner.height + 1;
    const round = runner.round;
    const t = this.ticks++;
    const randomBytes = (n: number) => new Uint8Array(Array.from({ length: n }, () => this.prng.int(256)));
    const validators = this.c.genesis.validators.validators;
    if (this.attack === 'hugeRound') {
      const value = randomBytes(64);
      const r = MAX_ROUND - this.prng.int(1000);
      const forged: Proposal = {
        kind: 'proposal',
        height,
        round: r,
        validRound: -1,
        value,
        valueId: valueIdOf(this.suite, value),
        proposer: this.prng.pick(validators).address,
        signature: randomBytes(64),
      };
      this.sendAll(forged);
      this.sendAll(this.propose({ height, round: MAX_ROUND - this.prng.int(1000), validRound: -1, value }));
      this.sendAll(this.vote('prevote', height, MAX_ROUND - this.prng.int(1000), null));
      this.sendAll(this.vote('precommit', height, MAX_ROUND, null));
    } else if (this.attack === 'voteSpam') {
      for (let i = 0; i < 30; i++) {
        const r = round + 1 + (t * 30 + i) * 7919;
        this.sendAll(this.vote(i % 2 === 0 ? 'prevote' : 'precommit', height, r, i % 3 === 0 ? null : valueIdOf(this.suite, randomBytes(8))));
      }
    } else if (this.attack === 'junkNextHeight') {
      for (let i = 0; i < 40; i++) {
        const v: Vote = { kind: 'vote', type: i % 2 ? 'prevote' : 'precommit', height: height + 1, round: this.prng.int(4), valueId: null, validator: this.prng.pick(validators).address, signature: randomBytes(64) };
        this.sendAll(v);
      }
      const value = randomBytes(200);
      const p: Proposal = { kind: 'proposal', height: height + 1, round: this.prng.int(4), validRound: -1, value, valueId: valueIdOf(this.suite, value), proposer: this.prng.pick(validators).address, signature: randomBytes(64) };
      this.sendAll(p);
      this.sendAll(this.vote('prevote', height + 1, this.prng.int(4), null));
    } else if (this.attack === 'followerSpam') this.followerSpam(height, round, randomBytes);
  }

  /**
   * Correctly signed, at this height and the next: a proposal of a junk value, a prevote for it
   * and a nil precommit, in the current round or the next (inside the window). From a follower,
   * all must be refused as not a validator's.
   */
  private followerSpam(height: number, round: number, randomBytes: (n: number) => Uint8Array): void {
    // The round is -1 while a height waits for its first value.
    const r = Math.max(0, round) + this.prng.int(2);
    const value = randomBytes(120);
    for (const h of [height, height + 1]) {
      this.sendAll(this.propose({ height: h, round: r, validRound: -1, value }));
      this.sendAll(this.vote('prevote', h, r, valueIdOf(this.suite, value)));
      this.sendAll(this.vote('precommit', h, r, null));
    }
  }

  /** A block-sync answer for `height`: lies for 'lyingSync', else its own store, honestly. */
  async answerSync(height: number): Promise<SyncAnswer | undefined> {
    if (this.attack !== 'lyingSync') return (await storeAnswer(this.node, height))[0];
    const best = this.c.honest.reduce((a, b) => (b.height > a.height ? b : a));
    const store = best.store;
    if (!store || store.height < height) return undefined;
    const block = (await store.block(height))!;
    const cert = (await store.certificate(height))!;
    const lie = this.prng.int(3);
    if (lie === 0 && height > 1) return { block, certificate: (await store.certificate(height - 1))! };
    if (lie === 1 && store.height > height) return { block: (await store.block(height + 1))!, certificate: cert };
    const b = decodeBlock(block);
    const other = encodeBlock({ ...b, header: { ...b.header, time: b.header.time + 1 + this.prng.int(1000) } });
    return { block: other, certificate: cert };
  }
}
