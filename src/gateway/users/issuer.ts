import type { PrivateKey } from '../../crypto/index.js';
import {
  certificateSuite,
  createCsr,
  DEFAULT_DAYS,
  IssuancePolicyError,
  keyIdOf,
  leafExtensions,
  leafSubject,
  loadCa,
  namesEqual,
  signCertificate,
  unlockCa,
  verifyCsr,
  type CaDirectory,
  type ParsedCertificate,
  type ParsedCsr,
} from '../../pki/index.js';
import { validityFrom } from '../../pki/ceremony.js';

/*
 * User certificates issued by the gateway from its operator CA (docs/gateway-users.md). Both key
 * modes take one path: an own-key user sends a CSR; for a hosted user the gateway makes the key
 * and the CSR itself. The CSR proves possession of the key and gives the public key; the subject
 * and the BSN identity (role `user`, `app`) are the gateway's, whatever the CSR asked for.
 */

export interface UserCertRequest {
  readonly name: string;
  readonly appId: string;
  readonly days?: number;
  readonly now?: Date;
}

export class UserCertIssuer {
  private constructor(
    private readonly ca: CaDirectory,
    private readonly caKey: PrivateKey,
    private readonly defaultDays: number,
  ) {}

  /** Loads an operator CA directory (`bsn ca init-operator`, signed) and unlocks its key; throws the PKI's typed errors. */
  static async open(caDir: string, passphrase: string, defaultDays: number = DEFAULT_DAYS.leaf): Promise<UserCertIssuer> {
    const ca = loadCa(caDir);
    if (namesEqual(ca.cert.subject, ca.cert.issuer)) throw new IssuancePolicyError(`'${ca.cert.subjectText}' is a root CA; user certificates come from an operator CA`);
    return new UserCertIssuer(ca, await unlockCa(ca, { passphrase }), defaultDays);
  }

  /** The suite of the CA's own key: hosted keys use it unless asked otherwise. */
  get caSuite(): string {
    return this.ca.cert.suite;
  }

  /** Checks a CSR (self-signature, a certificate suite) and issues a `user` certificate for the app. */
  issue(csr: ParsedCsr, request: UserCertRequest): ParsedCertificate {
    const suite = certificateSuite(csr.suite);
    verifyCsr(csr);
    const identity = { kind: 'user', name: request.name, app: request.appId } as const;
    const now = request.now ?? new Date();
    return signCertificate({
      subject: leafSubject(identity),
      subjectSpki: csr.spki,
      issuer: this.ca.cert.subject,
      issuerKey: this.caKey,
      issuerKeyId: keyIdOf(this.ca.cert.spki),
      ...validityFrom(now, request.days ?? this.defaultDays, this.ca.cert.notAfter),
      extensions: leafExtensions(identity, suite.name, keyIdOf(csr.spki)),
    });
  }

  /** A fresh key of `suite` (the CA's by default) and its CSR, for a hosted user. */
  hostedKey(suite: string = this.caSuite): { privateKey: PrivateKey; csr: ParsedCsr } {
    const privateKey = certificateSuite(suite).generateKeyPair().privateKey;
    return { privateKey, csr: createCsr(leafSubject({ kind: 'user', name: 'hosted' }), privateKey) };
  }
}
