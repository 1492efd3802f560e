import { GatewayHttpError } from '../http-error.js';

/*
 * Failures of event subscriptions and webhooks (docs/gateway-events.md). Each carries the HTTP
 * status the webhook routes answer with; over WebSocket the same code travels in an
 * `{ op: "error", error: { code, message } }` message and the socket stays open.
 */
export abstract class EventsError extends GatewayHttpError {}

/** A WebSocket message that is not JSON, not an object, or has no known `op`. */
export class EventsBadMessageError extends EventsError {
  readonly code = 'EVENTS_BAD_MESSAGE';
  readonly httpStatus = 400;
}

/** A WebSocket message larger than the per-message limit. */
export class EventsMessageTooLargeError extends EventsError {
  readonly code = 'EVENTS_MESSAGE_TOO_LARGE';
  readonly httpStatus = 413;
}

/** A field of a subscribe/unsubscribe message or webhook body is missing, unknown or out of range. */
export class EventsBadRequestError extends EventsError {
  readonly code = 'EVENTS_BAD_REQUEST';
  readonly httpStatus = 400;
}

/** The log filter does not parse (address, topics), or a block subscription was given one. */
export class EventsBadFilterError extends EventsError {
  readonly code = 'EVENTS_BAD_FILTER';
  readonly httpStatus = 400;
}

/** `fromHeight` is beyond the next block of the chain. */
export class EventsBadHeightError extends EventsError {
  readonly code = 'EVENTS_BAD_HEIGHT';
  readonly httpStatus = 400;
}

/** Log events asked of an app that is not an EVM app. */
export class EventsWrongAppKindError extends EventsError {
  readonly code = 'EVENTS_WRONG_APP_KIND';
  readonly httpStatus = 400;
}

/** The socket already holds as many subscriptions as it may. */
export class EventsTooManySubscriptionsError extends EventsError {
  readonly code = 'EVENTS_TOO_MANY_SUBSCRIPTIONS';
  readonly httpStatus = 429;
}

/** A subscribe message reuses the id of a live subscription of the same socket. */
export class EventsDuplicateIdError extends EventsError {
  readonly code = 'EVENTS_DUPLICATE_ID';
  readonly httpStatus = 409;
}

/** An unsubscribe message names no live subscription of the socket. */
export class EventsUnknownSubscriptionError extends EventsError {
  readonly code = 'EVENTS_UNKNOWN_SUBSCRIPTION';
  readonly httpStatus = 404;
}

/** A plain GET of the events endpoint: it is WebSocket only. */
export class EventsUpgradeRequiredError extends EventsError {
  readonly code = 'EVENTS_UPGRADE_REQUIRED';
  readonly httpStatus = 426;
}

/** The webhook URL is not an absolute http(s) URL, has credentials, or its host is not allowed. */
export class WebhookBadUrlError extends EventsError {
  readonly code = 'WEBHOOK_BAD_URL';
  readonly httpStatus = 400;
}

/** No webhook with this id on this app. */
export class WebhookNotFoundError extends EventsError {
  readonly code = 'WEBHOOK_NOT_FOUND';
  readonly httpStatus = 404;
}

/** The app already has as many webhooks as the gateway allows. */
export class WebhookLimitError extends EventsError {
  readonly code = 'WEBHOOK_LIMIT_REACHED';
  readonly httpStatus = 409;
}

