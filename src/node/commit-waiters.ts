/**
 * Clients waiting for their transactions to commit (`?wait=commit`), keyed by chain and tx
 * hash: each wait ends with the height, or with a typed error (failed or not executed in its
 * block, timed out, cancelled by the caller, or the node stopping). No timer outlives its wait.
 */
import { txExecuted, type TxResult } from '../execution/index.js';
import { CommitTimeoutError, CommitWaitCancelledError, TxFailedError, TxNotExecutedError } from './errors.js';

interface CommitWait {
  readonly timer: NodeJS.Timeout;
  /** Ends the wait: rejects with `err`, else resolves with `height`. */
  readonly settle: (err: Error | undefined, height?: number) => void;
}

export class CommitWaiters {
  private readonly waits = new Map<string, CommitWait[]>();

  /** Resolves with the commit height of the tx `hash` (hex) on `chainId`; see the class comment. */
  wait(chainId: string, hash: string, timeoutMs: number, signal?: AbortSignal): Promise<number> {
    if (signal?.aborted) return Promise.reject(new CommitWaitCancelledError('the commit wait was cancelled'));
    const key = `${chainId}/${hash}`;
    return new Promise((resolve, reject) => {
      const end = (err?: Error, height?: number) => {
        clearTimeout(wait.timer);
        signal?.removeEventListener('abort', onAbort);
        const rest = (this.waits.get(key) ?? []).filter((w) => w !== wait);
        if (rest.length > 0) this.waits.set(key, rest);
        else this.waits.delete(key);
        if (err) reject(err);
        else resolve(height!);
      };
      const onAbort = () => end(new CommitWaitCancelledError('the commit wait was cancelled'));
      const wait: CommitWait = {
        timer: setTimeout(() => end(new CommitTimeoutError(`transaction not committed within ${timeoutMs} ms`)), timeoutMs),
        settle: end,
      };
      signal?.addEventListener('abort', onAbort, { once: true });
      this.waits.set(key, [...(this.waits.get(key) ?? []), wait]);
    });
  }

  /**
   * Ends the waits of the txs of a committed block: with the height when the tx succeeded; with
   * a TxNotExecutedError when the block holds it but the application did not execute it (it
   * changed nothing, and the mempool dropped it with the block: it will never run); with a
   * TxFailedError when it ran and failed.
   */
  committed(chainId: string, hashOf: (tx: Uint8Array) => string, txs: readonly Uint8Array[], height: number, results: readonly TxResult[]): void {
    if (this.waits.size === 0) return;
    for (const [index, tx] of txs.entries()) {
      const list = this.waits.get(`${chainId}/${hashOf(tx)}`);
      if (!list) continue;
      const result = results[index];
      const failure = !result || result.ok ? undefined : txExecuted(result) ? new TxFailedError(height, index, result.code) : new TxNotExecutedError(height, index, result.code);
      for (const w of list) w.settle(failure, height);
    }
  }

  /** Ends every wait with a CommitWaitCancelledError (the node stops). */
  cancelAll(): void {
    for (const list of [...this.waits.values()]) for (const w of list) w.settle(new CommitWaitCancelledError('the node is stopping'));
  }
}
