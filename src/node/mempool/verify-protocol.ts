import type { StatelessCheckSpec, StatelessVerdict } from '../../execution/index.js';

/*
 * Messages between VerifyPool and its workers. A batch travels as one transferred buffer with
 * offsets, not as an array of Uint8Arrays: one transfer instead of one clone per tx.
 */

export interface WorkerInit {
  readonly spec: StatelessCheckSpec;
}

export interface BatchRequest {
  readonly id: number;
  /** tx i is data[offsets[i] .. offsets[i + 1]). */
  readonly data: Uint8Array;
  readonly offsets: Uint32Array;
}

export interface BatchResponse {
  readonly id: number;
  readonly verdicts: readonly StatelessVerdict[];
}
