import type { CodecValue } from '../codec/index.js';
import type { Candidate } from './candidate-blocks.js';
import type { ChainRunnerOptions } from './chain-runner-options.js';

/**
 * Brings the application up to the block store at start: initChain on a chain that never
 * committed, then each block stored before a crash whose state the application had not yet
 * committed is executed (`execute`: the runner's checked execution) and committed.
 */
export async function recoverApplication(o: Pick<ChainRunnerOptions, 'app' | 'store' | 'genesis' | 'log'>, execute: (bytes: Uint8Array) => Promise<Candidate>): Promise<void> {
  let info = await o.app.info();
  if (info.height === 0 && o.store.height === 0) {
    const g = o.genesis.file;
    await o.app.initChain({ chainId: g.chainId, time: g.time, appState: (g.appState ?? null) as CodecValue });
  }
  while (info.height < o.store.height) {
    const h = info.height + 1;
    const candidate = await execute((await o.store.block(h))!);
    info = await o.app.commit(h, candidate.execution.executionId);
    o.log.info({ chain: o.genesis.file.chainId, height: h }, 'replayed a stored block into the application');
  }
}
