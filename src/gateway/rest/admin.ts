import { sendHttpError } from '../http-error.js';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { AuthIdentity } from './auth.js';
import { RestError } from './routes-errors.js';

/*
 * The app admin role (docs/gateway-users.md): the one rule that says who manages an app's users,
 * API keys, webhooks and usage through the gateway. An admin is an org certificate bound to the
 * app — BSN identity role `org` and `app` equal to the app id — issued under an operator CA and
 * accepted by the request authenticator like any other caller. An org certificate without an app
 * may call the app's read and write routes but administers nothing.
 */

/** True when `identity` is the admin of app `appId`. */
export function isAppAdmin(identity: AuthIdentity | undefined, appId: string): boolean {
  return identity !== undefined && identity.role === 'org' && identity.app === appId;
}

/** Authenticated, but not the app's admin (role `org` bound to this app). */
export class NotAppAdminError extends RestError {
  readonly code = 'AUTH_NOT_APP_ADMIN';
  readonly httpStatus = 403;
}

/**
 * A fastify hook for admin-only routes; put it after the authentication hook (route-level hooks
 * run after the scope's). Answers 403 `AUTH_NOT_APP_ADMIN` unless `request.identity` is the
 * admin of the app in the `appIdParam` route parameter ('appId' by default).
 */
export function requireAppAdmin(appIdParam = 'appId'): (request: FastifyRequest, reply: FastifyReply) => Promise<void> {
  return async (request, reply) => {
    const appId = String((request.params as Record<string, unknown> | undefined)?.[appIdParam] ?? '');
    if (isAppAdmin(request.identity, appId)) return;
    const who = request.identity ? `'${request.identity.subject}'` : 'an API key';
    const e = new NotAppAdminError(`${who} is not the admin of app '${appId.slice(0, 100)}' (an org certificate bound to the app)`);
    await sendHttpError(reply, e);
  };
}
