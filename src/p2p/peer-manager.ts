import { EventEmitter } from 'node:events';
import type { AddressInfo } from 'node:net';
import { parseCertificatesPem } from '../pki/index.js';
import type { PeerConnection } from './connection.js';
import {
  DuplicateConnectionError,
  FrameTooLargeError,
  InvalidPeerDataError,
  OutgoingBufferOverflowError,
  PeerBannedError,
  PeerCertificateRejectedError,
  PeerIdentityError,
  SelfConnectionError,
  ShutdownError,
  UnexpectedPeerError,
  PeerRevokedError,
} from './errors.js';
import { DEFAULT_BACKOFF, backoffDelay, type BackoffOptions, type RandomSource } from './backoff.js';
import { DEFAULT_MAX_FRAME_BYTES, type Frame } from './frame.js';
import type { PeerIdentity } from './identity.js';
import { CHANNEL } from './messages.js';
import { P2pCounters, errorFields, silentLogger, type P2pLogger, type P2pMetricsSnapshot } from './observe.js';
import { RevocationCheck } from './revocation.js';
import { DEFAULT_SCORING, PeerScores, type Offence } from './scoring.js';
import { Transport } from './transport.js';
import type { AdmissionPolicy, DialState, PeerAddress, PeerManagerEvents, PeerManagerOptions } from './peer-manager-options.js';

export type { AdmissionPolicy, PeerAddress, PeerManagerEvents, PeerManagerOptions } from './peer-manager-options.js';

/**
 * Keeps one connection to each peer: dials the configured persistent peers with backoff, accepts
 * inbound connections, closes duplicates and connections to itself, scores peers and bans the ones
 * that misbehave. Everything above it (router, sync) sees only kept connections.
 */
export class PeerManager extends EventEmitter<PeerManagerEvents> {
  readonly counters = new P2pCounters();
  readonly selfFingerprint: string;
  readonly maxFrameBytes: number;
  private readonly transport: Transport;
  private readonly scores: PeerScores;
  private readonly backoff: BackoffOptions;
  private readonly stableAfterMs: number;
  private readonly random: RandomSource;
  private readonly now: () => number;
  private readonly logger: P2pLogger;
  private readonly active = new Map<string, PeerConnection>();
  private readonly since = new Map<PeerConnection, number>();
  private readonly dials = new Map<string, DialState>();
  private readonly rootPem: string;
  private revocation: RevocationCheck;
  private admission: AdmissionPolicy | undefined;
  /** Fingerprints found revoked (certificate or operator CA) since start; a CRL never un-revokes. */
  private readonly revoked = new Set<string>();
  private readonly revokedRedialMs: number;
  private started = false;
  private closed = false;

  constructor(options: PeerManagerOptions) {
    super();
    this.transport = new Transport(options.transport);
    this.selfFingerprint = parseCertificatesPem(options.transport.certChainPem)[0]!.fingerprint;
    this.maxFrameBytes = options.transport.maxFrameBytes ?? DEFAULT_MAX_FRAME_BYTES;
    this.backoff = { ...DEFAULT_BACKOFF, ...options.backoff };
    this.stableAfterMs = options.stableAfterMs ?? 10_000;
    this.random = options.random ?? Math.random;
    this.now = options.now ?? Date.now;
    this.logger = options.logger ?? silentLogger;
    this.revokedRedialMs = options.revokedRedialMs ?? 600_000;
    this.rootPem = options.transport.rootPem;
    this.revocation = new RevocationCheck(options.transport.rootPem, options.transport.crlPems);
    this.scores = new PeerScores({ ...DEFAULT_SCORING, ...options.scoring, penalties: { ...DEFAULT_SCORING.penalties, ...options.scoring?.penalties } }, this.now);
    this.transport.on('connection', (conn) => this.adopt(conn));
    this.transport.on('rejected', (remote, reason) => {
      this.counters.refusedConnections++;
      // A bare hang-up is usually a peer closing its own duplicate mid-handshake, not an attack.
      const certificateVerdict = reason instanceof PeerCertificateRejectedError || reason instanceof PeerIdentityError;
      this.logger[certificateVerdict ? 'warn' : 'info']({ remote, ...errorFields(reason) }, 'peer refused at the TLS handshake');
    });
    for (const address of options.persistentPeers ?? []) this.addState(address);
  }

  listen(port: number, host = '127.0.0.1'): Promise<AddressInfo> {
    return this.transport.listen(port, host);
  }

  /** Starts dialling the persistent peers. */
  start(): void {
    if (this.started || this.closed) return;
    this.started = true;
    for (const state of this.dials.values()) this.schedule(state);
  }

  addPersistentPeer(address: PeerAddress): void {
    const state = this.addState(address);
    if (this.started) this.schedule(state);
  }

  /** The kept connections, one per peer. */
  connections(): PeerConnection[] {
    return [...this.active.values()];
  }

  connection(fingerprint: string): PeerConnection | undefined {
    return this.active.get(fingerprint);
  }

  /**
   * Queues a frame on a connection and counts it; false if the connection is closed or the frame
   * was not queued. Backpressure (H4): while half the connection's queue limit waits for the peer,
   * transaction gossip to it is shed (counted, not sent: the peer re-learns txs from others or in
   * blocks); past the whole limit the connection drops itself and the peer is scored down.
   */
  send(conn: PeerConnection, channel: number, payload: Uint8Array): boolean {
    if (!conn.isOpen) return false;
    if (channel === CHANNEL.transactions && conn.queuedBytes > conn.queueLimit / 2) {
      this.counters.shedMessages++;
      return false;
    }
    if (!conn.send(channel, payload)) return false;
    this.counters.sent(channel, payload.length + 5);
    return true;
  }

  /**
   * New CRLs (H6): every handshake from now on is judged by them, and every kept connection whose
   * certificate or operator CA they revoke is dropped at once; a revoked peer's address is not
   * redialled at the normal backoff. Throws the transport's or the PKI's typed error on unusable
   * CRLs, and then changes nothing. Returns the peers it dropped.
   */
  updateCrls(crlPems: readonly string[]): PeerIdentity[] {
    // Parsed before anything changes, so that a bad CRL leaves the old ones in force everywhere.
    const next = new RevocationCheck(this.rootPem, crlPems);
    this.transport.updateCrls(crlPems);
    this.revocation = next;
    const dropped: PeerIdentity[] = [];
    for (const conn of [...this.active.values()]) {
      if (this.refuseRevoked(conn)) dropped.push(conn.peer);
    }
    return dropped;
  }

  /** Puts `policy` in force for every connection from now on, and drops the kept ones it refuses; returns those. */
  setAdmission(policy: AdmissionPolicy | undefined): PeerIdentity[] {
    this.admission = policy;
    return [...this.active.values()].filter((conn) => this.refuseRevoked(conn)).map((conn) => conn.peer);
  }

  score(fingerprint: string): number {
    return this.scores.score(fingerprint);
  }

  isBanned(fingerprint: string): boolean {
    return this.scores.isBanned(fingerprint);
  }

  /** For the chain layer: the peer sent a message or block that failed validation. */
  reportInvalid(peer: PeerIdentity, reason: string | Error): void {
    this.penalize(peer, 'invalid', typeof reason === 'string' ? new InvalidPeerDataError(reason) : reason);
  }

  /** Lowers the peer's score for `offence`; below the threshold, bans it. */
  penalize(peer: PeerIdentity, offence: Offence, reason: Error): void {
    if (this.scores.isBanned(peer.fingerprint)) return;
    const crossed = this.scores.penalize(peer.fingerprint, offence);
    this.logger.warn({ peer: peer.name, fingerprint: peer.fingerprint, offence, score: this.scores.score(peer.fingerprint), ...errorFields(reason) }, 'peer scored down');
    if (crossed) this.ban(peer, reason);
  }

  /** Disconnects the peer and refuses it (inbound and outbound) for the ban period. */
  ban(peer: PeerIdentity, reason: Error): void {
    const until = this.scores.ban(peer.fingerprint);
    this.counters.bansTotal++;
    this.logger.warn({ peer: peer.name, fingerprint: peer.fingerprint, until: new Date(until).toISOString(), ...errorFields(reason) }, 'peer banned');
    this.active.get(peer.fingerprint)?.drop(new PeerBannedError(`banned: ${reason.message}`, { cause: reason }));
  }

  metrics(): P2pMetricsSnapshot {
    return this.counters.snapshot({ peersConnected: this.active.size, peersBanned: this.scores.bannedCount() });
  }

  /** Stops dialling and closes every connection; no timer survives it. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    for (const state of this.dials.values()) clearTimeout(state.timer);
    for (const conn of [...this.active.values()]) conn.drop(new ShutdownError('node shutting down'));
    await this.transport.close();
  }

  /**
   * Drops the connection when the current CRLs revoke its peer and remembers the fingerprint (a
   * CRL never un-revokes; a re-issued certificate has a new fingerprint). True if it dropped it.
   */
  private refuseRevoked(conn: PeerConnection): boolean {
    const reason = this.revocation.revoked(conn, new Date(this.now())) ?? this.admission?.(conn.peer, conn.issuerChainDer());
    if (!reason) return false;
    const { peer } = conn;
    const revoked = reason instanceof PeerRevokedError;
    if (revoked) {
      this.revoked.add(peer.fingerprint);
      this.counters.revokedDrops++;
    }
    this.logger.warn({ peer: peer.name, fingerprint: peer.fingerprint, operator: peer.operator, remote: conn.remoteAddress, ...errorFields(reason) }, revoked ? 'dropped a revoked peer' : 'dropped a peer the registry does not admit');
    conn.drop(reason);
    return true;
  }

  private addState(address: PeerAddress): DialState {
    const key = `${address.host}:${address.port}`;
    const existing = this.dials.get(key);
    if (existing) return existing;
    const state: DialState = { address, attempt: 0, timer: undefined, inflight: false, fingerprint: address.fingerprint === undefined ? undefined : normalizeFingerprint(address.fingerprint), self: false };
    this.dials.set(key, state);
    return state;
  }

  /**
   * Only a fingerprint learned by dialling this address (or pinned in its config) says who is
   * there (M11): a CN is not unique across operators, so an inbound connection carrying the
   * configured name proves nothing and must not stop the dialling.
   */
  private connectedTo(state: DialState): boolean {
    return state.fingerprint !== undefined && this.active.has(state.fingerprint);
  }

  private schedule(state: DialState): void {
    if (this.closed || !this.started || state.self || state.timer || state.inflight || this.connectedTo(state)) return;
    let delay = backoffDelay(state.attempt, this.backoff, this.random);
    const bannedUntil = state.fingerprint === undefined ? undefined : this.scores.bannedUntil(state.fingerprint);
    if (bannedUntil !== undefined) delay = Math.max(delay, bannedUntil - this.now());
    // Its handshake would fail anyway; only a new certificate at that address could help.
    if (state.fingerprint !== undefined && this.revoked.has(state.fingerprint)) delay = Math.max(delay, this.revokedRedialMs);
    state.timer = setTimeout(() => {
      state.timer = undefined;
      void this.dial(state);
    }, delay);
  }

  private async dial(state: DialState): Promise<void> {
    if (this.closed || this.connectedTo(state)) return;
    const { host, port, name } = state.address;
    state.inflight = true;
    state.attempt++;
    let conn: PeerConnection;
    try {
      conn = await this.transport.dial(host, port);
    } catch (err) {
      state.inflight = false;
      if (!this.closed) this.logger.info({ remote: `${host}:${port}`, attempt: state.attempt, ...errorFields(err) }, 'dial failed');
      this.schedule(state);
      return;
    }
    state.inflight = false;
    if (this.closed) {
      conn.drop(new ShutdownError('node shutting down'));
      return;
    }
    const mismatch = this.mismatch(state.address, conn.peer);
    if (mismatch !== undefined) {
      this.logger.warn({ remote: `${host}:${port}`, expected: name, found: conn.peer.name, fingerprint: conn.peer.fingerprint, operator: conn.peer.operator }, 'unexpected node at a configured address');
      conn.drop(new UnexpectedPeerError(`expected ${mismatch} at ${host}:${port}, found ${conn.peer.name} (${conn.peer.fingerprint}, ${conn.peer.operator})`));
      this.schedule(state);
      return;
    }
    state.fingerprint = conn.peer.fingerprint;
    if (conn.peer.fingerprint === this.selfFingerprint) state.self = true;
    this.adopt(conn);
    this.schedule(state);
  }

  /** What the configured address pins that this peer is not, or undefined when it is the one. */
  private mismatch(address: PeerAddress, peer: PeerIdentity): string | undefined {
    if (address.name !== undefined && peer.name !== address.name) return `node ${address.name}`;
    if (address.fingerprint !== undefined && peer.fingerprint !== normalizeFingerprint(address.fingerprint)) return `fingerprint ${address.fingerprint}`;
    if (address.operator !== undefined && peer.operator !== address.operator) return `operator ${address.operator}`;
    return undefined;
  }

  /** Every authenticated connection, inbound or outbound, comes through here. */
  private adopt(conn: PeerConnection): void {
    const { peer } = conn;
    const fields = { peer: peer.name, fingerprint: peer.fingerprint, remote: conn.remoteAddress, outbound: conn.outbound };
    if (this.closed) return conn.drop(new ShutdownError('node shutting down'));
    // With TLS 1.3 the server judges our certificate after we finished; its verdict may already have closed this.
    if (!conn.isOpen) return;
    if (peer.fingerprint === this.selfFingerprint) {
      this.logger.info(fields, 'closed a connection to this node itself');
      return conn.drop(new SelfConnectionError('connection to self'));
    }
    if (this.scores.isBanned(peer.fingerprint)) {
      this.counters.refusedConnections++;
      this.logger.info(fields, 'refused a banned peer');
      return conn.drop(new PeerBannedError(`peer ${peer.name} is banned`));
    }
    // A handshake that began under CRLs older than the current ones.
    if (this.refuseRevoked(conn)) {
      this.counters.refusedConnections++;
      return;
    }
    const existing = this.active.get(peer.fingerprint);
    if (existing && this.preferred(existing, conn) === existing) {
      this.logger.info(fields, 'closed a duplicate connection');
      return conn.drop(new DuplicateConnectionError(`already connected to ${peer.name}`));
    }
    this.active.set(peer.fingerprint, conn);
    this.since.set(conn, this.now());
    conn.on('frame', (frame) => this.onFrame(conn, frame));
    conn.on('close', (reason) => this.onClose(conn, reason));
    if (existing) {
      this.logger.info(fields, 'replaced a duplicate connection');
      this.since.delete(existing);
      existing.drop(new DuplicateConnectionError(`replaced by a connection dialled by the lower fingerprint`));
      this.emit('disconnected', existing, new DuplicateConnectionError('replaced'));
    } else {
      this.logger.info(fields, 'peer connected');
    }
    for (const state of this.dials.values()) {
      if (!this.matches(state, peer)) continue;
      clearTimeout(state.timer);
      state.timer = undefined;
    }
    this.emit('connected', conn);
  }

  /**
   * The tie-break both ends agree on: keep the connection dialled by the node with the lower
   * fingerprint. Two connections dialled by the same node mean it lost the first one, so the newer wins.
   */
  private preferred(a: PeerConnection, b: PeerConnection): PeerConnection {
    const dialler = (c: PeerConnection) => (c.outbound ? this.selfFingerprint : c.peer.fingerprint);
    if (dialler(a) === dialler(b)) return b;
    return dialler(a) < dialler(b) ? a : b;
  }

  private matches(state: DialState, peer: PeerIdentity): boolean {
    return state.fingerprint === peer.fingerprint;
  }

  private onFrame(conn: PeerConnection, frame: Frame): void {
    if (this.active.get(conn.peer.fingerprint) !== conn) return;
    this.counters.received(frame.channel, frame.payload.length + 5);
    this.emit('frame', conn, frame);
  }

  private onClose(conn: PeerConnection, reason: Error | undefined): void {
    const { peer } = conn;
    if (reason instanceof FrameTooLargeError) this.penalize(peer, 'malformedFrame', reason);
    if (reason instanceof OutgoingBufferOverflowError) this.penalize(peer, 'overflow', reason);
    if (this.active.get(peer.fingerprint) !== conn) return;
    this.active.delete(peer.fingerprint);
    const lived = this.now() - (this.since.get(conn) ?? this.now());
    this.since.delete(conn);
    this.logger.info({ peer: peer.name, fingerprint: peer.fingerprint, lived, ...(reason ? errorFields(reason) : {}) }, 'peer disconnected');
    this.emit('disconnected', conn, reason);
    for (const state of this.dials.values()) {
      if (!this.matches(state, peer)) continue;
      if (lived >= this.stableAfterMs) state.attempt = 0;
      this.schedule(state);
    }
  }
}

/** `AB:CD:…` as the PKI prints fingerprints, whether the config wrote it with colons or without, in any case. */
export function normalizeFingerprint(text: string): string {
  return text.replace(/[^0-9a-f]/gi, '').toUpperCase().replace(/(..)(?!$)/g, '$1:');
}
