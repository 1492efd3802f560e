/**
 * The root of every error BSN throws. Each kind of failure is its own subclass with a stable
 * `code` that callers, the CLI and the gateway switch on; messages are for people and may change.
 */
export abstract class BsnError extends Error {
  abstract readonly code: string;

  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = new.target.name;
  }
}
