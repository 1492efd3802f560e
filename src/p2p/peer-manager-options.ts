/** What a PeerManager is given and what it tells: its options, peer addresses, events, admission policy. */
import type { PeerConnection } from './connection.js';
import type { BackoffOptions, RandomSource } from './backoff.js';
import type { Frame } from './frame.js';
import type { PeerIdentity } from './identity.js';
import type { P2pLogger } from './observe.js';
import type { ScoringOptions } from './scoring.js';
import type { TransportOptions } from './transport.js';

/**
 * A peer this node keeps a connection to. `name`, when given, must be the CN of the node found
 * there; `fingerprint` and `operator` pin its certificate (SHA-256 fingerprint, as `bsn ca
 * inspect` prints it) and the subject of its operator CA, for a CN is not unique across operators.
 */
export interface PeerAddress {
  readonly host: string;
  readonly port: number;
  readonly name?: string;
  readonly fingerprint?: string;
  readonly operator?: string;
}

export interface PeerManagerOptions {
  readonly transport: TransportOptions;
  readonly persistentPeers?: readonly PeerAddress[];
  readonly backoff?: Partial<BackoffOptions>;
  readonly scoring?: Partial<ScoringOptions>;
  /** A connection that lived this long resets the redial backoff when it drops (default 10 s). */
  readonly stableAfterMs?: number;
  /** An address whose node was found revoked is dialled at most this often (default 10 min), in case it has a new certificate. */
  readonly revokedRedialMs?: number;
  readonly random?: RandomSource;
  readonly now?: () => number;
  readonly logger?: P2pLogger;
}

/**
 * Who may be a peer beyond what its certificate proves: the governance chain's registry
 * (src/network/governor.ts) refuses nodes of operators it has not admitted or has suspended,
 * nodes it suspended or removed, and certificates it revoked. Returns why not, or undefined.
 * A PeerRevokedError is remembered like a CRL's (no redial at the normal backoff).
 */
export type AdmissionPolicy = (peer: PeerIdentity, issuerChainDer: readonly Uint8Array[]) => Error | undefined;

export interface PeerManagerEvents {
  /** The one connection kept to a peer; a replacement after a tie-break comes as disconnected + connected. */
  connected: [PeerConnection];
  disconnected: [PeerConnection, reason: Error | undefined];
  /** A frame from a kept connection. */
  frame: [PeerConnection, Frame];
}

/** One configured address and the state of its dialling (the manager's own bookkeeping). */
export interface DialState {
  readonly address: PeerAddress;
  attempt: number;
  timer: NodeJS.Timeout | undefined;
  inflight: boolean;
  /** Learned on the first successful dial, so inbound connections can be matched to the address. */
  fingerprint: string | undefined;
  /** The address leads to this node itself: never dialled again. */
  self: boolean;
}
