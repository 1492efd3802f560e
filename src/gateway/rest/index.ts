// Authentication of the REST gateway: signed requests under the network PKI (docs/gateway-auth.md).
export * from './errors.js';
export { AUTH_DOMAIN, AUTH_HEADERS, GATEWAY_ID_HEADER, MIN_NONCE_BYTES, MAX_NONCE_BYTES, canonicalRequestBytes, parseAuthHeaders, signRequest, type AuthHeaders, type CanonicalRequest, type IncomingHeaders, type SignRequestInput } from './canonical.js';
export { RequestAuthenticator, type AuthenticatorOptions, type AuthIdentity, type AuthResult, type VerifyInput } from './auth.js';
export { authenticate, keepRawBody, type AuthenticateOptions, type AuthHook } from './hook.js';
export { isAppAdmin, requireAppAdmin, NotAppAdminError } from './admin.js';
export { accessHook, API_KEY_HEADER, type AccessOptions } from './access.js';
