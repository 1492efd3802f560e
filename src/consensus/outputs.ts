import type { CommitCertificate } from './certificate.js';
import type { Evidence } from './evidence.js';
import type { ConsensusSnapshot } from './recovery.js';
import type { ConsensusMessage, Height, Round, TimeoutKind, ValueId } from './types.js';

/** Why the driver dropped a message; reported so the host can score or disconnect the peer. */
export type RejectReason = 'malformed' | 'wrongHeight' | 'roundTooFar' | 'notValidator' | 'notProposer' | 'badValueId' | 'badSignature';

/**
 * The effects the host performs, in order. `persist` must be durable before any later output of
 * the same batch is performed (see recovery.ts).
 */
export type DriverOutput =
  | { readonly kind: 'persist'; readonly snapshot: ConsensusSnapshot }
  | { readonly kind: 'broadcast'; readonly message: ConsensusMessage }
  | { readonly kind: 'scheduleTimeout'; readonly timeout: TimeoutKind | 'emptyBlocks'; readonly height: Height; readonly round: Round; readonly durationMs: number }
  /** Ask the host for a value to propose; it answers with `proposeValue`, possibly much later. */
  | { readonly kind: 'getValue'; readonly height: Height; readonly round: Round }
  | { readonly kind: 'decide'; readonly height: Height; readonly round: Round; readonly value: Uint8Array; readonly valueId: ValueId; readonly certificate: CommitCertificate }
  | { readonly kind: 'evidence'; readonly evidence: Evidence }
  | { readonly kind: 'rejected'; readonly reason: RejectReason; readonly message: ConsensusMessage };
