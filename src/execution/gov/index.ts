// The governance chain's state machine: the network registry behind the Application interface.
export { GovApplication, type GovAppOptions } from './app.js';
export {
  checkGovTxStateless,
  decodeGovTx,
  encodeGovTx,
  govProposalId,
  govSigningBytes,
  proposePayload,
  signGovTx,
  verifyGovTx,
  votePayload,
  GOV_LIMITS,
  GOV_TX_DOMAIN,
  GOV_TX_VERSION,
  type DecodedGovTx,
  type GovLimits,
  type GovPayload,
  type GovTx,
  type SignGovTxParams,
} from './tx.js';
export { createGovStatelessCheck, govStatelessSpec, govStatelessVerdict } from './stateless.js';
export { checkTrustCode, isValidTrustCode, trustCodeCheckChar, trustCodeProblem, TRUST_CODE_CHARSET } from './trust-code.js';
export { DEFAULT_RULES, decide, resolveRule, type Decision, type ResolvedClause, type VoterContext } from './rules.js';
export { MAX_EXPIRY_MS, MIN_EXPIRY_MS } from './process.js';
export { minValidatorsOf } from './genesis.js';
export { appGenesis, appValidators, defaultAppMinValidators, evmChainIdFor, faultsTolerated, EVM_CHAIN_ID_MAX, EVM_CHAIN_ID_MIN, type AppGenesis } from './app-view.js';
export { DEFAULT_APP_ROLES } from './app-actions.js';
export { REVOCATION_REASON_NAMES } from './schemas.js';
export * from './errors.js';
export * from './types.js';
export { APP_HISTORY_WINDOW } from './app-history.js';
export { appAccess, roleAllows, type AppAccess, type AppAccessReason, type AppIdentity, type AppOperation, type RoleDecision, type RoleDenial } from './app-access.js';
