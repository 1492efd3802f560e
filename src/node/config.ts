import { readFileSync } from 'node:fs';
import path from 'node:path';
import { z } from 'zod';
import { NodeConfigError } from './errors.js';

const hostPort = z.string().regex(/^[^\s:]+:\d{1,5}$/, 'expected host:port, e.g. 127.0.0.1:26656');

const peer = z.strictObject({
  host: z.string().min(1),
  port: z.number().int().min(1).max(65535),
  /** The node name its certificate must carry; any city node when absent. */
  name: z.string().min(1).optional(),
  /** Pins the certificate: its SHA-256 fingerprint (colons and case do not matter) (M11). */
  fingerprint: z.string().regex(/^([0-9a-fA-F]{2}:?){31}[0-9a-fA-F]{2}$/, 'expected a SHA-256 fingerprint (64 hex digits, colons allowed)').optional(),
  /** Pins the operator CA that issued it, by subject as `bsn ca inspect` prints it. */
  operator: z.string().min(1).optional(),
});

/** One app's gateway quotas; an absent field is not limited. */
const quotaLimits = z.strictObject({
  requestsPerSecond: z.number().positive().max(1_000_000).optional(),
  burst: z.number().int().min(1).max(1_000_000).optional(),
  txPerDay: z.number().int().min(0).optional(),
});

/** A gateway rate and concurrency limit (per IP or per caller); an absent field takes its default. */
const rateLimits = z.strictObject({
  requestsPerSecond: z.number().positive().max(1_000_000).optional(),
  burst: z.number().int().min(1).max(1_000_000).optional(),
  concurrent: z.number().int().min(1).max(1_000_000).optional(),
});

/**
 * The city node's config file (JSON). Relative paths are resolved against the config file's
 * directory, so a node directory can be moved as a whole. See docs/node.md for every field.
 */
export const nodeConfigSchema = z.strictObject({
  name: z.string().min(1),
  dataDir: z.string().min(1),
  network: z.strictObject({
    rootCert: z.string().min(1),
    /** CRLs of the root and of every operator CA: TLS checks each link of a peer's chain. */
    crls: z.array(z.string().min(1)).min(1),
    /** The CRL files are read again this often (and on a change, and on SIGHUP); 0: only on a change or SIGHUP. */
    crlReloadIntervalMs: z.number().int().min(0).default(60_000),
    /** Reload the CRLs when one of their files changes. */
    crlWatch: z.boolean().default(true),
    /** Warn (log, and bsn_crl_next_update_seconds) once a CRL's nextUpdate is this close. */
    crlExpiryWarningHours: z.number().min(0).default(48),
  }),
  tls: z.strictObject({
    cert: z.string().min(1),
    /** The operator CA certificate(s) between the node certificate and the root. */
    chain: z.array(z.string().min(1)).min(1),
    key: z.string().min(1),
  }),
  p2p: z.strictObject({
    listen: hostPort,
    peers: z.array(peer).default([]),
    maxFrameBytes: z.number().int().min(1024).max(64 * 1024 * 1024).default(4 * 1024 * 1024),
    /** Bytes that may wait for one peer that does not read; past it, it is dropped and scored down (H4). */
    maxQueuedBytes: z.number().int().min(64 * 1024).default(16 * 1024 * 1024),
    /** Inbound connections at once: in all, from one IP, with one certificate. */
    maxInbound: z.number().int().min(1).default(256),
    maxInboundPerIp: z.number().int().min(1).default(32),
    maxInboundPerIdentity: z.number().int().min(1).default(4),
    /** Block requests served per peer: per second on average, at once after idling, and bytes per answer. */
    syncRequestsPerSecond: z.number().positive().default(20),
    syncBurst: z.number().int().min(1).default(40),
    syncMaxReplyBytes: z.number().int().min(1024).default(1024 * 1024),
  }),
  /**
   * The operations endpoint (docs/node.md): loopback unless configured otherwise. `/chains/*`
   * (raw txs, queries, blocks) needs the operations token, given inline or as a file; without
   * one those routes are closed.
   */
  http: z
    .strictObject({
      listen: hostPort.default('127.0.0.1:26660'),
      token: z.string().min(16).optional(),
      tokenFile: z.string().min(1).optional(),
    })
    .refine((h) => h.token === undefined || h.tokenFile === undefined, 'give at most one of token, tokenFile')
    .default({ listen: '127.0.0.1:26660' }),
  /** The gateway (Ethereum JSON-RPC per EVM app chain, docs/gateway.md); not started when absent. */
  gateway: z
    .strictObject({
      listen: hostPort,
      /** Also serve the certificate-signed REST API under /apps/:appId/ and its OpenAPI at /docs. */
      rest: z.boolean().default(true),
      /** Gateway users (docs/gateway-users.md): the operator CA that certifies them and the secrets; user routes answer 503 when absent. */
      users: z
        .strictObject({
          caDir: z.string().min(1),
          caPassphraseFile: z.string().min(1).optional(),
          caPassphraseEnv: z.string().min(1).optional(),
          vaultSecretFile: z.string().min(1).optional(),
          vaultSecretEnv: z.string().min(1).optional(),
          certDays: z.number().int().min(1).max(36_500).default(365),
        })
        .refine((u) => (u.caPassphraseFile === undefined) !== (u.caPassphraseEnv === undefined), 'give exactly one of caPassphraseFile, caPassphraseEnv')
        .refine((u) => (u.vaultSecretFile === undefined) !== (u.vaultSecretEnv === undefined), 'give exactly one of vaultSecretFile, vaultSecretEnv')
        .optional(),
      /** Webhook delivery and event sockets (docs/gateway-events.md); defaults when absent. */
      events: z
        .strictObject({
          webhooks: z
            .strictObject({
              retryBaseMs: z.number().int().min(1).optional(),
              retryMaxMs: z.number().int().min(1).optional(),
              maxAgeMs: z.number().int().min(1).optional(),
              timeoutMs: z.number().int().min(1).optional(),
              maxPerApp: z.number().int().min(1).optional(),
              /** The only hosts webhooks may post to (`host` exact, `.example.com` any subdomain). */
              allowedHosts: z.array(z.string().min(1)).optional(),
              /** Hosts (`host`, `.suffix`) and address ranges (`10.0.0.0/8`, `::1`) webhooks may post to although internal (loopback, private, link-local, …). */
              allowInternal: z.array(z.string().min(1)).optional(),
            })
            .optional(),
          ws: z.strictObject({ maxSubscriptions: z.number().int().min(1).optional(), maxMessageBytes: z.number().int().min(64).optional() }).optional(),
        })
        .optional(),
      /** Per-app quotas (docs/gateway-quotas.md): the default for every app, overridden per app id; none when absent. */
      quotas: z.strictObject({ default: quotaLimits.optional(), apps: z.record(z.string().min(1), quotaLimits).optional() }).optional(),
      /** What clients sign as the gateway they call (docs/gateway-auth.md); the node's name by default. */
      id: z.string().min(1).max(253).optional(),
      /** Serve HTTPS with this certificate (docs/gateway.md, "TLS"); its chain is the node's `tls.chain` when absent. */
      tls: z.strictObject({ cert: z.string().min(1), key: z.string().min(1), chain: z.array(z.string().min(1)).min(1).optional() }).optional(),
      /** Certificates of every operator CA of the network whose users may call (the node's own `tls.chain` always is). */
      operatorCas: z.array(z.string().min(1)).default([]),
      /** Signed-request checks (docs/gateway-auth.md); defaults when absent. */
      auth: z
        .strictObject({
          windowMs: z.number().int().min(1000).optional(),
          futureSkewMs: z.number().int().min(0).optional(),
          nonceCapacity: z.number().int().min(1).optional(),
          noncesPerCertificate: z.number().int().min(1).optional(),
        })
        .optional(),
      /** Per-IP and per-caller limits, timeouts and connection caps (docs/gateway-quotas.md, docs/gateway.md); defaults when absent. */
      limits: z
        .strictObject({
          perIp: rateLimits.optional(),
          perCaller: rateLimits.optional(),
          authenticatedShare: z.number().min(0).max(1).optional(),
          requestTimeoutMs: z.number().int().min(1).optional(),
          headersTimeoutMs: z.number().int().min(1).optional(),
          idleTimeoutMs: z.number().int().min(1).optional(),
          keepAliveTimeoutMs: z.number().int().min(1).optional(),
          maxConnections: z.number().int().min(1).optional(),
          maxConnectionsPerIp: z.number().int().min(1).optional(),
          ws: z
            .strictObject({
              maxSockets: z.number().int().min(1).optional(),
              maxSocketsPerIp: z.number().int().min(1).optional(),
              maxBufferedBytes: z.number().int().min(1024).optional(),
              maxPendingMessages: z.number().int().min(1).optional(),
              pingIntervalMs: z.number().int().min(100).optional(),
              idleTimeoutMs: z.number().int().min(100).optional(),
              recheckIntervalMs: z.number().int().min(100).optional(),
            })
            .optional(),
        })
        .optional(),
    })
    .optional(),
  chains: z.array(z.strictObject({ genesis: z.string().min(1) })).default([]),
  consensus: z
    .strictObject({
      timeoutProposeMs: z.number().int().min(1).default(1000),
      timeoutPrevoteMs: z.number().int().min(1).default(500),
      timeoutPrecommitMs: z.number().int().min(1).default(500),
      timeoutDeltaMs: z.number().int().min(0).default(500),
      /** 0: a block only when there are transactions; otherwise at least one block per interval. */
      emptyBlocksIntervalMs: z.number().int().min(0).default(0),
      /** Messages more than this many rounds above the current round are refused (C1, M9). */
      maxRoundsAhead: z.number().int().min(1).max(1_000_000).default(1000),
      /** A peer's proposed block may be at most this far past this node's clock (M7). */
      maxBlockDriftMs: z.number().int().min(100).default(10_000),
    })
    .default({ timeoutProposeMs: 1000, timeoutPrevoteMs: 500, timeoutPrecommitMs: 500, timeoutDeltaMs: 500, emptyBlocksIntervalMs: 0, maxRoundsAhead: 1000, maxBlockDriftMs: 10_000 }),
  mempool: z
    .strictObject({
      maxTxs: z.number().int().min(1).default(10_000),
      maxBytes: z.number().int().min(1024).default(64 * 1024 * 1024),
      /** Signature-checking threads shared by all chains; default: cores - 1, at least 1. */
      verifyWorkers: z.number().int().min(1).max(64).optional(),
      /** Txs waiting for a verification thread, all chains together; more get MEMPOOL_BUSY (M13). */
      maxVerifyQueue: z.number().int().min(1).default(20_000),
      /** Txs being admitted at once per chain; more get MEMPOOL_BUSY. */
      maxInFlight: z.number().int().min(1).default(4096),
    })
    .default({ maxTxs: 10_000, maxBytes: 64 * 1024 * 1024, maxVerifyQueue: 20_000, maxInFlight: 4096 }),
  /** eth_call / eth_estimateGas / REST call on EVM chains (docs/evm.md, "Calls"); defaults when absent. */
  calls: z
    .strictObject({
      /** Gas of one call at most (lowered to the block gas limit); 10,000,000 unless set. */
      gasCap: z.number().int().min(21_000).max(Number.MAX_SAFE_INTEGER).optional(),
      /** How long a call may run in its worker before it is aborted; 5000 ms unless set. */
      timeoutMs: z.number().int().min(10).max(600_000).optional(),
      /** Call worker threads shared by all chains; default: cores - 1, at least 1, at most 2. */
      workers: z.number().int().min(1).max(64).optional(),
      /** Calls waiting for a worker; more are refused as busy. 16 unless set. */
      maxQueued: z.number().int().min(0).max(100_000).optional(),
      /** Share of its core a call worker may use over time, in (0, 1]; 0.5 unless set. */
      cpuShare: z.number().gt(0).max(1).optional(),
    })
    .default({}),
  log: z.strictObject({ level: z.enum(['trace', 'debug', 'info', 'warn', 'error', 'fatal', 'silent']).default('info') }).default({ level: 'info' }),
});

export type NodeConfig = z.infer<typeof nodeConfigSchema>;

/** Parses and validates a config; every problem is listed with its path, in one error. */
export function parseNodeConfig(text: string, baseDir: string): NodeConfig {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (cause) {
    throw new NodeConfigError(`config is not valid JSON: ${(cause as Error).message}`, { cause });
  }
  const parsed = nodeConfigSchema.safeParse(raw);
  if (!parsed.success) {
    const problems = parsed.error.issues.map((i) => `${i.path.join('.') || '(top)'}: ${i.message}`);
    throw new NodeConfigError(`invalid node config: ${problems.join('; ')}`);
  }
  return resolvePaths(parsed.data, baseDir);
}

export function loadNodeConfig(file: string): NodeConfig {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (cause) {
    throw new NodeConfigError(`cannot read config '${file}': ${(cause as Error).message}`, { cause });
  }
  return parseNodeConfig(text, path.dirname(path.resolve(file)));
}

function resolvePaths(config: NodeConfig, baseDir: string): NodeConfig {
  const at = (p: string) => path.resolve(baseDir, p);
  return {
    ...config,
    dataDir: at(config.dataDir),
    network: { ...config.network, rootCert: at(config.network.rootCert), crls: config.network.crls.map(at) },
    tls: { cert: at(config.tls.cert), chain: config.tls.chain.map(at), key: at(config.tls.key) },
    chains: config.chains.map((c) => ({ genesis: at(c.genesis) })),
    http: { ...config.http, ...(config.http.tokenFile !== undefined && { tokenFile: at(config.http.tokenFile) }) },
    ...(config.gateway && {
      gateway: {
        ...config.gateway,
        operatorCas: config.gateway.operatorCas.map(at),
        ...(config.gateway.tls && { tls: { cert: at(config.gateway.tls.cert), key: at(config.gateway.tls.key), ...(config.gateway.tls.chain && { chain: config.gateway.tls.chain.map(at) }) } }),
        ...(config.gateway.users && {
          users: {
            ...config.gateway.users,
            caDir: at(config.gateway.users.caDir),
            ...(config.gateway.users.caPassphraseFile !== undefined && { caPassphraseFile: at(config.gateway.users.caPassphraseFile) }),
            ...(config.gateway.users.vaultSecretFile !== undefined && { vaultSecretFile: at(config.gateway.users.vaultSecretFile) }),
          },
        }),
      },
    }),
  };
}

export function splitHostPort(value: string): { host: string; port: number } {
  const at = value.lastIndexOf(':');
  return { host: value.slice(0, at), port: Number(value.slice(at + 1)) };
}
