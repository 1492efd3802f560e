import { decode, encode, expectArray, expectBytes, expectMap, expectNullable, expectString, expectUint, type CodecValue } from '../../codec/index.js';
import { keccak256, secp256k1 } from '../../crypto/index.js';
import { merkleRoot } from '../../chain/merkle.js';
import type { TxResult } from '../application.js';
import { corruptIfCodec } from './store.js';
import { bytesU256, u256Bytes } from './u256.js';

/*
 * What execution keeps per tx and per block for Ethereum JSON-RPC (eth_getTransactionReceipt,
 * eth_getLogs, eth_getBlockBy*), and the results root that commits to it.
 */

/** One log: the emitting contract, its topics, its data. */
export interface EvmLog {
  readonly address: Uint8Array;
  readonly topics: readonly Uint8Array[];
  readonly data: Uint8Array;
}

export interface EvmReceipt {
  readonly txHash: Uint8Array;
  readonly height: number;
  /** Position of the tx in its block. */
  readonly index: number;
  /** 0, 1 or 2: legacy, EIP-2930, EIP-1559. */
  readonly type: number;
  readonly from: Uint8Array;
  /** Null for a contract creation. */
  readonly to: Uint8Array | null;
  /** 1 when the tx ran and did not fail, else 0. */
  readonly status: 0 | 1;
  /** The TxResult code: OK, REVERTED, OUT_OF_GAS, EVM_HALTED, or why the tx did not run. */
  readonly code: string;
  readonly gasUsed: bigint;
  readonly cumulativeGasUsed: bigint;
  readonly effectiveGasPrice: bigint;
  readonly contractAddress: Uint8Array | null;
  readonly logs: readonly EvmLog[];
  /** 256 bytes. */
  readonly bloom: Uint8Array;
  /** REVERT's data, or empty. */
  readonly returnData: Uint8Array;
}

export interface EvmBlockRecord {
  readonly height: number;
  /** Milliseconds, as the header has it. */
  readonly time: number;
  readonly txHashes: readonly Uint8Array[];
  readonly gasUsed: bigint;
  /** The OR of the receipts' blooms. */
  readonly bloom: Uint8Array;
}

const RECEIPT_VERSION = 1;
const BLOCK_VERSION = 1;
const RESULT_VERSION = 1;

export function encodeReceipt(r: EvmReceipt): Uint8Array {
  const logs: CodecValue[] = r.logs.map((l) => [l.address, [...l.topics], l.data]);
  return encode({
    v: RECEIPT_VERSION, txHash: r.txHash, height: r.height, index: r.index, type: r.type, from: r.from, to: r.to,
    status: r.status, code: r.code, gasUsed: r.gasUsed, cumulativeGasUsed: r.cumulativeGasUsed,
    effectiveGasPrice: u256Bytes(r.effectiveGasPrice), contractAddress: r.contractAddress, logs, bloom: r.bloom, returnData: r.returnData,
  });
}

const RECEIPT_KEYS = ['v', 'txHash', 'height', 'index', 'type', 'from', 'to', 'status', 'code', 'gasUsed', 'cumulativeGasUsed', 'effectiveGasPrice', 'contractAddress', 'logs', 'bloom', 'returnData'];

export function decodeReceipt(bytes: Uint8Array): EvmReceipt {
  return corruptIfCodec('receipt', () => {
    const m = expectMap(decode(bytes), 'receipt', RECEIPT_KEYS);
    const big = (v: CodecValue | undefined) => BigInt(typeof v === 'number' || typeof v === 'bigint' ? v : expectUint(v));
    return {
      txHash: expectBytes(m['txHash'], 'txHash', 32), height: expectUint(m['height']), index: expectUint(m['index']), type: expectUint(m['type']),
      from: expectBytes(m['from'], 'from', 20), to: expectNullable(m['to'], 'to', (v, p) => expectBytes(v, p, 20)),
      status: expectUint(m['status']) === 1 ? 1 : 0, code: expectString(m['code']), gasUsed: big(m['gasUsed']), cumulativeGasUsed: big(m['cumulativeGasUsed']),
      effectiveGasPrice: bytesU256(expectBytes(m['effectiveGasPrice'])), contractAddress: expectNullable(m['contractAddress'], 'contractAddress', (v, p) => expectBytes(v, p, 20)),
      logs: expectArray(m['logs'], 'logs').map((l, i) => {
        const [address, topics, data] = expectArray(l, `logs[${i}]`, 3);
        return { address: expectBytes(address, 'address', 20), topics: expectArray(topics).map((t) => expectBytes(t, 'topic', 32)), data: expectBytes(data) };
      }),
      bloom: expectBytes(m['bloom'], 'bloom', 256), returnData: expectBytes(m['returnData']),
    };
  });
}

export function encodeBlockRecord(b: EvmBlockRecord): Uint8Array {
  return encode({ v: BLOCK_VERSION, height: b.height, time: b.time, txHashes: [...b.txHashes], gasUsed: b.gasUsed, bloom: b.bloom });
}

export function decodeBlockRecord(bytes: Uint8Array): EvmBlockRecord {
  return corruptIfCodec('block', () => {
    const m = expectMap(decode(bytes), 'block', ['v', 'height', 'time', 'txHashes', 'gasUsed', 'bloom']);
    const gas = m['gasUsed'];
    return {
      height: expectUint(m['height']), time: expectUint(m['time']), txHashes: expectArray(m['txHashes']).map((h) => expectBytes(h, 'txHash', 32)),
      gasUsed: typeof gas === 'bigint' ? gas : BigInt(expectUint(gas)), bloom: expectBytes(m['bloom'], 'bloom', 256),
    };
  });
}

/** A tx's result as the engine sees it, with the receipt it committed to. */
export interface EvmTxResult extends TxResult {
  readonly gasUsed: bigint;
  /** keccak256 of the encoded receipt. */
  readonly receiptHash: Uint8Array;
}

/**
 * RFC 6962 Merkle root (keccak256) over encode([1, ok, code, gasUsed, receiptHash]) per tx, in
 * block order: validators that agree on it agree on every receipt, log and revert reason.
 */
export function evmResultsRoot(results: readonly EvmTxResult[]): Uint8Array {
  return merkleRoot(secp256k1, results.map((r) => encode([RESULT_VERSION, r.ok, r.code, r.gasUsed, r.receiptHash])));
}

export const receiptHash = (encodedReceipt: Uint8Array): Uint8Array => keccak256(encodedReceipt);
