import type { FastifyInstance, FastifyReply } from 'fastify';
import { decodeGovTx, govProposalId } from '../../execution/gov/tx.js';
import { GOV_CHAIN_ID, type ProposalRecord } from '../../execution/gov/types.js';
import { TxOutcomeError, type CityNode, type HostedChain } from '../../node/index.js';
import { sendHttpError } from '../http-error.js';
import { keepRawBody } from './hook.js';
import { RestError } from './routes-errors.js';
import { appSchema, GOV_LISTS, govSubmitSchema, listSchema, nonceRouteSchema, proposalRouteSchema, registryRouteSchema, type GovListPath } from './routes-gov-schemas.js';
import { restErrorReply } from './scope.js';

/*
 * The governance chain through the gateway (docs/governance.md, "REST API"): the registry's
 * records, proposals and nonces as the `gov` state machine answers its queries, and POST
 * /gov/txs for signed proposals and votes. Reads need no request signature: the registry is the
 * network's public record, and a gov tx carries its signer's certificate and signature, which
 * the state machine checks. A node that does not host `gov` answers 404 GOV_NOT_HOSTED.
 */

/** This node does not host the governance chain. */
export class RestGovNotHostedError extends RestError {
  readonly code = 'GOV_NOT_HOSTED';
  readonly httpStatus = 404;
}

/** No proposal with that id on the chain. */
export class RestGovProposalNotFoundError extends RestError {
  readonly code = 'GOV_PROPOSAL_NOT_FOUND';
  readonly httpStatus = 404;
}

/** No app record with that id, and no open create-app proposal for it (the chain's own code for an unknown app). */
export class RestGovAppNotFoundError extends RestError {
  readonly code = 'GOV_UNKNOWN_APP';
  readonly httpStatus = 404;
}

/** GET /gov/apps/:id: the `app` query (docs/apps.md, "REST reads"). */
const appRouteSchema = {
  tags: ['governance'],
  security: [] as Record<string, string[]>[],
  summary: "One app: its record, with members whose join is open shown 'accepted', or an open create-app proposal (status 'proposed')",
  params: { type: 'object', required: ['id'], properties: { id: { type: 'string', pattern: '^[a-z0-9][a-z0-9-]{0,62}$', description: 'the app id (its chain id)' } } },
  response: {
    200: { ...appSchema, description: 'read at the committed gov height in the x-bsn-height header' },
    ...Object.fromEntries([400, 404].map((c) => [c, { type: 'object', required: ['error'], properties: { error: { type: 'object', required: ['code', 'message'], properties: { code: { type: 'string' }, message: { type: 'string' } } } } }])),
  },
} as const;

/** A tx its block holds but whose result is a failure; `reason` is the gov code (GOV_NOT_VOTER…). */
export class RestGovTxFailedError extends RestError {
  readonly httpStatus = 422;

  constructor(
    readonly code: string,
    message: string,
    readonly reason: string,
    readonly height: number,
  ) {
    super(message);
  }
}

export interface GovRoutesOptions {
  readonly node: CityNode;
  readonly commitWaitMs: number;
  readonly bodyLimit: number;
  readonly onError: (err: unknown) => void;
}

const HEIGHT_HEADER = 'x-bsn-height';
const GOV_CODE = /\b(GOV_[A-Z0-9_]+)\b/;
const bytesOf = (value: string): Uint8Array => new Uint8Array(Buffer.from(value.slice(2), 'hex'));

/** The gov code inside a rejection's message (the mempool wraps the app's reason: `TX_UNAUTHORIZED: GOV_NOT_VOTER: …`). */
export function govReasonOf(message: string): string | undefined {
  return GOV_CODE.exec(message)?.[1];
}

/**
 * The proposal a gov tx concerns: its own id for a proposal (the suite hash of its bytes), the
 * id it names for a vote; undefined for bytes that are not a gov tx (the mempool refused those).
 */
export function proposalIdOfTx(chain: HostedChain, tx: Uint8Array): string | undefined {
  try {
    const decoded = decodeGovTx(tx);
    return decoded.payload.kind === 'vote' ? decoded.payload.proposalId : govProposalId(chain.genesis.suite, tx);
  } catch {
    return undefined;
  }
}

/** Reads one query of the gov app as JSON; undefined when it answers nothing. */
async function queryJson(chain: HostedChain, path: string, data = ''): Promise<{ height: number; value: unknown }> {
  const answer = await chain.app.query(path, new TextEncoder().encode(data));
  return { height: answer.height, value: answer.value === undefined ? undefined : JSON.parse(Buffer.from(answer.value).toString('utf8')) };
}

/** Registers the /gov routes in their own scope: no request signature, the REST error format. */
export async function registerGovRoutes(app: FastifyInstance, options: GovRoutesOptions): Promise<void> {
  const { node, onError } = options;
  const gov = (): HostedChain => {
    const chain = node.chains.get(GOV_CHAIN_ID);
    if (!chain) throw new RestGovNotHostedError(`this node does not host the governance chain '${GOV_CHAIN_ID}'`);
    return chain;
  };

  await app.register(async (scope) => {
    // The instance's own parser hands bodies over as text; these routes take JSON.
    keepRawBody(scope);
    scope.setErrorHandler((err, _request, reply) => {
      if (err instanceof RestGovTxFailedError) return void reply.code(err.httpStatus).send({ error: { code: err.code, message: err.message, reason: err.reason, height: err.height } });
      const { status, body } = restErrorReply(err, onError);
      const reason = typeof body.error['message'] === 'string' ? govReasonOf(body.error['message']) : undefined;
      void reply.code(status).send(reason && !body.error['reason'] ? { error: { ...body.error, reason } } : body);
    });
    // Before validation, as the app routes do: a node without gov says so whatever was asked.
    scope.addHook('preValidation', async (_request, reply: FastifyReply) => {
      if (!node.chains.has(GOV_CHAIN_ID)) await sendHttpError(reply, new RestGovNotHostedError(`this node does not host the governance chain '${GOV_CHAIN_ID}'`));
    });

    scope.get('/gov/registry', { schema: registryRouteSchema }, async (_request, reply) => {
      const { height, value } = await queryJson(gov(), 'registry');
      return reply.header(HEIGHT_HEADER, height).send(value);
    });

    for (const path of Object.keys(GOV_LISTS) as GovListPath[]) {
      scope.get(`/gov/${path}`, { schema: listSchema(path) }, async (_request, reply) => {
        const { height, value } = await queryJson(gov(), path);
        return reply.header(HEIGHT_HEADER, height).send(value ?? []);
      });
    }

    scope.get<{ Params: { id: string } }>('/gov/proposals/:id', { schema: proposalRouteSchema }, async (request, reply) => {
      const id = request.params.id.replace(/^0x/, '').toLowerCase();
      const { height, value } = await queryJson(gov(), 'proposal', id);
      if (value === undefined || value === null) throw new RestGovProposalNotFoundError(`no proposal ${id} on the governance chain (height ${height})`);
      return reply.header(HEIGHT_HEADER, height).send(value);
    });

    scope.get<{ Params: { id: string } }>('/gov/apps/:id', { schema: appRouteSchema }, async (request, reply) => {
      const { height, value } = await queryJson(gov(), 'app', request.params.id);
      if (value === undefined || value === null) throw new RestGovAppNotFoundError(`no app '${request.params.id}' on the governance chain, nor an open proposal creating it (height ${height})`);
      return reply.header(HEIGHT_HEADER, height).send(value);
    });

    scope.get<{ Params: { fingerprint: string } }>('/gov/nonce/:fingerprint', { schema: nonceRouteSchema }, async (request) => {
      const hexDigits = request.params.fingerprint.replace(/:/g, '').toUpperCase();
      const fingerprint = hexDigits.match(/../g)!.join(':');
      const { height, value } = await queryJson(gov(), 'nonce', fingerprint);
      return { fingerprint, nonce: typeof value === 'number' ? value : 0, height };
    });

    scope.post<{ Querystring: { wait?: 'commit' }; Body: { tx: string } }>('/gov/txs', { schema: govSubmitSchema, bodyLimit: options.bodyLimit }, async (request, reply) => {
      const chain = gov();
      const tx = bytesOf(request.body.tx);
      const hash = `0x${Buffer.from(chain.genesis.suite.hash(tx)).toString('hex')}`;
      const cancel = new AbortController();
      const waiter = request.query.wait === 'commit' ? node.commitWaiter(GOV_CHAIN_ID, tx, options.commitWaitMs, cancel.signal) : undefined;
      // A refused tx cancels its waiter, which nobody awaits: its rejection must not be unhandled.
      waiter?.catch(() => undefined);
      try {
        await node.submit(GOV_CHAIN_ID, tx);
      } catch (err) {
        cancel.abort();
        throw err;
      }
      if (!waiter) return reply.code(202).send({ hash });
      let height: number;
      try {
        height = await waiter;
      } catch (err) {
        if (err instanceof TxOutcomeError) throw new RestGovTxFailedError(err.code, err.message, err.resultCode, err.height);
        throw err;
      }
      const id = proposalIdOfTx(chain, tx);
      const proposal = id === undefined ? undefined : ((await queryJson(chain, 'proposal', id)).value as ProposalRecord | undefined);
      return reply.code(200).send({ hash, height, code: 'OK', ...(proposal && { proposal }) });
    });
  });
}
