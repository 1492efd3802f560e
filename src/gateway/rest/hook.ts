import { sendHttpError } from '../http-error.js';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { BsnError } from '../../errors.js';
import { AuthError } from './errors.js';
import type { AuthIdentity, RequestAuthenticator } from './auth.js';
import type { SuiteName } from '../../crypto/index.js';

/*
 * Fastify glue for signed REST routes. The signature covers the body bytes as sent, so the raw
 * body must survive parsing: `keepRawBody` installs parsers that keep it next to the parsed JSON.
 */

declare module 'fastify' {
  interface FastifyRequest {
    /** The body bytes exactly as received, on instances prepared with `keepRawBody`. */
    rawBody?: Buffer;
    /** Set by the `authenticate` hook once a request's signature and certificate check out. */
    identity?: AuthIdentity;
    /** The suite the caller signed with. */
    authSuite?: SuiteName;
  }
}

/** A signed route's JSON body that does not parse; fastify answers 400 from `statusCode`. */
export class InvalidJsonBodyError extends BsnError {
  readonly statusCode = 400;
  readonly code = 'REST_BAD_JSON';
}

/**
 * Replaces the instance's body parsers: JSON is parsed as usual but its bytes are kept in
 * `request.rawBody`; any other content type arrives as a Buffer. Call it inside the encapsulated
 * plugin that holds the signed routes so other routes keep fastify's defaults.
 */
export function keepRawBody(app: FastifyInstance): void {
  app.removeAllContentTypeParsers();
  app.addContentTypeParser('application/json', { parseAs: 'buffer' }, (request, body, done) => {
    const raw = body as Buffer;
    request.rawBody = raw;
    if (raw.length === 0) return done(null, undefined);
    try {
      done(null, JSON.parse(raw.toString('utf8')));
    } catch {
      done(new InvalidJsonBodyError('the body is not valid JSON'), undefined);
    }
  });
  app.addContentTypeParser('*', { parseAs: 'buffer' }, (request, body, done) => {
    request.rawBody = body as Buffer;
    done(null, body);
  });
}

export interface AuthenticateOptions {
  /** The route parameter holding the app id, e.g. 'appId' for /apps/:appId/... */
  readonly appIdParam: string;
}

export type AuthHook = (request: FastifyRequest, reply: FastifyReply) => Promise<void>;

/**
 * A hook that authenticates a request or answers `{ error: { code, message } }` with the error's
 * status. Usable as preHandler; as preValidation it also runs before schema validation, so an
 * unauthenticated caller learns nothing from validation errors.
 */
export function authenticate(authenticator: RequestAuthenticator, options: AuthenticateOptions): AuthHook {
  return async (request, reply) => {
    const params = (request.params ?? {}) as Record<string, unknown>;
    const appId = params[options.appIdParam];
    if (typeof appId !== 'string' || appId === '') {
      await reply.code(404).send({ error: { code: 'APP_NOT_FOUND', message: 'no app in the path' } });
      return;
    }
    try {
      const result = authenticator.verify({
        method: request.method,
        path: request.url,
        body: request.rawBody ?? (Buffer.isBuffer(request.body) ? request.body : undefined),
        appId,
        headers: request.headers,
      });
      // A future-dated nonce is journalled before the request may act (src/gateway/rest/nonce-journal.ts).
      if (result.durable) await result.durable;
      request.identity = result.identity;
      request.authSuite = result.suite;
    } catch (err) {
      if (!(err instanceof AuthError)) throw err;
      await sendHttpError(reply, err);
    }
  };
}
