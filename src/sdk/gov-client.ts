import http from 'node:http';
import https from 'node:https';
import type { AppMember, AppRecord, AppStatus, AppUser, GovRegistry, ProposalRecord } from '../execution/gov/types.js';
import { BsnError } from '../errors.js';

/*
 * A client of the governance chain through a gateway's /gov routes (docs/governance.md,
 * "REST API"): public reads of the registry, and submission of gov transactions that the caller
 * signed (src/execution/gov/tx.ts). It speaks plain HTTP or HTTPS; over HTTPS, `ca` is the
 * network root the gateway's certificate must chain to.
 */

/** The gateway answered with an error: `code` is its own (GOV_*, MEMPOOL_*, NODE_*, REST_*). */
export class GovRequestError extends BsnError {
  constructor(
    readonly code: string,
    message: string,
    readonly status: number,
    /** The gov state machine's reason (GOV_NOT_VOTER…), when the gateway names one. */
    readonly reason?: string,
  ) {
    super(reason && !message.includes(reason) ? `${message} (${reason})` : message);
  }
}

/** No gateway could be reached, or none of them hosts the governance chain. */
export class GovUnreachableError extends BsnError {
  readonly code = 'SDK_GOV_UNREACHABLE';
}

export type GovList = 'operators' | 'nodes' | 'orgs' | 'rules' | 'proposals' | 'revocations' | 'plans' | 'apps' | 'validators';

/** A validator of gov: its node's name, raw public key (lowercase hex) and power. */
export interface GovValidatorView {
  readonly name: string;
  readonly publicKey: string;
  readonly power: number;
}

/** A member as the `app` query shows it: `accepted` (with the open join-app's `proposal`) while its join is open. */
export type AppMemberView = AppMember & { readonly proposal?: string };

/**
 * The `app` query's answer: an app record, or for an open create-app proposal (status
 * `proposed`) only its arguments, which is why the record's other fields are optional here.
 */
export type AppView = Partial<Omit<AppRecord, 'id' | 'status' | 'members' | 'users' | 'proposal'>> & {
  readonly id: string;
  readonly status: AppStatus;
  readonly members: readonly AppMemberView[];
  readonly users: readonly AppUser[];
  readonly proposal: string;
};

export interface GovSubmitResult {
  /** 0x-hex hash of the tx (for a proposal, its id with 0x). */
  readonly hash: string;
  readonly height: number;
  readonly code: string;
  readonly proposal?: ProposalRecord;
}

export interface GovClientOptions {
  /** PEM of the CA an HTTPS gateway's certificate must chain to. */
  readonly ca?: string;
  /** ms per request; 40 s by default (a commit wait lasts up to 30 s). */
  readonly timeoutMs?: number;
}

export class GovClient {
  constructor(
    readonly baseUrl: string,
    private readonly options: GovClientOptions = {},
  ) {}

  /** The first of `urls` whose gateway answers for `gov`; errors of the others are in the message. */
  static async connect(urls: readonly string[], options: GovClientOptions = {}): Promise<GovClient> {
    const failures: string[] = [];
    for (const url of urls) {
      const client = new GovClient(url, { ...options, timeoutMs: Math.min(options.timeoutMs ?? 5000, 5000) });
      try {
        await client.list('validators');
        return new GovClient(url, options);
      } catch (err) {
        failures.push(`${url}: ${(err as Error).message}${err instanceof GovRequestError ? ` [${err.code}]` : ''}`);
      }
    }
    throw new GovUnreachableError(urls.length === 0 ? 'no gateway to ask' : `no gateway answers for the governance chain (${failures.join('; ')})`);
  }

  registry(): Promise<GovRegistry> {
    return this.request('GET', '/gov/registry') as Promise<GovRegistry>;
  }

  list(what: GovList): Promise<unknown[]> {
    return this.request('GET', `/gov/${what}`) as Promise<unknown[]>;
  }

  /**
   * One app's view (the `app` query): its record, with members whose join is open shown
   * `accepted` (and that join's `proposal`), or an open create-app proposal's view with status
   * `proposed`. A GovRequestError GOV_UNKNOWN_APP (404) when the id names neither.
   */
  app(id: string): Promise<AppView> {
    return this.request('GET', `/gov/apps/${encodeURIComponent(id)}`) as Promise<AppView>;
  }

  apps(): Promise<AppRecord[]> {
    return this.list('apps') as Promise<AppRecord[]>;
  }

  proposal(id: string): Promise<ProposalRecord> {
    return this.request('GET', `/gov/proposals/${encodeURIComponent(id)}`) as Promise<ProposalRecord>;
  }

  /**
   * The validators of gov in force at the next height, with the committed gov height the gateway
   * read them at (its x-bsn-height header): what `bsn status` shows of a node it knows only by
   * its gateway.
   */
  async validatorsAt(): Promise<{ height: number; validators: GovValidatorView[] }> {
    const { json, height } = await this.send('GET', '/gov/validators');
    return { height: height ?? -1, validators: json as GovValidatorView[] };
  }

  /** The signer's next nonce: what its next gov tx must carry. */
  async nonce(fingerprint: string): Promise<number> {
    return ((await this.request('GET', `/gov/nonce/${encodeURIComponent(fingerprint)}`)) as { nonce: number }).nonce;
  }

  /** Submits a signed gov tx and resolves once it is committed, with the proposal it concerns. */
  submit(tx: Uint8Array): Promise<GovSubmitResult> {
    return this.request('POST', '/gov/txs?wait=commit', { tx: `0x${Buffer.from(tx).toString('hex')}` }) as Promise<GovSubmitResult>;
  }

  private async request(method: string, path: string, body?: unknown): Promise<unknown> {
    return (await this.send(method, path, body)).json;
  }

  private send(method: string, path: string, body?: unknown): Promise<{ json: unknown; height?: number }> {
    const url = new URL(path, this.baseUrl);
    const text = body === undefined ? undefined : JSON.stringify(body);
    const lib = url.protocol === 'https:' ? https : http;
    return new Promise((resolve, reject) => {
      const req = lib.request(
        url,
        {
          method,
          timeout: this.options.timeoutMs ?? 40_000,
          headers: text === undefined ? {} : { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) },
          ...(this.options.ca !== undefined && url.protocol === 'https:' && { ca: this.options.ca }),
        },
        (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (c: Buffer) => chunks.push(c));
          res.on('error', (err) => reject(new GovUnreachableError(`${this.baseUrl}: ${err.message}`, { cause: err })));
          res.on('end', () => {
            const status = res.statusCode ?? 0;
            let json: { error?: { code?: string; message?: string; reason?: string } } | undefined;
            try {
              json = JSON.parse(Buffer.concat(chunks).toString('utf8')) as typeof json;
            } catch {
              json = undefined;
            }
            const height = Number(res.headers['x-bsn-height']);
            if (status >= 200 && status < 300 && json !== undefined) return resolve({ json, ...(Number.isSafeInteger(height) && { height }) });
            const e = json?.error;
            reject(new GovRequestError(e?.code ?? `HTTP_${status}`, e?.message ?? `HTTP ${status} from ${this.baseUrl}`, status, e?.reason));
          });
        },
      );
      req.on('timeout', () => req.destroy(new Error(`no answer within ${this.options.timeoutMs ?? 40_000} ms`)));
      req.on('error', (err) => reject(new GovUnreachableError(`cannot reach ${this.baseUrl}: ${err.message}`, { cause: err })));
      req.end(text);
    });
  }
}
