import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { ClassicLevel } from 'classic-level';
import { Interface, Wallet, keccak256 as ethersKeccak, toUtf8Bytes, type TransactionRequest } from 'ethers';
import { decode, encode } from '../../codec/index.js';
import { EvmApplication, type EvmAppOptions } from './app.js';
import { compileToken } from './erc20.fixture.js';
import { decodeReceipt, type EvmReceipt } from './receipts.js';

/* Shared set-up of the EVM tests: a LevelDB in a temp dir, funded wallets, signing, token calls. */

export const NAME = 'evm-test';
export const CHAIN_ID = 4242;
export type Db = ClassicLevel<string, Uint8Array>;

/** Deterministic wallets, so that two runs (and two instances) see the same addresses. */
export const wallets = [0, 1, 2, 3].map((i) => new Wallet(ethersKeccak(toUtf8Bytes(`bsn-evm-test-${i}`))));
export const ETH = 10n ** 18n;

export const GENESIS = {
  chainId: NAME,
  time: 0,
  appState: { chainId: CHAIN_ID, alloc: Object.fromEntries(wallets.slice(0, 3).map((w) => [w.address, { balance: (1000n * ETH).toString() }])) },
};

export async function withDb(fn: (open: (options?: Partial<EvmAppOptions>) => Promise<{ db: Db; app: EvmApplication }>) => Promise<void>): Promise<void> {
  const root = mkdtempSync(path.join(tmpdir(), 'bsn-evm-'));
  const dbs: Db[] = [];
  try {
    await fn(async (options) => {
      // Every open is the same directory: a second open after close() is a restart.
      const db = new ClassicLevel<string, Uint8Array>(path.join(root, 'db'), { valueEncoding: 'view' });
      dbs.push(db);
      return { db, app: await EvmApplication.open(db, NAME, { chainId: CHAIN_ID, ...options }) };
    });
  } finally {
    for (const db of dbs) if (db.status === 'open') await db.close();
    rmSync(root, { recursive: true, force: true });
  }
}

export const token = new Interface(compileToken().abi as never);

export type TxForm = 'legacy' | '2930' | '1559';

/** Signs with ethers v6, in one of the three supported forms, gas price 0 unless given. */
export async function sign(wallet: Wallet, nonce: number, req: TransactionRequest, form: TxForm = '1559', chainId = CHAIN_ID): Promise<Uint8Array> {
  const base = { chainId, nonce, gasLimit: 1_000_000, ...req };
  const typed =
    form === 'legacy' ? { type: 0, gasPrice: 0, ...base } : form === '2930' ? { type: 1, gasPrice: 0, accessList: [], ...base } : { type: 2, maxFeePerGas: 0, maxPriorityFeePerGas: 0, ...base };
  return Uint8Array.from(Buffer.from((await wallet.signTransaction(typed)).slice(2), 'hex'));
}

export const bytesOf = (hex: string): Uint8Array => Uint8Array.from(Buffer.from(hex.replace(/^0x/, ''), 'hex'));
export const hexOf = (b: Uint8Array): string => `0x${Buffer.from(b).toString('hex')}`;

export async function receipt(app: EvmApplication, txHash: Uint8Array): Promise<EvmReceipt | undefined> {
  const { value } = await app.query('receipt', txHash);
  return value && decodeReceipt(value);
}

export interface CallAnswer {
  ok: boolean;
  code: string;
  returnData: Uint8Array;
  gasUsed: number | bigint;
  reason: string;
}

export async function call(app: EvmApplication, to: string, data: string, from?: string): Promise<CallAnswer> {
  const req = { to: bytesOf(to), data: bytesOf(data), ...(from ? { from: bytesOf(from) } : {}) };
  return decode((await app.query('call', encode(req))).value!) as unknown as CallAnswer;
}

export async function balanceOf(app: EvmApplication, tokenAddress: string, holder: string): Promise<bigint> {
  const r = await call(app, tokenAddress, token.encodeFunctionData('balanceOf', [holder]));
  return token.decodeFunctionResult('balanceOf', r.returnData)[0] as bigint;
}

export function deployData(supply: bigint): string {
  return compileToken().bytecode + token.encodeDeploy(['Bench Token', 'BT', supply]).slice(2);
}
