import { GatewayHttpError } from '../http-error.js';

/*
 * Failures of the REST routes (docs/gateway.md, "REST API"). Like the AuthErrors, each carries
 * the HTTP status it is answered with; the body is always `{ error: { code, message } }`.
 */
export abstract class RestError extends GatewayHttpError {}

/** The path names an app (chain) this node does not host. */
export class RestUnknownAppError extends RestError {
  readonly code = 'APP_NOT_FOUND';
  readonly httpStatus = 404;
}

/** The route exists only for another kind of app (receipts and calls on EVM apps, state on kv apps). */
export class RestWrongAppKindError extends RestError {
  readonly code = 'REST_WRONG_APP_KIND';
  readonly httpStatus = 404;
}

/** No such block, or no receipt (yet) for the transaction. */
export class RestNotFoundError extends RestError {
  readonly code = 'REST_NOT_FOUND';
  readonly httpStatus = 404;
}

/** No transaction with that hash in a block or in this node's mempool. */
export class RestTxNotFoundError extends RestError {
  readonly code = 'TX_NOT_FOUND';
  readonly httpStatus = 404;
}

/** The request does not match its schema, or a value in it is out of range. */
export class RestBadRequestError extends RestError {
  readonly code = 'REST_BAD_REQUEST';
  readonly httpStatus = 400;
}

/** The body is larger than the gateway accepts. */
export class RestBodyTooLargeError extends RestError {
  readonly code = 'REST_BODY_TOO_LARGE';
  readonly httpStatus = 413;
}

/** A read-only call reverted or halted; `data` is the revert data (0x-hex, possibly empty). */
export class RestCallFailedError extends RestError {
  readonly code = 'REST_CALL_FAILED';
  readonly httpStatus = 400;

  constructor(
    message: string,
    readonly reason: string,
    readonly data: string,
  ) {
    super(message);
  }
}
