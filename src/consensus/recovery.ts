/**
 * The crash-recovery contract.
 *
 * Before any message the validator signs leaves the process, the driver emits a `persist`
 * output carrying a `ConsensusSnapshot` that already contains that message; the host must make
 * the snapshot durable (WAL write + fsync) before it performs any later output of the same
 * batch. After a crash the host restores the last durable snapshot with `Driver.restore`.
 * Because every message ever sent is in the snapshot, the restored `SignGuard` re-sends the
 * stored message whenever the state machine asks again for (height, round, type), and never
 * signs a second, conflicting one. The lock travels with the precommit that set it (L36–L41),
 * so a restarted validator also keeps its lock; only validValue (L42) may be lost, which costs
 * liveness at most, never safety.
 */
import { InvalidSnapshotError } from './errors.js';
import type { Address, ConsensusMessage, Height, Round, RoundValue } from './types.js';

export interface ConsensusSnapshot {
  readonly version: 1;
  readonly height: Height;
  readonly round: Round;
  readonly locked: RoundValue | null;
  readonly valid: RoundValue | null;
  /** Every message this validator signed at `height`, in signing order. */
  readonly signed: readonly ConsensusMessage[];
}

export function messageSlot(m: ConsensusMessage): string {
  return `${m.round}/${m.kind === 'vote' ? m.type : 'proposal'}`;
}

/**
 * Remembers what was signed at the current height so that the same (round, type) is never
 * signed twice with different contents — the local rule that makes an honest validator unable
 * to equivocate, across restarts as long as the snapshot was persisted.
 */
export class SignGuard {
  private readonly bySlot = new Map<string, ConsensusMessage>();
  readonly order: ConsensusMessage[] = [];

  constructor(readonly height: Height, signed: readonly ConsensusMessage[] = []) {
    for (const m of signed) this.remember(m);
  }

  /** The message already signed for this slot, which must be re-sent instead of a new one. */
  existing(slot: string): ConsensusMessage | undefined {
    return this.bySlot.get(slot);
  }

  remember(m: ConsensusMessage): void {
    const slot = messageSlot(m);
    if (this.bySlot.has(slot)) return;
    this.bySlot.set(slot, m);
    this.order.push(m);
  }
}

/** Checks that a snapshot belongs to `self` at a sane height before the driver trusts it. */
export function checkSnapshot(snapshot: ConsensusSnapshot, self: Address): void {
  if (snapshot.version !== 1) throw new InvalidSnapshotError(`unknown snapshot version ${String(snapshot.version)}`);
  if (!Number.isSafeInteger(snapshot.height) || snapshot.height < 0 || !Number.isSafeInteger(snapshot.round) || snapshot.round < 0) {
    throw new InvalidSnapshotError('snapshot height and round must be non-negative integers');
  }
  for (const m of snapshot.signed) {
    const signer = m.kind === 'vote' ? m.validator : m.proposer;
    if (signer !== self) throw new InvalidSnapshotError(`snapshot holds a message signed by ${signer}, not by this validator`);
    if (m.height !== snapshot.height) throw new InvalidSnapshotError('snapshot holds a message of another height');
  }
}
