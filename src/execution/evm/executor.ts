import type { Common } from '@ethereumjs/common';
import { createBlock, type Block } from '@ethereumjs/block';
import { Capability, createTx } from '@ethereumjs/tx';
import { Address, createZeroAddress } from '@ethereumjs/util';
import { createVM, runTx, type RunTxResult, type VM } from '@ethereumjs/vm';
import { encode } from '../../codec/index.js';
import { keccak256 } from '../../crypto/index.js';
import { Overlay, type CommittedState } from './overlay.js';
import { FlatStateManager } from './state-manager.js';
import type { EvmTx } from './tx.js';

/*
 * One EthereumJS VM over the flat state, and the Ethereum rules a tx must meet before it runs.
 * The VM is created once; each candidate block points it at its own overlay.
 */

export interface EvmChainParams {
  readonly common: Common;
  readonly chainId: number;
  readonly blockGasLimit: bigint;
  readonly coinbase: Address;
}

/** Why a tx of a block did not run (nothing changed, no gas charged), as a result code and a message. */
export interface NotRun {
  readonly code: string;
  readonly reason: string;
}

/** An executed tx: the EVM's result. */
export type Ran = RunTxResult;

/**
 * BLOCKHASH reads this: the engine does not hand the application its block hashes, so the EVM
 * sees a deterministic stand-in, keccak256(encode(["bsn/evm/blockhash", chainId, n])).
 */
function blockhashShim(chainId: number) {
  const shim = {
    getBlock: async (n: number) => ({ hash: () => keccak256(encode(['bsn/evm/blockhash', chainId, n])) as Uint8Array<ArrayBuffer> }),
    putBlock: async () => undefined,
    shallowCopy: () => shim,
  };
  return shim;
}

export class EvmExecutor {
  private constructor(
    readonly params: EvmChainParams,
    private readonly vm: VM,
    private readonly state: FlatStateManager,
  ) {}

  static async create(params: EvmChainParams): Promise<EvmExecutor> {
    const state = new FlatStateManager();
    const vm = await createVM({ common: params.common, stateManager: state, blockchain: blockhashShim(params.chainId) });
    return new EvmExecutor(params, vm, state);
  }

  /** The block a candidate's txs run in: time in seconds, base fee 0, fixed prevrandao. */
  block(height: number, timeMs: number): Block {
    const header = {
      number: BigInt(height),
      timestamp: BigInt(Math.floor(timeMs / 1000)),
      gasLimit: this.params.blockGasLimit,
      baseFeePerGas: 0n,
      coinbase: this.params.coinbase,
      difficulty: 0n,
      mixHash: new Uint8Array(32),
    };
    return createBlock({ header }, { common: this.params.common });
  }

  /** A fresh overlay over `committed` that the VM executes on from now on. */
  begin(committed: CommittedState): Overlay {
    const overlay = new Overlay(committed);
    this.state.use(overlay);
    return overlay;
  }

  /** Runs one tx on the current overlay, or says why it may not run (the overlay is then unchanged). */
  async run(overlay: Overlay, block: Block, tx: EvmTx, sender: Address, blockGasUsed: bigint): Promise<Ran | NotRun> {
    const notRun = await this.precheck(overlay, tx, sender, this.params.blockGasLimit - blockGasUsed);
    if (notRun !== undefined) return notRun;
    try {
      return await runTx(this.vm, { tx, block, blockGasUsed, skipHardForkValidation: true });
    } catch (cause) {
      // runTx throws (after reverting its journal) only for rules we did not precheck, e.g. EIP-3607.
      return { code: 'TX_INVALID', reason: cause instanceof Error ? cause.message : String(cause) };
    }
  }

  /**
   * A read-only run, eth_call style: an unsigned tx from `from` on a throwaway overlay, its nonce
   * taken as correct, gas price 0 (so only `value` needs funds).
   */
  async call(committed: CommittedState, block: Block, req: CallRequest): Promise<Ran | NotRun> {
    this.begin(committed);
    const from = req.from ?? createZeroAddress();
    const tx = createTx(
      { type: 2, to: req.to, data: req.data, value: req.value, gasLimit: req.gas, maxFeePerGas: 0n, maxPriorityFeePerGas: 0n },
      { common: this.params.common, freeze: false },
    );
    Object.defineProperty(tx, 'getSenderAddress', { value: () => from });
    Object.freeze(tx);
    const intrinsic = tx.getIntrinsicGas();
    if (req.gas < intrinsic) return { code: 'INTRINSIC_GAS', reason: `intrinsic gas too low: gas ${req.gas}, minimum needed ${intrinsic}` };
    try {
      return await runTx(this.vm, { tx, block, skipNonce: true, skipHardForkValidation: true, skipBlockGasLimitValidation: true });
    } catch (cause) {
      return { code: 'TX_INVALID', reason: cause instanceof Error ? cause.message : String(cause) };
    }
  }

  private async precheck(overlay: Overlay, tx: EvmTx, sender: Address, gasLeft: bigint): Promise<NotRun | undefined> {
    if (tx.gasLimit > gasLeft) return { code: 'BLOCK_GAS_LIMIT', reason: `exceeds block gas limit: tx gas ${tx.gasLimit}, block gas left ${gasLeft}` };
    const intrinsic = tx.getIntrinsicGas();
    if (tx.gasLimit < intrinsic) return { code: 'INTRINSIC_GAS', reason: `intrinsic gas too low: gas ${tx.gasLimit}, minimum needed ${intrinsic}` };
    const account = await overlay.getAccount(Buffer.from(sender.bytes).toString('hex'));
    const nonce = account?.nonce ?? 0n;
    if (tx.nonce < nonce) return { code: 'TX_NONCE_TOO_LOW', reason: `nonce too low: address ${sender}, tx: ${tx.nonce} state: ${nonce}` };
    if (tx.nonce > nonce) return { code: 'TX_BAD_NONCE', reason: `nonce too high: address ${sender}, tx: ${tx.nonce} state: ${nonce}` };
    const cost = maxCost(tx);
    const balance = account?.balance ?? 0n;
    if (balance < cost) return { code: 'INSUFFICIENT_FUNDS', reason: `insufficient funds for gas * price + value: address ${sender} have ${balance} want ${cost}` };
    return undefined;
  }
}

export interface CallRequest {
  readonly from?: Address;
  readonly to?: Address;
  readonly data: Uint8Array;
  readonly value: bigint;
  readonly gas: bigint;
}

/** gas limit × the highest price the tx may pay + value: what the sender must hold up front. */
export function maxCost(tx: EvmTx): bigint {
  const price = tx.supports(Capability.EIP1559FeeMarket) ? (tx as EvmTx & { maxFeePerGas: bigint }).maxFeePerGas : (tx as EvmTx & { gasPrice: bigint }).gasPrice;
  return tx.gasLimit * price + tx.value;
}

export const isNotRun = (r: Ran | NotRun): r is NotRun => 'code' in r && typeof (r as NotRun).code === 'string' && !('execResult' in r);
