/**
 * Runs async jobs one at a time in arrival order. A failing job is reported to `onError` and
 * does not stop the jobs after it.
 */
export class SerialQueue {
  private tail: Promise<void> = Promise.resolve();

  constructor(private readonly onError: (err: unknown) => void = () => undefined) {}

  run<T>(job: () => Promise<T>): Promise<T> {
    const result = this.tail.then(job);
    this.tail = result.then(
      () => undefined,
      (err: unknown) => this.onError(err),
    );
    return result;
  }
}
