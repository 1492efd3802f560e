// Gateway users (hosted and own-key), their certificates and sealed keys, and per-app API keys (docs/gateway-users.md).
export * from './errors.js';
export { ApiKeyRegistry, type ApiKeyRecord } from './api-keys.js';
export { UserCertIssuer, type UserCertRequest } from './issuer.js';
export { UserRegistry, type UserMode, type UserRecord } from './registry.js';
export { HostedKeyVault } from './vault.js';
export { openUserServices, usersOptionsFromConfig, type UserServices, type UsersOptions } from './setup.js';
