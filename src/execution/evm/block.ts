import type { Address } from '@ethereumjs/util';
import { EVMError } from '@ethereumjs/evm';
import { EvmTxError } from './errors.js';
import { isNotRun, type EvmExecutor, type Ran } from './executor.js';
import type { Overlay } from './overlay.js';
import { encodeBlockRecord, encodeReceipt, receiptHash, type EvmLog, type EvmReceipt, type EvmTxResult } from './receipts.js';
import { blockKey, receiptKey } from './store.js';
import type { CheckedEvmTx, EvmTx } from './tx.js';

/*
 * Runs a candidate block's txs in order on one overlay and collects what the block commits to:
 * a result per tx, receipts for the txs that ran, and the block record.
 */

export interface BlockRun {
  readonly results: EvmTxResult[];
  /** Store key → encoded receipt or block record, written with the state at commit. */
  readonly records: Map<string, Uint8Array>;
}

const NO_RECEIPT = new Uint8Array(0);

export async function runBlockTxs(
  executor: EvmExecutor,
  overlay: Overlay,
  height: number,
  time: number,
  txs: readonly (CheckedEvmTx | EvmTxError)[],
): Promise<BlockRun> {
  const block = executor.block(height, time);
  const results: EvmTxResult[] = [];
  const records = new Map<string, Uint8Array>();
  const hashes: Uint8Array[] = [];
  const bloom = new Uint8Array(256);
  let gasUsed = 0n;
  for (const [index, c] of txs.entries()) {
    if (c instanceof EvmTxError) {
      hashes.push(new Uint8Array(32));
      results.push({ ok: false, code: c.rejectCode, gasUsed: 0n, receiptHash: NO_RECEIPT });
      continue;
    }
    hashes.push(c.hash);
    const outcome = await executor.run(overlay, block, c.tx, c.sender, gasUsed);
    if (isNotRun(outcome)) {
      // Like an invalid tx in Ethereum: no receipt, no gas, no nonce bump; the code says why.
      results.push({ ok: false, code: outcome.code, gasUsed: 0n, receiptHash: NO_RECEIPT });
      continue;
    }
    gasUsed += outcome.totalGasSpent;
    const receipt = toReceipt(c, outcome, { height, index, cumulativeGasUsed: gasUsed });
    const encoded = encodeReceipt(receipt);
    records.set(receiptKey(c.hashHex), encoded);
    for (let i = 0; i < 256; i++) bloom[i]! |= receipt.bloom[i]!;
    results.push({ ok: receipt.status === 1, code: receipt.code, executed: true, gasUsed: receipt.gasUsed, receiptHash: receiptHash(encoded) });
  }
  records.set(blockKey(height), encodeBlockRecord({ height, time, txHashes: hashes, gasUsed, bloom }));
  return { results, records };
}

/** The TxResult code of an executed tx. */
export function resultCode(outcome: Ran): string {
  const error = outcome.execResult.exceptionError?.error;
  if (error === undefined) return 'OK';
  if (error === EVMError.errorMessages.REVERT) return 'REVERTED';
  if (error === EVMError.errorMessages.OUT_OF_GAS || error === EVMError.errorMessages.CODESTORE_OUT_OF_GAS) return 'OUT_OF_GAS';
  return 'EVM_HALTED';
}

export function logsOf(outcome: Ran): EvmLog[] {
  return (outcome.execResult.logs ?? []).map(([address, topics, data]) => ({ address, topics, data }));
}

function effectiveGasPrice(tx: EvmTx): bigint {
  // The base fee is always 0 here, so a 1559 tx pays min(maxFee, maxPriorityFee) per gas.
  if ('maxFeePerGas' in tx) return tx.maxPriorityFeePerGas < tx.maxFeePerGas ? tx.maxPriorityFeePerGas : tx.maxFeePerGas;
  return tx.gasPrice;
}

function toReceipt(c: CheckedEvmTx, outcome: Ran, at: { height: number; index: number; cumulativeGasUsed: bigint }): EvmReceipt {
  const code = resultCode(outcome);
  const sender: Address = c.sender;
  return {
    txHash: c.hash,
    height: at.height,
    index: at.index,
    type: c.tx.type,
    from: sender.bytes,
    to: c.tx.to?.bytes ?? null,
    status: code === 'OK' ? 1 : 0,
    code,
    gasUsed: outcome.totalGasSpent,
    cumulativeGasUsed: at.cumulativeGasUsed,
    effectiveGasPrice: effectiveGasPrice(c.tx),
    contractAddress: c.tx.to === undefined && code === 'OK' ? (outcome.createdAddress?.bytes ?? null) : null,
    logs: logsOf(outcome),
    bloom: outcome.bloom.bitvector,
    returnData: code === 'REVERTED' ? outcome.execResult.returnValue : new Uint8Array(0),
  };
}

