/**
 * The consensus WAL's records, with each block value written once per height (review finding
 * L4). A snapshot holds every message signed at the height, proposals with their whole block,
 * plus the locked and valid values; written as it is on every persist, a long run of rounds
 * costs O(rounds²) bytes of fsynced writes, and past the record limit the validator cannot sign.
 * Here a value already written at this height is replaced by empty bytes (a real block is never
 * empty), and `restoreSnapshot` puts it back from the earlier record that carried it. Appends
 * are fsynced in order, so the record carrying a value is durable before any that refers to it.
 */
import type { Suite } from '../crypto/index.js';
import { decodeSnapshot, encodeSnapshot, valueIdOf, type ConsensusMessage, type ConsensusSnapshot, type RoundValue } from '../consensus/index.js';
import { WalRecordError } from './errors.js';

const EMPTY = new Uint8Array(0);

export class WalRecordWriter {
  private readonly written = new Set<string>();

  /** The record of `snapshot`, without the values an earlier record of this height carries. */
  record(snapshot: ConsensusSnapshot): Uint8Array {
    const once = (valueId: string, value: Uint8Array): Uint8Array => {
      if (this.written.has(valueId)) return EMPTY;
      this.written.add(valueId);
      return value;
    };
    const signed = snapshot.signed.map((m): ConsensusMessage => (m.kind === 'proposal' ? { ...m, value: once(m.valueId, m.value) } : m));
    const strip = (r: RoundValue | null): RoundValue | null => (r === null ? null : { ...r, value: once(r.valueId, r.value) });
    return encodeSnapshot({ ...snapshot, signed, locked: strip(snapshot.locked), valid: strip(snapshot.valid) });
  }

  /** The height is committed and the log discarded: the next record carries its values again. */
  reset(): void {
    this.written.clear();
  }
}

/** The last snapshot of `records` with every value restored, or undefined for an empty log. */
export function restoreSnapshot(suite: Suite, records: readonly Uint8Array[]): ConsensusSnapshot | undefined {
  if (records.length === 0) return undefined;
  const snapshots = records.map((r) => decodeSnapshot(r));
  const values = new Map<string, Uint8Array>();
  const keep = (valueId: string, value: Uint8Array) => {
    // A value is trusted only under the id it hashes to: a damaged record cannot swap blocks.
    if (value.length > 0 && valueIdOf(suite, value) === valueId) values.set(valueId, value);
  };
  for (const s of snapshots) {
    for (const m of s.signed) if (m.kind === 'proposal') keep(m.valueId, m.value);
    if (s.locked) keep(s.locked.valueId, s.locked.value);
    if (s.valid) keep(s.valid.valueId, s.valid.value);
  }
  const last = snapshots.at(-1)!;
  const fill = (valueId: string, value: Uint8Array): Uint8Array => {
    if (value.length > 0) return value;
    const found = values.get(valueId);
    if (!found) throw new WalRecordError(`the WAL refers to block ${valueId} of height ${last.height}, which no record carries`);
    return found;
  };
  return {
    ...last,
    signed: last.signed.map((m): ConsensusMessage => (m.kind === 'proposal' ? { ...m, value: fill(m.valueId, m.value) } : m)),
    locked: last.locked && { ...last.locked, value: fill(last.locked.valueId, last.locked.value) },
    valid: last.valid && { ...last.valid, value: fill(last.valid.valueId, last.valid.value) },
  };
}
