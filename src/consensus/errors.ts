import { BsnError } from '../errors.js';

/** A validator set that breaks a rule: empty, duplicate address, power out of range. */
export class InvalidValidatorSetError extends BsnError {
  readonly code = 'CONSENSUS_INVALID_VALIDATOR_SET';
}

/** A commit certificate that does not prove +2/3 of the voting power precommitted its block. */
export class InvalidCommitCertificateError extends BsnError {
  readonly code = 'CONSENSUS_INVALID_CERTIFICATE';
}

/** Equivocation evidence that does not show two conflicting, validly signed messages. */
export class InvalidEvidenceError extends BsnError {
  readonly code = 'CONSENSUS_INVALID_EVIDENCE';
}

/** A persisted consensus snapshot that cannot be restored (wrong key, malformed). */
export class InvalidSnapshotError extends BsnError {
  readonly code = 'CONSENSUS_INVALID_SNAPSHOT';
}

/** Engine parameters (timeouts, chain ID) that make no sense. */
export class InvalidConsensusConfigError extends BsnError {
  readonly code = 'CONSENSUS_INVALID_CONFIG';
}
