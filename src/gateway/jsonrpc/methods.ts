import { AbiCoder } from 'ethers';
import { BsnError } from '../../errors.js';
import type { CallOutcome, EvmChainView } from './chain-view.js';
import { JsonRpcError, RPC_CODE, invalidParams, serverError } from './errors.js';
import { formatBlock, formatReceipt, formatTx } from './format.js';
import { data, parseAddress, parseData, parseHash, parseQuantity, quantity } from './hex.js';
import { findLogs } from './logs.js';
import { paramsOf, parseBlockTag, parseBool, parseCall, parseFilter, type BlockTag } from './params.js';

export type Method = (view: EvmChainView, params: unknown) => Promise<unknown>;

export const CLIENT_VERSION = 'bsn/v0.1.0/node';
const MAX_FEE_HISTORY_BLOCKS = 1024;
const hexOf = (b: Uint8Array) => `0x${Buffer.from(b).toString('hex')}`;

/** The height a block parameter names, or undefined for a block that does not exist (yet). */
async function heightOf(view: EvmChainView, tag: BlockTag): Promise<number | undefined> {
  switch (tag.kind) {
    case 'latest':
    case 'pending':
      return view.height;
    case 'earliest':
      return 0;
    case 'number':
      return tag.height <= view.height ? tag.height : undefined;
    case 'hash':
      return view.heightOf(tag.hash);
  }
}

/**
 * State is kept at the latest committed height only (docs/evm.md): a state read at an older
 * block is refused rather than answered with today's state.
 */
async function requireLatestState(view: EvmChainView, raw: unknown): Promise<void> {
  const tag = parseBlockTag(raw);
  const height = await heightOf(view, tag);
  if (height === undefined) throw serverError('header not found', 'RPC_UNKNOWN_BLOCK');
  if (height !== view.height) throw serverError(`historical state is not available: this node keeps the latest state only (block ${height} requested, latest is ${view.height})`, 'RPC_NO_HISTORY');
}

/** eth_call / eth_estimateGas failures as geth reports them (ethers/viem read code 3 + data). */
function callFailure(out: CallOutcome): JsonRpcError {
  if (out.code === 'REVERTED') {
    let message = 'execution reverted';
    const ret = out.returnData;
    // Error(string): geth appends the reason to the message.
    if (ret.length >= 4 && hexOf(ret.subarray(0, 4)) === '0x08c379a0') {
      try {
        message += `: ${String(AbiCoder.defaultAbiCoder().decode(['string'], ret.subarray(4))[0])}`;
      } catch {
        // not a well-formed Error(string): the data says it all
      }
    }
    return new JsonRpcError(RPC_CODE.executionReverted, message, 'RPC_EXECUTION_REVERTED', data(ret));
  }
  return serverError(out.reason || out.code.toLowerCase().replace(/_/g, ' '), `RPC_CALL_${out.code}`);
}

/** A mempool rejection as the message geth's txpool gives, which ethers and viem classify. */
export function rejectionMessage(err: BsnError): string {
  const detail = err.message.replace(/^[A-Z_]+: /, '');
  switch (err.code) {
    case 'MEMPOOL_NONCE_TOO_LOW':
      return detail.includes('nonce too low') ? detail : `nonce too low: ${detail}`;
    case 'MEMPOOL_DUPLICATE':
      return 'already known';
    case 'MEMPOOL_NONCE_TAKEN':
      return `replacement transaction underpriced: ${detail}`;
    case 'MEMPOOL_NONCE_TOO_FAR':
      return `nonce too high: ${detail}`;
    case 'MEMPOOL_FULL':
    case 'MEMPOOL_BUSY':
      return 'txpool is full';
    case 'MEMPOOL_MALFORMED':
      return `transaction could not be decoded: ${detail}`;
    case 'MEMPOOL_TOO_LARGE':
      return `oversized data: ${detail}`;
    case 'MEMPOOL_WRONG_CHAIN':
      return `invalid chain id for signer: ${detail}`;
    case 'MEMPOOL_BAD_SIGNATURE':
      return `invalid sender: ${detail}`;
    default:
      return detail;
  }
}

async function blockBy(view: EvmChainView, tag: BlockTag, full: unknown): Promise<unknown> {
  const height = await heightOf(view, tag);
  return height === undefined ? null : formatBlock(view, height, parseBool(full, 'full transactions'));
}

export const METHODS: Readonly<Record<string, Method>> = {
  web3_clientVersion: async (_v, p) => (paramsOf(p, 0, 0), CLIENT_VERSION),
  net_version: async (v, p) => (paramsOf(p, 0, 0), String(v.evmChainId)),
  net_listening: async (_v, p) => (paramsOf(p, 0, 0), true),
  eth_chainId: async (v, p) => (paramsOf(p, 0, 0), quantity(v.evmChainId)),
  eth_blockNumber: async (v, p) => (paramsOf(p, 0, 0), quantity(v.height)),
  eth_accounts: async (_v, p) => (paramsOf(p, 0, 0), []),
  eth_gasPrice: async (_v, p) => (paramsOf(p, 0, 0), '0x0'),
  eth_maxPriorityFeePerGas: async (_v, p) => (paramsOf(p, 0, 0), '0x0'),
  eth_syncing: async (v, p) => {
    paramsOf(p, 0, 0);
    const s = v.syncing();
    return s === false ? false : { startingBlock: '0x0', currentBlock: quantity(s.current), highestBlock: quantity(s.highest) };
  },

  eth_getBalance: async (v, p) => {
    const [a, b] = paramsOf(p, 1, 2);
    const address = parseAddress(a, 'address');
    await requireLatestState(v, b);
    return quantity((await v.account(address)).balance);
  },
  eth_getTransactionCount: async (v, p) => {
    const [a, b] = paramsOf(p, 1, 2);
    const address = parseAddress(a, 'address');
    const tag = parseBlockTag(b);
    if (tag.kind !== 'pending') await requireLatestState(v, b);
    const committed = Number((await v.account(address)).nonce);
    return quantity(tag.kind === 'pending' ? v.pending.nextNonce(hexOf(address), committed, (h) => v.inMempool(h)) : committed);
  },
  eth_getCode: async (v, p) => {
    const [a, b] = paramsOf(p, 1, 2);
    const address = parseAddress(a, 'address');
    await requireLatestState(v, b);
    return data(await v.code(address));
  },
  eth_getStorageAt: async (v, p) => {
    const [a, s, b] = paramsOf(p, 2, 3);
    const address = parseAddress(a, 'address');
    const slot = parseQuantity(s, 'slot');
    await requireLatestState(v, b);
    return data(await v.storage(address, Uint8Array.from(Buffer.from(slot.toString(16).padStart(64, '0'), 'hex'))));
  },
  eth_call: async (v, p) => {
    const [t, b] = paramsOf(p, 1, 3);
    const req = parseCall(t);
    await requireLatestState(v, b);
    const out = await v.call(req);
    if (!out.ok) throw callFailure(out);
    return data(out.returnData);
  },
  eth_estimateGas: async (v, p) => {
    const [t, b] = paramsOf(p, 1, 3);
    const req = parseCall(t);
    await requireLatestState(v, b);
    const out = await v.estimateGas(req);
    if (!out.ok) throw callFailure(out);
    return quantity(out.gas);
  },
  eth_feeHistory: async (v, p) => {
    const [c, b, r] = paramsOf(p, 2, 3);
    const count = Math.min(MAX_FEE_HISTORY_BLOCKS, typeof c === 'number' && Number.isSafeInteger(c) && c >= 0 ? c : Number(parseQuantity(c, 'blockCount', BigInt(Number.MAX_SAFE_INTEGER))));
    const newest = await heightOf(v, parseBlockTag(b, 'newestBlock'));
    if (newest === undefined) throw serverError('header not found', 'RPC_UNKNOWN_BLOCK');
    const percentiles = r === undefined || r === null ? undefined : r;
    if (percentiles !== undefined && (!Array.isArray(percentiles) || percentiles.length > 100 || !percentiles.every((x) => typeof x === 'number' && x >= 0 && x <= 100))) {
      throw invalidParams('rewardPercentiles: expected up to 100 numbers between 0 and 100');
    }
    const oldest = Math.max(0, newest - count + 1);
    const n = count === 0 ? 0 : newest - oldest + 1;
    const ratios: number[] = [];
    for (let h = oldest; h < oldest + n; h++) {
      const record = h === 0 ? undefined : await v.blockRecord(h);
      ratios.push(record ? Number(record.gasUsed) / Number(v.blockGasLimit) : 0);
    }
    return {
      oldestBlock: quantity(oldest),
      baseFeePerGas: new Array<string>(n + 1).fill('0x0'),
      gasUsedRatio: ratios,
      ...(percentiles ? { reward: ratios.map(() => percentiles.map(() => '0x0')) } : {}),
    };
  },

  eth_sendRawTransaction: async (v, p) => {
    const [raw] = paramsOf(p, 1, 1);
    const bytes = parseData(raw, 'transaction', undefined, 1024 * 1024);
    try {
      return await v.submit(bytes);
    } catch (err) {
      if (err instanceof BsnError && err.code.startsWith('MEMPOOL_')) throw serverError(rejectionMessage(err), err.code);
      throw err;
    }
  },
  eth_getTransactionByHash: async (v, p) => {
    const [h] = paramsOf(p, 1, 1);
    const hash = parseHash(h, 'hash');
    const receipt = await v.receipt(hash);
    if (receipt) {
      const block = await v.block(receipt.height);
      const raw = block?.txs[receipt.index];
      if (!raw) return null;
      return formatTx(raw, { blockHash: (await v.blockHash(receipt.height))!, blockNumber: receipt.height, index: receipt.index, from: data(receipt.from), effectiveGasPrice: receipt.effectiveGasPrice });
    }
    const pending = v.pending.get(hexOf(hash));
    if (!pending || !v.inMempool(pending.poolHash)) return null;
    return formatTx(pending.raw, { blockHash: null, blockNumber: null, index: null, from: pending.sender });
  },
  eth_getTransactionReceipt: async (v, p) => {
    const [h] = paramsOf(p, 1, 1);
    const receipt = await v.receipt(parseHash(h, 'hash'));
    return receipt ? formatReceipt(v, receipt) : null;
  },
  eth_getBlockByNumber: async (v, p) => {
    const [b, full] = paramsOf(p, 2, 2);
    return blockBy(v, parseBlockTag(b), full);
  },
  eth_getBlockByHash: async (v, p) => {
    const [h, full] = paramsOf(p, 2, 2);
    return blockBy(v, { kind: 'hash', hash: parseHash(h, 'hash') }, full);
  },
  eth_getBlockTransactionCountByNumber: async (v, p) => {
    const [b] = paramsOf(p, 1, 1);
    const block = (await blockBy(v, parseBlockTag(b), false)) as { transactions: unknown[] } | null;
    return block === null ? null : quantity(block.transactions.length);
  },
  eth_getLogs: async (v, p) => {
    const [f] = paramsOf(p, 1, 1);
    const filter = parseFilter(f);
    if (filter.blockHash) {
      const h = await v.heightOf(filter.blockHash);
      if (h === undefined) throw serverError('unknown block', 'RPC_UNKNOWN_BLOCK');
      return findLogs(v, h, h, filter);
    }
    const bound = async (tag: BlockTag) => (tag.kind === 'number' ? Math.min(tag.height, v.height) : ((await heightOf(v, tag)) ?? v.height));
    const from = filter.from.kind === 'number' && filter.from.height > v.height ? v.height + 1 : await bound(filter.from);
    return findLogs(v, from, await bound(filter.to), filter);
  },
};
