import { Address } from '@ethereumjs/util';
import { CodecError, decode, encode, expectBytes, expectMap, expectUint, type CodecValue } from '../../codec/index.js';
import type { QueryResult } from '../application.js';
import { QueryError } from '../errors.js';
import { logsOf, resultCode } from './block.js';
import { EVM_HARDFORK } from './common.js';
import { isNotRun, type CallRequest, type EvmExecutor, type NotRun, type Ran } from './executor.js';
import { EMPTY_CODE_HASH } from './overlay.js';
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
 * (bytes), value (u256), gas (uint; the block gas limit when absent). Calls run eth_call-style on
 * committed state: nonce not checked, gas price 0, nothing kept. A call's `code` is OK,
 * REVERTED (returnData = the revert data), OUT_OF_GAS, EVM_HALTED, or why it could not start
 * (`reason` in words, geth's wording: "insufficient funds…", "intrinsic gas too low…").
 */

const CALL_KEYS = ['from', 'to', 'data', 'value', 'gas'];
const hexOf = (b: Uint8Array) => Buffer.from(b).toString('hex');

export class EvmQueries {
  /** Calls share one VM, so they run one at a time. */
  private callTail: Promise<unknown> = Promise.resolve();

  constructor(
    private readonly store: EvmStore,
    private readonly executor: EvmExecutor,
  ) {}

  async query(path: string, data: Uint8Array): Promise<QueryResult> {
    const read = this.reader(path, data);
    // Retry if a commit lands between reading the height and reading the value.
    for (;;) {
      const height = this.store.height;
      const value = await read();
      if (height === this.store.height) return { height, value };
    }
  }

  private reader(path: string, data: Uint8Array): () => Promise<Uint8Array | undefined> {
    switch (path) {
      case 'chain': {
        const p = this.executor.params;
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
      case 'call': {
        const req = this.callRequest(data);
        return async () => encodeCall(await this.serialCall(req));
      }
      case 'estimateGas': {
        const req = this.callRequest(data);
        return async () => encodeEstimate(await this.estimate(req));
      }
      default:
        throw new QueryError(`unknown evm query path '${path}' (known: chain, account, code, storage, receipt, block, call, estimateGas)`);
    }
  }

  private callRequest(data: Uint8Array): CallRequest {
    return decodeQuery(data, (v) => {
      const m = expectMap(v, 'call');
      for (const k of Object.keys(m)) if (!CALL_KEYS.includes(k)) throw new QueryError(`call: unknown key '${k}'`);
      const address = (key: string) => (m[key] === undefined ? undefined : new Address(expectBytes(m[key], key, 20)));
      const gas = m['gas'] === undefined ? this.executor.params.blockGasLimit : BigInt(expectUint(m['gas'], 'gas'));
      return {
        from: address('from'),
        to: address('to'),
        data: m['data'] === undefined ? new Uint8Array(0) : expectBytes(m['data'], 'data'),
        value: m['value'] === undefined ? 0n : bytesU256(expectBytes(m['value'], 'value')),
        gas: gas > this.executor.params.blockGasLimit ? this.executor.params.blockGasLimit : gas,
      };
    });
  }

  private serialCall(req: CallRequest): Promise<Ran | NotRun> {
    const run = async () => this.executor.call(this.store, this.executor.block(this.store.height + 1, Date.now()), req);
    const result = this.callTail.then(run, run);
    this.callTail = result.catch(() => undefined);
    return result;
  }

  /** eth_estimateGas: the least gas limit (within 1.5%, as geth) with which the call succeeds. */
  private async estimate(req: CallRequest): Promise<{ gas: bigint; failure: Ran | NotRun | undefined }> {
    const first = await this.serialCall(req);
    if (isNotRun(first) || resultCode(first) !== 'OK') return { gas: 0n, failure: first };
    let lo = first.totalGasSpent - 1n;
    let hi = req.gas;
    // Refunds and the 63/64 rule make the limit needed exceed the gas used; try a little above first.
    const guess = ((first.totalGasSpent + (first.gasRefund ?? 0n) + 2300n) * 64n) / 63n;
    if (guess < hi && (await this.succeeds({ ...req, gas: guess }))) hi = guess;
    else if (guess < hi) lo = guess;
    while (hi - lo > 1n && (hi - lo) * 1000n > hi * 15n) {
      const mid = (lo + hi) / 2n;
      if (await this.succeeds({ ...req, gas: mid })) hi = mid;
      else lo = mid;
    }
    return { gas: hi, failure: undefined };
  }

  private async succeeds(req: CallRequest): Promise<boolean> {
    const r = await this.serialCall(req);
    return !isNotRun(r) && resultCode(r) === 'OK';
  }
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

function encodeCall(r: Ran | NotRun): Uint8Array {
  if (isNotRun(r)) return encode({ ok: false, code: r.code, returnData: new Uint8Array(0), gasUsed: 0, logs: [], reason: r.reason });
  const code = resultCode(r);
  const logs: CodecValue[] = logsOf(r).map((l) => [l.address, [...l.topics], l.data]);
  const reason = code === 'OK' ? '' : code === 'REVERTED' ? 'execution reverted' : (r.execResult.exceptionError?.error ?? code);
  return encode({ ok: code === 'OK', code, returnData: r.execResult.returnValue, gasUsed: r.totalGasSpent, logs, reason });
}

function encodeEstimate(e: { gas: bigint; failure: Ran | NotRun | undefined }): Uint8Array {
  if (e.failure === undefined) return encode({ ok: true, code: 'OK', gas: e.gas, returnData: new Uint8Array(0), reason: '' });
  const call = decode(encodeCall(e.failure)) as { code: string; returnData: Uint8Array; reason: string };
  return encode({ ok: false, code: call.code, gas: 0, returnData: call.returnData, reason: call.reason });
}
