/** The root of trust: certificates, CSRs, CRLs, chain validation, the root ceremony and CA directories. */
export * from './errors.js';
export { encodePem, decodePem, decodePemAll, decodePemBlocks, type PemBlock } from './pem.js';
export { CERTIFICATE_SUITES, certificateSuite, OID } from './algorithms.js';
export { BSN_IDENTITY_OID, ROLES, type BsnIdentity, type Role, type CertificateExtensions } from './extensions.js';
export { nameToString, nameValue, namesEqual } from './name.js';
export {
  parseCertificateDer,
  parseCertificatePem,
  parseCertificatesPem,
  parseCsrDer,
  parseCsrPem,
  parseCrlDer,
  parseCrlPem,
  fingerprintOf,
  type ParsedCertificate,
  type ParsedCsr,
  type ParsedCrl,
  type RevokedEntry,
} from './parse.js';
export { signCertificate, createCsr, verifyCsr, signCrl, keyIdOf, randomSerial, REVOCATION_REASONS, type RevocationReason, type CertificateTemplate, type CrlTemplate, type CrlEntry } from './build.js';
export { validateChain, buildPath, type ValidationInput, type ValidationResult, type Purpose } from './validate.js';
export { encryptPkcs8, decryptPkcs8, importPkcs8, exportPkcs8, readPrivateKeyPem } from './key-encryption.js';
export { type ShareInput } from './custody.js';
export { CA_FILES, LEAF_FILES, loadCa, unlockCa, type CaSecret, type CaDirectory } from './ca-dir.js';
export { initRoot, initOperator, signOperatorCsr, type InitRootOptions, type InitRootResult, type InitOperatorOptions, type SignCaOptions, type ShareOptions } from './ceremony.js';
export { issueLeaf, type IssueLeafOptions, type IssueLeafResult } from './issue.js';
export { revokeCertificate, generateCrl, parseReason, type RevokeOptions, type CrlOptions } from './revocation.js';
export { LEAF_KINDS, DEFAULT_DAYS, caSubject, leafSubject, leafExtensions, rootExtensions, operatorExtensions, type LeafKind, type LeafRequest } from './profiles.js';
export { writeFileAtomic } from './files.js';
