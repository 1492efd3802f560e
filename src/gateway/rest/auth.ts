import { getSuite, type SuiteName } from '../../crypto/index.js';
import {
  parseCertificateDer,
  parseCertificatesPem,
  parseCrlPem,
  PkiError,
  validateChain,
  type BsnIdentity,
  type ParsedCertificate,
  type ParsedCrl,
  type Role,
} from '../../pki/index.js';
import { bodyBytes, canonicalRequestBytes, parseAuthHeaders, sha256, type IncomingHeaders } from './canonical.js';
import { AuthBadSignatureError, AuthCertInvalidError, AuthForbiddenError, AuthMalformedError, AuthStaleError, AuthUnknownCertError } from './errors.js';
import { NonceStore } from './nonce-store.js';

/*
 * Verification of signed REST requests (docs/gateway-auth.md). Checks run cheapest and most
 * specific first: header syntax, the timestamp window, the certificate chain (cached), the
 * signature, authorization, and only then the nonce, so that nothing unauthenticated can take a
 * slot in the bounded nonce store.
 */

export interface AuthIdentity {
  /** The certificate's subject, one line ("OU=user, OU=app:demo, CN=alice"). */
  readonly subject: string;
  readonly role: Role;
  readonly org?: string;
  readonly app?: string;
  /** SHA-256 of the certificate DER, upper-case colon hex (as `openssl x509 -fingerprint -sha256`). */
  readonly fingerprint: string;
}

export interface AuthResult {
  readonly identity: AuthIdentity;
  readonly suite: SuiteName;
}

export interface VerifyInput {
  readonly method: string;
  /** The request-target exactly as received: path and query. */
  readonly path: string;
  readonly body?: Uint8Array | string | null;
  readonly appId: string;
  readonly headers: IncomingHeaders;
}

export interface AuthenticatorOptions {
  /** The network root certificate(s), PEM. */
  readonly rootPem: string;
  /** Operator CA certificates, PEM each. */
  readonly intermediatePems?: readonly string[];
  readonly crlPems?: readonly string[];
  /** Milliseconds since the epoch; Date.now by default. */
  readonly clock?: () => number;
  /** Accepted clock difference either way; 5 minutes by default. */
  readonly windowMs?: number;
  /** Most nonces remembered at once; 100 000 by default. */
  readonly nonceCapacity?: number;
  /** Most certificates kept parsed and validated; 10 000 by default. */
  readonly certCacheCapacity?: number;
  /** Roles that may call; ['user', 'org'] by default. */
  readonly allowedRoles?: readonly Role[];
  /** Replaces the default app rule (the certificate's app must be the app called). */
  readonly authorize?: (identity: AuthIdentity, appId: string) => boolean;
  /** Refuse certificates whose issuers have no CRL loaded. */
  readonly requireCrls?: boolean;
}

interface CachedCert {
  readonly cert: ParsedCertificate;
  /** The CRL generation `identity` was validated under; undefined until first validated. */
  generation?: number;
  validFrom: number;
  validUntil: number;
  identity?: AuthIdentity;
}

const hex = (bytes: Uint8Array): string => Buffer.from(bytes).toString('hex');

export class RequestAuthenticator {
  readonly windowMs: number;
  private readonly roots: ParsedCertificate[];
  private readonly intermediates: ParsedCertificate[];
  private crls: ParsedCrl[] = [];
  private generation = 0;
  private readonly clock: () => number;
  private readonly nonces: NonceStore;
  private readonly certs = new Map<string, CachedCert>();
  private readonly certCapacity: number;
  private readonly allowedRoles: ReadonlySet<Role>;

  constructor(private readonly options: AuthenticatorOptions) {
    this.roots = parseCertificatesPem(options.rootPem);
    this.intermediates = (options.intermediatePems ?? []).flatMap((pem) => parseCertificatesPem(pem));
    this.clock = options.clock ?? Date.now;
    this.windowMs = options.windowMs ?? 5 * 60_000;
    this.nonces = new NonceStore(options.nonceCapacity ?? 100_000);
    this.certCapacity = options.certCacheCapacity ?? 10_000;
    this.allowedRoles = new Set(options.allowedRoles ?? ['user', 'org']);
    this.updateCrls(options.crlPems ?? []);
  }

  /** Replaces the CRLs; every cached validation is redone on next use (a revocation takes effect at once). */
  updateCrls(crlPems: readonly string[]): void {
    this.crls = crlPems.map((pem) => parseCrlPem(pem));
    this.generation++;
  }

  /** Nonces currently remembered (for metrics and tests). */
  get nonceCount(): number {
    return this.nonces.size;
  }

  verify(input: VerifyInput): AuthResult {
    const headers = parseAuthHeaders(input.headers);
    const now = this.clock();
    if (Math.abs(now - headers.timestamp) > this.windowMs) {
      throw new AuthStaleError(`timestamp ${headers.timestamp} is more than ${this.windowMs} ms from the gateway's clock`);
    }
    const certHash = headers.cert ? sha256(headers.cert) : Buffer.from(headers.certId as string, 'hex');
    const key = hex(certHash);
    const entry = this.certificate(key, headers.cert);
    const identity = this.validate(entry, now);
    const cert = entry.cert;

    const suite = getSuite(cert.suite);
    const message = canonicalRequestBytes({
      method: input.method,
      path: input.path,
      appId: input.appId,
      bodyHash: suite.hash(bodyBytes(input.body)),
      timestamp: headers.timestamp,
      nonce: headers.nonce,
      certHash,
    });
    if (headers.signature.length !== suite.signatureLength || !suite.verify(cert.publicKey, message, headers.signature)) {
      throw new AuthBadSignatureError(`the signature does not verify with the key of '${identity.subject}' (${suite.name})`);
    }

    if (!this.allowedRoles.has(identity.role)) throw new AuthForbiddenError(`role '${identity.role}' may not call this gateway`);
    const allowed = this.options.authorize ? this.options.authorize(identity, input.appId) : identity.app === input.appId;
    if (!allowed) throw new AuthForbiddenError(`the certificate of '${identity.subject}' is not for app '${input.appId}'`);

    this.nonces.add(`${key}:${hex(headers.nonce)}`, headers.timestamp + this.windowMs, now);
    return { identity, suite: suite.name };
  }

  private certificate(key: string, der: Uint8Array | undefined): CachedCert {
    const cached = this.certs.get(key);
    if (cached) {
      // Refresh its place so the eviction below drops the least recently used.
      this.certs.delete(key);
      this.certs.set(key, cached);
      return cached;
    }
    if (!der) throw new AuthUnknownCertError('the certificate named by x-bsn-cert-id is not known here; send x-bsn-cert');
    let cert: ParsedCertificate;
    try {
      cert = parseCertificateDer(der);
    } catch (err) {
      throw new AuthMalformedError(`header x-bsn-cert is not a certificate: ${err instanceof Error ? err.message : String(err)}`, { cause: err });
    }
    const entry: CachedCert = { cert, validFrom: 0, validUntil: -1 };
    this.certs.set(key, entry);
    if (this.certs.size > this.certCapacity) this.certs.delete(this.certs.keys().next().value as string);
    return entry;
  }

  /** The identity of a chain valid now; reuses the last validation while CRLs and validity periods allow. */
  private validate(entry: CachedCert, now: number): AuthIdentity {
    if (entry.identity && entry.generation === this.generation && now >= entry.validFrom && now <= entry.validUntil) return entry.identity;
    entry.identity = undefined;
    const cert = entry.cert;
    let path: readonly ParsedCertificate[];
    let bsn: BsnIdentity | undefined;
    try {
      const result = validateChain({
        roots: this.roots,
        intermediates: this.intermediates,
        leaf: cert,
        crls: this.crls,
        at: new Date(now),
        purpose: 'client',
        ...(this.options.requireCrls && { requireCrls: true }),
      });
      path = result.path;
      bsn = result.identity;
    } catch (err) {
      const code = err instanceof PkiError ? err.code : 'PKI_UNKNOWN';
      const reason = err instanceof Error ? err.message : String(err);
      throw new AuthCertInvalidError(`certificate rejected (${code}): ${reason}`, code, { cause: err });
    }
    if (!bsn) throw new AuthForbiddenError(`the certificate of '${cert.subjectText}' carries no BSN identity`);
    // The validation stays good while every certificate of the path and every CRL is in its period.
    const times = [
      ...path.map((c) => [c.notBefore.getTime(), c.notAfter.getTime()]),
      ...this.crls.map((c) => [c.thisUpdate.getTime(), c.nextUpdate?.getTime() ?? Number.POSITIVE_INFINITY]),
    ];
    entry.validFrom = Math.max(...times.map(([from]) => from as number));
    entry.validUntil = Math.min(...times.map(([, until]) => until as number));
    entry.generation = this.generation;
    entry.identity = {
      subject: cert.subjectText,
      role: bsn.role,
      ...(bsn.org !== undefined && { org: bsn.org }),
      ...(bsn.app !== undefined && { app: bsn.app }),
      fingerprint: cert.fingerprint,
    };
    return entry.identity;
  }
}
