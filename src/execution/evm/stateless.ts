import type { Common } from '@ethereumjs/common';
import { expectMap, expectUint, type CodecValue } from '../../codec/index.js';
import type { StatelessCheck, StatelessCheckSpec, StatelessVerdict } from '../application.js';
import { evmTxCommon } from './common.js';
import { EvmTxError, EvmTxInvalidError } from './errors.js';
import { checkEvmTx, EVM_TX_LIMITS, type CheckedEvmTx, type EvmTxLimits } from './tx.js';

/*
 * The EVM stateless check as a module a worker thread loads on its own (see StatelessCheckSpec):
 * decode, canonical form, chain id, and sender recovery on libsecp256k1. This is where senders
 * are recovered; executeBlock reuses what this node's checks found (see EvmApplication).
 */

const CONFIG_KEYS = ['chainId', 'maxTxBytes'];

/** Decodes and recovers; every refusal is an EvmTxError, anything else is a bug. */
export function checkEvmTxStateless(bytes: Uint8Array, common: Common, limits: EvmTxLimits = EVM_TX_LIMITS): CheckedEvmTx {
  const checked = checkEvmTx(bytes, common, limits);
  // Verdicts carry nonces as JS numbers; a nonce past 2^53 is unreachable by any real sender.
  if (checked.tx.nonce > BigInt(Number.MAX_SAFE_INTEGER)) throw new EvmTxInvalidError('nonce too high');
  return checked;
}

export function evmStatelessVerdict(bytes: Uint8Array, common: Common, limits: EvmTxLimits = EVM_TX_LIMITS): StatelessVerdict {
  try {
    const { tx, sender } = checkEvmTxStateless(bytes, common, limits);
    return { ok: true, sender: sender.toString(), nonce: Number(tx.nonce) };
  } catch (cause) {
    if (cause instanceof EvmTxError) return { ok: false, code: cause.rejectCode, reason: cause.message };
    throw cause;
  }
}

/** The StatelessCheckFactory a worker calls; `config` is what evmStatelessSpec put there. */
export function createEvmStatelessCheck(config: CodecValue): StatelessCheck {
  const c = expectMap(config, 'config', CONFIG_KEYS);
  const common = evmTxCommon(expectUint(c['chainId'], 'config.chainId'));
  const limits: EvmTxLimits = { maxTxBytes: expectUint(c['maxTxBytes'], 'config.maxTxBytes') };
  return (tx) => evmStatelessVerdict(tx, common, limits);
}

export function evmStatelessSpec(chainId: number, limits: EvmTxLimits = EVM_TX_LIMITS): StatelessCheckSpec {
  // import.meta.url is this very file: stateless.ts under tsx, stateless.js in dist/.
  return { moduleUrl: import.meta.url, exportName: createEvmStatelessCheck.name, config: { chainId, maxTxBytes: limits.maxTxBytes } };
}
