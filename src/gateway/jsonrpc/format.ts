import { Transaction } from 'ethers';
import { evmTxHashHex, type EvmLog, type EvmReceipt } from '../../execution/index.js';
import type { EvmChainView } from './chain-view.js';
import { data, quantity, ZERO_ADDRESS, ZERO_HASH } from './hex.js';

/*
 * Ethereum-shaped objects (as geth returns them) built from BSN blocks, EVM receipts and block
 * records: what ethers, viem and Hardhat parse.
 */

type Json = Record<string, unknown>;

/** keccak256(rlp([])): the uncles hash of a block without uncles. */
const EMPTY_UNCLES = '0x1dcc4de8dec75d7aab85b567b6ccd41ad312451b948a7413f0a142fd40d49347';
const EMPTY_BLOOM = `0x${'00'.repeat(256)}`;

export interface TxPlace {
  readonly blockHash: string | null;
  readonly blockNumber: number | null;
  readonly index: number | null;
  readonly from: string;
  /** For a committed EIP-1559 tx, the price it paid. */
  readonly effectiveGasPrice?: bigint;
}

/** A transaction object (eth_getTransactionByHash, full blocks). */
export function formatTx(raw: Uint8Array, place: TxPlace): Json {
  const tx = Transaction.from(data(raw));
  const sig = tx.signature!;
  const out: Json = {
    hash: `0x${evmTxHashHex(raw)}`,
    type: quantity(tx.type ?? 0),
    chainId: quantity(tx.chainId),
    nonce: quantity(tx.nonce),
    blockHash: place.blockHash,
    blockNumber: place.blockNumber === null ? null : quantity(place.blockNumber),
    transactionIndex: place.index === null ? null : quantity(place.index),
    from: place.from,
    to: tx.to === null ? null : tx.to.toLowerCase(),
    value: quantity(tx.value),
    gas: quantity(tx.gasLimit),
    input: tx.data,
    v: quantity(tx.type === 0 ? sig.networkV ?? BigInt(sig.v) : BigInt(sig.yParity)),
    r: sig.r,
    s: sig.s,
  };
  if (tx.type === 0) out['gasPrice'] = quantity(tx.gasPrice ?? 0n);
  else {
    out['yParity'] = quantity(sig.yParity);
    out['accessList'] = tx.accessList ?? [];
  }
  if (tx.type === 1) out['gasPrice'] = quantity(tx.gasPrice ?? 0n);
  if (tx.type === 2) {
    out['maxFeePerGas'] = quantity(tx.maxFeePerGas ?? 0n);
    out['maxPriorityFeePerGas'] = quantity(tx.maxPriorityFeePerGas ?? 0n);
    // The base fee is 0, so a tx pays its priority fee, capped by its max fee.
    out['gasPrice'] = quantity(place.effectiveGasPrice ?? 0n);
  }
  return out;
}

export function formatLog(log: EvmLog, at: { blockHash: string; blockNumber: number; txHash: string; txIndex: number; logIndex: number }): Json {
  return {
    address: data(log.address),
    topics: log.topics.map(data),
    data: data(log.data),
    blockNumber: quantity(at.blockNumber),
    blockHash: at.blockHash,
    transactionHash: at.txHash,
    transactionIndex: quantity(at.txIndex),
    logIndex: quantity(at.logIndex),
    removed: false,
  };
}

/** The index in its block of a receipt's first log: the logs of the receipts before it. */
async function firstLogIndex(view: EvmChainView, r: EvmReceipt): Promise<number> {
  if (r.index === 0) return 0;
  const record = await view.blockRecord(r.height);
  if (!record) return 0;
  const receipts = await view.blockReceipts(r.height, record);
  let n = 0;
  for (let i = 0; i < r.index && i < receipts.length; i++) n += receipts[i]?.logs.length ?? 0;
  return n;
}

export async function formatReceipt(view: EvmChainView, r: EvmReceipt): Promise<Json> {
  const blockHash = (await view.blockHash(r.height)) ?? ZERO_HASH;
  const txHash = data(r.txHash);
  const first = await firstLogIndex(view, r);
  return {
    transactionHash: txHash,
    transactionIndex: quantity(r.index),
    blockHash,
    blockNumber: quantity(r.height),
    from: data(r.from),
    to: r.to === null ? null : data(r.to),
    cumulativeGasUsed: quantity(r.cumulativeGasUsed),
    gasUsed: quantity(r.gasUsed),
    effectiveGasPrice: quantity(r.effectiveGasPrice),
    contractAddress: r.contractAddress === null ? null : data(r.contractAddress),
    logs: r.logs.map((l, i) => formatLog(l, { blockHash, blockNumber: r.height, txHash, txIndex: r.index, logIndex: first + i })),
    logsBloom: data(r.bloom),
    status: quantity(r.status),
    type: quantity(r.type),
  };
}

/** An Ethereum block object for height `height`, or null when there is none. */
export async function formatBlock(view: EvmChainView, height: number, full: boolean): Promise<Json | null> {
  const hash = await view.blockHash(height);
  if (hash === undefined) return null;
  const parentHash = height === 0 ? ZERO_HASH : ((await view.blockHash(height - 1)) ?? ZERO_HASH);
  const block = height === 0 ? undefined : await view.block(height);
  const record = height === 0 ? undefined : await view.blockRecord(height);
  const time = block ? block.header.time : view.genesisTime;
  let transactions: unknown[] = [];
  if (block && record) {
    // Txs that did not run have no receipt: an Ethereum block holds only the txs that ran.
    const receipts = await view.blockReceipts(height, record);
    transactions = [];
    for (const [i, r] of receipts.entries()) {
      if (!r) continue;
      transactions.push(full ? formatTx(block.txs[i]!, { blockHash: hash, blockNumber: height, index: r.index, from: data(r.from), effectiveGasPrice: r.effectiveGasPrice }) : data(r.txHash));
    }
  }
  const root = (b: Uint8Array | undefined) => (b && b.length === 32 ? data(b) : ZERO_HASH);
  return {
    number: quantity(height),
    hash,
    parentHash,
    nonce: '0x0000000000000000',
    mixHash: ZERO_HASH,
    sha3Uncles: EMPTY_UNCLES,
    logsBloom: record ? data(record.bloom) : EMPTY_BLOOM,
    transactionsRoot: root(block?.header.txRoot),
    stateRoot: root(block?.header.stateRoot),
    receiptsRoot: root(block?.header.resultsRoot),
    miner: ZERO_ADDRESS,
    difficulty: '0x0',
    totalDifficulty: '0x0',
    extraData: '0x',
    size: quantity(block ? 600 + block.txs.reduce((n, t) => n + t.length, 0) : 600),
    gasLimit: quantity(view.blockGasLimit),
    gasUsed: quantity(record?.gasUsed ?? 0n),
    timestamp: quantity(Math.floor(time / 1000)),
    transactions,
    uncles: [],
    baseFeePerGas: '0x0',
    withdrawals: [],
    withdrawalsRoot: '0x56e81f171bcc55a6ff8345e692c0f86e5b48e01b996cadc001622fb5e363b421',
    blobGasUsed: '0x0',
    excessBlobGas: '0x0',
  };
}
