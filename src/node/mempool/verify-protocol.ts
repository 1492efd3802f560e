import type { StatelessCheckSpec, StatelessVerdict } from '../../execution/index.js';

/*
 * Messages between VerifyPool and its workers. A batch travels as one transferred buffer with
 * offsets, not as an array of Uint8Arrays: one transfer instead of one clone per tx.
 */

/** Loads a stateless check under `key`; sent to every worker before the first batch for it. */
export interface SpecMessage {
  readonly kind: 'spec';
  readonly key: string;
  readonly spec: StatelessCheckSpec;
}

export interface BatchRequest {
  readonly kind: 'batch';
  readonly id: number;
  /** The check to run: the key of an earlier SpecMessage. */
  readonly key: string;
  /** tx i is data[offsets[i] .. offsets[i + 1]). */
  readonly data: Uint8Array;
  readonly offsets: Uint32Array;
}

export interface BatchResponse {
  readonly id: number;
  readonly verdicts: readonly StatelessVerdict[];
}
