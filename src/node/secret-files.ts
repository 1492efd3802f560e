import { readFileSync, statSync } from 'node:fs';
import type { Logger } from 'pino';
import type { NodeConfig } from './config.js';
import { NodeConfigError } from './errors.js';

/** The key and secret files a node config names (those that exist in it). */
export function secretFiles(config: NodeConfig): string[] {
  const users = config.gateway?.users;
  return [config.tls.key, config.http.tokenFile, users?.caPassphraseFile, users?.vaultSecretFile].filter((f): f is string => f !== undefined);
}

/**
 * Warns, naming the file, about each key or secret file that group or others may read: the
 * node works on, but another local user could take its TLS key or unseal hosted keys.
 */
export function warnReadableSecrets(config: NodeConfig, log: Logger): string[] {
  const loose: string[] = [];
  for (const file of secretFiles(config)) {
    let mode: number;
    try {
      mode = statSync(file).mode;
    } catch {
      continue; // a missing file is reported by whoever reads it, with its own typed error
    }
    if ((mode & 0o077) !== 0) {
      loose.push(file);
      log.warn({ file, mode: `0${(mode & 0o777).toString(8)}` }, `secret file '${file}' is readable by group or others; chmod 600 it`);
    }
  }
  return loose;
}

/** The operations token (`http.token`, or the first line of `http.tokenFile`); undefined when none is configured. */
export function operationsToken(config: NodeConfig): string | undefined {
  if (config.http.token !== undefined) return config.http.token;
  if (config.http.tokenFile === undefined) return undefined;
  let text: string;
  try {
    text = readFileSync(config.http.tokenFile, 'utf8');
  } catch (cause) {
    throw new NodeConfigError(`cannot read the operations token file '${config.http.tokenFile}': ${(cause as Error).message}`, { cause });
  }
  const token = text.split('\n')[0]!.trim();
  if (token.length < 16) throw new NodeConfigError(`the operations token in '${config.http.tokenFile}' is shorter than 16 characters`);
  return token;
}
