import { getSuite } from '../crypto/index.js';
import { buildKvTx } from '../execution/index.js';
import { BENCH_TOKEN_BYTECODE, SMALLBANK_BYTECODE } from './contracts.js';
import { abiCall, SELECTORS, signEvmTx, unhex, type EvmFee, type EvmTxFields } from './evm-tx.js';

/*
 * What each workload's transactions are, as pure functions of (sender, nonce, a seeded PRNG), so
 * that worker threads can build and sign them without talking to the main thread.
 */

export type EvmWriteWorkload = 'transfer' | 'erc20' | 'smallbank' | 'deploy';

export interface EvmContext {
  readonly chainId: number;
  readonly fee: EvmFee;
  /** Every account's address, 0x-hex: the recipients of transfers. */
  readonly recipients: readonly string[];
  readonly token?: string;
  readonly bank?: string;
  readonly customers: number;
}

export const GAS = { transfer: 21_000n, erc20: 60_000n, smallbank: 100_000n, deploy: 500_000n } as const;

/** A small, fast PRNG (mulberry32): the workloads need spread, not secrecy. */
export function prng(seed: number): (n: number) => number {
  let a = seed >>> 0;
  return (n: number) => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return (((t ^ (t >>> 14)) >>> 0) / 4294967296) * n;
  };
}

const SMALLBANK_OPS = ['amalgamate', 'updateBalance', 'updateSaving', 'sendPayment', 'writeCheck'] as const;

function smallBankCall(rand: (n: number) => number, customers: number): Uint8Array {
  const a = Math.floor(rand(customers));
  const b = (a + 1 + Math.floor(rand(customers - 1 || 1))) % customers;
  const v = 1 + Math.floor(rand(100));
  switch (SMALLBANK_OPS[Math.floor(rand(SMALLBANK_OPS.length))]!) {
    case 'amalgamate':
      return abiCall(SELECTORS.amalgamate, [a, b]);
    case 'updateBalance':
      return abiCall(SELECTORS.updateBalance, [a, v]);
    case 'updateSaving':
      return abiCall(SELECTORS.updateSaving, [a, v]);
    case 'sendPayment':
      return abiCall(SELECTORS.sendPayment, [a, b, v]);
    case 'writeCheck':
      return abiCall(SELECTORS.writeCheck, [a, v]);
  }
}

export function evmWriteFields(workload: EvmWriteWorkload, ctx: EvmContext, nonce: number, rand: (n: number) => number): EvmTxFields {
  const recipient = () => unhex(ctx.recipients[Math.floor(rand(ctx.recipients.length))]!);
  switch (workload) {
    case 'transfer':
      return { nonce, to: recipient(), value: 1n, data: new Uint8Array(0), gasLimit: GAS.transfer };
    case 'erc20':
      return { nonce, to: unhex(ctx.token!), value: 0n, data: abiCall(SELECTORS.transfer, [recipient(), 1]), gasLimit: GAS.erc20 };
    case 'smallbank':
      return { nonce, to: unhex(ctx.bank!), value: 0n, data: smallBankCall(rand, ctx.customers), gasLimit: GAS.smallbank };
    case 'deploy':
      return { nonce, value: 0n, data: unhex(SMALLBANK_BYTECODE), gasLimit: GAS.deploy };
  }
}

export function tokenDeployFields(nonce: number, supply: bigint): EvmTxFields {
  const data = new Uint8Array([...unhex(BENCH_TOKEN_BYTECODE), ...abiCall(new Uint8Array(0), [supply]).subarray(4)]);
  return { nonce, value: 0n, data, gasLimit: 1_500_000n };
}

export function bankDeployFields(nonce: number): EvmTxFields {
  return { nonce, value: 0n, data: unhex(SMALLBANK_BYTECODE), gasLimit: GAS.deploy };
}

/** Work for one signing worker: its senders' transactions, sender-major. */
export type SignTask =
  | {
      readonly kind: 'evm';
      readonly workload: EvmWriteWorkload;
      readonly ctx: EvmContext;
      readonly senders: readonly { readonly key: string; readonly firstNonce: number }[];
      readonly perSender: number;
      readonly seed: number;
    }
  | {
      readonly kind: 'kv';
      readonly chainId: string;
      /** Fresh keys, one per sender: kv senders need no funds, so nonces start at 0. */
      readonly senders: number;
      readonly perSender: number;
      readonly valueBytes: number;
      readonly keyPrefix: string;
      readonly seed: number;
    };

/** The signed transactions of a task, in order: sender j's k-th is number j·perSender + k. */
export function signTask(task: SignTask): Uint8Array[] {
  const rand = prng(task.seed);
  const out: Uint8Array[] = [];
  if (task.kind === 'evm') {
    for (const sender of task.senders) {
      const key = unhex(sender.key);
      for (let k = 0; k < task.perSender; k++) out.push(signEvmTx(task.ctx.chainId, task.ctx.fee, evmWriteFields(task.workload, task.ctx, sender.firstNonce + k, rand), key).raw);
    }
    return out;
  }
  const suite = getSuite('ecdsa-p256');
  const value = new Uint8Array(task.valueBytes);
  const enc = new TextEncoder();
  for (let s = 0; s < task.senders; s++) {
    const privateKey = suite.generateKeyPair().privateKey;
    for (let n = 0; n < task.perSender; n++) {
      for (let i = 0; i < value.length; i++) value[i] = Math.floor(rand(256));
      out.push(buildKvTx({ chainId: task.chainId, privateKey, nonce: n, ops: [{ type: 'put', key: enc.encode(`${task.keyPrefix}/${s}/${n}`), value }] }));
    }
  }
  return out;
}
