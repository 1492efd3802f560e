import { decode, encode, expectArray, expectBytes, expectInt, expectUint, type CodecValue } from '../codec/index.js';
import type { ConsensusMessage } from '../consensus/index.js';
import { MAX_BLOCK_BYTES } from '../chain/index.js';
import { fromHex, toHex } from '../consensus/index.js';
import { WireFormatError } from './errors.js';

/*
 * Proposals and votes between city nodes: positional arrays with a message-type tag first.
 *   proposal:  [1, height, round, validRound, value, valueId, proposer, signature]
 *   prevote:   [2, height, round, valueId | null, validator, signature]
 *   precommit: [3, height, round, valueId | null, validator, signature]
 * Signatures cover the consensus layer's sign-bytes, not these bytes, so this form may change
 * without invalidating a signature; it is strict all the same so one message has one encoding.
 */
const TAG = { proposal: 1, prevote: 2, precommit: 3 } as const;

export function encodeConsensusMessage(m: ConsensusMessage): Uint8Array {
  const value: CodecValue =
    m.kind === 'proposal'
      ? [TAG.proposal, m.height, m.round, m.validRound, m.value, fromHex(m.valueId), fromHex(m.proposer), m.signature]
      : [TAG[m.type], m.height, m.round, m.valueId === null ? null : fromHex(m.valueId), fromHex(m.validator), m.signature];
  return encode(value);
}

/** Decodes a peer's message; any malformed input is a typed codec or WireFormatError. */
export function decodeConsensusMessage(bytes: Uint8Array): ConsensusMessage {
  const fields = expectArray(decode(bytes, { maxBytes: MAX_BLOCK_BYTES + 4096, maxDepth: 4 }), '$');
  const tag = expectUint(fields[0], '$[0]');
  if (tag === TAG.proposal) {
    const [, height, round, validRound, value, valueId, proposer, signature] = expectArray(fields, '$', 8);
    const vr = expectInt(validRound, '$.validRound');
    if (vr < -1) throw new WireFormatError(`validRound ${vr} is below -1`);
    return {
      kind: 'proposal',
      height: expectUint(height, '$.height'),
      round: expectUint(round, '$.round'),
      validRound: vr,
      value: expectBytes(value, '$.value'),
      valueId: toHex(expectBytes(valueId, '$.valueId', 32)),
      proposer: toHex(expectBytes(proposer, '$.proposer', 20)),
      signature: expectBytes(signature, '$.signature'),
    };
  }
  if (tag === TAG.prevote || tag === TAG.precommit) {
    const [, height, round, valueId, validator, signature] = expectArray(fields, '$', 6);
    return {
      kind: 'vote',
      type: tag === TAG.prevote ? 'prevote' : 'precommit',
      height: expectUint(height, '$.height'),
      round: expectUint(round, '$.round'),
      valueId: valueId === null ? null : toHex(expectBytes(valueId, '$.valueId', 32)),
      validator: toHex(expectBytes(validator, '$.validator', 20)),
      signature: expectBytes(signature, '$.signature'),
    };
  }
  throw new WireFormatError(`unknown consensus message type ${tag}`);
}
