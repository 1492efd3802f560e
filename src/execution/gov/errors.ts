import { BsnError } from '../../errors.js';
import type { TxRejectCode } from '../application.js';

/**
 * A gov tx that cannot be admitted or executed. `code` is the stable GOV_* code recorded as the
 * failed tx's TxResult.code; `rejectCode` is what the mempool gets (checkTx puts `code` first in
 * the rejection's reason so the gateway can show it).
 */
export abstract class GovError extends BsnError {
  abstract readonly rejectCode: TxRejectCode;
}

/** Not the canonical encoding of a gov tx (structure, version, kind, payload, certificate, signature length). */
export class GovMalformedError extends GovError {
  readonly code = 'GOV_MALFORMED';
  readonly rejectCode = 'TX_MALFORMED';
}

/** Over the size limit of a tx (64 KiB by default). */
export class GovTooLargeError extends GovError {
  readonly code = 'GOV_TOO_LARGE';
  readonly rejectCode = 'TX_TOO_LARGE';
}

/** Signed for another chain. */
export class GovWrongChainError extends GovError {
  readonly code = 'GOV_WRONG_CHAIN';
  readonly rejectCode = 'TX_WRONG_CHAIN';
}

/** The signature does not verify under the signer certificate's key (or is a high-s ECDSA twin). */
export class GovBadSignatureError extends GovError {
  readonly code = 'GOV_BAD_SIGNATURE';
  readonly rejectCode = 'TX_BAD_SIGNATURE';
}

/** The tx's nonce is not the signer's next one. */
export class GovBadNonceError extends GovError {
  readonly code = 'GOV_BAD_NONCE';
  readonly rejectCode = 'TX_BAD_NONCE';
}

/** The tx's nonce was used already. */
export class GovNonceTooLowError extends GovError {
  readonly code = 'GOV_NONCE_TOO_LOW';
  readonly rejectCode = 'TX_NONCE_TOO_LOW';
}

/** The signer is not the authority, an operator (admin or CA), or an active org, or its certificate does not validate. */
export class GovUnknownSignerError extends GovError {
  readonly code = 'GOV_UNKNOWN_SIGNER';
  readonly rejectCode = 'TX_UNAUTHORIZED';
}

/** The signer is not among the voters the proposal resolved when it was made. */
export class GovNotVoterError extends GovError {
  readonly code = 'GOV_NOT_VOTER';
  readonly rejectCode = 'TX_UNAUTHORIZED';
}

/** The voter voted on this proposal already. */
export class GovDuplicateVoteError extends GovError {
  readonly code = 'GOV_DUPLICATE_VOTE';
  readonly rejectCode = 'TX_INVALID';
}

/** A vote after the proposal's expiresAt, or a proposal whose expiry is out of bounds. */
export class GovExpiredError extends GovError {
  readonly code = 'GOV_EXPIRED';
  readonly rejectCode = 'TX_INVALID';
}

/** A vote on a proposal that is no longer open (executed, rejected, expired, failed). */
export class GovProposalClosedError extends GovError {
  readonly code = 'GOV_PROPOSAL_CLOSED';
  readonly rejectCode = 'TX_INVALID';
}

/** A vote on a proposal id the chain does not know. */
export class GovUnknownProposalError extends GovError {
  readonly code = 'GOV_UNKNOWN_PROPOSAL';
  readonly rejectCode = 'TX_INVALID';
}

/** A proposal of an action that is not one of GOV_ACTIONS. */
export class GovUnknownActionError extends GovError {
  readonly code = 'GOV_UNKNOWN_ACTION';
  readonly rejectCode = 'TX_INVALID';
}

/** The action's arguments do not validate (shape, certificate role, issuer, a rule or plan). */
export class GovInvalidArgumentError extends GovError {
  readonly code = 'GOV_INVALID_ARGUMENT';
  readonly rejectCode = 'TX_INVALID';
}

/** A unified social credit code that is not 18 valid characters with the right check character. */
export class GovInvalidTrustCodeError extends GovError {
  readonly code = 'GOV_INVALID_TRUST_CODE';
  readonly rejectCode = 'TX_INVALID';
}

/** A node or org certificate whose issuing operator is not admitted and active. */
export class GovOperatorNotAdmittedError extends GovError {
  readonly code = 'GOV_OPERATOR_NOT_ADMITTED';
  readonly rejectCode = 'TX_INVALID';
}

/** A proposal to revoke the network's root certificate. */
export class GovRootNotRevocableError extends GovError {
  readonly code = 'GOV_ROOT_NOT_REVOCABLE';
  readonly rejectCode = 'TX_INVALID';
}

/** The change would leave fewer active validators than the registry's minValidators (or none). */
export class GovValidatorBoundError extends GovError {
  readonly code = 'GOV_VALIDATOR_BOUND';
  readonly rejectCode = 'TX_INVALID';
}

/** The operator, node, org, plan or revocation exists already. */
export class GovAlreadyExistsError extends GovError {
  readonly code = 'GOV_ALREADY_EXISTS';
  readonly rejectCode = 'TX_INVALID';
}

/** The operator, node or org named does not exist (or was removed). */
export class GovNotFoundError extends GovError {
  readonly code = 'GOV_NOT_FOUND';
  readonly rejectCode = 'TX_INVALID';
}
