import { getSuite } from '../../crypto/index.js';
import { govProposalId, proposePayload, signGovTx, votePayload } from '../../execution/gov/tx.js';
import { GOV_CHAIN_ID, type GovAction } from '../../execution/gov/types.js';
import type { Signer } from './connect.js';

/** Signed gov transactions (src/execution/gov/tx.ts) from a `bsn gov` signer. */

export function proposeTx(signer: Signer, nonce: number, action: GovAction, args: Record<string, unknown>, expiresAt: number): Uint8Array {
  return signGovTx({ chainId: GOV_CHAIN_ID, nonce, kind: 'propose', payload: proposePayload(action, args, expiresAt), certDer: signer.cert.der, privateKey: signer.privateKey });
}

export function voteTx(signer: Signer, nonce: number, proposalId: string, yes: boolean): Uint8Array {
  return signGovTx({ chainId: GOV_CHAIN_ID, nonce, kind: 'vote', payload: votePayload(proposalId, yes), certDer: signer.cert.der, privateKey: signer.privateKey });
}

/** The id a proposal tx will have on a chain whose suite is `suiteName` (the gateway's answer names it too). */
export function proposalIdOf(tx: Uint8Array, suiteName = 'ecdsa-p256'): string {
  return govProposalId(getSuite(suiteName), tx);
}
