import { CodecError, expectMap, expectUint, type CodecValue } from '../../codec/index.js';
import { keccak256 } from '../../crypto/index.js';
import type { Genesis } from '../application.js';
import { GenesisError } from '../errors.js';
import { EMPTY_CODE_HASH, Overlay, type CommittedState } from './overlay.js';
import { u256Bytes } from './u256.js';

/*
 * The EVM genesis app state, shaped like geth's genesis "alloc" so that existing files carry over:
 *
 *   null, or { chainId?: uint, alloc?: { "<0x address>": { balance?, nonce?, code?, storage? } } }
 *
 * balance: a uint, a decimal string or a 0x-hex string (wei, up to 2^256-1); nonce: a uint;
 * code: 0x-hex or bytes; storage: { "<0x slot>": "<0x value>" }. Unknown keys are refused.
 */

export interface EvmGenesis {
  readonly chainId: number | undefined;
  /** Applies the allocations to an empty overlay. */
  readonly overlay: Overlay;
}

const NOTHING: CommittedState = { account: async () => null, storage: async () => null, code: async () => null };
const ADDRESS_RE = /^0x[0-9a-fA-F]{40}$/;
const HEX_RE = /^0x[0-9a-fA-F]*$/;

function bytesOf(v: CodecValue | undefined, path: string): Uint8Array {
  if (v instanceof Uint8Array) return v;
  if (typeof v === 'string' && HEX_RE.test(v) && v.length % 2 === 0) return Uint8Array.from(Buffer.from(v.slice(2), 'hex'));
  throw new GenesisError(`${path}: expected bytes or an even-length 0x-hex string`);
}

function uintOf(v: CodecValue | undefined, path: string): bigint {
  let n: bigint | undefined;
  if (typeof v === 'number' && Number.isSafeInteger(v) && v >= 0) n = BigInt(v);
  else if (typeof v === 'bigint') n = v;
  else if (typeof v === 'string' && /^(0x[0-9a-fA-F]+|[0-9]+)$/.test(v)) n = BigInt(v);
  else if (v instanceof Uint8Array && v.length <= 32) n = v.length === 0 ? 0n : BigInt(`0x${Buffer.from(v).toString('hex')}`);
  if (n === undefined || n < 0n || n >= 1n << 256n) throw new GenesisError(`${path}: expected an unsigned 256-bit integer`);
  return n;
}

const word = (bytes: Uint8Array): string => Buffer.from(bytes).toString('hex').padStart(64, '0');

function allocate(overlay: Overlay, address: string, entry: CodecValue | undefined): void {
  const path = `alloc.${address}`;
  const m = expectMap(entry, path);
  for (const k of Object.keys(m)) if (!['balance', 'nonce', 'code', 'storage'].includes(k)) throw new GenesisError(`${path}: unknown key '${k}'`);
  const code = m['code'] === undefined ? new Uint8Array(0) : bytesOf(m['code'], `${path}.code`);
  const codeHash = code.length === 0 ? EMPTY_CODE_HASH : keccak256(code);
  if (code.length > 0) overlay.putCode(Buffer.from(codeHash).toString('hex'), code);
  const key = address.slice(2).toLowerCase();
  overlay.putAccount(key, {
    balance: m['balance'] === undefined ? 0n : uintOf(m['balance'], `${path}.balance`),
    nonce: m['nonce'] === undefined ? 0n : uintOf(m['nonce'], `${path}.nonce`),
    codeHash,
  });
  const storage = m['storage'] === undefined ? {} : expectMap(m['storage'], `${path}.storage`);
  for (const [slot, value] of Object.entries(storage)) {
    const v = uintOf(value, `${path}.storage.${slot}`);
    const bytes = v === 0n ? null : u256Bytes(v);
    overlay.putStorage(key, word(bytesOf(slot, `${path}.storage key`)), bytes);
  }
}

/** Reads the app state of `genesis`; throws GenesisError for anything malformed. */
export function parseEvmGenesis(genesis: Pick<Genesis, 'appState'>): EvmGenesis {
  const overlay = new Overlay(NOTHING);
  if (genesis.appState === null) return { chainId: undefined, overlay };
  try {
    const m = expectMap(genesis.appState, 'appState');
    for (const k of Object.keys(m)) if (k !== 'chainId' && k !== 'alloc') throw new GenesisError(`appState: unknown key '${k}'`);
    const chainId = m['chainId'] === undefined ? undefined : expectUint(m['chainId'], 'appState.chainId');
    const alloc = m['alloc'] === undefined ? {} : expectMap(m['alloc'], 'appState.alloc');
    for (const [address, entry] of Object.entries(alloc)) {
      if (!ADDRESS_RE.test(address)) throw new GenesisError(`appState.alloc: '${address}' is not a 0x address`);
      allocate(overlay, address, entry);
    }
    return { chainId, overlay };
  } catch (cause) {
    if (cause instanceof CodecError) throw new GenesisError(`evm genesis: ${cause.message}`, { cause });
    throw cause;
  }
}

/** The Ethereum chain id a genesis names, if any: what a node passes as EvmAppOptions.chainId. */
export function evmChainIdOf(genesis: Pick<Genesis, 'appState'>): number | undefined {
  return parseEvmGenesis(genesis).chainId;
}
