/**
 * Canonical byte forms of what consensus hands to other layers: the commit certificate (stored
 * with blocks, served to light clients) and the recovery snapshot (the WAL record).
 */
import { decode, encode, expectArray, expectBytes, expectInt, expectMap, expectNullable, expectString, expectUint, type CodecValue } from '../codec/index.js';
import type { CommitCertificate } from './certificate.js';
import { InvalidSnapshotError } from './errors.js';
import type { ConsensusSnapshot } from './recovery.js';
import type { ConsensusMessage, RoundValue } from './types.js';
import { fromHex, toHex } from './types.js';

export function encodeCommitCertificate(cert: CommitCertificate): Uint8Array {
  return encode({
    height: cert.height,
    round: cert.round,
    value_id: fromHex(cert.valueId),
    signatures: cert.signatures.map((s) => [fromHex(s.validator), s.signature]),
  });
}

export function decodeCommitCertificate(bytes: Uint8Array): CommitCertificate {
  const m = expectMap(decode(bytes), '$', ['height', 'round', 'value_id', 'signatures']);
  return {
    height: expectUint(m.height, '$.height'),
    round: expectUint(m.round, '$.round'),
    valueId: toHex(expectBytes(m.value_id, '$.value_id')),
    signatures: expectArray(m.signatures, '$.signatures').map((entry, i) => {
      const [validator, signature] = expectArray(entry, `$.signatures[${i}]`, 2);
      return { validator: toHex(expectBytes(validator, `$.signatures[${i}][0]`)), signature: expectBytes(signature, `$.signatures[${i}][1]`) };
    }),
  };
}

function messageValue(m: ConsensusMessage): CodecValue {
  if (m.kind === 'vote') {
    return { kind: 'vote', type: m.type, height: m.height, round: m.round, value_id: m.valueId === null ? null : fromHex(m.valueId), signer: fromHex(m.validator), signature: m.signature };
  }
  return { kind: 'proposal', height: m.height, round: m.round, valid_round: m.validRound, value: m.value, value_id: fromHex(m.valueId), signer: fromHex(m.proposer), signature: m.signature };
}

function messageFrom(v: CodecValue, path: string): ConsensusMessage {
  const m = expectMap(v, path);
  const common = { height: expectUint(m.height, `${path}.height`), round: expectUint(m.round, `${path}.round`), signature: expectBytes(m.signature, `${path}.signature`) };
  const signer = toHex(expectBytes(m.signer, `${path}.signer`));
  if (expectString(m.kind, `${path}.kind`) === 'vote') {
    const type = expectString(m.type, `${path}.type`) === 'precommit' ? 'precommit' : 'prevote';
    const valueId = expectNullable(m.value_id, `${path}.value_id`, expectBytes);
    return { kind: 'vote', type, ...common, valueId: valueId === null ? null : toHex(valueId), validator: signer };
  }
  const value = expectBytes(m.value, `${path}.value`);
  return { kind: 'proposal', ...common, validRound: expectInt(m.valid_round, `${path}.valid_round`), value, valueId: toHex(expectBytes(m.value_id, `${path}.value_id`)), proposer: signer };
}

const roundValue = (r: RoundValue | null): CodecValue => (r === null ? null : { round: r.round, value: r.value, value_id: fromHex(r.valueId) });

function roundValueFrom(v: CodecValue | undefined, path: string): RoundValue | null {
  return expectNullable(v, path, (x, p) => {
    const m = expectMap(x, p, ['round', 'value', 'value_id']);
    return { round: expectUint(m.round, `${p}.round`), value: expectBytes(m.value, `${p}.value`), valueId: toHex(expectBytes(m.value_id, `${p}.value_id`)) };
  });
}

/** The WAL record of the crash-recovery contract. */
export function encodeSnapshot(s: ConsensusSnapshot): Uint8Array {
  return encode({ version: s.version, height: s.height, round: s.round, locked: roundValue(s.locked), valid: roundValue(s.valid), signed: s.signed.map(messageValue) });
}

export function decodeSnapshot(bytes: Uint8Array): ConsensusSnapshot {
  const m = expectMap(decode(bytes), '$', ['version', 'height', 'round', 'locked', 'valid', 'signed']);
  if (expectUint(m.version, '$.version') !== 1) throw new InvalidSnapshotError('unknown snapshot version');
  return {
    version: 1,
    height: expectUint(m.height, '$.height'),
    round: expectUint(m.round, '$.round'),
    locked: roundValueFrom(m.locked, '$.locked'),
    valid: roundValueFrom(m.valid, '$.valid'),
    signed: expectArray(m.signed, '$.signed').map((x, i) => messageFrom(x, `$.signed[${i}]`)),
  };
}
