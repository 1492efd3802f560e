import type { FastifyInstance } from 'fastify';
import { decodeBlock, headerHash } from '../../chain/index.js';
import { EvmApplication, evmTxHashHex, KvApplication } from '../../execution/index.js';
import type { CityNode, HostedChain } from '../../node/index.js';
import { EvmChainView } from '../jsonrpc/chain-view.js';
import type { GatewayStore } from '../store.js';
import { openUserServices, usersOptionsFromConfig, type UserServices, type UsersOptions } from '../users/index.js';
import { accessHook } from './access.js';
import type { RequestAuthenticator } from './auth.js';
import { registerApiKeyRoutes } from './routes-apikeys.js';
import { RestCallFailedError, RestNotFoundError, RestTxNotFoundError, RestUnknownAppError, RestWrongAppKindError } from './routes-errors.js';
import { registerGovRoutes } from './routes-gov.js';
import { registerHostedTxRoute } from './routes-hosted-tx.js';
import { blockSchema, callSchema, receiptSchema, stateSchema, submitSchema } from './routes-schemas.js';
import { txSchema } from './routes-schemas-users.js';
import { registerUserRoutes } from './routes-users.js';
import { prepareSignedScope } from './scope.js';
import { TxLookup } from './tx-lookup.js';

/*
 * The signed REST API of the gateway (docs/gateway.md, "REST API"): per app chain, under
 * /apps/:appId/, submit transactions and read transactions, blocks, receipts, calls and kv state;
 * users and API keys (docs/gateway-users.md) in routes-users.ts, routes-hosted-tx.ts and
 * routes-apikeys.ts. Every route first answers 404 for an app this node does not host, then
 * authenticates the request (a signature, or an API key on read-only routes: access.ts), then
 * validates it against its schema.
 */

export interface RestRoutesOptions {
  readonly node: CityNode;
  readonly authenticator: RequestAuthenticator;
  /** The gateway's store: users, API keys and the kv transaction index live in it. */
  readonly store: GatewayStore;
  /** User registration (operator CA, secrets); from the node config's `gateway.users` when absent there too: user routes answer 503. */
  readonly users?: UsersOptions;
  /** Registries already opened on `store` (openUserServices), to share them with other route groups; opened here when absent. */
  readonly services?: UserServices;
  /** Largest request body, bytes; 2 MiB + 1 KiB by default (a 1 MiB kv tx, hex-encoded). */
  readonly maxBodyBytes?: number;
  /** How long `?wait=commit` waits, ms; 30 s by default. */
  readonly commitWaitMs?: number;
  /** Errors that are this node's fault (answered 500). */
  readonly onError?: (err: unknown) => void;
}

export const DEFAULT_REST_BODY_BYTES = 2 * 1024 * 1024 + 1024;
const DEFAULT_COMMIT_WAIT_MS = 30_000;

type AppParams = { appId: string };
const hex = (bytes: Uint8Array): string => `0x${Buffer.from(bytes).toString('hex')}`;
const bytesOf = (value: string): Uint8Array => new Uint8Array(Buffer.from(value.slice(2), 'hex'));

/**
 * Registers the REST routes on `app` inside their own encapsulated scope (raw-body parsers, error
 * handler), so the instance's other routes keep theirs. Register @fastify/swagger before it for
 * the routes to appear in the OpenAPI document.
 */
export async function registerRestRoutes(app: FastifyInstance, options: RestRoutesOptions): Promise<void> {
  const { node } = options;
  const onError = options.onError ?? (() => undefined);
  const commitWaitMs = options.commitWaitMs ?? DEFAULT_COMMIT_WAIT_MS;
  const bodyLimit = options.maxBodyBytes ?? DEFAULT_REST_BODY_BYTES;
  const views = new Map<string, EvmChainView>();
  // A chain hosted anew (the app lifecycle) gets a new view.
  const stopWatching = node.onChainsChanged((chainId) => views.delete(chainId));
  app.addHook('onClose', async () => stopWatching());

  const chainOf = (appId: string): HostedChain => {
    const chain = node.chains.get(appId);
    if (!chain) throw new RestUnknownAppError(`this node hosts no app '${appId.slice(0, 100)}'`);
    return chain;
  };
  const evmView = (appId: string): EvmChainView => {
    let view = views.get(appId);
    if (!view) {
      view = EvmChainView.of(node, appId);
      if (!view) throw new RestWrongAppKindError(`app '${appId}' is not an EVM app`);
      views.set(appId, view);
    }
    return view;
  };
  const txHash = (chain: HostedChain, tx: Uint8Array): string => (chain.app instanceof EvmApplication ? `0x${evmTxHashHex(tx)}` : hex(chain.genesis.suite.hash(tx)));

  const usersConfig = node.config.gateway?.users;
  const services = options.services ?? (await openUserServices(options.store, options.users ?? (usersConfig && usersOptionsFromConfig(usersConfig))));
  const auth = accessHook({ authenticator: options.authenticator, apiKeys: services.apiKeys, users: services.registry });
  const lookup = new TxLookup(node, options.store, evmView);
  await app.register(async (scope) => {
    prepareSignedScope(scope, { node, access: auth, onError });

    scope.post<{ Params: AppParams; Querystring: { wait?: 'commit' }; Body: { tx: string } }>('/apps/:appId/transactions', { schema: submitSchema, bodyLimit }, async (request, reply) => {
      const chain = chainOf(request.params.appId);
      const tx = bytesOf(request.body.tx);
      const cancel = new AbortController();
      const waiter = request.query.wait === 'commit' ? node.commitWaiter(request.params.appId, tx, commitWaitMs, cancel.signal) : undefined;
      // A refused tx cancels its waiter, which nobody awaits: its rejection must not be unhandled.
      waiter?.catch(() => undefined);
      try {
        // EVM txs go through the chain view, which remembers them as pending for GET transactions/:hash.
        if (chain.app instanceof EvmApplication) await evmView(request.params.appId).submit(tx);
        else await node.submit(request.params.appId, tx);
      } catch (err) {
        cancel.abort();
        throw err;
      }
      const hash = txHash(chain, tx);
      if (!waiter) return reply.code(202).send({ hash });
      return reply.code(200).send({ hash, height: await waiter });
    });

    scope.get<{ Params: AppParams & { height: number } }>('/apps/:appId/blocks/:height', { schema: blockSchema, config: { apiKey: true } }, async (request) => {
      const chain = chainOf(request.params.appId);
      const { height } = request.params;
      const bytes = height <= chain.store.height ? await chain.store.block(height) : undefined;
      if (!bytes) throw new RestNotFoundError(`no block at height ${height}`);
      const block = decodeBlock(bytes);
      return {
        height: block.header.height,
        hash: hex(headerHash(chain.genesis.suite, block.header)),
        time: block.header.time,
        txs: block.txs.map((tx) => txHash(chain, tx)),
        stateRoot: hex(block.header.stateRoot),
        resultsRoot: hex(block.header.resultsRoot),
      };
    });

    scope.get<{ Params: AppParams & { hash: string } }>('/apps/:appId/transactions/:hash/receipt', { schema: receiptSchema, config: { apiKey: true } }, async (request) => {
      const receipt = await evmView(request.params.appId).receipt(bytesOf(request.params.hash));
      if (!receipt) throw new RestNotFoundError(`no committed transaction ${request.params.hash}`);
      return {
        txHash: hex(receipt.txHash),
        height: receipt.height,
        index: receipt.index,
        from: hex(receipt.from),
        to: receipt.to ? hex(receipt.to) : null,
        status: receipt.status,
        code: receipt.code,
        gasUsed: receipt.gasUsed.toString(),
        contractAddress: receipt.contractAddress ? hex(receipt.contractAddress) : null,
        logs: receipt.logs.map((l) => ({ address: hex(l.address), topics: l.topics.map(hex), data: hex(l.data) })),
        returnData: hex(receipt.returnData),
      };
    });

    scope.post<{ Params: AppParams; Body: { to: string; data?: string; from?: string; value?: string } }>('/apps/:appId/call', { schema: callSchema, bodyLimit, config: { apiKey: true } }, async (request) => {
      const { to, data, from, value } = request.body;
      const outcome = await evmView(request.params.appId).call({ to: bytesOf(to), ...(data && { data: bytesOf(data) }), ...(from && { from: bytesOf(from) }), ...(value && { value: BigInt(value) }) });
      if (!outcome.ok) throw new RestCallFailedError(`the call failed: ${outcome.code}${outcome.reason ? ` (${outcome.reason})` : ''}`, outcome.code, hex(outcome.returnData));
      return { result: hex(outcome.returnData) };
    });

    scope.get<{ Params: AppParams & { key: string } }>('/apps/:appId/state/:key', { schema: stateSchema, config: { apiKey: true } }, async (request) => {
      const chain = chainOf(request.params.appId);
      if (!(chain.app instanceof KvApplication)) throw new RestWrongAppKindError(`app '${request.params.appId}' is not a kv app`);
      const result = await chain.app.query('get', bytesOf(request.params.key));
      // Read after the value: an owner never changes once set, so it is the value's writer's.
      const owner = (await chain.app.query('owner', bytesOf(request.params.key))).value;
      return { key: request.params.key.toLowerCase(), value: result.value === undefined ? null : hex(result.value), owner: owner === undefined ? null : Buffer.from(owner).toString('utf8'), height: result.height };
    });

    scope.get<{ Params: AppParams & { hash: string } }>('/apps/:appId/transactions/:hash', { schema: txSchema, config: { apiKey: true } }, async (request) => {
      const found = await lookup.find(request.params.appId, bytesOf(request.params.hash));
      if (!found) throw new RestTxNotFoundError(`no transaction ${request.params.hash} in a block or in this node's mempool`);
      return found;
    });

    registerUserRoutes(scope, { node, services });
    registerHostedTxRoute(scope, { node, services, evmView, commitWaitMs, bodyLimit });
    registerApiKeyRoutes(scope, services.apiKeys);
  });
  await registerGovRoutes(app, { node, commitWaitMs, bodyLimit, onError });
}
