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
import { AuthBadSignatureError, AuthBusyError, AuthCertInvalidError, AuthError, AuthForbiddenError, AuthMalformedError, AuthNoAppError, AuthStaleError, AuthUnknownCertError } from './errors.js';
import { NonceStore, type NonceJournal } from './nonce-store.js';

/*
 * Verification of signed REST requests (docs/gateway-auth.md). Checks run cheapest and most
 * specific first: header syntax, the timestamp window, the certificate chain (cached), the
 * signature, authorization, and only then the nonce, so that nothing unauthenticated can take a
 * slot in the bounded nonce store. Only certificates that validated are cached; refused ones go
 * to a separate bounded negative cache, so junk cannot evict good entries (L2).
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
  /** Set when the nonce must also reach the journal: await it before acting on the request. */
  readonly durable?: Promise<void>;
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
  /**
   * This gateway's identity, signed into every canonical request (docs/gateway-auth.md), so a
   * request made for one gateway does not verify on another (M5).
   */
  readonly gateway: string;
  /** The network root certificate(s), PEM. */
  readonly rootPem: string;
  /** Operator CA certificates, PEM each (every operator CA whose users may call). */
  readonly intermediatePems?: readonly string[];
  readonly crlPems?: readonly string[];
  /** Milliseconds since the epoch; Date.now by default. */
  readonly clock?: () => number;
  /** How old a timestamp may be; 5 minutes by default. */
  readonly windowMs?: number;
  /** How far ahead of the gateway's clock a timestamp may be; 30 s by default (M4). */
  readonly futureSkewMs?: number;
  /**
   * Timestamps before this (ms) are refused: the nonces of an earlier run of the gateway are
   * gone, so their requests would replay (M5). The authenticator's creation time by default.
   */
  readonly startedAt?: number;
  /** Most nonces remembered at once; 100 000 by default. */
  readonly nonceCapacity?: number;
  /** Most nonces one certificate may hold at once; 10 000 by default, so one certificate cannot fill the store (M4). */
  readonly noncesPerCertificate?: number;
  /** Most certificates kept parsed and validated; 10 000 by default. */
  readonly certCacheCapacity?: number;
  /** Most refused certificates remembered (answered without validating again); 1 000 by default. */
  readonly refusedCacheCapacity?: number;
  /** How long a refusal is remembered, ms; 60 s by default (a CRL update forgets them all). */
  readonly refusedCacheMs?: number;
  /** Roles that may call; ['user', 'org'] by default. */
  readonly allowedRoles?: readonly Role[];
  /**
   * Replaces the default app rule: a certificate with an app may call only that app; one
   * without may call any app only if its role is `org` (M1).
   */
  readonly authorize?: (identity: AuthIdentity, appId: string) => boolean;
  /** Refuse certificates whose issuers have no CRL loaded. */
  readonly requireCrls?: boolean;
}

interface CachedCert {
  readonly key: string;
  readonly cert: ParsedCertificate;
  /** The CRL generation `identity` was validated under; undefined until first validated. */
  generation?: number;
  validFrom: number;
  validUntil: number;
  identity?: AuthIdentity;
}

interface Refusal {
  readonly error: AuthError;
  readonly generation: number;
  readonly until: number;
}

const hex = (bytes: Uint8Array): string => Buffer.from(bytes).toString('hex');

/** Whether `identity` may call `appId` by default: its own app, or any app for an app-less org (M1). */
export function defaultAuthorize(identity: AuthIdentity, appId: string): boolean {
  if (identity.app !== undefined) return identity.app === appId;
  if (identity.role === 'org') return true;
  throw new AuthNoAppError(`the certificate of '${identity.subject}' names no app; only org certificates may omit it (issue it with --app ${appId})`);
}

/** A map used as an LRU: `touch` moves a key to the end, `bound` drops from the front. */
function touch<V>(map: Map<string, V>, key: string): V | undefined {
  const value = map.get(key);
  if (value === undefined) return undefined;
  map.delete(key);
  map.set(key, value);
  return value;
}

function bound(map: Map<string, unknown>, capacity: number): void {
  while (map.size > capacity) map.delete(map.keys().next().value as string);
}

export class RequestAuthenticator {
  readonly windowMs: number;
  readonly futureSkewMs: number;
  readonly startedAt: number;
  readonly gateway: string;
  private readonly roots: ParsedCertificate[];
  private readonly configuredIntermediates: ParsedCertificate[];
  private intermediates: ParsedCertificate[];
  private crls: ParsedCrl[] = [];
  /** Certificate fingerprint → why the governance registry refuses it (revoked, operator suspended). */
  private registryRefusals: ReadonlyMap<string, string> = new Map();
  private generation = 0;
  private readonly clock: () => number;
  private readonly nonces: NonceStore;
  private readonly certs = new Map<string, CachedCert>();
  private readonly refused = new Map<string, Refusal>();
  /** The entry each identity came from, for re-checking long-lived sockets (L8(5)). */
  private readonly origins = new WeakMap<AuthIdentity, CachedCert>();
  private readonly certCapacity: number;
  private readonly allowedRoles: ReadonlySet<Role>;
  private journal: NonceJournal | undefined;

  constructor(private readonly options: AuthenticatorOptions) {
    if (options.gateway === '') throw new RangeError('the gateway identity must not be empty');
    this.gateway = options.gateway;
    this.roots = parseCertificatesPem(options.rootPem);
    this.configuredIntermediates = (options.intermediatePems ?? []).flatMap((pem) => parseCertificatesPem(pem));
    this.intermediates = this.configuredIntermediates;
    this.clock = options.clock ?? Date.now;
    this.windowMs = options.windowMs ?? 5 * 60_000;
    this.futureSkewMs = options.futureSkewMs ?? 30_000;
    this.startedAt = options.startedAt ?? this.clock();
    this.nonces = new NonceStore(options.nonceCapacity ?? 100_000, options.noncesPerCertificate ?? 10_000);
    this.certCapacity = options.certCacheCapacity ?? 10_000;
    this.allowedRoles = new Set(options.allowedRoles ?? ['user', 'org']);
    this.updateCrls(options.crlPems ?? []);
  }

  /** Replaces the CRLs; every cached validation is redone on next use (a revocation takes effect at once). */
  updateCrls(crlPems: readonly string[]): void {
    this.crls = crlPems.map((pem) => parseCrlPem(pem));
    this.generation++;
  }

  /**
   * What the governance chain says (src/network/governor.ts): the operator CAs it admits (users
   * of an operator admitted after this gateway started are trusted too) and the certificates it
   * refuses — revoked on the chain, or issued by a suspended operator — anywhere in a path.
   * Every cached validation is redone on next use, as with new CRLs.
   */
  updateRegistry(registry: { readonly operatorCaPems: readonly string[]; readonly refusals: ReadonlyMap<string, string> }): void {
    const known = new Set(this.configuredIntermediates.map((c) => c.fingerprint));
    const admitted = registry.operatorCaPems.flatMap((pem) => parseCertificatesPem(pem)).filter((c) => !known.has(c.fingerprint));
    this.intermediates = [...this.configuredIntermediates, ...admitted];
    this.registryRefusals = new Map(registry.refusals);
    this.generation++;
  }

  /** Nonces currently remembered (for metrics and tests). */
  get nonceCount(): number {
    return this.nonces.size;
  }

  /** Certificates currently cached as valid, and refusals remembered (for tests). */
  get cacheSizes(): { readonly valid: number; readonly refused: number } {
    return { valid: this.certs.size, refused: this.refused.size };
  }

  /**
   * Keeps the nonces of future-dated requests in `journal` too, and loads the ones an earlier
   * run left that are still live. Only those can come back after a restart: every other accepted
   * request is dated before the restart, which `startedAt` refuses (M5).
   */
  async useJournal(journal: NonceJournal): Promise<void> {
    const now = this.clock();
    for (const { key, expiry } of await journal.load(now)) this.nonces.restore(key, expiry, now);
    this.journal = journal;
  }

  /**
   * Whether the certificate `identity` was verified with still validates now (CRLs, validity
   * periods): long-lived sockets ask this periodically (L8(5)).
   */
  stillValid(identity: AuthIdentity): boolean {
    const entry = this.origins.get(identity);
    if (!entry) return false;
    try {
      this.validate(entry, this.clock());
      return true;
    } catch (err) {
      if (err instanceof AuthError) return false;
      throw err;
    }
  }

  verify(input: VerifyInput): AuthResult {
    const headers = parseAuthHeaders(input.headers);
    const now = this.clock();
    if (headers.timestamp < now - this.windowMs) throw new AuthStaleError(`timestamp ${headers.timestamp} is more than ${this.windowMs} ms behind the gateway's clock`);
    if (headers.timestamp > now + this.futureSkewMs) throw new AuthStaleError(`timestamp ${headers.timestamp} is more than ${this.futureSkewMs} ms ahead of the gateway's clock`);
    if (headers.timestamp < this.startedAt) throw new AuthStaleError(`timestamp ${headers.timestamp} is from before this gateway started (${this.startedAt}); sign the request again`);
    const certHash = headers.cert ? sha256(headers.cert) : Buffer.from(headers.certId as string, 'hex');
    const key = hex(certHash);
    const entry = this.certificate(key, headers.cert, now);
    const { cert, identity } = entry;

    const suite = getSuite(cert.suite);
    const message = canonicalRequestBytes({
      gateway: this.gateway,
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
    const allowed = this.options.authorize ? this.options.authorize(identity, input.appId) : defaultAuthorize(identity, input.appId);
    if (!allowed) throw new AuthForbiddenError(`the certificate of '${identity.subject}' is not for app '${input.appId}'`);

    const nonceKey = `${key}:${hex(headers.nonce)}`;
    const expiry = headers.timestamp + this.windowMs;
    this.nonces.add(key, nonceKey, expiry, now);
    const journal = this.journal;
    if (journal && headers.timestamp >= now) {
      // Dated at or after now: a restart within the skew would not refuse it by `startedAt`.
      const durable = journal.record(nonceKey, expiry).catch((err: unknown) => {
        throw new AuthBusyError('the gateway could not record the nonce; try again shortly', { cause: err });
      });
      return { identity, suite: suite.name, durable };
    }
    return { identity, suite: suite.name };
  }

  /** The validated entry of a certificate; a refusal is remembered apart, so it never evicts a valid one. */
  private certificate(key: string, der: Uint8Array | undefined, now: number): CachedCert & { identity: AuthIdentity } {
    const refusal = this.refused.get(key);
    if (refusal && refusal.generation === this.generation && now < refusal.until) throw refusal.error;
    const cached = touch(this.certs, key);
    if (cached) return this.checked(cached, now);
    if (!der) throw new AuthUnknownCertError('the certificate named by x-bsn-cert-id is not known here; send x-bsn-cert');
    let cert: ParsedCertificate;
    try {
      cert = parseCertificateDer(der);
    } catch (err) {
      throw this.refuse(key, now, new AuthMalformedError(`header x-bsn-cert is not a certificate: ${err instanceof Error ? err.message : String(err)}`, { cause: err }));
    }
    const entry = this.checked({ key, cert, validFrom: 0, validUntil: -1 }, now);
    this.certs.set(key, entry);
    bound(this.certs, this.certCapacity);
    return entry;
  }

  /** `entry` validated now, or the refusal (remembered, and the entry dropped from the cache). */
  private checked(entry: CachedCert, now: number): CachedCert & { identity: AuthIdentity } {
    try {
      this.validate(entry, now);
      return entry as CachedCert & { identity: AuthIdentity };
    } catch (err) {
      if (!(err instanceof AuthError)) throw err;
      this.certs.delete(entry.key);
      throw this.refuse(entry.key, now, err);
    }
  }

  private refuse(key: string, now: number, error: AuthError): AuthError {
    this.refused.delete(key);
    this.refused.set(key, { error, generation: this.generation, until: now + (this.options.refusedCacheMs ?? 60_000) });
    bound(this.refused, this.options.refusedCacheCapacity ?? 1000);
    return error;
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
    for (const c of path) {
      const why = this.registryRefusals.get(c.fingerprint);
      if (why !== undefined) throw new AuthCertInvalidError(`certificate rejected (GOV_REFUSED): '${c.subjectText}' ${why}`, 'GOV_REFUSED');
    }
    // The validation stays good while every certificate of the path and every CRL is in its period.
    const times = [
      ...path.map((c) => [c.notBefore.getTime(), c.notAfter.getTime()]),
      ...this.crls.map((c) => [c.thisUpdate.getTime(), c.nextUpdate?.getTime() ?? Number.POSITIVE_INFINITY]),
    ];
    entry.validFrom = Math.max(...times.map(([from]) => from as number));
    entry.validUntil = Math.min(...times.map(([, until]) => until as number));
    entry.generation = this.generation;
    const identity: AuthIdentity = {
      subject: cert.subjectText,
      role: bsn.role,
      ...(bsn.org !== undefined && { org: bsn.org }),
      ...(bsn.app !== undefined && { app: bsn.app }),
      fingerprint: cert.fingerprint,
    };
    entry.identity = identity;
    this.origins.set(identity, entry);
    return identity;
  }
}
