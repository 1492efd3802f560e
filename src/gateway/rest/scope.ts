import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { BsnError } from '../../errors.js';
import type { CityNode } from '../../node/index.js';
import { GatewayHttpError, sendHttpError } from '../http-error.js';
import { keepRawBody, type AuthHook } from './hook.js';
import { RestBadRequestError, RestBodyTooLargeError, RestCallFailedError, RestUnknownAppError } from './routes-errors.js';

/*
 * What every group of signed routes under /apps/:appId/ shares (the REST routes, users and API
 * keys, events and webhooks, usage): raw-body parsers for the signature, one error format, and
 * the order of checks - unknown app first, then who is calling, and only then the schema, so an
 * unauthenticated caller learns nothing from validation errors.
 */

export interface ErrorReply {
  readonly status: number;
  readonly body: { readonly error: Record<string, string> };
}

/** `{ error: { code, message } }` with the status a typed error carries; everything else is a 500. */
export function restErrorReply(err: unknown, onError: (err: unknown) => void): ErrorReply {
  const fe = err as Partial<FastifyError>;
  if (fe.validation) return { status: 400, body: { error: { code: new RestBadRequestError('').code, message: fe.message ?? 'invalid request' } } };
  if (fe.code === 'FST_ERR_CTP_BODY_TOO_LARGE') {
    const e = new RestBodyTooLargeError(fe.message ?? 'request body too large');
    return { status: e.httpStatus, body: { error: { code: e.code, message: e.message } } };
  }
  if (err instanceof RestCallFailedError) return { status: err.httpStatus, body: { error: { code: err.code, message: err.message, reason: err.reason, data: err.data } } };
  if (err instanceof GatewayHttpError) {
    if (err.httpStatus >= 500 && err.httpStatus !== 503) onError(err);
    return { status: err.httpStatus, body: { error: { code: err.code, message: err.message } } };
  }
  if (err instanceof BsnError) {
    // Mempool rejections and the app's own refusals (bad query data...) are the caller's: 400.
    const status = 'statusCode' in err && typeof err.statusCode === 'number' ? err.statusCode : err.code === 'NODE_COMMIT_TIMEOUT' ? 504 : err.code === 'MEMPOOL_FULL' || err.code === 'MEMPOOL_BUSY' ? 503 : 400;
    return { status, body: { error: { code: err.code, message: err.message } } };
  }
  // fastify's own 4xx (unsupported media type, bad content-length...), else ours to fix.
  if (typeof fe.statusCode === 'number' && fe.statusCode >= 400 && fe.statusCode < 500) return { status: fe.statusCode, body: { error: { code: fe.code ?? 'REST_BAD_REQUEST', message: fe.message ?? '' } } };
  onError(err);
  return { status: 500, body: { error: { code: 'REST_INTERNAL', message: 'internal error' } } };
}

export interface SignedScopeOptions {
  readonly node: CityNode;
  /** Who may call (src/gateway/rest/access.ts): a signature, or an app's API key where a route allows it. */
  readonly access: AuthHook;
  readonly onError: (err: unknown) => void;
}

/** Prepares an encapsulated fastify scope for signed routes under /apps/:appId/. */
export function prepareSignedScope(scope: FastifyInstance, options: SignedScopeOptions): void {
  const { node, access, onError } = options;
  keepRawBody(scope);
  scope.setErrorHandler((err, _request, reply) => {
    const { status, body } = restErrorReply(err, onError);
    void reply.code(status).send(body);
  });
  scope.addHook('preValidation', async (request: FastifyRequest, reply: FastifyReply) => {
    const appId = (request.params as { appId?: string }).appId ?? '';
    if (node.chains.has(appId)) return;
    const e = new RestUnknownAppError(`this node hosts no app '${appId.slice(0, 100)}'`);
    await sendHttpError(reply, e);
  });
  scope.addHook('preValidation', access);
}
