import { createHash, randomBytes } from 'node:crypto';
import { encode } from '../../codec/index.js';
import { getSuite, type PrivateKey } from '../../crypto/index.js';
import { parseCertificatePem, readPrivateKeyPem } from '../../pki/index.js';
import { AuthMalformedError, AuthMissingError } from './errors.js';

/*
 * The canonical request of REST authentication (docs/gateway-auth.md). Everything that decides
 * what a request does is covered: method, request-target (path and query, byte for byte as sent),
 * the app, a hash of the body, a timestamp and a nonce, plus the certificate's fingerprint so a
 * signature cannot be re-attributed to another certificate with the same key, and the identity
 * of the gateway it is meant for, so it cannot be replayed on another gateway (M5).
 */

export const AUTH_DOMAIN = 'bsn/rest-auth/v2';

/** The response header by which every gateway tells its identity (what clients sign as `gateway`). */
export const GATEWAY_ID_HEADER = 'x-bsn-gateway';

export const AUTH_HEADERS = {
  cert: 'x-bsn-cert',
  certId: 'x-bsn-cert-id',
  timestamp: 'x-bsn-timestamp',
  nonce: 'x-bsn-nonce',
  signature: 'x-bsn-signature',
} as const;

export const MIN_NONCE_BYTES = 16;
export const MAX_NONCE_BYTES = 64;
/** Generous for a BSN leaf (well under 2 KiB DER) while keeping header parsing bounded. */
export const MAX_CERT_BYTES = 8192;
const MAX_SIGNATURE_BYTES = 512;

export interface CanonicalRequest {
  /** The identity of the gateway the request is for (its `x-bsn-gateway` answer header). */
  readonly gateway: string;
  readonly method: string;
  /** The request-target as sent: path and query, no normalisation. */
  readonly path: string;
  readonly appId: string;
  /** The suite's hash of the raw body bytes (empty body: hash of zero bytes). */
  readonly bodyHash: Uint8Array;
  /** Milliseconds since the Unix epoch. */
  readonly timestamp: number;
  readonly nonce: Uint8Array;
  /** SHA-256 of the certificate's DER. */
  readonly certHash: Uint8Array;
}

/** The exact bytes signed: the canonical codec over a map whose `domain` keeps them from meaning anything elsewhere. */
export function canonicalRequestBytes(request: CanonicalRequest): Uint8Array {
  return encode({
    domain: AUTH_DOMAIN,
    gateway: request.gateway,
    method: request.method.toUpperCase(),
    path: request.path,
    app: request.appId,
    body_hash: request.bodyHash,
    timestamp: request.timestamp,
    nonce: request.nonce,
    cert: request.certHash,
  });
}

export const sha256 = (data: Uint8Array): Uint8Array => new Uint8Array(createHash('sha256').update(data).digest());

export function bodyBytes(body: Uint8Array | string | undefined | null): Uint8Array {
  if (body === undefined || body === null) return new Uint8Array(0);
  return typeof body === 'string' ? new TextEncoder().encode(body) : body;
}

export interface SignRequestInput {
  /** The identity of the gateway the request is sent to (its `x-bsn-gateway` answer header). */
  readonly gateway: string;
  readonly method: string;
  readonly path: string;
  readonly body?: Uint8Array | string;
  readonly appId: string;
  readonly certPem: string;
  /** A key object or an unencrypted PKCS#8 PEM. */
  readonly privateKey: PrivateKey | string;
  /** Milliseconds; Date.now() when absent. */
  readonly now?: number;
  /** 16 to 64 bytes; 32 random bytes when absent. */
  readonly nonce?: Uint8Array;
  /** Send X-BSN-Cert-Id (the fingerprint) instead of the whole certificate, once the gateway has seen it. */
  readonly certById?: boolean;
}

export type AuthHeaders = Record<string, string>;

/** Headers that authenticate one request; the caller must send exactly `body` and `path`. */
export function signRequest(input: SignRequestInput): AuthHeaders {
  const cert = parseCertificatePem(input.certPem);
  const key = typeof input.privateKey === 'string' ? readPrivateKeyPem(input.privateKey) : input.privateKey;
  const suite = getSuite(key.suite);
  const nonce = input.nonce ?? new Uint8Array(randomBytes(32));
  if (nonce.length < MIN_NONCE_BYTES || nonce.length > MAX_NONCE_BYTES) {
    throw new AuthMalformedError(`a nonce has ${MIN_NONCE_BYTES} to ${MAX_NONCE_BYTES} bytes, not ${nonce.length}`);
  }
  const timestamp = input.now ?? Date.now();
  const certHash = sha256(cert.der);
  const message = canonicalRequestBytes({
    gateway: input.gateway,
    method: input.method,
    path: input.path,
    appId: input.appId,
    bodyHash: suite.hash(bodyBytes(input.body)),
    timestamp,
    nonce,
    certHash,
  });
  const headers: AuthHeaders = {
    [AUTH_HEADERS.timestamp]: String(timestamp),
    [AUTH_HEADERS.nonce]: Buffer.from(nonce).toString('hex'),
    [AUTH_HEADERS.signature]: Buffer.from(suite.sign(key, message)).toString('base64'),
  };
  if (input.certById) headers[AUTH_HEADERS.certId] = Buffer.from(certHash).toString('hex');
  else headers[AUTH_HEADERS.cert] = Buffer.from(cert.der).toString('base64');
  return headers;
}

/** Headers as node/fastify give them: lower-case names, a repeated header as an array. */
export type IncomingHeaders = Readonly<Record<string, string | readonly string[] | undefined>>;

export interface ParsedAuthHeaders {
  readonly cert?: Uint8Array;
  readonly certId?: string;
  readonly timestamp: number;
  readonly nonce: Uint8Array;
  readonly signature: Uint8Array;
}

const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;

function single(headers: IncomingHeaders, name: string): string | undefined {
  const value = headers[name];
  if (value === undefined) return undefined;
  // A repeated header would let a proxy and the gateway disagree about which one counts.
  if (typeof value !== 'string') throw new AuthMalformedError(`header ${name} is repeated`);
  return value;
}

function required(headers: IncomingHeaders, name: string): string {
  const value = single(headers, name);
  if (value === undefined || value === '') throw new AuthMissingError(`header ${name} is missing`);
  return value;
}

function base64(name: string, value: string, maxBytes: number): Uint8Array {
  // Canonical, padded base64 only: a lenient decoder would accept many spellings of one value.
  if (value.length > Math.ceil(maxBytes / 3) * 4 || !BASE64.test(value)) throw new AuthMalformedError(`header ${name} is not base64 of at most ${maxBytes} bytes`);
  const bytes = new Uint8Array(Buffer.from(value, 'base64'));
  if (bytes.length === 0) throw new AuthMalformedError(`header ${name} is empty`);
  return bytes;
}

/** Syntax only: presence and form of every header. Semantics (window, chain, signature) come after. */
export function parseAuthHeaders(headers: IncomingHeaders): ParsedAuthHeaders {
  const certText = single(headers, AUTH_HEADERS.cert);
  const certIdText = single(headers, AUTH_HEADERS.certId);
  if (!certText && !certIdText) throw new AuthMissingError(`header ${AUTH_HEADERS.cert} (or ${AUTH_HEADERS.certId}) is missing`);
  if (certText && certIdText) throw new AuthMalformedError(`send ${AUTH_HEADERS.cert} or ${AUTH_HEADERS.certId}, not both`);
  const timestampText = required(headers, AUTH_HEADERS.timestamp);
  const nonceText = required(headers, AUTH_HEADERS.nonce);
  const signatureText = required(headers, AUTH_HEADERS.signature);

  if (!/^(0|[1-9][0-9]{0,14})$/.test(timestampText)) throw new AuthMalformedError(`header ${AUTH_HEADERS.timestamp} is not milliseconds in decimal`);
  const nonceRe = new RegExp(`^(?:[0-9a-f]{2}){${MIN_NONCE_BYTES},${MAX_NONCE_BYTES}}$`);
  if (!nonceRe.test(nonceText)) throw new AuthMalformedError(`header ${AUTH_HEADERS.nonce} is not ${MIN_NONCE_BYTES} to ${MAX_NONCE_BYTES} bytes of lower-case hex`);
  if (certIdText !== undefined && !/^[0-9a-f]{64}$/.test(certIdText)) throw new AuthMalformedError(`header ${AUTH_HEADERS.certId} is not 32 bytes of lower-case hex`);
  return {
    ...(certText ? { cert: base64(AUTH_HEADERS.cert, certText, MAX_CERT_BYTES) } : { certId: certIdText as string }),
    timestamp: Number(timestampText),
    nonce: new Uint8Array(Buffer.from(nonceText, 'hex')),
    signature: base64(AUTH_HEADERS.signature, signatureText, MAX_SIGNATURE_BYTES),
  };
}
