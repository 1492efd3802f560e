import { CodecError, decode, encode, expectBigUint, expectBytes, expectMap, expectUint, type CodecValue } from '../../codec/index.js';
import type { QueryResult } from '../application.js';
import { QueryError } from '../errors.js';
import { EvmCallPool } from './call-pool.js';
import type { CallOp, CallSpec } from './call-protocol.js';
import { EVM_HARDFORK } from './common.js';
import type { EvmChainParams } from './executor.js';
import { EMPTY_CODE_HASH } from './overlay.js';
import { EvmStateSnapshot } from './snapshot-state.js';
import { blockKey, receiptKey, type EvmStore } from './store.js';
import { bytesU256, u256Bytes } from './u256.js';

/*
 * Reads of committed state for Ethereum JSON-RPC. Paths, their `data` and the answer's `value`
 * (encode = the BSN codec; u256 = minimal big-endian bytes, see u256.ts):
 *
 *   chain        data empty                  encode({chainId, blockGasLimit, hardfork, coinbase})
 *   account      data = address (20 bytes)   encode({nonce, balance: u256, codeHash}); a missing account has nonce 0, balance 0
 *   code         data = address (20 bytes)   the code, empty for none
 *   storage      data = address ‖ slot (52)  the value as 32 bytes
 *   receipt      data = tx hash (32 bytes)   encoded receipt (receipts.ts), undefined for none
 *   block        data = encode(height)       encoded block record (receipts.ts), undefined for none
 *   call         data = encode(CALL)         encode({ok, code, returnData, gasUsed, logs: [[address, [topics], data]], reason})
 *   estimateGas  data = encode(CALL)         encode({ok, code, gas, returnData, reason})
 *
 * CALL is a map with optional keys from (20 bytes), to (20 bytes, absent = create), data
 * (bytes), value (u256), gas (uint below 2^64; the gas cap when absent, and at most the gas cap,
 * which is at most the block gas limit). Calls run eth_call-style on committed state: nonce not
 * checked, gas price 0, nothing kept. They run in a call worker (call-pool.ts) on one LevelDB
 * snapshot, so the answer's height is the height of every state value the call read; a call
 * that cannot be answered rejects with an EvmCallError (timeout, busy). A call's `code` is OK,
 * REVERTED (returnData = the revert data), OUT_OF_GAS, EVM_HALTED, or why it could not start
 * (`reason` in words, geth's wording: "insufficient funds…", "intrinsic gas too low…").
 */

const CALL_KEYS = ['from', 'to', 'data', 'value', 'gas'];
const hexOf = (b: Uint8Array) => Buffer.from(b).toString('hex');
const MAX_GAS = (1n << 64n) - 1n;

/**
 * The most gas an eth_call / eth_estimateGas may use unless the node says otherwise: about 0.3 s
 * of a pure-compute loop in EthereumJS on the 2-core bench machine (0.7 s for the costliest loop,
 * warm SLOADs), a third of the default block gas limit, and well above real calls (an ERC-20
 * deploy needs about 1.5M). geth's 50M assumes an EVM roughly ten times faster (docs/evm.md).
 */
export const DEFAULT_CALL_GAS_CAP = 10_000_000n;

export interface EvmQueryOptions {
  /** Runs calls; a pool shared by every app that is given none, when absent. */
  readonly pool?: EvmCallPool;
  /** The gas cap of calls; DEFAULT_CALL_GAS_CAP when absent, never above the block gas limit. */
  readonly gasCap?: bigint;
}

let sharedPool: EvmCallPool | undefined;

/** The pool of applications opened without one (tests, tools): workers start at its first call. */
function defaultPool(): EvmCallPool {
  return (sharedPool ??= new EvmCallPool());
}

export class EvmQueries {
  private readonly gasCap: bigint;
  private readonly pool: EvmCallPool | undefined;

  constructor(
    private readonly store: EvmStore,
    private readonly params: EvmChainParams,
    options: EvmQueryOptions = {},
  ) {
    const cap = options.gasCap ?? DEFAULT_CALL_GAS_CAP;
    this.gasCap = cap < params.blockGasLimit ? cap : params.blockGasLimit;
    this.pool = options.pool;
  }

  async query(path: string, data: Uint8Array): Promise<QueryResult> {
    if (path === 'call' || path === 'estimateGas') return this.call(path, this.callRequest(data));
    const read = this.reader(path, data);
    // Retry if a commit lands between reading the height and reading the value.
    for (;;) {
      const height = this.store.height;
      const value = await read();
      if (height === this.store.height) return { height, value };
    }
  }

  /** Runs in a worker on a snapshot taken now: one height, whatever commits while it runs. */
  private async call(op: CallOp, req: CallSpec): Promise<QueryResult> {
    const pool = this.pool ?? defaultPool();
    // A call refused as busy costs no snapshot: refusals are what a flood mostly gets.
    pool.admit();
    const state = await EvmStateSnapshot.open(this.store);
    try {
      const p = this.params;
      const chain = { chainId: p.chainId, blockGasLimit: p.blockGasLimit, coinbase: p.coinbase.bytes };
      const value = await pool.run({ chain, op, req, height: state.height, timeMs: Date.now(), state });
      return { height: state.height, value };
    } finally {
      await state.close();
    }
  }

  private reader(path: string, data: Uint8Array): () => Promise<Uint8Array | undefined> {
    switch (path) {
      case 'chain': {
        const p = this.params;
        return async () => encode({ chainId: p.chainId, blockGasLimit: p.blockGasLimit, hardfork: EVM_HARDFORK, coinbase: p.coinbase.bytes });
      }
      case 'account': {
        const a = hexOf(fixed(data, 20, 'an address'));
        return async () => {
          const r = await this.store.account(a);
          return encode({ nonce: r?.nonce ?? 0n, balance: u256Bytes(r?.balance ?? 0n), codeHash: r?.codeHash ?? EMPTY_CODE_HASH });
        };
      }
      case 'code': {
        const a = hexOf(fixed(data, 20, 'an address'));
        return async () => {
          const r = await this.store.account(a);
          if (r === null || Buffer.compare(r.codeHash, EMPTY_CODE_HASH) === 0) return new Uint8Array(0);
          return (await this.store.code(hexOf(r.codeHash))) ?? new Uint8Array(0);
        };
      }
      case 'storage': {
        fixed(data, 52, 'an address and a slot');
        const [a, slot] = [hexOf(data.subarray(0, 20)), hexOf(data.subarray(20))];
        return async () => {
          const v = (await this.store.storage(a, slot)) ?? new Uint8Array(0);
          const out = new Uint8Array(32);
          out.set(v, 32 - v.length);
          return out;
        };
      }
      case 'receipt': {
        const key = receiptKey(hexOf(fixed(data, 32, 'a tx hash')));
        return () => this.store.record(key);
      }
      case 'block': {
        const key = blockKey(decodeQuery(data, (v) => expectUint(v, 'height')));
        return () => this.store.record(key);
      }
      default:
        throw new QueryError(`unknown evm query path '${path}' (known: chain, account, code, storage, receipt, block, call, estimateGas)`);
    }
  }

  /** Gas above the cap is lowered to it, as geth does; gas that is not a uint64 is refused, as geth does. */
  private callRequest(data: Uint8Array): CallSpec {
    return decodeQuery(data, (v) => {
      const m = expectMap(v, 'call');
      for (const k of Object.keys(m)) if (!CALL_KEYS.includes(k)) throw new QueryError(`call: unknown key '${k}'`);
      const address = (key: string) => (m[key] === undefined ? undefined : expectBytes(m[key], key, 20));
      const gas = m['gas'] === undefined ? this.gasCap : gasOf(m['gas']);
      const from = address('from');
      const to = address('to');
      return {
        ...(from && { from }),
        ...(to && { to }),
        data: m['data'] === undefined ? new Uint8Array(0) : expectBytes(m['data'], 'data'),
        value: m['value'] === undefined ? 0n : bytesU256(expectBytes(m['value'], 'value')),
        gas: gas > this.gasCap ? this.gasCap : gas,
      };
    });
  }
}

function gasOf(v: CodecValue): bigint {
  const gas = expectBigUint(v, 'gas');
  if (gas > MAX_GAS) throw new QueryError(`call: gas ${gas} is not a 64-bit unsigned integer`);
  return gas;
}

function fixed(data: Uint8Array, length: number, what: string): Uint8Array {
  if (data.length !== length) throw new QueryError(`expected ${what} (${length} bytes), got ${data.length} bytes`);
  return data;
}

function decodeQuery<T>(data: Uint8Array, parse: (v: CodecValue) => T): T {
  try {
    return parse(decode(data));
  } catch (cause) {
    if (cause instanceof CodecError) throw new QueryError(`malformed query data: ${cause.message}`, { cause });
    throw cause;
  }
}
