/** Typed errors of the node-level simulator (each kind a class with a stable code). */
export abstract class SimError extends Error {
  abstract readonly code: string;
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = new.target.name;
  }
}

export class UnknownScenarioError extends SimError {
  readonly code = 'SIM_UNKNOWN_SCENARIO';
}
