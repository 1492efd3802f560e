import {
  CodecError,
  decode,
  encode,
  expectArray,
  expectBool,
  expectBytes,
  expectString,
  expectUint,
  ItemLimitError,
  StringLimitError,
  type CodecValue,
} from '../../codec/index.js';
import { ecdsaP256, getSuite, isLowS, type PrivateKey, type Suite } from '../../crypto/index.js';
import { BsnError } from '../../errors.js';
import { decodePem, parseCertificateDer, PkiError, type ParsedCertificate } from '../../pki/index.js';
import { GovBadSignatureError, GovError, GovMalformedError, GovTooLargeError, GovWrongChainError } from './errors.js';
import type { GovTxKind } from './types.js';

/*
 * The gov transaction, version 1 (the format of types.ts). Canonical CBOR (src/codec):
 *
 *   tx      = [1, chainId, nonce, kind, payload, signerCertDer, signature]
 *   signed  = encode(['bsn/gov-tx/v1', chainId, nonce, kind, payload, signerCertDer])
 *   kind 'propose': payload = [action, argsJson, expiresAt]
 *   kind 'vote':    payload = [proposalId (bytes), yes (boolean)]
 *
 * The domain string keeps a gov signature from meaning anything elsewhere; the signer's
 * certificate DER is inside `signed`, so a tx cannot be re-attributed to another certificate of
 * the same key. The sender (the mempool's, and the nonce account) is the certificate fingerprint.
 */

export const GOV_TX_VERSION = 1;
export const GOV_TX_DOMAIN = 'bsn/gov-tx/v1';
const MAX_CHAIN_ID_BYTES = 128;
const MAX_ACTION_BYTES = 64;
/** A proposal id is a hash: the suites' hashes are 32 bytes; 64 leaves room. */
const MAX_PROPOSAL_ID_BYTES = 64;

export interface GovLimits {
  /** The whole encoded tx. */
  readonly maxTxBytes: number;
}

export const GOV_LIMITS: GovLimits = Object.freeze({ maxTxBytes: 64 * 1024 });

export type GovPayload =
  | { readonly kind: 'propose'; readonly action: string; readonly args: Readonly<Record<string, unknown>>; readonly argsJson: string; readonly expiresAt: number }
  | { readonly kind: 'vote'; readonly proposalId: string; readonly yes: boolean };

export interface GovTx {
  readonly chainId: string;
  readonly nonce: number;
  readonly kind: GovTxKind;
  /** The payload exactly as encoded (what the signature covers). */
  readonly payloadValue: CodecValue;
  readonly payload: GovPayload;
  readonly signerCertDer: Uint8Array;
  readonly signature: Uint8Array;
}

/** A tx after decodeGovTx: structure and certificate parsed, signature not yet verified. */
export interface DecodedGovTx extends GovTx {
  readonly cert: ParsedCertificate;
  /** The signer certificate's fingerprint (ParsedCertificate.fingerprint). */
  readonly sender: string;
}

/** The exact bytes a gov signature covers. */
export function govSigningBytes(body: { chainId: string; nonce: number; kind: GovTxKind; payload: CodecValue; signerCertDer: Uint8Array }): Uint8Array {
  return encode([GOV_TX_DOMAIN, body.chainId, body.nonce, body.kind, body.payload, body.signerCertDer]);
}

export function encodeGovTx(tx: { chainId: string; nonce: number; kind: GovTxKind; payload: CodecValue; signerCertDer: Uint8Array; signature: Uint8Array }): Uint8Array {
  return encode([GOV_TX_VERSION, tx.chainId, tx.nonce, tx.kind, tx.payload, tx.signerCertDer, tx.signature]);
}

/** The payload of a proposal: args are sent as JSON text (certificates as PEM strings). */
export function proposePayload(action: string, args: Readonly<Record<string, unknown>>, expiresAt: number): CodecValue {
  return [action, JSON.stringify(args), expiresAt];
}

/** The payload of a vote on the proposal of hex id `proposalId`. */
export function votePayload(proposalId: string, yes: boolean): CodecValue {
  if (!/^([0-9a-f]{2}){1,64}$/.test(proposalId)) throw new GovMalformedError(`proposal id '${proposalId}' is not lowercase hex`);
  return [new Uint8Array(Buffer.from(proposalId, 'hex')), yes];
}

/** A proposal's id: lowercase hex of the chain suite's hash of the proposal tx's bytes. */
export function govProposalId(suite: Suite, txBytes: Uint8Array): string {
  return Buffer.from(suite.hash(txBytes)).toString('hex');
}

export interface SignGovTxParams {
  readonly chainId: string;
  readonly nonce: number;
  readonly kind: GovTxKind;
  /** proposePayload(...) or votePayload(...). */
  readonly payload: CodecValue;
  /** The signer's certificate, PEM (the first CERTIFICATE block is used) or DER. */
  readonly certPem?: string;
  readonly certDer?: Uint8Array;
  /** The certificate's key (readPrivateKeyPem from src/pki). */
  readonly privateKey: PrivateKey;
}

/** For clients: a signed, encoded gov tx; checked by decodeGovTx before it is returned. */
export function signGovTx(params: SignGovTxParams, limits: GovLimits = GOV_LIMITS): Uint8Array {
  const der = params.certDer ?? (params.certPem !== undefined ? pemToDer(params.certPem) : undefined);
  if (der === undefined) throw new GovMalformedError('signGovTx needs certPem or certDer');
  const cert = parseCert(der);
  if (cert.suite !== params.privateKey.suite || !Buffer.from(cert.publicKey.bytes).equals(params.privateKey.publicKey.bytes)) {
    throw new GovMalformedError(`the private key is not the key of '${cert.subjectText}'`);
  }
  const body = { chainId: params.chainId, nonce: params.nonce, kind: params.kind, payload: params.payload, signerCertDer: der };
  const signature = getSuite(cert.suite).sign(params.privateKey, govSigningBytes(body));
  const bytes = encodeGovTx({ ...body, signature });
  decodeGovTx(bytes, limits);
  return bytes;
}

function pemToDer(pem: string): Uint8Array {
  try {
    const block = pem.match(/-----BEGIN CERTIFICATE-----[\s\S]*?-----END CERTIFICATE-----/)?.[0] ?? pem;
    return decodePem(block, ['CERTIFICATE']).der;
  } catch (cause) {
    if (cause instanceof PkiError) throw new GovMalformedError(`signer certificate: ${cause.message}`, { cause });
    throw cause;
  }
}

function parseCert(der: Uint8Array): ParsedCertificate {
  try {
    return parseCertificateDer(der);
  } catch (cause) {
    if (cause instanceof BsnError) throw new GovMalformedError(`signer certificate: ${cause.message}`, { cause });
    throw cause;
  }
}

/**
 * Decodes a gov tx from untrusted bytes, strictly: only the canonical encoding within `limits`.
 * Every failure is a GovError (GOV_MALFORMED or GOV_TOO_LARGE); the signature is not checked.
 */
export function decodeGovTx(bytes: Uint8Array, limits: GovLimits = GOV_LIMITS): DecodedGovTx {
  if (bytes.length > limits.maxTxBytes) throw new GovTooLargeError(`tx of ${bytes.length} bytes exceeds ${limits.maxTxBytes}`);
  try {
    const value = decode(bytes, { maxBytes: limits.maxTxBytes, maxDepth: 2, maxItems: 8, maxStringBytes: limits.maxTxBytes });
    return txFrom(value);
  } catch (cause) {
    if (cause instanceof GovError) throw cause;
    if (cause instanceof ItemLimitError || cause instanceof StringLimitError) throw new GovTooLargeError(cause.message, { cause });
    if (cause instanceof CodecError) throw new GovMalformedError(cause.message, { cause });
    throw cause;
  }
}

function txFrom(value: CodecValue): DecodedGovTx {
  const f = expectArray(value, '$', 7);
  const version = expectUint(f[0], '$.version');
  if (version !== GOV_TX_VERSION) throw new GovMalformedError(`unsupported gov tx version ${version}`);
  const chainId = expectString(f[1], '$.chainId');
  const chainIdBytes = Buffer.byteLength(chainId, 'utf8');
  if (chainIdBytes === 0 || chainIdBytes > MAX_CHAIN_ID_BYTES) throw new GovMalformedError(`chain id must be 1..${MAX_CHAIN_ID_BYTES} bytes`);
  const nonce = expectUint(f[2], '$.nonce');
  const kind = expectString(f[3], '$.kind');
  if (kind !== 'propose' && kind !== 'vote') throw new GovMalformedError(`unknown gov tx kind '${kind}'`);
  const payloadValue = f[4]!;
  const payload = kind === 'propose' ? proposeFrom(payloadValue) : voteFrom(payloadValue);
  const signerCertDer = expectBytes(f[5], '$.signerCert');
  const signature = expectBytes(f[6], '$.signature');
  const cert = parseCert(signerCertDer);
  const suite = getSuite(cert.suite);
  if (signature.length !== suite.signatureLength) {
    throw new GovMalformedError(`a ${suite.name} signature is ${suite.signatureLength} bytes, got ${signature.length}`);
  }
  return { chainId, nonce, kind, payloadValue, payload, signerCertDer, signature, cert, sender: cert.fingerprint };
}

function proposeFrom(value: CodecValue): GovPayload {
  const [a, j, e] = expectArray(value, '$.payload', 3);
  const action = expectString(a, '$.payload.action');
  if (action.length === 0 || Buffer.byteLength(action, 'utf8') > MAX_ACTION_BYTES) throw new GovMalformedError(`an action name is 1..${MAX_ACTION_BYTES} bytes`);
  const argsJson = expectString(j, '$.payload.args');
  let args: unknown;
  try {
    args = JSON.parse(argsJson);
  } catch (cause) {
    throw new GovMalformedError('$.payload.args: not JSON text', { cause });
  }
  if (typeof args !== 'object' || args === null || Array.isArray(args)) throw new GovMalformedError('$.payload.args: not a JSON object');
  const expiresAt = expectUint(e, '$.payload.expiresAt');
  return { kind: 'propose', action, args: args as Record<string, unknown>, argsJson, expiresAt };
}

function voteFrom(value: CodecValue): GovPayload {
  const [id, yes] = expectArray(value, '$.payload', 2);
  const proposalId = expectBytes(id, '$.payload.proposalId');
  if (proposalId.length === 0 || proposalId.length > MAX_PROPOSAL_ID_BYTES) throw new GovMalformedError(`a proposal id is 1..${MAX_PROPOSAL_ID_BYTES} bytes`);
  return { kind: 'vote', proposalId: Buffer.from(proposalId).toString('hex'), yes: expectBool(yes, '$.payload.yes') };
}

/** Throws GovBadSignatureError unless the tx is signed by its certificate's key (low-s for ECDSA P-256). */
export function verifyGovTx(tx: DecodedGovTx): void {
  const suite = getSuite(tx.cert.suite);
  const signed = govSigningBytes({ chainId: tx.chainId, nonce: tx.nonce, kind: tx.kind, payload: tx.payloadValue, signerCertDer: tx.signerCertDer });
  if (!suite.verify(tx.cert.publicKey, signed, tx.signature)) throw new GovBadSignatureError('the signature does not verify with the signer certificate key');
  // The proposal id hashes the whole tx: a high-s twin would be the same proposal under another id.
  if (suite.name === ecdsaP256.name && !isLowS(tx.signature)) throw new GovBadSignatureError('an ecdsa-p256 signature must be low-s (s <= n/2)');
}

/** Everything that depends only on the bytes: decode, size, chain, certificate parse, signature. Throws GovError. */
export function checkGovTxStateless(bytes: Uint8Array, chainId: string, limits: GovLimits = GOV_LIMITS): DecodedGovTx {
  const tx = decodeGovTx(bytes, limits);
  if (tx.chainId !== chainId) throw new GovWrongChainError(`tx is for chain '${tx.chainId}', this is '${chainId}'`);
  verifyGovTx(tx);
  return tx;
}
