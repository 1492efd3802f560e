import { createHash, randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { getSuite, type PrivateKey, type Suite } from '../crypto/index.js';
import { buildKvTx } from '../execution/index.js';
import { canonicalRequestBytes } from '../gateway/rest/index.js';
import { parseCertificatePem, readPrivateKeyPem } from '../pki/index.js';
import { failureReason } from './commits.js';
import type { Job } from './driver.js';
import { BenchFileError, BenchSetupError, BenchTargetRejectedError, BenchTargetUnreachableError } from './errors.js';
import { hex } from './evm-tx.js';
import { HttpClient, TransportError, type HttpAnswer } from './http.js';
import type { Outcome } from './recorder.js';
import type { SignerPool } from './signer.js';
import { SenderQueues, type SenderJob } from './source.js';
import type { BenchSpec, RoundSpec } from './spec.js';
import type { BenchTarget } from './target.js';
import { prng, type SignTask } from './workloads.js';

/*
 * A kv app chain through the BSN gateway's signed REST API (docs/gateway.md, docs/gateway-auth.md):
 * writes are `POST /apps/:app/transactions?wait=commit` (latency = request → answer, which comes
 * at commit), reads `GET /apps/:app/state/:key`. Transactions are pre-signed on the workers; the
 * request signatures carry a timestamp checked against a window (5 minutes by default), so they
 * are made just in time on the main thread (one ECDSA signature each).
 */

type RestSpec = Extract<BenchSpec['target'], { type: 'bsn-rest' }>;

/** Signs REST requests with the bench file's certificate; after the first request, by certificate id. */
class RequestSigner {
  private readonly suite: Suite;
  private readonly key: PrivateKey;
  private readonly certHash: Uint8Array;
  private readonly certB64: string;
  byId = false;
  /** The gateway's identity, signed into each request (docs/gateway-auth.md); learnt from its first answer. */
  gateway = '';

  constructor(target: RestSpec) {
    let certPem: string;
    let keyPem: string;
    try {
      certPem = readFileSync(target.cert, 'utf8');
      keyPem = readFileSync(target.key, 'utf8');
    } catch (err) {
      throw new BenchFileError(`target.cert / target.key: ${(err as Error).message}`, ['target.cert: cannot read']);
    }
    const cert = parseCertificatePem(certPem);
    this.key = readPrivateKeyPem(keyPem, target.passphrase);
    this.suite = getSuite(this.key.suite);
    this.certHash = new Uint8Array(createHash('sha256').update(cert.der).digest());
    this.certB64 = Buffer.from(cert.der).toString('base64');
  }

  headers(method: string, path: string, appId: string, body: string | undefined): Record<string, string> {
    const nonce = randomBytes(16);
    const timestamp = Date.now();
    const bodyHash = this.suite.hash(body === undefined ? new Uint8Array(0) : Buffer.from(body));
    const message = canonicalRequestBytes({ gateway: this.gateway, method, path, appId, bodyHash, timestamp, nonce, certHash: this.certHash });
    return {
      'x-bsn-timestamp': String(timestamp),
      'x-bsn-nonce': nonce.toString('hex'),
      'x-bsn-signature': Buffer.from(this.suite.sign(this.key, message)).toString('base64'),
      ...(this.byId ? { 'x-bsn-cert-id': Buffer.from(this.certHash).toString('hex') } : { 'x-bsn-cert': this.certB64 }),
    };
  }
}

interface RestError {
  error?: { code?: string; message?: string };
}

export function restFailure(answer: HttpAnswer): string {
  try {
    const body = JSON.parse(answer.body) as RestError;
    if (body.error?.code) return `${body.error.code}: ${failureReason(body.error.message ?? '')}`;
  } catch {
    // not JSON: the status says it
  }
  return `HTTP ${answer.status}`;
}

export class RestTarget implements BenchTarget {
  readonly kind = 'bsn-rest' as const;
  readonly chainId: string;
  readonly client = 'bsn gateway (REST)';
  readonly url: string;
  private readonly http: HttpClient;
  private readonly signer: RequestSigner;
  private readonly app: string;
  private readonly runId = randomBytes(4).toString('hex');
  private seeded: string[] = [];
  private sink: HttpClient | undefined;

  constructor(
    target: RestSpec,
    private readonly spec: BenchSpec,
  ) {
    this.url = target.url;
    this.app = target.app;
    this.chainId = target.app;
    this.http = new HttpClient(target.url, spec.timeoutSec * 1000 + 5_000);
    this.signer = new RequestSigner(target);
  }

  private request(client: HttpClient, method: 'GET' | 'POST', path: string, body?: string): Promise<HttpAnswer> {
    return client.send(method, path, body, this.signer.headers(method, path, this.app, body));
  }

  async probe(): Promise<void> {
    let answer: HttpAnswer;
    try {
      // Block 1 may not exist yet: REST_NOT_FOUND still proves the app, the route and the signature.
      answer = await this.request(this.http, 'GET', `/apps/${this.app}/blocks/1`);
      // Every answer names the gateway; a request signed for another one is refused, so sign again.
      if (answer.gateway !== undefined && answer.gateway !== this.signer.gateway) {
        this.signer.gateway = answer.gateway;
        answer = await this.request(this.http, 'GET', `/apps/${this.app}/blocks/1`);
      }
    } catch (err) {
      throw new BenchTargetUnreachableError(`cannot reach the BSN gateway ${this.url}: ${err instanceof TransportError ? (err.errno ?? err.message) : (err as Error).message}`);
    }
    const reason = restFailure(answer);
    if (answer.status === 200 || reason.startsWith('REST_NOT_FOUND')) {
      this.signer.byId = true;
      return;
    }
    if (reason.startsWith('HTTP')) throw new BenchTargetUnreachableError(`${this.url} is not a BSN gateway (GET /apps/${this.app}/blocks/1 answered ${reason})`);
    throw new BenchTargetRejectedError(`the BSN gateway ${this.url} refused the bench's requests for app '${this.app}': ${reason}`);
  }

  async setup(rounds: readonly RoundSpec[]): Promise<void> {
    if (!rounds.some((r) => r.workload === 'kv-read' || r.workload === 'mixed')) return;
    // The keys the reads look up: one per account, each written by a fresh key.
    const suite = getSuite('ecdsa-p256');
    const keys = Array.from({ length: this.spec.accounts }, (_, i) => Buffer.from(`bench/${this.runId}/seed/${i}`));
    const txs = keys.map((key) => buildKvTx({ chainId: this.app, privateKey: suite.generateKeyPair().privateKey, nonce: 0, ops: [{ type: 'put', key, value: randomBytes(32) }] }));
    let next = 0;
    const worker = async () => {
      while (next < txs.length) {
        const i = next++;
        const answer = await this.request(this.http, 'POST', `/apps/${this.app}/transactions?wait=commit`, JSON.stringify({ tx: hex(txs[i]!) })).catch((err: Error) => {
          throw new BenchSetupError(`seeding key ${i}: ${err.message}`);
        });
        if (answer.status !== 200) throw new BenchTargetRejectedError(`the gateway refused a seed write (key ${i}): ${restFailure(answer)}`);
      }
    };
    await Promise.all(Array.from({ length: 16 }, worker));
    this.seeded = keys.map((k) => hex(k));
  }

  async prepare(round: RoundSpec, index: number, writes: number, signer: SignerPool): Promise<SenderQueues> {
    const senders = Math.min(this.spec.accounts, writes);
    const perSender = senders === 0 ? 0 : Math.ceil(writes / senders) + 1;
    const chunk = Math.ceil(senders / signer.size);
    const tasks: SignTask[] = [];
    for (let from = 0, t = 0; from < senders; from += chunk, t++) {
      const count = Math.min(chunk, senders - from);
      tasks.push({ kind: 'kv', chainId: this.app, senders: count, perSender, valueBytes: round.valueBytes, keyPrefix: `bench/${this.runId}/${index}/${t}`, seed: index * 1000 + t + 1 });
    }
    const txs = await signer.sign(tasks);
    const queues = Array.from({ length: senders }, (_, j) => txs.slice(j * perSender, (j + 1) * perSender).map((tx) => this.writeJob(tx)));
    const rand = prng(index + 11);
    const ratio = round.workload === 'kv-read' ? 1 : round.workload === 'mixed' ? round.readRatio : 0;
    const reads = ratio > 0 ? { ratio, rand, make: () => this.readJob(rand) } : undefined;
    return new SenderQueues(queues, this.spec.maxPendingPerSender, reads);
  }

  private writeJob(tx: Uint8Array): SenderJob {
    return async () => {
      try {
        const answer = await this.request(this.http, 'POST', `/apps/${this.app}/transactions?wait=commit`, JSON.stringify({ tx: hex(tx) }));
        return answer.status === 200 ? { ok: true, at: performance.now() } : { ok: false, at: performance.now(), reason: restFailure(answer) };
      } catch (err) {
        return { ok: false, at: performance.now(), reason: `connection: ${err instanceof TransportError ? (err.errno ?? err.message) : (err as Error).message}` };
      }
    };
  }

  private readJob(rand: (n: number) => number): Job {
    const key = this.seeded.length > 0 ? this.seeded[Math.floor(rand(this.seeded.length))]! : '0x00';
    return {
      run: async (): Promise<Outcome> => {
        try {
          const answer = await this.request(this.http, 'GET', `/apps/${this.app}/state/${key}`);
          return answer.status === 200 ? { ok: true, at: performance.now() } : { ok: false, at: performance.now(), reason: restFailure(answer) };
        } catch (err) {
          return { ok: false, at: performance.now(), reason: `connection: ${err instanceof TransportError ? (err.errno ?? err.message) : (err as Error).message}` };
        }
      },
    };
  }

  async afterRound(): Promise<void> {
    // kv senders are fresh keys each round: no nonces to re-read.
  }

  calibrationJob(sinkUrl: string): () => Job {
    this.sink ??= new HttpClient(sinkUrl);
    const sink = this.sink;
    const tx = buildKvTx({ chainId: this.app, privateKey: getSuite('ecdsa-p256').generateKeyPair().privateKey, nonce: 0, ops: [{ type: 'put', key: Buffer.from('calibration'), value: new Uint8Array(32) }] });
    const body = JSON.stringify({ tx: hex(tx) });
    return () => ({
      run: async () => {
        await this.request(sink, 'POST', `/apps/${this.app}/transactions?wait=commit`, body);
        return { ok: true, at: performance.now() };
      },
    });
  }

  async close(): Promise<void> {
    this.http.close();
    this.sink?.close();
  }
}
