import { EventEmitter } from 'node:events';
import type { AddressInfo, Socket } from 'node:net';
import { connect, createSecureContext, createServer, type SecureContextOptions, type Server, type TLSSocket } from 'node:tls';
import { DEFAULT_MAX_QUEUED_BYTES, PeerConnection } from './connection.js';
import { ConnectionLimitError, PeerCertificateRejectedError, TransportConfigError } from './errors.js';
import { DEFAULT_MAX_FRAME_BYTES } from './frame.js';
import { peerIdentityOf } from './identity.js';
import { RevocationCheck } from './revocation.js';

export interface TransportOptions {
  /** PEM of this node's certificate followed by its operator CA's certificate. */
  readonly certChainPem: string;
  readonly keyPem: string;
  /** PEM of the network's root CA: the only trust anchor. */
  readonly rootPem: string;
  /** PEM CRLs of the root and operator CAs; a CA without one is judged by the governance chain alone. */
  readonly crlPems: readonly string[];
  readonly maxFrameBytes?: number;
  readonly handshakeTimeoutMs?: number;
  /** Bytes that may wait for one peer before its connection is dropped (default 16 MiB). */
  readonly maxQueuedBytes?: number;
  /** Caps on inbound connections (H4): a socket over one is closed before its handshake costs anything. */
  readonly limits?: Partial<InboundLimits>;
}

export interface InboundLimits {
  /** Inbound sockets at once, handshaking or established. */
  readonly maxInbound: number;
  /** Inbound sockets at once from one IP address. */
  readonly maxInboundPerIp: number;
  /** Established inbound connections at once with one certificate (a duplicate or two is normal while the tie-break runs). */
  readonly maxInboundPerIdentity: number;
}

export const DEFAULT_INBOUND_LIMITS: InboundLimits = Object.freeze({ maxInbound: 256, maxInboundPerIp: 32, maxInboundPerIdentity: 4 });

export interface TransportEvents {
  connection: [PeerConnection];
  /** A peer that failed the TLS handshake or the identity check; `remote` is host:port. */
  rejected: [remote: string, reason: Error];
}

/**
 * Mutual TLS 1.3 between city nodes. OpenSSL checks each peer's chain to the root and validity
 * periods during the handshake, so an expired or foreign certificate never gets a connection.
 * Right after it, before the connection is handed on, come the node-role check and revocation
 * under the CRL files (RevocationCheck, the same chain validation as the gateway's). Revocation is
 * not left to OpenSSL: with CRLs it demands one for every CA of a chain, and an operator the
 * governance chain admits has none on the other nodes (revocations on the chain have no CRL at
 * all: PeerManager's admission policy judges those).
 */
export class Transport extends EventEmitter<TransportEvents> {
  private tls: SecureContextOptions;
  private revocation: RevocationCheck;
  private server: Server | undefined;
  private readonly limits: InboundLimits;
  private readonly maxQueuedBytes: number;
  /** Inbound sockets now, in total and per remote IP, and established inbound connections per fingerprint. */
  private inbound = 0;
  private readonly inboundByIp = new Map<string, number>();
  private readonly inboundByIdentity = new Map<string, number>();
  /** Every socket, including inbound ones still in their handshake, so close() ends them all. */
  private readonly sockets = new Set<Socket>();
  private readonly maxFrameBytes: number;
  private readonly handshakeTimeoutMs: number;

  constructor(private readonly options: TransportOptions) {
    super();
    this.maxFrameBytes = options.maxFrameBytes ?? DEFAULT_MAX_FRAME_BYTES;
    this.handshakeTimeoutMs = options.handshakeTimeoutMs ?? 10_000;
    this.maxQueuedBytes = options.maxQueuedBytes ?? DEFAULT_MAX_QUEUED_BYTES;
    this.limits = { ...DEFAULT_INBOUND_LIMITS, ...options.limits };
    this.revocation = new RevocationCheck(options.rootPem, options.crlPems);
    this.tls = checkedTls(options);
  }

  /**
   * Replaces the CRLs for every connection from now on, inbound and outbound. Connections already
   * open are not touched here: PeerManager re-checks them. Unusable CRLs throw the PKI's typed
   * parse error and leave the current ones in force.
   */
  updateCrls(crlPems: readonly string[]): void {
    this.revocation = new RevocationCheck(this.options.rootPem, crlPems);
  }

  /** Accepts connections on host:port (port 0 picks a free one). */
  async listen(port: number, host = '127.0.0.1'): Promise<AddressInfo> {
    const server = createServer({
      ...this.tls,
      requestCert: true,
      rejectUnauthorized: true,
      handshakeTimeout: this.handshakeTimeoutMs,
    });
    server.on('connection', (raw: Socket) => this.admit(raw));
    server.on('secureConnection', (socket) => this.accept(socket, false));
    server.on('tlsClientError', (err, socket) => {
      // With TLS 1.3 the server judges the client's certificate after its own Finished, and Node
      // reports only a hang-up; the verdict itself is in authorizationError.
      const verdict = socket.authorizationError;
      const reason = verdict ? new PeerCertificateRejectedError(`peer certificate rejected: ${String(verdict)}`, { cause: err }) : err;
      this.emit('rejected', `${socket.remoteAddress}:${socket.remotePort}`, reason);
    });
    this.server = server;
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, host, () => {
        server.off('error', reject);
        resolve();
      });
    });
    return server.address() as AddressInfo;
  }

  /** Connects to a peer; rejects if the handshake or the identity check fails. */
  dial(host: string, port: number): Promise<PeerConnection> {
    return new Promise((resolve, reject) => {
      const socket = connect({ ...this.tls, host, port, rejectUnauthorized: true });
      this.sockets.add(socket);
      const timer = setTimeout(() => socket.destroy(new Error(`TLS handshake with ${host}:${port} timed out`)), this.handshakeTimeoutMs);
      socket.once('close', () => {
        this.sockets.delete(socket);
        // close() destroys a socket still in its handshake without an error: settle and free the timer.
        clearTimeout(timer);
        reject(new Error(`connection to ${host}:${port} closed during the TLS handshake`));
      });
      socket.once('error', (err) => {
        clearTimeout(timer);
        reject(err);
      });
      socket.once('secureConnect', () => {
        clearTimeout(timer);
        const connection = this.accept(socket, true);
        if (connection instanceof PeerConnection) resolve(connection);
        else reject(connection);
      });
    });
  }

  async close(): Promise<void> {
    for (const socket of this.sockets) socket.destroy();
    const server = this.server;
    this.server = undefined;
    if (server) await new Promise<void>((resolve) => server.close(() => resolve()));
  }

  /** Counts an inbound TCP socket, or closes it at once when it is over a cap: no TLS work for it. */
  private admit(raw: Socket): void {
    const ip = raw.remoteAddress ?? '';
    const fromIp = this.inboundByIp.get(ip) ?? 0;
    const over = this.inbound >= this.limits.maxInbound ? `${this.inbound} inbound connections (the cap)` : fromIp >= this.limits.maxInboundPerIp ? `${fromIp} inbound connections from ${ip} (the per-IP cap)` : undefined;
    if (over !== undefined) {
      raw.destroy();
      this.emit('rejected', `${ip}:${raw.remotePort}`, new ConnectionLimitError(`refused: already ${over}`));
      return;
    }
    this.inbound++;
    this.inboundByIp.set(ip, fromIp + 1);
    this.sockets.add(raw);
    raw.once('close', () => {
      this.sockets.delete(raw);
      this.inbound--;
      decrement(this.inboundByIp, ip);
    });
  }

  /** The connection, or why it was refused (the socket is closed then). */
  private accept(socket: TLSSocket, outbound: boolean): PeerConnection | Error {
    const remote = `${socket.remoteAddress}:${socket.remotePort}`;
    this.sockets.add(socket);
    socket.once('close', () => this.sockets.delete(socket));
    let connection: PeerConnection;
    try {
      connection = new PeerConnection(peerIdentityOf(socket.getPeerCertificate(true)), outbound, socket, this.maxFrameBytes, this.maxQueuedBytes);
    } catch (err) {
      return this.refuse(socket, remote, err as Error);
    }
    const revoked = this.revocation.revoked(connection);
    if (revoked) return this.refuse(socket, remote, revoked);
    if (outbound) return connection;
    const { fingerprint } = connection.peer;
    const held = this.inboundByIdentity.get(fingerprint) ?? 0;
    if (held >= this.limits.maxInboundPerIdentity) {
      return this.refuse(socket, remote, new ConnectionLimitError(`refused: ${connection.peer.name} already has ${held} inbound connections (the per-identity cap)`));
    }
    this.inboundByIdentity.set(fingerprint, held + 1);
    socket.once('close', () => decrement(this.inboundByIdentity, fingerprint));
    this.emit('connection', connection);
    return connection;
  }

  private refuse(socket: TLSSocket, remote: string, reason: Error): Error {
    socket.destroy();
    this.emit('rejected', remote, reason);
    return reason;
  }
}

/**
 * The TLS options, tried once so that bad material fails here, typed. They are passed as options
 * to each server and socket rather than as one shared SecureContext: a context made by
 * createSecureContext() leaves the server with no usable signature algorithm.
 */
function checkedTls(options: TransportOptions): SecureContextOptions {
  const tls: SecureContextOptions = { cert: options.certChainPem, key: options.keyPem, ca: options.rootPem, minVersion: 'TLSv1.3' };
  try {
    createSecureContext(tls);
  } catch (cause) {
    throw new TransportConfigError(`unusable TLS material: ${(cause as Error).message}`, { cause });
  }
  return tls;
}

function decrement(map: Map<string, number>, key: string): void {
  const n = (map.get(key) ?? 0) - 1;
  if (n > 0) map.set(key, n);
  else map.delete(key);
}
