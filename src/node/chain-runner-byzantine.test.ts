/**
 * Regression tests for the node-layer findings of the 2026-12 review (C1, C2, M7, M8, M9, H5,
 * the commit re-check): one honest ChainRunner among four validators whose other three keys the
 * test holds, so it can send exactly the messages a Byzantine certified peer would.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { ClassicLevel } from 'classic-level';
import { getSuite, type KeyPair } from '../crypto/index.js';
import { BlockStore, encodeBlock, headerHash, txRoot, type Block } from '../chain/index.js';
import {
  DEFAULT_CONSENSUS_CONFIG,
  encodeCommitCertificate,
  makeCommitCertificate,
  signProposal,
  signVote,
  validatorAddress,
  valueIdOf,
  type ConsensusMessage,
  type Proposal,
} from '../consensus/index.js';
import { buildKvTx, KvApplication } from '../execution/index.js';
import { Mempool } from './mempool/index.js';
import { ChainRunner, type ChainRunnerOptions } from './chain-runner.js';
import { decodeConsensusMessage } from './consensus-wire.js';
import { parseGenesis, type ChainGenesis } from './genesis.js';
import { validatorSetHash } from './validator-hash.js';

const suite = getSuite('ecdsa-p256');
const quiet = { info: () => undefined, warn: () => undefined };
const CHAIN = 'demo';
const GENESIS_TIME = 1_700_000_000_000;

interface Harness {
  runner: ChainRunner;
  genesis: ChainGenesis;
  /** The keys of the other three validators, by address. */
  keys: Map<string, KeyPair>;
  honest: string;
  sent: ConsensusMessage[];
  reports: string[];
  executions: () => number;
  store: BlockStore;
  app: KvApplication;
  /** Executes `txs` at height 1 on a fresh copy of the app: the roots an honest proposer would put in its header. */
  block(opts: { txs?: Uint8Array[]; time?: number; proposer: string; parentHash?: Uint8Array }): Promise<{ block: Block; bytes: Uint8Array }>;
  stop(): Promise<void>;
}

async function harness(t: { after(fn: () => unknown): void }, overrides: Partial<ChainRunnerOptions> = {}): Promise<Harness> {
  const dir = mkdtempSync(path.join(tmpdir(), 'bsn-byz-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const all = Array.from({ length: 4 }, () => suite.generateKeyPair());
  const genesis = parseGenesis(
    JSON.stringify({
      chainId: CHAIN,
      suite: 'ecdsa-p256',
      app: 'kv',
      time: GENESIS_TIME,
      validators: all.map((k, i) => ({ name: `node${i + 1}`, publicKey: Buffer.from(k.publicKey.bytes).toString('hex'), power: 1 })),
    }),
  );
  const byAddress = new Map(all.map((k) => [validatorAddress(suite, k.publicKey), k]));
  // The honest node is anyone but round 0's proposer, so the test proposes at round 0.
  const proposer0 = genesis.validators.proposer(0);
  const honest = [...byAddress.keys()].find((a) => a !== proposer0)!;
  const key = byAddress.get(honest)!;
  byAddress.delete(honest);

  const db = new ClassicLevel<string, Uint8Array>(path.join(dir, 'db'), { valueEncoding: 'view' });
  const app = await KvApplication.open(db, CHAIN, { suite });
  let executions = 0;
  const execute = app.executeBlock.bind(app);
  app.executeBlock = (ctx, txs) => {
    executions++;
    return execute(ctx, txs);
  };
  const mempool = Mempool.open(app, { hash: (tx) => suite.hash(tx), workers: 0 });
  const store = await BlockStore.open(db, CHAIN);
  const sent: ConsensusMessage[] = [];
  const reports: string[] = [];
  const runner = new ChainRunner({
    genesis,
    app,
    mempool,
    store,
    wal: { append: () => undefined, discard: () => undefined },
    walRecords: [],
    privateKey: key.privateKey,
    consensus: { ...DEFAULT_CONSENSUS_CONFIG },
    limits: { maxBlockBytes: 64 * 1024, maxBlockTxs: 2 },
    log: quiet,
    network: { broadcastConsensus: (bytes) => void sent.push(decodeConsensusMessage(bytes)), reportInvalid: (_peer, reason) => void reports.push(reason) },
    ...overrides,
  });
  await runner.start();

  const scratchDb = new ClassicLevel<string, Uint8Array>(path.join(dir, 'scratch'), { valueEncoding: 'view' });
  const scratch = await KvApplication.open(scratchDb, CHAIN, { suite });
  await scratch.initChain({ chainId: CHAIN, time: GENESIS_TIME, appState: null });
  return {
    runner,
    genesis,
    keys: byAddress,
    honest,
    sent,
    reports,
    executions: () => executions,
    store,
    app,
    async block({ txs = [], time = Date.now(), proposer, parentHash = new Uint8Array(0) }) {
      const execution = await scratch.executeBlock({ height: 1, time, statelessChecked: txs.map(() => false) }, txs);
      const block: Block = {
        header: {
          chainId: CHAIN,
          height: 1,
          time,
          parentHash,
          txRoot: txRoot(suite, txs),
          stateRoot: execution.stateRoot,
          resultsRoot: execution.resultsRoot,
          validatorSetHash: validatorSetHash(suite, genesis.validators),
          proposer,
        },
        txs,
      };
      return { block, bytes: encodeBlock(block) };
    },
    async stop() {
      await runner.stop();
      await mempool.close();
      await db.close();
      await scratchDb.close();
    },
  };
}

/** Resolves once every message given to the runner so far has been handled, or rejects after `ms` (a frozen runner). */
async function settled(h: Harness, ms = 2000): Promise<void> {
  const done = h.runner.whenIdle();
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error(`the runner did not handle its messages within ${ms} ms`)), ms)));
  try {
    await Promise.race([done, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

function propose(h: Harness, bytes: Uint8Array, round = 0, proposer = h.genesis.validators.proposer(round)): Proposal {
  const key = h.keys.get(proposer)!;
  return signProposal(suite, key.privateKey, proposer, { height: 1, round, validRound: -1, value: bytes, valueId: valueIdOf(suite, bytes) }, CHAIN);
}

const prevotesOf = (h: Harness) => h.sent.filter((m) => m.kind === 'vote' && m.type === 'prevote' && m.validator === h.honest && m.round === 0);

test('C1: a proposal and a vote with a round near 2^53 are refused at once, before any proposer is computed', async (t) => {
  const h = await harness(t);
  t.after(() => h.stop());
  const proposer = h.genesis.validators.proposer(0);
  const huge = Number.MAX_SAFE_INTEGER;
  const { bytes } = await h.block({ proposer });
  // Unsigned: the round must be refused before the proposer of that round is looked up.
  h.runner.onMessage('byz', { kind: 'proposal', height: 1, round: huge, validRound: -1, value: bytes, valueId: valueIdOf(suite, bytes), proposer, signature: new Uint8Array(64) });
  const voter = [...h.keys.keys()][0]!;
  h.runner.onMessage('byz', signVote(suite, h.keys.get(voter)!.privateKey, voter, { type: 'prevote', height: 1, round: huge - 1, valueId: null }, CHAIN));
  await settled(h);
  assert.equal(h.reports.filter((r) => r.includes('roundTooFar')).length, 2, h.reports.join('; '));
  assert.equal(h.executions(), 0);
});

/**
 * The C2 attack: the forgery carries a good block under the id of B_bad, a block that does not
 * link to genesis (a parent hash where there is none); then B_bad itself comes, correctly signed
 * by the round's proposer. Returns B_bad's id once the runner has handled both.
 */
async function forgedValueIdAttack(h: Harness): Promise<string> {
  const proposer = h.genesis.validators.proposer(0);
  const good = await h.block({ proposer });
  const bad = await h.block({ proposer, parentHash: new Uint8Array(32).fill(7) });
  const badId = valueIdOf(suite, bad.bytes);
  h.runner.onMessage('byz', { kind: 'proposal', height: 1, round: 0, validRound: -1, value: good.bytes, valueId: badId, proposer, signature: new Uint8Array(64) });
  h.runner.onMessage('byz', propose(h, bad.bytes));
  await settled(h);
  return badId;
}

test('C2: a forged proposal cannot get a bad block marked valid under its value id', async (t) => {
  const h = await harness(t);
  t.after(() => h.stop());
  await forgedValueIdAttack(h);
  const prevotes = prevotesOf(h);
  assert.equal(prevotes.length, 1, 'the honest node prevoted once in round 0');
  assert.equal((prevotes[0] as { valueId: string | null }).valueId, null, 'it prevoted nil, not the bad block');
  assert.equal(h.executions(), 0, 'neither the forgery nor the unlinked block was executed');
  assert.ok(h.reports.some((r) => r.includes('badValueId') || r.includes('badSignature')), h.reports.join('; '));
});

test('M7: proposals over the block limits or with a time far past the clock get a nil prevote', async (t) => {
  const enc = new TextEncoder();
  const client = suite.generateKeyPair();
  const txs = [0, 1, 2].map((nonce) => buildKvTx({ chainId: CHAIN, privateKey: client.privateKey, nonce, ops: [{ type: 'put', key: enc.encode(`k${nonce}`), value: enc.encode('v') }] }));
  for (const [what, make] of [
    ['too many txs', (h: Harness, proposer: string) => h.block({ proposer, txs })],
    ['a time a day ahead', (h: Harness, proposer: string) => h.block({ proposer, time: Date.now() + 86_400_000 })],
  ] as const) {
    const h = await harness(t);
    const proposer = h.genesis.validators.proposer(0);
    const { bytes } = await make(h, proposer);
    h.runner.onMessage('byz', propose(h, bytes));
    await settled(h);
    assert.equal((prevotesOf(h)[0] as { valueId: string | null } | undefined)?.valueId, null, what);
    assert.ok(h.reports.some((r) => r.includes('invalid proposal')), `${what}: ${h.reports.join('; ')}`);
    await h.stop();
  }
});

test('M8 and next-height junk: unsigned proposals are not executed, junk next-height votes are refused', async (t) => {
  const h = await harness(t);
  t.after(() => h.stop());
  const proposer = h.genesis.validators.proposer(0);
  const { bytes } = await h.block({ proposer });
  h.runner.onMessage('byz', { kind: 'proposal', height: 1, round: 0, validRound: -1, value: bytes, valueId: valueIdOf(suite, bytes), proposer, signature: new Uint8Array(64) });
  const voter = [...h.keys.keys()][0]!;
  for (let round = 0; round < 50; round++) {
    h.runner.onMessage('byz', { kind: 'vote', type: 'prevote', height: 2, round, valueId: null, validator: voter, signature: new Uint8Array(64) });
  }
  await settled(h);
  assert.equal(h.executions(), 0, 'an unsigned proposal was executed');
  assert.equal(h.reports.filter((r) => r.includes('badSignature')).length, 51, h.reports.join('; '));
});

test('M9: signed votes over thousands of rounds are bounded by the round window', async (t) => {
  const h = await harness(t);
  t.after(() => h.stop());
  const voter = [...h.keys.keys()][0]!;
  const key = h.keys.get(voter)!.privateKey;
  for (let round = 0; round < 1500; round++) h.runner.onMessage('byz', signVote(suite, key, voter, { type: 'prevote', height: 1, round, valueId: null }, CHAIN));
  await settled(h, 20_000);
  // The window is 1000 rounds above the current round (0, or 1 if the votes moved the node on).
  const refused = h.reports.filter((r) => r.includes('roundTooFar')).length;
  assert.ok(refused >= 498 && refused <= 500, `refused ${refused}`);
});

test('H5: a synced block must be the one its certificate commits, at the height asked for', async (t) => {
  const h = await harness(t);
  t.after(() => h.stop());
  const proposer = h.genesis.validators.proposer(0);
  const good = await h.block({ proposer });
  const other = await h.block({ proposer, time: Date.now() + 1 });
  const signers = [...h.keys.entries()];
  const certify = (height: number, bytes: Uint8Array) =>
    encodeCommitCertificate(
      makeCommitCertificate(height, 0, valueIdOf(suite, bytes), signers.map(([a, k]) => signVote(suite, k.privateKey, a, { type: 'precommit', height, round: 0, valueId: valueIdOf(suite, bytes) }, CHAIN))),
    );
  await assert.rejects(h.runner.applySyncedBlock(1, good.bytes, certify(2, good.bytes)), { code: 'NODE_SYNCED_BLOCK_MISMATCH' });
  await assert.rejects(h.runner.applySyncedBlock(1, other.bytes, certify(1, good.bytes)), { code: 'NODE_SYNCED_BLOCK_MISMATCH' });
  assert.equal(h.executions(), 0, 'a mismatched block was executed');
  assert.equal(h.store.height, 0);
  await h.runner.applySyncedBlock(1, good.bytes, certify(1, good.bytes));
  assert.equal(h.store.height, 1);
});

test('commit re-checks the links: a certified block that does not link to its parent is not stored', async (t) => {
  const h = await harness(t);
  t.after(() => h.stop());
  const proposer = h.genesis.validators.proposer(0);
  const bad = await h.block({ proposer, parentHash: headerHash(suite, (await h.block({ proposer })).block.header) });
  const id = valueIdOf(suite, bad.bytes);
  const signers = [...h.keys.entries()];
  const cert = makeCommitCertificate(1, 0, id, signers.map(([a, k]) => signVote(suite, k.privateKey, a, { type: 'precommit', height: 1, round: 0, valueId: id }, CHAIN)));
  await assert.rejects(h.runner.applySyncedBlock(1, bad.bytes, encodeCommitCertificate(cert)), { code: 'CHAIN_BLOCK_INVALID' });
  assert.equal(h.store.height, 0, 'the unlinked block was stored');
});

test('regressions switch: with C2 put back, the forged proposal gets the bad block a prevote (the test above has teeth)', async (t) => {
  const h = await harness(t, { regressions: { C2: true } });
  t.after(() => h.stop());
  const badId = await forgedValueIdAttack(h);
  assert.equal((prevotesOf(h)[0] as { valueId: string | null }).valueId, badId);
});

test('an equivocating proposer: at most 4 of its blocks per round are executed, and after 80 candidates the decided one still commits', async (t) => {
  const h = await harness(t);
  t.after(() => h.stop());
  const rounds = Array.from({ length: 40 }, (_, r) => r).filter((r) => h.genesis.validators.proposer(r) !== h.honest).slice(0, 20);
  let first: Uint8Array | undefined;
  for (const round of rounds) {
    for (let i = 0; i < 6; i++) {
      const { bytes } = await h.block({ proposer: h.genesis.validators.proposer(round), time: Date.now() - 1000 * (round * 10 + i) });
      first ??= bytes;
      h.runner.onMessage('byz', propose(h, bytes, round));
    }
  }
  await settled(h, 20_000);
  assert.equal(h.executions(), 4 * rounds.length, 'executions: 4 per round');
  // The three other validators precommit the very first block: the node decides it and commits.
  const id = valueIdOf(suite, first!);
  for (const [a, k] of h.keys) h.runner.onMessage('byz', signVote(suite, k.privateKey, a, { type: 'precommit', height: 1, round: rounds[0]!, valueId: id }, CHAIN));
  await settled(h, 5_000);
  assert.equal(h.store.height, 1, 'the decided block was not stored');
  assert.equal((await h.app.info()).height, 1, 'the application did not commit the decided block');
});
