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

/** create-app by a signer that is not an active org with the `developer` role. */
export class GovNotDeveloperError extends GovError {
  readonly code = 'GOV_NOT_DEVELOPER';
  readonly rejectCode = 'TX_UNAUTHORIZED';
}

/** create-app of an id an app (of any status) or an open create-app proposal has already. */
export class GovAppExistsError extends GovError {
  readonly code = 'GOV_APP_EXISTS';
  readonly rejectCode = 'TX_INVALID';
}

/** An app action naming an app the registry does not have. */
export class GovUnknownAppError extends GovError {
  readonly code = 'GOV_UNKNOWN_APP';
  readonly rejectCode = 'TX_INVALID';
}

/** join-app by an org the app has not invited (or whose invitation was withdrawn). */
export class GovNotInvitedError extends GovError {
  readonly code = 'GOV_NOT_INVITED';
  readonly rejectCode = 'TX_UNAUTHORIZED';
}

/** A role the app does not define. */
export class GovUnknownRoleError extends GovError {
  readonly code = 'GOV_UNKNOWN_ROLE';
  readonly rejectCode = 'TX_INVALID';
}

/** A node to place an app on that is not an active validator node of the network (or is unknown). */
export class GovNodeNotActiveError extends GovError {
  readonly code = 'GOV_NODE_NOT_ACTIVE';
  readonly rejectCode = 'TX_INVALID';
}

/** A node that is not (or, to add, already is) in the app's placement. */
export class GovNodeNotPlacedError extends GovError {
  readonly code = 'GOV_NODE_NOT_PLACED';
  readonly rejectCode = 'TX_INVALID';
}

/** A placement change that would leave fewer active placed nodes than the app's minValidators. */
export class GovAppMinimumError extends GovError {
  readonly code = 'GOV_APP_MINIMUM';
  readonly rejectCode = 'TX_INVALID';
}

/** A change a frozen app does not take (invitations, joins, users, placement); or freezing it twice. */
export class GovAppFrozenError extends GovError {
  readonly code = 'GOV_APP_FROZEN';
  readonly rejectCode = 'TX_INVALID';
}

/** Any change to a retired app. */
export class GovAppRetiredError extends GovError {
  readonly code = 'GOV_APP_RETIRED';
  readonly rejectCode = 'TX_INVALID';
}

/** An app suite other than the network's. */
export class GovUnsupportedSuiteError extends GovError {
  readonly code = 'GOV_UNSUPPORTED_SUITE';
  readonly rejectCode = 'TX_INVALID';
}

/** An app action by an org that is neither the app's owner nor an active member (or not the org concerned). */
export class GovNotAppPartyError extends GovError {
  readonly code = 'GOV_NOT_APP_PARTY';
  readonly rejectCode = 'TX_UNAUTHORIZED';
}

/*
 * Reading an app's record at a governance height (app-history.ts). Not tx errors: the app
 * chains' execution asks, and must tell "not known yet" from "not there".
 */

/** A governance height that is not a non-negative safe integer. */
export class GovHistoryBadHeightError extends BsnError {
  readonly code = 'GOV_HISTORY_BAD_HEIGHT';
}

/** A governance height above the committed one: its decisions are not known yet (wait for gov). */
export class GovHistoryNotCommittedError extends BsnError {
  readonly code = 'GOV_HISTORY_NOT_COMMITTED';
}

/** The version asked for is older than the versions kept in memory: ask `appAtAsync`. */
export class GovHistoryNotInMemoryError extends BsnError {
  readonly code = 'GOV_HISTORY_NOT_IN_MEMORY';
}
