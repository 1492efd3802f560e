import { sendHttpError } from '../http-error.js';
import type { FastifyRequest } from 'fastify';
import { ApiKeyInvalidError, ApiKeyNotAllowedError, UserDeletedError, type ApiKeyRegistry, type UserRegistry } from '../users/index.js';
import type { RequestAuthenticator } from './auth.js';
import { AUTH_HEADERS } from './canonical.js';
import { AuthMalformedError } from './errors.js';
import { authenticate, type AuthHook } from './hook.js';
import { RestError } from './routes-errors.js';

/*
 * Who may call a REST route (docs/gateway-users.md): a signed request (docs/gateway-auth.md) on
 * every route, or the `x-api-key` header of the app on the read-only ones (those registered with
 * `config: { apiKey: true }`). A signed request whose certificate belongs to a user the app's
 * admin deleted is refused here, before any route runs.
 */

export const API_KEY_HEADER = 'x-api-key';

declare module 'fastify' {
  interface FastifyRequest {
    /** Set when the request was let in by an API key (the key's id), instead of `identity`. */
    apiKeyId?: string;
  }
  interface FastifyContextConfig {
    /** The route only reads: an API key of the app may call it. */
    apiKey?: boolean;
  }
}

export interface AccessOptions {
  readonly authenticator: RequestAuthenticator;
  readonly apiKeys: ApiKeyRegistry;
  readonly users: UserRegistry;
}

function checkApiKey(request: FastifyRequest, header: string | string[], apiKeys: ApiKeyRegistry): string {
  if (request.routeOptions.config.apiKey !== true) throw new ApiKeyNotAllowedError('this route writes or administers: sign the request, API keys only read');
  if (typeof header !== 'string') throw new ApiKeyInvalidError(`header ${API_KEY_HEADER} is repeated`);
  if (request.headers[AUTH_HEADERS.signature] !== undefined) throw new AuthMalformedError(`send a signature or ${API_KEY_HEADER}, not both`);
  const appId = String((request.params as Record<string, unknown>)['appId'] ?? '');
  return apiKeys.check(header, appId).id;
}

/** The preValidation hook of every REST route: an API key where allowed, else a signature; then the deleted-user check. */
export function accessHook(options: AccessOptions): AuthHook {
  const signed = authenticate(options.authenticator, { appIdParam: 'appId' });
  return async (request, reply) => {
    const header = request.headers[API_KEY_HEADER];
    if (header !== undefined) {
      try {
        request.apiKeyId = checkApiKey(request, header, options.apiKeys);
      } catch (err) {
        if (!(err instanceof RestError || err instanceof AuthMalformedError)) throw err;
        await sendHttpError(reply, err);
      }
      return;
    }
    await signed(request, reply);
    if (reply.sent || !request.identity) return;
    if (options.users.isDeleted(request.identity.fingerprint)) {
      await sendHttpError(reply, new UserDeletedError(`the certificate of '${request.identity.subject}' belongs to a deleted user of this app`));
    }
  };
}
