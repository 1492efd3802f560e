import { readFileSync } from 'node:fs';
import type { NodeConfig } from '../../node/index.js';
import type { GatewayStore } from '../store.js';
import { ApiKeyRegistry } from './api-keys.js';
import { UsersConfigError } from './errors.js';
import { UserCertIssuer } from './issuer.js';
import { UserRegistry } from './registry.js';
import { HostedKeyVault } from './vault.js';

/** What user registration needs, secrets resolved (from `gateway.users` of the node config, or given by a test). */
export interface UsersOptions {
  /** The operator CA directory (`bsn ca init-operator`, signed by the root) that certifies users. */
  readonly caDir: string;
  /** The passphrase of the CA key. */
  readonly caPassphrase: string;
  /** The secret hosted keys are sealed under (scrypt → AES-256-GCM). */
  readonly vaultSecret: string;
  /** Validity of user certificates, days; 365 by default (never beyond the CA's). */
  readonly certDays?: number;
  /** scrypt cost of the vault key; 2^15 by default. */
  readonly scryptN?: number;
}

type UsersConfig = NonNullable<NonNullable<NodeConfig['gateway']>['users']>;

/** The first line of a file, as `openssl -passin file:` and `bsn ca --passphrase-file` read it. */
function secretFrom(what: string, file: string | undefined, env: string | undefined): string {
  let value: string | undefined;
  if (file !== undefined) {
    try {
      value = readFileSync(file, 'utf8').split(/\r?\n/)[0];
    } catch (cause) {
      throw new UsersConfigError(`cannot read the ${what} file '${file}': ${(cause as Error).message}`, { cause });
    }
  } else if (env !== undefined) value = process.env[env];
  if (!value) throw new UsersConfigError(`the ${what} is empty or not set (${file !== undefined ? `file ${file}` : `environment variable ${env}`})`);
  return value;
}

/** Reads the secrets named by `gateway.users`; UsersConfigError when one is missing or empty. */
export function usersOptionsFromConfig(config: UsersConfig): UsersOptions {
  return {
    caDir: config.caDir,
    caPassphrase: secretFrom('CA passphrase', config.caPassphraseFile, config.caPassphraseEnv),
    vaultSecret: secretFrom('vault secret', config.vaultSecretFile, config.vaultSecretEnv),
    certDays: config.certDays,
  };
}

/** Everything the user and API-key routes work with; `issuer` and `vault` only when users are configured. */
export interface UserServices {
  readonly registry: UserRegistry;
  readonly apiKeys: ApiKeyRegistry;
  readonly issuer?: UserCertIssuer;
  readonly vault?: HostedKeyVault;
}

/** Opens the registries in `store`, and with `options` the operator CA and the vault (their errors stop the gateway). */
export async function openUserServices(store: GatewayStore, options: UsersOptions | undefined): Promise<UserServices> {
  const registry = await UserRegistry.open(store.sublevel('users'));
  const apiKeys = await ApiKeyRegistry.open(store.sublevel('apikeys'));
  if (!options) return { registry, apiKeys };
  const issuer = await UserCertIssuer.open(options.caDir, options.caPassphrase, options.certDays);
  const vault = await HostedKeyVault.open(store.sublevel('users'), options.vaultSecret, { ...(options.scryptN !== undefined && { scryptN: options.scryptN }) });
  return { registry, apiKeys, issuer, vault };
}
