import { createHash } from 'node:crypto';
import { Common, Hardfork, Mainnet, type ChainConfig, type CommonOpts, type CustomCrypto, type ParamsDict } from '@ethereumjs/common';
import { keccak256 } from '../../crypto/index.js';
import { secp256k1Native as native } from '../../crypto/secp256k1-native.js';

/*
 * Chain parameters of an EVM app chain and the native crypto EthereumJS runs on.
 *
 * Hardfork: Cancun (PUSH0, MCOPY, transient storage; what solc's default targets run on). Every
 * fork rule applies from block 0. Blob (type 3) and set-code (type 4) txs are refused at decode:
 * an app chain has no blob market, and EIP-7702 is Prague. Zero gas price: the block header's
 * baseFeePerGas is fixed at 0 (no EIP-1559 base-fee adjustment), so a legacy gasPrice of 0 or a
 * 1559 maxFeePerGas of 0 is valid, and gas limits per tx and per block still bound the work.
 */
export const EVM_HARDFORK = Hardfork.Cancun;

/** Ethereum's ecrecover on libsecp256k1: the 64-byte public key (x || y) or a throw. */
function ecrecover(msgHash: Uint8Array, v: bigint, r: Uint8Array, s: Uint8Array, chainId?: bigint): Uint8Array {
  const recovery = v === 0n || v === 1n ? v : chainId === undefined ? v - 27n : v - (chainId * 2n + 35n);
  if (recovery !== 0n && recovery !== 1n) throw new Error('invalid signature v value');
  if (r.length > 32 || s.length > 32) throw new Error('invalid signature r or s');
  const sig = new Uint8Array(64);
  sig.set(r, 32 - r.length);
  sig.set(s, 64 - s.length);
  return native.ecdsaRecover(sig, Number(recovery), msgHash, false).subarray(1);
}

function ecdsaRecover(sig: Uint8Array, recId: number, hash: Uint8Array): Uint8Array {
  return native.ecdsaRecover(sig, recId, hash, false);
}

const sha256 = (msg: Uint8Array): Uint8Array => createHash('sha256').update(msg).digest();

/** The seam through which EthereumJS hashes and recovers: hash-wasm keccak, libsecp256k1, node:crypto. */
export const NATIVE_CRYPTO: CustomCrypto = { keccak256, ecrecover, ecdsaRecover, sha256 };

function chainConfig(chainId: number): ChainConfig {
  // Every fork up to ours from block 0: no mainnet activation heights (London's block would
  // otherwise demand its initial base fee at height 12,965,000).
  const last = Mainnet.hardforks.findIndex((h) => h.name === EVM_HARDFORK);
  const hardforks = Mainnet.hardforks.slice(0, last + 1).map((h) => ({ name: h.name, block: 0 }));
  return { ...Mainnet, name: `bsn-${chainId}`, chainId, defaultHardfork: EVM_HARDFORK, hardforks };
}

const options = (chainId: number): CommonOpts => ({ chain: chainConfig(chainId), hardfork: EVM_HARDFORK, customCrypto: NATIVE_CRYPTO });

/**
 * Common with a Set behind isActivatedEIP: the EVM asks it several times per opcode, and the
 * stock lookup is Array.includes over ~40 EIPs (3.8% of executeBlock in the profile).
 */
class FastCommon extends Common {
  private eipSource: number[] | undefined;
  private eipSet = new Set<number>();

  override isActivatedEIP(eip: number): boolean {
    // _activatedEIPsCache is replaced, never mutated, when the hardfork or EIPs change.
    if (this.eipSource !== this._activatedEIPsCache) {
      this.eipSource = this._activatedEIPsCache;
      this.eipSet = new Set(this.eipSource);
    }
    return this.eipSet.has(eip);
  }
}

/** The VM's Common for one app chain: its chain id, Cancun from genesis, native crypto. */
export function evmCommon(chainId: number): Common {
  return new FastCommon(options(chainId));
}

/**
 * The Common that decoded txs share. Every EthereumJS tx constructor copies the Common it is
 * given and re-merges the tx parameters into the copy (a JSON deep copy and a cache rebuild):
 * ~100 µs per tx, the largest single cost of decoding in the profile (docs/evm.md). Txs only
 * read their Common (chain id, params, EIPs, crypto) and runTx changes a tx's hardfork only
 * when it differs from the block's, which it never does here, so one instance serves them all:
 * copy() returns itself and a parameter set is merged once.
 */
class SharedTxCommon extends FastCommon {
  private readonly merged = new WeakSet<ParamsDict>();

  override copy(): Common {
    return this;
  }

  override updateParams(params: ParamsDict): void {
    if (this.merged.has(params)) return;
    this.merged.add(params);
    super.updateParams(params);
  }
}

/** The Common to decode this chain's txs with (see SharedTxCommon); not for the VM. */
export function evmTxCommon(chainId: number): Common {
  return new SharedTxCommon(options(chainId));
}
