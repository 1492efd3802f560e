import type { Common } from '@ethereumjs/common';
import { createTxFromRLP, type AccessList2930Tx, type FeeMarket1559Tx, type LegacyTx } from '@ethereumjs/tx';
import { Address } from '@ethereumjs/util';
import { keccak256 } from '../../crypto/index.js';
import {
  EvmTxBadSignatureError,
  EvmTxMalformedError,
  EvmTxTooLargeError,
  EvmTxWrongChainError,
} from './errors.js';

/** The tx types an app chain runs: legacy (EIP-155 only), EIP-2930 and EIP-1559. */
export type EvmTx = LegacyTx | AccessList2930Tx | FeeMarket1559Tx;

export interface EvmTxLimits {
  /** Largest encoded tx; geth's default txpool limit is 128 KiB. */
  readonly maxTxBytes: number;
}

export const EVM_TX_LIMITS: EvmTxLimits = { maxTxBytes: 128 * 1024 };

export interface DecodedEvmTx {
  readonly tx: EvmTx;
  /** keccak256 of the bytes, which are canonical, so this is the Ethereum tx hash. */
  readonly hash: Uint8Array;
  /** The hash as 64 lowercase hex digits (no 0x): the key of receipts and of the sender cache. */
  readonly hashHex: string;
}

const hex = (bytes: Uint8Array): string => Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('hex');

/** keccak256 of raw tx bytes as hex: the key under which senders are remembered. */
export function evmTxHashHex(bytes: Uint8Array): string {
  return hex(keccak256(bytes));
}

export interface CheckedEvmTx extends DecodedEvmTx {
  readonly sender: Address;
}

/**
 * Decodes one tx for `common`'s chain and establishes its sender: `knownSender` when the caller
 * recovered it earlier from these exact bytes, else recovered here (natively). The tx reports
 * that sender from then on, so the VM never recovers again. Throws an EvmTxError.
 */
export function checkEvmTx(bytes: Uint8Array, common: Common, limits: EvmTxLimits = EVM_TX_LIMITS, knownSender?: Address): CheckedEvmTx {
  const tx = decodeUnfrozen(bytes, common, limits);
  const sender = knownSender ?? recoverSender(tx);
  Object.defineProperty(tx, 'getSenderAddress', { value: () => sender });
  // EthereumJS advises freezing yourself when decoding unfrozen; frozen txs cache their hash and data gas.
  Object.freeze(tx);
  const hash = keccak256(bytes);
  return { tx, hash, hashHex: hex(hash), sender };
}

function decodeUnfrozen(bytes: Uint8Array, common: Common, limits: EvmTxLimits): EvmTx {
  if (bytes.length > limits.maxTxBytes) throw new EvmTxTooLargeError(`oversized data: tx is ${bytes.length} bytes, at most ${limits.maxTxBytes}`);
  const type = bytes[0];
  if (type === undefined) throw new EvmTxMalformedError('empty transaction');
  if (type <= 0x7f && type !== 1 && type !== 2) throw new EvmTxMalformedError(`transaction type ${type} not supported`);
  if (type > 0x7f && type < 0xc0) throw new EvmTxMalformedError('not an RLP list or a typed transaction');
  let tx: EvmTx;
  try {
    tx = createTxFromRLP(bytes, { common, freeze: false }) as EvmTx;
  } catch (cause) {
    const message = cause instanceof Error ? cause.message : String(cause);
    if (/chain ID|chain id/.test(message)) throw new EvmTxWrongChainError(`invalid chain id: ${message}`, { cause });
    throw new EvmTxMalformedError(`undecodable transaction: ${message}`, { cause });
  }
  if (!tx.isSigned()) throw new EvmTxMalformedError('transaction is not signed');
  // A legacy tx without EIP-155 could be replayed from any chain: geth refuses these over RPC too.
  if (tx.type === 0 && (tx.v === 27n || tx.v === 28n)) throw new EvmTxWrongChainError('only replay-protected (EIP-155) transactions allowed');
  // RLP admits several spellings of one tx; only the canonical one has the hash clients expect.
  if (!equalBytes(tx.serialize(), bytes)) throw new EvmTxMalformedError('transaction is not canonically encoded');
  return tx;
}

function recoverSender(tx: EvmTx): Address {
  let publicKey: Uint8Array;
  try {
    publicKey = tx.getSenderPublicKey();
  } catch (cause) {
    throw new EvmTxBadSignatureError(`invalid transaction signature: ${cause instanceof Error ? cause.message : String(cause)}`, { cause });
  }
  // Our keccak, not @ethereumjs/util's publicToAddress (pure-JS keccak).
  return new Address(keccak256(publicKey).subarray(12));
}

/** 0x-prefixed lowercase hex of an address: the sender format of verdicts and check results. */
export function addressHex(address: Address): string {
  return address.toString();
}

function equalBytes(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && Buffer.compare(a, b) === 0;
}
