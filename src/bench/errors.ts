import { BsnError } from '../errors.js';

/** The bench file does not parse or does not match the schema; the message names every bad path. */
export class BenchFileError extends BsnError {
  readonly code = 'BENCH_FILE_INVALID';
  constructor(
    message: string,
    /** Each problem as `path: message`, path like `rounds[0].rate.tps`. */
    readonly issues: readonly string[] = [],
  ) {
    super(message);
  }
}

/** The target did not answer (connection refused, timeout, not JSON-RPC / not a BSN gateway). */
export class BenchTargetUnreachableError extends BsnError {
  readonly code = 'BENCH_TARGET_UNREACHABLE';
}

/** The target answers but refuses the workload: the first transactions all fail, or most of them do. */
export class BenchTargetRejectedError extends BsnError {
  readonly code = 'BENCH_TARGET_REJECTED';
}

/** Setting up accounts or contracts failed (funding, deployment, token distribution, seeding keys). */
export class BenchSetupError extends BsnError {
  readonly code = 'BENCH_SETUP_FAILED';
}

/** A result file for `bsn bench report` is not a result of a version this tool understands. */
export class BenchResultFileError extends BsnError {
  readonly code = 'BENCH_RESULT_INVALID';
}
