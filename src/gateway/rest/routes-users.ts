import { sendHttpError } from '../http-error.js';
import { randomBytes } from 'node:crypto';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { Wallet } from 'ethers';
import { getSuite, type PrivateKey } from '../../crypto/index.js';
import { EvmApplication, kvAddress } from '../../execution/index.js';
import type { CityNode } from '../../node/index.js';
import { encodePem, exportPkcs8, parseCsrPem } from '../../pki/index.js';
import { UsersNotConfiguredError, UserNotFoundError, type UserRecord, type UserServices } from '../users/index.js';
import { requireAppAdmin } from './admin.js';
import { RestBadRequestError } from './routes-errors.js';
import { createUserSchema, deleteUserSchema, getUserSchema, listUsersSchema } from './routes-schemas-users.js';

/*
 * Users of an app, managed by its admin (docs/gateway-users.md): register (own key: a CSR;
 * hosted: the gateway makes the key and keeps it sealed), list, read, delete. The certificates
 * come from the operator CA of `gateway.users`; without it these routes answer 503.
 */

export interface UserRoutesContext {
  readonly node: CityNode;
  readonly services: UserServices;
}

type UserParams = { appId: string; name: string };
type CreateBody = { name: string; mode: 'own-key' | 'hosted'; csr?: string; suite?: string };

/** What the vault binds a sealed key to: a key copied onto another user's record does not open. */
export const sealOwner = (appId: string, name: string, kind: 'cert' | 'eth'): string => `${appId}/${name}/${kind}`;

/** A record as the API shows it: no sealed keys, no creator. */
export function publicUser(r: UserRecord): Record<string, string> {
  return {
    name: r.name,
    mode: r.mode,
    certificate: r.certificate,
    serial: r.serial,
    fingerprint: r.fingerprint,
    suite: r.suite,
    notAfter: r.notAfter,
    createdAt: r.createdAt,
    ...(r.address !== undefined && { address: r.address }),
  };
}

/** The route-level hook after the admin check: 503 while users are not configured. */
export function usersConfigured(services: UserServices) {
  return async (_request: FastifyRequest, reply: FastifyReply): Promise<void> => {
    if (services.issuer && services.vault) return;
    const e = new UsersNotConfiguredError('user registration is not configured on this gateway (gateway.users in the node config)');
    await sendHttpError(reply, e);
  };
}

function newEthereumKey(): Wallet {
  // A random 32-byte string is a valid secp256k1 key but for a 2^-128 chance; try again then.
  for (;;) {
    try {
      return new Wallet(`0x${randomBytes(32).toString('hex')}`);
    } catch {
      continue;
    }
  }
}

export function registerUserRoutes(scope: FastifyInstance, ctx: UserRoutesContext): void {
  const { node, services } = ctx;
  const admin = [requireAppAdmin(), usersConfigured(services)];

  /** The certificate, and for hosted users the sealed keys and sender address, of a new user. */
  const enroll = (appId: string, body: CreateBody, createdBy: string): UserRecord => {
    const issuer = services.issuer!;
    const vault = services.vault!;
    if (body.mode === 'own-key' && (body.csr === undefined || body.suite !== undefined)) throw new RestBadRequestError("mode 'own-key' takes a csr and no suite");
    if (body.mode === 'hosted' && body.csr !== undefined) throw new RestBadRequestError("mode 'hosted' takes no csr: the gateway makes the key");
    let hostedKey: PrivateKey | undefined;
    let csr;
    if (body.mode === 'own-key') csr = parseCsrPem(body.csr!);
    else ({ privateKey: hostedKey, csr } = issuer.hostedKey(body.suite));
    const cert = issuer.issue(csr, { name: body.name, appId });
    const base = { name: body.name, appId, mode: body.mode, certificate: encodePem('CERTIFICATE', cert.der), serial: cert.serial, fingerprint: cert.fingerprint, suite: cert.suite, notAfter: cert.notAfter.toISOString(), createdAt: new Date().toISOString(), createdBy };
    if (!hostedKey) return base;
    const sealedKey = vault.seal(exportPkcs8(hostedKey), sealOwner(appId, body.name, 'cert'));
    if (!(node.chains.get(appId)?.app instanceof EvmApplication)) {
      return { ...base, sealedKey, address: kvAddress(getSuite(hostedKey.suite), hostedKey.publicKey.bytes) };
    }
    const eth = newEthereumKey();
    return { ...base, sealedKey, sealedEthKey: vault.seal(Buffer.from(eth.privateKey.slice(2), 'hex'), sealOwner(appId, body.name, 'eth')), address: eth.address };
  };

  scope.post<{ Params: { appId: string }; Body: CreateBody }>('/apps/:appId/users', { schema: createUserSchema, preValidation: admin }, async (request, reply) => {
    const { appId } = request.params;
    // The name is recorded before the certificate is issued (L8(1)); the registry refuses a taken one.
    const record = await services.registry.register(appId, request.body.name, () => enroll(appId, request.body, request.identity!.fingerprint));
    return reply.code(201).send(publicUser(record));
  });

  scope.get<{ Params: { appId: string } }>('/apps/:appId/users', { schema: listUsersSchema, preValidation: admin }, async (request) => ({
    users: (await services.registry.list(request.params.appId)).map(publicUser),
  }));

  scope.get<{ Params: UserParams }>('/apps/:appId/users/:name', { schema: getUserSchema, preValidation: admin }, async (request) => {
    const { appId, name } = request.params;
    const record = await services.registry.get(appId, name);
    if (!record) throw new UserNotFoundError(`app '${appId}' has no user '${name}'`);
    return publicUser(record);
  });

  scope.delete<{ Params: UserParams }>('/apps/:appId/users/:name', { schema: deleteUserSchema, preValidation: admin }, async (request, reply) => {
    await services.registry.remove(request.params.appId, request.params.name);
    return reply.code(204).send();
  });
}
