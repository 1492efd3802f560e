import { AsnConvert } from '@peculiar/asn1-schema';
import { AlgorithmIdentifier, SubjectPublicKeyInfo } from '@peculiar/asn1-x509';
import { getSuite, signatureFromDer, signatureToDer, type PrivateKey, type PublicKey, type Suite, type SuiteName } from '../crypto/index.js';
import { readOid, readSingle } from './der.js';
import { DerError, UnsupportedAlgorithmError } from './errors.js';
import { encodePem } from './pem.js';

/**
 * The one place that maps suites to X.509 algorithm identifiers. Every signature of a
 * certificate, CSR or CRL is made by `Suite.sign` over the DER of the to-be-signed part, so the
 * same code path serves ECDSA, SM2 (whose standard signer ID WebCrypto cannot express) and Ed25519.
 */

export const OID = {
  ecPublicKey: '1.2.840.10045.2.1',
  p256: '1.2.840.10045.3.1.7',
  sm2Curve: '1.2.156.10197.1.301',
  ed25519: '1.3.101.112',
  ecdsaWithSha256: '1.2.840.10045.4.3.2',
  sm2WithSm3: '1.2.156.10197.1.501',
} as const;

interface CertSuiteProfile {
  readonly signatureOid: string;
  /** ECDSA and SM2 put DER SEQUENCE{r, s} in certificates; Ed25519 its raw 64 bytes. */
  readonly derSignature: boolean;
  /** Whether the key can also do key agreement (ECDH, SM2 key exchange), for keyUsage. */
  readonly keyAgreement: boolean;
}

const PROFILES: Partial<Record<SuiteName, CertSuiteProfile>> = {
  'ecdsa-p256': { signatureOid: OID.ecdsaWithSha256, derSignature: true, keyAgreement: true },
  sm2: { signatureOid: OID.sm2WithSm3, derSignature: true, keyAgreement: true },
  ed25519: { signatureOid: OID.ed25519, derSignature: false, keyAgreement: false },
};

/** Suites that can appear in BSN certificates. secp256k1 is for Ethereum accounts only. */
export const CERTIFICATE_SUITES: readonly SuiteName[] = ['ecdsa-p256', 'sm2', 'ed25519'];

function profileOf(suite: SuiteName): CertSuiteProfile {
  const profile = PROFILES[suite];
  if (!profile) throw new UnsupportedAlgorithmError(`suite '${suite}' is not used for certificates (use ${CERTIFICATE_SUITES.join(', ')})`);
  return profile;
}

/** The suite for certificates of `name`; a typed error for unknown suites or suites not (yet) in this build. */
export function certificateSuite(name: string): Suite {
  if (!CERTIFICATE_SUITES.includes(name as SuiteName)) {
    throw new UnsupportedAlgorithmError(`suite '${name}' is not used for certificates (use ${CERTIFICATE_SUITES.join(', ')})`);
  }
  return getSuite(name);
}

export function keyAgreementCapable(suite: SuiteName): boolean {
  return profileOf(suite).keyAgreement;
}

export function signatureAlgorithm(suite: SuiteName): AlgorithmIdentifier {
  // Parameters absent, as RFC 5758 (ECDSA), RFC 8410 (Ed25519) and GM/T 0015 (SM2) require.
  return new AlgorithmIdentifier({ algorithm: profileOf(suite).signatureOid });
}

/** The suite whose signature algorithm is `oid`. */
export function suiteOfSignatureOid(oid: string): SuiteName {
  for (const [suite, profile] of Object.entries(PROFILES)) if (profile.signatureOid === oid) return suite as SuiteName;
  throw new UnsupportedAlgorithmError(`unsupported signature algorithm ${oid}`);
}

/** The suite of a SubjectPublicKeyInfo, from its algorithm and curve. */
export function suiteOfSpki(spki: SubjectPublicKeyInfo): SuiteName {
  return suiteOfKeyAlgorithm(spki.algorithm);
}

/** The suite of a key algorithm identifier (SPKI or PKCS#8), from its algorithm and curve. */
export function suiteOfKeyAlgorithm(keyAlgorithm: AlgorithmIdentifier): SuiteName {
  const { algorithm, parameters } = keyAlgorithm;
  if (algorithm === OID.ed25519) return 'ed25519';
  if (algorithm !== OID.ecPublicKey || !parameters) throw new UnsupportedAlgorithmError(`unsupported public key algorithm ${algorithm}`);
  let curve: string;
  try {
    curve = readOid(readSingle(new Uint8Array(parameters)), 'EC parameters');
  } catch (cause) {
    throw new DerError('EC public key parameters are not a named curve', { cause });
  }
  if (curve === OID.p256) return 'ecdsa-p256';
  if (curve === OID.sm2Curve) return 'sm2';
  throw new UnsupportedAlgorithmError(`unsupported elliptic curve ${curve}`);
}

/** The public key of an SPKI as a key of its suite. */
export function importSpki(spki: SubjectPublicKeyInfo): PublicKey {
  const suite = certificateSuite(suiteOfSpki(spki));
  return suite.importPublicKeyPem(encodePem('PUBLIC KEY', new Uint8Array(AsnConvert.serialize(spki))));
}

export function spkiOfPublicKey(publicKey: PublicKey): SubjectPublicKeyInfo {
  const pem = getSuite(publicKey.suite).exportPublicKeyPem(publicKey);
  return AsnConvert.parse(Buffer.from(pem.replace(/-----[^-]+-----/g, '').replace(/\s+/g, ''), 'base64'), SubjectPublicKeyInfo);
}

/** Signs `tbs` (DER) the way X.509 wants it for the key's suite. */
export function signTbs(privateKey: PrivateKey, tbs: Uint8Array): Uint8Array {
  const profile = profileOf(privateKey.suite);
  const raw = getSuite(privateKey.suite).sign(privateKey, tbs);
  return profile.derSignature ? signatureToDer(raw) : raw;
}

/**
 * True when `signature` over `tbs` verifies with `publicKey` under `algorithm`. An algorithm that
 * does not belong to the key's suite is a failed verification, not an exception.
 */
export function verifyTbs(publicKey: PublicKey, algorithm: AlgorithmIdentifier, tbs: Uint8Array, signature: Uint8Array): boolean {
  const profile = profileOf(publicKey.suite);
  if (algorithm.algorithm !== profile.signatureOid) return false;
  if (algorithm.parameters !== undefined && algorithm.parameters !== null && algorithm.parameters.byteLength !== 2) return false;
  const suite = getSuite(publicKey.suite);
  let raw = signature;
  if (profile.derSignature) {
    try {
      raw = signatureFromDer(signature, suite.signatureLength / 2);
    } catch {
      return false;
    }
  }
  try {
    return suite.verify(publicKey, tbs, raw);
  } catch {
    // A signature that makes the suite throw (out-of-range values in some implementations) is simply not valid.
    return false;
  }
}
