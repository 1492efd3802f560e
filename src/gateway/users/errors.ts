import { BsnError } from '../../errors.js';
import { RestError } from '../rest/routes-errors.js';

/*
 * Failures of gateway users and API keys (docs/gateway-users.md). The HTTP ones carry the status
 * they are answered with, like the REST route errors; the configuration ones stop the gateway
 * from starting.
 */

/** The gateway has no `users` configuration (operator CA, secrets): user routes are off. */
export class UsersNotConfiguredError extends RestError {
  readonly code = 'USERS_NOT_CONFIGURED';
  readonly httpStatus = 503;
}

/** A user of that name is already registered for the app. */
export class UserExistsError extends RestError {
  readonly code = 'USER_EXISTS';
  readonly httpStatus = 409;
}

/** No user of that name is registered for the app. */
export class UserNotFoundError extends RestError {
  readonly code = 'USER_NOT_FOUND';
  readonly httpStatus = 404;
}

/** The caller's certificate belongs to a user the app's admin deleted: refused at this gateway. */
export class UserDeletedError extends RestError {
  readonly code = 'USER_DELETED';
  readonly httpStatus = 403;
}

/** The user holds its own key: the gateway cannot sign for it. */
export class UserNotHostedError extends RestError {
  readonly code = 'USER_NOT_HOSTED';
  readonly httpStatus = 409;
}

/** A hosted key does not decrypt (tampered store, or a record moved to another user): the gateway's fault. */
export class VaultUnsealError extends RestError {
  readonly code = 'VAULT_UNSEAL_FAILED';
  readonly httpStatus = 500;
}

/** The x-api-key header is malformed, unknown or revoked. */
export class ApiKeyInvalidError extends RestError {
  readonly code = 'APIKEY_INVALID';
  readonly httpStatus = 401;
}

/** A valid API key of another app. */
export class ApiKeyWrongAppError extends RestError {
  readonly code = 'APIKEY_WRONG_APP';
  readonly httpStatus = 403;
}

/** An API key on a route that writes or administers: those need a signed request. */
export class ApiKeyNotAllowedError extends RestError {
  readonly code = 'APIKEY_NOT_ALLOWED';
  readonly httpStatus = 401;
}

/** No API key with that id for the app. */
export class ApiKeyNotFoundError extends RestError {
  readonly code = 'APIKEY_NOT_FOUND';
  readonly httpStatus = 404;
}

/** The `gateway.users` configuration cannot be used (missing secret, unreadable file, bad CA directory). */
export class UsersConfigError extends BsnError {
  readonly code = 'GATEWAY_USERS_CONFIG';
}

/** The vault secret is not the one the store's hosted keys were sealed under. */
export class VaultSecretError extends BsnError {
  readonly code = 'GATEWAY_VAULT_SECRET';
}
