import type { Block } from '../chain/index.js';
import type { ExecutionResult } from '../execution/index.js';

export interface Candidate {
  readonly block: Block;
  readonly execution: ExecutionResult;
}

// Below the applications' own cap on candidate executions (64): see CandidateBlocks.
const MAX_CANDIDATES = 32;

/**
 * The executed blocks of one height, by value id, the oldest dropped beyond MAX_CANDIDATES: a
 * Byzantine proposer's many valid proposals cannot hold memory (blocks up to maxBlockBytes
 * each), and since the cap is below the application's, every candidate kept here is one the
 * application can still commit. A dropped one is executed again if it is decided.
 */
export class CandidateBlocks {
  private readonly byId = new Map<string, Candidate>();

  get size(): number {
    return this.byId.size;
  }

  get(valueId: string): Candidate | undefined {
    return this.byId.get(valueId);
  }

  set(valueId: string, candidate: Candidate): void {
    this.byId.set(valueId, candidate);
    if (this.byId.size > MAX_CANDIDATES) this.byId.delete(this.byId.keys().next().value!);
  }

  clear(): void {
    this.byId.clear();
  }
}
