import { readFileSync } from 'node:fs';
import { Command, CommanderError } from 'commander';
import type { CaSecret, ShareInput } from '../../pki/index.js';
import { CliUsageError } from '../output.js';

/** What every `bsn ca` command shares: reading input files, secrets and numeric options. */

/** Commander's own reports that are not failures (help, version) keep their meaning. */
const NOT_USAGE_ERRORS = new Set(['commander.helpDisplayed', 'commander.help', 'commander.version', 'commander.executeSubCommandAsync']);

/**
 * Makes commander's usage errors (missing option, unknown flag) typed CliUsageErrors, so main()
 * reports them like every other failure: one line (or one JSON object) and exit code 2.
 */
export function usageErrorsAsTyped(command: Command): Command {
  return command
    .showHelpAfterError(false)
    .configureOutput({ outputError: () => undefined })
    .exitOverride((err: CommanderError) => {
      if (NOT_USAGE_ERRORS.has(err.code)) throw err;
      throw new CliUsageError(err.message.replace(/^error: /, ''));
    });
}

export const collect = (value: string, previous: string[] = []): string[] => [...previous, value];

export function readInputFile(file: string, what: string): string {
  try {
    return readFileSync(file, 'utf8');
  } catch (cause) {
    throw new CliUsageError(`cannot read ${what} '${file}': ${(cause as NodeJS.ErrnoException).code ?? 'error'}`, { cause });
  }
}

/** The first line of a passphrase file, without its newline: what `openssl -passin file:` uses. */
export function readPassphraseFile(file: string, what = 'passphrase file'): string {
  const text = readInputFile(file, what);
  const newline = text.indexOf('\n');
  const passphrase = newline === -1 ? text : text.slice(0, newline);
  if (passphrase.length === 0) throw new CliUsageError(`${what} '${file}' is empty`);
  return passphrase;
}

export function readShareFiles(files: readonly string[] | undefined): ShareInput[] {
  return (files ?? []).map((file) => ({ name: file, text: readInputFile(file, 'share file') }));
}

export interface SecretOptions {
  passphraseFile: string;
  share?: string[];
}

export function readSecret(options: SecretOptions): CaSecret {
  return { passphrase: readPassphraseFile(options.passphraseFile), shares: readShareFiles(options.share) };
}

export function parsePositiveInt(value: string, flag: string): number {
  if (!/^\d+$/.test(value) || Number(value) < 1) throw new CliUsageError(`${flag} must be a positive integer, got '${value}'`);
  return Number(value);
}

export function optionalInt(value: string | undefined, flag: string): number | undefined {
  return value === undefined ? undefined : parsePositiveInt(value, flag);
}

export function parseTime(value: string | undefined, flag: string): Date | undefined {
  if (value === undefined) return undefined;
  const ms = Date.parse(value);
  if (Number.isNaN(ms)) throw new CliUsageError(`${flag} must be an ISO 8601 time, got '${value}'`);
  return new Date(ms);
}

/** Adds the options of commands that unlock a CA key. */
export function withSecretOptions(command: Command): Command {
  return command
    .requiredOption('--passphrase-file <file>', 'file whose first line is the CA key passphrase')
    .option('--share <file>', 'key share file, for a key under k-of-n custody (repeat k times)', collect);
}
