import { createFeeMarket1559Tx, createLegacyTx } from '@ethereumjs/tx';
import { Address } from '@ethereumjs/util';
import { keccak256 } from '../crypto/index.js';
import { secp256k1Native as native } from '../crypto/secp256k1-native.js';
import { evmTxCommon } from '../execution/index.js';

/*
 * Ethereum transactions as the bench signs them: EIP-155 legacy or EIP-1559, signed with the
 * native secp256k1 addon (the pure-JS signer would make the generator the bottleneck), plus the
 * ABI encodings of the few calls the workloads make, written out by hand for the same reason.
 */

export interface EvmFee {
  readonly type: 'legacy' | 'eip1559';
  /** legacy: the gas price; eip1559: maxFeePerGas. */
  readonly maxFee: bigint;
  readonly maxPriority: bigint;
}

export interface EvmTxFields {
  readonly nonce: number;
  /** 20 bytes; absent for a contract creation. */
  readonly to?: Uint8Array;
  readonly value: bigint;
  readonly data: Uint8Array;
  readonly gasLimit: bigint;
}

export interface SignedTx {
  readonly raw: Uint8Array;
  readonly hash: Uint8Array;
}

export function signEvmTx(chainId: number, fee: EvmFee, fields: EvmTxFields, privateKey: Uint8Array): SignedTx {
  const common = evmTxCommon(chainId);
  const to = fields.to ? new Address(fields.to) : undefined;
  const base = { nonce: BigInt(fields.nonce), to, value: fields.value, data: fields.data, gasLimit: fields.gasLimit };
  const unsigned =
    fee.type === 'legacy'
      ? createLegacyTx({ ...base, gasPrice: fee.maxFee }, { common })
      : createFeeMarket1559Tx({ ...base, chainId: BigInt(chainId), maxFeePerGas: fee.maxFee, maxPriorityFeePerGas: fee.maxPriority }, { common });
  const { signature, recid } = native.ecdsaSign(unsigned.getHashedMessageToSign(), privateKey);
  const signed = unsigned.addSignature(BigInt(recid), signature.subarray(0, 32), signature.subarray(32), true);
  const raw = signed.serialize();
  return { raw, hash: keccak256(raw) };
}

export function evmAddressOf(privateKey: Uint8Array): Uint8Array {
  return keccak256(native.publicKeyCreate(privateKey, false).subarray(1)).subarray(12);
}

/** The address of the contract that `deployer` creates with `nonce` (RLP of [address, nonce]). */
export { getCreateAddress } from 'ethers';

export const hex = (b: Uint8Array): string => `0x${Buffer.from(b).toString('hex')}`;
export const unhex = (s: string): Uint8Array => new Uint8Array(Buffer.from(s.replace(/^0x/, ''), 'hex'));

const selector = (signature: string): Uint8Array => keccak256(new TextEncoder().encode(signature)).subarray(0, 4);

export const SELECTORS = {
  transfer: selector('transfer(address,uint256)'),
  balanceOf: selector('balanceOf(address)'),
  amalgamate: selector('amalgamate(uint256,uint256)'),
  getBalance: selector('getBalance(uint256)'),
  updateBalance: selector('updateBalance(uint256,uint256)'),
  updateSaving: selector('updateSaving(uint256,uint256)'),
  sendPayment: selector('sendPayment(uint256,uint256,uint256)'),
  writeCheck: selector('writeCheck(uint256,uint256)'),
} as const;

/** `selector` followed by each argument as a 32-byte word (addresses are 20-byte Uint8Arrays). */
export function abiCall(sel: Uint8Array, args: readonly (bigint | number | Uint8Array)[]): Uint8Array {
  const out = new Uint8Array(4 + 32 * args.length);
  out.set(sel, 0);
  args.forEach((arg, i) => {
    const at = 4 + 32 * i;
    if (arg instanceof Uint8Array) out.set(arg, at + 32 - arg.length);
    else {
      let v = BigInt(arg);
      for (let b = 31; b >= 0 && v > 0n; b--, v >>= 8n) out[at + b] = Number(v & 0xffn);
    }
  });
  return out;
}
