/**
 * The candidate executions of one height: several proposals and rounds may each be executed
 * before one is committed. The oldest is dropped beyond `max`, so a flood of proposals cannot
 * grow memory without bound.
 */
export class CandidateExecutions<T extends { readonly executionId: string }> {
  private readonly byId = new Map<string, T>();

  constructor(private readonly max: number) {}

  remember(execution: T): void {
    this.byId.set(execution.executionId, execution);
    // Maps iterate in insertion order: the first key is the oldest candidate.
    if (this.byId.size > this.max) this.byId.delete(this.byId.keys().next().value!);
  }

  get(executionId: string): T | undefined {
    return this.byId.get(executionId);
  }

  clear(): void {
    this.byId.clear();
  }
}

/** Runs the calls that change an application (initChain, executeBlock, commit) one at a time. */
export class ExclusiveLock {
  private tail: Promise<unknown> = Promise.resolve();

  run<T>(fn: () => Promise<T>): Promise<T> {
    const run = this.tail.then(fn, fn);
    this.tail = run.catch(() => undefined);
    return run;
  }
}
