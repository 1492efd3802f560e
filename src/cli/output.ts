import { BsnError } from '../errors.js';

/** How a command reports: human lines on stdout, or one JSON document with `--json`. */
export interface Output {
  readonly json: boolean;
  /** Prints a result: `human` lines normally, `data` as JSON with --json. */
  result(data: Record<string, unknown>, human: string[]): void;
}

export function makeOutput(json: boolean): Output {
  return {
    json,
    result(data, human) {
      if (json) process.stdout.write(`${JSON.stringify(data)}\n`);
      else for (const line of human) process.stdout.write(`${line}\n`);
    },
  };
}

/** A usage error of the CLI itself (missing file, bad flag value). */
export class CliUsageError extends BsnError {
  readonly code = 'CLI_USAGE';
}

/**
 * Reports a failure as one line (or one JSON object) and sets a non-zero exit code. Typed
 * errors print their code; anything else is a bug and says so, still without a stack trace
 * unless BSN_DEBUG is set.
 */
export function reportFailure(err: unknown, json: boolean): void {
  const code = err instanceof BsnError ? err.code : 'INTERNAL';
  const message = err instanceof Error ? err.message : String(err);
  if (json) process.stdout.write(`${JSON.stringify({ ok: false, error: { code, message } })}\n`);
  else process.stderr.write(`bsn: error: ${message} [${code}]\n`);
  if (process.env.BSN_DEBUG && err instanceof Error) process.stderr.write(`${err.stack}\n`);
  process.exitCode = code === 'CLI_USAGE' ? 2 : 1;
}
