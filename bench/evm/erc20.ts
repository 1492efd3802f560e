// ERC-20 transfers per second through EvmApplication.executeBlock (flat state, native crypto),
// against a stock EthereumJS VM (MPT state manager, default pure-JS crypto, runTx per tx) in
// the same run, plus the stateless check (decode + sender recovery) rate of one thread.
// Usage: node --import tsx bench/evm/erc20.ts [--senders 500] [--blocks 6] [--block-size 500] [--baseline-blocks 2]
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { Session } from 'node:inspector/promises';
import { writeFileSync } from 'node:fs';
import { ClassicLevel } from 'classic-level';
import { createBlock } from '@ethereumjs/block';
import { createCustomCommon, Hardfork, Mainnet } from '@ethereumjs/common';
import { createFeeMarket1559Tx, createTxFromRLP } from '@ethereumjs/tx';
import { Account, Address, createAddressFromPrivateKey } from '@ethereumjs/util';
import { createVM, runTx } from '@ethereumjs/vm';
import { getCreateAddress } from 'ethers';
import { keccak256 } from '../../src/crypto/index.js';
import { secp256k1Native as native } from '../../src/crypto/secp256k1-native.js';
import { EvmApplication, evmTxCommon, evmStatelessVerdict, type StatelessVerdict } from '../../src/execution/index.js';
import { compileToken } from '../../src/execution/evm/erc20.fixture.js';
import { token } from '../../src/execution/evm/harness.fixture.js';

const { values } = parseArgs({
  options: {
    senders: { type: 'string', default: '500' },
    blocks: { type: 'string', default: '6' },
    'block-size': { type: 'string', default: '500' },
    'baseline-blocks': { type: 'string', default: '2' },
    only: { type: 'string', default: 'all' },
    profile: { type: 'string' },
  },
});
const SENDERS = Number(values.senders);
const BLOCKS = Number(values.blocks);
const BLOCK_SIZE = Number(values['block-size']);
const BASELINE_BLOCKS = Number(values['baseline-blocks']);
const CHAIN_ID = 4242;
const common = evmTxCommon(CHAIN_ID);

const keys = Array.from({ length: SENDERS + 1 }, (_, i) => keccak256(Buffer.from(`bench-${i}`)));
const addresses = keys.map((k) => createAddressFromPrivateKey(k));
const owner = 0;
const tokenAddress = new Address(Buffer.from(getCreateAddress({ from: addresses[owner]!.toString(), nonce: 0 }).slice(2), 'hex'));

/** A 1559 tx (gas price 0) signed natively: signing is set-up, not what is measured. */
function signed(from: number, nonce: number, to: Address | undefined, data: Uint8Array, gasLimit = 100_000n): Uint8Array {
  const unsigned = createFeeMarket1559Tx({ chainId: CHAIN_ID, nonce, to, data, gasLimit, maxFeePerGas: 0n, maxPriorityFeePerGas: 0n }, { common });
  const { signature, recid } = native.ecdsaSign(unsigned.getHashedMessageToSign(), keys[from]!);
  return unsigned.addSignature(BigInt(recid), signature.subarray(0, 32), signature.subarray(32)).serialize();
}

const hex = (b: Uint8Array) => `0x${Buffer.from(b).toString('hex')}`;
const transferData = (to: Address, value: bigint) => Buffer.from(token.encodeFunctionData('transfer', [to.toString(), value]).slice(2), 'hex');

/** Block 1 deploys, block 2 hands every sender tokens, then BLOCKS blocks of random transfers. */
function workload(): Uint8Array[][] {
  const artifact = compileToken();
  const deploy = Buffer.from((artifact.bytecode + token.encodeDeploy(['Bench', 'B', 10n ** 30n]).slice(2)).slice(2), 'hex');
  const blocks: Uint8Array[][] = [[signed(owner, 0, undefined, deploy, 3_000_000n)]];
  blocks.push(addresses.slice(1).map((a, i) => signed(owner, i + 1, tokenAddress, transferData(a, 10n ** 24n))));
  const nonces = new Array<number>(SENDERS + 1).fill(0);
  let seed = 42;
  const rand = (n: number) => ((seed = (seed * 1103515245 + 12345) % 2 ** 31), seed % n);
  for (let b = 0; b < BLOCKS; b++) {
    const txs: Uint8Array[] = [];
    for (let i = 0; i < BLOCK_SIZE; i++) {
      const from = 1 + ((b * BLOCK_SIZE + i) % SENDERS);
      txs.push(signed(from, nonces[from]!++, tokenAddress, transferData(addresses[1 + rand(SENDERS)]!, 1n + BigInt(rand(1000)))));
    }
    blocks.push(txs);
  }
  return blocks;
}

/** With --profile <file>, a V8 CPU profile of `fn` only (open it in Chrome DevTools or speedscope). */
async function profiled<T>(label: string, fn: () => Promise<T>): Promise<T> {
  if (values.profile === undefined) return fn();
  const session = new Session();
  session.connect();
  await session.post('Profiler.enable');
  await session.post('Profiler.start');
  try {
    return await fn();
  } finally {
    const { profile } = await session.post('Profiler.stop');
    writeFileSync(`${values.profile}.${label}.cpuprofile`, JSON.stringify(profile));
    session.disconnect();
  }
}

async function ours(blocks: Uint8Array[][], verdicts: Map<Uint8Array, StatelessVerdict> | undefined): Promise<number> {
  const dir = mkdtempSync(path.join(tmpdir(), 'bsn-evm-bench-'));
  const db = new ClassicLevel<string, Uint8Array>(dir, { valueEncoding: 'view' });
  try {
    const app = await EvmApplication.open(db, 'bench', { chainId: CHAIN_ID });
    const alloc = Object.fromEntries(addresses.map((a) => [a.toString(), { balance: '1000000000000000000000' }]));
    await app.initChain({ chainId: 'bench', time: 0, appState: { chainId: CHAIN_ID, alloc } });
    let measured = 0;
    let txs = 0;
    for (const [i, block] of blocks.entries()) {
      // Warm: the node's worker pool recovered these senders when the txs reached its mempool.
      if (verdicts) for (const tx of block) app.noteStatelessVerdict(tx, verdicts.get(tx) ?? evmStatelessVerdict(tx, common));
      const start = process.hrtime.bigint();
      const r = await app.executeBlock({ height: i + 1, time: 1_700_000_000_000 + i * 1000 }, block);
      await app.commit(i + 1, r.executionId);
      const ms = Number(process.hrtime.bigint() - start) / 1e6;
      const failed = r.results.filter((x) => !x.ok);
      if (failed.length > 0) throw new Error(`block ${i + 1}: ${failed.length} failed, e.g. ${failed[0]!.code}`);
      if (i >= 2) {
        measured += ms;
        txs += block.length;
      }
    }
    return (txs / measured) * 1000;
  } finally {
    await db.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

async function stock(blocks: Uint8Array[][]): Promise<number> {
  const stockCommon = createCustomCommon({ chainId: CHAIN_ID }, Mainnet, { hardfork: Hardfork.Cancun });
  const vm = await createVM({ common: stockCommon });
  for (const a of addresses) await vm.stateManager.putAccount(a, new Account(0n, 10n ** 21n));
  let measured = 0;
  let txs = 0;
  for (const [i, txBytes] of blocks.slice(0, 2 + BASELINE_BLOCKS).entries()) {
    const block = createBlock({ header: { number: BigInt(i + 1), timestamp: 1_700_000_000n + BigInt(i), gasLimit: 30_000_000n, baseFeePerGas: 0n } }, { common: stockCommon });
    const start = process.hrtime.bigint();
    let gasUsed = 0n;
    for (const bytes of txBytes) {
      const tx = createTxFromRLP(bytes, { common: stockCommon });
      const r = await runTx(vm, { tx, block, blockGasUsed: gasUsed, skipHardForkValidation: true });
      if (r.execResult.exceptionError) throw new Error(`stock: ${r.execResult.exceptionError.error}`);
      gasUsed += r.totalGasSpent;
    }
    await vm.stateManager.getStateRoot(); // a chain commits a root per block
    const ms = Number(process.hrtime.bigint() - start) / 1e6;
    if (i >= 2) {
      measured += ms;
      txs += txBytes.length;
    }
  }
  return (txs / measured) * 1000;
}

function statelessRate(blocks: Uint8Array[][]): { rate: number; verdicts: Map<Uint8Array, StatelessVerdict> } {
  const txs = blocks.slice(2).flat();
  const verdicts = new Map<Uint8Array, StatelessVerdict>();
  const start = process.hrtime.bigint();
  for (const tx of txs) verdicts.set(tx, evmStatelessVerdict(tx, common));
  const rate = (txs.length / Number(process.hrtime.bigint() - start)) * 1e9;
  if ([...verdicts.values()].some((v) => !v.ok)) throw new Error('stateless check refused a bench tx');
  return { rate, verdicts };
}

const blocks = workload();
console.log(`ERC-20 transfers: ${SENDERS} senders, blocks of ${BLOCK_SIZE}; bsn ${BLOCKS} blocks, stock ${BASELINE_BLOCKS} blocks (Node ${process.version})`);
const stateless = statelessRate(blocks);
console.log(`stateless check (decode + recover), one thread: ${stateless.rate.toFixed(0)} tx/s (${(1e6 / stateless.rate).toFixed(0)} µs/tx)`);
const skip = values.only === 'stock';
const cold = skip ? NaN : await profiled('bsn-cold', () => ours(blocks, undefined));
console.log(`bsn executeBlock + commit, senders recovered in executeBlock: ${cold.toFixed(0)} tx/s (${(1e6 / cold).toFixed(0)} µs/tx)`);
const bsn = skip ? NaN : await profiled('bsn', () => ours(blocks, stateless.verdicts));
console.log(`bsn executeBlock + commit, senders from the stateless check: ${bsn.toFixed(0)} tx/s (${(1e6 / bsn).toFixed(0)} µs/tx)`);
const base = values.only === 'bsn' ? NaN : await profiled('stock', () => stock(blocks));
console.log(`stock EthereumJS (MPT, JS crypto, runTx): ${base.toFixed(0)} tx/s (${(1e6 / base).toFixed(0)} µs/tx)`);
console.log(`ratio (senders from the stateless check): ${(bsn / base).toFixed(1)}x; cold: ${(cold / base).toFixed(1)}x`);
void hex;
