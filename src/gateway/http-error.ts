import type { FastifyReply } from 'fastify';
import { BsnError } from '../errors.js';

/**
 * A gateway failure that carries the HTTP status it is answered with (authentication, REST
 * routes, users, events, quotas), so that replies need no status table that could drift from the
 * classes. The body is always `{ error: { code, message } }`.
 */
export abstract class GatewayHttpError extends BsnError {
  abstract readonly httpStatus: number;
}

/** Answers `err` with its status and the gateway's error body. */
export async function sendHttpError(reply: FastifyReply, err: GatewayHttpError): Promise<void> {
  await reply.code(err.httpStatus).send({ error: { code: err.code, message: err.message } });
}
