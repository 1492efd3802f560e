/**
 * TEST ONLY: a fixed bug put back behind `ChainRunnerOptions.regressions`, so that the node-level
 * simulator (test/sim/node) and the regression tests can show they catch it. Never on in a node.
 */
import { checkBlockLinks, decodeBlock, type Block, type BlockHeader } from '../chain/index.js';
import type { Suite } from '../crypto/index.js';
import type { Proposal } from '../consensus/index.js';
import type { ChainLog } from './chain-runner-options.js';

export interface RegressionSeam {
  readonly validity: Map<string, boolean>;
  readonly lastHeader: BlockHeader | undefined;
  readonly suite: Suite;
  readonly chainId: string;
  readonly log: ChainLog;
  execute(bytes: Uint8Array, block: Block): Promise<unknown>;
}

/** C2 as it was: validated before authentication, cached under the value id the message claims. */
export async function validateAsBeforeC2(r: RegressionSeam, peer: string, proposal: Proposal): Promise<void> {
  if (r.validity.has(proposal.valueId)) return;
  let ok = false;
  try {
    const block = decodeBlock(proposal.value);
    checkBlockLinks(r.suite, block, r.lastHeader, r.chainId);
    await r.execute(proposal.value, block);
    ok = true;
  } catch (err) {
    r.log.warn({ chain: r.chainId, peer, err: (err as Error).message }, 'invalid proposal');
  }
  r.validity.set(proposal.valueId, ok);
}
