import { decode, expectUint } from '../codec/index.js';
import { getSuite, type PrivateKey } from '../crypto/index.js';
import { buildKvTx, kvAddress } from '../execution/index.js';
import { BsnError } from '../errors.js';

/** The node answered with an error; `code` is the node's own (MEMPOOL_*, KV_*, NODE_*, HTTP_*). */
export class NodeRequestError extends BsnError {
  constructor(
    readonly code: string,
    message: string,
    readonly status: number,
  ) {
    super(message);
  }
}

/** The node could not be reached at all. */
export class NodeUnreachableError extends BsnError {
  readonly code = 'SDK_NODE_UNREACHABLE';
}

/**
 * A client of a `kv` app chain through a city node's operations endpoint: signs transactions with the
 * caller's key (any suite) and reads committed values. Nonces come from committed state, so
 * one client writes one transaction at a time per key.
 */
export class KvClient {
  private readonly token: string | undefined;

  /** `options.token`: the node's operations token (`http.token`; `<dir>/ops-token.txt` for `bsn up`), which `/chains/*` requires. */
  constructor(
    readonly nodeUrl: string,
    readonly chainId: string,
    options: { token?: string } = {},
  ) {
    this.token = options.token;
  }

  /** Writes `value` under `key` and resolves once it is committed, with the tx hash and height. */
  async put(privateKey: PrivateKey, key: Uint8Array, value: Uint8Array): Promise<{ hash: string; height: number }> {
    const nonce = await this.nextNonce(privateKey);
    const tx = buildKvTx({ chainId: this.chainId, privateKey, nonce, ops: [{ type: 'put', key, value }] });
    return (await this.request('POST', `/chains/${this.chainId}/txs?wait=commit`, tx)) as { hash: string; height: number };
  }

  /** The committed value of `key` (undefined when absent) and the height it was read at. */
  async get(key: Uint8Array): Promise<{ height: number; value: Uint8Array | undefined }> {
    const r = (await this.request('GET', `/chains/${this.chainId}/query/get?data=${Buffer.from(key).toString('hex')}`)) as { height: number; value: string | null };
    return { height: r.height, value: r.value === null ? undefined : new Uint8Array(Buffer.from(r.value, 'hex')) };
  }

  async nextNonce(privateKey: PrivateKey): Promise<number> {
    const address = kvAddress(getSuite(privateKey.suite), privateKey.publicKey.bytes);
    const r = (await this.request('GET', `/chains/${this.chainId}/query/nonce?data=${Buffer.from(address).toString('hex')}`)) as { value: string | null };
    return r.value === null ? 0 : expectUint(decode(Buffer.from(r.value, 'hex')), '$.nonce');
  }

  private async request(method: string, path: string, body?: Uint8Array): Promise<unknown> {
    let res: Response;
    try {
      res = await fetch(new URL(path, this.nodeUrl), { method, body, headers: this.token === undefined ? {} : { authorization: `Bearer ${this.token}` }, signal: AbortSignal.timeout(35_000) });
    } catch (cause) {
      throw new NodeUnreachableError(`cannot reach ${this.nodeUrl}: ${(cause as Error).message}`, { cause });
    }
    const json = (await res.json().catch(() => ({}))) as { error?: { code: string; message: string } };
    if (!res.ok) throw new NodeRequestError(json.error?.code ?? `HTTP_${res.status}`, json.error?.message ?? res.statusText, res.status);
    return json;
  }
}
