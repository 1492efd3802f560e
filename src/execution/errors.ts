import { BsnError } from '../errors.js';

/** Every failure of the execution layer that is a misuse or a broken store, not a bad tx. */
export abstract class ExecutionError extends BsnError {}

/** executeBlock or commit for a height other than committed + 1. */
export class ExecutionHeightError extends ExecutionError {
  readonly code = 'EXEC_WRONG_HEIGHT';
}

/** commit() of an execution id this application does not hold (never executed, or dropped). */
export class UnknownExecutionError extends ExecutionError {
  readonly code = 'EXEC_UNKNOWN_EXECUTION';
}

/** The chain was used before initChain, or initChain was called after the first block. */
export class ChainStateError extends ExecutionError {
  readonly code = 'EXEC_CHAIN_STATE';
}

/** A genesis the application cannot accept (wrong chain, malformed app state). */
export class GenesisError extends ExecutionError {
  readonly code = 'EXEC_BAD_GENESIS';
}

/** A query path the application does not know, or malformed query data. */
export class QueryError extends ExecutionError {
  readonly code = 'EXEC_BAD_QUERY';
}

/** What the application keeps in LevelDB does not decode: the store is damaged or foreign. */
export class StateCorruptError extends ExecutionError {
  readonly code = 'EXEC_STATE_CORRUPT';
}
