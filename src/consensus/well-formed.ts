import type { ConsensusMessage } from './types.js';
import { NIL_ROUND } from './types.js';

/** Shape checks on a message from the wire, before anything is looked up or verified. */
export function wellFormed(m: ConsensusMessage, hashLength: number): boolean {
  const isId = (id: unknown): boolean => typeof id === 'string' && id.length === hashLength * 2 && /^[0-9a-f]+$/.test(id);
  if (!Number.isSafeInteger(m.height) || m.height < 0 || !Number.isSafeInteger(m.round) || m.round < 0) return false;
  if (!(m.signature instanceof Uint8Array)) return false;
  if (m.kind === 'vote') return (m.type === 'prevote' || m.type === 'precommit') && (m.valueId === null || isId(m.valueId)) && typeof m.validator === 'string';
  if (m.kind !== 'proposal') return false;
  return Number.isSafeInteger(m.validRound) && m.validRound >= NIL_ROUND && m.validRound < m.round && isId(m.valueId) && m.value instanceof Uint8Array && typeof m.proposer === 'string';
}
