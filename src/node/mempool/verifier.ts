import type { StatelessCheck, StatelessVerdict } from '../../execution/index.js';

/** Runs an application's stateless check for the mempool: on worker threads, or inline. */
export interface TxVerifier {
  check(tx: Uint8Array): Promise<StatelessVerdict>;
  close(): Promise<void>;
}

/** The stateless check on the calling thread: for a pool size of 0, tests and the bench baseline. */
export class InlineVerifier implements TxVerifier {
  constructor(private readonly run: StatelessCheck) {}

  async check(tx: Uint8Array): Promise<StatelessVerdict> {
    return this.run(tx);
  }

  async close(): Promise<void> {}
}
