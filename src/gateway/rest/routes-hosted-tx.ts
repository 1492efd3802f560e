import type { FastifyInstance } from 'fastify';
import { Wallet } from 'ethers';
import { decode, expectUint } from '../../codec/index.js';
import { getSuite } from '../../crypto/index.js';
import { buildKvTx, EvmApplication, evmTxHashHex, kvAddress, type KvApplication } from '../../execution/index.js';
import type { CityNode, HostedChain } from '../../node/index.js';
import { importPkcs8 } from '../../pki/index.js';
import type { EvmChainView } from '../jsonrpc/chain-view.js';
import { PendingTxs } from '../jsonrpc/pending.js';
import { UserNotFoundError, UserNotHostedError, type HostedKeyVault, type UserRecord, type UserServices } from '../users/index.js';
import { requireAppAdmin } from './admin.js';
import { RestBadRequestError, RestCallFailedError } from './routes-errors.js';
import { hostedTxSchema } from './routes-schemas-users.js';
import { sealOwner, usersConfigured } from './routes-users.js';

/*
 * POST /apps/:appId/users/:name/transactions (docs/gateway-users.md): the admin asks the gateway
 * to sign a transaction with a hosted user's key and submit it. kv apps: a put signed with the
 * user's certificate key; EVM apps: a call or transfer signed with the user's Ethereum key, gas
 * price 0. The gateway picks the nonce: the committed one, advanced over the user's txs it
 * admitted that the mempool still holds; one tx per user at a time, so two never share a nonce.
 */

export interface HostedTxContext {
  readonly node: CityNode;
  readonly services: UserServices;
  readonly evmView: (appId: string) => EvmChainView;
  readonly commitWaitMs: number;
  readonly bodyLimit: number;
}

type Body = { key?: string; value?: string; to?: string; data?: string; gas?: number };
type Signed = { raw: Uint8Array; from: string; nonce: number; hash: string };

const HEX = /^0x([0-9a-fA-F]{2})*$/;
const bytesOf = (value: string): Uint8Array => new Uint8Array(Buffer.from(value.slice(2), 'hex'));
const hex = (bytes: Uint8Array): string => `0x${Buffer.from(bytes).toString('hex')}`;

/** Runs `fn` after every earlier call with the same key has settled (a per-user queue). */
function serializer(): <T>(key: string, fn: () => Promise<T>) => Promise<T> {
  const locks = new Map<string, Promise<unknown>>();
  return (key, fn) => {
    const run = (locks.get(key) ?? Promise.resolve()).then(fn, fn);
    const tail = run.catch(() => undefined);
    locks.set(key, tail);
    void tail.then(() => locks.get(key) === tail && locks.delete(key));
    return run;
  };
}

/** A kv put signed with the user's certificate key; the nonce skips the user's txs still in the mempool. */
async function signKv(vault: HostedKeyVault, chain: HostedChain, pending: PendingTxs, user: UserRecord, body: Body): Promise<Signed> {
  if (body.key === undefined || body.value === undefined || !HEX.test(body.value) || body.to !== undefined || body.data !== undefined || body.gas !== undefined) {
    throw new RestBadRequestError('a kv app takes { key, value }, both 0x-hex');
  }
  const privateKey = importPkcs8(vault.unseal(user.sealedKey!, sealOwner(user.appId, user.name, 'cert')));
  const from = kvAddress(getSuite(privateKey.suite), privateKey.publicKey.bytes);
  const stored = (await (chain.app as KvApplication).query('nonce', new TextEncoder().encode(from))).value;
  const committed = stored === undefined ? 0 : expectUint(decode(stored), 'nonce');
  const nonce = pending.nextNonce(from, committed, (h) => chain.mempool.has(h));
  const raw = buildKvTx({ chainId: user.appId, privateKey, nonce, ops: [{ type: 'put', key: bytesOf(body.key), value: bytesOf(body.value) }] });
  return { raw, from, nonce, hash: hex(chain.genesis.suite.hash(raw)) };
}

/** An EIP-1559 tx (gas price 0) signed with the user's Ethereum key; gas estimated when not given. */
async function signEvm(vault: HostedKeyVault, view: EvmChainView, user: UserRecord, body: Body): Promise<Signed> {
  if (body.key !== undefined || (body.value !== undefined && HEX.test(body.value))) throw new RestBadRequestError('an EVM app takes { to?, data?, value? (wei, decimal), gas? }');
  const wallet = new Wallet(hex(vault.unseal(user.sealedEthKey!, sealOwner(user.appId, user.name, 'eth'))));
  const from = wallet.address.toLowerCase();
  const committed = Number((await view.account(bytesOf(from))).nonce);
  const nonce = view.pending.nextNonce(from, committed, (h) => view.inMempool(h));
  const call = { from: bytesOf(from), ...(body.to && { to: bytesOf(body.to) }), ...(body.data && { data: bytesOf(body.data) }), ...(body.value && { value: BigInt(body.value) }) };
  let gas = body.gas;
  if (gas === undefined) {
    const estimate = await view.estimateGas(call);
    if (!estimate.ok) throw new RestCallFailedError(`the transaction would fail: ${estimate.code}${estimate.reason ? ` (${estimate.reason})` : ''}`, estimate.code, hex(estimate.returnData));
    gas = Number(estimate.gas);
  }
  const signed = await wallet.signTransaction({ type: 2, chainId: view.evmChainId, nonce, to: body.to ?? null, value: BigInt(body.value ?? '0'), data: body.data ?? '0x', gasLimit: gas, maxFeePerGas: 0, maxPriorityFeePerGas: 0 });
  const raw = bytesOf(signed);
  return { raw, from, nonce, hash: `0x${evmTxHashHex(raw)}` };
}

export function registerHostedTxRoute(scope: FastifyInstance, ctx: HostedTxContext): void {
  const { node, services } = ctx;
  const kvPending = new Map<string, PendingTxs>();
  const serialized = serializer();

  /** Signs and submits one tx of a hosted user; returns it with the commit waiter when asked for. */
  const submit = async (user: UserRecord, body: Body, wait: boolean): Promise<Signed & { waiter?: Promise<number> }> => {
    const chain = node.chains.get(user.appId)!;
    const evm = chain.app instanceof EvmApplication;
    let pending = evm ? undefined : kvPending.get(user.appId);
    if (!evm && !pending) kvPending.set(user.appId, (pending = new PendingTxs()));
    const tx = evm ? await signEvm(services.vault!, ctx.evmView(user.appId), user, body) : await signKv(services.vault!, chain, pending!, user, body);
    const cancel = new AbortController();
    const waiter = wait ? watch(node.commitWaiter(user.appId, tx.raw, ctx.commitWaitMs, cancel.signal)) : undefined;
    try {
      if (evm) await ctx.evmView(user.appId).submit(tx.raw);
      else pending!.add({ ethHash: tx.hash, poolHash: (await node.submit(user.appId, tx.raw)).hash, sender: tx.from, nonce: tx.nonce, raw: tx.raw });
    } catch (err) {
      cancel.abort();
      throw err;
    }
    return { ...tx, ...(waiter && { waiter }) };
  };

  scope.post<{ Params: { appId: string; name: string }; Querystring: { wait?: 'commit' }; Body: Body | undefined }>(
    '/apps/:appId/users/:name/transactions',
    { schema: hostedTxSchema, bodyLimit: ctx.bodyLimit, preValidation: [requireAppAdmin(), usersConfigured(services)] },
    async (request, reply) => {
      const { appId, name } = request.params;
      const user = await services.registry.get(appId, name);
      if (!user) throw new UserNotFoundError(`app '${appId}' has no user '${name}'`);
      if (user.mode !== 'hosted' || !user.sealedKey) throw new UserNotHostedError(`user '${name}' holds its own key: sign with it and POST /apps/${appId}/transactions`);
      const tx = await serialized(`${appId}/${name}`, () => submit(user, request.body ?? {}, request.query.wait === 'commit'));
      const answer = { hash: tx.hash, from: tx.from, nonce: tx.nonce };
      if (!tx.waiter) return reply.code(202).send(answer);
      return reply.code(200).send({ ...answer, height: await tx.waiter });
    },
  );
}

/** A refused tx cancels its commit waiter, which nobody awaits: its rejection must not be unhandled. */
function watch(waiter: Promise<number>): Promise<number> {
  waiter.catch(() => undefined);
  return waiter;
}
