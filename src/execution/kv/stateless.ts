import { expectMap, expectString, expectUint, type CodecValue } from '../../codec/index.js';
import type { StatelessCheck, StatelessCheckSpec, StatelessVerdict } from '../application.js';
import { KvTxError } from './errors.js';
import { checkKvTxStateless, KV_LIMITS, PublicKeyCache, type KvLimits } from './tx.js';

/*
 * The kv stateless check as a module a worker thread can load on its own (see
 * StatelessCheckSpec): it imports only the tx format, the codec and the suites.
 */

const CONFIG_KEYS = ['chainId', 'maxTxBytes', 'maxOps', 'maxKeyBytes', 'maxValueBytes'];

/** Turns a kv failure into a verdict; anything else is a bug and propagates. */
export function kvStatelessVerdict(bytes: Uint8Array, chainId: string, limits: KvLimits = KV_LIMITS, keys?: PublicKeyCache): StatelessVerdict {
  try {
    const tx = checkKvTxStateless(bytes, chainId, limits, keys);
    return { ok: true, sender: tx.sender, nonce: tx.nonce };
  } catch (cause) {
    if (cause instanceof KvTxError) return { ok: false, code: cause.rejectCode, reason: cause.message };
    throw cause;
  }
}

/** The StatelessCheckFactory a worker calls; `config` is what kvStatelessSpec put there. */
export function createKvStatelessCheck(config: CodecValue): StatelessCheck {
  const c = expectMap(config, 'config', CONFIG_KEYS);
  const chainId = expectString(c['chainId'], 'config.chainId');
  const limits: KvLimits = {
    maxTxBytes: expectUint(c['maxTxBytes'], 'config.maxTxBytes'),
    maxOps: expectUint(c['maxOps'], 'config.maxOps'),
    maxKeyBytes: expectUint(c['maxKeyBytes'], 'config.maxKeyBytes'),
    maxValueBytes: expectUint(c['maxValueBytes'], 'config.maxValueBytes'),
  };
  const keys = new PublicKeyCache();
  return (tx) => kvStatelessVerdict(tx, chainId, limits, keys);
}

export function kvStatelessSpec(chainId: string, limits: KvLimits = KV_LIMITS): StatelessCheckSpec {
  // import.meta.url is this very file: stateless.ts under tsx, stateless.js in dist/.
  return { moduleUrl: import.meta.url, exportName: createKvStatelessCheck.name, config: { chainId, ...limits } };
}
