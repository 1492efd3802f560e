import http from 'node:http';
import https from 'node:https';

/*
 * The load generator's HTTP client: node:http with keep-alive sockets and no per-request
 * allocation beyond the request itself (fetch costs several times more CPU per request, and the
 * generator must stay far below the target's rate).
 */

export interface HttpAnswer {
  readonly status: number;
  readonly body: string;
  /** A BSN gateway's identity (its x-bsn-gateway header), what signed REST requests must name. */
  readonly gateway?: string;
}

/** A transport failure: nothing came back (refused, reset, timeout). */
export class TransportError extends Error {
  constructor(
    message: string,
    readonly errno?: string,
  ) {
    super(message);
  }
}

export class HttpClient {
  private readonly agent: http.Agent;
  private readonly base: URL;
  private readonly request: typeof http.request;

  constructor(
    baseUrl: string,
    private readonly timeoutMs = 30_000,
  ) {
    this.base = new URL(baseUrl);
    const secure = this.base.protocol === 'https:';
    this.agent = secure ? new https.Agent({ keepAlive: true, maxSockets: Infinity }) : new http.Agent({ keepAlive: true, maxSockets: Infinity });
    this.request = secure ? https.request : http.request;
  }

  /** `target` is a path with query ('/apps/x/state/0x..'), or '' for the base URL itself. */
  send(method: string, target: string, body?: string, headers: Record<string, string> = {}): Promise<HttpAnswer> {
    const pathname = target === '' ? `${this.base.pathname}${this.base.search}` : target;
    return new Promise((resolve, reject) => {
      const req = this.request(
        {
          host: this.base.hostname,
          port: this.base.port,
          method,
          path: pathname,
          agent: this.agent,
          headers: body === undefined ? headers : { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body), ...headers },
          timeout: this.timeoutMs,
        },
        (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (c: Buffer) => chunks.push(c));
          const gateway = res.headers['x-bsn-gateway'];
          res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8'), ...(typeof gateway === 'string' && { gateway }) }));
          res.on('error', (e: NodeJS.ErrnoException) => reject(new TransportError(e.message, e.code)));
        },
      );
      req.on('timeout', () => req.destroy(new TransportError(`no answer after ${this.timeoutMs} ms`, 'ETIMEDOUT')));
      req.on('error', (e: NodeJS.ErrnoException) => reject(e instanceof TransportError ? e : new TransportError(e.message, e.code)));
      req.end(body);
    });
  }

  close(): void {
    this.agent.destroy();
  }
}

/** A JSON-RPC error object returned by the target (not a transport failure). */
export class RpcError extends Error {
  constructor(
    message: string,
    readonly rpcCode: number,
    readonly data?: unknown,
  ) {
    super(message);
  }
}

interface RpcReply {
  id?: unknown;
  result?: unknown;
  error?: { code: number; message: string; data?: unknown };
}

/** A JSON-RPC 2.0 client over HttpClient, with batches. */
export class RpcClient {
  private nextId = 1;
  readonly http: HttpClient;

  constructor(readonly url: string, timeoutMs = 30_000) {
    this.http = new HttpClient(url, timeoutMs);
  }

  async call<T = unknown>(method: string, params: readonly unknown[] = []): Promise<T> {
    const reply = parseReply(await this.http.send('POST', '', JSON.stringify({ jsonrpc: '2.0', id: this.nextId++, method, params })));
    if (Array.isArray(reply)) throw new RpcError('a batch answer to a single request', -32603);
    return unwrap<T>(reply);
  }

  /** One HTTP request; answers in request order, each a value or an RpcError. */
  async batch(calls: readonly { method: string; params: readonly unknown[] }[]): Promise<(unknown | RpcError)[]> {
    if (calls.length === 0) return [];
    const first = this.nextId;
    this.nextId += calls.length;
    const body = JSON.stringify(calls.map((c, i) => ({ jsonrpc: '2.0', id: first + i, method: c.method, params: c.params })));
    const reply = parseReply(await this.http.send('POST', '', body));
    if (!Array.isArray(reply)) return calls.map(() => replyError(reply));
    const byId = new Map(reply.map((r) => [r.id, r]));
    return calls.map((_, i) => {
      const r = byId.get(first + i);
      if (!r) return new RpcError('no answer in the batch', -32603);
      try {
        return unwrap(r);
      } catch (err) {
        return err as RpcError;
      }
    });
  }

  close(): void {
    this.http.close();
  }
}

function parseReply(answer: HttpAnswer): RpcReply | RpcReply[] {
  let doc: unknown;
  try {
    doc = JSON.parse(answer.body);
  } catch {
    throw new RpcError(`HTTP ${answer.status}, not JSON-RPC: ${answer.body.slice(0, 120)}`, -32700);
  }
  if (doc === null || typeof doc !== 'object') throw new RpcError(`HTTP ${answer.status}, not JSON-RPC`, -32700);
  return doc as RpcReply | RpcReply[];
}

function replyError(reply: RpcReply): RpcError {
  return reply.error ? new RpcError(reply.error.message, reply.error.code, reply.error.data) : new RpcError('not a JSON-RPC answer', -32700);
}

function unwrap<T>(reply: RpcReply): T {
  if (reply.error) throw replyError(reply);
  if (!('result' in reply)) throw new RpcError('not a JSON-RPC answer', -32700);
  return reply.result as T;
}
