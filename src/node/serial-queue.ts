/**
 * Runs async jobs one at a time in arrival order. A failing job is reported to `onError` and
 * does not stop the jobs after it.
 */
export class SerialQueue {
  private tail: Promise<void> = Promise.resolve();
  private waiting = 0;

  /** Jobs queued or running (the simulator waits for 0 before its next event). */
  get pending(): number {
    return this.waiting;
  }

  constructor(private readonly onError: (err: unknown) => void = () => undefined) {}

  run<T>(job: () => Promise<T>): Promise<T> {
    this.waiting++;
    const result = this.tail.then(job).finally(() => void this.waiting--);
    this.tail = result.then(
      () => undefined,
      (err: unknown) => this.onError(err),
    );
    return result;
  }
}
