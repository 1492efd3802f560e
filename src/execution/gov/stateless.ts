import { expectMap, expectString, expectUint, type CodecValue } from '../../codec/index.js';
import type { StatelessCheck, StatelessCheckSpec, StatelessVerdict } from '../application.js';
import { GovError } from './errors.js';
import { checkGovTxStateless, GOV_LIMITS, type GovLimits } from './tx.js';

/*
 * The gov stateless check as a module a worker thread can load on its own (StatelessCheckSpec):
 * decode, size, chain id, certificate parse, signature. The sender is the certificate's
 * fingerprint. Whether the signer is registered depends on state: that is checkTx's part.
 */

const CONFIG_KEYS = ['chainId', 'maxTxBytes'];

/** A gov failure as a verdict whose reason starts with the GOV_* code; anything else is a bug and propagates. */
export function govStatelessVerdict(bytes: Uint8Array, chainId: string, limits: GovLimits = GOV_LIMITS): StatelessVerdict {
  try {
    const tx = checkGovTxStateless(bytes, chainId, limits);
    return { ok: true, sender: tx.sender, nonce: tx.nonce };
  } catch (cause) {
    if (cause instanceof GovError) return govRejection(cause);
    throw cause;
  }
}

export function govRejection(error: GovError): { ok: false; code: GovError['rejectCode']; reason: string } {
  return { ok: false, code: error.rejectCode, reason: `${error.code}: ${error.message}` };
}

/** The StatelessCheckFactory a worker calls; `config` is what govStatelessSpec put there. */
export function createGovStatelessCheck(config: CodecValue): StatelessCheck {
  const c = expectMap(config, 'config', CONFIG_KEYS);
  const chainId = expectString(c['chainId'], 'config.chainId');
  const limits: GovLimits = { maxTxBytes: expectUint(c['maxTxBytes'], 'config.maxTxBytes') };
  return (tx) => govStatelessVerdict(tx, chainId, limits);
}

export function govStatelessSpec(chainId: string, limits: GovLimits = GOV_LIMITS): StatelessCheckSpec {
  // import.meta.url is this very file: stateless.ts under tsx, stateless.js in dist/.
  return { moduleUrl: import.meta.url, exportName: createGovStatelessCheck.name, config: { chainId, maxTxBytes: limits.maxTxBytes } };
}
